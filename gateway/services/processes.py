"""Starting a process from a person's request: the one way a service records the case row and starts
its workflow, so a double-clicked submit is one case and a case is never half-started."""

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from temporalio import workflow as temporal_workflow
from temporalio.client import Client

from gateway.services.errors import Conflict, Unavailable, conflict
from store import outbox
from store.models import Base, CaseEvent, CaseRow, Task
from store.outbox import id_tail  # here too, so a test can fix the tail the starts below draw
from store.settings import Settings

Row = TypeVar("Row", bound=CaseRow)  # a case row: Base and CaseRow both (store/models.py)
log = logging.getLogger(__name__)


async def new_code(session: AsyncSession, column: InstrumentedAttribute[str], make: Callable[[], str], *, what: str) -> str:
    """A short random case code (resi, visit code, tracking number) not yet in `column`. People read these out at
    a counter, so they are short; a collision is simply drawn again."""
    for _ in range(20):
        code = make()
        if await session.scalar(select(column).where(column == code).limit(1)) is None:
            return code
    raise Unavailable(f"Gagal membuat {what}; silakan coba lagi.", code="code_exhausted")


async def record_and_start(session: AsyncSession, client: Client, settings: Settings, row: Row, *, workflow: Callable,
                           start_input: Callable[[Row], Any], what: str, on_abandon: Callable[[], None] | None = None,
                           recorded: Callable[[Row], None] | None = None, belongs: Callable[[Row], bool] | None = None,
                           unavailable: str | None = None) -> tuple[Row, bool]:
    """Writes `row` (which has `client_key` and `workflow_id`), then starts `workflow` with `start_input(row)`.

    Returns (row, created). A row with the same client key already there is returned instead (created False), its
    process started first if it never was (resume). With `belongs`, only a row it accepts is: a key another person's
    case holds is refused (409), never handed to this person.
    `recorded(row)` runs once the row has its id, before it is committed with its start: what depends on the id (a
    workflow id made from it) and what is recorded with the row (a permit's first revision).
    When the workflow cannot be started (start_recorded) the row is removed again and `on_abandon` cleans up what
    came with it, and the person is told in Bahasa that `what` was not recorded and why (`unavailable`, when Temporal
    is out of reach and the service says it its own way)."""
    model = type(row)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        if on_abandon:
            on_abandon()
        existing = await session.scalar(select(model).where(model.client_key == row.client_key)) if row.client_key else None
        if existing is not None and (belongs is None or belongs(existing)):
            return await resume(session, client, settings, existing, what=what), False
        if belongs is not None:
            # The person's own cases were looked up before (under their lock): a key in the way is someone else's.
            raise conflict("Kunci pengiriman ini sudah dipakai.") from None
        raise
    if recorded:
        recorded(row)
    await start_recorded(session, client, settings, row, workflow=workflow, start_input=start_input, what=what, on_abandon=on_abandon,
                         unavailable=unavailable)
    return row, True


async def start_recorded(session: AsyncSession, client: Client, settings: Settings, row: Row, *, workflow: Callable,
                         start_input: Callable[[Row], Any], what: str, on_abandon: Callable[[], None] | None = None,
                         unavailable: str | None = None) -> None:
    """Commits `row`, written and flushed a moment ago (it has its id), with what starts its workflow, then starts it
    under `row.workflow_id`.

    The two are committed together (store/outbox.py): should this process die before the start, the case is still
    started, by the person's repeat of the same submission (resume) or by the worker, and never silently lost.

    The id is the business key (`leave-<row id>`, `permit-<resi>`…), rejected by Temporal when it is taken, so a case
    is started once. A run already under that id is never this row's unless it carries the row's token (a repeat or
    the worker started it first): the row is new, and its key comes from this database (a row id, a code drawn
    against its rows). Temporal keeps that run because the database was restored without it — a fresh or older read
    model beside a Temporal that kept its runs — and the key is drawn again. The case then runs under its key with a
    random tail, stored on the row before the start, and the operator reads why in the log. The older run keeps its
    id; what it would write into this row, whose id it shares, is refused (activities/case_rows.py). Should every
    tail be taken too, the person is told the truth and nothing is kept.
    Temporal out of reach: 503 (`unavailable`, or a sentence naming `what`) and nothing is kept, as before."""
    pending = await outbox.record(session, settings, case_table=_table_name(row), workflow_id=row.workflow_id,
                                  workflow_type=workflow_type(workflow), task_queue=settings.task_queue, value=start_input(row),
                                  office_id=row.office_id)
    await session.commit()
    try:
        runs_as = await outbox.start(session, client, settings, pending, tail=id_tail)
    except outbox.IdsTaken as taken:
        if not await _abandon(session, row, pending, on_abandon):
            await _reread(session, row)
            return
        log.error("workflow id %s and its %d random variants are all taken in Temporal: this database and Temporal's do not belong "
                  "together (restored from different moments, or one Temporal namespace shared by two installations); restore both "
                  "from the same backup, or give this installation its own namespace (README, Backup and restore)", taken.key,
                  outbox.ID_ATTEMPTS - 1, extra={"workflow_id": taken.key, "last_tried": taken.last_tried})
        raise Conflict(f"{what[:1].upper()}{what[1:]} belum tercatat: nomor proses yang disiapkan sudah dipakai proses lain di server "
                       "alur kerja (Temporal) yang tidak dikenal basis data ini, biasanya karena basis data dipulihkan tanpa data "
                       "Temporal. Hubungi administrator sistem.", code="workflow_id_taken") from None
    except Exception as exc:
        if not await _abandon(session, row, pending, on_abandon):
            await _reread(session, row)
            return
        raise Unavailable(unavailable or f"Layanan proses sedang tidak tersedia; {what} belum tercatat. Silakan coba lagi.",
                       code="temporal_unavailable") from exc
    if runs_as != row.workflow_id:
        await _reread(session, row)


