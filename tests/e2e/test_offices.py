"""Several offices side by side (issue 17), as citizens and staff meet them over HTTP against the whole stack (Temporal
dev server, worker and gateway as child processes, tests/e2e/conftest.py `stack`):

- the public list of offices (GET /api/v1/offices, /kantor) and an office's start page, which speaks for that office;
- a permit submitted without an office goes to the one office issuing permits, with an unknown one it is refused;
  the case's JSON says its office, and its applicant's pages name that office, never the court;
- staff of one office get 404 on another office's case, task, run, run history and audit report, and their
  dashboards do not count it; the installation's administrator sees no office's cases;
- a queue number taken at Kemenag's kiosk is Kemenag's; a WhatsApp message to the court's number is the court's
  conversation, answered about the court alone, and another office's officers do not see it."""

import io
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import httpx
import pypdf
import pytest
from sqlalchemy import select

from gateway.services.whatsapp import SIGNATURE_HEADER, sign
from store.models import Notification, Office, QueueTicket, WhatsAppConversation
from tests.e2e.test_e2e_permit import application_body, upload
from tests.e2e.test_faults import Stack
from tests.factories import login, wait_for

APPLICANT = "3374010101900001"
DOCUMENTS = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
COURT_NAME, PERMIT_OFFICE_NAME = "Mahkamah Syar'iyah Lhokseumawe", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Semarang"
KEMENAG_NAME = "Kantor Kementerian Agama Kabupaten Lamongan"


@pytest.fixture
async def http(stack: Stack):
    stack.start_gateway()
    base = f"http://127.0.0.1:{stack.gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Origin": base}) as client:
        yield client


def brand(page: str) -> str:
    """The office the page header names (templates/base.html)."""
    found = re.search(r'<span class="brand-text"><strong>SatuPintu</strong><small>(.*?)</small>', page)
    assert found, "the page has no header"
    return found.group(1).replace("&#39;", "'")


async def office_id(stack: Stack, code: str) -> int:
    async with stack.db.sessionmaker() as session:
        return (await session.scalar(select(Office.id).where(Office.code == code))) or 0


