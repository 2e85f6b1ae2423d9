"""What every process's projection activity checks before it writes its case row (a leave request, a permit, a
visit, a letter, a complaint, a SIRAMASAKAN request).

The row must be this run's. Rows are found by their id, which a database restored without Temporal hands out
again: a run Temporal kept from before the restore would otherwise write its steps into a stranger's case. Such a
run fails at its first write instead, saying why (README, Backup and restore).

A final status stays. A run's steps and its wind-down after a cancel are separate activities that can be in flight
at once (a decision and a cancel in the same instant, a cancel landing while a step is written); whichever commits
second must not put a live status back on a case that says Dibatalkan, nor cancel one that was decided first. The
row is read FOR UPDATE (PostgreSQL) or in SQLite's single writer, so the second writer sees the first one's status.
"""

from collections.abc import Collection

from temporalio import activity
from temporalio.exceptions import ApplicationError

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
