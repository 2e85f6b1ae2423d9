"""The counter's walk-in pages as the officers use them, and the walk-in API over HTTP, against the whole
stack (real Temporal dev server, worker, gateway, the WhatsApp fake) on 127.0.0.1.

The info desk registers a visitor for Legalisir Ijazah from /kunjungan/baru (a wrong WhatsApp number and an
unknown queue number are refused by their fields, everything typed stays); the visitor hears of it over
WhatsApp; the front office opens the completeness check from the inbox, ticks two of the three requirements
and chooses "Lengkap" — the workflow refuses, naming what is missing — then ticks all three; the visit page
shows the receipt number and prints the 3-copy receipt; the dashboard lists the visit and finds it by code.
"""

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect
from pypdf import PdfReader
from starlette.datastructures import FormData

from gateway.pages.inbox import _form_data, _form_fields
from gateway.pages.walk_ins import _timing
from tests.browser.test_pages import open_task
from tests.browser.test_permit_pages import shot
from tests.chromium import DESKTOP, PHONE, WAIT_MS, assert_fits_the_screen, sign_in
from tests.factories import KEMENAG, applicant_user, login, speak_as_office, wait_for
from workflows.human_task import _check_form
from workflows.walk_in import _handover_form

LEGALISIR = "legalisir_ijazah"


def visitor_name() -> str:
    """A name no other test of the session uses (the stack is shared), in letters only as the form wants."""
    return "Rahmat " + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:7]).capitalize()


# --- the task form's widgets (pure functions of the workflow's form schema) ---------------------------------


def test_task_forms_render_choices_and_type_them_back():
    handover = _handover_form()
    fields = {f["name"]: f for f in _form_fields(handover)}
    assert fields["rating"]["widget"] == "radios" and [o["label"] for o in fields["rating"]["options"]][0] == "1 — Tidak puas"
    data = _form_data(FormData([("data.received_by", "Ahmad Fauzi"), ("data.rating", "4")]), list(fields.values()))
    assert data == {"received_by": "Ahmad Fauzi", "rating": 4}  # the rating goes back as the integer the workflow checks
    _check_form(handover, data)

    checklist = {"type": "object", "properties": {"present": {"type": "array", "title": "Persyaratan yang dibawa pemohon", "items": {
        "type": "string", "oneOf": [{"const": "ktp", "title": "KTP"}, {"const": "kk", "title": "Kartu Keluarga"}]}},
        "findings": {"type": "string", "title": "Temuan", "maxLength": 4000}, "location": {"type": "string", "maxLength": 300},
        "units": {"type": "array", "items": {"type": "string", "enum": [f"Unit {i}" for i in range(8)]}},
        "code": {"type": "string", "oneOf": [{"const": f"C{i}", "title": f"Kode {i}"} for i in range(9)]}}}
    fields = _form_fields(checklist)
    assert [f["widget"] for f in fields] == ["checkboxes", "textarea", "input", "checkboxes", "select"]
    ticked = _form_data(FormData([("data.present", "ktp"), ("data.present", "kk"), ("data.code", "C3")]), fields)
    assert ticked == {"present": ["ktp", "kk"], "units": [], "code": "C3"}
    _check_form(checklist, ticked)
    # Nothing ticked is an answer too; an unknown choice goes to the workflow as sent and is refused there by name.
    assert _form_data(FormData([("data.code", "ZZ")]), fields) == {"present": [], "units": [], "code": "ZZ"}


async def test_the_dashboard_reads_age_against_the_target(db):
    await speak_as_office(db.sessionmaker, KEMENAG)  # the counter's office: its calendar counts the days
    registered = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 08.00 WIB
    one_day = {"one_day": True, "service_code": LEGALISIR, "created_at": registered, "target_at": registered + timedelta(minutes=30),
               "age_minutes": 45, "overrun": True, "estimated_done_at": None, "finished_at": None}
    assert _timing(one_day, registered + timedelta(minutes=45)) == {"one_day": True, "over": True, "age": 45, "target": 30,
                                                                    "text": "45 / 30 menit"}
    waiting = {**one_day, "one_day": False, "service_code": "arah_kiblat", "target_at": None, "overrun": False, "age_minutes": 5}
    assert _timing(waiting, registered)["text"] == "Target 10 hari kerja sejak berkas diterima"
    # Received on Monday 23 November, due Monday 7 December: ten working days left (no holiday between).
    due = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    received = {**waiting, "estimated_done_at": due, "target_at": due}
    assert _timing(received, registered)["days_left"] == 10 and _timing(received, registered)["text"] == "10 hari kerja lagi"
    assert _timing({**received, "overrun": True}, due + timedelta(hours=1))["text"] == "Melewati perkiraan selesai"


