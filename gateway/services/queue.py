"""Queue numbers (nomor antrian) and the counters (loket) that call them (seed 004 §B: the info desk sends
the visitor to take a number for their kind of service and shows the counter that will serve them).

- A number is `<group>-<seq>` (A-001, A-002, B-001 …), one sequence per service group, restarting every day
  in the office's time zone. Taking one is a single INSERT … SELECT max+1 under the unique constraint
  (day, group, sequence): SQLite runs the statement under its write lock; PostgreSQL queues the takers of a
  group behind a transaction-scoped advisory lock; and should two ever read the same max, the loser hits the
  constraint and takes the next number. Numbers are never shared and never skipped.
- A counter calls the oldest waiting ticket of today among the groups it serves (fair across groups: by the
  time the ticket was taken); calling the next one marks the ticket it was serving as served. A call is a
  conditional UPDATE on status "waiting", so two counters never call the same person.

Each office has its own queue: a ticket belongs to the office whose kiosk printed it (`/kantor/<code>/antrian`; the
plain `/antrian` and the API without `office` are the one office with a counter), numbers restart per office, and a
counter calls and a display shows its own office's tickets only. Staff work their own office's queue.

Every function takes `now` so tests can cross local midnight without waiting for it.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services import throttle
from gateway.services.errors import Unavailable, conflict, forbidden, invalid, not_found
from gateway.services.offices import directory, office_zone
from process_defs.counter import CounterDef, ServiceGroupDef, load_counter
from store.models import Office, QueueTicket, User

STATUS_WAITING, STATUS_CALLED, STATUS_SERVED, STATUS_SKIPPED = "waiting", "called", "served", "skipped"
STATUS_LABELS = {STATUS_WAITING: "Menunggu", STATUS_CALLED: "Dipanggil", STATUS_SERVED: "Dilayani", STATUS_SKIPPED: "Dilewati"}
# Who works a counter: the info desk and the front office call visitors; the supervisor stands in.
DESK_ROLES = frozenset({"front_office", "petugas_informasi", "supervisor"})
# The kiosk is one machine in the waiting room, so its address takes every ticket of a busy morning; the
# limit only stops a script emptying the day's numbers.
KIOSK_IP = throttle.Policy(limit=120, window=timedelta(minutes=10), block=timedelta(minutes=2))
RECENT_CALLS = 5
_INSERT_ATTEMPTS = 20
_CALL_ATTEMPTS = 10

MSG_NOT_COUNTER_STAFF = "Layar loket hanya untuk petugas informasi, front office, dan supervisor PTSP."


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _zone(office_id: int | None) -> ZoneInfo:
    try:
        entry = directory().get(office_id)
    except RuntimeError:  # called outside a request (a test, a script): the request's office is unknown too
        entry = None
    return ZoneInfo(entry.defs.office.timezone) if entry is not None else office_zone()


def service_day(now: datetime | None = None, office_id: int | None = None) -> date:
    """The office's local date: the day a queue number belongs to."""
    return _now(now).astimezone(_zone(office_id)).date()


MSG_NO_COUNTER = "Belum ada kantor yang melayani antrean loket."


async def queue_office_id(session: AsyncSession, code: str | None = None) -> int:
    """The office whose queue a kiosk or display without a signed-in officer serves: the one named (it must run a
    walk-in counter), else the only office that runs one."""
    try:
        offering = [(o.id, o.code) for o in directory().offering("walk_in")]
    except RuntimeError:  # outside a request: the offices as the database has them
        offering = [(o.id, o.code) for o in await session.scalars(select(Office).order_by(Office.id))
                    if o.is_active and "walk_in" in (o.processes or [])]
    if code:
        found = next((office_id for office_id, c in offering if c == code.strip()), None)
        if found is None:
            raise invalid(f"Kantor '{code.strip()[:40]}' tidak dikenal atau tidak melayani antrean loket.", field="office")
        return found
    if len(offering) == 1:
        return offering[0][0]
    if not offering:
        raise not_found("Antrean loket")
    raise invalid("Pilih kantor antrean: " + ", ".join(c for _, c in offering) + ".", field="office")


def staff_office_id(staff: User) -> int:
    """The office whose queue a member of staff works: their own."""
    if staff.office_id is None:
        raise forbidden(MSG_NOT_COUNTER_STAFF)
    return staff.office_id


def format_number(group_code: str, sequence: int) -> str:
    return f"{group_code}-{sequence:03d}"


def groups() -> list[ServiceGroupDef]:
    return list(load_counter().service_groups)


