"""Dependencies as Annotated aliases, after the FastAPI full-stack template."""

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from temporalio.client import Client, WorkflowHandle

from gateway.errors import ApiError, forbidden
from gateway.security import decode_access_token
from gateway.services.offices import OfficeDirectory, speak_for, use_directory
from store.models import User
from store.offices import scope_to_office
from store.settings import Settings

if TYPE_CHECKING:
    from gateway.app import TemporalConnection

SESSION_COOKIE = "satupintu_session"

bearer = HTTPBearer(auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    offices: OfficeDirectory = request.app.state.offices
    if offices.stale:
        # Its own session: the request's has not begun, and routes that begin it themselves expect it so.
        async with request.app.state.sessionmaker() as lookup:
            await offices.refresh(lookup)
    use_directory(offices)
    # Each request speaks for no office until its user is known: nothing of another request's office carries over
    # (an ASGI server runs each in its own context; an in-process client runs them all in the caller's).
    speak_for(None)
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    return await request.app.state.temporal()


# Members that return an async iterator (not a coroutine) and reach the server while it is iterated.
_ITERATING = frozenset({"list_workflows", "fetch_history_events"})


async def _iterate(resolve: Callable[[], Awaitable[Any]], name: str, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
    async for item in getattr(await resolve(), name)(*args, **kwargs):
        yield item


def _deferred(owner: type, name: str, resolve: Callable[[], Awaitable[Any]]) -> Callable[..., Any]:
    """`owner.name` of the object `resolve()` gives, as a callable that awaits `resolve()` first."""
    member = getattr(owner, name)
    if inspect.iscoroutinefunction(member):
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(await resolve(), name)(*args, **kwargs)

        return call
    if name in _ITERATING:
        return partial(_iterate, resolve, name)
    raise RuntimeError(f"{owner.__name__}.{name} needs the Temporal connection: await LazyTemporalClient.connected() first")


class LazyTemporalClient:
    """temporalio's Client as a route sees it, connected on the first call that reaches the server.

    The route's own checks (signed in, role, holder of the task, owner of the case) run before it calls Temporal,
    so while Temporal is down whoever may not act is refused (401/403/404) and only someone who may is told 503,
    whatever the order of the route's parameters. Once the gateway is connected every attribute is the real
    client's; before that, async calls, handles and list iterators connect first, and the 503 comes from there."""

    __slots__ = ("_connection",)

    def __init__(self, connection: "TemporalConnection") -> None:
        self._connection = connection

    async def connected(self) -> Client:
        return await self._connection()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        client = self._connection.client
        if client is not None:
            return getattr(client, name)
        if name in ("get_workflow_handle", "get_workflow_handle_for"):
            return partial(_LazyWorkflowHandle, self, name)
        return _deferred(Client, name, self.connected)


class _LazyWorkflowHandle:
    """A workflow handle asked for before the connection: made from the real client when first used."""

    __slots__ = ("_client", "_factory", "_args", "_kwargs", "_handle")

    def __init__(self, client: LazyTemporalClient, factory: str, *args: Any, **kwargs: Any) -> None:
        self._client, self._factory, self._args, self._kwargs = client, factory, args, kwargs
        self._handle: WorkflowHandle | None = None

    async def _resolve(self) -> WorkflowHandle:
        if self._handle is None:
            self._handle = getattr(await self._client.connected(), self._factory)(*self._args, **self._kwargs)
        return self._handle

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._handle is None and self._client._connection.client is not None:
            self._handle = getattr(self._client._connection.client, self._factory)(*self._args, **self._kwargs)
        if self._handle is not None:
            return getattr(self._handle, name)
        return _deferred(WorkflowHandle, name, self._resolve)


async def get_lazy_temporal(request: Request) -> Client:
    connection = request.app.state.temporal
    # Connected (the usual case): the client itself, nothing in between.
    # The stand-in forwards every attribute to the client once connected: routes use it as the Client it stands for.
    return connection.client or cast(Client, LazyTemporalClient(connection))


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_lazy_temporal)]


async def _user_from_token(token: str | None, session: AsyncSession, settings: Settings) -> User | None:
    if not token:
        return None
    claims = decode_access_token(token, settings.secret_key)
    if claims is None:
        return None
    # Every authenticated request reads its user: the roles come in the same SELECT (joined), not a second one.
    user = await session.get(User, claims.user_id, options=[joinedload(User.roles)])
    # A token issued before the account's sessions were ended (sign-out, new password, ...) carries an older version.
    if user is None or not user.is_active or user.token_version != claims.version:
        return None
    return user


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MSG_BAD_ORIGIN = "Permintaan ditolak: permintaan ini dikirim dari situs lain."


def from_this_site(request: Request, settings: Settings, *, required: bool) -> bool:
    """Whether a request says it comes from a page of this installation: its Origin (or, without one, its Referer)
    names the host it was sent to or public_base_url's. A browser sends Origin with every cross-site POST, so a page
    elsewhere cannot pass; without either header the answer is `required`'s opposite."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return not required
    allowed = {request.headers.get("host", ""), urlsplit(settings.public_base_url).netloc} - {""}
    try:
        netloc = urlsplit(source).netloc
    except ValueError:
        return False
    return netloc in allowed


def _check_cookie_origin(request: Request, settings: Settings) -> None:
    """A browser sends the session cookie with requests any site makes (a form, or a fetch from a page on another port
    of the same host), so a state-changing API call signed in by the cookie alone must come from this site's own
    pages. Bearer tokens are exempt: no browser adds them to another site's request."""
    if request.method in UNSAFE_METHODS and request.url.path.startswith("/api/") and not from_this_site(request, settings, required=True):
        raise ApiError(403, MSG_BAD_ORIGIN, code="bad_origin")


async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    # The pages' session cookie carries the same token as the API's bearer header.
    token: str | None
    if credentials:
        token = credentials.credentials
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            _check_cookie_origin(request, settings)
    user = await _user_from_token(token, session, settings)
    if user is None:
        raise ApiError(401, "Sesi tidak valid atau telah berakhir. Silakan masuk kembali.", code="unauthenticated")
    _scope(session, user)
    return user


def _scope(session: AsyncSession, user: User) -> None:
    """Staff of an office read only their office's rows and speak for it; applicants and the installation's
    administrators are not held to one office (their own rows, or every office's)."""
    if user.kind == "staff" and user.office_id is not None:
        scope_to_office(session, user.office_id)
        speak_for(user.office_id)


async def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    user = await _user_from_token(request.cookies.get(SESSION_COOKIE), session, settings)
    if user is not None:
        _scope(session, user)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


# Process owners watch and unstick runs; auditors read and replay them. Both may read every run.
PROCESS_OWNER_ROLES = frozenset({"pemilik_proses"})
AUDITOR_ROLES = frozenset({"auditor"})
RUN_READER_ROLES = PROCESS_OWNER_ROLES | AUDITOR_ROLES


def requires_role(roles: frozenset[str], detail: str) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only holders of one of `roles` through (403 otherwise, 401 when signed out)."""

    async def dependency(user: CurrentUser) -> User:
        if not set(user.role_names) & roles:
            raise forbidden(detail)
        return user

    return dependency


RunReader = Annotated[User, Depends(requires_role(RUN_READER_ROLES, "Halaman ini hanya untuk pemilik proses dan auditor."))]
ProcessOwner = Annotated[User, Depends(requires_role(PROCESS_OWNER_ROLES, "Tindakan ini hanya untuk pemilik proses."))]
Auditor = Annotated[User, Depends(requires_role(AUDITOR_ROLES, "Tindakan ini hanya untuk auditor."))]
