"""The thin gateway: authenticates people, checks what they may see, and forwards decisions to the
workflows. It never changes process state itself."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client

from gateway import metrics
from gateway.api.codec import add_codec
from gateway.api.router import api_router
from gateway.errors import ApiError, DomainError, Unavailable, as_api_error
from gateway.limits import UNSUPPORTED_JSON, PerimeterMiddleware, too_large_text
from gateway.security import served_over_https
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.services.offices import OfficeDirectory
from store.db import make_engine, make_sessionmaker
from store.observability import TracingMiddleware
from store.settings import PROJECT_ROOT, Settings, get_settings
from store.temporal import connect

STATIC_DIR = PROJECT_ROOT / "static"
# Paths whose errors are answered as JSON; every other path is a page and gets an HTML error page.
JSON_PREFIXES = ("/api/", "/dev/outbox", "/healthz", "/livez", "/webhooks/", "/codec/")

_FIELD_MESSAGES = {
    "missing": "wajib diisi",
    "date_from_datetime_parsing": "harus tanggal dengan format YYYY-MM-DD",
    "date_parsing": "harus tanggal dengan format YYYY-MM-DD",
    "date_from_datetime_inexact": "harus tanggal dengan format YYYY-MM-DD",
    "string_too_short": "tidak boleh kosong",
    "string_too_long": "terlalu panjang",
    "json_invalid": "bukan JSON yang valid",
    "int_parsing": "harus bilangan bulat",
    "greater_than_equal": "terlalu kecil",
    "less_than_equal": "terlalu besar",
    "dict_type": "harus objek JSON",
    "model_attributes_type": "harus objek JSON",
}


def _readable(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for e in errors:
        # A body that is not JSON is located at ("body", <character offset>): the field is the body.
        loc = [] if e.get("type") == "json_invalid" else [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        out.append({"field": field, "message": f"{field} {_FIELD_MESSAGES.get(e.get('type', ''), 'tidak valid')}"})
    return out


# What Starlette and FastAPI say themselves (in English: "Not Found", "There was an error parsing the body", …),
# said in Bahasa Indonesia, by status.
_FRAMEWORK_ERRORS = {
    400: ("Isi permintaan tidak dapat dibaca. Periksa formatnya (JSON atau formulir) lalu kirim ulang.", "invalid"),
    401: ("Silakan masuk terlebih dahulu.", "unauthorized"),
    403: ("Anda tidak berwenang melakukan tindakan ini.", "forbidden"),
    404: ("Alamat tidak ditemukan.", "not_found"),
    405: ("Metode tidak diizinkan.", "method_not_allowed"),
    415: (UNSUPPORTED_JSON, "unsupported_media_type"),
    422: ("Isian tidak valid.", "invalid"),
    429: ("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.", "too_many_requests"),
    503: ("Layanan sedang tidak tersedia. Silakan coba lagi.", "unavailable"),
}


def framework_error(exc: StarletteHTTPException, *, page: bool, max_body_bytes: int) -> ApiError:
    """A Starlette/FastAPI HTTP error as the gateway's own refusal."""
    code: str | None
    if exc.status_code == 413:
        detail, code = too_large_text(max_body_bytes), "too_large"
    elif exc.status_code == 404 and page:
        detail, code = "Halaman tidak ditemukan.", "not_found"
    else:
        detail, code = _FRAMEWORK_ERRORS.get(exc.status_code, ("Permintaan tidak dapat diproses.", None))
    return ApiError(exc.status_code, detail, code=code)


