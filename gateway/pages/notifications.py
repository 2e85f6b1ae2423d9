"""In-application notifications, and in development the mail the SMTP sink received."""


from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.system import outbox
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import not_found
from gateway.pages.framework import PAGE_SIZE, SameOrigin, _is_htmx, _redirect, _render, _with_flash
from gateway.services import people as people_service

router = APIRouter(include_in_schema=False)


@router.get("/notifikasi")
async def notifications_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Inbox (seed 003 §3.4): search in subject and body, only unread, pages of PAGE_SIZE; htmx swaps the list."""
    q = " ".join(request.query_params.get("q", "").split())[:100]
    unread_only = request.query_params.get("belum") == "1"
    raw_page = request.query_params.get("halaman", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    items = await people_service.notifications(session, user=user, unread=unread_only, q=q or None, limit=PAGE_SIZE,
                                               offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-items.total // PAGE_SIZE))
    if page > pages:  # past the end (e.g. after messages were read with "only unread" on): the last page
        page = pages
        items = await people_service.notifications(session, user=user, unread=unread_only, q=q or None, limit=PAGE_SIZE,
                                                   offset=(page - 1) * PAGE_SIZE)
    query = {k: v for k, v in (("q", q), ("belum", "1" if unread_only else "")) if v}
    here = "/notifikasi" + (f"?{urlencode({**query, **({'halaman': page} if page > 1 else {})})}" if query or page > 1 else "")
    ctx = {"items": items, "total": items.total, "q": q, "unread_only": unread_only, "page": page, "pages": pages, "here": here,
           "page_url": lambda n: "/notifikasi?" + urlencode({**query, "halaman": n}), "active": "notifikasi",
           "unread_here": await people_service.unread_notification_count(session, user=user)}
    if _is_htmx(request):
        return await _render(request, "pages/notifications.html", ctx, user=user, block="notif_list")
    return await _render(request, "pages/notifications.html", ctx, session=session, user=user)


@router.post("/notifikasi/baca-semua")
async def mark_all_read(user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    await people_service.mark_notifications_read(session, user=user)
    return _redirect(_with_flash("/notifikasi", "dibaca"))


@router.get("/dev/surat")
async def dev_mail(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    if not settings.dev_mode:
        raise not_found("Halaman")
    return await _render(request, "pages/dev_mail.html", {"items": await outbox(session, settings)}, session=session, user=user)