def counters() -> list[CounterDef]:
    return list(load_counter().counters)


def group_or_404(code: str) -> ServiceGroupDef:
    group = load_counter().group(code.strip().upper()) if len(code) <= 8 else None
    if group is None:
        raise not_found("Kelompok layanan antrean")
    return group


def counter_or_404(code: str) -> CounterDef:
    counter = load_counter().counter(code.strip()) if len(code) <= 8 else None
    if counter is None:
        raise not_found("Loket")
    return counter


def counters_for_group(code: str) -> list[CounterDef]:
    return [c for c in load_counter().counters if code in c.groups]


def is_counter_staff(user: User | None) -> bool:
    return user is not None and bool(DESK_ROLES & set(user.role_names))


def require_counter_staff(user: User) -> None:
    if not is_counter_staff(user):
        raise forbidden(MSG_NOT_COUNTER_STAFF)


# --- taking a number (the kiosk) ---------------------------------------------------------------------


async def take_ticket(session: AsyncSession, *, group_code: str, client_ip: str | None, office_id: int | None = None,
                      now: datetime | None = None) -> tuple[QueueTicket, int]:
    """The next number of the group for today at the office's queue, and how many of the group are waiting before it.
    `client_ip` None skips the kiosk's rate limit (for callers that are not the public kiosk); `office_id` None is the
    only office with a counter."""
    group = group_or_404(group_code)
    if office_id is None:
        office_id = await queue_office_id(session)
    if client_ip is not None:
        await throttle.hit(session, f"queue-ticket:ip:{client_ip}", KIOSK_IP)
    now = _now(now)
    day = service_day(now, office_id)
    # An INSERT is not held to a session's office (store/offices.py), so the office is said here.
    same_group = (QueueTicket.office_id == office_id) & (QueueTicket.service_day == day) & (QueueTicket.group_code == group.code)
    next_sequence = select(func.coalesce(func.max(QueueTicket.sequence), 0) + 1).where(same_group).scalar_subquery()
    statement = (
        insert(QueueTicket)
        .from_select(
            ["office_id", "service_day", "group_code", "sequence", "number", "status", "recall_count", "created_at"],
            select(literal(office_id), literal(day, QueueTicket.service_day.type), literal(group.code), next_sequence, literal(""),
                   literal(STATUS_WAITING), literal(0), literal(now, QueueTicket.created_at.type)),
        )
        .returning(QueueTicket.id, QueueTicket.sequence)
    )
    for attempt in range(_INSERT_ATTEMPTS):
        try:
            if session.get_bind().dialect.name == "postgresql":
                # Queue the day's takers of this group behind one lock, so a crowd does not retry in a loop.
                await session.execute(select(func.pg_advisory_xact_lock(_lock_key(office_id, day, group.code))))
            ticket_id, sequence = (await session.execute(statement)).one()
            # The number is written in the same transaction, so nobody ever sees the placeholder.
            await session.execute(update(QueueTicket).where(QueueTicket.id == ticket_id).values(number=format_number(group.code, sequence)))
            await session.commit()
            break
        except IntegrityError:  # another kiosk request took this sequence between our read and write: take the next
            await session.rollback()
            if attempt == _INSERT_ATTEMPTS - 1:
                raise Unavailable("Nomor antrean sedang ramai diambil. Silakan tekan tombol sekali lagi.", code="busy") from None
    ticket = await _reread(session, ticket_id)
    return ticket, await waiting_before(session, ticket)


def _lock_key(office_id: int, day: date, group_code: str) -> int:
    digest = hashlib.sha256(f"queue-ticket:{office_id}:{day.isoformat()}:{group_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def waiting_before(session: AsyncSession, ticket: QueueTicket) -> int:
    """Visitors of the same group still waiting with an earlier number."""
    return await session.scalar(
        select(func.count()).select_from(QueueTicket).where(
            QueueTicket.office_id == ticket.office_id, QueueTicket.service_day == ticket.service_day, QueueTicket.group_code == ticket.group_code,
            QueueTicket.status == STATUS_WAITING, QueueTicket.sequence < ticket.sequence,
        )
    ) or 0


async def get_ticket(session: AsyncSession, *, ticket_id: int) -> QueueTicket:
    ticket = await session.get(QueueTicket, ticket_id)
    if ticket is None:
        raise not_found("Nomor antrean")
    return ticket


# --- calling (the counter) ---------------------------------------------------------------------------


async def current_ticket(session: AsyncSession, *, counter_code: str, office_id: int, now: datetime | None = None) -> QueueTicket | None:
    """The ticket the office's counter is serving now: its latest call of today that is not finished."""
    return await session.scalar(
        select(QueueTicket).where(
            QueueTicket.office_id == office_id, QueueTicket.service_day == service_day(now, office_id), QueueTicket.counter_code == counter_code,
            QueueTicket.status == STATUS_CALLED,
        ).order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc()).limit(1)
    )


