"""The gateway's perimeter (issue 14, gateway/limits.py): body size, content type, JSON shape, NUL characters,
framework errors in Bahasa, and what production publishes (API docs, metrics) — as a client or an attacker sees
them: the status, the readable refusal, what was stored, whether the server waited for a body."""

import asyncio
import json
import secrets
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from cli.seed import seed_demo
from gateway.app import create_app
from gateway.deps import SESSION_COOKIE
from gateway.limits import MAX_JSON_DEPTH
from gateway.services import files as file_service
from gateway.services.whatsapp import sign
from office.registry_protocol import SIGNATURE_HEADER, registry_signature
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import ChatMessage, Complaint, LeaveRequest, PermitApplication, StoredFile, User
from store.settings import Settings
from tests.conftest import _DEMO_HASH, TEST_PAYLOAD_KEY, free_port
from tests.factories import PERMIT_OFFICE, applicant_user, login, office_ids
from tests.pgserver import ThrowawayPostgres, postgres_available

MB = 1024 * 1024
APPLICANT = "3374010101900001"
COMPLAINT = {"category": "layanan", "title": "Antrean loket terlalu lama", "content": "Saya menunggu lebih dari tiga jam di loket tanpa kejelasan.",
             "nik": "3374010101900055", "phone": "081234567890", "incident_date": "2026-01-05", "office": "dpmptsp"}
ENGLISH = ("There was an error parsing the body", "Not Found", "Method Not Allowed", "Not authenticated", "Field required")


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def assert_refusal(response: httpx.Response, status: int, *words: str) -> dict:
    """The usual JSON error shape, in Bahasa (no framework English)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and isinstance(body["errors"], list)
    assert not any(english in body["detail"] for english in ENGLISH), body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def new_application(sessionmaker, applicant: User) -> str:
    """A case row as the permit workflow leaves it (the chat does not touch the workflow)."""
    resi = secrets.token_hex(3).upper()
    permit_office = (await office_ids(sessionmaker))[PERMIT_OFFICE]
    async with sessionmaker() as session:
        session.add(PermitApplication(
            office_id=permit_office, resi=resi, applicant_id=applicant.id, agency_code="dpmptsp", permit_type="izin_reklame", request_kind="baru",
            status="in_process",
            stage="verification", workflow_id=f"permit-{resi}", applicant_data={"full_name": applicant.full_name, "nik": applicant.username},
            location={"street": "Jl. Pemuda 1", "latitude": -6.98, "longitude": 110.41}))
        await session.commit()
    return resi


def pdf_of(size: int) -> bytes:
    """A well-formed one-page PDF of about `size` bytes (its page's content stream padded with spaces)."""
    content = b"BT /F1 12 Tf 72 720 Td (Gambar situasi) Tj ET" + b" " * max(size - 600, 0)
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
               b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@asynccontextmanager
async def served(app):
    """The app behind a real uvicorn on 127.0.0.1 (the raw-socket tests need real HTTP framing)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def answer_to_headers(port: int, head: bytes, first_bytes: bytes) -> bytes:
    """Sends a request's head and the first bytes of its body, never the rest, and returns what the server
    answers. A server that waits for the whole body answers nothing: the wait is cut after 20 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + first_bytes)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), timeout=20)
    except TimeoutError:
        return b""
    finally:
        writer.close()


# --- body size ----------------------------------------------------------------------------------------


async def test_a_declared_150_mb_body_is_refused_before_it_is_read(db):
    app = create_app(db.settings)
    async with served(app) as port:
        for path in ("/api/v1/auth/login", "/webhooks/civil-registry"):
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {150 * MB}\r\n\r\n").encode()
            answer = await answer_to_headers(port, head, b'{"username": "')
            status_line, _, rest = answer.partition(b"\r\n")
            assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]
            detail = json.loads(rest.split(b"\r\n\r\n", 1)[1])["detail"]
            assert detail.startswith("Isi permintaan terlalu besar: paling besar 1 MB")


async def test_a_2_mb_json_body_is_refused(client):
    body = json.dumps({"username": "x" * (2 * MB), "password": "Demo12345"})
    assert_refusal(await client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}), 413, "terlalu besar")


async def test_a_chunked_body_is_cut_off_once_over_the_limit(client):
    sent = 0

    async def endless_json():
        nonlocal sent
        yield b'{"username": "'
        for _ in range(128):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)
        yield b'", "password": "Demo12345"}'

    response = await client.post("/api/v1/auth/login", content=endless_json(), headers={"Content-Type": "application/json"})
    assert_refusal(response, 413, "terlalu besar")
    # The server stopped reading right after the limit: 1 MB and one chunk, not the 8 MB sent.
    assert sent <= MB + 64 * 1024