@asynccontextmanager
async def signed_in(http: httpx.AsyncClient, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as `username` through the sign-in page."""
    base = str(http.base_url).rstrip("/")
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Origin": base}) as browser:
        response = await browser.post("/masuk", data={"username": username, "password": "Demo12345", "next": "/"})
        assert response.status_code == 303, response.text
        yield browser


async def test_the_offices_are_listed_and_each_office_page_speaks_for_its_office(http: httpx.AsyncClient) -> None:
    listed = await http.get("/api/v1/offices")
    assert listed.status_code == 200
    offices = {o["code"]: o for o in listed.json()}
    assert set(offices) == {"ms-lhokseumawe", "dpmptsp", "kemenag-lamongan"}
    assert all(set(o) == {"code", "name", "short_name", "city", "processes"} for o in offices.values())
    assert offices["dpmptsp"] == {"code": "dpmptsp", "name": PERMIT_OFFICE_NAME, "short_name": "DPMPTSP Kota Semarang", "city": "Semarang",
                                  "processes": ["permit", "complaint"]}
    assert set(offices["ms-lhokseumawe"]["processes"]) == {"leave", "whatsapp", "siramasakan", "complaint"}
    assert set(offices["kemenag-lamongan"]["processes"]) == {"walk_in", "letter", "leave", "whatsapp"}

    index = await http.get("/kantor")
    assert index.status_code == 200
    for code, office in offices.items():
        assert f'href="/kantor/{code}"' in index.text and office["name"].replace("'", "&#39;") in index.text

    page = await http.get("/kantor/dpmptsp")
    assert page.status_code == 200
    assert brand(page.text) == PERMIT_OFFICE_NAME  # the header and footer name the office, not the court
    assert "Jl. Pemuda No. 148" in page.text and "024-3541111" in page.text and "Senin–Jumat, pukul 08.00–15.30 WIB" in page.text
    assert 'href="/izin/ajukan?kantor=dpmptsp"' in page.text and 'href="/pengaduan?kantor=dpmptsp"' in page.text
    assert "/kantor/dpmptsp/antrian" not in page.text  # the permit office runs no walk-in counter

    kemenag = await http.get("/kantor/kemenag-lamongan")
    assert brand(kemenag.text) == KEMENAG_NAME
    assert 'href="/kantor/kemenag-lamongan/antrian"' in kemenag.text and "Legalisir" in kemenag.text and "Persyaratan:" in kemenag.text
    assert "/izin/ajukan" not in kemenag.text and "/pengaduan?kantor" not in kemenag.text
    # Its header and footer offer only what it offers: no permit tracking or requirements, no complaint forms.
    assert ">Monitoring Izin<" not in kemenag.text and ">Persyaratan<" not in kemenag.text and ">Kritik dan saran<" not in kemenag.text
    assert ">Monitoring Izin<" in page.text and 'href="/persyaratan?kantor=dpmptsp"' in page.text and 'href="/kritik?kantor=dpmptsp"' in page.text

    # A link from an office's page carries the office: the form it opens speaks for it and has it chosen.
    form = await http.get("/pengaduan?kantor=dpmptsp")
    assert brand(form.text) == PERMIT_OFFICE_NAME and '<option value="dpmptsp" selected>' in form.text

    unknown = await http.get("/kantor/tidak-ada")
    assert unknown.status_code == 404 and "Kantor dengan kode &#39;tidak-ada&#39; tidak ditemukan." in unknown.text
    assert 'href="/kantor"' in (await http.get("/masuk")).text


async def submitted_permit(http: httpx.AsyncClient, applicant: dict) -> tuple[dict, dict]:
    documents = {name: await upload(http, applicant, name) for name in DOCUMENTS}
    unknown = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents, office="kantor-lain"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "office", unknown.text
    court = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents, office="ms-lhokseumawe"))
    assert court.status_code == 422 and court.json()["errors"][0]["field"] == "office", court.text
    created = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents))
    assert created.status_code == 201, created.text
    return created.json(), documents


async def leave_of(http: httpx.AsyncClient, employee: dict) -> dict:
    """A leave request of the court's pegawai1, on working days some weeks ahead (the first range the office takes)."""
    start = date.today() + timedelta(weeks=6)
    for _ in range(20):
        start += timedelta(days=(7 - start.weekday()) % 7 or 7)  # a Monday
        created = await http.post("/api/v1/leave-requests", headers=employee, json={
            "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": (start + timedelta(days=1)).isoformat(),
            "reason": "Urusan keluarga"})
        if created.status_code == 201:
            return created.json()
    raise AssertionError(f"no leave request was taken: {created.text}")


async def test_cases_belong_to_their_office_and_other_offices_get_404(stack: Stack, http: httpx.AsyncClient) -> None:
    applicant = await login(http, APPLICANT)
    permit, documents = await submitted_permit(http, applicant)
    resi, workflow_id = permit["resi"], permit["workflow_id"]
    assert permit["office"] == "dpmptsp"

    verifier, owner2 = await login(http, "verifikator1"), await login(http, "pemilik2")

    async def verification_task() -> dict | None:
        items = (await http.get("/api/v1/tasks", headers=verifier, params={"process": "permit"})).json()["items"]
        return next((t for t in items if t["subject_id"] == resi), None)

    task = await wait_for(verification_task, timeout=60)

    # The permit office's own staff see it, and its run says its office.
    assert (await http.get(f"/api/v1/permit-applications/{resi}", headers=verifier)).json()["office"] == "dpmptsp"
    own_run = await http.get(f"/api/v1/runs/{workflow_id}", headers=owner2)
    assert own_run.status_code == 200 and own_run.json()["office"] == "dpmptsp", own_run.text
    assert (await http.get(f"/api/v1/files/{documents['ktp']}", headers=verifier)).status_code == 200

    # The applicant's pages about the case speak for its office; so does the wizard sending to it.
    async with signed_in(http, APPLICANT) as browser:
        wizard = await browser.get("/izin/ajukan?kantor=dpmptsp")
        assert brand(wizard.text) == PERMIT_OFFICE_NAME and '<input type="hidden" name="office" value="dpmptsp">' in wizard.text
        case_page = await browser.get(f"/permohonan/{resi}")
        assert case_page.status_code == 200 and brand(case_page.text) == PERMIT_OFFICE_NAME
        assert brand((await http.get(f"/lacak/{resi}")).text) == PERMIT_OFFICE_NAME

    # The court's staff: its head and its administrator (roles that see every permit of their own office), its process
    # owner and its auditor reach nothing of the permit office's, not even whether it exists.
    head, court_admin = await login(http, "pimpinan1"), await login(http, "admin_ms")
    court_owner, court_auditor = await login(http, "pemilik1"), await login(http, "auditor1")
    for headers in (head, court_admin):
        assert (await http.get(f"/api/v1/permit-applications/{resi}", headers=headers)).status_code == 404
        assert (await http.get(f"/api/v1/permit-applications/{resi}/messages", headers=headers)).status_code == 404
        assert (await http.get(f"/api/v1/files/{documents['ktp']}", headers=headers)).status_code == 404
        for action in ("claim", "unclaim"):
            assert (await http.post(f"/api/v1/tasks/{task['id']}/{action}", headers=headers)).status_code == 404
        decided = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=headers, json={"outcome": "approve"})
        assert decided.status_code == 404, decided.text
    async with signed_in(http, "pimpinan1") as court_browser:
        assert (await court_browser.get(f"/staf/permohonan/{resi}")).status_code == 404
        assert (await court_browser.get(f"/inbox/{task['id']}")).status_code == 404
    async with signed_in(http, "pemilik1") as court_browser:
        assert (await court_browser.get(f"/proses/{workflow_id}")).status_code == 404
    assert (await http.get(f"/api/v1/runs/{workflow_id}", headers=court_owner)).status_code == 404
    cancelled = await http.post(f"/api/v1/runs/{workflow_id}/cancel", headers=court_owner, json={"reason": "uji isolasi"})
    assert cancelled.status_code == 404, cancelled.text
    reminded = await http.post(f"/api/v1/runs/{workflow_id}/tasks/{task['id']}/remind", headers=court_owner, json={})
    assert reminded.status_code == 404, reminded.text
    # Nor through the Temporal Web UI the gateway serves: it lists every office's runs, so no office's own staff may
    # open it (refused before it is asked; here it does not even run); above the offices, the inspectorate may.
    ui_run = f"/temporal/api/v1/namespaces/default/workflows/{workflow_id}"
    for office_staff in (court_owner, owner2):
        refused = await http.get(ui_run, headers=office_staff)
        assert refused.status_code == 403 and "semua kantor" in refused.text
    assert (await http.get(ui_run, headers=await login(http, "auditor_pusat"))).status_code == 503
    for path in ("history.json", "audit.pdf"):
        assert (await http.get(f"/api/v1/runs/{workflow_id}/{path}", headers=court_auditor)).status_code == 404
    assert (await http.post(f"/api/v1/runs/{workflow_id}/replay", headers=court_auditor, json={})).status_code == 404
    own_auditor = await login(http, "auditor2")
    assert (await http.get(f"/api/v1/runs/{workflow_id}/history.json", headers=own_auditor)).status_code == 200
    # The permit office's auditor gets the report headed by the permit office (the run index may not have the run yet).
    report = await http.get(f"/api/v1/runs/{workflow_id}/audit.pdf", headers=own_auditor)
    assert report.status_code == 200
    heading = " ".join((pypdf.PdfReader(io.BytesIO(report.content)).pages[0].extract_text() or "").split())
    assert PERMIT_OFFICE_NAME.upper() in heading and COURT_NAME.upper() not in heading, heading[:300]

    # Dashboards count their own office's work: the permit's open verification is the permit office's alone.
    def open_roles(board: dict) -> set[str]:
        return {row["role"] for row in board["figures"]["open_tasks"]["rows"]}

    assert "verifikator" in open_roles((await http.get("/api/v1/dashboards", headers=owner2)).json())
    assert "verifikator" not in open_roles((await http.get("/api/v1/dashboards", headers=court_owner)).json())

    # The installation's administrator is above every office and sees none of their cases.
    installation = await login(http, "admin")
    assert (await http.get(f"/api/v1/permit-applications/{resi}", headers=installation)).status_code == 404
    assert (await http.get("/api/v1/letters", headers=installation)).status_code == 403

    # The court's leave: its own people see it, Kemenag's front office does not.
    leave = await leave_of(http, await login(http, "pegawai1"))
    assert leave["office"] == "ms-lhokseumawe"
    front_office = await login(http, "fo1")
    assert (await http.get(f"/api/v1/leave-requests/{leave['id']}", headers=front_office)).status_code == 404
    async with signed_in(http, "fo1") as kemenag_browser:
        assert (await kemenag_browser.get(f"/cuti/{leave['id']}")).status_code == 404


