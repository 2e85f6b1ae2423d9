"""Sessions: argon2 password hashes, session expiry, CSRF refusal of cross-site forms, security headers,
login throttling (issue 7, "Bad input and access")."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import delete, select, update

from gateway.app import create_app
from gateway.security import ALGORITHM, create_access_token, hash_password, verify_password
from gateway.security_headers import content_security_policy
from store.models import Throttle, User
from tests.factories import login

JSON_AND_PAGES = ["/api/v1/catalog", "/api/v1/auth/me", "/api/v1/tidak-ada", "/masuk", "/halaman-tidak-ada", "/static/js/satupintu.js", "/healthz"]


@pytest.fixture
def app_client(db):
    def make(**overrides):
        return create_app(db.settings.model_copy(update=overrides))

    return make


async def _client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# --- security headers ------------------------------------------------------------------------


async def test_every_response_carries_the_security_headers(client) -> None:
    for path in JSON_AND_PAGES:
        response = await client.get(path)
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, path
        if headers["content-type"].startswith("text/html"):
            assert csp == content_security_policy() and "object-src 'none'" in csp and "base-uri 'self'" in csp, path
        else:
            assert csp.startswith("default-src 'none'"), path
        assert "strict-transport-security" not in headers, f"{path}: HSTS on a plain-http deployment"
    assert "text/html" in (await client.get("/masuk")).headers["content-type"]
    # Scripts: this origin and the templates' own inline scripts by hash, never any inline script.
    script_src = next(d for d in content_security_policy().split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src and "*" not in script_src


async def test_a_file_keeps_its_own_policy_and_a_pdf_opens(client) -> None:
    """An uploaded image keeps the files route's sandbox policy; a PDF gets none (a PDF viewer would be blocked)."""
    from tests.unit.test_files import image_bytes, pdf_bytes

    headers = await login(client, "3374010101900001")
    for name, content, media_type, expected in (("ktp.png", image_bytes("PNG"), "image/png", "sandbox"), ("surat.pdf", pdf_bytes(), "application/pdf", None)):
        uploaded = await client.post("/api/v1/files", headers=headers, data={"name": name.split(".")[0]}, files={"file": (name, content, media_type)})
        assert uploaded.status_code == 201, uploaded.text
        opened = await client.get(f"/api/v1/files/{uploaded.json()['id']}/content", headers=headers)
        assert opened.status_code == 200 and opened.headers["x-content-type-options"] == "nosniff"
        if expected:
            assert expected in opened.headers["content-security-policy"]
        else:
            assert "content-security-policy" not in opened.headers


async def test_hsts_only_when_the_public_address_is_https(app_client) -> None:
    app = app_client(public_base_url="https://ptsp.example.go.id")
    async with app.router.lifespan_context(app), await _client(app) as c:
        response = await c.get("/api/v1/catalog")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


# --- passwords and tokens ----------------------------------------------------------------------


async def test_passwords_are_stored_as_argon2id_and_weak_hashes_are_upgraded(db) -> None:
    async with db.sessionmaker() as session:
        hashes = (await session.scalars(select(User.password_hash))).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert "Demo12345" not in "".join(hashes)
    # An old hash with weaker parameters is re-hashed on a successful check.
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192),)).hash("Rahasia123!")
    valid, new_hash = verify_password("Rahasia123!", weak)
    assert valid and new_hash and new_hash.startswith("$argon2id$") and new_hash != weak
    assert verify_password("salah", hash_password("Rahasia123!")) == (False, None)


async def test_an_expired_forged_or_revoked_token_is_refused(client, db) -> None:
    async with db.sessionmaker() as session:
        pegawai = await session.scalar(select(User).where(User.username == "pegawai1"))
    secret = db.settings.secret_key

    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    assert (await client.get("/api/v1/auth/me", headers=bearer(create_access_token(user_id=pegawai.id, secret=secret, minutes=5)))).status_code == 200
    expired = create_access_token(user_id=pegawai.id, secret=secret, minutes=-1)
    refused = await client.get("/api/v1/auth/me", headers=bearer(expired))
    assert refused.status_code == 401 and "berakhir" in refused.json()["detail"]
    # The same token as the pages' session cookie.
    client.cookies.set("satupintu_session", expired)
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    client.cookies.clear()
    forged = create_access_token(user_id=pegawai.id, secret="kunci-lain-" + uuid.uuid4().hex, minutes=5)
    assert (await client.get("/api/v1/auth/me", headers=bearer(forged))).status_code == 401
    unsigned = jwt.encode({"sub": str(pegawai.id), "exp": datetime.now(UTC) + timedelta(minutes=5)}, key=None, algorithm="none")
    assert (await client.get("/api/v1/auth/me", headers=bearer(unsigned))).status_code == 401
    assert ALGORITHM == "HS256"
    # A deactivated account's still-valid token no longer works.
    token = create_access_token(user_id=pegawai.id, secret=secret, minutes=5)
    async with db.sessionmaker() as session:
        await session.execute(update(User).where(User.id == pegawai.id).values(is_active=False))
        await session.commit()
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


