"""Security headers on every response (issue 7, sessions).

The Content-Security-Policy allows scripts from this origin only, plus — by their SHA-256 hash — the few
inline scripts and inline event handlers the page templates contain (computed from templates/ at start-up,
so an edited script is allowed as soon as the gateway restarts, and an injected one never is). Styles
allow 'unsafe-inline': the templates use style attributes (bar widths of charts) and htmx adds its
indicator style; a style cannot run code. No page may be framed (clickjacking), nothing is sniffed.

HSTS and the Secure attribute of every cookie follow one notion of "this response goes out over https": the
installation is always served over https (gateway/security.py served_over_https: production mode, an https
public address, or SATUPINTU_COOKIE_SECURE), or this request arrived over https — directly, or per the
X-Forwarded-Proto of a proxy uvicorn trusts (forwarded_allow_ips). A plain-http development stack gets neither,
so it stays reachable and its sign-in works.

The page policy goes on HTML documents. A PDF gets no CSP (browsers' PDF viewers are plugins that an
object-src 'none' or a sandbox would block); any other response (JSON, files, assets) gets
"default-src 'none'", so a response opened on its own can load and run nothing.
A response that already sets one of these headers (a file preview's stricter sandbox CSP) keeps its own.
"""

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_EVENT_HANDLER = re.compile(r"""\son[a-z]+=(?:"([^"]*)"|'([^']*)')""", re.I)

HSTS = "max-age=31536000; includeSubDomains"
NOT_A_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline_hashes(templates_dir: Path = TEMPLATES_DIR) -> tuple[list[str], list[str]]:
    """(hashes of inline <script> bodies, hashes of inline on…= handlers) found in the templates.
    Only static ones can match: a script holding a Jinja expression renders differently and stays blocked."""
    scripts: set[str] = set()
    handlers: set[str] = set()
    for path in sorted(templates_dir.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        scripts.update(_sha256(body) for body in _INLINE_SCRIPT.findall(text) if "{{" not in body and "{%" not in body)
        for double, single in _EVENT_HANDLER.findall(text):
            handler = double or single
            if "{{" not in handler and "{%" not in handler:
                handlers.add(_sha256(handler))
    return sorted(scripts), sorted(handlers)


def content_security_policy(templates_dir: Path = TEMPLATES_DIR) -> str:
    scripts, handlers = inline_hashes(templates_dir)
    script_src = ["'self'", *scripts]
    if handlers:
        script_src += ["'unsafe-hashes'", *handlers]
    return page_policy(script_src=script_src)


def page_policy(*, script_src: list[str], font_src: tuple[str, ...] = ("'self'",)) -> str:
    """A page's Content-Security-Policy: everything from this origin only, scripts as `script_src` allows, no
    plugins, no framing; styles may be inline (a style cannot run code)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": list(font_src),
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(*, https: bool, templates_dir: Path = TEMPLATES_DIR) -> list[tuple[bytes, bytes]]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def with_secure(set_cookie: bytes) -> bytes:
    """A Set-Cookie value with the Secure attribute (unchanged when it has it)."""
    if any(attribute.strip().lower() == b"secure" for attribute in set_cookie.split(b";")[1:]):
        return set_cookie
    return set_cookie + b"; Secure"


class SecurityHeadersMiddleware:
    """Pure ASGI (no body buffering): adds the headers at http.response.start unless the response set them.

    `https`: the installation is always served over https (HSTS and Secure cookies on every response); otherwise
    only on a request whose scheme is https."""

    def __init__(self, app: ASGIApp, *, https: bool, headers: Iterable[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.always_https = https
        self.headers = list(headers) if headers is not None else security_headers(https=False)
        self.hsts = (b"strict-transport-security", HSTS.encode("latin-1"))
        self.page_csp = content_security_policy().encode("latin-1")

    def _csp(self, content_type: bytes) -> bytes | None:
        if content_type.startswith(b"text/html"):
            return self.page_csp
        if content_type.startswith(b"application/pdf"):
            return None
        return NOT_A_PAGE_CSP.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        https = self.always_https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if https:
                    headers = [(name, with_secure(bytes(value)) if bytes(name).lower() == b"set-cookie" else value) for name, value in headers]
                present = {bytes(name).lower() for name, _ in headers}
                extra = [(name, value) for name, value in self.headers if name not in present]
                if https and self.hsts[0] not in present:
                    extra.append(self.hsts)
                if b"content-security-policy" not in present:
                    content_type = next((bytes(v).lower() for n, v in headers if bytes(n).lower() == b"content-type"), b"")
                    csp = self._csp(content_type)
                    if csp is not None:
                        extra.append((b"content-security-policy", csp))
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
