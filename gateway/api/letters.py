"""Letters over the API (seed 004 §H): record an incoming letter, request an outgoing number, the
register, one letter with its documents and timeline, and staff uploads of a scan or a softcopy.
Every later step is a task: decide it with POST /api/v1/tasks/{id}/decision."""

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from gateway.api.schemas import ERRORS, ErrorOut, OpenMapping, Out
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.services import files as file_service
from gateway.services import letters as letter_service
from process_defs.counter import load_counter

router = APIRouter(prefix="/api/v1", tags=["persuratan"])


class IncomingBody(BaseModel):
    sender: str = Field(min_length=1, max_length=letter_service.SENDER_MAX, description="Pengirim: instansi atau nama orang")
    sender_number: str = Field(min_length=1, max_length=letter_service.NUMBER_MAX, description="Nomor surat dari pengirim")
    letter_date: date
    subject: str = Field(min_length=1, max_length=letter_service.SUBJECT_MAX, description="Perihal")
    received_via: str = Field(min_length=1, max_length=20, description="Kode dari counter.yaml letters.received_via (asn, masyarakat, pos, kurir)")
    confidential: bool = Field(default=False, description="Rahasia: hanya pimpinan, petugas persuratan, dan pihak yang menanganinya yang "
                                                          "melihat surat ini; petugas Back Office tetap memilah sifatnya")


class OutgoingBody(BaseModel):
    subject: str = Field(min_length=1, max_length=letter_service.SUBJECT_MAX, description="Perihal")
    recipient: str = Field(min_length=1, max_length=letter_service.SENDER_MAX, description="Kepada")
    classification: str = Field(min_length=1, max_length=20, description="Kode klasifikasi dari counter.yaml letters.classifications")
    letter_date: date
    softcopy_file_id: str | None = Field(default=None, max_length=40, description="Softcopy PDF yang sudah diunggah (tidak wajib)")


class LetterOptionsOut(Out):
    received_via: dict[str, str]
    categories: dict[str, str]
    classifications: dict[str, str]
    units: dict[str, str]
    disposition_instructions: list[str]
    statuses: dict[str, str]


class LetterOut(Out):
    """A letter in the register. Incoming letters carry the sender's fields, outgoing ones the recipient's: the other
    direction's keys are absent, not null (the routes answer with the keys set only)."""

    id: str
    code: str
    office: str
    direction: str
    direction_label: str | None
    status: str
    status_label: str
    stage: str
    current_step: str
    next_step: str | None
    finished: bool
    cancel_reason: str | None
    subject: str
    letter_date: str
    number: str | None
    classification: str | None
    classification_label: str | None
    category: str | None
    category_label: str | None
    confidential: bool
    created_at: str
    finished_at: str | None
    # incoming
    agenda_number: str | None = None
    sender: str | None = None
    sender_number: str | None = None
    received_via: str | None = None
    received_via_label: str | None = None
    disposition: OpenMapping | None = None
    delivered_to: str | None = None
    # outgoing
    recipient: str | None = None
    notes: str | None = None


class LetterDocumentOut(Out):
    kind: str
    label: str
    document_id: str
    url: str


class LetterFileRef(Out):
    file_id: str
    url: str


class LetterTaskOut(Out):
    id: str
    key: str
    title: str
    role: str
    role_label: str
    owner: str | None
    escalated_to_role: str | None
    claimed_by: str | None
    due_at: str | None
    outcomes: list[Any]
    form: OpenMapping
    summary: OpenMapping | None


class LetterEventLine(Out):
    at: str
    kind: str
    title: str
    actor: str | None
    outcome: str | None
    reason: str | None
    outcome_label: str | None


class LetterDetailOut(LetterOut):
    workflow_id: str
    documents: list[LetterDocumentOut]
    files: dict[str, LetterFileRef | None]
    pending_task_id: str | None
    pending_task: LetterTaskOut | None
    timeline: list[LetterEventLine]


class LetterListOut(Out):
    items: list[LetterOut]
    total: int
    limit: int
    offset: int


class LetterFileOut(Out):
    file_id: str
    purpose: str | None
    id: str
    name: str
    original_filename: str
    media_type: str
    extension: str
    size: int
    sha256: str
    created_at: str


def _client_key(user_id: int, idempotency_key: str | None) -> str | None:
    return f"{user_id}:{idempotency_key}" if idempotency_key else None


