"""WhatsApp, as pages: the officers' list of conversations and one conversation with its reply form
(seed 000 §3), and the development simulator that sends a message "as a citizen" through the real,
signed webhook. The same services as the JSON API."""

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts import WHATSAPP_MAX_TEXT
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import SameOrigin, _field, _field_errors, _is_htmx, _redirect, _render, _temporal
from gateway.services import whatsapp as wa_service
from gateway.services.offices import OfficeEntry, directory
from store.models import User

router = APIRouter(include_in_schema=False)

DEMO_PHONE = "081234567890"
DEMO_NAME = "Budi Santoso"


# --- officers ----------------------------------------------------------------------------------------


@router.get("/whatsapp")
async def conversations_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    items = await wa_service.conversations(session, viewer=user)
    ctx = {"items": items, "waiting": sum(1 for i in items if i["handoff"]), "active": "whatsapp"}
    if _is_htmx(request):
        return await _render(request, "pages/whatsapp/list.html", ctx, user=user, block="wa_list")
    return await _render(request, "pages/whatsapp/list.html", ctx, session=session, user=user)


async def _conversation_page(request: Request, session: Any, user: User, phone: str, *, text: str = "", reply_id: str | None = None,
                             error: str | None = None, field_errors: dict | None = None, status_code: int = 200) -> Response:
    talk = await wa_service.conversation(session, viewer=user, phone=phone)
    ctx = {"talk": talk, "text": text, "reply_id": reply_id or uuid.uuid4().hex, "error": error, "field_errors": field_errors or {},
           "max_text": WHATSAPP_MAX_TEXT, "sent": request.query_params.get("terkirim") == "1", "active": "whatsapp"}
    return await _render(request, "pages/whatsapp/conversation.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/whatsapp/{phone}")
async def conversation_page(request: Request, phone: str, user: CurrentUser, session: SessionDep) -> Response:
    return await _conversation_page(request, session, user, phone)


@router.get("/whatsapp/{phone}/pesan")
async def conversation_messages(request: Request, phone: str, user: CurrentUser, session: SessionDep) -> Response:
    """Polled by the conversation page: the messages with their current delivery state."""
    talk = await wa_service.conversation(session, viewer=user, phone=phone)
    if not _is_htmx(request):
        return _redirect(f"/whatsapp/{talk['phone']}")
    return await _render(request, "pages/whatsapp/conversation.html", {"talk": talk}, user=user, block="wa_messages")


@router.post("/whatsapp/{phone}/balas")
async def send_reply(request: Request, phone: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    number = wa_service.phone_param(phone)
    form = await request.form()
    text, reply_id = _field(form, "text", WHATSAPP_MAX_TEXT + 1000), _field(form, "reply_id", 64)
    try:
        client = await _temporal(request)
        await wa_service.reply(session, client, user=user, phone=number, text=text, reply_id=reply_id)
    except DomainError as exc:
        if status_of(exc) in (403, 404):
            raise
        return await _conversation_page(request, session, user, number, text=text, reply_id=reply_id, error=exc.detail,
                                        field_errors=_field_errors(exc) or ({"text": exc.detail} if status_of(exc) == 422 else {}),
                                        status_code=status_of(exc))
    return _redirect(f"/whatsapp/{number}?terkirim=1#percakapan-akhir")


# --- development simulator ------------------------------------------------------------------------------


def _dev_only(settings: Any) -> None:
    if not settings.dev_mode:
        raise not_found("Halaman")


async def _simulator_page(request: Request, session: Any, user: User | None, settings: Any, *, values: dict, error: str | None = None,
                          field_errors: dict | None = None, status_code: int = 200) -> Response:
    phone = wa_service.clean_phone(values.get("phone", ""))
    office = _simulated_office(values.get("office"))
    talk = await wa_service.conversation_data(session, phone, office.id if office else None) if phone else None
    ctx = {"values": values, "talk": talk, "error": error, "field_errors": field_errors or {}, "max_text": WHATSAPP_MAX_TEXT,
           "sent": request.query_params.get("terkirim") == "1", "settings": settings,
           "offices": [{"code": o.code, "name": o.defs.office.name} for o in directory().offering("whatsapp")],
           "office_choice": office.code if office else ""}
    return await _render(request, "pages/whatsapp/simulator.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/dev/whatsapp")
async def simulator(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    _dev_only(settings)
    q = request.query_params
    values = {"phone": q.get("hp", DEMO_PHONE)[:30], "name": q.get("nama", DEMO_NAME)[:100], "text": "", "office": q.get("kantor", "")[:60]}
    return await _simulator_page(request, session, user, settings, values=values)


@router.get("/dev/whatsapp/percakapan")
async def simulator_messages(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    _dev_only(settings)
    phone = wa_service.clean_phone(request.query_params.get("hp", "")[:30])
    office = _simulated_office(request.query_params.get("kantor", "")[:60])
    talk = await wa_service.conversation_data(session, phone, office.id if office else None) if phone else None
    return await _render(request, "pages/whatsapp/simulator.html", {"talk": talk, "office_choice": office.code if office else ""},
                         block="wa_messages")


@router.post("/dev/whatsapp")
async def simulate(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    _dev_only(settings)
    form = await request.form()
    values = {"phone": _field(form, "phone", 30), "name": _field(form, "name", 100), "text": _field(form, "text", WHATSAPP_MAX_TEXT + 1000),
              "office": _field(form, "office", 60)}
    message, errors = wa_service.check_simulated(phone=values["phone"], name=values["name"], text=values["text"])
    office = _simulated_office(values["office"])
    if values["office"] and office is None:
        errors["office"] = "Pilih kantor yang asisten WhatsApp-nya dihubungi."
        message = None
    if message is None:
        return await _simulator_page(request, session, user, settings, values=values, field_errors=errors, status_code=422,
                                     error="Periksa kembali isian yang ditandai: " + " ".join(errors.values()))
    if office is not None:
        message.business_number = office.defs.office.whatsapp_number
    response = await wa_service.simulate(request.app, settings, message)
    if response.status_code != 200:
        detail = response.json().get("detail") if response.headers.get("content-type", "").startswith("application/json") else response.text
        return await _simulator_page(request, session, user, settings, values=values, status_code=response.status_code,
                                     error=f"Webhook menolak pesan ({response.status_code}): {detail}")
    return _redirect("/dev/whatsapp?" + urlencode({"hp": message.phone, "nama": message.name, "kantor": office.code if office else "",
                                                   "terkirim": "1"}) + "#percakapan-akhir")


def _simulated_office(code: str | None) -> OfficeEntry | None:
    """The office whose assistant the simulator writes to: the one chosen, else the first offering the assistant."""
    offering = directory().offering("whatsapp")
    if code:
        return next((o for o in offering if o.code == code), None)
    return offering[0] if offering else None