class TemporalConnection:
    """Connects on first use, so the gateway starts (and reports health) even before Temporal is up."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self.settings = settings
        self.client = client
        self._lock = asyncio.Lock()

    async def __call__(self) -> Client:
        if self.client is None:
            async with self._lock:
                if self.client is None:
                    try:
                        self.client = await connect(self.settings)
                    except Exception as exc:
                        raise Unavailable("Layanan proses (Temporal) belum dapat dihubungi. Silakan coba lagi.", code="temporal_unavailable") from exc
        return self.client


def create_app(settings: Settings | None = None, *, temporal_client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Outside dev mode a missing, published or short secret key stops here (store.settings.InsecureSecretKey).
    settings.require_safe_secret_key()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        app.state.settings = settings
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.offices = OfficeDirectory()
        app.state.temporal = TemporalConnection(settings, temporal_client)
        app.state.temporal_ui = TemporalUiUpstream(settings)
        yield
        await app.state.temporal_ui.aclose()
        await engine.dispose()

    # /docs, /redoc and /openapi.json: unset, in dev mode only (production publishes no map of its API).
    docs = settings.dev_mode if settings.api_docs is None else settings.api_docs
    app = FastAPI(title="SatuPintu", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None, openapi_url="/openapi.json" if docs else None,
                  description="Sistem proses bisnis PTSP: setiap layanan berjalan sebagai workflow Temporal yang tahan gangguan.")
    # Body size, content type, JSON depth and NUL checks before any route reads a request (gateway/limits.py);
    # innermost, so its refusals get the tracing and security headers of every other answer.
    app.add_middleware(PerimeterMiddleware, max_body_bytes=settings.max_body_bytes)
    # FastAPI opens each request's span on the process's tracer provider (set up by `satupintu gateway`; none
    # set up, no spans); the middleware puts its trace id on the response and scopes the request's log context.
    app.add_middleware(TracingMiddleware)
    # Security headers (nosniff, no framing, CSP; HSTS and Secure cookies on https) on every response, error pages included.
    app.add_middleware(SecurityHeadersMiddleware, https=served_over_https(settings))

    # Pages import the API services, so they are imported once the app exists.
    from gateway.pages import framework as pages  # noqa: PLC0415 - once the app exists, see above
    from gateway.pages import page_routers  # noqa: PLC0415 - once the app exists, see above

    # Every refusal, the services' and the HTTP layer's, is answered here: its status from the one table in gateway/errors.py.
    async def api_error(request: Request, exc: Exception) -> Response:
        exc = as_api_error(cast(DomainError, exc))  # registered for DomainError (and ApiError) only
        if not request.url.path.startswith(JSON_PREFIXES):
            return await pages.render_error(request, exc)
        return JSONResponse({"detail": exc.detail, "code": exc.code, "errors": exc.errors}, status_code=exc.status_code,
                            headers={**(exc.headers or {}), **({"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {})} or None)

    # ApiError by name too: the perimeter middleware looks its handler up by that class (gateway/limits.py refuse).
    app.add_exception_handler(DomainError, api_error)
    app.add_exception_handler(ApiError, api_error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown paths, wrong methods, unreadable bodies: pages get a page, the API gets JSON, both in Bahasa.
        page = not request.url.path.startswith(JSON_PREFIXES)
        response = await api_error(request, framework_error(exc, page=page, max_body_bytes=settings.max_body_bytes))
        response.headers.update(getattr(exc, "headers", None) or {})  # Allow of a 405
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _readable(exc.errors())
        return JSONResponse({"detail": "Isian tidak valid: " + "; ".join(e["message"] for e in errors), "code": "invalid", "errors": errors},
                            status_code=422)

    @app.exception_handler(OverflowError)
    async def overflow_error(request: Request, exc: OverflowError) -> Response:
        # A number too large for the database (an id or page offset of 30 digits): a bad request, not a crash.
        error = ApiError(422, "Isian tidak valid: angka terlalu besar.", code="invalid")
        return await api_error(request, error)

    # The JSON API first, then the pages: no page path is also an API path, so the order between them is free.
    app.include_router(api_router)
    for router in page_routers():
        app.include_router(router)
    # The Temporal Web UI's codec server (decrypts history payloads for authorised staff).
    # The UI's proxy uses the page framework (sign-in, same-origin checks), so it is imported once the app exists, as the pages are.
    from gateway.temporal_ui import TemporalUiUpstream, add_temporal_ui  # noqa: PLC0415 - uses the pages, see above

    add_codec(app, settings)
    # The Temporal Web UI under /temporal/, for the same people, so that its codec calls are same-origin.
    add_temporal_ui(app)
    # Latency histogram and /metrics, with this app's own registry.
    metrics.install(app)
    if Path(STATIC_DIR).exists():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
