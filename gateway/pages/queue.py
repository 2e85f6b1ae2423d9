"""The queue pages (seed 004 §B), in Bahasa Indonesia:

- `/kantor/{code}/antrian` — the office's kiosk in its waiting room, without signing in: one big button per service
  group; a press takes a number of that office's queue and shows the ticket (`…/antrian/tiket/{id}`), printable on a
  narrow slip printer. `/antrian` is the same kiosk for the signed-in officer's office, or (signed out) for the one
  office with a counter.
- `/kantor/{code}/antrian/layar` (and `/antrian/layar`) — the waiting room's display on a TV browser: the number each
  of the office's counters is calling, the latest call highlighted and announced (aria-live), the waiting count per
  group. It fetches its data fragment every 3 s with htmx; the announcement is swapped only when a new call arrives.
- `/loket` — the counter screen for the info desk, front office and supervisor: choose the counter
  (remembered in a cookie; `?loket=2` also works), then Panggil Berikutnya / Panggil Ulang / Lewati.

The pages call the same service functions as the JSON API (gateway/services/queue.py).
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import CurrentUser, OptionalUser, SessionDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import FLASH, SameOrigin, _is_htmx, _redirect, _render, templates, waktu
from gateway.services import queue as queue_service
from gateway.services.office_access import active_office
from gateway.services.offices import directory, office_for_staff, speak_for
from gateway.services.throttle import client_ip
from process_defs.counter import load_counter
from store.models import User

router = APIRouter(include_in_schema=False)

COUNTER_COOKIE = "satupintu_loket"
COUNTER_COOKIE_DAYS = 365
DISPLAY_REFRESH_SECONDS = 3
BOARD_REFRESH_SECONDS = 5
QUEUE_FLASH = {
    "dipanggil": "Nomor berikutnya telah dipanggil dan tampil di layar ruang tunggu.",
    "dipanggil-ulang": "Nomor telah dipanggil ulang; layar ruang tunggu menampilkannya lagi.",
    "dilewati": "Nomor telah dilewati. Tekan Panggil Berikutnya untuk memanggil pengunjung selanjutnya.",
}
# The counter's buttons: path segment → (service function, flash code).
ACTIONS = {
    "panggil": (queue_service.call_next, "dipanggil"),
    "ulang": (queue_service.recall, "dipanggil-ulang"),
    "lewati": (queue_service.skip, "dilewati"),
}


def jam(value: object) -> str:
    """14.05 WIB: the time part of `waktu`, for screens that only ever show today."""
    return waktu(value).rpartition(", ")[2]


templates.env.filters.setdefault("jam", jam)


def _flash(request: Request) -> str | None:
    code = request.query_params.get("pesan", "")
    return QUEUE_FLASH.get(code) or FLASH.get(code)


def _latest_key(data: dict) -> str:
    """Names the newest call (a recall moves its time), so the display announces each call once."""
    latest = data["recent"][0] if data["recent"] else None
    return f"{latest['number']}|{latest['counter']}|{latest['called_at']}" if latest else ""


# --- whose queue ---------------------------------------------------------------------------------------


async def _queue_office(session: AsyncSession, user: User | None, code: str | None) -> tuple[int, str]:
    """The office whose queue the page shows and its pages' base path: the office in the address (/kantor/<code>/antrian),
    else the signed-in officer's own, else the one office with a counter (/antrian). The page speaks for it."""
    if code is not None:
        entry = active_office(code)
        if entry is None or "walk_in" not in entry.processes:
            raise not_found("Antrean kantor")
        office_id, base = entry.id, f"/kantor/{entry.code}/antrian"
    elif user is not None and user.kind == "staff" and user.office_id is not None:
        office_id, base = office_for_staff(user, "walk_in").id, "/antrian"
    else:
        office_id, base = await queue_service.queue_office_id(session), "/antrian"
    speak_for(office_id)
    return office_id, base


# --- the kiosk ---------------------------------------------------------------------------------------