@router.get("/letters/options", response_model=LetterOptionsOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def options(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Pilihan isian persuratan: cara diterima, sifat, kode klasifikasi, unit tujuan, instruksi disposisi."""
    letter_service.require_staff(user)
    defs = load_counter().letters
    return {"received_via": defs.received_via, "categories": defs.categories, "classifications": defs.classifications,
            "units": await letter_service.unit_choices(session), "disposition_instructions": defs.disposition_instructions,
            "statuses": letter_service.STATUS_LABELS}


@router.post("/letters/incoming", status_code=201, response_model=LetterOut, response_model_exclude_unset=True, responses=ERRORS)
async def register_incoming(body: IncomingBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep,
                            response: Response, idempotency_key: str | None = Header(default=None, max_length=100)) -> dict[str, Any]:
    """Catat surat masuk (petugas Front Office). Selanjutnya petugas Back Office memilahnya. Sebelum dipilah, surat hanya
    terlihat oleh petugas Front Office, Back Office, pencatatnya, dan pimpinan; `confidential` menandainya rahasia sejak dicatat."""
    letter, created = await letter_service.register_incoming(session, client, settings, user=user, form=letter_service.IncomingForm(
        sender=body.sender, sender_number=body.sender_number, letter_date=body.letter_date, subject=body.subject,
        received_via=body.received_via, confidential=body.confidential, client_key=_client_key(user.id, idempotency_key)))
    if not created:
        response.status_code = 200
    return letter_service.serialize(letter)


@router.post("/letters/outgoing", status_code=201, response_model=LetterOut, response_model_exclude_unset=True, responses=ERRORS)
async def request_outgoing(body: OutgoingBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep,
                           response: Response, idempotency_key: str | None = Header(default=None, max_length=100)) -> dict[str, Any]:
    """Minta nomor surat keluar (semua pegawai). Petugas persuratan memeriksa format dan kode klasifikasinya."""
    letter, created = await letter_service.request_outgoing(session, client, settings, user=user, form=letter_service.OutgoingForm(
        subject=body.subject, recipient=body.recipient, classification=body.classification, letter_date=body.letter_date,
        softcopy_file_id=body.softcopy_file_id, client_key=_client_key(user.id, idempotency_key)))
    if not created:
        response.status_code = 200
    return letter_service.serialize(letter)


@router.get("/letters", response_model=LetterListOut, response_model_exclude_unset=True, responses={401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]})
async def register(user: CurrentUser, session: SessionDep,
                   direction: Literal["incoming", "outgoing"] | None = None,
                   status: str | None = Query(default=None, max_length=30), q: str | None = Query(default=None, max_length=100),
                   limit: int = Query(default=25, ge=1, le=200), offset: int = Query(default=0, ge=0, le=1_000_000)) -> dict[str, Any]:
    """Buku agenda: surat masuk dan keluar, terbaru di atas; `q` mencari kode, perihal, pengirim, tujuan dan nomor."""
    rows, total = await letter_service.list_letters(session, viewer=user, direction=direction, status=status, q=q, limit=limit, offset=offset)
    return {"items": [letter_service.serialize(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/letters/{code}", response_model=LetterDetailOut, response_model_exclude_unset=True, responses={401: ERRORS[401], 404: ERRORS[404]})
async def detail(code: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Satu surat: data, dokumen (tanda terima, lembar disposisi), berkas, langkah saat ini dan riwayatnya."""
    return await letter_service.detail(session, viewer=user, code=code)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file", "purpose"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": f"PDF (diperiksa dari isinya), paling besar {file_service.MAX_MB} MB"},
                "purpose": {"type": "string", "enum": list(letter_service.FILE_PURPOSES),
                            "description": "scan: pindaian surat masuk; softcopy: softcopy surat keluar"},
            },
        }}},
    },
}


@router.post("/letters/{code}/files", status_code=201, response_model=LetterFileOut, openapi_extra=_UPLOAD_BODY,
             responses={**ERRORS, 413: {"model": ErrorOut, "description": "Berkas melebihi 50 MB"}})
async def upload(code: str, request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Unggah pindaian (surat masuk) atau softcopy (surat keluar) oleh pemegang langkahnya. Lalu kirim keputusan
    tugasnya dengan data.scan_file_id / data.softcopy_file_id."""
    form = await file_service.read_upload_form(request)
    try:
        if form.too_large:
            raise file_service.too_large()
        purpose = form.get("purpose")
        stored = await letter_service.upload_for_letter(session, settings, user=user, code=code,
                                                        purpose=purpose if isinstance(purpose, str) else "", upload=form.get("file"))
    finally:
        await form.close()
    return {"file_id": stored.id, "purpose": purpose, **file_service.serialize(stored)}


@router.get("/letters/{code}/files/{purpose}", response_class=FileResponse, responses={401: ERRORS[401], 404: ERRORS[404]})
async def file_content(code: str, purpose: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Pindaian atau softcopy surat yang sudah dilampirkan (PDF)."""
    file = await letter_service.letter_file(session, viewer=user, code=code, purpose=purpose)
    return await file_service.stored_response(settings, file_service.file_key(file), media_type=file.media_type, what="Isi berkas",
                                              filename=f"{purpose}-{code.upper()}.pdf", disposition="inline",
                                              headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