async def test_tokens_expire_after_the_configured_time(client, db) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "pegawai1", "password": "Demo12345"})
    claims = jwt.decode(response.json()["access_token"], db.settings.secret_key, algorithms=[ALGORITHM])
    assert claims["exp"] - claims["iat"] == db.settings.access_token_minutes * 60
    page = await client.post("/masuk", data={"username": "pegawai1", "password": "Demo12345", "next": "/"})
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and f"max-age={db.settings.access_token_minutes * 60}" in cookie


# --- throttling --------------------------------------------------------------------------------


async def test_repeated_wrong_passwords_slow_the_account_down(client) -> None:
    for _ in range(5):
        wrong = await client.post("/api/v1/auth/login", json={"username": "pegawai2", "password": "salah-sekali"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "Nama pengguna atau kata sandi salah."
    blocked = await client.post("/api/v1/auth/login", json={"username": "pegawai2", "password": "Demo12345"})
    assert blocked.status_code == 429 and blocked.json()["detail"]
    # Another account from the same address is not locked out by them (the address limit is higher).
    assert (await login(client, "pegawai1"))["Authorization"].startswith("Bearer ")
    # The sign-in page says so too.
    page = await client.post("/masuk", data={"username": "pegawai2", "password": "Demo12345", "next": "/"})
    assert page.status_code == 429 and "satupintu_session" not in page.headers.get("set-cookie", "")


# --- CSRF --------------------------------------------------------------------------------------


def _page_routes(app) -> list[APIRoute]:
    routes = [x for r in app.routes for x in getattr(getattr(r, "original_router", None), "routes", [r])]
    return [r for r in routes if isinstance(r, APIRoute) and not r.path.startswith(("/api/", "/webhooks/", "/codec/"))]


def _depends_on(dependant, name: str) -> bool:
    return any(getattr(d.call, "__name__", "") == name or _depends_on(d, name) for d in dependant.dependencies)


async def test_every_state_changing_form_checks_its_origin(client) -> None:
    app = client._transport.app
    unguarded = [f"{sorted(r.methods)} {r.path}" for r in _page_routes(app)
                 if r.methods & {"POST", "PUT", "PATCH", "DELETE"} and not _depends_on(r.dependant, "same_origin")]
    assert not unguarded, "forms without the CSRF origin check:\n" + "\n".join(unguarded)


async def test_a_cross_site_form_is_refused(client) -> None:
    evil = {"Origin": "https://penipu.example"}
    refused = await client.post("/masuk", data={"username": "pegawai1", "password": "Demo12345", "next": "/"}, headers=evil)
    assert refused.status_code == 403 and "situs lain" in refused.text
    assert "satupintu_session" not in refused.headers.get("set-cookie", "")
    # Signed in, a cross-site sign-out (or any form) is refused too; the same origin is accepted.
    headers = await login(client, "pegawai1")
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("satupintu_session", token)
    assert (await client.post("/keluar", headers=evil)).status_code == 403
    assert (await client.post("/keluar", headers={"Origin": "http://test"})).status_code == 303


# --- the pages still work under the policy (browser) -------------------------------------------

RECORD_VIOLATIONS = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));"""


@pytest.mark.browser
async def test_pages_run_their_scripts_under_the_policy(live_stack) -> None:
    """Nothing on these pages is blocked by the CSP, and the inline handler allowed by hash still runs."""
    from pathlib import Path

    from playwright.async_api import async_playwright, expect

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS, DESKTOP, sign_in

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=DESKTOP, base_url=live_stack.base_url)
            await context.add_init_script(RECORD_VIOLATIONS)
            page = await context.new_page()
            await page.goto("/daftar")
            password = page.locator("input[data-password]").first
            await expect(password).to_have_attribute("type", "password")
            await page.get_by_label("Tampilkan sandi").check()
            await expect(password).to_have_attribute("type", "text")
            assert await page.evaluate("window.__csp") == []
            await context.close()

            context, page = await sign_in(browser, live_stack.base_url, "3374010101900001")
            await context.add_init_script(RECORD_VIOLATIONS)
            for path in ("/file-saya", "/", "/permohonan", "/izin/ajukan"):
                await page.goto(path)
                await page.wait_for_load_state("networkidle")
                assert await page.evaluate("window.__csp") == [], path
            # The recorder does see a violation: an injected inline script is blocked.
            await page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s); }""")
            await page.wait_for_function("window.__csp.length > 0")
            assert await page.evaluate("window.__ran") is None
            assert any("script-src" in v for v in await page.evaluate("window.__csp"))
            await context.close()
        finally:
            await browser.close()