async def _kiosk(request: Request, session: AsyncSession, user: User | None, office_id: int, base: str, *, error: str | None = None,
                 status_code: int = 200) -> Response:
    counts = await queue_service.waiting_counts(session, office_id=office_id)
    choices = [{"code": g.code, "name": g.name, "waiting": counts[g.code],
                "counters": [c.name for c in queue_service.counters_for_group(g.code)]} for g in queue_service.groups()]
    return await _render(request, "pages/queue/kiosk.html",
                         {"groups": choices, "error": error, "today": queue_service.service_day(office_id=office_id), "base": base,
                          "active": "antrian"},
                         session=session, user=user, status_code=status_code)


async def _take(request: Request, session: AsyncSession, user: User | None, group_code: str, code: str | None) -> Response:
    office_id, base = await _queue_office(session, user, code)
    try:
        ticket, _before = await queue_service.take_ticket(session, group_code=group_code, client_ip=client_ip(request), office_id=office_id)
    except DomainError as exc:
        if status_of(exc) == 404:
            raise
        return await _kiosk(request, session, user, office_id, base, error=exc.detail, status_code=status_of(exc))
    return _redirect(f"{base}/tiket/{ticket.id}")


async def _ticket(request: Request, session: AsyncSession, user: User | None, ticket_id: str, code: str | None) -> Response:
    if not ticket_id.isdigit() or len(ticket_id) > 12:
        raise not_found("Nomor antrean")
    ticket = await queue_service.get_ticket(session, ticket_id=int(ticket_id))
    entry = active_office(code) if code is not None else None
    if code is not None and (entry is None or entry.id != ticket.office_id):
        raise not_found("Nomor antrean")  # another office's ticket is not this kiosk's
    office = directory().get(ticket.office_id)
    speak_for(ticket.office_id)
    ctx = {
        "ticket": queue_service.serialize(ticket, waiting_before=await queue_service.waiting_before(session, ticket)),
        "counters": [c.name for c in queue_service.counters_for_group(ticket.group_code)],
        "is_today": ticket.service_day == queue_service.service_day(office_id=ticket.office_id), "active": "antrian",
        "base": f"/kantor/{office.code}/antrian" if code is not None and office is not None else "/antrian",
    }
    return await _render(request, "pages/queue/ticket.html", ctx, session=session, user=user)


