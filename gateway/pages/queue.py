"""The queue pages (seed 004 §B), in Bahasa Indonesia:

- `/antrian` — the kiosk in the waiting room, without signing in: one big button per service group; a
  press takes a number and shows the ticket (`/antrian/tiket/{id}`), printable on a narrow slip printer.
- `/antrian/layar` — the waiting room's display on a TV browser: the number each counter is calling, the
  latest call highlighted and announced (aria-live), the waiting count per group. It fetches its data
  fragment every 3 s with htmx; the announcement is swapped only when a new call arrives.
- `/loket` — the counter screen for the info desk, front office and supervisor: choose the counter
  (remembered in a cookie; `?loket=2` also works), then Panggil Berikutnya / Panggil Ulang / Lewati.

The pages call the same service functions as the JSON API (gateway/services/queue.py).
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CurrentUser, OptionalUser, SessionDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import FLASH, SameOrigin, _is_htmx, _redirect, _render, templates, waktu
from gateway.services import queue as queue_service
from gateway.services.offices import office_code_of, office_of
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


# --- the kiosk ---------------------------------------------------------------------------------------


async def _kiosk(request: Request, session: SessionDep, user: User | None, *, error: str | None = None, status_code: int = 200) -> Response:
    counts = await queue_service.waiting_counts(session)
    choices = [{"code": g.code, "name": g.name, "waiting": counts[g.code],
                "counters": [c.name for c in queue_service.counters_for_group(g.code)]} for g in queue_service.groups()]
    return await _render(request, "pages/queue/kiosk.html",
                         {"groups": choices, "error": error, "today": queue_service.service_day(), "active": "antrian"},
                         session=session, user=user, status_code=status_code)


@router.get("/antrian")
async def kiosk(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    return await _kiosk(request, session, user)


@router.post("/antrian/{group_code}")
async def take_ticket(request: Request, group_code: str, session: SessionDep, user: OptionalUser, _: SameOrigin) -> Response:
    try:
        ticket, _before = await queue_service.take_ticket(session, group_code=group_code, client_ip=client_ip(request))
    except DomainError as exc:
        if status_of(exc) == 404:
            raise
        return await _kiosk(request, session, user, error=exc.detail, status_code=status_of(exc))
    return _redirect(f"/antrian/tiket/{ticket.id}")


@router.get("/antrian/tiket/{ticket_id}")
async def ticket_page(request: Request, ticket_id: str, session: SessionDep, user: OptionalUser) -> Response:
    if not ticket_id.isdigit() or len(ticket_id) > 12:
        raise not_found("Nomor antrean")
    ticket = await queue_service.get_ticket(session, ticket_id=int(ticket_id))
    ctx = {
        "ticket": queue_service.serialize(ticket, waiting_before=await queue_service.waiting_before(session, ticket)),
        "counters": [c.name for c in queue_service.counters_for_group(ticket.group_code)],
        "is_today": ticket.service_day == queue_service.service_day(), "active": "antrian",
        # The slip names the office whose queue it is, whichever page the visitor came from.
        "office": office_of(ticket).office, "office_code": office_code_of(ticket),
    }
    return await _render(request, "pages/queue/ticket.html", ctx, session=session, user=user)


# --- the waiting room's display ----------------------------------------------------------------------


def _display_ctx(data: dict, announced: str | None) -> dict[str, Any]:
    key = _latest_key(data)
    latest = data["recent"][0] if data["recent"] else None
    return {"data": data, "latest": latest, "latest_key": key, "announce": announced is not None and announced != key,
            "refresh_seconds": DISPLAY_REFRESH_SECONDS}


@router.get("/antrian/layar")
async def display_page(request: Request, session: SessionDep) -> Response:
    # No user: a TV browser signs in as nobody, and the display shows the same to everyone.
    data = await queue_service.display(session)
    return await _render(request, "pages/queue/display.html", _display_ctx(data, None))


@router.get("/antrian/layar/data")
async def display_fragment(request: Request, session: SessionDep, terakhir: str = "") -> Response:
    """The display's data, polled by the display page; carries a new announcement only when the newest call changed."""
    if not _is_htmx(request):
        return _redirect("/antrian/layar")
    data = await queue_service.display(session)
    return await _render(request, "pages/queue/_display_data.html", _display_ctx(data, terakhir[:200]))


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
