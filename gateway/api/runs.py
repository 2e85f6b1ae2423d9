"""Runs of every process for process owners and auditors, and the owners' actions on a stuck run (issue 6)."""

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from contracts import OwnerActionAck
from gateway.api.schemas import ERRORS, IsoDateTime, Out, Responses
from gateway.deps import ProcessOwner, RunReader, SessionDep, SettingsDep, TemporalDep
from gateway.services import runs as run_service

router = APIRouter(prefix="/api/v1/runs", tags=["proses"])

_READ_ERRORS: Responses = {k: ERRORS[k] for k in (401, 403, 422)}
_RUN_ERRORS: Responses = {**{k: ERRORS[k] for k in (401, 403, 404)}, 503: {"description": "Temporal tidak dapat dihubungi"}}


class ReassignBody(BaseModel):
    """Exactly one of to_username (a staff member) or to_role (any holder of that role)."""

    to_username: str | None = Field(default=None, max_length=80)
    to_role: str | None = Field(default=None, max_length=60)
    reason: str = Field(max_length=1000)


class ReminderBody(BaseModel):
    note: str = Field(default="", max_length=1000)


class CancelBody(BaseModel):
    reason: str = Field(max_length=1000)


class WaitingOnOut(Out):
    task_id: str
    role: str
    role_label: str
    holder: str


class RunLineOut(Out):
    workflow_id: str
    run_id: str
    office: str
    process: str
    process_label: str
    business_key: str
    key_label: str
    status: str
    status_label: str
    started_at: str
    closed_at: str | None
    waiting_on: list[WaitingOnOut]


class RunListOut(Out):
    items: list[RunLineOut]
    next_cursor: str | None
    total: int
    total_capped: bool
    total_label: str


class RunTaskOut(Out):
    id: str
    title: str
    role: str
    role_label: str
    holder: str
    owner: str | None
    delegate: str | None
    claimed_by: str | None
    created_at: str
    age: str
    due_at: str | None
    overdue: bool
    escalated: bool
    escalated_to: str | None
    reminded_at: str | None


class RunHistoryLine(Out):
    at: IsoDateTime
    kind: str
    title: str
    actor: str | None
    role: str | None
    outcome: str | None
    reason: str | None


class RunOut(Out):
    workflow_id: str
    run_id: str
    office: str
    process: str | None
    process_label: str
    workflow_type: str
    business_key: str
    key_label: str
    status: str
    status_label: str
    running: bool
    owner_actions: bool
    started_at: str | None
    closed_at: str | None
    temporal_ui_url: str
    pending_tasks: list[RunTaskOut]
    timeline: list[RunHistoryLine]


class RunAckOut(Out):
    workflow_id: str
    task_id: str | None  # none for a cancellation
    status: str


def _ack(workflow_id: str, ack: OwnerActionAck) -> dict[str, Any]:
    return {"workflow_id": workflow_id, "task_id": ack.task_id, "status": ack.status}


@router.get("", response_model=RunListOut, responses=_READ_ERRORS)
async def list_runs(
    user: RunReader, session: SessionDep,
    process: str | None = None, status: str | None = None, started_from: str | None = None, started_to: str | None = None,
    key: str | None = Query(default=None, description="Kunci bisnis (resi, nomor pelacakan, nomor permohonan), sama persis atau awalannya"),
    person: str | None = Query(default=None, description="Nama pengguna siapa pun yang terlibat dalam run"),
    cursor: str | None = None, limit: int = run_service.PAGE_SIZE,
) -> dict[str, Any]:
    filters = await run_service.parse_filter(session, process=process, status=status, started_from=started_from, started_to=started_to,
                                             key=key, person=person, cursor=cursor, limit=limit)
    return await run_service.list_runs(session, filters=filters)


@router.get("/{workflow_id}", response_model=RunOut, responses=_RUN_ERRORS)
async def get_run(workflow_id: str, user: RunReader, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> dict[str, Any]:
    return await run_service.get_run(session, client, settings, user=user, workflow_id=workflow_id)


@router.post("/{workflow_id}/tasks/{task_id}/reassign", response_model=RunAckOut, responses={**ERRORS, 503: _RUN_ERRORS[503]})
async def reassign(workflow_id: str, task_id: str, body: ReassignBody, user: ProcessOwner, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    ack = await run_service.reassign(session, client, user=user, workflow_id=workflow_id, task_id=task_id, to_username=body.to_username,
                                     to_role=body.to_role, reason=body.reason)
    return _ack(workflow_id, ack)


@router.post("/{workflow_id}/tasks/{task_id}/remind", response_model=RunAckOut, responses={**ERRORS, 503: _RUN_ERRORS[503]})
async def remind(workflow_id: str, task_id: str, user: ProcessOwner, session: SessionDep, client: TemporalDep,
                 body: ReminderBody | None = None) -> dict[str, Any]:
    ack = await run_service.remind(session, client, user=user, workflow_id=workflow_id, task_id=task_id, note=body.note if body else "")
    return _ack(workflow_id, ack)


@router.post("/{workflow_id}/cancel", response_model=RunAckOut, responses={**ERRORS, 503: _RUN_ERRORS[503]})
async def cancel(workflow_id: str, body: CancelBody, user: ProcessOwner, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    ack = await run_service.cancel(session, client, user=user, workflow_id=workflow_id, reason=body.reason)
    return _ack(workflow_id, ack)
