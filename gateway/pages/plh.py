"""Acting officials (Plh.): an official names who signs and decides in their place for a period."""


from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.deps import CurrentUser, SessionDep
from gateway.errors import DomainError, not_found, status_of
from gateway.pages.framework import SameOrigin, _field, _field_errors, _parse_date, _redirect, _render, _with_flash
from gateway.services import people as people_service
from store.models import User

router = APIRouter(include_in_schema=False)


async def _plh_page(request: Request, session: Any, user: User, *, values: dict | None = None, error: str | None = None,
                    field_errors: dict | None = None, status_code: int = 200) -> Response:
    subs = await people_service.list_substitutions(session, user=user)
    ids = {s.official_id for s in subs} | {s.acting_id for s in subs}
    names = {u.id: u.full_name for u in await session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    today = people_service.office_today()
    rows = [{"id": s.id, "official": names.get(s.official_id), "acting": names.get(s.acting_id), "start_date": s.start_date,
             "end_date": s.end_date, "reason": s.reason, "source": s.source, "cancelled": s.cancelled_at is not None,
             "mine": s.official_id == user.id, "active": s.cancelled_at is None and s.start_date <= today <= s.end_date,
             "past": s.end_date < today,
             "can_cancel": s.cancelled_at is None and s.end_date >= today and (s.official_id == user.id or "admin" in user.role_names)}
            for s in subs]
    ctx = {"as_official": [r for r in rows if r["mine"]], "as_acting": [r for r in rows if not r["mine"]],
           "colleagues": await people_service.colleagues(session, user=user), "values": values or {}, "error": error,
           "field_errors": field_errors or {}, "today": today.isoformat(), "active": "plh",
           "latest_start": (today + timedelta(days=people_service.SUBSTITUTION_MAX_AHEAD_DAYS)).isoformat(),
           "max_days": people_service.SUBSTITUTION_MAX_DAYS}
    return await _render(request, "pages/plh.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/plh")
async def plh_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _plh_page(request, session, user)


@router.post("/plh")
async def create_plh(request: Request, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = {name: _field(form, name, 500) for name in ("acting_username", "start_date", "end_date", "reason")}
    errors: dict[str, str] = {}
    if not values["acting_username"]:
        errors["acting_username"] = "Pilih pegawai yang ditunjuk sebagai Plh."
    start = _parse_date(values["start_date"], "start_date", "Tanggal mulai", errors)
    end = _parse_date(values["end_date"], "end_date", "Tanggal selesai", errors)
    if not values["reason"].strip():
        errors["reason"] = "Alasan penunjukan Plh. wajib diisi."
    if errors or start is None or end is None:  # a date that did not parse has its message in errors
        return await _plh_page(request, session, user, values=values, field_errors=errors, status_code=422,
                               error="Periksa kembali isian yang ditandai: " + " ".join(errors.values()))
    try:
        await people_service.create_substitution(session, official=user, acting_username=values["acting_username"],
                                                 start_date=start, end_date=end, reason=values["reason"])
    except DomainError as exc:
        return await _plh_page(request, session, user, values=values, error=exc.detail, field_errors=_field_errors(exc),
                               status_code=status_of(exc))
    return _redirect(_with_flash("/plh", "plh-dibuat"))


@router.post("/plh/{substitution_id}/batal")
async def cancel_plh(substitution_id: str, user: CurrentUser, session: SessionDep, _: SameOrigin) -> Response:
    if not substitution_id.isdigit() or len(substitution_id) > 12:
        raise not_found("Penunjukan Plh.")
    await people_service.cancel_substitution(session, user=user, substitution_id=int(substitution_id))
    return _redirect(_with_flash("/plh", "plh-dibatalkan"))
