"""End to end over HTTP, at the permit office: a public complaint with a photo (a PNG accepted, PHP named .jpg refused) followed on
public tracking through verifikasi → tindak lanjut → selesai with nothing personal and no free text shown (the answer
reaches the complainant by WhatsApp); an applicant's
complaint linked to their own application and refused for another's; the staff list shows them."""

import io
import secrets

import httpx
from PIL import Image
from sqlalchemy import select

from store.models import PermitApplication, User
from tests.factories import PERMIT_OFFICE, applicant_user, login, office_ids, wait_for

NIK, PHONE = "3374010101900001", "081234567891"
RESPONSE = "Kami telah menambah satu petugas loket; antrean kini rata-rata 30 menit."


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


FIELDS = {"category": "layanan", "title": "Antrean loket terlalu lama", "content": "Saya menunggu lebih dari tiga jam di loket tanpa kejelasan.",
          "nik": NIK, "phone": PHONE, "incident_date": "2026-01-05", "office": "dpmptsp"}


async def decide_step(http: httpx.AsyncClient, headers: dict, tracking: str, key: str, outcome: str, **body) -> None:
    async def pending():
        detail = (await http.get(f"/api/v1/complaints/{tracking}", headers=headers)).json()
        return next((t for t in detail.get("pending_tasks", []) if t["id"].endswith(f".{key}")), None)

    task = await wait_for(pending)
    response = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=headers, json={"outcome": outcome, **body})
    assert response.status_code == 200, response.text


async def _sent_to_complainant(http: httpx.AsyncClient, text: str) -> dict | None:
    return next((m for m in (await http.get("/dev/outbox")).json() if "81234567891" in (m["to"] or "") and text in (m["body"] or "")), None)


async def _application(sessionmaker, owner: User) -> str:
    resi = secrets.token_hex(3).upper()
    permit_office = (await office_ids(sessionmaker))[PERMIT_OFFICE]
    async with sessionmaker() as session:
        session.add(PermitApplication(office_id=permit_office, resi=resi, applicant_id=owner.id, agency_code="dpmptsp", permit_type="reklame",
                                      request_kind="baru", status="in_process", stage="verification", workflow_id=f"permit-{resi}", applicant_data={},
                                      location={}, details={}))
        await session.commit()
    return resi


