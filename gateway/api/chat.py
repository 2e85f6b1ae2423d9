"""Chat per permit application over JSON: read the conversation, send a message (JSON `{"body"}`, or
multipart `body` + optional `file`), download an attachment."""

from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse

from gateway.api.schemas import ERRORS, ErrorOut, Out
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.errors import invalid
from gateway.limits import json_body
from gateway.services import chat as chat_service
from gateway.services import files as file_service

router = APIRouter(prefix="/api/v1", tags=["chat"])



class SenderOut(Out):
    id: int
    name: str
    side: str
    label: str


class AttachmentOut(Out):
    id: str
    name: str
    original_filename: str
    extension: str
    media_type: str
    size: int
    url: str


class MessageOut(Out):
    id: int
    body: str
    created_at: str
    sender: SenderOut
    mine: bool
    attachment: AttachmentOut | None


class ConversationOut(Out):
    resi: str
    total: int
    items: list[MessageOut]


MessageId = Path(ge=1, le=2_147_483_647)

_MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["body"],
                "properties": {"body": {"type": "string", "maxLength": chat_service.MAX_BODY}},
            }},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "body": {"type": "string", "maxLength": chat_service.MAX_BODY, "description": "Wajib bila tidak ada lampiran"},
                    "file": {"type": "string", "format": "binary",
                             "description": f"Lampiran: {file_service.ACCEPTED_TEXT}, paling besar {file_service.MAX_MB} MB"},
                    "name": {"type": "string", "maxLength": file_service.NAME_MAX, "description": "Nama lampiran (opsional)"},
                },
            }},
        },
    },
}


@router.get("/permit-applications/{resi}/messages", response_model=ConversationOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def messages(resi: str, user: CurrentUser, session: SessionDep,
                   after: int | None = Query(default=None, ge=0, le=2_147_483_647, description="Hanya pesan dengan id lebih besar")) -> dict[str, Any]:
    """Percakapan pemohon dan petugas tentang satu permohonan, terlama di atas."""
    talk = await chat_service.conversation(session, viewer=user, resi=resi, after_id=after)
    return {"resi": talk.application.resi, "total": talk.total,
            "items": [chat_service.serialize(m, talk.application, viewer=user, files=talk.files) for m in talk.messages]}


@router.post("/permit-applications/{resi}/messages", status_code=201, response_model=MessageOut, openapi_extra=_MESSAGE_BODY,
             responses={401: ERRORS[401], 404: ERRORS[404], 413: {"model": ErrorOut, "description": "Lampiran melebihi 50 MB"},
                        422: ERRORS[422]})
async def send(resi: str, request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, client: TemporalDep) -> dict[str, Any]:
    """Kirim pesan (dan lampiran). Pihak lain diberi tahu lewat Inbox dan email."""
    await chat_service.get_for_viewer(session, viewer=user, resi=resi)  # 404 before reading any upload
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await file_service.read_upload_form(request)
        try:
            if form.too_large:
                raise file_service.too_large()
            application, message, stored = await chat_service.post_message(
                session, settings, sender=user, resi=resi, body=form.get("body"), upload=form.get("file"), name=form.get("name"))
        finally:
            await form.close()
    else:
        data = await json_body(request, unreadable=invalid(
            "Kirim pesan sebagai JSON {\"body\": \"…\"} atau formulir multipart dengan isian \"body\" dan \"file\".", field="body"))
        if not isinstance(data, dict) or not isinstance(data.get("body", ""), str):
            raise invalid("Isian \"body\" harus teks.", field="body")
        application, message, stored = await chat_service.post_message(session, settings, sender=user, resi=resi, body=data.get("body"))
    await chat_service.notify_other_side(client, settings, chat_service.notification_for(application, message, user, stored),
                                         office_id=application.office_id)
    return chat_service.serialize(message, application, viewer=user, files={stored.id: stored} if stored else {})


@router.get("/permit-applications/{resi}/messages/{message_id}/attachment", response_class=FileResponse,
            responses={401: ERRORS[401], 404: ERRORS[404]})
async def attachment(resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, message_id: int = MessageId,
                     download: bool = Query(default=False, description="true: selalu sebagai unduhan (attachment)")) -> Response:
    """Lampiran sebuah pesan. PDF dan gambar dibuka di peramban; DWG (dan `download=true`) diunduh."""
    file = await chat_service.get_attachment(session, viewer=user, resi=resi, message_id=message_id)
    inline = not download and file.extension in ("pdf", "jpg", "png", "gif")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if file.extension != "pdf":  # as File Saya: pictures are shown in a sandboxed document
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return await file_service.stored_response(settings, file_service.file_key(file), media_type=file.media_type, what="Isi lampiran",
                                              filename=file_service.download_name(file), disposition="inline" if inline else "attachment",
                                              headers=headers)
