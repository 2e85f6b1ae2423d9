"""Dependencies as Annotated aliases, after the FastAPI full-stack template."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from gateway.errors import ApiError, forbidden
from gateway.security import decode_access_token
from store.models import User
from store.settings import Settings

SESSION_COOKIE = "satupintu_session"

bearer = HTTPBearer(auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    return await request.app.state.temporal()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


async def _user_from_token(token: str | None, session: AsyncSession, settings: Settings) -> User | None:
    if not token:
        return None
    user_id = decode_access_token(token, settings.secret_key)
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return user if user is not None and user.is_active else None


async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    # The pages' session cookie carries the same token as the API's bearer header.
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    user = await _user_from_token(token, session, settings)
    if user is None:
        raise ApiError(401, "Sesi tidak valid atau telah berakhir. Silakan masuk kembali.", code="unauthenticated")
    return user


async def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    return await _user_from_token(request.cookies.get(SESSION_COOKIE), session, settings)


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


# Process owners watch and unstick runs; auditors read and replay them. Both may read every run.
PROCESS_OWNER_ROLES = frozenset({"pemilik_proses"})
AUDITOR_ROLES = frozenset({"auditor"})
RUN_READER_ROLES = PROCESS_OWNER_ROLES | AUDITOR_ROLES


def requires_role(roles: frozenset[str], detail: str):  # noqa: ANN201 - a FastAPI dependency
    """A dependency that lets only holders of one of `roles` through (403 otherwise, 401 when signed out)."""

    async def dependency(user: CurrentUser) -> User:
        if not set(user.role_names) & roles:
            raise forbidden(detail)
        return user

    return dependency


RunReader = Annotated[User, Depends(requires_role(RUN_READER_ROLES, "Halaman ini hanya untuk pemilik proses dan auditor."))]
ProcessOwner = Annotated[User, Depends(requires_role(PROCESS_OWNER_ROLES, "Tindakan ini hanya untuk pemilik proses."))]
Auditor = Annotated[User, Depends(requires_role(AUDITOR_ROLES, "Tindakan ini hanya untuk auditor."))]