# --- the API over HTTP -------------------------------------------------------------------------------------------


async def test_walk_in_api_refuses_what_it_should_and_registers_once(http, live_stack):
    services = (await http.get("/api/v1/walk-in-services")).json()
    assert len(services) == 7 and all(s["requirements"] and {"code", "name", "one_day"} <= s.keys() for s in services)
    assert {s["code"]: s["one_day"] for s in services}[LEGALISIR] is True and sum(not s["one_day"] for s in services) == 3

    body = {"service_code": LEGALISIR, "visitor": {"name": visitor_name(), "phone": "0813 5555 0301"}}
    assert (await http.post("/api/v1/walk-ins", json=body)).status_code == 401

    employee = await login(http, "pegawai3")  # of the Kemenag office, not at its counter
    refused = await http.post("/api/v1/walk-ins", headers=employee, json=body)
    assert refused.status_code == 403 and "Petugas Informasi, Front Office, atau Supervisor" in refused.json()["detail"]
    assert (await http.get("/api/v1/walk-ins/dashboard", headers=employee)).status_code == 403

    info = await login(http, "info1")
    bad = await http.post("/api/v1/walk-ins", headers=info, json={"service_code": "terbang", "visitor": {
        "name": "Ahmad Fauzi", "phone": "12345", "nik": "3374"}})
    assert bad.status_code == 422
    errors = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert errors == {"service_code": "Pilih layanan dari daftar.",
                      "visitor.phone": "No. WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit.",
                      "visitor.nik": "NIK harus 16 digit angka."}

    key = {"Idempotency-Key": uuid.uuid4().hex}
    created = await http.post("/api/v1/walk-ins", headers={**info, **key}, json=body)
    assert created.status_code == 201, created.text
    visit = created.json()
    assert visit["status"] == "registered" and visit["visitor"]["phone"] == "6281355550301"
    again = await http.post("/api/v1/walk-ins", headers={**info, **key}, json=body)
    assert again.status_code == 200 and again.json()["id"] == visit["id"]

    async def with_timeline():
        read = (await http.get(f"/api/v1/walk-ins/{visit['id']}", headers=info)).json()
        return read if read["timeline"] and read["pending_tasks"] else None

    read = await wait_for(with_timeline)
    assert read["pending_tasks"][0]["role"] == "front_office" and "Kunjungan didaftarkan" in read["timeline"][0]["title"]

    await applicant_user(live_stack.sessionmaker, nik="3374010101900551")
    applicant = await login(http, "3374010101900551")
    assert (await http.get(f"/api/v1/walk-ins/{visit['id']}", headers=applicant)).status_code == 404