async def test_a_kiosk_takes_numbers_of_its_own_office(stack: Stack, http: httpx.AsyncClient) -> None:
    kiosk = await http.get("/kantor/kemenag-lamongan/antrian")
    assert kiosk.status_code == 200 and brand(kiosk.text) == KEMENAG_NAME
    assert 'action="/kantor/kemenag-lamongan/antrian/A"' in kiosk.text
    taken = await http.post("/kantor/kemenag-lamongan/antrian/A")
    assert taken.status_code == 303 and re.fullmatch(r"/kantor/kemenag-lamongan/antrian/tiket/\d+", taken.headers["location"])
    ticket_id = int(taken.headers["location"].rsplit("/", 1)[1])
    ticket = await http.get(taken.headers["location"])
    assert ticket.status_code == 200 and brand(ticket.text) == KEMENAG_NAME and "A-001" in ticket.text
    assert 'href="/kantor/kemenag-lamongan/antrian">Selesai' in ticket.text
    async with stack.db.sessionmaker() as session:
        row = await session.get(QueueTicket, ticket_id)
        assert row is not None and row.office_id == await office_id(stack, "kemenag-lamongan")

    # Offices without a counter have no kiosk, and another office's kiosk does not show this ticket.
    assert (await http.get("/kantor/ms-lhokseumawe/antrian")).status_code == 404
    assert (await http.post("/kantor/dpmptsp/antrian/A")).status_code == 404
    assert (await http.get(f"/kantor/dpmptsp/antrian/tiket/{ticket_id}")).status_code == 404
    refused = await http.post("/api/v1/queue/A/tickets", params={"office": "ms-lhokseumawe"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "office"
    # The API names the office the same way; the number goes on in that office's queue.
    second = await http.post("/api/v1/queue/A/tickets", params={"office": "kemenag-lamongan"})
    assert second.status_code == 201 and second.json()["number"] == "A-002"

    # Kemenag's counter calls its own numbers.
    front_office = await login(http, "fo1")
    called = await http.post("/api/v1/counters/1/call-next", headers=front_office, json={})
    assert called.status_code == 200 and called.json()["number"] == "A-001", called.text


async def test_whatsapp_to_the_court_is_the_courts_conversation(stack: Stack, http: httpx.AsyncClient) -> None:
    phone = "6281299990001"
    settings = stack.db.settings
    event = {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "6281100000001", "phone_number_id": "6281100000001"},
        "contacts": [{"profile": {"name": "Warga Uji"}, "wa_id": phone}],
        "messages": [{"from": phone, "id": "wamid.OFFICES1", "timestamp": str(int(time.time())), "type": "text", "text": {"body": "halo"}}],
    }}]}]}
    body = json.dumps(event).encode()
    received = await http.post("/webhooks/whatsapp", content=body,
                               headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(settings.whatsapp_app_secret, body)})
    assert received.status_code == 200, received.text
    async with stack.db.sessionmaker() as session:
        row = await session.scalar(select(WhatsAppConversation).where(WhatsAppConversation.phone == phone))
        assert row is not None and row.office_id == await office_id(stack, "ms-lhokseumawe")

    async def auto_reply() -> str | None:
        async with stack.db.sessionmaker() as session:
            found = await session.scalar(select(Notification.body).where(Notification.channel == "whatsapp", Notification.address == phone))
        return found

    reply = await wait_for(auto_reply, timeout=60)
    # The court's assistant greets as the court and offers what the court offers: not Kemenag's counter or the permits.
    assert COURT_NAME in reply and "Legalisir" not in reply and "Perizinan daring" not in reply, reply
    assert "/pengaduan?kantor=ms-lhokseumawe" in reply and "SIRAMASAKAN" in reply

    court_info = await login(http, "info2")
    assert phone in {c["phone"] for c in (await http.get("/api/v1/whatsapp/conversations", headers=court_info)).json()["items"]}
    kemenag_info = await login(http, "fo1")  # a front office with the WhatsApp reply roles, of another office
    assert phone not in {c["phone"] for c in (await http.get("/api/v1/whatsapp/conversations", headers=kemenag_info)).json()["items"]}
    assert (await http.get(f"/api/v1/whatsapp/conversations/{phone}", headers=kemenag_info)).status_code == 404
