"""Offices as the public reaches them, and the office a run belongs to for the routes that reach a run by its id.

Staff of one office never read another office's rows (store/offices.py scopes their session), so a route that reads
the case, task or conversation first answers 404 for another office's by itself. A route that goes to Temporal or
to storage by an id alone (a run's history, its audit report, an owner's action, a document) has no row to read
first: it asks `require_run_of_office`, which finds the run's office (the run index, its case row, its tasks, its
WhatsApp conversation, read across offices; else the memo its start wrote) and answers 404 when it is not the
person's. Of the accounts of no office, the installation's process owners and auditors reach every office's runs and
its administrator those of the routes that let it through (the Temporal Web UI)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from gateway.services.errors import DomainError, Unavailable, not_found
from gateway.services.offices import OfficeEntry, directory, speak_for
from store.models import (
    Complaint,
    LeaveRequest,
    Letter,
    PermitApplication,
    ProcessRun,
    ProcessStart,
    SiramasakanRequest,
    Task,
    User,
    WalkInVisit,
    WhatsAppConversation,
)
from store.offices import first_office, scope_to_office, scoped_office_id
from store.outbox import MEMO_OFFICE

# Staff of no office who read every office's runs (roles as gateway/deps.py RUN_READER_ROLES names them), and the
# installation's administrator where a route lets it through at all (the Temporal Web UI it operates).
INSTALLATION_RUN_READERS = frozenset({"pemilik_proses", "auditor", "admin_instalasi"})
# Office codes are short slugs (ms-lhokseumawe); anything longer names no office.
MAX_CODE = 60


# --- the offices, as the public sees them ---------------------------------------------------------------


def public_offices() -> list[OfficeEntry]:
    """The active offices, in the order they were made."""
    return [o for o in directory().all() if o.is_active]


def active_office(code: str | None) -> OfficeEntry | None:
    """The active office with this code; None for an unknown, inactive or malformed one."""
    code = (code or "").strip()
    if not code or len(code) > MAX_CODE:
        return None
    entry = directory().by_code(code)
    return entry if entry is not None and entry.is_active else None


def speak_for_code(code: str | None) -> OfficeEntry | None:
    """The page speaks for the office with this code (a case's, or one named in the address), when there is one."""
    entry = directory().by_code(code) if code else None
    if entry is not None:
        speak_for(entry.id)
    return entry


def chosen(code: str | None, process: str) -> OfficeEntry | None:
    """The office a form names (`?kantor=` of a link from its page, or the form's own choice) when it offers `process`;
    the page speaks for it from then on."""
    entry = active_office(code)
    if entry is None or process not in entry.processes:
        return None
    speak_for(entry.id)
    return entry


def offering(process: str) -> list[OfficeEntry]:
    return directory().offering(process)


def choices(process: str) -> list[dict[str, str]]:
    """The offices a citizen may send a case of `process` to, for a form's select."""
    return [{"code": o.code, "name": o.defs.office.name, "short_name": o.defs.office.short_name, "city": o.defs.office.city}
            for o in offering(process)]


# --- the office of a run -----------------------------------------------------------------------------------


@contextmanager
def unscoped(session: AsyncSession) -> Iterator[None]:
    """Reads of `session` see every office's rows until the block ends. Only for reading a column (an office id):
    a whole row read here would stay in the session's identity map, where a later scoped `get` would find it."""
    kept = scoped_office_id(session)
    scope_to_office(session, None)
    try:
        yield
    finally:
        scope_to_office(session, kept)


# Where a workflow id is kept with its office: the run index, the case rows, the inbox, the outbox, the WhatsApp
# conversations.
_OWNERS: tuple[Any, ...] = (ProcessRun, LeaveRequest, PermitApplication, WalkInVisit, Letter, SiramasakanRequest, Complaint,
                            WhatsAppConversation, Task)


async def _office_in_database(session: AsyncSession, workflow_id: str) -> int | None:
    with unscoped(session):
        for model in _OWNERS:
            found = await session.scalar(select(model.office_id).where(model.workflow_id == workflow_id).limit(1))
            if found is not None:
                return int(found)
        found = await session.scalar(select(ProcessStart.office_id).where(ProcessStart.workflow_id == workflow_id))
        return int(found) if found is not None else None


def _unavailable() -> Unavailable:
    return Unavailable("Layanan proses (Temporal) sedang tidak dapat dihubungi. Silakan coba lagi.", code="temporal_unavailable")


async def _memo_office(session: AsyncSession, raw_memo_fields: Any, memo: Any) -> int:
    """The office a run's memo names; the first office for a run started without one (before offices, or a
    notification), as the run index files it (workers/run_index.py)."""
    office: object = None
    if MEMO_OFFICE in raw_memo_fields:
        try:
            office = (await memo()).get(MEMO_OFFICE)
        except Exception:  # noqa: BLE001 - a memo this installation cannot read names no office
            office = None
    if isinstance(office, int):
        return office
    with unscoped(session):
        return (await first_office(session)).id


async def run_in_office(session: AsyncSession, execution: WorkflowExecution, *, office_id: int | None) -> bool:
    """Whether a run listed from Temporal's visibility is of office `office_id`."""
    if office_id is None:
        return False
    found = await _office_in_database(session, execution.id)
    if found is None:
        found = await _memo_office(session, execution.raw_info.memo.fields, execution.memo)
    return found == office_id


async def _office_in_memo(session: AsyncSession, client: Client, workflow_id: str) -> int | None:
    """The office the run's start wrote in its memo; the first office for a run started without one (before offices,
    or a notification); None when Temporal has no such run."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise _unavailable() from exc
    return await _memo_office(session, description.raw_description.workflow_execution_info.memo.fields, description.memo)


async def workflow_office_id(session: AsyncSession, client: Client | None, workflow_id: str) -> int | None:
    """The office the run `workflow_id` belongs to; None when neither the database nor Temporal knows it."""
    office_id = await _office_in_database(session, workflow_id)
    if office_id is None and client is not None:
        office_id = await _office_in_memo(session, client, workflow_id)
    return office_id


async def require_run_of_office(session: AsyncSession, client: Client | None, *, user: User, workflow_id: str,
                                missing: DomainError | None = None) -> int:
    """The run's office, which is `user`'s; 404 otherwise: another office's run is answered as if there were none."""
    refusal = missing or not_found("Proses")
    if not workflow_id or len(workflow_id) > 200:
        raise refusal
    if user.office_id is None:
        # Above the offices: the installation's own process owners and auditors (the inspectorate) read every office's
        # runs, and its administrator the runs the Temporal Web UI shows it.
        office_id = await workflow_office_id(session, client, workflow_id) if INSTALLATION_RUN_READERS & set(user.role_names) else None
        if office_id is None:
            raise refusal
        return office_id
    if await workflow_office_id(session, client, workflow_id) != user.office_id:
        raise refusal
    return user.office_id


def code_of(office_id: int | None) -> str:
    entry = directory().get(office_id)
    return entry.code if entry is not None else ""


async def workflow_of_office(session: AsyncSession, *, office_id: int | None, workflow_id: str) -> bool:
    """Whether the run `workflow_id` is of office `office_id`, as far as the database knows (a document's run is always
    recorded there before its document exists)."""
    return office_id is not None and await _office_in_database(session, workflow_id) == office_id
