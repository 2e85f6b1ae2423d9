"""Replay of recorded runs against the current workflow code: the auditor's proof that the code that runs
today is the code that made the recorded decisions (and the developer's guard that a change does not break
running instances).

Histories come from Temporal: one workflow id, or every run of a process started since a date (through the
visibility list). Each is replayed with `temporalio.worker.Replayer` and reported on its own, so one run
that does not replay never hides the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from audit.history import RunNotFound, fetch_history
from process_defs.processes import BY_NAME


@dataclass
class ReplayOutcome:
    workflow_id: str
    run_id: str
    workflow_type: str
    deterministic: bool
    error: str | None
    events: int


class UnknownProcess(ValueError):
    """The process name is not in process_defs/processes.py."""


def _workflows(workflows: Sequence[type] | None) -> list[type]:
    if workflows is not None:
        return list(workflows)
    # Read at call time, so that a test can swap the registered set.
    from workflows import registry  # noqa: PLC0415 - the workflows (and their sandboxed imports) only for a replay

    return list(registry.WORKFLOWS)


def since_moment(since: date | datetime, timezone_name: str | None = None) -> datetime:
    """The start of `since` in the office's time zone (a date), as an aware UTC moment."""
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    if timezone_name is None:
        # The demo's offices and most of the country's: WIB (an office elsewhere passes its own).
        timezone_name = "Asia/Jakarta"
    return datetime.combine(since, time.min, tzinfo=ZoneInfo(timezone_name)).astimezone(UTC)


def visibility_query(process: str, since: date | datetime | None = None) -> str:
    """The list filter for the runs of one process (all its workflow types), started at or after `since`."""
    info = BY_NAME.get(process)
    if info is None:
        raise UnknownProcess(process)
    types = ", ".join(f"'{t}'" for t in info.workflow_types)
    query = f"WorkflowType IN ({types})"
    if since is not None:
        query += f" AND StartTime >= '{since_moment(since).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    return query


# Which of the listed runs to replay (e.g. one office's): the others are skipped before their history is fetched.
Keep = Callable[[WorkflowExecution], Awaitable[bool]]


async def _histories(client: Client, workflow_id: str | None, process: str | None, since: date | datetime | None,
                     keep: Keep | None = None) -> AsyncIterator[tuple[str, str, str, WorkflowHistory | None, str | None]]:
    """(workflow id, run id, type, history or None, fetch error) of every run asked for."""
    if workflow_id is not None:
        history = await fetch_history(client, workflow_id, decode=False)
        yield workflow_id, "", "", history, None
        return
    async for execution in client.list_workflows(visibility_query(process or "", since)):
        if keep is not None and not await keep(execution):
            continue
        try:
            history = await fetch_history(client, execution.id, execution.run_id, decode=False)
        except RunNotFound:
            # Removed by retention between the list and the fetch: nothing left to prove.
            continue
        except Exception as exc:  # noqa: BLE001 - one run that cannot be fetched never hides the others
            yield execution.id, execution.run_id, execution.workflow_type, None, f"Riwayat tidak dapat diambil: {exc}"
            continue
        yield execution.id, execution.run_id, execution.workflow_type, history, None


def _started(history: WorkflowHistory) -> tuple[str, str]:
    if not history.events or not history.events[0].HasField("workflow_execution_started_event_attributes"):
        return "", ""
    attrs = history.events[0].workflow_execution_started_event_attributes
    return attrs.original_execution_run_id, attrs.workflow_type.name


async def replay_history(history: WorkflowHistory, *, workflows: Sequence[type] | None = None, run_id: str = "",
                         data_converter: DataConverter | None = None) -> ReplayOutcome:
    """One history against the code; never raises for a replay failure (it is the outcome). Histories from
    fetch_history are already decrypted; pass the client's data_converter for one still encrypted."""
    started_run_id, workflow_type = _started(history)
    replayer = Replayer(workflows=_workflows(workflows), data_converter=data_converter or pydantic_data_converter)
    try:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
    except Exception as exc:  # noqa: BLE001 - an unreadable history is a failed replay, not a crash
        failure = exc
    return ReplayOutcome(
        workflow_id=history.workflow_id,
        run_id=run_id or started_run_id,
        workflow_type=workflow_type,
        deterministic=failure is None,
        error=None if failure is None else f"{type(failure).__name__}: {failure}",
        events=len(history.events),
    )


async def replay_runs(client: Client, *, workflow_id: str | None = None, process: str | None = None,
                      since: date | datetime | None = None, workflows: Sequence[type] | None = None,
                      limit: int | None = None, keep: Keep | None = None) -> list[ReplayOutcome]:
    """Replays one run (`workflow_id`, its latest run) or every run of `process` started since `since` (the
    first `limit` of them, newest first, when a limit is given; only those `keep` keeps, when given).

    Raises RunNotFound for an unknown workflow id, UnknownProcess for an unknown process name, and the
    client's RPCError when Temporal cannot be reached."""
    if workflow_id is None and process is None:
        raise ValueError("workflow_id or process is required")
    if process is not None and process not in BY_NAME:
        raise UnknownProcess(process)
    outcomes: list[ReplayOutcome] = []
    async for wf_id, run_id, wf_type, history, error in _histories(client, workflow_id, process, since, keep):
        if limit is not None and len(outcomes) >= limit:
            break
        if history is None:
            outcomes.append(ReplayOutcome(workflow_id=wf_id, run_id=run_id, workflow_type=wf_type, deterministic=False, error=error, events=0))
            continue
        outcomes.append(await replay_history(history, workflows=workflows, run_id=run_id, data_converter=client.data_converter))
    return outcomes
