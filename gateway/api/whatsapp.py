"""WhatsApp over HTTP: the Cloud API webhook (GET handshake, POST events signed with the app secret) and
the officers' conversations API."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from contracts import WHATSAPP_MAX_TEXT
from gateway.api.schemas import ERRORS, ErrorOut, Out
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.errors import ApiError
from gateway.services import whatsapp as wa_service

router = APIRouter(tags=["whatsapp"])


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=WHATSAPP_MAX_TEXT, description="Isi balasan; dikirim apa adanya ke WhatsApp warga")
    reply_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{8,64}$",
                                 description="Kode unik balasan (opsional): kirim ulang dengan kode yang sama tidak mengirim dua kali")


class HandoffOut(Out):
    task_id: str
    opened_at: str
    due_at: str | None
    claimed_by: str | None
    escalated_to_role: str | None
    task_url: str


class LastMessageOut(Out):
    direction: str
    preview: str
    at: str
    status: str


class ConversationLineOut(Out):
    phone: str
    display_phone: str
    contact_name: str | None
    messages: int
    last_message: LastMessageOut
    handoff: HandoffOut | None
    url: str


class ConversationListOut(Out):
    items: list[ConversationLineOut]
    total: int


class WhatsAppMessageOut(Out):
    """One message either way. Only outgoing ones carry `attempts` and `last_error` (the route answers with the keys set only)."""

    id: str
    direction: str
    kind: str
    author: str
    body: str
    subject: str | None
    at: str
    state: str
    state_label: str
    wa_message_id: str | None
    attempts: int | None = None
    last_error: str | None = None


class ConversationOut(Out):
    phone: str
    display_phone: str
    contact_name: str | None
    items: list[WhatsAppMessageOut]
    handoff: HandoffOut | None
    total: int


class WebhookAckOut(Out):
    received: int
    duplicates: int
    statuses: int


class ReplyAckOut(Out):
    reply_id: str
    status: str
    idempotency_key: str


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse,
            responses={403: {"model": ErrorOut, "description": "Token verifikasi tidak cocok"}})
async def handshake(settings: SettingsDep, mode: str | None = Query(default=None, alias="hub.mode", max_length=40),
                    token: str | None = Query(default=None, alias="hub.verify_token", max_length=500),
                    challenge: str | None = Query(default=None, alias="hub.challenge", max_length=500)) -> PlainTextResponse:
    """Verifikasi langganan webhook oleh Meta: menjawab `hub.challenge` bila token verifikasi cocok."""
    return PlainTextResponse(wa_service.verify_handshake(settings, mode=mode, token=token, challenge=challenge))


@router.post("/webhooks/whatsapp", response_model=WebhookAckOut, responses={
    401: {"model": ErrorOut, "description": "Tanda tangan X-Hub-Signature-256 tidak ada atau tidak sah; tidak ada yang diproses"},
    503: {"model": ErrorOut, "description": "Layanan proses tidak terjangkau; pesan tersimpan, Meta akan mengirim ulang"}})
async def webhook(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Event WhatsApp Cloud API: pesan masuk (diteruskan ke percakapan) dan status pengiriman."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > wa_service.MAX_BODY_BYTES:  # refused before reading it
        raise ApiError(413, "Isi webhook terlalu besar.", code="too_large")
    body = await request.body()
    result = await wa_service.receive(session, settings, request.app.state.temporal, body=body,
                                      signature=request.headers.get(wa_service.SIGNATURE_HEADER))
    return {"received": result.received, "duplicates": result.duplicates, "statuses": result.statuses}


@router.get("/api/v1/whatsapp/conversations", response_model=ConversationListOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def list_conversations(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Percakapan WhatsApp: yang sedang menunggu petugas di atas, lalu menurut pesan terakhir."""
    items = await wa_service.conversations(session, viewer=user)
    return {"items": items, "total": len(items)}


@router.get("/api/v1/whatsapp/conversations/{phone}", response_model=ConversationOut, response_model_exclude_unset=True,
            responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def get_conversation(phone: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Semua pesan masuk dan keluar dengan satu nomor, terlama di atas, dengan status pengirimannya."""
    return await wa_service.conversation(session, viewer=user, phone=phone)


@router.post("/api/v1/whatsapp/conversations/{phone}/replies", status_code=202, response_model=ReplyAckOut, responses={**ERRORS, 503: {"model": ErrorOut}})
async def send_reply(phone: str, body: ReplyBody, user: CurrentUser, session: SessionDep, client: TemporalDep) -> Response:
    """Balasan petugas untuk percakapan yang diteruskan kepada petugas (409 bila tidak sedang diteruskan).
    Diterima (202) lalu dikirim berurutan; bila WhatsApp API terganggu, dicoba lagi sampai terkirim."""
    ack = await wa_service.reply(session, client, user=user, phone=phone, text=body.text, reply_id=body.reply_id)
    return JSONResponse({"reply_id": ack.reply_id, "status": ack.status, "idempotency_key": ack.idempotency_key}, status_code=202)
