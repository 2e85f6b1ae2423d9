"""Letters (seed 004 §H) at the Kemenag office: an incoming letter disposed by the head to two units and delivered; one routed
straight to a unit; a scan that is not a PDF refused and asked for again; outgoing numbers from the one
register (gap-free with a concurrent request) and a request rejected with notes; decisions the task
validator refuses. Letters are started through the gateway's own service, as the API does."""

import asyncio
import io
import subprocess
from datetime import timedelta

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import select
from starlette.datastructures import UploadFile
from temporalio.client import WorkflowUpdateFailedError

from contracts import DECIDE_TASK, DecisionRequest, TaskAck
from gateway.services import letters as letter_service
from gateway.services.people import office_today
from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from store.models import CaseEvent, Document, IssuedNumber, Letter, Notification, Task
from tests.factories import actor_for, as_staff, record_golden_history, user, wait_for_task, wait_until_decidable
from workflows.letters import IncomingLetterWorkflow, OutgoingLetterWorkflow


def pdf_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


# A 1×1 PNG that decodes (uploads are decoded to the last pixel).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360606060000000"
                    "050001a5f645400000000049454e44ae426082")


async def upload(db, username: str, content: bytes, filename: str) -> str:
    """A staff upload stored the way the gateway stores it."""
    async with as_staff(db.sessionmaker, username) as (session, owner):
        if filename.endswith(".pdf"):
            stored = await letter_service.store_pdf(session, db.settings, owner=owner, name=f"Unggahan {filename}",
                                                    upload=UploadFile(io.BytesIO(content), filename=filename))
            return stored.id
        # A picture cannot come through the letter upload; it can still be named in a decision.
        from gateway.services.files import store_upload

        return (await store_upload(session, db.settings, owner=owner, name=filename, upload=UploadFile(io.BytesIO(content), filename=filename))).id


async def start_incoming(client, db, **overrides):
    form = dict(sender="Kantor Wilayah Kementerian Agama Provinsi Aceh", sender_number="B-4471/Kw.01/HM.00/10/2026",
                letter_date=office_today() - timedelta(days=2), subject="Undangan rapat koordinasi layanan PTSP", received_via="pos")
    form.update(overrides)
    async with as_staff(db.sessionmaker, "fo1") as (session, fo):
        letter, created = await letter_service.register_incoming(session, client, db.settings, user=fo, form=letter_service.IncomingForm(**form))
    assert created
    return client.get_workflow_handle_for(IncomingLetterWorkflow.run, letter.workflow_id), letter


async def start_outgoing(client, db, username: str, **overrides):
    form = dict(subject="Laporan bulanan layanan PTSP", recipient="Kepala Kantor Wilayah Kementerian Agama Provinsi Aceh",
                classification="HM.00", letter_date=office_today())
    form.update(overrides)
    async with as_staff(db.sessionmaker, username) as (session, requester):
        letter, _ = await letter_service.request_outgoing(session, client, db.settings, user=requester, form=letter_service.OutgoingForm(**form))
    return client.get_workflow_handle_for(OutgoingLetterWorkflow.run, letter.workflow_id), letter


async def decide(db, handle, key: str, username: str, outcome: str, reason: str | None = None, **data):
    await wait_until_decidable(handle, f"{handle.id}.{key}")
    return await handle.execute_update(DECIDE_TASK, DecisionRequest(
        task_id=f"{handle.id}.{key}", actor=await actor_for(db.sessionmaker, username), outcome=outcome, reason=reason, data=data),
        result_type=TaskAck)


async def refused(db, handle, key: str, username: str, outcome: str, reason: str | None = None, **data) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await decide(db, handle, key, username, outcome, reason, **data)
    return info.value.cause.message


async def letter_row(db, letter_id: int) -> Letter:
    async with db.sessionmaker() as session:
        return await session.get(Letter, letter_id)


async def letter_at(db, letter_id: int, status: str, timeout: float = 30) -> Letter:
    deadline = asyncio.get_running_loop().time() + timeout
    while (row := await letter_row(db, letter_id)).status != status:
        assert asyncio.get_running_loop().time() < deadline, f"status is {row.status!r}, expected {status!r}"
        await asyncio.sleep(0.05)
    return row


