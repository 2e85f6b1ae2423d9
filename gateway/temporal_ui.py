"""The Temporal Web UI, served by the gateway at /temporal/ to process owners, auditors and administrators.

Payloads in Temporal are encrypted (store/payload_codec.py); the Web UI shows them in clear by posting them from
the browser to the gateway's codec endpoint (gateway/api/codec.py), which answers only a signed-in owner, auditor or
administrator. The UI asks with `fetch` and no "include credentials" (the dev server cannot be told otherwise), and
a UI on another site would not get the SameSite=Lax session cookie anyway. So the UI is served from the gateway's
own origin: the UI server runs with public path /temporal and codec endpoint /codec, the gateway forwards
/temporal/… to it after checking the session and the role, and the UI's codec call is same-origin and carries the
cookie like any page of SatuPintu.

What passes to the UI server, and back:
- only reads: GET and HEAD, and the POST of a workflow query (its handler cannot change the run; the UI asks one for
  the run's metadata, call stack and Queries tab). Terminating, resetting, signalling or starting a run is refused
  here, and the UI is told so (DisableWriteActions in its settings) so it shows no such buttons: a run is changed
  through SatuPintu's own pages and API, which keep the rules and the timeline;
- none of the gateway's cookies or its Authorization header (the UI server would hand a bearer on to Temporal);
- no cookie of the UI server's. Its CSRF check (a cookie and a header that must match) is met by the gateway with a
  fresh pair on each query it forwards: what keeps other sites out is the gateway's own check of a post's Origin
  (SameOrigin, as every form), made first;
- the UI's HTML gets a Content-Security-Policy that runs scripts from this origin plus, by hash, the inline start-up
  script of the UI's own page (the UI server drops its policy under a public path), so nothing written into a page
  runs with the gateway's origin.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Annotated
from urllib.parse import unquote

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response, StreamingResponse

from gateway.api.codec import CODEC_ROLES, installation_level
from gateway.deps import SessionDep, TemporalDep, requires_role
from gateway.errors import ApiError, forbidden
from gateway.pages.framework import SameOrigin
from gateway.security_headers import page_policy
from gateway.services.office_access import require_run_of_office
from store.models import User
from store.settings import TEMPORAL_UI_PATH, Settings

UiRole = Annotated[User, Depends(requires_role(CODEC_ROLES, "Temporal Web UI hanya dapat dibuka oleh pemilik proses, auditor, dan administrator."))]


async def ui_reader(user: UiRole) -> User:
    return installation_level(user)


UiReader = Annotated[User, Depends(ui_reader)]
MSG_READ_ONLY = ("Temporal Web UI di SatuPintu hanya untuk melihat riwayat run. Membatalkan, mengirim sinyal, atau "
                 "memulai ulang run dilakukan dari halaman Proses SatuPintu.")
MSG_UNREACHABLE = "Temporal Web UI belum dapat dihubungi. Silakan coba lagi sebentar lagi."

# What the browser may tell the UI server (caching and content negotiation); everything else stays here.
_REQUEST_HEADERS = ("accept", "accept-encoding", "accept-language", "if-none-match", "if-modified-since", "cache-control")
# What the UI server may tell the browser: not its cookies (its own CSP joins the page policy on its pages, below).
_RESPONSE_HEADERS = ("content-type", "content-encoding", "content-length", "etag", "last-modified", "cache-control", "vary")
_WORKFLOW_QUERY = re.compile(rf"^{TEMPORAL_UI_PATH}/api/v1/namespaces/[^/]+/workflows/[^/]+/query/[^/]+$")
_SETTINGS = f"{TEMPORAL_UI_PATH}/api/v1/settings"
# Whatever the UI reads of one run (its description, history, queries) is under its workflow id.
_ONE_RUN = re.compile(rf"^{TEMPORAL_UI_PATH}/api/v1/namespaces/[^/]+/workflows/([^/?]+)")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)

router = APIRouter(include_in_schema=False)


def _script_hashes(html: bytes) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'" for body in _INLINE_SCRIPT.findall(html)}


def ui_page_policy(html: bytes, shell: bytes) -> str:
    """The CSP of a page of the UI: scripts from this origin and, by hash, those inline scripts of the page that the
    UI's own start-up page (`shell`, the same for every route of the app) carries. Hashing whatever the page holds
    would let a page that reflects its address (the UI server's /render turns ?content= into HTML) run a script
    written into a link."""
    hashes = sorted(_script_hashes(html) & _script_hashes(shell))
    # The UI's own <style> block and style attributes are inline styles; its fonts come as data: URLs.
    return page_policy(script_src=["'self'", *hashes], font_src=("'self'", "data:"))


class TemporalUiUpstream:
    """The HTTP client to the UI server, one per app (opened and closed with the app's lifespan)."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.temporal_ui_server
        # Keeps no cookie: one client serves everyone, and the UI server's cookies are nobody's business here.
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=False,
                                        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))

    async def aclose(self) -> None:
        await self.client.aclose()


def _location(value: str) -> str | None:
    """The UI server redirects within its public path; anything else (an absolute address) is not passed on."""
    return value if value.startswith(TEMPORAL_UI_PATH + "/") or value == TEMPORAL_UI_PATH else None