async def test_uploads_keep_their_own_50_mb_limit(client, db):
    me = await login(client, APPLICANT)
    five_mb = pdf_of(5 * MB)
    stored = await client.post("/api/v1/files", headers=me, data={"name": "Gambar situasi"},
                               files={"file": ("situasi.pdf", five_mb, "application/pdf")})
    assert stored.status_code == 201, stored.text
    assert stored.json()["size"] == len(five_mb) > 5 * MB - 1024
    # The same 5 MB as JSON is no upload: refused by the JSON limit.
    as_json = await client.post("/api/v1/permit-applications/ABC123/messages", headers=me, json={"body": "x" * (5 * MB)})
    assert_refusal(as_json, 413, "terlalu besar")
    # An upload over its route's cap is refused by its Content-Length, with the upload's own words.
    too_big = await client.post("/api/v1/files", headers={**me, "Content-Type": "multipart/form-data; boundary=x",
                                                          "Content-Length": str(file_service.DRAIN_MAX_BYTES + 1)}, content=b"--x--")
    assert_refusal(too_big, 413, "Ukuran berkas melebihi 50 MB")
    assert await count(db.sessionmaker, StoredFile) == 1


# --- content type ----------------------------------------------------------------------------------------


async def test_a_text_plain_chat_message_is_refused(client, db):
    """A page elsewhere can post text/plain (no CORS preflight) with the signed-in applicant's cookie."""
    applicant = await applicant_user(db.sessionmaker, "3374010101900077")
    resi = await new_application(db.sessionmaker, applicant)
    token = (await login(client, applicant.username))["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        refused = await client.post(f"/api/v1/permit-applications/{resi}/messages", content=b'{"body": "Pesan dari halaman lain"}',
                                    headers=headers)
        body = assert_refusal(refused, 415, "Content-Type")
        assert body["code"] == "unsupported_media_type"
    assert await count(db.sessionmaker, ChatMessage) == 0


async def test_json_routes_accept_json_only(client):
    login_as_text = await client.post("/api/v1/auth/login", content=json.dumps({"username": "pegawai1", "password": "Demo12345"}),
                                      headers={"Content-Type": "text/plain"})
    assert_refusal(login_as_text, 415, "application/json")
    as_form = await client.post("/api/v1/auth/login", data={"username": "pegawai1", "password": "Demo12345"})
    assert_refusal(as_form, 415, "application/json")
    # The +json types are JSON; a body-less POST needs no type.
    ok = await client.post("/api/v1/auth/login", content=json.dumps({"username": "pegawai1", "password": "Demo12345"}),
                           headers={"Content-Type": "application/vnd.satupintu+json; charset=utf-8"})
    assert ok.status_code == 200, ok.text
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert (await client.post("/api/v1/notifications/read-all", headers=headers)).status_code == 200


# --- JSON shape ----------------------------------------------------------------------------------------


async def test_deeply_nested_json_is_refused_before_it_is_parsed(client, db):
    deep = nested(5000)
    json_type = {"Content-Type": "application/json"}
    assert_refusal(await client.post("/api/v1/complaints", content=deep, headers=json_type), 422, "terlalu dalam bersarang")
    assert_refusal(await client.post("/api/v1/auth/login", content=b"[" * 100_000 + b"]" * 100_000, headers=json_type), 422,
                   "terlalu dalam bersarang")

    applicant = await applicant_user(db.sessionmaker, "3374010101900078")
    resi = await new_application(db.sessionmaker, applicant)
    me = await login(client, applicant.username)
    assert_refusal(await client.post(f"/api/v1/permit-applications/{resi}/messages", content=deep, headers={**me, **json_type}), 422,
                   "terlalu dalam bersarang")

    # Signed as the registry and Meta sign them: refused all the same, before their parsers recurse.
    settings = db.settings
    assert_refusal(await client.post("/webhooks/civil-registry", content=deep, headers={
        **json_type, SIGNATURE_HEADER: registry_signature(settings.civil_registry_secret, deep)}), 422, "terlalu dalam bersarang")
    assert_refusal(await client.post("/webhooks/whatsapp", content=deep, headers={
        **json_type, "X-Hub-Signature-256": sign(settings.whatsapp_app_secret, deep)}), 422, "terlalu dalam bersarang")

    # A document as deep as the bound, and brackets inside strings, are fine.
    at_the_bound = json.dumps({"username": "pegawai1", "password": "Demo12345",
                               "extra": json.loads(nested(MAX_JSON_DEPTH - 1)), "note": "[[[[" * 50})
    assert (await client.post("/api/v1/auth/login", content=at_the_bound, headers=json_type)).status_code == 200
    assert await count(db.sessionmaker, Complaint) == 0 and await count(db.sessionmaker, ChatMessage) == 0