async def inapp_for(db, username: str, workflow_id: str) -> list[Notification]:
    who = await user(db.sessionmaker, username)
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Notification).where(
            Notification.recipient_id == who.id, Notification.channel == "inapp", Notification.idempotency_key.startswith(workflow_id))))


async def pdf_text(db, document_id: str) -> str:
    async with db.sessionmaker() as session:
        document = await session.get(Document, document_id)
    path = db.settings.documents_dir / document.file_name
    verdict = await verify_document(path.read_bytes(), load_or_create_signing_identity(db.settings))
    assert verdict["valid"] and verdict["intact"]
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_incoming_disposed_by_the_head_to_two_units_and_delivered(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, letter = await start_incoming(client, db)
    wf = handle.id

    # The back office sorts it for the head's disposition.
    await wait_for_task(db.sessionmaker, f"{wf}.pilah")
    await decide(db, handle, "pilah", "bo1", "dipilah", classification="HM.00", category="penting", route="disposisi_kepala")
    # The front office registers it: agenda number, receipt, and the blank sheet in three copies.
    await wait_for_task(db.sessionmaker, f"{wf}.registrasi")
    row = await letter_at(db, letter.id, "dipilah")
    assert (row.classification, row.category, row.disposition["route"]) == ("HM.00", "penting", "disposisi_kepala")
    await decide(db, handle, "registrasi", "fo1", "registrasi")
    task = await wait_for_task(db.sessionmaker, f"{wf}.disposisi")
    assert task.role == "kepala_kantor"
    row = await letter_at(db, letter.id, "terdaftar")
    assert row.number.startswith("1/SM/") and set(row.documents) == {"letter_receipt", "disposition_sheet_blank"}
    receipt = await pdf_text(db, row.documents["letter_receipt"])
    assert "TANDA TERIMA SURAT MASUK" in receipt.upper() and row.number in receipt and "B-4471/Kw.01/HM.00/10/2026" in receipt
    blank = await pdf_text(db, row.documents["disposition_sheet_blank"])
    assert all(f"Lembar {n}" in blank for n in (1, 2, 3))

    # The head routes it to two units with instructions; the filled sheet is printed.
    await decide(db, handle, "disposisi", "kakan1", "disposisi", units=["BIMAS", "TU"],
                 instructions=["Untuk ditindaklanjuti", "Hadiri / wakili"], note="Koordinasikan dengan Supervisor PTSP")
    await wait_for_task(db.sessionmaker, f"{wf}.pindai-1")
    row = await letter_at(db, letter.id, "didisposisi")
    assert [u["code"] for u in row.disposition["units"]] == ["BIMAS", "TU"]
    assert row.disposition["instructions"] == ["Untuk ditindaklanjuti", "Hadiri / wakili"]
    filled = await pdf_text(db, row.documents["disposition_sheet"])
    assert "Seksi Bimbingan Masyarakat Islam" in filled and "Koordinasikan dengan Supervisor PTSP" in filled
    # Each unit's head hears of it in the app; the unit's other staff do not.
    assert [n.subject for n in await inapp_for(db, "unitkerja1", wf)] == [f"Disposisi surat masuk {row.number}"]
    assert len(await inapp_for(db, "tu1", wf)) == 1 and await inapp_for(db, "pegawai3", wf) == []
    # Nor does anyone of another office holding the same roles (the court's head of unit and its head).
    assert await inapp_for(db, "atasan1", wf) == [] and await inapp_for(db, "pimpinan1", wf) == []

    # The back office attaches the scan; the courier delivers it.
    await decide(db, handle, "pindai-1", "bo1", "unggah", scan_file_id=await upload(db, "bo1", pdf_bytes("Undangan rapat"), "undangan.pdf"))
    task = await wait_for_task(db.sessionmaker, f"{wf}.distribusi")
    assert task.role == "caraka"
    await decide(db, handle, "distribusi", "caraka1", "terkirim", received_by="Drs. Hasballah, M.Pd.")
    result = await handle.result()
    assert (result.status, result.number) == ("terdistribusi", row.number)
    row = await letter_at(db, letter.id, "terdistribusi")
    assert row.stage == "done" and row.delivered_to == "Drs. Hasballah, M.Pd." and row.scan_file_id and row.finished_at
    async with db.sessionmaker() as session:
        kinds = [e.kind for e in await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == wf, ~CaseEvent.kind.startswith("task_"))
                                                         .order_by(CaseEvent.occurred_at, CaseEvent.id))]
    assert kinds == ["received", "classified", "registered", "disposed", "scanned", "distributed"]
    await record_golden_history(handle, "letter_incoming_disposed_delivered")


