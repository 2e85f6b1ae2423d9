"""End to end over HTTP (seed 004 §H): the front office records an incoming letter, the back office sorts
it for the head's disposition, the front office registers it (receipt and blank disposition sheet), the
head disposes it to two units, the back office uploads and attaches the scan, the courier records the
delivery. Also an outgoing number request through the API, and the letter pages as a browser posts them."""

import re
from datetime import timedelta

import httpx
import pytest

from gateway.deps import SESSION_COOKIE
from gateway.services.people import office_today
from tests.e2e.test_e2e_permit import small_pdf
from tests.factories import login, wait_for
from tests.workflows.test_letters_workflow import PNG

APPLICANT = "3374010101900001"


@pytest.fixture
async def http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as client:
        yield client


async def pending(http: httpx.AsyncClient, headers: dict, code: str, key: str) -> dict:
    """The letter once its current step is the task `key` (the next task opens a moment after a decision)."""
    async def reached():
        body = (await http.get(f"/api/v1/letters/{code}", headers=headers)).json()
        task = body.get("pending_task")
        return body if task and task["key"] == key else None

    return await wait_for(reached, timeout=60)


async def decide(http: httpx.AsyncClient, headers: dict, task_id: str, outcome: str, reason: str | None = None, **data) -> httpx.Response:
    return await http.post(f"/api/v1/tasks/{task_id}/decision", headers=headers, json={"outcome": outcome, "reason": reason, "data": data})


async def upload(http: httpx.AsyncClient, headers: dict, code: str, purpose: str, content: bytes, filename: str) -> httpx.Response:
    kind = "application/pdf" if filename.endswith(".pdf") else "image/png"
    return await http.post(f"/api/v1/letters/{code}/files", headers=headers, data={"purpose": purpose}, files={"file": (filename, content, kind)})


INCOMING = {"sender": "Kantor Wilayah Kementerian Agama Provinsi Aceh", "sender_number": "B-5120/Kw.01/OT.00/11/2026",
            "subject": "Undangan sosialisasi tata naskah dinas", "received_via": "kurir"}


