"""The gateway's perimeter (issue 14): what a request may carry before any route reads it.

One pure-ASGI middleware in front of every route; it never holds an upload in memory (chunks pass through as
they arrive, counted and looked at on the way):

- Size. A body larger than its route's limit is refused 413: at once when its Content-Length says so (nothing is
  read, so not even a "100 Continue" goes out), or, sent without a length (chunked), as soon as the count passes
  the limit. The limit is `settings.max_body_bytes`, except a multipart/form-data body on an upload route
  (`upload_routes`), which gets the cap that route's own form reader works to: 50 MB per file, and the reader
  reads a too-large upload to its end to answer with the reason (a browser still sending shows a reset
  connection, not an answer, when the server stops reading).
- Type. A POST/PUT/PATCH with a body to the JSON API (/api/, /codec/, /webhooks/) must be JSON (application/json
  or a +json type), or multipart/form-data on an upload route: anything else is 415. A browser sends a
  cross-site request without asking first only as text/plain, a form or multipart (or with no type at all), so a
  page elsewhere cannot post JSON as the signed-in user. The webhooks may leave the type out: they take a raw
  body signed by the sender, and no cookie.
- Shape. A JSON body is looked at before the route parses it: nesting deeper than MAX_JSON_DEPTH (Python's
  json would recurse until it crashes), bytes that are not UTF-8, a lone surrogate escape (no database can
  store it) — 422.
- NUL. No text may carry a NUL character: path, query string, header, JSON string (`\\u0000`), urlencoded form
  field (`%00`), multipart text field (file parts are binary and pass). PostgreSQL refuses NUL in text; a
  request carrying one would otherwise end in a 500 there.

Refusals are the app's own: the middleware hands an ApiError to the app's handler for it (JSON on the API, an
error page on pages) when it refuses before the route runs, and raises it from `receive` when it finds the
problem while a route reads the body, so the route's exception handling answers.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import ApiError, DomainError

# Deeper than any document this system exchanges (a WhatsApp event nests 7 levels), far below json's recursion.
MAX_JSON_DEPTH = 32
JSON_PATHS = ("/api/", "/codec/", "/webhooks/")
WEBHOOK_PATHS = ("/webhooks/",)
BODY_METHODS = {"POST", "PUT", "PATCH"}

NUL_TEXT = "Isian tidak boleh memuat karakter NUL (\\u0000 atau %00). Hapus karakter tersebut lalu kirim ulang."
UNSUPPORTED_JSON = "Jenis isi (Content-Type) tidak didukung: kirim JSON dengan Content-Type: application/json."
UNSUPPORTED_UPLOAD = ("Jenis isi (Content-Type) tidak didukung: kirim JSON (application/json) "
                      "atau formulir unggah (multipart/form-data).")
TOO_DEEP = f"JSON terlalu dalam bersarang: paling banyak {MAX_JSON_DEPTH} tingkat objek atau larik."
UNBALANCED = "Isian tidak valid: body bukan JSON yang valid (kurung buka dan tutup tidak berpasangan)."
NOT_UTF8 = "Isi permintaan bukan teks UTF-8 yang sah."
BAD_SURROGATE = "Isian memuat karakter Unicode yang tidak sah (surrogate \\uD800–\\uDFFF tanpa pasangannya)."


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 1 else f"{max(size // 1024, 1)} KB"


def too_large_text(limit: int) -> str:
    return f"Isi permintaan terlalu besar: paling besar {_megabytes(limit)}. Kirim data yang lebih kecil."


# --- the upload routes ------------------------------------------------------------------------------

# What a multipart form adds around its file (boundaries, part headers, a few small fields).
FORM_ROOM = 64 * 1024


@dataclass(frozen=True)
class UploadRoute:
    """A POST (or PUT) route whose multipart/form-data body may carry files: the whole body's cap, and the refusal its
    own form reader gives past that cap (the same words whichever of the two refuses)."""

    path: re.Pattern[str]
    limit: int
    too_large: str


def upload_routes() -> list[UploadRoute]:
    """Every route that reads uploaded files, with its reader's cap. Imported late: the pages import the app's
    services, which are not all importable while gateway.app itself loads."""
    from gateway.pages import letters as pages_letters  # noqa: PLC0415 - late, see above
    from gateway.pages import permits as pages_permits  # noqa: PLC0415 - late, see above
    from gateway.services import admin, complaints, files, staff_import  # noqa: PLC0415 - late, see above

    photos = complaints.load_complaints().photos
    # complaints.read_form: every photo (and one more part) to twice the per-photo limit.
    complaint_cap = (photos.max_count + 1) * photos.max_mb * 1024 * 1024 * 2
    complaint_text = f"Kiriman terlalu besar: {complaints.photo_rules_text()}."
    wizard_text = ("Berkas yang dikirim sekaligus terlalu besar. Unggah berkas satu per satu dengan tombol Unggah "
                   "di baris persyaratannya.")

    def route(pattern: str, limit: int, text: str) -> UploadRoute:
        return UploadRoute(re.compile(pattern), limit, text)

    return [
        # files.read_upload_form: one file, read to twice the 50 MB limit so the sender gets the reason.
        route(r"/api/v1/files", files.DRAIN_MAX_BYTES, files.TOO_LARGE),
        route(r"/file-saya", files.DRAIN_MAX_BYTES, files.TOO_LARGE),
        route(r"/api/v1/permit-applications/[^/]+/messages", files.DRAIN_MAX_BYTES, files.TOO_LARGE),
        route(r"/permohonan/[^/]+/chat", files.DRAIN_MAX_BYTES, files.TOO_LARGE),
        route(r"/api/v1/letters/[^/]+/files", files.DRAIN_MAX_BYTES, files.TOO_LARGE),
        route(r"/surat/keluar/baru", pages_letters.MAX_FORM_BYTES, files.TOO_LARGE),
        route(r"/surat/[^/]+/langkah", pages_letters.MAX_FORM_BYTES, files.TOO_LARGE),
        route(r"/izin/ajukan", pages_permits.MAX_FORM_BYTES, wizard_text),
        route(r"/permohonan/[^/]+/perbaiki", pages_permits.MAX_FORM_BYTES, wizard_text),
        route(r"/api/v1/complaints", complaint_cap, complaint_text),
        route(r"/pengaduan", complaint_cap, complaint_text),
        # Administration: a staff CSV and an office's logo, each one file with room for the form around it.
        route(r"/api/v1/admin/users/import", staff_import.MAX_BYTES + FORM_ROOM, staff_import.TOO_LARGE),
        route(r"/admin/impor", staff_import.MAX_BYTES + FORM_ROOM, staff_import.TOO_LARGE),
        route(r"/api/v1/admin/office/logo", admin.LOGO_MAX_BYTES + FORM_ROOM, admin.MSG_LOGO_TOO_LARGE),
        route(r"/admin/kantor/logo", admin.LOGO_MAX_BYTES + FORM_ROOM, admin.MSG_LOGO_TOO_LARGE),
    ]


# --- looking at bodies ----------------------------------------------------------------------------------

# Bytes that shape a JSON document's nesting; every other byte is deleted before it is measured.
_STRUCTURE = b'[]{}"'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_SURROGATE_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _nesting(depth: int) -> re.Pattern[bytes]:
    """Balanced brackets no deeper than `depth`, possessive throughout: the engine never backtracks, so matching
    is linear (~30 ms for a megabyte of brackets) whatever the input."""
    pattern = b""
    for _ in range(depth):
        pattern = rb"(?:\[" + pattern + rb"\])*+"
    return re.compile(pattern)


_NESTING = _nesting(MAX_JSON_DEPTH)


def _bracket_problem(unescaped: bytes) -> str | None:
    """TOO_DEEP when objects and arrays nest deeper than MAX_JSON_DEPTH, UNBALANCED when they do not pair up."""
    kept = unescaped.replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    if kept.count(b"[") + kept.count(b"{") <= MAX_JSON_DEPTH:
        return None
    brackets = b"".join(kept.split(b'"')[::2]).translate(_BRACKETS)  # outside strings, as [ and ] only
    if brackets.count(b"[") != brackets.count(b"]"):
        return UNBALANCED
    match = _NESTING.match(brackets)
    if match is None:  # not reached: a starred pattern matches at least the empty prefix
        raise AssertionError("the nesting pattern did not match")
    end = match.end()
    if end == len(brackets):
        return None
    # Where the match stops: an opening bracket one level too deep, or a closing one with nothing open.
    return TOO_DEEP if brackets[end:end + 1] == b"[" else UNBALANCED


def json_problem(body: bytes) -> str | None:
    """Why a JSON body must not reach the parser, or None. Not a validator: whatever else is wrong with it is
    left to the parser, which refuses it readably. In C (bytes methods and regular expressions), so a megabyte
    of brackets or escapes costs milliseconds, not a Python loop per byte."""
    if b"\x00" in body:
        return NUL_TEXT
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    # With the escaped backslashes gone (left to right, as a parser pairs them), every backslash left starts an escape.
    unescaped = body.replace(b"\\\\", b"")
    if b"\\u" in unescaped:
        if b"\\u0000" in unescaped:
            return NUL_TEXT
        if _SURROGATE.search(_SURROGATE_PAIR.sub(b"", unescaped)):
            return BAD_SURROGATE
    return _bracket_problem(unescaped)


class MultipartTextCheck:
    """Follows a multipart body as it streams and notes a NUL in any part that is not a file. A body it cannot
    follow is left to the route's own parser (which refuses it readably)."""

    def __init__(self, boundary: bytes) -> None:
        self.nul = False
        self._field, self._value, self._disposition = bytearray(), bytearray(), b""
        self._text = False
        self._parser: MultipartParser | None = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field, "on_header_value": self._header_value,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_finished, "on_part_data": self._part_data})

    def feed(self, chunk: bytes) -> None:
        if self._parser is None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except Exception:  # noqa: BLE001 - malformed multipart: the route's parser says what is wrong
            self._parser = None

    def _part_begin(self) -> None:
        self._field.clear()
        self._value.clear()
        self._disposition, self._text = b"", False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._field).strip().lower() == b"content-disposition":
            self._disposition = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._text = b"filename" not in options

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._text and data.find(b"\x00", start, end) != -1:
            self.nul = True


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class BodyCheck:
    """The checks of one request body, chunk by chunk. `feed` raises the ApiError that refuses it."""

    def __init__(self, *, limit: int, too_large: str, kind: str, boundary: bytes | None = None) -> None:
        self.limit, self.too_large, self.kind = limit, too_large, kind
        self.received = 0
        self.json = bytearray()
        self.tail = b""
        self.multipart = MultipartTextCheck(boundary) if kind == "multipart" and boundary else None

    def feed(self, chunk: bytes, *, last: bool) -> None:
        self.received += len(chunk)
        if self.received > self.limit:
            raise ApiError(413, self.too_large, code="too_large")
        if self.kind == "json":
            # At most the route's limit (JSON is never an upload): looked at whole once it is all here.
            self.json += chunk
            if last and (problem := json_problem(bytes(self.json))):
                raise ApiError(422, problem, code="invalid", errors=[{"field": "body", "message": problem}])
        elif self.kind == "form":
            window = self.tail + chunk
            if b"\x00" in window or b"%00" in window:
                raise ApiError(422, NUL_TEXT, code="invalid")
            self.tail = window[-2:]
        elif self.multipart is not None:
            self.multipart.feed(chunk)
            if self.multipart.nul:
                raise ApiError(422, NUL_TEXT, code="invalid")


