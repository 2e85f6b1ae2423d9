"""Sign-in hardening (issue 14, items 2, 3, 6, 7 and 8): production refuses a known or weak secret key, tokens must
have the shape this installation issues, sessions end on sign-out and new passwords, password hashing cannot stall
the gateway or hold the database, the throttle counts an applicant once under any name, a solved challenge is
spent, and the API refuses cookie-signed calls from other sites."""

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from cli.seed import DEMO_APPLICANT, DEMO_PASSWORD
from gateway.app import create_app
from store.models import Task, User
from store.settings import DEV_SECRET_KEY, PROJECT_ROOT
from tests.conftest import TEST_PAYLOAD_KEY, free_port
from tests.factories import login, user

HINT = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
STRONG_KEY = "k" * 20 + uuid.uuid4().hex  # 52 characters


async def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def user_id(db, username: str) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(User.id).where(User.username == username))


# --- item 2: the secret key in production ------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", DEV_SECRET_KEY, "pendek-sekali-0123456789"])
def test_production_refuses_a_missing_published_or_short_secret_key(db, key) -> None:
    settings = db.settings.model_copy(update={"dev_mode": False, "secret_key": key})
    with pytest.raises(RuntimeError) as refused:
        create_app(settings)
    message = str(refused.value)
    assert "SATUPINTU_SECRET_KEY" in message and HINT in message
    # Development keeps the published key; a long random key starts in production.
    create_app(db.settings.model_copy(update={"dev_mode": True, "secret_key": DEV_SECRET_KEY}))
    create_app(db.settings.model_copy(update={"dev_mode": False, "secret_key": STRONG_KEY}))


@pytest.mark.parametrize(("command", "key"), [("gateway", None), ("worker", DEV_SECRET_KEY)])
def test_the_gateway_and_worker_do_not_start_with_an_unsafe_secret_key(tmp_path, command, key) -> None:
    """`satupintu gateway` (no key set) and `satupintu worker` (the published key) stop at once with the message."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    env.update({"PYTHONPATH": str(PROJECT_ROOT), "SATUPINTU_DEV_MODE": "false", "SATUPINTU_VAR_DIR": str(tmp_path),
                "SATUPINTU_PAYLOAD_KEY": TEST_PAYLOAD_KEY, "SATUPINTU_TRACES_EXPORTER": "",
                "SATUPINTU_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"})
    if key is not None:
        env["SATUPINTU_SECRET_KEY"] = key
    args = [sys.executable, "-m", "cli.main", command] + (["--port", str(free_port())] if command == "gateway" else [])
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"satupintu {command} started with an unsafe secret key")
    assert proc.returncode != 0
    assert "SATUPINTU_SECRET_KEY" in stderr and HINT in stderr, stderr[-2000:]


# --- item 2: tokens of another shape -----------------------------------------------------------


async def test_a_token_without_expiry_or_of_another_shape_is_refused(client, db) -> None:
    uid = await user_id(db, "admin")
    secret = db.settings.secret_key
    now = datetime.now(UTC)
    good = {"sub": str(uid), "ver": 0, "iat": now, "exp": now + timedelta(minutes=5)}
    assert (await client.get("/api/v1/auth/me", headers=bearer(jwt.encode(good, secret, algorithm="HS256")))).status_code == 200
    shapes = {
        "only a subject": {"sub": str(uid)},
        "no expiry": {k: v for k, v in good.items() if k != "exp"},
        "no issue time": {k: v for k, v in good.items() if k != "iat"},
        "a numeric subject": {**good, "sub": uid},
        "a subject that is not a whole number": {**good, "sub": f"{uid}.0"},
        "a subject with spaces": {**good, "sub": f" {uid}"},
    }
    for name, claims in shapes.items():
        refused = await client.get("/api/v1/auth/me", headers=bearer(jwt.encode(claims, secret, algorithm="HS256")))
        assert refused.status_code == 401, name
        assert refused.json()["code"] == "unauthenticated"


# --- item 6: sessions end ----------------------------------------------------------------------


async def _page_session(client: httpx.AsyncClient, username: str) -> httpx.AsyncClient:
    """A browser-like client of the same gateway, signed in through the sign-in page (its own cookie jar)."""
    c = await _client(client._transport.app)
    signed_in = await c.post("/masuk", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
    assert signed_in.status_code == 303 and "satupintu_session" in c.cookies
    return c


async def test_signing_out_ends_every_session_and_token_of_the_account(client, db) -> None:
    phone, laptop = await login(client, "pegawai1"), await login(client, "pegawai1")
    browser = await _page_session(client, "pegawai1")
    try:
        assert (await browser.get("/api/v1/auth/me")).status_code == 200
        signed_out = await browser.post("/keluar", headers={"Origin": "http://test"})
        assert signed_out.status_code == 303
        stale_cookie = signed_out.request.headers["cookie"].split("=", 1)[1]
    finally:
        await browser.aclose()
    for headers in (phone, laptop, bearer(stale_cookie)):
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    client.cookies.set("satupintu_session", stale_cookie)
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/inbox")).status_code == 303  # back to the sign-in page
    client.cookies.clear()
    # Signing in again works; another account was not touched.
    assert (await client.get("/api/v1/auth/me", headers=await login(client, "pegawai1"))).status_code == 200


async def test_the_api_signs_out_everywhere(client, db) -> None:
    other = await login(client, "pegawai2")
    first, second = await login(client, "pegawai1"), await login(client, "pegawai1")
    signed_out = await client.post("/api/v1/auth/logout", headers=first)
    assert signed_out.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=first)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=second)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=first)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=other)).status_code == 200


async def test_revoke_sessions_ends_cookies_and_bearer_tokens_at_once(client, db) -> None:
    """The one function that deactivation and role changes call (issue 17's admin pages): its effect, both ways in."""
    from gateway.services.sessions import revoke_sessions

    headers = await login(client, "verifikator1")
    browser = await _page_session(client, "verifikator1")
    try:
        assert (await browser.get("/api/v1/auth/me")).status_code == 200
        async with db.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.username == "verifikator1"))
            before = user.token_version
            await revoke_sessions(session, user)
            await session.commit()
            assert user.token_version == before + 1
        assert (await browser.get("/api/v1/auth/me")).status_code == 401
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    finally:
        await browser.aclose()
    assert (await client.get("/api/v1/auth/me", headers=await login(client, "verifikator1"))).status_code == 200