async def test_incoming_straight_to_a_unit_has_no_disposition(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, letter = await start_incoming(client, db, received_via="masyarakat", subject="Permohonan pengukuran arah kiblat")
    wf = handle.id
    await wait_for_task(db.sessionmaker, f"{wf}.pilah")
    await decide(db, handle, "pilah", "bo1", "dipilah", classification="BA.00", category="biasa", route="langsung_unit", unit="BIMAS")
    await wait_for_task(db.sessionmaker, f"{wf}.registrasi")
    await decide(db, handle, "registrasi", "fo1", "registrasi")
    # No disposition: straight to the scan; the receipt is the cover note, no sheet.
    await wait_for_task(db.sessionmaker, f"{wf}.pindai-1")
    row = await letter_at(db, letter.id, "terdaftar")
    assert set(row.documents) == {"letter_receipt"} and row.stage == "scan"
    assert row.disposition == {"route": "langsung_unit", "route_label": "Langsung diproses di unit kerja",
                               "units": [{"code": "BIMAS", "name": "Seksi Bimbingan Masyarakat Islam"}]}
    async with db.sessionmaker() as session:
        assert await session.get(Task, f"{wf}.disposisi") is None
    assert len(await inapp_for(db, "unitkerja1", wf)) == 1
    await decide(db, handle, "pindai-1", "bo1", "unggah", scan_file_id=await upload(db, "bo1", pdf_bytes("Permohonan"), "permohonan.pdf"))
    await wait_for_task(db.sessionmaker, f"{wf}.distribusi")
    await decide(db, handle, "distribusi", "caraka1", "terkirim", received_by="Staf Seksi Bimas")
    assert (await handle.result()).status == "terdistribusi"


async def test_a_scan_that_is_not_a_pdf_is_refused_and_asked_again(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, letter = await start_incoming(client, db)
    wf = handle.id
    await wait_for_task(db.sessionmaker, f"{wf}.pilah")
    await decide(db, handle, "pilah", "bo1", "dipilah", classification="KP.00", category="biasa", route="langsung_unit", unit="TU")
    await wait_for_task(db.sessionmaker, f"{wf}.registrasi")
    await decide(db, handle, "registrasi", "fo1", "registrasi")
    await wait_for_task(db.sessionmaker, f"{wf}.pindai-1")

    # A picture: refused, the letter stays at the scan, and the next task says why.
    await decide(db, handle, "pindai-1", "bo1", "unggah", scan_file_id=await upload(db, "bo1", PNG, "foto-surat.png"))
    again = await wait_for_task(db.sessionmaker, f"{wf}.pindai-2")
    assert "bukan PDF" in again.summary["Masalah unggahan sebelumnya"]
    row = await letter_row(db, letter.id)
    assert row.stage == "scan" and row.scan_file_id is None
    # Someone else's PDF: refused too.
    await decide(db, handle, "pindai-2", "bo1", "unggah", scan_file_id=await upload(db, "fo1", pdf_bytes("Surat"), "surat.pdf"))
    third = await wait_for_task(db.sessionmaker, f"{wf}.pindai-3")
    assert "bukan unggahan Anda" in third.summary["Masalah unggahan sebelumnya"]
    good = await upload(db, "bo1", pdf_bytes("Surat"), "surat.pdf")
    await decide(db, handle, "pindai-3", "bo1", "unggah", scan_file_id=good)
    await wait_for_task(db.sessionmaker, f"{wf}.distribusi")
    row = await letter_at(db, letter.id, "dipindai")
    assert row.scan_file_id == good
    async with db.sessionmaker() as session:
        titles = [e.title for e in await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == wf, CaseEvent.kind == "scan-refused"))]
    assert len(titles) == 2 and "bukan PDF" in titles[0]
    await handle.terminate("test selesai")


