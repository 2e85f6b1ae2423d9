"""What the auditor's API and page do: replay runs against the current code, and export a run's history and
its signed report. The work itself lives in the audit package (shared with `satupintu audit`); here the
requests are checked and its errors become the gateway's."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from audit.history import RunNotFound, fetch_history
from audit.replay import ReplayOutcome, replay_runs
from audit.report import AuditExport, export_run, history_json
from gateway.services.errors import DomainError, Unavailable, invalid, not_found
from gateway.services.office_access import require_run_of_office, run_in_office
from gateway.services.offices import office_file_by_id
from process_defs.processes import BY_NAME, BY_WORKFLOW_TYPE, PROCESS_LABELS
from store.models import User
from store.settings import Settings

MAX_WORKFLOW_ID = 200
# A page request replays at most this many runs; the CLI has no limit.
PAGE_REPLAY_LIMIT = 200

_UNAVAILABLE = "Layanan proses (Temporal) belum dapat dihubungi. Silakan coba lagi."


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable(_UNAVAILABLE, code="temporal_unavailable")


def check_workflow_id(workflow_id: str) -> str:
    value = (workflow_id or "").strip()
    if not value:
        raise invalid("ID alur kerja (workflow id) wajib diisi.", field="workflow_id")
    if len(value) > MAX_WORKFLOW_ID or any(c.isspace() or not c.isprintable() for c in value):
        raise invalid("ID alur kerja (workflow id) tidak valid.", field="workflow_id")
    return value


def _run_missing(workflow_id: str) -> DomainError:
    return not_found(f"Run dengan ID alur kerja '{workflow_id}'")


def serialize_outcome(outcome: ReplayOutcome) -> dict:
    process = BY_WORKFLOW_TYPE.get(outcome.workflow_type)
    return {"workflow_id": outcome.workflow_id, "run_id": outcome.run_id, "workflow_type": outcome.workflow_type,
            "process": process.name if process else None, "process_label": process.label if process else outcome.workflow_type,
            "deterministic": outcome.deterministic, "error": outcome.error, "events": outcome.events}


async def replay_one(session: AsyncSession, client: Client, *, user: User, workflow_id: str) -> ReplayOutcome:
    workflow_id = check_workflow_id(workflow_id)
    await require_run_of_office(session, client, user=user, workflow_id=workflow_id, missing=_run_missing(workflow_id))
    try:
        outcomes = await replay_runs(client, workflow_id=workflow_id)
    except RunNotFound:
        raise _run_missing(workflow_id) from None
    except RPCError as exc:
        raise _unavailable(exc) from exc
    return outcomes[0]


async def replay_process(session: AsyncSession, client: Client, *, user: User, process: str, since: date) -> tuple[list[ReplayOutcome], bool]:
    """The runs of a process started since a date, of the auditor's office, replayed; and whether the page limit cut the
    list."""
    if process not in BY_NAME:
        raise invalid(f"Proses tidak dikenal. Pilihan: {', '.join(PROCESS_LABELS.values())}.", field="process")

    async def ours(execution: WorkflowExecution) -> bool:
        return await run_in_office(session, execution, office_id=user.office_id)

    # An auditor above the offices replays every office's runs.
    keep = ours if user.office_id is not None else None
    try:
        outcomes = await replay_runs(client, process=process, since=since, limit=PAGE_REPLAY_LIMIT + 1, keep=keep)
    except RPCError as exc:
        raise _unavailable(exc) from exc
    return outcomes[:PAGE_REPLAY_LIMIT], len(outcomes) > PAGE_REPLAY_LIMIT


async def export(client: Client, session: AsyncSession, settings: Settings, *, workflow_id: str, user: User) -> AuditExport:
    workflow_id = check_workflow_id(workflow_id)
    office_id = await require_run_of_office(session, client, user=user, workflow_id=workflow_id, missing=_run_missing(workflow_id))
    try:
        return await export_run(client, workflow_id, settings=settings, session=session,
                                generated_by=f"{user.full_name} ({user.username})", office=office_file_by_id(office_id).office)
    except RunNotFound:
        raise _run_missing(workflow_id) from None
    except RPCError as exc:
        raise _unavailable(exc) from exc


async def raw_history(session: AsyncSession, client: Client, *, user: User, workflow_id: str) -> bytes:
    workflow_id = check_workflow_id(workflow_id)
    await require_run_of_office(session, client, user=user, workflow_id=workflow_id, missing=_run_missing(workflow_id))
    try:
        return history_json(await fetch_history(client, workflow_id))
    except RunNotFound:
        raise _run_missing(workflow_id) from None
    except RPCError as exc:
        raise _unavailable(exc) from exc