async def resume(session: AsyncSession, client: Client, settings: Settings, row: Row, *, what: str) -> Row:
    """`row`, a case found again by its client key (the same submission sent again), with its workflow started: the
    one way every service answers a repeat. A gateway that died between recording the case and starting it left the
    start to whoever comes next (store/outbox.py); this repeat starts it before answering. The case stays recorded
    whatever happens here: when Temporal cannot start it now, the worker does later."""
    pending = await outbox.find(session, row.workflow_id)
    if pending is None:
        return row
    what_ = f"{what[:1].upper()}{what[1:]}"
    try:
        runs_as = await outbox.start(session, client, settings, pending, tail=id_tail)
    except outbox.IdsTaken as taken:
        await outbox.failed(session, pending.workflow_id, taken)
        log.error("workflow id %s and its %d random variants are all taken in Temporal: this database and Temporal's do not belong "
                  "together; restore both from the same backup, or give this installation its own namespace (README, Backup and "
                  "restore)", taken.key, outbox.ID_ATTEMPTS - 1, extra={"workflow_id": taken.key, "last_tried": taken.last_tried})
        raise Conflict(f"{what_} sudah tercatat, tetapi prosesnya belum dapat dimulai: nomor proses yang disiapkan sudah dipakai "
                       "proses lain di server alur kerja (Temporal) yang tidak dikenal basis data ini. Hubungi administrator sistem.",
                       code="workflow_id_taken") from None
    except Exception as exc:
        await outbox.failed(session, pending.workflow_id, exc)
        raise Unavailable(f"{what_} sudah tercatat, tetapi layanan proses sedang tidak tersedia; {what} akan diproses otomatis "
                       "begitu layanan kembali, tidak perlu dikirim ulang.", code="temporal_unavailable") from exc
    if runs_as != row.workflow_id:
        await _reread(session, row)
    return row


def workflow_type(workflow: Callable) -> str:
    """The workflow type name Temporal knows the run method's workflow by (its @workflow.defn name)."""
    name = temporal_workflow._Definition.must_from_run_fn(workflow).name
    if name is None:
        raise RuntimeError(f"{workflow!r} is the run method of a dynamic workflow, which has no type name to start it by")
    return name


def _table_name(row: CaseRow) -> str:
    # Every case row is a mapped Base class with its own Table too, which the CaseRow bound cannot say.
    return cast(Table, cast(Base, row).__table__).name


async def _abandon(session: AsyncSession, row: Row, pending: outbox.PendingStart, on_abandon: Callable[[], None] | None) -> bool:
    """Nothing is half-started: without a running process the row is withdrawn again, with what would start it. False
    when that was gone already: a start of the same case by a repeat or the worker went through meanwhile (this one
    took long enough for them to find it), so the case runs and stays."""
    if not await outbox.discard(session, pending.workflow_id):
        await session.commit()
        return False
    await session.delete(row)
    await session.commit()
    if on_abandon:
        on_abandon()
    return True


async def _reread(session: AsyncSession, row: Row) -> None:
    # Another start of the case may have moved it to another id (store/outbox.py start).
    await session.refresh(row, ["workflow_id"])


async def timeline(session: AsyncSession, *, workflow_id: str) -> list[CaseEvent]:
    """A case's timeline, oldest first: what every process's pages and API show."""
    return list(await session.scalars(select(CaseEvent).where(CaseEvent.workflow_id == workflow_id).order_by(CaseEvent.occurred_at, CaseEvent.id)))


async def open_tasks(session: AsyncSession, *, workflow_id: str) -> list[Task]:
    """The tasks a case is waiting on now, oldest first."""
    return list(await session.scalars(select(Task).where(Task.workflow_id == workflow_id, Task.status == "open").order_by(Task.created_at)))


def event_line(event: CaseEvent) -> dict:
    """One timeline line as the API gives it; a case adds its own fields beside these."""
    return {"at": event.occurred_at, "kind": event.kind, "title": event.title, "actor": event.actor_name, "outcome": event.outcome,
            "reason": event.reason}


def pending_line(task: Task) -> dict:
    """One task a case waits on, as the API gives it."""
    return {"id": task.id, "title": task.title, "role": task.role, "due_at": task.due_at}