async def test_public_complaint_with_photo_tracked_to_the_answer(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        php = await http.post("/api/v1/complaints", data=FIELDS, files=[("photos", ("foto.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"))])
        assert php.status_code == 422 and "PHP" in php.json()["detail"], php.text
        future = await http.post("/api/v1/complaints", json={**FIELDS, "incident_date": "2999-01-01"})
        assert future.status_code == 422 and "masa depan" in future.json()["detail"]

        filed = await http.post("/api/v1/complaints", data=FIELDS, files=[("photos", ("antrean.png", png(), "image/png"))])
        assert filed.status_code == 201, filed.text
        tracking = filed.json()["tracking_number"]
        assert tracking.startswith("ADU-") and filed.json()["stage"] == "verifikasi"

        async def tracked(stage: str):
            body = (await http.get(f"/api/v1/complaints/track/{tracking}")).json()
            return body if body["stage"] == stage else None

        first = await tracked("verifikasi")
        assert first and NIK not in str(first) and "1234567891" not in str(first) and "response" not in first

        admin, head, officer, unit_head = [await login(http, u) for u in ("pengaduan1", "kepala1", "verifikator1", "kasi1")]
        staff_view = (await http.get(f"/api/v1/complaints/{tracking}", headers=admin)).json()
        assert staff_view["photos"][0]["media_type"] == "image/png" and staff_view["nik"] == NIK
        listed = (await http.get("/api/v1/complaints", headers=admin, params={"stage": "verifikasi"})).json()["items"]
        assert tracking in [c["tracking_number"] for c in listed]
        # The court takes complaints too (Kritis): its complaints officer neither lists nor opens the permit office's.
        court = await login(http, "kritis1")
        assert tracking not in [c["tracking_number"] for c in (await http.get("/api/v1/complaints", headers=court)).json()["items"]]
        assert (await http.get(f"/api/v1/complaints/{tracking}", headers=court)).status_code == 404

        await decide_step(http, admin, tracking, "verifikasi", "valid")
        assert await wait_for(lambda: tracked("tindak_lanjut"))
        await decide_step(http, head, tracking, "disposisi", "disposisi",
                          data={"unit": "PERIZINAN", "officer": "verifikator1", "instructions": "Segera tanggapi."})
        await decide_step(http, officer, tracking, "tindak-lanjut-1", "kirim_tanggapan", data={"response": RESPONSE})
        await decide_step(http, unit_head, tracking, "persetujuan-1", "setujui")
        done = await wait_for(lambda: tracked("selesai"))
        # Public tracking says it was answered and when; the answer itself goes to the complainant (issue 14 item 15).
        assert done["status"] == "selesai" and done["responded_at"] and "response" not in done
        assert NIK not in str(done) and "1234567891" not in str(done) and RESPONSE not in str(done)
        told = await wait_for(lambda: _sent_to_complainant(http, RESPONSE))
        assert told["channel"] == "whatsapp"

        detail = (await http.get(f"/api/v1/complaints/{tracking}", headers=admin)).json()
        assert detail["letter_number"].startswith("ND-") and detail["letter_url"]
        assert any("Didisposisikan" in e["title"] for e in detail["timeline"])
        stats = (await http.get("/api/v1/complaints/stats", headers=admin)).json()
        assert stats["response_times"]["all"]["count"] >= 1
        page = await http.get(f"/pengaduan/lacak/{tracking}")
        assert page.status_code == 200 and "tanggapan kantor telah dikirim" in page.text and RESPONSE not in page.text and NIK not in page.text
        form = await http.get("/pengaduan")
        assert form.status_code == 200 and "Pertanyaan keamanan" in form.text and 'type="file"' in form.text
        no_answer = await http.post("/pengaduan", data=FIELDS, headers={"Origin": live_stack.base_url})
        assert no_answer.status_code == 422 and "Pertanyaan keamanan" in no_answer.text
        assert (await http.get("/kritik")).status_code == 200
        # Not for the public, nor for an applicant.
        assert (await http.get("/api/v1/complaints")).status_code == 401


async def test_applicant_complaint_about_own_application_only(live_stack):
    async with httpx.AsyncClient(base_url=live_stack.base_url, timeout=30) as http:
        applicant = await login(http, NIK)
        async with live_stack.sessionmaker() as session:
            me = await session.scalar(select(User).where(User.username == NIK))
        mine = await _application(live_stack.sessionmaker, me)
        theirs = await _application(live_stack.sessionmaker, await applicant_user(live_stack.sessionmaker, "3374010101900077"))

        body = {"category": "proses_perizinan", "title": "Permohonan belum diverifikasi", "content": "Sudah dua minggu permohonan saya belum diverifikasi."}
        refused = await http.post("/api/v1/complaints/mine", headers=applicant, json={**body, "application_resi": theirs})
        assert refused.status_code == 422 and "tidak ditemukan" in refused.json()["detail"]
        filed = await http.post("/api/v1/complaints/mine", headers=applicant, json={**body, "application_resi": mine})
        assert filed.status_code == 201, filed.text
        tracking = filed.json()["tracking_number"]

        listed = (await http.get("/api/v1/complaints/mine", headers=applicant)).json()
        row = next(c for c in listed if c["tracking_number"] == tracking)
        assert row["application_resi"] == mine and row["category_label"] == "Proses Perizinan" and row["status"] == "menunggu_verifikasi"
        admin = await login(http, "pengaduan1")
        staff = (await http.get("/api/v1/complaints", headers=admin, params={"category": "proses_perizinan"})).json()["items"]
        assert tracking in [c["tracking_number"] for c in staff]
        assert (await http.get("/api/v1/complaints", headers=applicant)).status_code == 403

        criticism = await http.post("/api/v1/criticism", json={"kind": "saran", "description": "Mohon sediakan kursi tunggu yang lebih banyak.",
                                                               "office": "ms-lhokseumawe"})
        assert criticism.status_code == 201 and criticism.json()["tracking_number"].startswith("ADU-")
        # Kritis is the court's: its officer has it, the permit office's has not.
        kritis = (await http.get("/api/v1/complaints", headers=await login(http, "kritis1"))).json()["items"]
        assert criticism.json()["tracking_number"] in [c["tracking_number"] for c in kritis]
        permit_office = (await http.get("/api/v1/complaints", headers=admin)).json()["items"]
        assert criticism.json()["tracking_number"] not in [c["tracking_number"] for c in permit_office]
