"""Survei IKM, as pages (seed 003 "Survey IKM"): the applicant finds a finished application by resi and
fills the questionnaire once; the office reads the IKM per service and period. The same service as the
JSON API, so both refuse the same things with the same messages."""

from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.deps import CurrentUser, SessionDep
from gateway.errors import ApiError, DomainError, forbidden, status_of
from gateway.pages.framework import SameOrigin, _field, _redirect, _render, office_tz
from gateway.services import survey as survey_service
from gateway.services.applicants import GENDERS
from gateway.services.dates import parse_day
from gateway.services.offices import speak_for
from gateway.services.permits import STAFF_ROLES as PERMIT_STAFF
from gateway.services.permits import STATUS_LABELS
from process_defs import catalog
from store.models import PermitApplication, SurveyResponse, User
from workflows.permit import STATUS_FINISHED

router = APIRouter(include_in_schema=False)

GRADE_TONES = {"A": "ok", "B": "ok", "C": "warn", "D": "danger"}


def _permit_name(code: str) -> str:
    definition = catalog.permit_type(code)
    return definition.name if definition else code


# --- the applicant: find an application, fill the survey ----------------------------------------


@router.get("/survei")
async def survey_search(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Halaman Pencarian Survey IKM: a resi, or one of the applicant's finished applications."""
    if user.is_staff_for(PERMIT_STAFF):
        return _redirect("/ikm")
    resi = "".join(request.query_params.get("resi", "").split()).upper()[:6]
    if resi:
        return _redirect(f"/permohonan/{quote(resi, safe='')}/survei")
    finished = list(await session.scalars(select(PermitApplication).where(
        PermitApplication.applicant_id == user.id, PermitApplication.status == STATUS_FINISHED).order_by(PermitApplication.id.desc())))
    done = set(await session.scalars(select(SurveyResponse.application_id).where(
        SurveyResponse.application_id.in_([a.id for a in finished])))) if finished else set()
    items = [{"resi": a.resi, "permit_type_name": _permit_name(a.permit_type), "finished_at": a.finished_at, "filled": a.id in done}
             for a in finished]
    return await _render(request, "pages/survey/search.html", {"items": items, "active": "survei"}, session=session, user=user)


def _respondent(user: User) -> dict[str, Any]:
    profile = user.profile
    today = datetime.now(office_tz()).date()
    age = None
    if profile is not None:
        born = profile.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return {"name": user.full_name, "gender": GENDERS.get(profile.gender, "–") if profile else "–", "age": age,
            "education": profile.education if profile else "–"}


async def _survey_page(request: Request, session: Any, user: User, resi: str, *, values: dict | None = None, error: str | None = None,
                       field_errors: dict | None = None, status_code: int = 200) -> Response:
    application, response = await survey_service.state(session, viewer=user, resi=resi)
    speak_for(application.office_id)  # the case's office, whichever office the applicant applied to
    reason = survey_service.availability(application, response)
    ctx = {
        "application": application, "resi": application.resi, "permit_type_name": _permit_name(application.permit_type),
        "status_label": STATUS_LABELS.get(application.status, application.status), "reason": reason,
        "response": survey_service.serialize_response(application, response) if response else None,
        "elements": survey_service.ELEMENTS, "integrity": survey_service.INTEGRITY, "respondent": _respondent(user),
        "values": values or {}, "error": error, "field_errors": field_errors or {}, "comment_max": survey_service.COMMENT_MAX,
        "sent": request.query_params.get("pesan") == "survei-terkirim", "active": "survei",
    }
    return await _render(request, "pages/survey/form.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/permohonan/{resi}/survei")
async def survey_page(request: Request, resi: str, user: CurrentUser, session: SessionDep) -> Response:
    return await _survey_page(request, session, user, resi)


@router.post("/permohonan/{resi}/survei")
async def submit_survey(request: Request, resi: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    form = await request.form()
    values: dict[str, str | bool] = {name: _field(form, name, 10) for name in (*survey_service.ELEMENT_CODES, *survey_service.INTEGRITY_CODES)}
    values["comment"] = _field(form, "comment", survey_service.COMMENT_MAX + 500)
    values["declaration"] = _field(form, "declaration", 10) == "1"
    try:
        if not values["declaration"]:
            # Checked before the answers only when everything else is answered, so the first message names a question.
            missing = [c for c in (*survey_service.ELEMENT_CODES, *survey_service.INTEGRITY_CODES) if not values[c]]
            if not missing:
                raise ApiError(422, "Centang pernyataan bahwa jawaban Anda benar sebelum mengirim survei.", code="invalid",
                               errors=[{"field": "declaration", "message": "Centang pernyataan ini."}])
        answers = {c: values[c] or None for c in survey_service.ELEMENT_CODES}
        integrity = {c: values[c] or None for c in survey_service.INTEGRITY_CODES}
        await survey_service.submit(session, applicant=user, resi=resi, answers=answers, integrity=integrity, comment=values["comment"])
    except DomainError as exc:
        if status_of(exc) in (403, 404):
            raise
        errors = {e["field"].split(".")[-1]: e["message"] for e in exc.errors if e.get("field")}
        return await _survey_page(request, session, user, resi, values=values, error=exc.detail, field_errors=errors,
                                  status_code=status_of(exc))
    return _redirect(f"/permohonan/{quote(resi.strip().upper(), safe='')}/survei?pesan=survei-terkirim")


# --- the office: IKM per service and period -----------------------------------------------------


def _date_param(raw: str, label: str, errors: dict[str, str], field: str) -> date | None:
    try:
        return parse_day(raw[:20], field=field, label=label)
    except DomainError as exc:
        errors[field] = exc.detail
        return None


@router.get("/ikm")
async def ikm_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    if not user.is_staff_for(PERMIT_STAFF):
        raise forbidden("Rekap IKM hanya untuk petugas kantor.")
    params = request.query_params
    errors: dict[str, str] = {}
    today = datetime.now(office_tz()).date()
    if "dari" in params or "sampai" in params or "jenis" in params:
        start = _date_param(params.get("dari", ""), "Tanggal awal", errors, "dari")
        end = _date_param(params.get("sampai", ""), "Tanggal akhir", errors, "sampai")
    else:  # first visit: this year so far
        start, end = date(today.year, 1, 1), today
    permit_type = params.get("jenis", "").strip()[:60] or None
    error = None
    try:
        data = await survey_service.report(session, viewer=user, permit_type=permit_type, start=start, end=end)
    except DomainError as exc:
        if status_of(exc) == 403:
            raise
        error = exc.detail
        data = await survey_service.report(session, viewer=user)
    permit_types = [{"code": p.code, "name": p.name} for p in catalog.load_catalog().permit_types()]
    ctx = {"data": data, "values": {"jenis": permit_type or "", "dari": start.isoformat() if start else params.get("dari", ""),
                                    "sampai": end.isoformat() if end else params.get("sampai", "")},
           "permit_types": permit_types, "field_errors": errors, "error": error or (" ".join(errors.values()) if errors else None),
           "grade_tones": GRADE_TONES, "grades": survey_service.GRADES, "active": "ikm",
           "api_query": urlencode({k: v for k, v in (("permit_type", permit_type or ""), ("from", start.isoformat() if start else ""),
                                                     ("to", end.isoformat() if end else "")) if v})}
    return await _render(request, "pages/survey/ikm.html", ctx, session=session, user=user, status_code=422 if errors else 200)
