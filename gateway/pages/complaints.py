"""Complaint pages (seed 002 ALAMI, seed 003 Pengaduan, seed 000 §5 Kritis), in Bahasa Indonesia:

- `/pengaduan` — the public form with photos and the arithmetic challenge; success shows the tracking number;
- `/kritik` — Kritis: criticism or a suggestion, contact optional, with the challenge;
- `/pengaduan/lacak` and `/pengaduan/lacak/{nomor}` — public tracking, nothing personal;
- `/pengaduan/saya` — the applicant's complaints (seed 003 §Pengaduan A) and a new complaint;
- `/pengaduan/staf` — complaints by stage, overdue first, with response-time figures;
- `/pengaduan/{nomor}` — the complaint for staff: details, photos, letter, timeline with escalations, open tasks.

The pages call the same service functions as the JSON API, so both refuse the same things with the same words.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import DomainError, forbidden, status_of
from gateway.pages.framework import SameOrigin, _field, _field_errors, _redirect, _render, _temporal
from gateway.services import applicants as applicant_service
from gateway.services import complaints as service
from gateway.services import files as file_service
from gateway.services.complaints import ApplicantComplaintForm, CriticismForm, PublicComplaintForm
from gateway.services.office_access import choices as office_choices
from gateway.services.office_access import chosen, speak_for_code
from gateway.services.offices import speak_for
from gateway.services.throttle import client_ip
from process_defs.complaints import load_complaints
from store.models import Complaint, User
from store.settings import Settings

router = APIRouter(include_in_schema=False)

PUBLIC_FIELDS = ("category", "title", "content", "nik", "phone", "incident_date", "name", "email", "office")
CRITICISM_FIELDS = ("kind", "description", "name", "phone", "email", "office")


def _challenge(settings: Settings) -> dict[str, Any]:
    c = applicant_service.new_challenge(settings)
    return {"question": c.question, "token": c.token}


async def _check_challenge(request: Request, session: AsyncSession, settings: Settings, form: Mapping[str, Any]) -> None:
    await applicant_service.require_challenge(session, settings, token=_field(form, "challenge_token"),
                                              answer=_field(form, "challenge_answer", 20), client_ip=client_ip(request))


def _values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: _field(form, n, 10000) for n in names}


def _fresh(request: Request) -> dict[str, Any]:
    """A new form's values: the office named by `?kantor=` (a link from the office's page) chosen, and spoken for."""
    entry = chosen(request.query_params.get("kantor", ""), "complaint")
    return {"client_key": uuid.uuid4().hex, "office": entry.code if entry else ""}


async def _done(request: Request, session: AsyncSession, user: User | None, complaint: Complaint, kind: str) -> Response:
    speak_for(complaint.office_id)  # the office the complaint went to
    return await _render(request, "pages/complaints/filed.html", {"complaint": service.serialize_public(complaint), "kind": kind,
                                                                   "active": "pengaduan"}, session=session, user=user, status_code=201)


# --- public form ---------------------------------------------------------------------------------------


async def _public_form(request: Request, session: AsyncSession, user: User | None, settings: Settings, *, values: dict | None = None,
                       error: str | None = None,
                       field_errors: dict | None = None, status_code: int = 200) -> Response:
    return await _render(request, "pages/complaints/public_form.html", {
        "values": values or _fresh(request), "error": error, "field_errors": field_errors or {}, "offices": office_choices("complaint"),
        "categories": load_complaints().public_categories, "challenge": _challenge(settings), "photo_rules": service.photo_rules_text(),
        "active": "pengaduan"}, session=session, user=user, status_code=status_code)


@router.get("/pengaduan")
async def public_form(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    return await _public_form(request, session, user, settings)


@router.post("/pengaduan")
async def submit_public(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        fields, uploads, too_large = await service.read_form(request)
    else:  # a browser without the file input in use may send the fields alone
        fields, uploads, too_large = dict(await request.form()), [], False
    values = {n: str(fields.get(n, ""))[:10000] for n in (*PUBLIC_FIELDS, "client_key")}
    chosen(values["office"], "complaint")
    try:
        await _check_challenge(request, session, settings, fields)
        complaint = await service.file_public(session, await _temporal(request), settings, form=PublicComplaintForm(**values),
                                              uploads=uploads, too_large=too_large, client_ip=client_ip(request))
    except DomainError as exc:
        if status_of(exc) >= 500:
            raise
        return await _public_form(request, session, user, settings, values=values, error=exc.detail, field_errors=_field_errors(exc),
                                  status_code=status_of(exc))
    finally:
        for upload in uploads:
            await upload.close()
    return await _done(request, session, user, complaint, "pengaduan")


# --- Kritis ---------------------------------------------------------------------------------------------


async def _criticism_form(request: Request, session: AsyncSession, user: User | None, settings: Settings, *, values: dict | None = None,
                          error: str | None = None,
                          field_errors: dict | None = None, status_code: int = 200) -> Response:
    return await _render(request, "pages/complaints/criticism_form.html", {
        "values": values or _fresh(request), "error": error, "field_errors": field_errors or {}, "offices": office_choices("complaint"),
        "kinds": load_complaints().criticism_kinds, "challenge": _challenge(settings), "active": "kritik"},
        session=session, user=user, status_code=status_code)


@router.get("/kritik")
async def criticism_form(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    return await _criticism_form(request, session, user, settings)


@router.post("/kritik")
async def submit_criticism(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {n: _field(form, n, 10000) for n in (*CRITICISM_FIELDS, "client_key")}
    chosen(values["office"], "complaint")
    try:
        await _check_challenge(request, session, settings, form)
        complaint = await service.file_criticism(session, await _temporal(request), settings, form=CriticismForm(**values),
                                                 client_ip=client_ip(request))
    except DomainError as exc:
        if status_of(exc) >= 500:
            raise
        return await _criticism_form(request, session, user, settings, values=values, error=exc.detail, field_errors=_field_errors(exc),
                                     status_code=status_of(exc))
    return await _done(request, session, user, complaint, "kritik")


# --- tracking --------------------------------------------------------------------------------------------


@router.get("/pengaduan/lacak")
async def track_form(request: Request, user: OptionalUser, session: SessionDep, nomor: str = "") -> Response:
    if nomor.strip():
        return _redirect(f"/pengaduan/lacak/{nomor.strip().upper()[:20]}")
    return await _render(request, "pages/complaints/track.html", {"complaint": None, "number": "", "active": "lacak_pengaduan"},
                         session=session, user=user)


@router.get("/pengaduan/lacak/{tracking_number}")
async def track_page(request: Request, tracking_number: str, user: OptionalUser, session: SessionDep) -> Response:
    try:
        complaint = await service.track(session, tracking_number=tracking_number, client_ip=client_ip(request))
        error = None
    except DomainError as exc:
        if status_of(exc) != 404:
            raise
        complaint, error = None, f"Pengaduan dengan nomor {tracking_number[:20]} tidak ditemukan. Periksa kembali nomornya (contoh: ADU-7K3P9Q)."
    if complaint is not None:
        speak_for_code(complaint["office"])
    return await _render(request, "pages/complaints/track.html", {"complaint": complaint, "number": tracking_number[:20], "error": error,
                                                                   "active": "lacak_pengaduan"},
                         session=session, user=user, status_code=404 if error else 200)


# --- the applicant's complaints -----------------------------------------------------------------------------


async def _mine(request: Request, session: AsyncSession, user: User, *, values: dict | None = None, error: str | None = None,
                field_errors: dict | None = None, status_code: int = 200) -> Response:
    if user.kind != "applicant":
        raise forbidden("Halaman ini untuk akun pemohon. Petugas melihat pengaduan di /pengaduan/staf.")
    return await _render(request, "pages/complaints/mine.html", {
        "complaints": await service.mine(session, user=user), "applications": await service.applications_of(session, user=user),
        "categories": load_complaints().applicant_categories, "values": values or _fresh(request), "offices": office_choices("complaint"),
        "error": error, "field_errors": field_errors or {}, "active": "pengaduan_saya"}, session=session, user=user, status_code=status_code)


@router.get("/pengaduan/saya")
async def my_complaints(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _mine(request, session, user)


@router.post("/pengaduan/saya")
async def submit_mine(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {n: _field(form, n, 10000) for n in ("category", "title", "content", "application_resi", "client_key", "office")}
    try:
        complaint = await service.file_applicant(session, await _temporal(request), settings, user=user,
                                                 form=ApplicantComplaintForm(**{**values, "application_resi": values["application_resi"] or None,
                                                                                "office": values["office"] or None}))
    except DomainError as exc:
        if status_of(exc) >= 500:
            raise
        return await _mine(request, session, user, values=values, error=exc.detail, field_errors=_field_errors(exc), status_code=status_of(exc))
    return await _done(request, session, user, complaint, "pemohon")


# --- staff ------------------------------------------------------------------------------------------------------


@router.get("/pengaduan/staf")
async def staff_list(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, tahap: str = "",
                     kategori: str = "", terlambat: str = "") -> Response:
    stage = tahap if tahap in service.STAGE_LABELS else None
    rows = await service.list_for_staff(session, settings, user=user, stage=stage, category=kategori[:40] or None, overdue_only=bool(terlambat))
    defs = load_complaints()
    return await _render(request, "pages/complaints/staff.html", {
        "rows": rows, "stage": stage or "", "category": kategori[:40], "overdue": bool(terlambat), "stages": service.STAGE_LABELS,
        "categories": {**defs.public_categories, **defs.applicant_categories, **defs.criticism_kinds},
        "counts": await service.counts_by_stage(session), "times": await service.response_times(session), "active": "pengaduan"},
        session=session, user=user)


@router.get("/pengaduan/{tracking_number}")
async def staff_detail(request: Request, tracking_number: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    complaint = await service.get_for_staff(session, user=user, tracking_number=tracking_number)
    timeline = await service.timeline(session, workflow_id=complaint.workflow_id)
    return await _render(request, "pages/complaints/detail.html", {
        "c": service.serialize_staff(complaint, settings, **await service.names(session, complaint)), "timeline": timeline,
        "tasks": await service.open_tasks(session, workflow_id=complaint.workflow_id),
        "escalations": [e for e in timeline if e["escalation"]], "active": "pengaduan"}, session=session, user=user)


@router.get("/pengaduan/{tracking_number}/foto/{index}")
async def photo(tracking_number: str, index: int, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    complaint = await service.get_for_staff(session, user=user, tracking_number=tracking_number)
    key, meta = service.photo_key(complaint, index)
    return await file_service.stored_response(settings, key, media_type=meta["media_type"], what="Foto", headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store", "Content-Disposition": "inline"})
