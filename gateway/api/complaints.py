"""Complaints and criticism (seed 002, seed 003 Pengaduan, seed 000 §5 Kritis).

Public (no sign-in, rate-limited per client address; the API asks no arithmetic challenge, the page does):
- `POST /api/v1/complaints` — JSON `{"category","title","content","nik"?,"phone","incident_date"}`, or the same
  fields as `multipart/form-data` on the same path with up to N image parts named `photos`;
- `POST /api/v1/criticism` — Kritis: `{"kind","description","name"?,"phone"?,"email"?}`;
- `GET /api/v1/complaints/track/{tracking_number}` — stage, status, dates, and the response once done;
  nothing personal.
Applicants: `GET/POST /api/v1/complaints/mine`. Staff: `GET /api/v1/complaints` (filters stage, category,
overdue), `GET /api/v1/complaints/stats`, `GET /api/v1/complaints/{tracking_number}`.
Decisions go through `POST /api/v1/tasks/{id}/decision`.
"""

from datetime import date
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError

from gateway.api.schemas import ERRORS, EventLine, IsoDateTime, Number, OpenMapping, Out, PendingTaskLine
from gateway.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from gateway.errors import ApiError, FieldError
from gateway.limits import json_body
from gateway.services import complaints as service
from gateway.services.complaints import ApplicantComplaintForm, CriticismForm, PublicComplaintForm
from gateway.services.throttle import client_ip
from store.models import Complaint

router = APIRouter(prefix="/api/v1", tags=["pengaduan"])



class CategoriesOut(Out):
    public_categories: dict[str, str]
    applicant_categories: dict[str, str]
    criticism_kinds: dict[str, str]
    photos: OpenMapping


class StageStepOut(Out):
    stage: str
    label: str
    done: bool
    current: bool


class PublicComplaintOut(Out):
    tracking_number: str
    office: str
    stage: str
    status: str
    stage_label: str
    status_label: str
    category_label: str
    next_step: str
    channel: str
    created_at: IsoDateTime
    stage_due_at: IsoDateTime | None
    finished_at: IsoDateTime | None
    responded_at: IsoDateTime | None
    cancelled: bool
    stages: list[StageStepOut]


class FiledComplaintOut(PublicComplaintOut):
    title: str


class MyComplaintOut(FiledComplaintOut):
    content: str
    category: str
    response: str | None
    rejection_reason: str | None


class MyComplaintLineOut(MyComplaintOut):
    application_resi: str | None


class PhotoOut(Out):
    index: int
    name: str
    media_type: str
    size: int
    url: str


class StaffComplaintOut(MyComplaintOut):
    id: int
    channel_label: str
    nik: str | None
    phone: str | None
    email: str | None
    incident_date: date | None
    letter_number: str | None
    escalations: int
    overdue: bool
    unit_name: str | None
    officer_name: str | None
    letter_url: str | None
    photos: list[PhotoOut]


class ComplaintEventLine(EventLine):
    escalation: bool


class ComplaintTaskLine(PendingTaskLine):
    escalated_to_role: str | None


class StaffComplaintDetailOut(StaffComplaintOut):
    timeline: list[ComplaintEventLine]
    pending_tasks: list[ComplaintTaskLine]


class ComplaintListOut(Out):
    items: list[StaffComplaintOut]
    total: int


class ResponseFiguresOut(Out):
    count: int
    median_working_days: Number | None
    average_working_days: Number | None


class ResponseTimesOut(Out):
    all: ResponseFiguresOut
    by_category: dict[str, ResponseFiguresOut]
    by_unit: dict[str, ResponseFiguresOut]


class ComplaintStatsOut(Out):
    by_stage: dict[str, int]
    response_times: ResponseTimesOut


_FORM_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": PublicComplaintForm.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        **{k: {"type": "string"} for k in PublicComplaintForm.model_fields},
        "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


def _created(complaint: Complaint, response: Response) -> dict[str, Any]:
    return {**service.serialize_public(complaint), "title": complaint.title}


FormT = TypeVar("FormT", bound=BaseModel)


