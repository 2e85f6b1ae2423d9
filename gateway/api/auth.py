from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.api.schemas import ERRORS, ErrorOut, LoginBody, Out, TokenOut
from gateway.deps import SESSION_COOKIE, CurrentUser, SessionDep, SettingsDep
from gateway.errors import ApiError
from gateway.services import throttle
from gateway.services.sessions import BAD_CREDENTIALS, revoke_sessions, session_token, sign_in

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])



class MeOut(Out):
    id: int
    username: str
    full_name: str
    nip: str | None
    position: str | None
    email: str | None
    roles: list[str]
    unit: str | None
    supervisor_id: int | None


BUSY: dict[str, Any] = {"model": ErrorOut, "description": "Terlalu banyak permintaan masuk sekaligus; coba lagi dalam beberapa detik (Retry-After)"}


@router.post("/login", response_model=TokenOut,
             responses={401: ERRORS[401], 429: {"model": ErrorOut, "description": "Terlalu banyak percobaan"}, 503: BUSY})
async def login(body: LoginBody, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Sign in with a username, an applicant's NIK, or an email address."""
    user = await sign_in(session, settings, body.username, body.password, client_ip=throttle.client_ip(request))
    if user is None:
        raise ApiError(401, BAD_CREDENTIALS, code="bad_credentials")
    return TokenOut(access_token=session_token(settings, user))


@router.post("/logout", status_code=204, responses={401: ERRORS[401]})
async def logout(user: CurrentUser, session: SessionDep) -> Response:
    """Signs out everywhere: every token and session cookie of this account issued so far stops working."""
    await revoke_sessions(session, user)
    await session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=MeOut, responses={401: ERRORS[401]})
async def me(user: CurrentUser) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "nip": user.nip, "position": user.position,
            "email": user.email, "roles": user.role_names, "unit": user.unit.name if user.unit else None,
            "supervisor_id": user.supervisor_id}
