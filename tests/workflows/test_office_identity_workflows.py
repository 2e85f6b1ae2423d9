"""A run speaks for the office it started for (issue 17): a Kemenag walk-in greets its visitor as Kemenag and hands
over a receipt under Kemenag's letterhead, signed by no other office."""

import io
import secrets

import pypdf
from sqlalchemy import select

from cli.seed import KEMENAG
from contracts import Visitor, WalkInInput
from gateway.services.people import person
from process_defs.counter import walk_in_snapshot
from process_defs.loader import load_office, office_defs_dir
from store.models import Document, Notification, Office, WalkInVisit
from tests.factories import decide, user, wait_for
from workflows.walk_in import WalkInVisitWorkflow, walk_in_workflow_id

PHONE = "6281355550077"


async def start_kemenag_walk_in(client, db):
    """A visit at the Kemenag counter, recorded and started as the gateway does, with the office's own snapshot."""
    definition = walk_in_snapshot(load_office(office_defs_dir(KEMENAG)), "legalisir_ijazah")
    registrar = await user(db.sessionmaker, "info1")
    code = "K" + secrets.token_hex(3).upper()
    async with db.sessionmaker() as session, session.begin():
        office_id = await session.scalar(select(Office.id).where(Office.code == KEMENAG))
        row = WalkInVisit(code=code, office_id=office_id, workflow_id=walk_in_workflow_id(code), service_code="legalisir_ijazah",
                          service_name=definition.service.name, one_day=definition.service.one_day, visitor_name="Ahmad Fauzi",
                          visitor_phone=PHONE, registered_by_id=registrar.id, status="registered", stage="completeness_check")
        session.add(row)
    handle = await client.start_workflow(
        WalkInVisitWorkflow.run, WalkInInput(visit_id=row.id, code=code, visitor=Visitor(name="Ahmad Fauzi", phone=PHONE),
                                             registered_by=person(registrar), definition=definition),
        id=row.workflow_id, task_queue=db.settings.task_queue)
    return handle, row


async def test_a_kemenag_visitor_is_greeted_as_kemenag_and_given_its_receipt(time_skipping_env, db, worker_for):
    await worker_for(time_skipping_env.client)
    handle, row = await start_kemenag_walk_in(time_skipping_env.client, db)

    async def whatsapp() -> list[Notification]:
        async with db.sessionmaker() as session:
            return list(await session.scalars(select(Notification).where(Notification.channel == "whatsapp", Notification.address == PHONE)
                                              .order_by(Notification.id)))

    [greeting] = await wait_for(whatsapp)
    assert greeting.subject == "PTSP Kemenag Lamongan"
    assert greeting.body.startswith("Selamat datang di PTSP Kemenag Lamongan, Ahmad Fauzi.")

    await decide(handle, "kelengkapan", "fo1", "lengkap", db, data={"present": ["fotokopi_ijazah", "ijazah_asli", "ktp"]})

    async def receipt() -> Document | None:
        async with db.sessionmaker() as session:
            return await session.scalar(select(Document).where(Document.workflow_id == row.workflow_id, Document.kind == "walkin_receipt"))

    document = await wait_for(receipt)
    pdf = pypdf.PdfReader(io.BytesIO((db.settings.documents_dir / document.file_name).read_bytes()))
    first = " ".join((pdf.pages[0].extract_text() or "").split())
    assert "KEMENTERIAN AGAMA REPUBLIK INDONESIA KANTOR KEMENTERIAN AGAMA KABUPATEN LAMONGAN Jl. Veteran No. 2, Lamongan" in first
    assert "Lamongan," in first and "TANDA TERIMA BERKAS" in first
    texts = " ".join(page.extract_text() or "" for page in pdf.pages) + " ".join(n.body for n in await whatsapp())
    assert "Lhokseumawe" not in texts and "MAHKAMAH" not in texts.upper()
    await handle.terminate("test selesai")