def _parse(model: type[FormT], data: dict[str, Any]) -> FormT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: list[FieldError] = [{"field": ".".join(map(str, e["loc"])), "message": "Isian wajib diisi." if e["type"] == "missing" else "Isian tidak valid."}
                  for e in exc.errors()]
        raise ApiError(422, "Periksa kembali isian: " + ", ".join(e["field"] for e in errors) + ".", code="invalid", errors=errors) from None


@router.get("/complaint-categories", response_model=CategoriesOut)
async def complaint_categories() -> dict[str, Any]:
    """Public: the categories of each form, the Kritis kinds and the photo rules (process_defs/complaints.yaml)."""
    return service.categories()


@router.post("/complaints", status_code=201, response_model=FiledComplaintOut, responses={413: ERRORS[422], 422: ERRORS[422], 429: ERRORS[422]},
             openapi_extra=_FORM_BODY)
async def file_complaint(request: Request, response: Response, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> dict[str, Any]:
    """A complaint without sign-in; JSON, or multipart with photos (images only, typed by content)."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        fields, uploads, too_large = await service.read_form(request)
        try:
            complaint = await service.file_public(session, client, settings, form=_parse(PublicComplaintForm, fields), uploads=uploads,
                                                  too_large=too_large, client_ip=client_ip(request))
        finally:
            for upload in uploads:
                await upload.close()
    else:
        body = await json_body(request, unreadable=ApiError(422, "Kirim JSON atau multipart/form-data.", code="invalid"))
        complaint = await service.file_public(session, client, settings, form=_parse(PublicComplaintForm, body if isinstance(body, dict) else {}),
                                              client_ip=client_ip(request))
    return _created(complaint, response)


@router.post("/criticism", status_code=201, response_model=FiledComplaintOut, responses={422: ERRORS[422]})
async def file_criticism(body: CriticismForm, request: Request, response: Response, session: SessionDep, client: TemporalDep,
                         settings: SettingsDep) -> dict[str, Any]:
    """Kritis: criticism or a suggestion, contact optional."""
    return _created(await service.file_criticism(session, client, settings, form=body, client_ip=client_ip(request)), response)


@router.get("/complaints/track/{tracking_number}", response_model=PublicComplaintOut, responses={404: ERRORS[404]})
async def track(tracking_number: str, request: Request, session: SessionDep) -> dict[str, Any]:
    return await service.track(session, tracking_number=tracking_number, client_ip=client_ip(request))


@router.get("/complaints/mine", response_model=list[MyComplaintLineOut], responses={401: ERRORS[401]})
async def my_complaints(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    return await service.mine(session, user=user)


@router.post("/complaints/mine", status_code=201, response_model=MyComplaintOut, responses={401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]})
async def file_my_complaint(body: ApplicantComplaintForm, user: CurrentUser, response: Response, session: SessionDep, client: TemporalDep,
                            settings: SettingsDep) -> dict[str, Any]:
    """An applicant's complaint, optionally about one of their own applications (`application_resi`)."""
    complaint = await service.file_applicant(session, client, settings, user=user, form=body)
    return service.serialize_mine(complaint)


@router.get("/complaints", response_model=ComplaintListOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def list_complaints(user: CurrentUser, session: SessionDep, settings: SettingsDep, stage: str | None = Query(default=None, max_length=20),
                          category: str | None = Query(default=None, max_length=40), overdue: bool = False) -> dict[str, Any]:
    items = await service.list_for_staff(session, settings, user=user, stage=stage, category=category, overdue_only=overdue)
    return {"items": items, "total": len(items)}


@router.get("/complaints/stats", response_model=ComplaintStatsOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def stats(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    if not user.is_staff_for(service.STAFF_ROLES):
        raise ApiError(403, "Hanya petugas pengaduan dan pimpinan yang dapat melihat angka pengaduan.", code="forbidden")
    return {"by_stage": await service.counts_by_stage(session), "response_times": await service.response_times(session)}


@router.get("/complaints/{tracking_number}", response_model=StaffComplaintDetailOut, responses={401: ERRORS[401], 404: ERRORS[404]})
async def get_complaint(tracking_number: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    complaint = await service.get_for_staff(session, user=user, tracking_number=tracking_number)
    return {**service.serialize_staff(complaint, settings, **await service.names(session, complaint)),
            "timeline": await service.timeline(session, workflow_id=complaint.workflow_id),
            "pending_tasks": await service.open_tasks(session, workflow_id=complaint.workflow_id)}