async def json_body(request: Request, *, unreadable: DomainError) -> Any:
    """The JSON body of a route that also takes multipart and so reads its body itself: refused 415 unless it says
    it is JSON (a text/plain body is a cross-site form's), `unreadable` when it does not parse."""
    if not is_json_type(_media_type(request.headers.get("content-type", ""))):
        raise ApiError(415, UNSUPPORTED_UPLOAD, code="unsupported_media_type")
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):
        raise unreadable from None


# --- the middleware ----------------------------------------------------------------------------------


class PerimeterMiddleware:
    """Size, type, shape and NUL checks of every HTTP request (see the module's docstring).

    `max_body_bytes`: the limit of every body but an upload route's multipart one; `uploads`: those routes
    (default `upload_routes()`)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, uploads: list[UploadRoute] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._uploads = uploads

    @property
    def uploads(self) -> list[UploadRoute]:
        if self._uploads is None:
            self._uploads = upload_routes()
        return self._uploads

    def upload_route(self, method: str, path: str) -> UploadRoute | None:
        if method not in ("POST", "PUT"):
            return None
        return next((r for r in self.uploads if r.path.fullmatch(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check = self.inspect(scope)
        except ApiError as error:
            await self.refuse(scope, receive, send, error)
            return
        if check is None:
            await self.app(scope, receive, send)
            return

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                check.feed(message.get("body", b""), last=not message.get("more_body", False))
            return message

        await self.app(scope, checked_receive, send)

    def inspect(self, scope: Scope) -> BodyCheck | None:
        """What is refused from the request line and headers alone (raised), else the checks its body gets."""
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            raise ApiError(422, NUL_TEXT, code="invalid")
        if any(b"\x00" in value for _, value in scope["headers"]):
            raise ApiError(422, NUL_TEXT, code="invalid")
        headers = Headers(scope=scope)
        path, method = scope["path"], scope["method"]
        content_type = headers.get("content-type", "")
        media_type = _media_type(content_type)
        upload = self.upload_route(method, path) if media_type == "multipart/form-data" else None
        limit = upload.limit if upload else self.max_body_bytes
        too_large = upload.too_large if upload else too_large_text(limit)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ApiError(413, too_large, code="too_large")
        has_body = (declared.isdigit() and int(declared) > 0) or "transfer-encoding" in headers
        if not has_body:
            return None
        json_path = path.startswith(JSON_PATHS)
        if json_path and method in BODY_METHODS and not is_json_type(media_type) and upload is None \
                and not (not media_type and path.startswith(WEBHOOK_PATHS)):
            takes_uploads = self.upload_route(method, path) is not None
            raise ApiError(415, UNSUPPORTED_UPLOAD if takes_uploads else UNSUPPORTED_JSON, code="unsupported_media_type")
        if is_json_type(media_type) or (not media_type and json_path):
            kind = "json"
        elif media_type == "application/x-www-form-urlencoded":
            kind = "form"
        elif media_type == "multipart/form-data":
            kind = "multipart"
        else:
            kind = "other"  # not parsed by any route (a page's form reader sees no fields): counted only
        boundary = None
        if kind == "multipart":
            _, options = parse_options_header(content_type)
            boundary = options.get(b"boundary")
        return BodyCheck(limit=limit, too_large=too_large, kind=kind, boundary=boundary)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
        """Answers with the app's own handler for ApiError, so the refusal looks like every other one."""
        app = scope.get("app")
        handler: Callable | None = getattr(app, "exception_handlers", {}).get(ApiError)
        if handler is not None:
            response = await handler(Request(scope, receive), error)
        else:
            response = JSONResponse({"detail": error.detail, "code": error.code, "errors": error.errors}, status_code=error.status_code)
        await response(scope, receive, send)
