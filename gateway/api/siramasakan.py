from datetime import date
from typing import Any

from fastapi import APIRouter, Header, Query, Request, Response

from gateway.api.schemas import ERRORS, EventLine, IsoDateTime, OpenMapping, Out, PendingTaskLine
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.services import processes
from gateway.services import siramasakan as sira_service
from gateway.services.siramasakan import SiramasakanForm
from store.models import User

router = APIRouter(tags=["siramasakan"])


class ChangeKindOut(Out):
    code: str
    label: str
    documents: list[str]


class SiramasakanOut(Out):
    id: str
    office: str
    status: str
    status_label: str
    stage: str
    stage_label: str
    case_number: str
    kk_number: str
    # Each change as filed (nik, kind, description) with its kind's label.
    changes: list[OpenMapping]
    decision_date: date | None
    decided_case_number: str | None
    handoff_path: str | None
    handed_off_at: IsoDateTime | None
    registry_reference: str | None
    outcome: str | None
    outcome_reason: str | None
    documents_to_collect: list[Any]
    collection_office: str | None
    reminders_sent: int
    sla_due_at: IsoDateTime | None
    over_sla: bool
    created_at: IsoDateTime
    finished_at: IsoDateTime | None


class SiramasakanApplicantOut(Out):
    name: str
    nik: str


class SiramasakanDetailOut(SiramasakanOut):
    # Absent (not null) when the applicant's account is gone; the route answers with the keys set only.
    applicant: SiramasakanApplicantOut | None = None
    timeline: list[EventLine]
    pending_tasks: list[PendingTaskLine]


class SiramasakanListOut(Out):
    items: list[SiramasakanOut]
    total: int
    page: int
    per_page: int


class CallbackAckOut(Out):
    status: str
    event_id: str


@router.get("/api/v1/siramasakan-kinds", response_model=list[ChangeKindOut])
async def change_kinds() -> list[dict[str, Any]]:
    """Public: the population-data changes a case can cause, with the new documents each gives (process_defs/siramasakan.yaml)."""
    return sira_service.change_kinds()


@router.post("/api/v1/siramasakan", status_code=201, response_model=SiramasakanOut, responses=ERRORS)
async def file_request(body: SiramasakanForm, user: CurrentUser, session: SessionDep, client: TemporalDep, settings: SettingsDep,
                       response: Response, idempotency_key: str | None = Header(default=None, max_length=100)) -> dict[str, Any]:
    """An applicant files a SIRAMASAKAN request with the case; it waits for the decision, then goes to Disdukcapil."""
    if idempotency_key:
        body = body.model_copy(update={"client_key": f"{user.id}:{idempotency_key}"})
    row, created = await sira_service.file(session, client, settings, user=user, form=body)
    if not created:
        response.status_code = 200
    return sira_service.serialize(row)


@router.get("/api/v1/siramasakan", response_model=SiramasakanListOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def list_requests(user: CurrentUser, session: SessionDep, over_sla: bool = False,
                        page: int = Query(default=1, ge=1, le=10_000), per_page: int = Query(default=50, ge=1, le=200)) -> dict[str, Any]:
    """An applicant's own requests; staff see all, or with over_sla=true the open hand-offs past their SLA."""
    rows, total = await sira_service.list_requests(session, user=user, over_sla_only=over_sla, limit=per_page, offset=(page - 1) * per_page)
    return {"items": [sira_service.serialize(r) for r in rows], "total": total, "page": page, "per_page": per_page}


@router.get("/api/v1/siramasakan/{code}", response_model=SiramasakanDetailOut, response_model_exclude_unset=True,
            responses={401: ERRORS[401], 404: ERRORS[404]})
async def get_request(code: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    row = await sira_service.get_visible(session, user=user, code=code)
    return sira_service.serialize(row, applicant=await session.get(User, row.applicant_id),
                                  events=await processes.timeline(session, workflow_id=row.workflow_id),
                                  tasks=await processes.open_tasks(session, workflow_id=row.workflow_id))


@router.post("/webhooks/civil-registry", response_model=CallbackAckOut,
             responses={401: ERRORS[401], 404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422],
                        503: {"model": ERRORS[401]["model"], "description": "Layanan proses tidak tersedia; kirim ulang"}})
async def civil_registry_callback(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """The civil registry reports a hand-off processed or refused, signed with X-Registry-Signature: sha256=<hex HMAC of the raw body>.
    409 `not_waiting` (nothing stored) when the request is not waiting for the registry's report."""
    raw = await request.body()
    return await sira_service.registry_callback(session, request.app.state.temporal, settings, raw=raw,
                                                signature=request.headers.get("x-registry-signature"))
