"""The complaint (seed 002, seed 003 Pengaduan) in the permit office (DPMPTSP): verification, the letter to the head,
disposition, follow-up, approval with a "perbaiki" loop, the complainant told; invalid and spam with a reason; escalation
at each level (officer → unit head → head of office) shown on the timeline."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from contracts import Complainant, ComplaintInput, ComplaintResult
from gateway.services.complaints import directory
from process_defs.complaints import complaint_snapshot
from store.models import CaseEvent, Complaint, Document, IssuedNumber, Notification, Task
from tests.factories import (
    PERMIT_OFFICE,
    decide,
    office_file_of,
    office_ids,
    record_golden_history,
    refused,
    wait_for,
    wait_for_task,
    wait_until_decidable,
)
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

PHONE = "6281234567891"
RESPONSE = "Loket antrean sudah kami tambah satu petugas mulai pekan ini."


async def start_complaint(client, db, *, phone: str | None = PHONE):
    """Records a complaint and starts its workflow, as the gateway does after its checks."""
    tracking = "ADU-" + "".join(secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(6))
    office = await office_file_of(db.sessionmaker, PERMIT_OFFICE)
    office_id = (await office_ids(db.sessionmaker))[PERMIT_OFFICE]
    async with db.sessionmaker() as session:
        row = Complaint(office_id=office_id, tracking_number=tracking, workflow_id=complaint_workflow_id(tracking), channel="pengaduan", category="layanan",
                        title="Antrean loket terlalu lama", content="Saya menunggu lebih dari tiga jam di loket PTSP tanpa kejelasan.",
                        phone=phone, stage="verifikasi", status="menunggu_verifikasi", escalations=0)
        session.add(row)
        await session.commit()
        units, officers = await directory(session, office_id)
    handle = await client.start_workflow(ComplaintWorkflow.run, ComplaintInput(
        complaint_id=row.id, tracking_number=tracking, channel="pengaduan", category="layanan", category_label="Pengaduan Layanan",
        title=row.title, content=row.content, complainant=Complainant(phone=phone), definition=complaint_snapshot(office, units=units, officers=officers)),
        id=row.workflow_id, task_queue=db.settings.task_queue)
    return handle, row


async def complaint(db, complaint_id) -> Complaint:
    async with db.sessionmaker() as session:
        return await session.get(Complaint, complaint_id)


async def titles(db, workflow_id, kind=None) -> list[str]:
    async with db.sessionmaker() as session:
        stmt = select(CaseEvent.title).where(CaseEvent.workflow_id == workflow_id)
        if kind:
            stmt = stmt.where(CaseEvent.kind == kind)
        return list(await session.scalars(stmt.order_by(CaseEvent.occurred_at, CaseEvent.id)))


async def whatsapp_to(db, phone) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Notification.body).where(Notification.channel == "whatsapp", Notification.address == phone)
                                          .order_by(Notification.id)))


# The permit office's verifier answers for the permits' counter (a member of staff of another unit than the complaints').
DISPOSITION = {"unit": "PERIZINAN", "officer": "verifikator1", "instructions": "Periksa antrean dan jawab pengadu."}


async def test_valid_complaint_from_letter_to_answer_with_a_revision(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row = await start_complaint(time_skipping_env.client, db)
    async def due():
        return (await complaint(db, row.id)).stage_due_at

    await wait_for(due)

    assert "tidak berwenang" in await refused(handle, "verifikasi", "verifikator1", "valid", db)
    assert "Alasan wajib" in await refused(handle, "verifikasi", "pengaduan1", "tidak_valid", db)
    await decide(handle, "verifikasi", "pengaduan1", "valid", db)

    lettered = await wait_for(lambda: _status(db, row.id, "menunggu_disposisi"))
    assert lettered.stage == "tindak_lanjut" and lettered.letter_number.startswith("ND-") and "/PGD-DPMPTSP/" in lettered.letter_number
    async with db.sessionmaker() as session:
        # In the permit office's own register.
        assert await session.scalar(select(IssuedNumber.scope).where(IssuedNumber.number == lettered.letter_number)) == "dpmptsp/complaint_letter"
        letter = await session.scalar(select(Document).where(Document.workflow_id == handle.id))
        assert letter.kind == "complaint_letter" and letter.number == lettered.letter_number and letter.id == lettered.letter_document_id

    # The head picks an officer of the office's directory, from the chosen unit.
    assert "harus salah satu dari" in await refused(handle, "disposisi", "kepala1", "disposisi", db, data={**DISPOSITION, "officer": "orang_lain"})
    assert "bukan pegawai unit" in await refused(handle, "disposisi", "kepala1", "disposisi", db, data={**DISPOSITION, "unit": "PELAYANAN"})
    # The court's officers are not the permit office's to name.
    assert "harus salah satu dari" in await refused(handle, "disposisi", "kepala1", "disposisi", db, data={**DISPOSITION, "officer": "pegawai1"})
    await decide(handle, "disposisi", "kepala1", "disposisi", db, data=DISPOSITION)

    # A personal task: only the chosen officer, and a response of some substance.
    assert "tidak berwenang" in await refused(handle, "tindak-lanjut-1", "kasi1", "kirim_tanggapan", db, data={"response": RESPONSE})
    assert "terlalu singkat" in await refused(handle, "tindak-lanjut-1", "verifikator1", "kirim_tanggapan", db, data={"response": "Sudah."})
    await decide(handle, "tindak-lanjut-1", "verifikator1", "kirim_tanggapan", db, data={"response": "Sedang kami periksa bersama tim loket."})
    assert "Alasan wajib" in await refused(handle, "persetujuan-1", "kasi1", "perbaiki", db)
    await decide(handle, "persetujuan-1", "kasi1", "perbaiki", db, reason="Sebutkan langkah nyata dan waktunya.")
    await decide(handle, "tindak-lanjut-2", "verifikator1", "kirim_tanggapan", db, data={"response": RESPONSE})
    await decide(handle, "persetujuan-2", "kasi1", "setujui", db)

    result: ComplaintResult = await handle.result()
    assert result.status == "selesai" and result.response == RESPONSE
    done = await complaint(db, row.id)
    assert (done.stage, done.status, done.response, done.stage_due_at) == ("selesai", "selesai", RESPONSE, None)
    assert done.responded_at is not None and done.finished_at is not None and done.officer_id is not None and done.unit_id is not None
    events = await titles(db, handle.id)
    assert any("dikembalikan oleh" in t for t in events) and any("Didisposisikan oleh" in t for t in events)
    messages = await whatsapp_to(db, PHONE)
    assert any("diteruskan kepada pimpinan" in m for m in messages) and RESPONSE in messages[-1]
    await record_golden_history(handle, "complaint_answered")


async def test_invalid_and_spam_end_with_the_reason(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row = await start_complaint(time_skipping_env.client, db)
    await decide(handle, "verifikasi", "pengaduan1", "tidak_valid", db, reason="Kejadian bukan di kantor ini.")
    assert (await handle.result()).status == "tidak_valid"
    done = await complaint(db, row.id)
    assert (done.stage, done.status, done.rejection_reason, done.letter_number) == ("selesai", "tidak_valid", "Kejadian bukan di kantor ini.", None)
    assert "Kejadian bukan di kantor ini." in (await whatsapp_to(db, PHONE))[-1]

    spam, spam_row = await start_complaint(time_skipping_env.client, db, phone=None)
    await decide(spam, "verifikasi", "pengaduan1", "spam", db, reason="Iklan")
    assert (await spam.result()).status == "spam"
    assert (await complaint(db, spam_row.id)).status == "spam"


async def _status(db, complaint_id, status):
    row = await complaint(db, complaint_id)
    return row if row.status == status else None


async def _task(db, task_id) -> Task:
    async with db.sessionmaker() as session:
        return await session.get(Task, task_id)


async def _sleep_past(env, moment) -> None:
    await env.sleep(max(moment - await env.get_current_time(), timedelta(0)) + timedelta(minutes=5))


async def test_follow_up_reminds_then_escalates_to_the_unit_head_then_the_head(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, row = await start_complaint(env.client, db)
    await decide(handle, "verifikasi", "pengaduan1", "valid", db)
    await decide(handle, "disposisi", "kepala1", "disposisi", db, data=DISPOSITION)
    task_id = f"{handle.id}.tindak-lanjut-1"
    task = await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    await _sleep_past(env, task.due_at)
    await wait_for(lambda: titles(db, handle.id, "task_reminded"))
    reminded = await _task(db, task_id)
    assert reminded.reminded_at is not None and reminded.escalated_at is None

    await _sleep_past(env, task.escalate_at)
    first = await wait_for(lambda: titles(db, handle.id, "task_escalated"))
    assert "Dieskalasi kepada Kepala Seksi / Kepala Unit" in first[0]
    # Not yet the head's to decide.
    assert "tidak berwenang" in await refused(handle, "tindak-lanjut-1", "kepala1", "kirim_tanggapan", db, data={"response": RESPONSE})

    await env.sleep(timedelta(days=20))

    async def both():
        found = await titles(db, handle.id, "task_escalated")
        return found if len(found) == 2 else None

    escalations = await wait_for(both)
    assert "Dieskalasi kepada Kepala Dinas" in escalations[1]  # the head as the permit office calls its head
    # Once escalated, the unit head can decide the officer's task.
    await decide(handle, "tindak-lanjut-1", "kasi1", "kirim_tanggapan", db, data={"response": RESPONSE})
    answered = await wait_for(lambda: _status(db, row.id, "menunggu_persetujuan"))
    assert answered.escalations == 2


async def test_overdue_verification_escalates_to_the_head(time_skipping_env, db, worker_for):
    env = time_skipping_env
    await worker_for(env.client)
    handle, row = await start_complaint(env.client, db)
    task_id = f"{handle.id}.verifikasi"
    task = await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    await _sleep_past(env, task.escalate_at)
    escalated = await wait_for(lambda: titles(db, handle.id, "task_escalated"))
    assert "Dieskalasi kepada Kepala Dinas" in escalated[0]
    await decide(handle, "verifikasi", "kepala1", "valid", db)
    assert (await wait_for(lambda: _status(db, row.id, "menunggu_disposisi"))).escalations == 1
