"""Messages, as pages: one Inbox message in full (seed 003 §3.4 "Detail Pesan"), and the chat of a
permit application between its applicant and the officers (seed 003 §3.5), with attachments and new
messages fetched every 5 seconds (htmx). The same services as the JSON API."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import SameOrigin, _field, _is_htmx, _redirect, _render, _safe_next, _temporal, templates
from gateway.services import chat as chat_service
from gateway.services import files as file_service
from gateway.services import people as people_service
from gateway.services.offices import speak_for
from gateway.services.permits import STAFF_ROLES as PERMIT_STAFF
from gateway.services.permits import STATUS_LABELS
from process_defs import catalog
from store.models import User

router = APIRouter(include_in_schema=False)

templates.env.filters.setdefault("ukuran_berkas", file_service.human_size)


def _int_id(raw: str, what: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise not_found(what)
    return int(raw)


# --- one Inbox message ----------------------------------------------------------------------------


@router.get("/notifikasi/{notification_id}")
async def notification_page(request: Request, notification_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """The whole message (date, to, subject, body); opening it marks it read."""
    row = await people_service.mark_notification_read(session, user=user, notification_id=_int_id(notification_id, "Pesan"))
    back = _safe_next(request.query_params.get("kembali"), "/notifikasi")
    if not back.startswith("/notifikasi"):
        back = "/notifikasi"
    return await _render(request, "pages/chat/notification.html", {"n": row, "back": back, "active": "notifikasi"},
                         session=session, user=user)


# --- chat per application ---------------------------------------------------------------------------


def _case_url(user: User, resi: str) -> str:
    """Where the conversation's case is shown: the staff case view, or the applicant's own."""
    return f"/staf/permohonan/{resi}" if user.is_staff_for(PERMIT_STAFF) else f"/permohonan/{resi}"


def _items(talk: chat_service.Conversation, user: User) -> list[dict[str, Any]]:
    return [{**chat_service.serialize(m, talk.application, viewer=user, files=talk.files), "created": m.created_at}
            for m in talk.messages]


async def _chat_page(request: Request, session: Any, user: User, resi: str, *, body: str = "", error: str | None = None,
                     field_errors: dict | None = None, status_code: int = 200) -> Response:
    talk = await chat_service.conversation(session, viewer=user, resi=resi)
    application = talk.application
    speak_for(application.office_id)  # the case's office, whichever office the applicant applied to
    # Reading the conversation reads the notifications that pointed at it.
    await people_service.mark_notifications_read(session, user=user, link=chat_service.chat_path(application.resi))
    permit_type = catalog.permit_type(application.permit_type)
    items = _items(talk, user)
    ctx = {
        "application": application, "resi": application.resi, "items": items, "last_id": items[-1]["id"] if items else 0,
        "permit_type_name": permit_type.name if permit_type else application.permit_type,
        "status_label": STATUS_LABELS.get(application.status, application.status),
        "viewer_side": chat_service.side_of(application, user.id), "case_url": _case_url(user, application.resi),
        "body": body, "error": error, "field_errors": field_errors or {}, "max_body": chat_service.MAX_BODY,
        "accepted": file_service.ACCEPTED_TEXT, "max_mb": file_service.MAX_MB, "max_bytes": file_service.MAX_BYTES,
        "too_large": file_service.TOO_LARGE, "sent": request.query_params.get("pesan") == "terkirim",
    }
    return await _render(request, "pages/chat/conversation.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/permohonan/{resi}/chat")
async def chat_page(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    return await _chat_page(request, session, user, resi)


@router.get("/permohonan/{resi}/chat/baru")
async def new_messages(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    """Polled every 5 s: the messages after `setelah`, appended to the conversation (204 when none)."""
    raw = request.query_params.get("setelah", "0")
    after = int(raw) if raw.isdigit() and len(raw) <= 9 else 0
    talk = await chat_service.conversation(session, viewer=user, resi=resi, after_id=after)
    if not talk.messages:
        return Response(status_code=204)
    if not _is_htmx(request):  # a person who opened the polling address: show the whole page
        return _redirect(chat_service.chat_path(talk.application.resi))
    await people_service.mark_notifications_read(session, user=user, link=chat_service.chat_path(talk.application.resi))
    items = _items(talk, user)
    return await _render(request, "pages/chat/new_messages.html", {"resi": talk.application.resi, "items": items, "last_id": items[-1]["id"]},
                         user=user)


@router.post("/permohonan/{resi}/chat")
async def send_message(request: Request, resi: str, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                       _: SameOrigin) -> Response:
    await chat_service.get_for_viewer(session, viewer=user, resi=resi)  # 404 before reading any upload
    try:
        form = await file_service.read_upload_form(request)
    except DomainError as exc:
        return await _chat_page(request, session, user, resi, error=exc.detail, field_errors={"file": exc.detail}, status_code=status_of(exc))
    body = _field(form, "body", chat_service.MAX_BODY + 1000)
    try:
        if form.too_large:
            raise file_service.too_large()
        application, message, stored = await chat_service.post_message(session, settings, sender=user, resi=resi, body=body,
                                                                       upload=form.get("file"))
    except DomainError as exc:
        errors = {e["field"]: e["message"] for e in exc.errors if e.get("field")} or {"body": exc.detail}
        return await _chat_page(request, session, user, resi, body=body, error=exc.detail, field_errors=errors, status_code=status_of(exc))
    finally:
        await form.close()
    await chat_service.notify_other_side(await _temporal(request), settings,
                                         chat_service.notification_for(application, message, user, stored), office_id=application.office_id)
    return _redirect(f"{chat_service.chat_path(application.resi)}?pesan=terkirim#pesan-{message.id}")
