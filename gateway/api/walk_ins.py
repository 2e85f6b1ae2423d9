from typing import Any

from fastapi import APIRouter, Header, Query, Response

from gateway.api.schemas import ERRORS, EventLine, IsoDateTime, Out, PendingTaskLine
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.errors import forbidden
from gateway.services import processes
from gateway.services import walk_ins as walk_in_service
from gateway.services.walk_ins import WalkInForm

router = APIRouter(prefix="/api/v1", tags=["loket"])


class RequirementOut(Out):
    code: str
    name: str
    mandatory: bool


class WalkInServiceOut(Out):
    code: str
    name: str
    group: str
    one_day: bool
    target_minutes: int | None
    sla_working_days: int | None
    target_label: str
    result_kind: str
    procedure: str
    work_unit: str | None
    delivery: bool
    requirements: list[RequirementOut]


class VisitorOut(Out):
    name: str
    phone: str | None
    nik: str | None


class VisitDocumentOut(Out):
    kind: str
    label: str
    document_id: str
    url: str


class VisitOut(Out):
    id: str
    office: str
    status: str
    status_label: str
    stage: str
    stage_label: str
    service_code: str
    service_name: str
    one_day: bool
    visitor: VisitorOut
    queue_number: str | None
    receipt_number: str | None
    result_number: str | None
    estimated_done_at: IsoDateTime | None
    rating: int | None
    created_at: IsoDateTime
    finished_at: IsoDateTime | None
    overrun_at: IsoDateTime | None
    age_minutes: int
    target_at: IsoDateTime | None
    overrun: bool
    minutes_left: int | None
    documents: list[VisitDocumentOut]


class VisitDetailOut(VisitOut):
    timeline: list[EventLine]
    pending_tasks: list[PendingTaskLine]


class VisitListOut(Out):
    items: list[VisitOut]
    total: int
    page: int
    per_page: int


class CounterTodayOut(Out):
    registered: int
    finished: int
    returned_incomplete: int
    one_day_on_target: int
    one_day_finished: int
    average_rating: float | None


class CounterDashboardOut(Out):
    open: list[VisitOut]
    open_count: int
    overrun_count: int
    today: CounterTodayOut


@router.get("/walk-in-services", response_model=list[WalkInServiceOut])
async def walk_in_services() -> list[dict[str, Any]]:
    """Public: the counter's services with their requirement checklists (process_defs/counter.yaml)."""
    return walk_in_service.services()


@router.post("/walk-ins", status_code=201, response_model=VisitOut, responses=ERRORS)
async def register(body: WalkInForm, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep, response: Response,
                   idempotency_key: str | None = Header(default=None, max_length=100)) -> dict[str, Any]:
    """Info desk or front office registers a visitor for a service; the visit's workflow starts."""
    if idempotency_key:
        body = body.model_copy(update={"client_key": f"{user.id}:{idempotency_key}"})
    visit, created = await walk_in_service.register(session, client, settings, user=user, form=body)
    if not created:
        response.status_code = 200
    return walk_in_service.serialize(visit, settings)


@router.get("/walk-ins", response_model=VisitListOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def list_visits(user: CurrentUser, session: SessionDep, settings: SettingsDep, status: str | None = Query(default=None, max_length=30),
                      open_only: bool = False, q: str | None = Query(default=None, max_length=100),
                      page: int = Query(default=1, ge=1, le=10_000), per_page: int = Query(default=50, ge=1, le=200)) -> dict[str, Any]:
    if not walk_in_service.is_counter_staff(user):
        raise forbidden("Hanya petugas PTSP yang dapat melihat daftar kunjungan.")
    rows, total = await walk_in_service.list_visits(session, status=status, open_only=open_only, q=q, limit=per_page, offset=(page - 1) * per_page)
    return {"items": [walk_in_service.serialize(v, settings) for v in rows], "total": total, "page": page, "per_page": per_page}


@router.get("/walk-ins/dashboard", response_model=CounterDashboardOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def dashboard(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Open visits with their age against the target (overruns first) and today's figures."""
    if not walk_in_service.is_counter_staff(user):
        raise forbidden("Hanya petugas PTSP yang dapat melihat dasbor loket.")
    return await walk_in_service.dashboard(session, settings)


@router.get("/walk-ins/{code}", response_model=VisitDetailOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def get_visit(code: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    visit = await walk_in_service.get_for_staff(session, user=user, code=code)
    return walk_in_service.serialize(visit, settings, events=await processes.timeline(session, workflow_id=visit.workflow_id),
                                     tasks=await processes.open_tasks(session, workflow_id=visit.workflow_id))
