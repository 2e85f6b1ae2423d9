"""The offices as the gateway serves them: which office a request speaks for, and each office as runs and pages use it
(its identity, hours and calendar from the database, over the roles and registers of its office.yaml).

Offices are few and change rarely, so each gateway keeps them in memory (`OfficeDirectory`, on the app) and reads them
again when older than a few seconds: an administrator's change reaches every replica that soon. The request's office
is a context variable set where the request is authenticated (gateway/deps.py): staff speak for their own office, an
applicant or a visitor for the office named in the URL, or the case's own. Code that prints for an office asks
`current_office()`; code that works on a case asks `office_of(case)`, so an applicant's own case is always its
office's, whoever looks.
"""

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services.errors import conflict, invalid
from office.calendar import OfficeCalendar
from process_defs.loader import CalendarDef, OfficeDef, OfficeFile, calendar_snapshot, office_file
from process_defs.processes import PROCESS_LABELS
from store.models import Base, Office, OfficeOwned, User
from store.offices import scope_to_office, scoped_office_id

# How long a gateway trusts its copy of the offices before reading them again.
FRESH_SECONDS = 3.0


@dataclass(frozen=True)
class OfficeEntry:
    id: int
    code: str
    is_active: bool
    defs: OfficeFile

    @property
    def processes(self) -> tuple[str, ...]:
        """What it offers: what its administrators chose, of what its registers can run (process_defs/loader.py office_file)."""
        return tuple(self.defs.processes)


class OfficeDirectory:
    """Every office of the installation, as of the last read (at most FRESH_SECONDS old)."""

    def __init__(self) -> None:
        self._by_id: dict[int, OfficeEntry] = {}
        self._read_at = 0.0

    @property
    def stale(self) -> bool:
        return time.monotonic() - self._read_at >= FRESH_SECONDS

    def expire(self) -> None:
        """Read again at the next request (this gateway changed an office)."""
        self._read_at = 0.0

    async def refresh(self, session: AsyncSession) -> None:
        rows = list(await session.scalars(select(Office).order_by(Office.id).execution_options(populate_existing=True)))
        self._by_id = {o.id: OfficeEntry(id=o.id, code=o.code, is_active=o.is_active, defs=office_file(o))
                       for o in rows}
        self._read_at = time.monotonic()

    def get(self, office_id: int | None) -> OfficeEntry | None:
        return self._by_id.get(office_id) if office_id is not None else None

    def by_code(self, code: str) -> OfficeEntry | None:
        return next((o for o in self._by_id.values() if o.code == code), None)

    def all(self) -> list[OfficeEntry]:
        return list(self._by_id.values())

    def first(self) -> OfficeEntry | None:
        return next(iter(self._by_id.values()), None)

    def offering(self, process: str) -> list[OfficeEntry]:
        return [o for o in self._by_id.values() if o.is_active and process in o.processes]


_directory: ContextVar[OfficeDirectory | None] = ContextVar("satupintu_offices", default=None)
_office_id: ContextVar[int | None] = ContextVar("satupintu_office_id", default=None)


def use_directory(directory: OfficeDirectory) -> None:
    _directory.set(directory)


def speak_for(office_id: int | None) -> None:
    """The request speaks for this office from now on (its pages, messages and documents)."""
    _office_id.set(office_id)


@contextmanager
def speaking_for(office_id: int | None) -> Iterator[None]:
    token = _office_id.set(office_id)
    try:
        yield
    finally:
        _office_id.reset(token)


def directory() -> OfficeDirectory:
    found = _directory.get()
    if found is None:
        raise RuntimeError("no office directory: the request was not authenticated through gateway/deps.py")
    return found


def current_office_entry() -> OfficeEntry | None:
    """The office the request speaks for; None when it speaks for none (a public page before the visitor chose, the
    installation's administrator): such a page names no office."""
    d = _directory.get()
    return d.get(_office_id.get()) if d is not None else None


def current_office() -> OfficeFile:
    """The request's office for its labels, hours and calendar; the first office's when it speaks for none (every
    office shares the role vocabulary, and the demo's share a time zone)."""
    d = _directory.get()
    entry = current_office_entry() or (d.first() if d is not None else None)
    return entry.defs if entry is not None else NO_OFFICE_YET


