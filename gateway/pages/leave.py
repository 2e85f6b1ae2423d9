"""Leave requests (cuti): the employee's list, the form with its working-day count, and a request's page."""


import uuid
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api import leave as leave_api
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import _CLIENT_KEY, FINAL_STATUSES, SameOrigin, _field, _field_errors, _is_htmx, _parse_date, _redirect, _render, _temporal
from gateway.services import leave as leave_service
from gateway.services import people as people_service
from gateway.services import processes
from gateway.services.leave import LeaveForm
from process_defs.loader import load_leave
from store.models import User

router = APIRouter(include_in_schema=False)


@router.get("/cuti")
async def my_leave(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    balance = await leave_service.annual_balance(session, employee_id=user.id, year=people_service.office_today().year)
    items = [leave_service.serialize(r, settings) for r in await leave_service.list_for_employee(session, employee=user)]
    return await _render(request, "pages/leave_list.html", {"balance": balance, "items": items, "active": "cuti"},
                         session=session, user=user)


async def _working_days_preview(start_raw: str, end_raw: str) -> dict[str, Any]:
    """What the live preview shows for the dates typed so far."""
    try:
        start = date.fromisoformat(start_raw) if start_raw else None
        end = date.fromisoformat(end_raw) if end_raw else None
    except ValueError:
        return {"state": "invalid"}
    if start is None or end is None:
        return {"state": "empty"}
    if end < start:
        return {"state": "reversed"}
    result = leave_api.count_working_days(start, end)
    return {"state": "ok", "working_days": result["working_days"], "calendar_days": (end - start).days + 1,
            "excluded": result["excluded"]}


async def _leave_form(request: Request, session: Any, user: User, values: dict, *, error: str | None = None,
                      field_errors: dict | None = None, status_code: int = 200) -> Response:
    official = await people_service.has_subordinates(session, user=user)
    supervisor = await session.get(User, user.supervisor_id) if user.supervisor_id else None
    balance = await leave_service.annual_balance(session, employee_id=user.id, year=people_service.office_today().year)
    ctx = {
        "values": values, "error": error, "field_errors": field_errors or {}, "leave_types": load_leave().leave_types,
        "is_official": official, "supervisor": supervisor, "balance": balance,
        "colleagues": await people_service.colleagues(session, user=user) if official else [],
        "preview": await _working_days_preview(values.get("start_date", ""), values.get("end_date", "")),
        "today": people_service.office_today().isoformat(), "active": "cuti",
    }
    return await _render(request, "pages/leave_new.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/cuti/baru")
async def new_leave_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _leave_form(request, session, user, {"client_key": str(uuid.uuid4()), "leave_type": request.query_params.get("jenis", "")})


@router.get("/cuti/hitung-hari")
async def working_days_fragment(request: Request, _viewer: OptionalUser, start_date: str = "", end_date: str = "") -> Response:
    """Live preview for the leave form: the working days in the range and the days not counted, in the signed-in
    employee's office calendar (the viewer dependency reads the offices and speaks for theirs)."""
    preview = await _working_days_preview(start_date.strip()[:10], end_date.strip()[:10])
    return await _render(request, "pages/leave_new.html", {"preview": preview}, block="working_days")


@router.post("/cuti/baru")
async def submit_leave(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {name: _field(form, name) for name in ("leave_type", "start_date", "end_date", "reason", "address_during_leave",
                                                     "acting_official_username", "client_key")}
    errors: dict[str, str] = {}
    if not values["leave_type"]:
        errors["leave_type"] = "Pilih jenis cuti."
    start = _parse_date(values["start_date"], "start_date", "Tanggal mulai", errors)
    end = _parse_date(values["end_date"], "end_date", "Tanggal selesai", errors)
    if not values["reason"].strip():
        errors["reason"] = "Alasan cuti wajib diisi."
    if errors or start is None or end is None:  # a date that did not parse has its message in errors
        return await _leave_form(request, session, user, values, error="Periksa kembali isian yang ditandai: " + " ".join(errors.values()),
                                 field_errors=errors, status_code=422)
    client_key = values["client_key"] if _CLIENT_KEY.fullmatch(values["client_key"]) else None
    try:
        client = await _temporal(request)
        leave, _created = await leave_service.submit(session, client, settings, employee=user, form=LeaveForm(
            leave_type=values["leave_type"], start_date=start, end_date=end, reason=values["reason"],
            address_during_leave=values["address_during_leave"] or None,
            acting_official_username=values["acting_official_username"] or None,
            client_key=f"{user.id}:{client_key}" if client_key else None,
        ))
    except DomainError as exc:
        return await _leave_form(request, session, user, values, error=exc.detail, field_errors=_field_errors(exc),
                                 status_code=status_of(exc))
    return _redirect(f"/cuti/{leave.id}")


async def _leave_case(session: Any, settings: Any, user: User, request_id: str) -> dict[str, Any]:
    if not request_id.isdigit() or len(request_id) > 12:
        raise not_found("Permohonan cuti")
    leave = await leave_service.get_for_viewer(session, request_id=int(request_id), viewer=user)
    data = leave_service.serialize(leave, settings, await processes.timeline(session, workflow_id=leave.workflow_id))
    # Same origin as the page, whatever public_base_url says (behind a proxy it may name another host).
    if data["document_url"]:
        data["document_href"] = urlsplit(data["document_url"]).path
    return {"case": data, "final": leave.status in FINAL_STATUSES, "is_applicant": leave.employee_id == user.id}


@router.get("/cuti/{request_id}")
async def leave_detail(request: Request, request_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    ctx = await _leave_case(session, settings, user, request_id)
    return await _render(request, "pages/leave_detail.html", {**ctx, "active": "cuti"}, session=session, user=user)


@router.get("/cuti/{request_id}/status")
async def leave_status_fragment(request: Request, request_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The status, next step and timeline of a case: polled by its page until the case is final."""
    ctx = await _leave_case(session, settings, user, request_id)
    if not _is_htmx(request):
        return _redirect(f"/cuti/{request_id}")
    return await _render(request, "pages/leave_detail.html", ctx, user=user, block="case_status")
