"""Issue 14 item 15: public tracking (a permit's resi, a complaint's number) shows the stage, the dates and what the
applicant must do — never a staff member's name, a verifier's note, a decision's reason or other free text, which stay
on the signed-in applicant's own pages — and is rate-limited per client address, strictly for numbers that do not
exist, so the 24-bit resi space cannot be walked."""

from sqlalchemy import select

from gateway.services.tracking import LOOKUP_IP, MISS_IP
from store.models import Complaint, PermitApplication, User
from tests.factories import PERMIT_OFFICE, applicant_user, decide, login, office_ids, start_permit, wait_for
from tests.workflows.test_complaint_workflow import PHONE, start_complaint, whatsapp_to

NOTE = "Foto lokasi buram; unggah ulang foto papan reklame dari depan."
REASON = "Kejadian yang diadukan bukan di kantor ini."


async def full_name(db, username: str) -> str:
    async with db.sessionmaker() as session:
        return await session.scalar(select(User.full_name).where(User.username == username))


async def test_a_permit_returned_for_revision_shows_no_note_or_staff_name_in_public(time_skipping_env, db, worker_for, client):
    await worker_for(time_skipping_env.client)
    handle, application, applicant = await start_permit(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await decide(handle, "verifikasi-1", "verifikator1", "revise", db, reason=NOTE)

    async def in_revision():
        async with db.sessionmaker() as session:
            row = await session.get(PermitApplication, application.id)
            return row if row.status == "revision" and row.revision_notes else None

    await wait_for(in_revision)
    verifier = await full_name(db, "verifikator1")

    api = await client.get(f"/api/v1/tracking/{application.resi}")
    assert api.status_code == 200, api.text
    data = api.json()
    assert (data["status"], data["stage"]) == ("revision", "revision") and data["revision_due_at"]
    assert "Permohonan Saya" in data["next_step"] and [e["title"] for e in data["timeline"]][:2] == [
        "Permohonan diajukan", "Dikembalikan kepada pemohon untuk perbaikan"]
    for secret in (NOTE, verifier, "verifikator1", applicant.full_name, applicant.username, "Jl. Pemuda"):
        assert secret not in api.text, secret
    assert not {"revision_notes", "decision_reason"} & set(data)
    assert all(set(e) == {"at", "kind", "title"} for e in data["timeline"])

    page = await client.get(f"/lacak/{application.resi.lower()}")
    assert page.status_code == 200 and "Batas waktu perbaikan" in page.text and "Dikembalikan kepada pemohon" in page.text
    for secret in (NOTE, verifier, applicant.full_name):
        assert secret not in page.text, secret

    # The applicant, signed in, still reads the note and who asked for it on their own pages.
    own = await login(client, applicant.username)
    detail = await client.get(f"/api/v1/permit-applications/{application.resi}", headers=own)
    assert detail.status_code == 200 and detail.json()["revision_notes"] == NOTE
    assert any(e["actor"] == verifier for e in detail.json()["timeline"])
    own_page = await client.get(f"/permohonan/{application.resi}", headers=own)
    assert own_page.status_code == 200 and NOTE in own_page.text


async def test_a_refused_complaint_shows_no_reason_or_staff_name_in_public(time_skipping_env, db, worker_for, client):
    await worker_for(time_skipping_env.client)
    handle, row = await start_complaint(time_skipping_env.client, db)
    await decide(handle, "verifikasi", "pengaduan1", "tidak_valid", db, reason=REASON)

    async def refused():
        async with db.sessionmaker() as session:
            complaint = await session.get(Complaint, row.id)
            return complaint if complaint.rejection_reason else None

    await wait_for(refused)
    admin = await full_name(db, "pengaduan1")
    api = await client.get(f"/api/v1/complaints/track/{row.tracking_number}")
    assert api.status_code == 200 and api.json()["status"] == "tidak_valid" and "WhatsApp" in api.json()["next_step"]
    page = await client.get(f"/pengaduan/lacak/{row.tracking_number}")
    assert page.status_code == 200 and "Pengaduan tidak ditindaklanjuti" in page.text
    for text in (api.text, page.text):
        for secret in (REASON, admin, row.title, row.content, PHONE):
            assert secret not in text, secret
    # The complainant was told the reason where only they read it.
    assert any(REASON in body for body in await wait_for(lambda: whatsapp_to(db, PHONE)))
    # Staff still see it.
    staff = await client.get(f"/api/v1/complaints/{row.tracking_number}", headers=await login(client, "pengaduan1"))
    assert staff.status_code == 200 and staff.json()["rejection_reason"] == REASON


async def test_guessing_numbers_is_stopped_while_a_citizen_refreshing_is_not(client, db):
    applicant = await applicant_user(db.sessionmaker)
    permit_office = (await office_ids(db.sessionmaker))[PERMIT_OFFICE]
    async with db.sessionmaker() as session:
        session.add(PermitApplication(office_id=permit_office, resi="ABC123", applicant_id=applicant.id, agency_code="dpmptsp", permit_type="reklame",
                                      request_kind="baru", status="in_process", stage="verification", workflow_id="permit-ABC123"))
        await session.commit()
    # A citizen refreshing their own resi (well within the limit for lookups that find something).
    for _ in range(LOOKUP_IP.limit // 4):
        assert (await client.get("/api/v1/tracking/ABC123")).status_code == 200
    # A script walking the resi space: a handful of misses, then refused — for known numbers too, and on the page.
    guesses = [f"{n:06X}" for n in range(0xF00000, 0xF00000 + MISS_IP.limit)]
    for guess in guesses:
        missed = await client.get(f"/api/v1/tracking/{guess}")
        assert missed.status_code == 404 and missed.json()["code"] == "not_found"
    blocked = await client.get("/api/v1/tracking/F0A000")
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled" and "Coba lagi dalam" in blocked.json()["detail"]
    assert (await client.get("/api/v1/tracking/ABC123")).status_code == 429
    page = await client.get("/lacak/ABC123")
    assert page.status_code == 429 and "Terlalu banyak percobaan" in page.text


async def test_complaint_numbers_are_limited_the_same_way(client):
    for n in range(MISS_IP.limit):
        assert (await client.get(f"/api/v1/complaints/track/ADU-ZZZZ{n % 8 + 2}{n // 8 + 2}")).status_code == 404
    blocked = await client.get("/api/v1/complaints/track/ADU-ZZZZZZ")
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
    page = await client.get("/pengaduan/lacak/ADU-ZZZZZZ")
    assert page.status_code == 429 and "Terlalu banyak percobaan" in page.text