async def test_parse_errors_are_answered_in_bahasa(client):
    json_type = {"Content-Type": "application/json"}
    for route in ("/api/v1/auth/login", "/api/v1/complaints"):  # typed by FastAPI, and read by the route itself
        malformed = assert_refusal(await client.post(route, content=b'{"username": ', headers=json_type), 422)
        assert malformed["code"] == "invalid" and all(e["field"] in ("body", None) for e in malformed["errors"])
        assert_refusal(await client.post(route, content=b"", headers=json_type), 422)
        assert_refusal(await client.post(route, content=b'{"username": "\xff\xfe"}', headers=json_type), 422, "UTF-8")
        assert_refusal(await client.post(route, content=b'{"username": "\\ud800"}', headers=json_type), 422, "Unicode")
    wrong_type = assert_refusal(await client.post("/api/v1/auth/login", json={"username": ["pegawai1"], "password": 5}), 422)
    assert {e["field"] for e in wrong_type["errors"]} == {"username", "password"}
    assert_refusal(await client.get("/api/v1/tidak-ada"), 404, "tidak ditemukan")
    not_allowed = await client.delete("/api/v1/auth/login")
    assert_refusal(not_allowed, 405, "Metode tidak diizinkan")
    assert "POST" in not_allowed.headers["allow"]


# --- NUL ---------------------------------------------------------------------------------------------


async def test_nul_characters_never_reach_the_database(client, db):
    json_type = {"Content-Type": "application/json"}
    complaint = json.dumps({**COMPLAINT, "title": "Antrean\u0000 loket"})
    assert "\\u0000" in complaint
    assert_refusal(await client.post("/api/v1/complaints", content=complaint, headers=json_type), 422, "NUL")
    # A backslash before "u0000" is text, not a NUL: it passes the perimeter (and is refused later, for its category).
    text = await client.post("/api/v1/complaints", json={**COMPLAINT, "category": "?", "title": "C:\\u0000"})
    assert text.status_code == 422 and "NUL" not in text.json()["detail"] and "kategori" in text.json()["detail"].lower()

    employee = await login(client, "pegawai1")
    leave = await client.post("/api/v1/leave-requests", headers=employee, json={
        "leave_type": "tahunan", "start_date": "2027-02-01", "end_date": "2027-02-02", "reason": "Keperluan\x00 keluarga"})
    assert_refusal(leave, 422, "NUL")

    me = await login(client, APPLICANT)
    named = await client.post("/api/v1/files", headers=me, data={"name": "KTP\x00 Direktur"},
                              files={"file": ("ktp.pdf", pdf_of(4096), "application/pdf")})
    assert_refusal(named, 422, "NUL")
    assert_refusal(await client.get("/api/v1/complaints/track/ADU%00X"), 422, "NUL")
    assert_refusal(await client.get("/api/v1/complaint-categories", params={"q": "a\x00"}), 422, "NUL")

    page = await client.post("/masuk", data={"username": "pegawai1\x00", "password": "Demo12345"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "NUL" in page.text

    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Complaint)) == 0
        assert await session.scalar(select(func.count()).select_from(LeaveRequest)) == 0
        assert await session.scalar(select(func.count()).select_from(StoredFile)) == 0


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_nul_characters_are_refused_not_crashed_on_postgresql(tmp_path):
    """PostgreSQL refuses NUL in text: without the perimeter each of these ends in a 500."""
    with ThrowawayPostgres() as pg:
        settings = Settings(var_dir=tmp_path, database_url=pg.url, dev_mode=True, payload_key=TEST_PAYLOAD_KEY)
        engine = make_engine(pg.url)
        await create_schema(engine)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await seed_demo(session, _DEMO_HASH)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                complaint = await http.post("/api/v1/complaints", json={**COMPLAINT, "title": "Antrean\x00 loket"})
                assert_refusal(complaint, 422, "NUL")
                assert_refusal(await http.post("/api/v1/auth/login", json={"username": "pegawai1\x00", "password": "x"}), 422, "NUL")
                assert_refusal(await http.get("/api/v1/complaints/track/ADU%00X"), 422, "NUL")
                page = await http.post("/masuk", data={"username": "pegawai1\x00", "password": "Demo12345"})
                assert page.status_code == 422
                # The same requests without the NUL are served as usual on PostgreSQL.
                assert (await http.post("/api/v1/auth/login", json={"username": "pegawai1", "password": "Demo12345"})).status_code == 200
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Complaint)) == 0
        await engine.dispose()


# --- exposure in production --------------------------------------------------------------------------------


@asynccontextmanager
async def app_client(settings: Settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http


async def test_docs_and_metrics_are_not_published_in_production(db):
    production = db.settings.model_copy(update={"dev_mode": False})
    async with app_client(production) as http:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert (await http.get(path)).status_code == 404, path
    async with app_client(production.model_copy(update={"api_docs": True, "metrics_token": "rahasia-metrik"})) as http:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get("/metrics")).status_code == 401
        scraped = await http.get("/metrics", headers={"Authorization": "Bearer rahasia-metrik"})
        assert scraped.status_code == 200 and "satupintu_runs_started" in scraped.text
    async with app_client(db.settings) as http:  # dev mode: all there, as `make run` shows them
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert (await http.get(path)).status_code == 200, path
    async with app_client(db.settings.model_copy(update={"api_docs": False})) as http:
        assert (await http.get("/openapi.json")).status_code == 404


async def test_refusals_carry_the_security_headers(client):
    refused = await client.post("/api/v1/auth/login", content=b"x", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415
    assert refused.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in refused.headers
