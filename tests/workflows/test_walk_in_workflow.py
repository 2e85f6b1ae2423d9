"""The walk-in visit (seed 004): one-day and non-one-day paths, incomplete papers handed back with a
checklist, documents found not valid (by the back office or in the field), and the target overrun."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts import WalkInResult
from office.calendar import OfficeCalendar
from store.models import CaseEvent, Document, IssuedNumber, Notification, User, WalkInVisit
from tests.factories import decide, record_golden_history, refused, start_walk_in, wait_for


async def visit(db, visit_id) -> WalkInVisit:
    async with db.sessionmaker() as session:
        return await session.get(WalkInVisit, visit_id)


async def timeline(db, workflow_id) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(CaseEvent.kind).where(CaseEvent.workflow_id == workflow_id)
                                          .order_by(CaseEvent.occurred_at, CaseEvent.id)))


async def documents(db, workflow_id) -> dict[str, Document]:
    async with db.sessionmaker() as session:
        return {d.kind: d for d in await session.scalars(select(Document).where(Document.workflow_id == workflow_id))}


async def whatsapp_to_visitor(db, phone: str) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Notification.body).where(Notification.channel == "whatsapp", Notification.address == phone)
                                          .order_by(Notification.id)))


ALL_LEGALISIR = {"present": ["fotokopi_ijazah", "ijazah_asli", "ktp"]}


async def test_one_day_visit_from_checklist_to_archive(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row, definition = await start_walk_in(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)

    # The front office cannot accept papers with a mandatory requirement missing, nor send back complete ones.
    message = await refused(handle, "kelengkapan", "fo1", "lengkap", db, data={"present": ["fotokopi_ijazah", "ktp"]})
    assert "Ijazah / transkrip asli untuk dicocokkan" in message
    assert "pilih 'Lengkap'" in await refused(handle, "kelengkapan", "fo1", "tidak_lengkap", db, data=ALL_LEGALISIR)
    assert "tidak tersedia" in await refused(handle, "kelengkapan", "fo1", "lengkap", db, data={"present": [*ALL_LEGALISIR["present"], "paspor"]})
    assert "tidak berwenang" in await refused(handle, "kelengkapan", "bo1", "lengkap", db, data=ALL_LEGALISIR)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data=ALL_LEGALISIR)

    received = await wait_for(lambda: _at(db, row.id, "research"))
    registered_at = await _event_time(db, handle.id, "registered")
    month, year = _roman(received.created_at.month), received.created_at.year
    assert received.receipt_number.startswith("TT-") and received.receipt_number.endswith(f"/PTSP/{month}/{year}")
    # One-day: the estimate is the target, registration plus the service's minutes.
    assert received.estimated_done_at == received.target_at
    assert received.target_at - registered_at == timedelta(minutes=30)

    await decide(handle, "penelitian", "bo1", "sesuai", db)
    await decide(handle, "koordinasi", "supervisor1", "setujui", db)
    await decide(handle, "penomoran", "penomoran2", "beri_nomor", db)
    ready = await wait_for(lambda: _at(db, row.id, "handover"))
    assert ready.status == "ready" and ready.result_number.startswith("B-") and "/PP.00/" in ready.result_number

    assert "harus salah satu dari: 1, 2, 3, 4" in await refused(handle, "penyerahan", "fo1", "diserahkan", db,
                                                                 data={"received_by": "Ahmad Fauzi", "rating": 7})
    await decide(handle, "penyerahan", "fo1", "diserahkan", db, data={"received_by": "Ahmad Fauzi", "rating": 4})
    await decide(handle, "pengarsipan", "arsiparis1", "diarsipkan", db, data={"archive_location": "Lemari A, boks 3"})
    result: WalkInResult = await handle.result()
    assert result.status == "done" and result.result_number == ready.result_number

    done = await visit(db, row.id)
    assert (done.status, done.stage, done.rating, done.overrun_at) == ("done", "finished", 4, None)
    assert done.finished_at is not None
    docs = await documents(db, handle.id)
    assert set(docs) == {"walkin_receipt", "walkin_result"}
    assert docs["walkin_result"].number == ready.result_number and set(done.documents) == {"receipt", "result"}
    kinds = await timeline(db, handle.id)
    assert [k for k in kinds if not k.startswith("task_")] == ["registered", "received", "coordination", "approved", "numbered",
                                                               "handed-over", "archived", "done"]
    # The result number is in the office's one outgoing-letter register.
    async with db.sessionmaker() as session:
        assert await session.scalar(select(IssuedNumber.scope).where(IssuedNumber.number == ready.result_number)) == "kemenag-lamongan/outgoing_letter"
    # The visitor heard of every step over WhatsApp (seed 000 §3, method 2), once each.
    messages = await whatsapp_to_visitor(db, "6281355550001")
    assert "Persyaratan:" in messages[0] and "Ijazah / transkrip asli untuk dicocokkan" in messages[0]
    assert any(received.receipt_number in m for m in messages) and any("sudah selesai" in m for m in messages)
    assert len(messages) == len(set(messages)) == 4


async def test_incomplete_papers_are_handed_back_with_a_checklist(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row, _ = await start_walk_in(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue,
                                         service_code="rekomendasi_pindah_madrasah")
    await decide(handle, "kelengkapan", "fo1", "tidak_lengkap", db, reason="Surat dari madrasah tujuan belum ada",
                 data={"present": ["surat_permohonan", "surat_pindah", "kk"]})
    result = await handle.result()
    assert result.status == "returned_incomplete" and result.reason == "Surat keterangan diterima dari madrasah tujuan"
    done = await visit(db, row.id)
    assert done.status == "returned_incomplete" and done.finished_at is not None and done.receipt_number is None
    assert set(await documents(db, handle.id)) == {"walkin_checklist"}
    messages = await whatsapp_to_visitor(db, "6281355550001")
    assert "Surat keterangan diterima dari madrasah tujuan" in messages[-1] and "dikembalikan" in messages[-1]


async def test_non_one_day_with_field_verification_and_courier(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row, definition = await start_walk_in(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue,
                                                  service_code="arah_kiblat", phone=None)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data={"present": ["surat_permohonan", "ktp_ketua", "denah"]})
    received = await wait_for(lambda: _at(db, row.id, "research"))
    # Ten working days from the day the papers were received, at the close of office hours, by the office
    # calendar (a day count would depend on the weekday the test runs on).
    assert definition.service.sla_working_days == 10
    calendar = OfficeCalendar(definition.calendar)
    received_at = await _event_time(db, handle.id, "received")
    assert received.target_at == received.estimated_done_at == calendar.add_working_days(received_at, 10)
    day_after_receipt, due_day = calendar.local_today(received_at) + timedelta(days=1), calendar.local_today(received.target_at)
    assert calendar.is_working_day(due_day) and calendar.working_days_between(day_after_receipt, due_day) == 10
    assert received.target_at.astimezone(calendar.tz).time() == calendar.office_end
    await decide(handle, "penelitian", "bo1", "sesuai", db)
    await wait_for(lambda: _at(db, row.id, "field_verification"))
    assert "wajib diisi" in await refused(handle, "verifikasi-lapangan", "unitkerja1", "sesuai", db, data={"location": "Masjid Al-Ikhlas"})
    await decide(handle, "verifikasi-lapangan", "unitkerja1", "sesuai", db,
                 data={"location": "Masjid Al-Ikhlas, Desa Blang Mangat", "findings": "Arah kiblat 292°, saf digeser 12° ke kanan."})
    await decide(handle, "koordinasi", "supervisor1", "setujui", db)
    await decide(handle, "penomoran", "penomoran2", "beri_nomor", db)
    await decide(handle, "penyerahan", "fo1", "diserahkan", db, data={"received_by": "Ketua takmir", "rating": 3})
    await decide(handle, "pengarsipan", "arsiparis1", "diarsipkan", db, data={"archive_location": "Lemari B"})
    await decide(handle, "pengantaran", "caraka1", "terkirim", db, data={"delivered_to": "Sekretariat Masjid Al-Ikhlas"})
    result = await handle.result()
    assert result.status == "done"
    assert set(await documents(db, handle.id)) == {"walkin_receipt", "berita_acara_verifikasi", "walkin_result"}
    kinds = await timeline(db, handle.id)
    assert kinds.index("field-verified") < kinds.index("numbered") < kinds.index("delivered") < kinds.index("done")
    assert await whatsapp_to_visitor(db, "6281355550001") == []  # no phone given, no WhatsApp
    await record_golden_history(handle, "walk_in_field_verified_delivered")


@pytest.mark.parametrize("where", ["back_office", "field"])
async def test_documents_not_valid_end_with_berita_acara_and_return(time_skipping_env, db, worker_for, where):
    await worker_for(time_skipping_env.client)
    service = "legalisir_ijazah" if where == "back_office" else "tanda_daftar_majelis_taklim"
    handle, row, definition = await start_walk_in(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue, service_code=service)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data={"present": [r.code for r in definition.service.requirements]})
    if where == "back_office":
        assert "Alasan wajib" in await refused(handle, "penelitian", "bo1", "tidak_sesuai", db)
        await decide(handle, "penelitian", "bo1", "tidak_sesuai", db, reason="Nama pada ijazah berbeda dengan KTP")
        expected = {"walkin_receipt", "berita_acara_ketidaksesuaian"}
    else:
        await decide(handle, "penelitian", "bo1", "sesuai", db)
        await decide(handle, "verifikasi-lapangan", "unitkerja1", "tidak_sesuai", db, reason="Sekretariat tidak ditemukan di alamat",
                     data={"location": "Jl. Merdeka 10", "findings": "Alamat adalah rumah kosong."})
        expected = {"walkin_receipt", "berita_acara_verifikasi", "berita_acara_ketidaksesuaian"}
    returning = await wait_for(lambda: _at(db, row.id, "return"))
    assert returning.status == "in_process"
    await decide(handle, "pengembalian", "fo1", "dikembalikan", db, data={"received_by": "Ahmad Fauzi", "rating": 2})
    result = await handle.result()
    assert result.status == "returned_mismatch"
    done = await visit(db, row.id)
    assert (done.status, done.rating, done.result_number) == ("returned_mismatch", 2, None)
    assert set(await documents(db, handle.id)) == expected


async def test_overrun_of_a_one_day_target_is_recorded_once_and_the_supervisor_told(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row, _ = await start_walk_in(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data=ALL_LEGALISIR)
    await wait_for(lambda: _at(db, row.id, "research"))
    await time_skipping_env.sleep(timedelta(minutes=45))  # the target is 30 minutes
    late = await wait_for(lambda: _overrun(db, row.id))
    assert late.status == "in_process" and late.stage == "research"  # the watcher does not move the visit
    async with db.sessionmaker() as session:
        supervisor = await session.scalar(select(User).where(User.username == "supervisor1"))
        told = list(await session.scalars(select(Notification).where(Notification.recipient_id == supervisor.id,
                                                                     Notification.subject == "Kunjungan melewati target layanan")))
    assert told and row.code in told[0].body
    await decide(handle, "penelitian", "bo1", "tidak_sesuai", db, reason="Ijazah tidak terdaftar")
    await decide(handle, "pengembalian", "fo1", "dikembalikan", db, data={"received_by": "Ahmad Fauzi", "rating": 1})
    await handle.result()
    assert (await timeline(db, handle.id)).count("overrun") == 1


async def _at(db, visit_id, stage):
    row = await visit(db, visit_id)
    return row if row.stage == stage else None


async def _overrun(db, visit_id):
    row = await visit(db, visit_id)
    return row if row.overrun_at is not None else None


async def _event_time(db, workflow_id, kind):
    """When the run recorded `kind` (the workflow's clock, which a time-skipping test server moves)."""
    async with db.sessionmaker() as session:
        return await session.scalar(select(CaseEvent.occurred_at).where(CaseEvent.workflow_id == workflow_id, CaseEvent.kind == kind))


def _roman(month: int) -> str:
    return ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][month - 1]