@router.get("/antrian")
async def kiosk(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    office_id, base = await _queue_office(session, user, None)
    return await _kiosk(request, session, user, office_id, base)


@router.get("/kantor/{code}/antrian")
async def office_kiosk(request: Request, code: str, session: SessionDep, user: OptionalUser) -> Response:
    office_id, base = await _queue_office(session, user, code)
    return await _kiosk(request, session, user, office_id, base)


@router.post("/antrian/{group_code}")
async def take_ticket(request: Request, group_code: str, session: SessionDep, user: OptionalUser, _: SameOrigin) -> Response:
    return await _take(request, session, user, group_code, None)


@router.post("/kantor/{code}/antrian/{group_code}")
async def office_take_ticket(request: Request, code: str, group_code: str, session: SessionDep, user: OptionalUser, _: SameOrigin) -> Response:
    return await _take(request, session, user, group_code, code)


@router.get("/antrian/tiket/{ticket_id}")
async def ticket_page(request: Request, ticket_id: str, session: SessionDep, user: OptionalUser) -> Response:
    return await _ticket(request, session, user, ticket_id, None)


@router.get("/kantor/{code}/antrian/tiket/{ticket_id}")
async def office_ticket_page(request: Request, code: str, ticket_id: str, session: SessionDep, user: OptionalUser) -> Response:
    return await _ticket(request, session, user, ticket_id, code)


# --- the waiting room's display ----------------------------------------------------------------------


def _display_ctx(data: dict, announced: str | None, base: str) -> dict[str, Any]:
    key = _latest_key(data)
    latest = data["recent"][0] if data["recent"] else None
    return {"data": data, "latest": latest, "latest_key": key, "announce": announced is not None and announced != key,
            "refresh_seconds": DISPLAY_REFRESH_SECONDS, "base": base}


async def _display(request: Request, session: AsyncSession, code: str | None) -> Response:
    # No user: a TV browser signs in as nobody, and the display shows the same to everyone.
    office_id, base = await _queue_office(session, None, code)
    data = await queue_service.display(session, office_id=office_id)
    return await _render(request, "pages/queue/display.html", _display_ctx(data, None, base))


async def _display_data(request: Request, session: AsyncSession, code: str | None, terakhir: str) -> Response:
    """The display's data, polled by the display page; carries a new announcement only when the newest call changed."""
    office_id, base = await _queue_office(session, None, code)
    if not _is_htmx(request):
        return _redirect(f"{base}/layar")
    data = await queue_service.display(session, office_id=office_id)
    return await _render(request, "pages/queue/_display_data.html", _display_ctx(data, terakhir[:200], base))


@router.get("/antrian/layar")
async def display_page(request: Request, session: SessionDep) -> Response:
    return await _display(request, session, None)


@router.get("/kantor/{code}/antrian/layar")
async def office_display_page(request: Request, code: str, session: SessionDep) -> Response:
    return await _display(request, session, code)


@router.get("/antrian/layar/data")
async def display_fragment(request: Request, session: SessionDep, terakhir: str = "") -> Response:
    return await _display_data(request, session, None, terakhir)


@router.get("/kantor/{code}/antrian/layar/data")
async def office_display_fragment(request: Request, code: str, session: SessionDep, terakhir: str = "") -> Response:
    return await _display_data(request, session, code, terakhir)


# --- the counter screen ------------------------------------------------------------------------------


def _chosen_counter(request: Request) -> tuple[str | None, str | None]:
    """The counter asked for in the address, else the one remembered; and an error for an unknown one."""
    asked = request.query_params.get("loket")
    if asked is not None:
        code = asked.strip()[:8]
        return (code, None) if load_counter().counter(code) else (None, f"Loket \"{code}\" tidak ada. Pilih salah satu loket di bawah.")
    remembered = request.cookies.get(COUNTER_COOKIE, "")[:8]
    if request.query_params.get("pilih") is None and load_counter().counter(remembered):
        return remembered, None
    return None, None


async def _board_page(request: Request, session: SessionDep, user: CurrentUser, code: str | None, *, error: str | None = None,
                      status_code: int = 200) -> Response:
    queue_service.require_counter_staff(user)
    if code is None:
        ctx: dict[str, Any] = {"counters": queue_service.counters(), "error": error, "active": "loket"}
        return await _render(request, "pages/queue/choose.html", ctx, session=session, user=user, status_code=status_code)
    board = await queue_service.counter_board(session, staff=user, counter_code=code)
    ctx = {"board": board, "error": error, "flash": None if error else _flash(request), "refresh_seconds": BOARD_REFRESH_SECONDS,
           "active": "loket"}
    response = await _render(request, "pages/queue/counter.html", ctx, session=session, user=user, status_code=status_code)
    response.set_cookie(COUNTER_COOKIE, code, max_age=COUNTER_COOKIE_DAYS * 86400, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.get("/loket")
async def counter_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    code, error = _chosen_counter(request)
    return await _board_page(request, session, user, code, error=error, status_code=404 if error else 200)


@router.get("/loket/{code}/status")
async def counter_status_fragment(request: Request, code: str, session: SessionDep, user: CurrentUser) -> Response:
    """Who is waiting for the counter and its tickets of today: polled by the counter screen."""
    if not _is_htmx(request):
        return _redirect(f"/loket?loket={queue_service.counter_or_404(code).code}")
    board = await queue_service.counter_board(session, staff=user, counter_code=code)
    return await _render(request, "pages/queue/counter.html", {"board": board, "refresh_seconds": BOARD_REFRESH_SECONDS}, user=user,
                         block="board_status")


@router.post("/loket/{code}/{action}")
async def counter_action(request: Request, code: str, action: str, session: SessionDep, user: CurrentUser, _: SameOrigin) -> Response:
    if action not in ACTIONS:
        raise not_found("Tindakan loket")
    queue_service.require_counter_staff(user)
    counter = queue_service.counter_or_404(code)
    act, flash = ACTIONS[action]
    try:
        await act(session, staff=user, counter_code=counter.code)
    except DomainError as exc:
        if status_of(exc) != 409:
            raise
        return await _board_page(request, session, user, counter.code, error=exc.detail, status_code=409)
    return _redirect(f"/loket?loket={counter.code}&pesan={flash}")
