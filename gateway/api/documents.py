import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.schemas import ERRORS, OpenMapping, Out
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import not_found
from gateway.services import files as file_service
from gateway.services import letters as letter_service
from gateway.services.walk_ins import COUNTER_ROLES
from process_defs.processes import process_of
from signing.identity import load_or_create_signing_identity
from signing.pades import verify_document
from store.models import Document, Task, User
from store.settings import Settings
from store.storage import document_key

router = APIRouter(tags=["dokumen"])

class VerificationOut(Out):
    document_id: str
    title: str
    number: str | None
    kind: str
    sha256: str
    signed_by: str | None
    issued_at: str
    summary: OpenMapping | None
    # What the signature check found (intact, valid, signer, time, …), as signing.verify_document reports it.
    signature: OpenMapping


# The counter prints and hands over its documents (receipts, berita acara, disposition sheets) whoever
# started the visit or letter, so its staff may read any document of those processes, except the
# documents of a secret letter, which follow the letter's own readers.


async def counter_staff_may_read(session: AsyncSession, doc: Document, user: User) -> bool:
    if user.kind != "staff" or COUNTER_ROLES.isdisjoint(user.role_names):
        return False
    process = process_of(doc.workflow_id)
    if process is not None and process.name == "letter":
        return await letter_service.visible(session, viewer=user, workflow_id=doc.workflow_id)
    return process is not None and process.name == "walk_in"


async def get_document(session: AsyncSession, document_id: str) -> Document:
    doc = await session.get(Document, document_id)
    if doc is None:
        raise not_found("Dokumen")
    return doc


async def verification(session: AsyncSession, settings: Settings, document_id: str) -> dict[str, Any]:
    doc = await get_document(session, document_id)
    # Trust only this installation's signing CA: a letter signed elsewhere is not ours.
    identity = await asyncio.to_thread(load_or_create_signing_identity, settings)
    # Without its file the register still vouches for the document; what the file would prove is reported unproven.
    data = await file_service.read_stored(settings, document_key(doc.file_name))
    result = await verify_document(data, identity) if data is not None else {"intact": False, "valid": False}
    return {"document_id": doc.id, "title": doc.title, "number": doc.number, "kind": doc.kind, "sha256": doc.sha256,
            "signed_by": doc.signed_by, "issued_at": doc.created_at.isoformat(), "summary": doc.summary,
            "signature": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in result.items()}}


@router.get("/api/v1/documents/{document_id}/verification", response_model=VerificationOut, responses={404: ERRORS[404]})
async def verify(document_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Public: anyone holding the letter can check that it was issued here and is unaltered."""
    return await verification(session, settings, document_id)


@router.get("/dokumen/{document_id}.pdf", responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def download(document_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> StreamingResponse:
    doc = await get_document(session, document_id)
    involved = doc.owner_id == user.id or "admin" in user.role_names or await counter_staff_may_read(session, doc, user) or await session.scalar(
        select(func.count()).select_from(Task).where(Task.workflow_id == doc.workflow_id,
                                                     (Task.completed_by_id == user.id) | (Task.owner_id == user.id)))
    if not involved:
        # 404, not 403: whether a document code exists is nobody else's business.
        raise not_found("Dokumen")
    return await file_service.stored_response(settings, document_key(doc.file_name), media_type="application/pdf", what="Isi dokumen",
                                              filename=f"{doc.title}.pdf".replace("/", "-"))