async def test_outgoing_numbers_come_from_one_register_gap_free(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    softcopy = await upload(db, "pegawai3", pdf_bytes("Laporan bulanan"), "laporan.pdf")
    first, first_row = await start_outgoing(client, db, "pegawai3", softcopy_file_id=softcopy)
    second, second_row = await start_outgoing(client, db, "arsiparis1", subject="Usulan kenaikan pangkat", classification="KP.00")
    await wait_for_task(db.sessionmaker, f"{first.id}.periksa-format")
    task = await wait_for_task(db.sessionmaker, f"{second.id}.periksa-format")
    assert task.role == "penomoran"
    await asyncio.gather(decide(db, first, "periksa-format", "penomoran2", "terima"), decide(db, second, "periksa-format", "penomoran2", "terima"))

    # The second came without a softcopy: its requester is asked for one (a PDF of their own).
    softcopy_task = await wait_for_task(db.sessionmaker, f"{second.id}.softcopy-1")
    assert softcopy_task.owner_id == (await user(db.sessionmaker, "arsiparis1")).id
    assert "bukan PDF" in await _softcopy_png_then_pdf(db, second)

    results = await asyncio.gather(first.result(), second.result())
    assert {r.status for r in results} == {"bernomor"}
    async with db.sessionmaker() as session:
        issued = list(await session.scalars(select(IssuedNumber).where(IssuedNumber.scope == "kemenag-lamongan/outgoing_letter")
                                            .order_by(IssuedNumber.sequence)))
    year = issued[0].year
    assert [i.sequence for i in issued] == [1, 2], "one register, no gaps"
    numbers = {r.number for r in results}
    assert numbers == {i.number for i in issued}
    first_number = (await letter_at(db, first_row.id, "bernomor")).number
    second_number = (await letter_at(db, second_row.id, "bernomor")).number
    assert "/HM.00/" in first_number and "/KP.00/" in second_number and first_number.endswith(f"/{year}")
    assert (await letter_row(db, first_row.id)).softcopy_file_id == softcopy
    told = await inapp_for(db, "pegawai3", first.id)
    assert any(first_number in n.subject for n in told)


async def _softcopy_png_then_pdf(db, handle) -> str:
    await decide(db, handle, "softcopy-1", "arsiparis1", "unggah", softcopy_file_id=await upload(db, "arsiparis1", PNG, "usulan.png"))
    again = await wait_for_task(db.sessionmaker, f"{handle.id}.softcopy-2")
    await decide(db, handle, "softcopy-2", "arsiparis1", "unggah", softcopy_file_id=await upload(db, "arsiparis1", pdf_bytes("Usulan"), "usulan.pdf"))
    return again.summary["Masalah unggahan sebelumnya"]


async def test_outgoing_rejected_with_notes(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, letter = await start_outgoing(client, db, "pegawai3")
    await wait_for_task(db.sessionmaker, f"{handle.id}.periksa-format")
    assert "Alasan wajib diisi" in await refused(db, handle, "periksa-format", "penomoran2", "tolak")
    await decide(db, handle, "periksa-format", "penomoran2", "tolak", "Kode klasifikasi seharusnya OT.00; perbaiki kop surat")
    result = await handle.result()
    assert (result.status, result.number) == ("ditolak", None)
    row = await letter_at(db, letter.id, "ditolak")
    assert row.notes == "Kode klasifikasi seharusnya OT.00; perbaiki kop surat" and row.finished_at and row.number is None
    told = await inapp_for(db, "pegawai3", handle.id)
    assert any("OT.00" in n.body and "ditolak" in n.subject for n in told)
    async with db.sessionmaker() as session:
        assert await session.scalar(select(IssuedNumber).where(IssuedNumber.scope.like("%/outgoing_letter"))) is None


async def test_the_validator_refuses_bad_decisions_and_leaves_no_trace(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, _ = await start_incoming(client, db)
    wf = handle.id
    await wait_for_task(db.sessionmaker, f"{wf}.pilah")
    assert "Kode klasifikasi" in await refused(db, handle, "pilah", "bo1", "dipilah", classification="ZZ.99", category="biasa", route="disposisi_tu")
    assert "unit kerja tujuan" in await refused(db, handle, "pilah", "bo1", "dipilah", classification="HM.00", category="biasa", route="langsung_unit")
    assert "Sifat surat" in await refused(db, handle, "pilah", "bo1", "dipilah", classification="HM.00", category="kilat", route="disposisi_tu")
    assert "tidak berwenang" in await refused(db, handle, "pilah", "pegawai3", "dipilah", classification="HM.00", category="biasa", route="disposisi_tu")
    await decide(db, handle, "pilah", "bo1", "dipilah", classification="HM.00", category="segera", route="disposisi_tu")
    await wait_for_task(db.sessionmaker, f"{wf}.registrasi")
    await decide(db, handle, "registrasi", "fo1", "registrasi")
    task = await wait_for_task(db.sessionmaker, f"{wf}.disposisi")
    assert task.role == "tata_usaha"
    assert "Diteruskan kepada" in await refused(db, handle, "disposisi", "tu1", "disposisi", units=[], instructions=["Arsipkan"])
    assert "Instruksi" in await refused(db, handle, "disposisi", "tu1", "disposisi", units=["BIMAS"], instructions=["Bakar"])
    assert "tidak tersedia" in await refused(db, handle, "disposisi", "tu1", "disposisi", units=["GAIB"], instructions=["Arsipkan"])
    assert "lebih dari sekali" in await refused(db, handle, "disposisi", "tu1", "disposisi", units=["BIMAS", "BIMAS"], instructions=["Arsipkan"])
    # Nothing refused reached the run: the task is still open and undecided.
    async with db.sessionmaker() as session:
        task = await session.get(Task, f"{wf}.disposisi")
        assert (task.status, task.outcome) == ("open", None)
    await handle.terminate("test selesai")


async def test_a_letter_marked_secret_at_intake_keeps_the_mark_unless_the_sorting_says_why(time_skipping_env, db, worker_for):
    client = time_skipping_env.client
    await worker_for(client)
    handle, letter = await start_incoming(client, db, confidential=True)
    wf = handle.id
    assert (await letter_row(db, letter.id)).category == "rahasia"
    task = await wait_for_task(db.sessionmaker, f"{wf}.pilah")
    assert task.form["properties"]["category"]["default"] == "rahasia" and task.summary["Sifat saat dicatat"] == "Rahasia"
    sort = dict(classification="HM.00", route="disposisi_tu")
    assert "Alasan mengubah sifat rahasia" in await refused(db, handle, "pilah", "bo1", "dipilah", category="biasa", **sort)
    assert "Alasan mengubah sifat rahasia" in await refused(db, handle, "pilah", "bo1", "dipilah", category="biasa",
                                                            category_change_reason="   ", **sort)
    assert "paling banyak" in await refused(db, handle, "pilah", "bo1", "dipilah", category="segera",
                                            category_change_reason="x" * 2001, **sort)
    async with db.sessionmaker() as session:
        assert (await session.get(Task, f"{wf}.pilah")).status == "open"
    await decide(db, handle, "pilah", "bo1", "dipilah", category="rahasia", **sort)
    row = await letter_at(db, letter.id, "dipilah")
    assert (row.category, row.classification) == ("rahasia", "HM.00")
    async with db.sessionmaker() as session:
        classified = await session.get(CaseEvent, f"{wf}.classified")
    assert "sifat rahasia" in classified.title and "diubah" not in classified.title and classified.reason is None
    await handle.terminate("test selesai")
