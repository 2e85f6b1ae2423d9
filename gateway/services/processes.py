"""Starting a process from a person's request: the one way a service records the case row and starts
its workflow, so a double-clicked submit is one case and a case is never half-started."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from gateway.errors import ApiError
from store.models import CaseEvent, Task
from store.settings import Settings

Row = TypeVar("Row")


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
    When the workflow cannot be started the row is removed again and `on_abandon` cleans up what came with it,
    and the person is told in Bahasa that `what` was not recorded and to try again."""
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
    try:
        await client.start_workflow(workflow, start_input(row), id=row.workflow_id, task_queue=settings.task_queue,
                                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
    except Exception as exc:
        await session.delete(row)
        await session.commit()
        if on_abandon:
            on_abandon()
        raise ApiError(503, f"Layanan proses sedang tidak tersedia; {what} belum tercatat. Silakan coba lagi.",
                       code="temporal_unavailable") from exc
    return row, True


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
