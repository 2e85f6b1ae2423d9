"""Signing in and out, and the home page each person lands on."""


from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.deps import SESSION_COOKIE, CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import DomainError, headers_of, status_of
from gateway.pages.framework import FINAL_STATUSES, SameOrigin, _field, _redirect, _render, _safe_next, _with_flash, office_tz, set_session_cookie
from gateway.services import leave as leave_service
from gateway.services import people as people_service
from gateway.services import throttle
from gateway.services.sessions import BAD_CREDENTIALS, revoke_sessions, sign_in
from store.models import User

router = APIRouter(include_in_schema=False)


@router.get("/masuk")
async def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return _redirect(_safe_next(next))
    return await _render(request, "pages/login.html", {"next": _safe_next(next), "username": "", "error": None})


@router.post("/masuk")
async def login(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    username, password = _field(form, "username", 200), _field(form, "password", 200)
    target = _safe_next(_field(form, "next", 500))
    user, status_code, headers = None, 401, None
    error: str | None
    if not username.strip() or not password:
        error = "Nama pengguna dan kata sandi wajib diisi."
    else:
        try:
            user = await sign_in(session, settings, username, password, client_ip=throttle.client_ip(request))
            error = None if user else BAD_CREDENTIALS
        except DomainError as exc:  # slowed down after repeated failures (429), or too many sign-ins at once (503)
            error, status_code, headers = exc.detail, status_of(exc), headers_of(exc)
    if user is None:
        return await _render(request, "pages/login.html", {"next": target, "username": username, "error": error}, status_code=status_code,
                             headers=headers)
    return set_session_cookie(_redirect(target), request, settings, user)


@router.post("/keluar")
async def logout(user: OptionalUser, session: SessionDep, _: SameOrigin) -> Response:
    """Signs out everywhere: this cookie, and every other session and token of the account, stop working."""
    if user is not None:
        await revoke_sessions(session, user)
        await session.commit()
    response = _redirect(_with_flash("/masuk", "keluar"))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


def _greeting() -> str:
    hour = datetime.now(office_tz()).hour
    return "Selamat pagi" if hour < 11 else "Selamat siang" if hour < 15 else "Selamat sore" if hour < 18 else "Selamat malam"


@router.get("/")
async def home(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    requests = await leave_service.list_for_employee(session, employee=user)
    in_progress = [leave_service.serialize(r, settings) for r in requests if r.status not in FINAL_STATUSES][:5]
    represented = await people_service.officials_represented_by(session, user=user)
    acting_for = [u.full_name for u in await session.scalars(select(User).where(User.id.in_(represented)))] if represented else []
    return await _render(request, "pages/home.html", {"greeting": _greeting(), "in_progress": in_progress, "acting_for": acting_for,
                                                      "active": "home"}, session=session, user=user)