# --- item 3: password hashing off the event loop, bounded ---------------------------------------


async def test_sign_ins_beyond_the_queue_are_told_busy_at_once_and_hold_no_connection(db, monkeypatch) -> None:
    """One hashing thread and one place in the queue: while the hasher is held, a third sign-in is answered 503 at
    once (not 500, not a database timeout), and the two admitted ones hold no database connection while they wait."""
    import gateway.security as security

    entered, release = threading.Event(), threading.Event()
    real = security.password_hash

    class HeldHasher:
        def verify_and_update(self, password, hashed):
            entered.set()
            release.wait(10)  # bounded, so that code hashing on the event loop cannot hang the test
            return real.verify_and_update(password, hashed)

        def hash(self, password):
            return real.hash(password)

    monkeypatch.setattr(security, "password_hash", HeldHasher())
    settings = db.settings.model_copy(update={"login_concurrency": 1, "login_queue": 1})
    app = create_app(settings)
    async with app.router.lifespan_context(app), await _client(app) as c:
        pool = app.state.sessionmaker.kw["bind"].sync_engine.pool

        async def wrong(name: str) -> httpx.Response:
            return await c.post("/api/v1/auth/login", json={"username": name, "password": "Salah12345"})

        first = asyncio.create_task(wrong("orang-pertama"))
        second = asyncio.create_task(wrong("orang-kedua"))
        gate = security.password_gate(settings)
        submitted_before = gate.submitted
        # Both admitted and both handed to the hasher (one hashing, one waiting for the thread): from here on neither
        # may hold a connection.
        for _ in range(500):
            if entered.is_set() and gate.admitted == 2 and gate.submitted - submitted_before == 2:
                break
            await asyncio.sleep(0.02)
        assert entered.is_set() and gate.admitted == 2 and gate.submitted - submitted_before == 2
        assert pool.checkedout() == 0, "a sign-in holds a database connection while it waits for the hasher"

        busy = await wrong("orang-ketiga")
        assert busy.status_code == 503 and busy.json()["code"] == "busy"
        assert "coba lagi" in busy.json()["detail"].lower() and int(busy.headers["retry-after"]) > 0
        page = await c.post("/masuk", data={"username": "orang-keempat", "password": "Salah12345", "next": "/"})
        assert page.status_code == 503 and "coba lagi" in page.text.lower() and "satupintu_session" not in page.headers.get("set-cookie", "")

        release.set()
        assert [(await first).status_code, (await second).status_code] == [401, 401]
        assert security.password_gate(settings).admitted == 0
        assert (await c.post("/api/v1/auth/login", json={"username": "pegawai1", "password": DEMO_PASSWORD})).status_code == 200

        # The throttle comes before the hasher: a blocked account costs no hashing.
        for _ in range(5):
            assert (await wrong("pegawai2")).status_code == 401
        entered.clear()
        assert (await wrong("pegawai2")).status_code == 429
        assert not entered.is_set()


