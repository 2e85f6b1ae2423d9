from typing import Any, Literal

from fastapi import APIRouter, Query

from gateway.api.schemas import ERRORS, DecisionBody, DelegationBody, OpenMapping, Out, TaskAckOut
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.services import tasks as task_service
from gateway.services.people import officials_represented_by

router = APIRouter(prefix="/api/v1/tasks", tags=["tugas"])


class TaskOut(Out):
    id: str
    process: str
    process_label: str
    title: str
    role: str
    status: str
    subject_id: str
    workflow_id: str
    owner: str | None
    owner_name: str | None
    delegate: str | None
    delegate_name: str | None
    claimed_by: str | None
    claimed_by_name: str | None
    acting_for: str | None
    escalated_to_role: str | None
    created_at: str
    due_at: str | None
    overdue: bool
    outcomes: list[Any]
    form: OpenMapping
    summary: OpenMapping | None
    outcome: str | None
    reason: str | None


class TaskListOut(Out):
    items: list[TaskOut]
    total: int
    total_capped: bool
    total_label: str


@router.get("", response_model=TaskListOut, responses={401: ERRORS[401]})
async def list_tasks(
    user: CurrentUser, session: SessionDep,
    process: str | None = None, status: Literal["open", "completed"] = "open", overdue: bool = False,
    limit: int = Query(default=50, ge=1, le=200), offset: int = Query(default=0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    page = await task_service.inbox(session, user=user, filters=task_service.InboxFilter(
        process=process, status=status, overdue=overdue, limit=limit, offset=offset))
    return {"items": [task_service.serialize(t, viewer=user, represented=page.represented) for t in page.items],
            "total": page.total.total, "total_capped": page.total.capped, "total_label": page.total.label}


@router.get("/{task_id}", response_model=TaskOut, responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def get_task(task_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    task = await task_service.get_visible(session, user=user, task_id=task_id)
    return task_service.serialize(task, viewer=user, represented=await officials_represented_by(session, user=user))


@router.post("/{task_id}/decision", response_model=TaskAckOut, responses=ERRORS)
async def decide(task_id: str, body: DecisionBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> dict[str, Any]:
    ack = await task_service.decide(session, client, settings, user=user, task_id=task_id, outcome=body.outcome, reason=body.reason, data=body.data)
    return {"task_id": ack.task_id, "status": ack.status}


@router.post("/{task_id}/delegate", response_model=TaskAckOut, responses=ERRORS)
async def delegate(task_id: str, body: DelegationBody, user: CurrentUser, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    ack = await task_service.delegate(session, client, user=user, task_id=task_id, delegate_username=body.username, note=body.note)
    return {"task_id": ack.task_id, "status": ack.status}


@router.post("/{task_id}/claim", response_model=TaskOut, responses=ERRORS)
async def claim(task_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return task_service.serialize(await task_service.claim(session, user=user, task_id=task_id), viewer=user)


@router.post("/{task_id}/unclaim", response_model=TaskOut, responses=ERRORS)
async def unclaim(task_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return task_service.serialize(await task_service.unclaim(session, user=user, task_id=task_id), viewer=user)