# --- Secure cookies and HSTS behind a TLS-terminating proxy ------------------------------------


def _cookie(response: httpx.Response, name: str = "satupintu_session") -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    return cookie.lower()


async def _sign_in(c: httpx.AsyncClient, **headers: str) -> httpx.Response:
    response = await c.post("/masuk", data={"username": "pegawai1", "password": "Demo12345", "next": "/"}, headers=headers)
    assert response.status_code == 303, response.text[:300]
    return response


async def test_in_production_the_session_cookie_is_secure_even_over_the_proxys_plain_http(app_client) -> None:
    """A proxy that sends no X-Forwarded-Proto still gets a Secure cookie and HSTS in production mode."""
    app = app_client(dev_mode=False)
    async with app.router.lifespan_context(app), await _client(app) as c:
        signed_in = await _sign_in(c)
    cookie = _cookie(signed_in)
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert signed_in.headers["strict-transport-security"].startswith("max-age=31536000")
    # An installation served over plain http on purpose says so; development is plain http by default.
    for overrides in ({"dev_mode": False, "cookie_secure": False}, {}):
        app = app_client(**overrides)
        async with app.router.lifespan_context(app), await _client(app) as c:
            signed_in = await _sign_in(c)
        assert "secure" not in _cookie(signed_in).split("; ")
        assert "strict-transport-security" not in signed_in.headers


@pytest.fixture
def served(db):
    """The gateway as `satupintu gateway` serves it (uvicorn, the same options), on 127.0.0.1."""
    import asyncio
    import contextlib

    import uvicorn

    from cli.main import gateway_server_options
    from tests.conftest import free_port

    @contextlib.asynccontextmanager
    async def serve(**overrides):
        settings = db.settings.model_copy(update=overrides)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on",
                                               **{**gateway_server_options(settings), "log_level": "warning"}))
        task = asyncio.get_running_loop().create_task(server.serve())
        try:
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
                yield c
        finally:
            server.should_exit = True
            await task

    return serve


async def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(served) -> None:
    """Production settings that rely on the proxy's header (cookie_secure off): the proxy at 127.0.0.1 says https, so
    the cookie is Secure (HttpOnly, SameSite=Lax) and HSTS is sent; the same header from an address not in
    forwarded_allow_ips is ignored."""
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    async with served(dev_mode=False, cookie_secure=False, forwarded_allow_ips="127.0.0.1") as c:
        trusted = await _sign_in(c, **proxy)
        plain = await _sign_in(c)
    cookie = _cookie(trusted)
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert trusted.headers["strict-transport-security"].startswith("max-age=31536000")
    assert trusted.headers["location"] == "/"
    # The same proxy without the header: this request was plain http.
    assert "secure" not in _cookie(plain).split("; ") and "strict-transport-security" not in plain.headers

    async with served(dev_mode=False, cookie_secure=False, forwarded_allow_ips="10.20.30.40") as c:
        untrusted = await _sign_in(c, **proxy)
    assert "secure" not in _cookie(untrusted).split("; ")
    assert "httponly" in _cookie(untrusted) and "strict-transport-security" not in untrusted.headers

    # With the production default the cookie is Secure whoever sends what.
    async with served(dev_mode=False, forwarded_allow_ips="10.20.30.40") as c:
        assert "; secure" in _cookie(await _sign_in(c, **proxy))


async def _login_ip_keys(db) -> set[str]:
    """The client addresses sign-in failures were counted against (and a clean slate for the next step)."""
    async with db.sessionmaker() as session:
        keys = set(await session.scalars(select(Throttle.key).where(Throttle.key.startswith("login:ip:"))))
        await session.execute(delete(Throttle))
        await session.commit()
    return keys


async def test_a_spoofed_x_forwarded_for_does_not_move_the_per_address_count(served, db) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.7"}
    wrong = {"username": "pegawai1", "password": "Salah12345"}
    # By default nobody's forwarded headers are trusted: the failure counts against the address the connection comes from.
    async with served() as c:
        assert (await c.post("/api/v1/auth/login", json=wrong, headers=spoofed)).status_code == 401
    assert await _login_ip_keys(db) == {"login:ip:127.0.0.1"}
    # A proxy configured at another address: the same.
    async with served(forwarded_allow_ips="10.20.30.40") as c:
        assert (await c.post("/api/v1/auth/login", json=wrong, headers=spoofed)).status_code == 401
    assert await _login_ip_keys(db) == {"login:ip:127.0.0.1"}
    # From the configured proxy, the citizen's address is the one counted.
    async with served(forwarded_allow_ips="127.0.0.1") as c:
        assert (await c.post("/api/v1/auth/login", json=wrong, headers=spoofed)).status_code == 401
    assert await _login_ip_keys(db) == {"login:ip:203.0.113.7"}