# An installation before its first office (`satupintu create-office`): the shared role names, the national calendar in
# WIB, nothing offered. Pages its administrator opens then still have labels and dates to show.
NO_OFFICE_YET = OfficeFile.model_construct(
    office=OfficeDef(name="SatuPintu", short_name="SatuPintu", address="", city="", timezone="Asia/Jakarta", head_title=""),
    calendar=CalendarDef(office_hours={"start": "08:00", "end": "16:30"}), processes=[], role_labels={}, numbering={})


class HasOffice(Protocol):
    office_id: int


def office_of(row: HasOffice) -> OfficeFile:
    """The office a case (or task, run, unit) belongs to."""
    entry = directory().get(row.office_id)
    if entry is None:
        raise LookupError(f"office {row.office_id} is not in the directory")
    return entry.defs


def office_code_of(row: HasOffice) -> str:
    entry = directory().get(row.office_id)
    return entry.code if entry else ""


def office_zone() -> ZoneInfo:
    """The time zone of the request's office (its pages and reports)."""
    return ZoneInfo(current_office().office.timezone)


def office_file_by_id(office_id: int | None) -> OfficeFile:
    entry = directory().get(office_id)
    if entry is None:
        raise LookupError(f"office {office_id} is not in the directory")
    return entry.defs


def office_calendar() -> OfficeCalendar:
    """The working-day calendar of the request's office (the national one before any office exists)."""
    return OfficeCalendar(calendar_snapshot(current_office()))


def office_for_citizen(process: str, code: str | None, *, field: str = "office") -> OfficeEntry:
    """The office a citizen's new case goes to: the one named (it must offer the process), else the office the request
    speaks for (a page under /kantor/<code>) when it offers it, else the only office offering it."""
    offering = directory().offering(process)
    label = PROCESS_LABELS.get(process, process)
    if code:
        entry = directory().by_code(code.strip())
        if entry is None or entry not in offering:
            raise invalid(f"Kantor '{code.strip()[:40]}' tidak dikenal atau tidak melayani {label}.", field=field)
        return entry
    here = directory().get(_office_id.get())
    if here is not None and here in offering:
        return here
    if len(offering) == 1:
        return offering[0]
    if not offering:
        raise invalid(f"Belum ada kantor yang melayani {label}.", field=field)
    raise invalid("Pilih kantor tujuan: " + ", ".join(f"{o.defs.office.short_name} ({o.code})" for o in offering) + ".", field=field)


def office_for_staff(user: User, process: str) -> OfficeEntry:
    """The office of a member of staff starting a case: theirs, when it offers the process."""
    entry = directory().get(user.office_id)
    if entry is None or process not in entry.processes:
        raise conflict(f"Kantor Anda tidak melayani {PROCESS_LABELS.get(process, process)} di SatuPintu.", code="process_not_offered")
    return entry


def office_for_whatsapp(business_number: str | None) -> OfficeEntry:
    """The office whose assistant a WhatsApp message was sent to: the one with that business number, else the only
    office offering the assistant (one number for the installation)."""
    offering = directory().offering("whatsapp")
    for entry in offering:
        if business_number and entry.defs.office.whatsapp_number == business_number:
            return entry
    if offering:
        return offering[0]
    raise conflict("Belum ada kantor yang melayani asisten WhatsApp.", code="process_not_offered")


@functools.cache
def _run_tables() -> tuple[Any, ...]:
    """The tables that name a run and belong to an office: every case table, the tasks and the run index."""
    return tuple(m.class_ for m in Base.registry.mappers if issubclass(m.class_, OfficeOwned) and "workflow_id" in m.columns)


async def office_of_workflow(session: AsyncSession, workflow_id: str) -> OfficeEntry | None:
    """The office a run belongs to (a document's issuer: its case's office), read past the session's office scope,
    since which office issued a document is public (the verification page says it to anyone holding the paper);
    None when no row names the run."""
    scoped = scoped_office_id(session)
    scope_to_office(session, None)
    try:
        office_id = await session.scalar(
            union_all(*(select(table.office_id).where(table.workflow_id == workflow_id) for table in _run_tables())).limit(1))
    finally:
        scope_to_office(session, scoped)
    return directory().get(office_id)