# --- item 7: forwarded headers and per-account counts ------------------------------------------


async def test_wrong_passwords_by_nik_and_by_email_count_against_one_account(client) -> None:
    nik, email = DEMO_APPLICANT["nik"], DEMO_APPLICANT["email"]
    for name in (nik, email.upper(), nik, f" {email} ", nik):
        wrong = await client.post("/api/v1/auth/login", json={"username": name, "password": "Salah12345"})
        assert wrong.status_code == 401
    for name in (nik, email):
        blocked = await client.post("/api/v1/auth/login", json={"username": name, "password": DEMO_PASSWORD})
        assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.json()["detail"]
    # Unknown names are counted by the name as typed, in any case or spacing.
    for name in ("hantu@contoh.id", " HANTU@contoh.id", "Hantu@Contoh.id ", "hantu@contoh.id", "HANTU@CONTOH.ID"):
        assert (await client.post("/api/v1/auth/login", json={"username": name, "password": "Salah12345"})).status_code == 401
    assert (await client.post("/api/v1/auth/login", json={"username": "hantu@contoh.id", "password": "x"})).status_code == 429


async def test_a_solved_challenge_is_spent(client) -> None:
    from tests.e2e.test_applicants import solve

    async def solved() -> dict:
        c = (await client.get("/api/v1/auth/challenge")).json()
        return {"challenge_token": c["challenge_token"], "challenge_answer": solve(c["question"])}

    challenge = await solved()
    forgot = {"nik": "3374010101909999", "phone": "081234567001", "email": "siapa@contoh.id", **challenge}
    assert (await client.post("/api/v1/auth/forgot-password", json=forgot)).status_code == 202
    replayed = await client.post("/api/v1/auth/forgot-password", json=forgot)
    assert replayed.status_code == 422
    [error] = replayed.json()["errors"]
    assert error["field"] == "challenge_answer" and "sudah pernah dipakai" in error["message"]
    # A new question lets the next request through.
    assert (await client.post("/api/v1/auth/forgot-password", json={**forgot, **await solved()})).status_code == 202
    # The email code: one code per solved question.
    challenge = await solved()
    assert (await client.post("/api/v1/auth/email-code", json={"email": "baru1@contoh.id", **challenge})).status_code == 202
    again = await client.post("/api/v1/auth/email-code", json={"email": "baru2@contoh.id", **challenge})
    assert again.status_code == 422 and "sudah pernah dipakai" in again.json()["errors"][0]["message"]


# --- item 8: cookie-signed API calls from another site -------------------------------------------


async def test_cookie_signed_api_calls_from_another_site_are_refused(client, db) -> None:
    task_id = f"leave-origin-{uuid.uuid4().hex[:8]}.penomoran"
    numbering_officer = await user(db.sessionmaker, "penomoran1")
    async with db.sessionmaker() as session:
        session.add(Task(id=task_id, office_id=numbering_officer.office_id, workflow_id=task_id.split(".")[0], process="leave", subject_id="origin",
                         title="Beri nomor surat cuti",
                         summary={}, role="penomoran", status="open", outcomes=[], form={}, created_at=datetime.now(UTC)))
        await session.commit()
    token = (await login(client, "penomoran1"))["Authorization"].removeprefix("Bearer ")
    client.cookies.set("satupintu_session", token)
    claim, unclaim, read_all = f"/api/v1/tasks/{task_id}/claim", f"/api/v1/tasks/{task_id}/unclaim", "/api/v1/notifications/read-all"
    for cross_site in ({"Origin": "http://evil.example"}, {"Origin": "http://test:8001"}, {"Origin": "null"},
                       {"Referer": "http://evil.example/halaman"}, {}):
        for path in (claim, unclaim, read_all):
            refused = await client.post(path, headers=cross_site)
            assert refused.status_code == 403, (path, cross_site, refused.text)
            assert refused.json()["code"] == "bad_origin" and "situs lain" in refused.json()["detail"]
    async with db.sessionmaker() as session:
        assert (await session.get(Task, task_id)).claimed_by_id is None
    # From this site's own pages the same calls work; reading (GET) needs no origin.
    same_site = {"Origin": "http://test"}
    assert (await client.post(claim, headers=same_site)).json()["claimed_by"] is not None
    assert (await client.post(unclaim, headers={"Referer": "http://test/inbox"})).status_code == 200
    assert (await client.post(read_all, headers=same_site)).status_code == 200
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    # A bearer token is never sent by a browser on another site's behalf: no origin asked.
    client.cookies.clear()
    assert (await client.post(read_all, headers={**bearer(token), "Origin": "http://evil.example"})).status_code == 200