async def test_pages_and_navigation_follow_the_roles(http, live_stack):
    info, employee, back_office = await login(http, "info1"), await login(http, "pegawai3"), await login(http, "bo1")
    visit = (await http.post("/api/v1/walk-ins", headers=info, json={"service_code": "arah_kiblat", "visitor": {"name": visitor_name()}})).json()

    def nav(html: str) -> set[str]:
        menu = html[html.index('aria-label="Navigasi utama"'):html.index("</nav>")]
        return {label for label in ("Loket", "Kunjungan", "Surat", "WhatsApp") if f">{label}</a>" in menu}

    home = await http.get("/", headers=info)
    assert nav(home.text) == {"Loket", "Kunjungan", "Surat", "WhatsApp"}
    assert nav((await http.get("/", headers=back_office)).text) == {"Kunjungan", "Surat"}
    assert nav((await http.get("/", headers=employee)).text) == {"Surat"}

    # Someone outside the counter: the dashboard and the form are refused in words, a visit is not found.
    dashboard = await http.get("/kunjungan", headers=employee)
    assert dashboard.status_code == 403 and "Hanya petugas PTSP yang dapat melihat dasbor loket." in dashboard.text
    form = await http.get("/kunjungan/baru", headers=employee)
    assert form.status_code == 403 and "Petugas Informasi, Front Office, atau Supervisor" in form.text
    assert (await http.get(f"/kunjungan/{visit['id']}", headers=employee)).status_code == 404
    # The back office sees the visit but does not register visitors.
    page = await http.get(f"/kunjungan/{visit['id']}", headers=back_office)
    assert page.status_code == 200 and "Non one day service, target 10 hari kerja" in page.text
    assert "Target 10 hari kerja sejak berkas diterima" in page.text  # no receipt yet, so no estimated completion
    assert (await http.get("/kunjungan/baru", headers=back_office)).status_code == 403
    # Without signing in: to the sign-in page, and back here afterwards.
    anonymous = await http.get("/kunjungan", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/masuk?next=/kunjungan"


# --- the counter in the browser ------------------------------------------------------------------------------------


@pytest.mark.browser
async def test_info_desk_registers_and_front_office_checks_the_papers(browser, live_stack):
    name = visitor_name()
    info, page = await sign_in(browser, live_stack.base_url, "info1")
    await page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Kunjungan").click()
    await expect(page.get_by_role("heading", name="Kunjungan Loket", level=1)).to_be_visible()
    await page.get_by_role("link", name="Daftarkan Pengunjung").click()
    await expect(page.get_by_role("heading", name="Daftarkan Pengunjung", level=1)).to_be_visible()

    # /loket links here with the called number; the form carries it.
    await page.goto("/kunjungan/baru?antrian=c-999")
    await expect(page.get_by_label("Nomor antrian")).to_have_value("C-999")
    # Choosing the service shows its requirements and procedure, to explain them to the visitor.
    await page.get_by_label("Layanan").select_option(LEGALISIR)
    await expect(page.locator("#info-layanan")).to_contain_text("Ijazah / transkrip asli untuk dicocokkan")
    await expect(page.locator("#info-layanan")).to_contain_text("Prosedur")
    await page.get_by_label("Nama pemohon").fill(name)
    await page.get_by_label("No. WhatsApp").fill("12345")
    await page.get_by_role("button", name="Daftarkan Kunjungan").click()
    await expect(page.locator(".field-error").filter(has_text="No. WhatsApp tidak valid")).to_be_visible()
    await expect(page.get_by_label("Nama pemohon")).to_have_value(name)
    await expect(page.get_by_label("Layanan")).to_have_value(LEGALISIR)
    await expect(page.locator("#info-layanan")).to_contain_text("Ijazah / transkrip asli untuk dicocokkan")

    await page.get_by_label("No. WhatsApp").fill("0813 5555 0101")
    await page.get_by_role("button", name="Daftarkan Kunjungan").click()
    await expect(page.locator(".field-error").filter(has_text="Nomor antrian C-999 tidak ada untuk hari ini")).to_be_visible()
    await expect(page.get_by_label("No. WhatsApp")).to_have_value("0813 5555 0101")
    await page.get_by_label("Nomor antrian").fill("")
    await assert_fits_the_screen(page)
    await shot(page, "kunjungan-1-baru")
    await page.get_by_role("button", name="Daftarkan Kunjungan").click()
    await page.wait_for_url(re.compile(r"/kunjungan/K[0-9A-F]{6}\?pesan=terdaftar$"))
    code = re.search(r"/kunjungan/(K[0-9A-F]{6})", page.url).group(1)
    await expect(page.get_by_role("status").first).to_contain_text("Kunjungan telah didaftarkan")
    await expect(page.locator("#status-kunjungan")).to_contain_text("Menunggu pemeriksaan kelengkapan")
    await expect(page.get_by_text("Apa selanjutnya")).to_be_visible()
    await shot(page, "kunjungan-2-terdaftar")
    # The visitor hears of it over WhatsApp, with the requirements (seed 000 §3, method 2).
    async def greeting():
        return [m["text"] for m in live_stack.whatsapp.messages(to="6281355550101") if code in m["text"]]

    assert "Ijazah / transkrip asli untuk dicocokkan" in (await wait_for(greeting))[0]

    # The front office opens the completeness check from the inbox.
    office, fo = await sign_in(browser, live_stack.base_url, "fo1")
    await open_task(fo, name)
    await expect(fo.get_by_role("link", name="Lihat kunjungan lengkap dan riwayatnya")).to_have_attribute("href", f"/kunjungan/{code}")
    checklist = fo.get_by_role("group", name="Persyaratan yang dibawa pemohon")
    await expect(checklist.get_by_role("checkbox")).to_have_count(3)
    await checklist.get_by_role("checkbox", name=re.compile("^Fotokopi ijazah")).check()
    await checklist.get_by_role("checkbox", name=re.compile("^KTP pemilik ijazah")).check()
    await fo.get_by_role("radio", name=re.compile("^Lengkap")).check()
    await fo.get_by_role("button", name="Kirim Keputusan").click()
    # The workflow refuses: a mandatory requirement is missing, and it says which; the ticks stay.
    await expect(fo.get_by_role("alert")).to_contain_text("Persyaratan wajib belum ada: Ijazah / transkrip asli untuk dicocokkan")
    await expect(checklist.get_by_role("checkbox", name=re.compile("^KTP pemilik ijazah"))).to_be_checked()
    await expect(checklist.get_by_role("checkbox", name="Ijazah / transkrip asli untuk dicocokkan")).not_to_be_checked()
    await expect(fo.get_by_role("radio", name=re.compile("^Lengkap"))).to_be_checked()
    await assert_fits_the_screen(fo)
    await shot(fo, "kunjungan-3-kelengkapan-ditolak")

    await checklist.get_by_role("checkbox", name="Ijazah / transkrip asli untuk dicocokkan").check()
    await fo.get_by_role("button", name="Kirim Keputusan").click()
    await fo.wait_for_url(re.compile(r"/inbox\?pesan="))
    await expect(fo.get_by_role("status").first).to_contain_text("Keputusan Anda telah dikirim")

    # The visit page (it refreshes itself) shows the receipt number and prints the receipt: one PDF, three copies.
    await fo.goto(f"/kunjungan/{code}")
    status = fo.locator("#status-kunjungan")
    await expect(status).to_contain_text("Dalam proses", timeout=WAIT_MS)
    await expect(status).to_contain_text("Penelitian berkas oleh Back Office")
    receipt_link = fo.get_by_role("link", name=re.compile(r"^Cetak Tanda Terima \(rangkap 3\)"))
    await expect(receipt_link).to_be_visible(timeout=WAIT_MS)
    receipt_number = (await status.locator("dt", has_text="Nomor tanda terima").locator("xpath=following-sibling::dd").inner_text()).strip()
    assert receipt_number and not receipt_number.startswith("Belum")
    pdf = await office.request.get(await receipt_link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(await pdf.body()))
    assert len(reader.pages) == 3
    assert all(receipt_number in p.extract_text() for p in reader.pages)
    await expect(status.locator(".timeline")).to_contain_text("Berkas lengkap dan diterima")
    await fo.set_viewport_size(PHONE)
    await assert_fits_the_screen(fo)
    await fo.set_viewport_size(DESKTOP)
    await shot(fo, "kunjungan-4-tanda-terima")

    # The dashboard lists the open visit with its age against the 30-minute target, and the search finds it.
    await fo.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Kunjungan").click()
    row = fo.locator(f"#terbuka-{code}")
    await expect(row).to_contain_text(name)
    await expect(row).to_contain_text("/ 30 menit")
    await expect(row).to_contain_text("Penelitian berkas oleh Back Office")
    await fo.get_by_label(re.compile("^Cari kode kunjungan")).fill(receipt_number)
    await fo.get_by_role("button", name="Cari").click()
    await expect(fo.locator("#hasil-pencarian")).to_contain_text("1 kunjungan cocok")
    await expect(fo.locator(f"#hasil-{code}")).to_contain_text(name)
    await shot(fo, "kunjungan-5-dasbor")
    await fo.set_viewport_size(PHONE)
    await assert_fits_the_screen(fo)
    await office.close()
    await info.close()