def msg_nothing_waiting(counter: CounterDef) -> str:
    return f"Tidak ada antrean yang menunggu untuk {counter.name}."


def msg_nothing_current(counter: CounterDef) -> str:
    return f"Belum ada nomor yang sedang dipanggil di {counter.name}. Tekan Panggil Berikutnya terlebih dahulu."


async def call_next(session: AsyncSession, *, staff: User, counter_code: str, now: datetime | None = None) -> QueueTicket:
    """Finishes the counter's current ticket (served) and calls the oldest waiting ticket of today among
    the counter's groups. 409 when nobody is waiting (the current ticket is still marked served)."""
    require_counter_staff(staff)
    counter = counter_or_404(counter_code)
    office_id = staff_office_id(staff)
    now = _now(now)
    day = service_day(now, office_id)
    # Every unfinished call of this counter, not only the latest: a double click racing on PostgreSQL could
    # leave two, and the next call closes both.
    await session.execute(
        update(QueueTicket)
        .where(QueueTicket.office_id == office_id, QueueTicket.service_day == day, QueueTicket.counter_code == counter.code,
               QueueTicket.status == STATUS_CALLED)
        .values(status=STATUS_SERVED, finished_at=now)
    )
    for _ in range(_CALL_ATTEMPTS):
        candidate = await session.scalar(
            select(QueueTicket.id).where(
                QueueTicket.office_id == office_id, QueueTicket.service_day == day, QueueTicket.group_code.in_(counter.groups),
                QueueTicket.status == STATUS_WAITING,
            ).order_by(QueueTicket.created_at, QueueTicket.id).limit(1)
        )
        if candidate is None:
            await session.commit()
            raise conflict(msg_nothing_waiting(counter), code="queue_empty")
        # An UPDATE's result is a CursorResult (with its rowcount), which execute() does not say.
        called = cast(CursorResult[Any], await session.execute(
            update(QueueTicket).where(QueueTicket.id == candidate, QueueTicket.status == STATUS_WAITING)
            .values(status=STATUS_CALLED, counter_code=counter.code, called_at=now, called_by_id=staff.id)
        ))
        if called.rowcount == 1:
            await session.commit()
            return await _reread(session, candidate)
        # Another counter called this visitor a moment ago: take the next one.
    await session.rollback()
    raise conflict("Antrean sedang dipanggil dari loket lain. Silakan tekan Panggil Berikutnya sekali lagi.", code="busy")


async def _change_current(session: AsyncSession, *, staff: User, counter_code: str, now: datetime | None, values: dict) -> QueueTicket:
    require_counter_staff(staff)
    counter = counter_or_404(counter_code)
    now = _now(now)
    ticket = await current_ticket(session, counter_code=counter.code, office_id=staff_office_id(staff), now=now)
    if ticket is None:
        raise conflict(msg_nothing_current(counter), code="no_current_ticket")
    changed = cast(CursorResult[Any], await session.execute(  # an UPDATE's result: a CursorResult, with its rowcount
        update(QueueTicket).where(QueueTicket.id == ticket.id, QueueTicket.status == STATUS_CALLED).values(**values)
    ))
    if changed.rowcount != 1:
        await session.rollback()
        raise conflict(msg_nothing_current(counter), code="no_current_ticket")
    await session.commit()
    return await _reread(session, ticket.id)


async def _reread(session: AsyncSession, ticket_id: int) -> QueueTicket:
    """A ticket just written, as the database has it now (tickets are never deleted)."""
    ticket = await session.get(QueueTicket, ticket_id, populate_existing=True)
    if ticket is None:
        raise RuntimeError(f"queue ticket {ticket_id} vanished right after it was written")
    return ticket


async def recall(session: AsyncSession, *, staff: User, counter_code: str, now: datetime | None = None) -> QueueTicket:
    """Calls the current ticket again: the display shows it as the newest call."""
    now = _now(now)
    return await _change_current(session, staff=staff, counter_code=counter_code, now=now,
                                 values={"recall_count": QueueTicket.recall_count + 1, "called_at": now, "called_by_id": staff.id})