def _raw_path(request: Request) -> str:
    """The path exactly as the browser sent it (a workflow id may hold escaped characters)."""
    return request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")


@router.api_route(TEMPORAL_UI_PATH, methods=["GET", "HEAD"])
@router.api_route(TEMPORAL_UI_PATH + "/{path:path}", methods=["GET", "HEAD"])
async def read(request: Request, user: UiReader, session: SessionDep, client: TemporalDep) -> Response:
    path = _raw_path(request)
    await _own_office(session, client, user, path)
    return await _forward(request, path)


async def _own_office(session: SessionDep, client: TemporalDep, user: User, path: str) -> None:
    """A run of another office is not there for this person: 404, as on the Proses pages (the list of runs stays the
    installation's; it shows no payload)."""
    one = _ONE_RUN.match(path)
    if one is not None:
        await require_run_of_office(session, client, user=user, workflow_id=unquote(one.group(1)))


@router.post(TEMPORAL_UI_PATH + "/{path:path}")
async def query(request: Request, user: UiReader, session: SessionDep, client: TemporalDep, _: SameOrigin) -> Response:
    path = _raw_path(request)
    if _WORKFLOW_QUERY.match(path) is None or _dot_segments(path, request.url.path):
        raise forbidden(MSG_READ_ONLY)
    await _own_office(session, client, user, path)
    # The UI server's CSRF check wants a cookie and a header that match; the gateway's own check (SameOrigin) is
    # the one that keeps other sites out, so a fresh pair does.
    token = secrets.token_hex(16)
    return await _forward(request, path, body=await request.body(),
                          headers={"content-type": "application/json", "cookie": f"_csrf={token}", "x-csrf-token": token})


async def _forward(request: Request, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
    upstream: TemporalUiUpstream = request.app.state.temporal_ui
    target = upstream.base + path + (f"?{request.url.query}" if request.url.query else "")
    sent = {name: value for name in _REQUEST_HEADERS if (value := request.headers.get(name)) is not None} | (headers or {})
    try:
        answer = await upstream.client.send(upstream.client.build_request(request.method, target, headers=sent, content=body), stream=True)
    except httpx.InvalidURL as exc:
        raise ApiError(404, "Halaman tidak ditemukan.", code="not_found") from exc
    except httpx.HTTPError as exc:
        raise ApiError(503, MSG_UNREACHABLE, code="temporal_ui_unavailable") from exc

    if path == _SETTINGS and answer.status_code == 200:
        return await _read_only_settings(answer)

    out = {name: answer.headers[name] for name in _RESPONSE_HEADERS if name in answer.headers}
    if "location" in answer.headers and (location := _location(answer.headers["location"])):
        out["location"] = location
    if answer.headers.get("content-type", "").startswith("text/html"):
        # The page is small: read whole (decompressed) to hash its inline script.
        try:
            body = await answer.aread()
        except httpx.HTTPError as exc:
            raise ApiError(503, MSG_UNREACHABLE, code="temporal_ui_unavailable") from exc
        finally:
            await answer.aclose()
        for name in ("content-encoding", "content-length"):
            out.pop(name, None)
        out["content-security-policy"] = ui_page_policy(body, await _shell(upstream))
        out["cache-control"] = "no-store"
        page = Response(body, status_code=answer.status_code, headers=out)
        if own := answer.headers.get("content-security-policy"):
            # The UI server's own policy for a page of its making (its /render is sandboxed): enforced as well.
            page.raw_headers.append((b"content-security-policy", own.encode("latin-1")))
        return page
    return StreamingResponse(answer.aiter_raw(), status_code=answer.status_code, headers=out, background=BackgroundTask(answer.aclose))


async def _shell(upstream: TemporalUiUpstream) -> bytes:
    """The UI's start-up page as the UI server gives it for its own root, where nothing of a request is reflected."""
    try:
        shell = await upstream.client.get(upstream.base + TEMPORAL_UI_PATH + "/")
    except httpx.HTTPError:
        return b""
    return shell.content if shell.status_code == 200 else b""


def _dot_segments(*paths: str) -> bool:
    """Whether a path walks up or sideways ("/query/.." would name the run itself, where a POST starts a run)."""
    return any(segment in (".", "..") for path in paths for segment in path.split("/"))


async def _read_only_settings(answer: httpx.Response) -> Response:
    """The UI server's settings as the UI should see them here: without write actions (refused above anyway)."""
    try:
        values = json.loads(await answer.aread())
    except (ValueError, httpx.HTTPError) as exc:
        raise ApiError(503, MSG_UNREACHABLE, code="temporal_ui_unavailable") from exc
    finally:
        await answer.aclose()
    if not isinstance(values, dict):
        raise ApiError(503, MSG_UNREACHABLE, code="temporal_ui_unavailable")
    values["DisableWriteActions"] = True
    return JSONResponse(values, headers={"cache-control": "no-store"})


def add_temporal_ui(app: FastAPI) -> None:
    """Mounts /temporal/ on the app."""
    app.include_router(router)
