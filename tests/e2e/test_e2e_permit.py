"""End to end over HTTP: an applicant applies for a permit, the verifier returns it for revision,
the applicant fixes it, the verifier approves, the head signs with the TTE passphrase, the applicant
downloads the signed permit once, a second download is refused, and anyone can track it by resi."""

import asyncio
import io

import httpx
import pytest
from reportlab.pdfgen import canvas

from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from tests.factories import login, wait_for

APPLICANT = "3374010101900001"


def small_pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


async def upload(http: httpx.AsyncClient, headers: dict, name: str) -> str:
    response = await http.post("/api/v1/files", headers=headers, data={"name": name},
                               files={"file": (f"{name}.pdf", small_pdf(name), "application/pdf")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def application_body(documents: dict, **overrides) -> dict:
    body = {
        "permit_type": "izin_reklame", "request_kind": "baru",
        "applicant": {"phone": "6281234567890"},
        "company": {"name": "CV Sinar Terang", "nib": "9120001234567", "npwp": "012345678901000"},
        "location": {"street": "Jl. Pemuda No. 12", "rt": "3", "rw": "5", "latitude": -6.9826, "longitude": 110.4093},
        "details": {"jenis_reklame": "Baliho", "naskah_reklame": "Diskon Akhir Tahun", "panjang_m": 4, "lebar_m": 6,
                    "jumlah_muka": 1, "tanggal_mulai_tayang": "2027-01-04"},
        "documents": documents, "declaration": True,
    }
    body.update(overrides)
    return body


async def task_for(http: httpx.AsyncClient, headers: dict, resi: str, key: str) -> dict:
    async def find():
        items = (await http.get("/api/v1/tasks", headers=headers, params={"process": "permit"})).json()["items"]
        return next((t for t in items if t["subject_id"] == resi and t["id"].endswith(key)), None)

    return await wait_for(find)


async def stage_of(http: httpx.AsyncClient, headers: dict, resi: str, stage: str) -> dict:
    async def reached():
        body = (await http.get(f"/api/v1/permit-applications/{resi}", headers=headers)).json()
        return body if body["stage"] == stage else None

    return await wait_for(reached)


@pytest.fixture
async def http(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=60) as client:
        yield client


async def test_register_apply_revise_sign_download_once_track_survey(http, live_stack):
    from tests.e2e.test_applicants import bearer, register_applicant

    registered = await register_applicant(http, live_stack.settings.maildir)
    applicant = await bearer(http, registered["nik"])
    verifier, head = await login(http, "verifikator1"), await login(http, "kepala1")
    names = ["surat_permohonan", "ktp", "npwp", "desain_reklame", "foto_lokasi", "denah_lokasi"]
    documents = {name: await upload(http, applicant, name) for name in names}

    # Refusals first: nothing starts.
    missing = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body({k: v for k, v in documents.items() if k != "ktp"}))
    assert missing.status_code == 422 and "KTP" in missing.json()["detail"].upper()
    abroad = application_body(documents, location={"street": "Orchard Road", "latitude": 1.30, "longitude": 103.83})
    assert (await http.post("/api/v1/permit-applications", headers=applicant, json=abroad)).status_code == 422
    assert (await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents, declaration=False))).status_code == 422

    created = await http.post("/api/v1/permit-applications", headers=applicant, json=application_body(documents))
    assert created.status_code == 201, created.text
    resi = created.json()["resi"]
    assert len(resi) == 6 and resi == resi.upper() and int(resi, 16) >= 0
    assert created.json()["status"] == "in_process"
    receipt = await http.get(f"/api/v1/permit-applications/{resi}/receipt.pdf", headers=applicant)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    # Another applicant sees nothing of it.
    other = await _other_applicant(http, live_stack)
    assert (await http.get(f"/api/v1/permit-applications/{resi}", headers=other)).status_code == 404
    assert (await http.get(f"/api/v1/files/{documents['ktp']}", headers=other)).status_code == 404

    # Returned for revision; the applicant fixes it.
    task = await task_for(http, verifier, resi, "verifikasi-1")
    assert [o["name"] for o in task["outcomes"]] == ["approve", "revise", "reject"]
    no_notes = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=verifier, json={"outcome": "revise"})
    assert no_notes.status_code == 422
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=verifier,
                            json={"outcome": "revise", "reason": "Naskah reklame belum sesuai desain"})).status_code == 200
    returned = await stage_of(http, applicant, resi, "revision")
    assert returned["status"] == "revision" and returned["revision_notes"] == "Naskah reklame belum sesuai desain"
    fixed = application_body(documents)
    fixed["details"]["naskah_reklame"] = "Diskon Akhir Tahun 50%"
    resubmitted = await http.put(f"/api/v1/permit-applications/{resi}", headers=applicant, json=fixed)
    assert resubmitted.status_code == 200, resubmitted.text
    assert (await http.put(f"/api/v1/permit-applications/{resi}", headers=applicant, json=fixed)).status_code == 409

    task = await task_for(http, verifier, resi, "verifikasi-2")
    detail = (await http.get(f"/api/v1/permit-applications/{resi}", headers=verifier)).json()
    assert [r["round"] for r in detail["revisions"]] == [1, 2]
    assert detail["revisions"][1]["snapshot"]["details"]["naskah_reklame"] == "Diskon Akhir Tahun 50%"
    assert any("detail permohonan" in t["title"] for t in detail["timeline"] if t["kind"] == "resubmitted")
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=verifier, json={"outcome": "approve"})).status_code == 200

    # The head signs with the TTE passphrase; a wrong one is refused and the task stays open.
    task = await task_for(http, head, resi, "tte-1")
    sign = next(o for o in task["outcomes"] if o["name"] == "sign")
    assert sign["requires_tte"] is True
    wrong = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=head, json={"outcome": "sign", "data": {"passphrase": "salah"}})
    assert wrong.status_code == 422 and "Passphrase TTE salah" in wrong.json()["detail"]
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=head,
                            json={"outcome": "sign", "data": {"passphrase": "Demo12345"}})).status_code == 200

    ready = await stage_of(http, applicant, resi, "ready_for_download")
    assert ready["status"] == "finished" and ready["permit_number"]
    assert ready["working_days"] == {"office": 0, "applicant": 0}, "handled within one day: no working day has elapsed"

    # The permit's file gone from the storage (a restore without it): refused in Bahasa before the one download is
    # spent, and downloadable once the file is back.
    stored_permit = live_stack.settings.documents_dir / f"{ready['verification_url'].rsplit('/', 1)[1]}.pdf"
    stored_permit.rename(stored_permit.with_suffix(".kembali"))
    lost = await http.get(f"/api/v1/permit-applications/{resi}/permit.pdf", headers=applicant)
    assert lost.status_code == 404 and lost.json()["code"] == "content_missing", lost.text
    assert lost.json()["detail"] == "Berkas izin tidak ditemukan di penyimpanan berkas. Hubungi petugas kantor layanan."
    stored_permit.with_suffix(".kembali").rename(stored_permit)

    first = await http.get(f"/api/v1/permit-applications/{resi}/permit.pdf", headers=applicant)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    verdict = await verify_document(first.content, load_or_create_signing_identity(live_stack.settings))
    assert verdict["valid"] and verdict["intact"]
    tampered = bytearray(first.content)
    index = tampered.find(ready["permit_number"].encode())
    if index < 0:  # the number sits in a compressed stream: change a byte inside the signed range instead
        index = len(tampered) // 3
    tampered[index] ^= 0x01
    assert not (await verify_document(bytes(tampered), load_or_create_signing_identity(live_stack.settings)))["valid"]
    second = await http.get(f"/api/v1/permit-applications/{resi}/permit.pdf", headers=applicant)
    assert second.status_code == 410 and "sudah pernah diunduh" in second.json()["detail"]
    other_document = await http.get(f"/dokumen/{ready['verification_url'].rsplit('/', 1)[1]}.pdf", headers=other)
    assert other_document.status_code == 404
    notices = [m for m in (await http.get("/dev/outbox")).json() if m["channel"] == "email" and m["to"] == registered["email"]]
    subjects = " | ".join(m["subject"] for m in notices)
    for expected in ("Permohonan diterima", "perlu diperbaiki", "Perbaikan diterima", "disetujui verifikator", "Izin siap diunduh"):
        assert expected in subjects, f"no email '{expected}' in: {subjects}"

    # Public tracking: the status and the timeline, nothing personal.
    tracked = await http.get(f"/api/v1/tracking/{resi}")
    assert tracked.status_code == 200
    body = tracked.text
    assert tracked.json()["status_label"] == "Selesai" and tracked.json()["timeline"]
    assert registered["nik"] not in body and registered["full_name"] not in body and "Pemuda" not in body
    assert (await http.get("/api/v1/tracking/ZZZZZZ")).status_code == 404

    # The IKM survey: once, after the permit is finished.
    answers = {"answers": {f"u{i}": 4 for i in range(1, 10)}, "integrity": {f"i{i}": False for i in range(1, 10)}, "comment": "Cepat"}
    survey = await http.post(f"/api/v1/permit-applications/{resi}/survey", headers=applicant, json=answers)
    assert survey.status_code == 201, survey.text
    assert (survey.json()["ikm"], survey.json()["grade"]) == (100.0, "A")
    assert (await http.post(f"/api/v1/permit-applications/{resi}/survey", headers=applicant, json=answers)).status_code == 409


async def _other_applicant(http: httpx.AsyncClient, live_stack) -> dict:
    from tests.factories import applicant_user

    await applicant_user(live_stack.sessionmaker, nik="3374010101900777")
    await asyncio.sleep(0)
    return await login(http, "3374010101900777")