async def test_incoming_letter_from_counter_to_delivery_with_the_heads_disposition(http, live_stack):
    fo, bo, head, courier = [await login(http, u) for u in ("fo1", "bo1", "kakan1", "caraka1")]
    body = {**INCOMING, "letter_date": (office_today() - timedelta(days=1)).isoformat()}

    # Refusals first: nothing is recorded.
    applicant = await login(http, APPLICANT)
    assert (await http.post("/api/v1/letters/incoming", headers=applicant, json=body)).status_code == 403
    assert (await http.post("/api/v1/letters/incoming", headers=bo, json=body)).json()["code"] == "forbidden"
    future = await http.post("/api/v1/letters/incoming", headers=fo, json={**body, "letter_date": (office_today() + timedelta(days=3)).isoformat()})
    assert future.status_code == 422 and future.json()["errors"][0] == {"field": "letter_date", "message": "Tanggal surat tidak boleh setelah hari ini."}
    via = await http.post("/api/v1/letters/incoming", headers=fo, json={**body, "received_via": "merpati"})
    assert via.status_code == 422 and "Pilih cara surat diterima" in via.json()["detail"]

    # The front office records it (a repeated submit with the same key records one letter).
    created = await http.post("/api/v1/letters/incoming", headers={**fo, "Idempotency-Key": "surat-e2e-1"}, json=body)
    assert created.status_code == 201, created.text
    code = created.json()["id"]
    assert created.json()["status"] == "diterima"
    again = await http.post("/api/v1/letters/incoming", headers={**fo, "Idempotency-Key": "surat-e2e-1"}, json=body)
    assert (again.status_code, again.json()["id"]) == (200, code)
    assert (await http.get(f"/api/v1/letters/{code}", headers=applicant)).status_code == 404
    assert (await http.get("/api/v1/letters", headers=applicant)).status_code == 403

    # The back office sorts it for the head's disposition.
    letter = await pending(http, bo, code, "pilah")
    task_id = letter["pending_task_id"]
    wrong = await decide(http, bo, task_id, "dipilah", classification="XX.01", category="biasa", route="disposisi_kepala")
    assert wrong.status_code == 422 and "Kode klasifikasi" in wrong.json()["detail"]
    assert (await decide(http, bo, task_id, "dipilah", classification="OT.00", category="penting", route="disposisi_kepala")).status_code == 200

    # The front office registers it: agenda number, receipt and the blank sheet, both printable.
    letter = await pending(http, fo, code, "registrasi")
    assert (await decide(http, fo, letter["pending_task_id"], "registrasi")).status_code == 200
    letter = await pending(http, head, code, "disposisi")
    agenda = letter["agenda_number"]
    assert agenda and agenda.endswith(f"/{office_today().year}") and letter["status"] == "terdaftar"
    printed = {d["kind"]: d["url"] for d in letter["documents"]}
    assert set(printed) == {"letter_receipt", "disposition_sheet_blank"}
    for url in printed.values():
        pdf = await http.get(url, headers=fo)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    # The head disposes it to two units with instructions.
    assert (await decide(http, head, letter["pending_task_id"], "disposisi", units=[])).status_code == 422
    assert (await decide(http, head, letter["pending_task_id"], "disposisi", units=["BIMAS", "PENMAD"],
                         instructions=["Untuk diketahui", "Untuk dipelajari dan dilaporkan"])).status_code == 200

    # The back office uploads the scan (a PDF, typed by its content) and attaches it.
    letter = await pending(http, bo, code, "pindai-1")
    picture = await upload(http, bo, code, "scan", PNG, "surat.pdf")
    assert picture.status_code == 422 and "bukan PDF" in picture.json()["detail"]
    assert (await upload(http, fo, code, "scan", small_pdf("Surat"), "surat.pdf")).status_code == 403
    scan = await upload(http, bo, code, "scan", small_pdf("Undangan sosialisasi"), "pindaian.pdf")
    assert scan.status_code == 201, scan.text
    assert (await decide(http, bo, letter["pending_task_id"], "unggah", scan_file_id=scan.json()["file_id"])).status_code == 200

    # The courier delivers it and records who received it.
    letter = await pending(http, courier, code, "distribusi")
    assert (await decide(http, courier, letter["pending_task_id"], "terkirim", received_by="Drs. Hasballah, M.Pd.")).status_code == 200

    async def distributed():
        body = (await http.get(f"/api/v1/letters/{code}", headers=fo)).json()
        return body if body["status"] == "terdistribusi" else None

    letter = await wait_for(distributed, timeout=60)
    assert letter["agenda_number"] == agenda and letter["pending_task_id"] is None and letter["delivered_to"] == "Drs. Hasballah, M.Pd."
    assert [u["code"] for u in letter["disposition"]["units"]] == ["BIMAS", "PENMAD"]
    assert {"letter_receipt", "disposition_sheet"} <= {d["kind"] for d in letter["documents"]}
    sheet = next(d for d in letter["documents"] if d["kind"] == "disposition_sheet")
    assert (await http.get(sheet["url"], headers=bo)).status_code == 200
    assert (await http.get(letter["files"]["scan"]["url"], headers=courier)).content.startswith(b"%PDF")
    steps = [e["kind"] for e in letter["timeline"] if not e["kind"].startswith("task_")]
    assert steps == ["received", "classified", "registered", "disposed", "scanned", "distributed"]
    decided = [e["outcome"] for e in letter["timeline"] if e["kind"] == "task_decided"]
    assert decided == ["dipilah", "registrasi", "disposisi", "unggah", "terkirim"]

    # The register finds it by its agenda number.
    found = (await http.get("/api/v1/letters", headers=head, params={"direction": "incoming", "q": agenda})).json()
    assert [i["id"] for i in found["items"]] == [code] and found["total"] == 1


