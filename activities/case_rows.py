"""What every process's projection activity checks before it writes its case row (a leave request, a permit, a
visit, a letter, a complaint, a SIRAMASAKAN request).

The row must be this run's. Rows are found by their id, which a database restored without Temporal hands out
again: a run Temporal kept from before the restore would otherwise write its steps into a stranger's case. Such a
run fails at its first write instead, saying why (README, Backup and restore).

A final status stays. A run's steps and its wind-down after a cancel are separate activities that can be in flight
at once (a decision and a cancel in the same instant, a cancel landing while a step is written); whichever commits
second must not put a live status back on a case that says Dibatalkan, nor cancel one that was decided first. The
row is read FOR UPDATE (PostgreSQL) or in SQLite's single writer, so the second writer sees the first one's status.

`write_case_row` is that skeleton, once: every process's update_* activity calls it with what it writes.
"""

from collections.abc import Awaitable, Callable, Collection
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.tasks import add_event
from contracts import CaseEventInput
from store.models import CaseEvent
from store.queries import COLUMNS_ONLY


class CaseRow(Protocol):
    """What the skeleton reads on every process's case row: the run it belongs to and its status."""

    @property
    def workflow_id(self) -> str: ...

    @property
    def status(self) -> str | None: ...


Row = TypeVar("Row", bound=CaseRow)
Result = TypeVar("Result")

# The error type of a write refused because the row belongs to another run (not retried: it never will).
ERR_ROW_OF_ANOTHER_RUN = "CaseRowOfAnotherRun"


def check_own_row(what: str, row_workflow_id: str) -> None:
    """Refuses, for good, a write by a run whose id is not the one recorded on the row."""
    running = activity.info().workflow_id
    if row_workflow_id != running:
        raise ApplicationError(
            f"{what} belongs to run {row_workflow_id}, not to {running}: this run was started before the database was "
            "restored without Temporal and has no case of its own here; terminate it (README, Backup and restore)",
            type=ERR_ROW_OF_ANOTHER_RUN, non_retryable=True)


def keeps_final(current: str | None, new: str | None, final: Collection[str]) -> bool:
    """True when the row already has a final status that this write would change: the write then adds its timeline
    line (what happened, at the time it happened) and leaves the row as it is."""
    return current in final and new != current


async def write_case_row(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[Row], row_id: int, what: str, *, status: str | None,
    event: CaseEventInput | None, final: Collection[str], write: Callable[[AsyncSession, Row], Awaitable[Result]],
    kept: Any = None, columns_only: bool = False, once: bool = False,
) -> Result | Any:
    """Writes one step onto a case row and its timeline line, in one transaction: finds the row FOR UPDATE, refuses a row
    of another run, keeps a final status (`kept` is then returned, with the timeline line added), else lets `write`
    change the row and returns what it returns, then adds the line.

    `columns_only`: the row is read without its joined relations (PostgreSQL will not lock the nullable side of an
    outer join FOR UPDATE). `once`: a write that is not idempotent (a counter) is skipped when its timeline line is
    already there, i.e. a retried activity whose first attempt committed."""
    async with sessionmaker() as session, session.begin():
        row = await session.get(model, row_id, options=COLUMNS_ONLY if columns_only else None, with_for_update=True)
        if row is None:
            raise LookupError(f"{what} {row_id} does not exist")
        check_own_row(what, row.workflow_id)
        if once and event is not None and await session.get(CaseEvent, event.event_id) is not None:
            return kept
        if keeps_final(row.status, status, final):
            if event:
                await add_event(session, event)
            return kept
        result = await write(session, row)
        if event:
            await add_event(session, event)
        return result
