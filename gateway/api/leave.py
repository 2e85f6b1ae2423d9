from datetime import date
from typing import Any

from fastapi import APIRouter, Header, Query, Response

from gateway.api.schemas import ERRORS, LeaveBody, Out, PersonRef, TimelineLine
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep, TemporalDep
from gateway.services import leave as leave_service
from gateway.services import processes
from gateway.services.leave import LeaveForm
from process_defs.loader import load_leave

router = APIRouter(prefix="/api/v1", tags=["cuti"])


class LeaveTypeOut(Out):
    code: str
    label: str
    counts_against_balance: bool
    max_calendar_days: int | None


class LeaveBalanceOut(Out):
    year: int
    entitlement: int
    carried_over: int
    used: int
    pending: int
    available: int


class ExcludedDayOut(Out):
    date: str
    name: str


class WorkingDaysOut(Out):
    working_days: int
    excluded: list[ExcludedDayOut]


class LeaveOut(Out):
    id: int
    office: str
    status: str
    status_label: str
    next_step: str | None
    leave_type: str
    leave_type_label: str
    start_date: str
    end_date: str
    working_days: int
    reason: str
    address_during_leave: str | None
    employee: PersonRef
    letter_number: str | None
    document_url: str | None
    decision_reason: str | None
    workflow_id: str
    created_at: str
    finished_at: str | None


class LeaveDetailOut(LeaveOut):
    history: list[TimelineLine]


class LeaveListOut(Out):
    items: list[LeaveOut]


@router.get("/leave-types", response_model=list[LeaveTypeOut])
async def leave_types() -> list[dict[str, Any]]:
    return [{"code": t.code, "label": t.label, "counts_against_balance": t.counts_against_balance,
             "max_calendar_days": t.max_calendar_days} for t in load_leave().leave_types]


@router.get("/leave-balance", response_model=LeaveBalanceOut, responses={401: ERRORS[401]})
async def leave_balance(user: CurrentUser, session: SessionDep, year: int | None = Query(default=None, ge=2000, le=2100)) -> dict[str, Any]:
    balance = await leave_service.annual_balance(session, employee_id=user.id, year=year or leave_service.office_today().year)
    return {"year": balance.year, "entitlement": balance.entitlement, "carried_over": balance.carried_over,
            "used": balance.used, "pending": balance.pending, "available": balance.available}


@router.get("/working-days", response_model=WorkingDaysOut)
async def working_days(start_date: date, end_date: date, _viewer: OptionalUser) -> dict[str, Any]:
    """How many days a leave from start to end counts, and which days are not counted: in the signed-in employee's
    office calendar (the viewer dependency reads the offices and speaks for theirs; the first office's otherwise)."""
    return count_working_days(start_date, end_date)


def count_working_days(start_date: date, end_date: date) -> dict[str, Any]:
    """The working days of the request's office between two dates, and the days it does not count."""
    calendar = leave_service.office_calendar()
    if end_date < start_date or (end_date - start_date).days > 3 * 366:
        return {"working_days": 0, "excluded": []}
    return {"working_days": calendar.working_days_between(start_date, end_date),
            "excluded": [{"date": d.isoformat(), "name": n} for d, n in calendar.non_working_days_between(start_date, end_date)]}


@router.post("/leave-requests", status_code=201, response_model=LeaveOut, responses={401: ERRORS[401], 409: ERRORS[409], 422: ERRORS[422]})
async def create_leave_request(
    body: LeaveBody, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep, response: Response,
    idempotency_key: str | None = Header(default=None, max_length=100),
) -> dict[str, Any]:
    leave, created = await leave_service.submit(session, client, settings, employee=user, form=LeaveForm(
        leave_type=body.leave_type, start_date=body.start_date, end_date=body.end_date, reason=body.reason,
        address_during_leave=body.address_during_leave, acting_official_username=body.acting_official_username,
        client_key=f"{user.id}:{idempotency_key}" if idempotency_key else None,
    ))
    if not created:
        response.status_code = 200
    return leave_service.serialize(leave, settings)


@router.get("/leave-requests", response_model=LeaveListOut, responses={401: ERRORS[401]})
async def my_leave_requests(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return {"items": [leave_service.serialize(r, settings) for r in await leave_service.list_for_employee(session, employee=user)]}


@router.get("/leave-requests/{request_id}", response_model=LeaveDetailOut, responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def get_leave_request(request_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    leave = await leave_service.get_for_viewer(session, request_id=request_id, viewer=user)
    return leave_service.serialize(leave, settings, await processes.timeline(session, workflow_id=leave.workflow_id))