async def test_outgoing_number_request_over_the_api(http, live_stack):
    clerk, officer = await login(http, "pegawai3"), await login(http, "penomoran2")
    body = {"subject": "Permohonan data pegawai", "recipient": "Kepala Biro Kepegawaian", "classification": "KP.00",
            "letter_date": office_today().isoformat()}
    # The court keeps no letter register in SatuPintu: its staff are told so.
    elsewhere = await http.post("/api/v1/letters/outgoing", headers=await login(http, "pegawai2"), json=body)
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "process_not_offered", elsewhere.text
    unknown = await http.post("/api/v1/letters/outgoing", headers=clerk, json={**body, "classification": "ZZ.00"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "classification"
    created = await http.post("/api/v1/letters/outgoing", headers=clerk, json=body)
    assert created.status_code == 201 and created.json()["status"] == "diajukan"
    code = created.json()["id"]

    letter = await pending(http, officer, code, "periksa-format")
    no_notes = await decide(http, officer, letter["pending_task_id"], "tolak")
    assert no_notes.status_code == 422 and "Alasan wajib diisi" in no_notes.json()["detail"]
    assert (await decide(http, officer, letter["pending_task_id"], "terima")).status_code == 200

    letter = await pending(http, clerk, code, "softcopy-1")
    assert (await upload(http, officer, code, "softcopy", small_pdf("x"), "x.pdf")).status_code == 403
    softcopy = await upload(http, clerk, code, "softcopy", small_pdf("Permohonan data pegawai"), "permohonan.pdf")
    assert softcopy.status_code == 201
    assert (await decide(http, clerk, letter["pending_task_id"], "unggah", softcopy_file_id=softcopy.json()["file_id"])).status_code == 200

    async def numbered():
        body = (await http.get(f"/api/v1/letters/{code}", headers=clerk)).json()
        return body if body["status"] == "bernomor" else None

    letter = await wait_for(numbered, timeout=60)
    assert "/KP.00/" in letter["number"] and letter["files"]["softcopy"]["file_id"] == softcopy.json()["file_id"]


def browser_like(live_stack, headers: dict) -> httpx.AsyncClient:
    """A client carrying the person's session cookie, as a signed-in browser does."""
    return httpx.AsyncClient(base_url=live_stack.base_url, timeout=60,
                             cookies={SESSION_COOKIE: headers["Authorization"].removeprefix("Bearer ")})


async def test_letter_pages_record_and_take_steps(http, live_stack):
    fo, bo = await login(http, "fo1"), await login(http, "bo1")
    async with browser_like(live_stack, fo) as fo_page, browser_like(live_stack, bo) as bo_page:
        form = await fo_page.get("/surat/masuk/baru")
        assert form.status_code == 200 and "Catat Surat Masuk" in form.text
        assert (await bo_page.get("/surat/masuk/baru")).status_code == 403

        # Every missing field gets its own message; what was typed stays.
        refused = await fo_page.post("/surat/masuk/baru", data={"sender": "Dinas Pendidikan Kota Lhokseumawe", "subject": ""})
        assert refused.status_code == 422
        for message in ("Nomor surat wajib diisi", "Perihal surat wajib diisi.", "Tanggal surat wajib diisi.", "Pilih cara surat diterima"):
            assert message in refused.text
        assert 'value="Dinas Pendidikan Kota Lhokseumawe"' in refused.text

        recorded = await fo_page.post("/surat/masuk/baru", data={
            "sender": "Dinas Pendidikan Kota Lhokseumawe", "sender_number": "421/77/Disdik/2026", "subject": "Permintaan data madrasah",
            "letter_date": office_today().isoformat(), "received_via": "asn", "client_key": "halaman-surat-0001"})
        assert recorded.status_code == 303, recorded.text
        page_url = recorded.headers["location"].split("?")[0]
        code = page_url.rsplit("/", 1)[-1]
        letter = await pending(http, bo, code, "pilah")

        # The back office sorts it from the letter's page; a letter going straight to a unit needs the unit.
        page = await bo_page.get(page_url)
        assert page.status_code == 200 and f'action="{page_url}/langkah"' in page.text and "Kode klasifikasi" in page.text
        sort = {"task_id": letter["pending_task_id"], "outcome": "dipilah", "data.classification": "PP.00", "data.category": "biasa",
                "data.route": "langsung_unit"}
        missing_unit = await bo_page.post(f"{page_url}/langkah", data=sort)
        assert missing_unit.status_code == 422 and "Pilih unit kerja tujuan" in missing_unit.text
        assert (await bo_page.post(f"{page_url}/langkah", data={**sort, "data.unit": "PENMAD"})).status_code == 303

        # The front office registers it with one button; someone not holding that step sees who does.
        letter = await pending(http, fo, code, "registrasi")
        assert letter["disposition"]["units"] == [{"code": "PENMAD", "name": "Seksi Pendidikan Madrasah"}]
        assert "Langkah ini dikerjakan oleh" in (await bo_page.get(page_url)).text
        assert (await fo_page.post(f"{page_url}/langkah", data={"task_id": letter["pending_task_id"], "outcome": "registrasi"})).status_code == 303

        # The scan is uploaded in the step's own form: a picture is refused by the field, a PDF goes through.
        letter = await pending(http, bo, code, "pindai-1")
        step = {"task_id": letter["pending_task_id"], "outcome": "unggah"}
        picture = await bo_page.post(f"{page_url}/langkah", data=step, files={"upload.scan_file_id": ("surat.pdf", PNG, "application/pdf")})
        assert picture.status_code == 422 and "bukan PDF" in picture.text
        scanned = await bo_page.post(f"{page_url}/langkah", data=step,
                                     files={"upload.scan_file_id": ("surat.pdf", small_pdf("Permintaan data"), "application/pdf")})
        assert scanned.status_code == 303
        letter = await pending(http, bo, code, "distribusi")
        assert letter["files"]["scan"] is not None

        # The register lists it.
        register = await bo_page.get("/surat", params={"q": code})
        assert register.status_code == 200 and code in register.text


async def test_a_secret_letter_is_seen_only_by_those_it_concerns(http, live_stack):
    fo, bo, head, clerk, archivist = [await login(http, u) for u in ("fo1", "bo1", "kakan1", "pegawai3", "arsiparis1")]
    created = await http.post("/api/v1/letters/incoming", headers=fo, json={
        **INCOMING, "subject": "Laporan pemeriksaan disiplin pegawai", "letter_date": office_today().isoformat()})
    code = created.json()["id"]
    letter = await pending(http, bo, code, "pilah")
    assert (await decide(http, bo, letter["pending_task_id"], "dipilah", classification="KP.00", category="rahasia",
                         route="disposisi_kepala")).status_code == 200
    letter = await pending(http, fo, code, "registrasi")
    assert (await decide(http, fo, letter["pending_task_id"], "registrasi")).status_code == 200
    letter = await pending(http, head, code, "disposisi")
    receipt = next(d["url"] for d in letter["documents"] if d["kind"] == "letter_receipt")
    # Colleagues it does not concern neither find the letter nor print its documents, counter staff included.
    for outsider in (clerk, archivist):
        assert (await http.get(f"/api/v1/letters/{code}", headers=outsider)).status_code == 404
        assert code not in [item["id"] for item in (await http.get("/api/v1/letters", headers=outsider, params={"q": code})).json()["items"]]
        assert (await http.get(receipt, headers=outsider)).status_code == 404
    for reader in (head, bo, fo):
        assert (await http.get(f"/api/v1/letters/{code}", headers=reader)).status_code == 200
        assert (await http.get(receipt, headers=reader)).status_code == 200


async def seen_by(http: httpx.AsyncClient, live_stack, headers: dict, code: str) -> dict[str, bool]:
    """Whether a person finds the letter on each road to it: the API's detail and register (search and the
    unfiltered first page), the pages' detail and register, and the scan."""
    detail = await http.get(f"/api/v1/letters/{code}", headers=headers)
    assert detail.status_code in (200, 404), detail.text
    searched = await http.get("/api/v1/letters", headers=headers, params={"q": code})
    newest = await http.get("/api/v1/letters", headers=headers, params={"direction": "incoming", "limit": 200})
    assert searched.status_code == newest.status_code == 200
    async with browser_like(live_stack, headers) as browser:
        page = await browser.get(f"/surat/{code}")
        register = await browser.get("/surat", params={"q": code})
    assert page.status_code in (200, 404) and register.status_code == 200
    return {"detail": detail.status_code == 200,
            "search": code in [i["id"] for i in searched.json()["items"]] and searched.json()["total"] >= 1,
            "register": code in [i["id"] for i in newest.json()["items"]],
            "page": page.status_code == 200, "register_page": f'href="/surat/{code}"' in register.text}


ALL_ROADS = {"detail": True, "search": True, "register": True, "page": True, "register_page": True}
NO_ROAD = dict.fromkeys(ALL_ROADS, False)


async def test_an_incoming_letter_is_seen_only_at_intake_and_by_the_leadership_until_it_is_sorted(http, live_stack):
    fo, bo, tu, head = [await login(http, u) for u in ("fo1", "bo1", "tu1", "kakan1")]
    outsiders = [await login(http, u) for u in ("pegawai3", "arsiparis1")]
    # Other offices' staff, the court's and the permit office's: it is never theirs.
    strangers = [await login(http, u) for u in ("pegawai1", "verifikator1")]
    created = await http.post("/api/v1/letters/incoming", headers=fo, json={
        **INCOMING, "subject": "Permohonan audiensi yang belum dipilah", "letter_date": office_today().isoformat()})
    assert created.status_code == 201, created.text
    code = created.json()["id"]

    # From the very first read, before the back office has sorted it: the intake desks and the leadership only.
    for outsider in outsiders:
        assert await seen_by(http, live_stack, outsider, code) == NO_ROAD
        scan = await http.get(f"/api/v1/letters/{code}/files/scan", headers=outsider)
        assert scan.status_code == 404 and scan.json()["detail"] == "Surat tidak ditemukan."
    for reader in (fo, bo, tu, head):
        assert await seen_by(http, live_stack, reader, code) == ALL_ROADS

    # Sorted as an ordinary letter, it is the whole office's, as before; still no other office's.
    letter = await pending(http, bo, code, "pilah")
    assert (await decide(http, bo, letter["pending_task_id"], "dipilah", classification="HM.00", category="biasa",
                         route="disposisi_tu")).status_code == 200
    await pending(http, fo, code, "registrasi")
    for outsider in outsiders:
        assert await seen_by(http, live_stack, outsider, code) == ALL_ROADS
    for stranger in strangers:
        assert await seen_by(http, live_stack, stranger, code) == NO_ROAD


async def test_a_letter_marked_secret_at_intake_stays_hidden_before_and_after_sorting(http, live_stack):
    fo, bo, head, courier = [await login(http, u) for u in ("fo1", "bo1", "kakan1", "caraka1")]
    outsiders = [await login(http, u) for u in ("pegawai3", "arsiparis1", "pegawai1", "verifikator1")]
    created = await http.post("/api/v1/letters/incoming", headers=fo, json={
        **INCOMING, "subject": "Laporan hasil pemeriksaan khusus", "letter_date": office_today().isoformat(), "confidential": True})
    assert created.status_code == 201, created.text
    code = created.json()["id"]
    for outsider in outsiders:
        assert await seen_by(http, live_stack, outsider, code) == NO_ROAD
    assert (created.json()["confidential"], created.json()["category"], created.json()["category_label"]) == (True, "rahasia", "Rahasia")

    # The back office's sorting starts at the front office's mark and keeps it unless it says why not.
    letter = await pending(http, bo, code, "pilah")
    form = letter["pending_task"]["form"]["properties"]
    assert form["category"]["default"] == "rahasia" and "category_change_reason" in form
    assert letter["pending_task"]["summary"]["Sifat saat dicatat"] == "Rahasia"
    silent = await decide(http, bo, letter["pending_task_id"], "dipilah", classification="KP.00", category="biasa", route="langsung_unit",
                          unit="TU")
    assert silent.status_code == 422 and "Alasan mengubah sifat rahasia" in silent.json()["detail"]
    assert (await decide(http, bo, letter["pending_task_id"], "dipilah", classification="KP.00", category="rahasia", route="langsung_unit",
                         unit="TU")).status_code == 200

    # Registered, scanned and on its way: still only those it concerns see it, its receipt and its scan.
    letter = await pending(http, fo, code, "registrasi")
    assert letter["category"] == "rahasia" and letter["classification"] == "KP.00"
    assert (await decide(http, fo, letter["pending_task_id"], "registrasi")).status_code == 200
    letter = await pending(http, bo, code, "pindai-1")
    scan = await upload(http, bo, code, "scan", small_pdf("Laporan hasil pemeriksaan"), "pindaian.pdf")
    assert (await decide(http, bo, letter["pending_task_id"], "unggah", scan_file_id=scan.json()["file_id"])).status_code == 200
    letter = await pending(http, courier, code, "distribusi")
    receipt = next(d["url"] for d in letter["documents"] if d["kind"] == "letter_receipt")
    for outsider in outsiders:
        assert await seen_by(http, live_stack, outsider, code) == NO_ROAD
        assert (await http.get(f"/api/v1/letters/{code}/files/scan", headers=outsider)).status_code == 404
        assert (await http.get(receipt, headers=outsider)).status_code == 404
    for reader in (fo, bo, head, courier):
        assert await seen_by(http, live_stack, reader, code) == ALL_ROADS
        assert (await http.get(letter["files"]["scan"]["url"], headers=reader)).content.startswith(b"%PDF")


async def test_the_intake_page_marks_a_letter_secret(http, live_stack):
    fo, bo, clerk = [await login(http, u) for u in ("fo1", "bo1", "pegawai3")]
    async with browser_like(live_stack, fo) as fo_page, browser_like(live_stack, bo) as bo_page:
        form = await fo_page.get("/surat/masuk/baru")
        assert 'name="confidential"' in form.text and "bertanda RAHASIA" in form.text
        # A refused submission keeps the mark ticked.
        refused = await fo_page.post("/surat/masuk/baru", data={"sender": "Inspektorat Jenderal", "confidential": "1"})
        assert refused.status_code == 422 and re.search(r'name="confidential" value="1"[^>]* checked', refused.text)
        recorded = await fo_page.post("/surat/masuk/baru", data={
            "sender": "Inspektorat Jenderal", "sender_number": "R-12/IJ/2026", "subject": "Tindak lanjut pengaduan masyarakat",
            "letter_date": office_today().isoformat(), "received_via": "kurir", "confidential": "1", "client_key": "halaman-rahasia-0001"})
        assert recorded.status_code == 303, recorded.text
        code = recorded.headers["location"].split("?")[0].rsplit("/", 1)[-1]
        assert (await http.get(f"/api/v1/letters/{code}", headers=clerk)).status_code == 404
        letter = await pending(http, bo, code, "pilah")
        assert letter["confidential"] is True

        # The back office's page starts the category at Rahasia and asks why when it is changed.
        page = await bo_page.get(f"/surat/{code}")
        assert re.search(r'name="data.category" value="rahasia"[^>]* checked', page.text) and "Alasan mengubah sifat rahasia" in page.text
        sort = {"task_id": letter["pending_task_id"], "outcome": "dipilah", "data.classification": "HM.00", "data.category": "biasa",
                "data.route": "disposisi_tu"}
        silent = await bo_page.post(f"/surat/{code}/langkah", data=sort)
        assert silent.status_code == 422 and "Alasan mengubah sifat rahasia" in silent.text
        changed = await bo_page.post(f"/surat/{code}/langkah", data={
            **sort, "data.category_change_reason": "Isi surat pemberitahuan umum; amplop salah cap."})
        assert changed.status_code == 303

    # Changed with its reason, the letter is the whole office's; the timeline says who changed the mark and why.
    letter = await pending(http, clerk, code, "registrasi")
    assert (letter["category"], letter["confidential"]) == ("biasa", False)
    classified = next(e for e in letter["timeline"] if e["kind"] == "classified")
    assert "tanda rahasia dari Front Office diubah" in classified["title"]
    assert classified["reason"] == "Isi surat pemberitahuan umum; amplop salah cap."