async def skip(session: AsyncSession, *, staff: User, counter_code: str, now: datetime | None = None) -> QueueTicket:
    """The called visitor did not come: the ticket is skipped and the counter is free to call the next."""
    now = _now(now)
    return await _change_current(session, staff=staff, counter_code=counter_code, now=now,
                                 values={"status": STATUS_SKIPPED, "finished_at": now})


# --- what the display and the counter screen show ----------------------------------------------------


async def waiting_counts(session: AsyncSession, *, office_id: int, now: datetime | None = None) -> dict[str, int]:
    rows = await session.execute(
        select(QueueTicket.group_code, func.count()).where(QueueTicket.office_id == office_id, QueueTicket.service_day == service_day(now, office_id),
                                                           QueueTicket.status == STATUS_WAITING)
        .group_by(QueueTicket.group_code)
    )
    counts = dict(rows.all())
    return {g.code: counts.get(g.code, 0) for g in groups()}


async def display(session: AsyncSession, *, office_id: int, now: datetime | None = None) -> dict:
    """The office's waiting room display: the number each counter is serving, the waiting count per group, and
    the latest calls (a recall counts as a new call)."""
    day = service_day(now, office_id)
    today = (QueueTicket.office_id == office_id) & (QueueTicket.service_day == day)
    current = {}
    for ticket in await session.scalars(
        select(QueueTicket).where(today, QueueTicket.status == STATUS_CALLED).order_by(QueueTicket.called_at, QueueTicket.id)
    ):
        current[ticket.counter_code] = ticket  # ordered by call time, so the latest call of a counter wins
    recent = await session.scalars(
        select(QueueTicket).where(today, QueueTicket.called_at.is_not(None))
        .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc()).limit(RECENT_CALLS)
    )
    counts = await waiting_counts(session, office_id=office_id, now=now)
    return {
        "service_day": day.isoformat(),
        "counters": [{"code": c.code, "name": c.name, "groups": list(c.groups),
                      "current": _call(current[c.code]) if c.code in current else None} for c in counters()],
        "waiting": [{"group": g.code, "name": g.name, "count": counts[g.code]} for g in groups()],
        "recent": [_call(t) for t in recent],
    }


async def counter_board(session: AsyncSession, *, staff: User, counter_code: str, now: datetime | None = None) -> dict:
    """What the counter's screen shows: its current ticket, who is waiting for it, and its tickets of today."""
    require_counter_staff(staff)
    counter = counter_or_404(counter_code)
    office_id = staff_office_id(staff)
    day = service_day(now, office_id)
    counts = await waiting_counts(session, office_id=office_id, now=now)
    current = await current_ticket(session, counter_code=counter.code, office_id=office_id, now=now)
    handled = await session.scalars(
        select(QueueTicket).where(QueueTicket.office_id == office_id, QueueTicket.service_day == day, QueueTicket.counter_code == counter.code)
        .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc())
    )
    return {
        "counter": {"code": counter.code, "name": counter.name, "groups": list(counter.groups)},
        "service_day": day.isoformat(),
        "current": serialize(current) if current else None,
        "waiting": sum(counts[g] for g in counter.groups),
        "waiting_by_group": [{"group": g.code, "name": g.name, "count": counts[g.code]} for g in groups() if g.code in counter.groups],
        "tickets": [serialize(t) for t in handled],
    }


def _call(ticket: QueueTicket) -> dict:
    counter = load_counter().counter(ticket.counter_code or "")
    return {"number": ticket.number, "service_group": ticket.group_code, "counter": ticket.counter_code,
            "counter_name": counter.name if counter else ticket.counter_code, "called_at": _iso(ticket.called_at),
            "recall_count": ticket.recall_count, "status": ticket.status}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def serialize(ticket: QueueTicket, *, waiting_before: int | None = None) -> dict:
    group = load_counter().group(ticket.group_code)
    counter = load_counter().counter(ticket.counter_code) if ticket.counter_code else None
    data = {
        "id": ticket.id, "number": ticket.number, "service_group": ticket.group_code, "group_name": group.name if group else ticket.group_code,
        "service_day": ticket.service_day.isoformat(), "status": ticket.status, "status_label": STATUS_LABELS.get(ticket.status, ticket.status),
        "counter": ticket.counter_code, "counter_name": counter.name if counter else None, "called_at": _iso(ticket.called_at),
        "recall_count": ticket.recall_count, "finished_at": _iso(ticket.finished_at), "created_at": _iso(ticket.created_at),
    }
    if waiting_before is not None:
        data["waiting_before"] = waiting_before
    return data
