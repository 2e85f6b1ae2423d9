"""Starting a process from a person's request: the one way a service records the case row and starts
its workflow, so a double-clicked submit is one case and a case is never half-started."""

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from gateway.errors import ApiError
from store.models import CaseEvent, Task
from store.settings import Settings

Row = TypeVar("Row")
log = logging.getLogger(__name__)

# How many other ids a case tries when Temporal already has a run under its own (see start_recorded).
ID_ATTEMPTS = 3


async def new_code(session: AsyncSession, column, make: Callable[[], str], *, what: str) -> str:  # noqa: ANN001
    """A short random case code (resi, visit code, tracking number) not yet in `column`. People read these out at
    a counter, so they are short; a collision is simply drawn again."""
    for _ in range(20):
        code = make()
        if await session.scalar(select(column).where(column == code).limit(1)) is None:
            return code
    raise ApiError(503, f"Gagal membuat {what}; silakan coba lagi.", code="code_exhausted")


async def record_and_start(session: AsyncSession, client: Client, settings: Settings, row: Row, *, workflow: Callable,
                           start_input: Callable[[Row], Any], what: str, on_abandon: Callable[[], None] | None = None) -> tuple[Row, bool]:
    """Writes `row` (which has `client_key` and `workflow_id`), then starts `workflow` with `start_input(row)`.

    Returns (row, created). A row with the same client key already there is returned instead (created False).
    When the workflow cannot be started (start_recorded) the row is removed again and `on_abandon` cleans up what
    came with it, and the person is told in Bahasa that `what` was not recorded and why."""
    model = type(row)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        if on_abandon:
            on_abandon()
        existing = await session.scalar(select(model).where(model.client_key == row.client_key)) if row.client_key else None
        if existing is not None:
            return existing, False
        raise
    await session.commit()
    await start_recorded(session, client, settings, row, workflow=workflow, start_input=start_input, what=what, on_abandon=on_abandon)
    return row, True


def id_tail() -> str:
    """What a workflow id gets when its own is taken: random, so no restored database can draw it again."""
    return secrets.token_hex(4)


async def start_recorded(session: AsyncSession, client: Client, settings: Settings, row: Row, *, workflow: Callable,
                         start_input: Callable[[Row], Any], what: str, on_abandon: Callable[[], None] | None = None,
                         unavailable: str | None = None) -> None:
    """Starts the workflow of `row`, recorded and committed a moment ago, under `row.workflow_id`.

    The id is the business key (`leave-<row id>`, `permit-<resi>`…), rejected by Temporal when it is taken, so a case
    is started once. A run already under that id is never this row's: the row is new, and its key comes from this
    database (a row id, a code drawn against its rows). Temporal keeps that run because the database was restored
    without it — a fresh or older read model beside a Temporal that kept its runs — and the key is drawn again. The
    case then runs under its key with a random tail, stored on the row before the start, and the operator reads why
    in the log. The older run keeps its id; what it would write into this row, whose id it shares, is refused
    (activities/case_rows.py). Should every tail be taken too, the person is told the truth and nothing is kept.
    Temporal out of reach: 503 (`unavailable`, or a sentence naming `what`) and nothing is kept, as before."""
    key = row.workflow_id
    for attempt in range(1, ID_ATTEMPTS + 1):
        try:
            await client.start_workflow(workflow, start_input(row), id=row.workflow_id, task_queue=settings.task_queue,
                                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
            return
        except WorkflowAlreadyStartedError:
            if attempt == ID_ATTEMPTS:
                break
            taken, row.workflow_id = row.workflow_id, f"{key}-{id_tail()}"
            log.warning("workflow id %s is taken in Temporal by a run this database does not know: the database was restored "
                        "without Temporal's own data (README, Backup and restore); this case runs as %s", taken, row.workflow_id,
                        extra={"workflow_id": taken, "started_as": row.workflow_id})
            await session.commit()
        except Exception as exc:
            await _abandon(session, row, on_abandon)
            raise ApiError(503, unavailable or f"Layanan proses sedang tidak tersedia; {what} belum tercatat. Silakan coba lagi.",
                           code="temporal_unavailable") from exc
    await _abandon(session, row, on_abandon)
    log.error("workflow id %s and its %d random variants are all taken in Temporal: this database and Temporal's do not belong "
              "together (restored from different moments, or one Temporal namespace shared by two installations); restore both "
              "from the same backup, or give this installation its own namespace (README, Backup and restore)", key, ID_ATTEMPTS - 1,
              extra={"workflow_id": key, "last_tried": row.workflow_id})
    raise ApiError(409, f"{what[:1].upper()}{what[1:]} belum tercatat: nomor proses yang disiapkan sudah dipakai proses lain di server "
                   "alur kerja (Temporal) yang tidak dikenal basis data ini, biasanya karena basis data dipulihkan tanpa data "
                   "Temporal. Hubungi administrator sistem.", code="workflow_id_taken")


async def _abandon(session: AsyncSession, row: Row, on_abandon: Callable[[], None] | None) -> None:
    # Nothing is half-started: without a running process the row is withdrawn again.
    await session.delete(row)
    await session.commit()
    if on_abandon:
        on_abandon()


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
