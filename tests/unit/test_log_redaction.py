"""Issue 14, items 1 and 12: what the logs and traces never carry — no frame's local variables, no configured secret
or password (whatever key, message or exception holds it), no phone or NIK number in clear — and no line longer than
LINE_LIMIT, however large the error.

The gateway runs as production runs it: its own process, uvicorn serving `create_app(settings)` with the CLI's
server options, logging and tracing set up by `setup_logging` / `setup_tracing` into var/log. The test then reads every
file written there, and what the process printed."""

import base64
import io
import json
import logging
import os
import secrets
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from store.observability import LINE_LIMIT, REDACTED, reset_logging, setup_logging, setup_tracing, traces_file
from tests.conftest import free_port

PASSWORD = "Sandi-Bocor-Uji-7391!"
PHONES = ("6281234567890", "+62 812-3456-7890", "081234567890")
NIK = "3374010101900001"
# What may stay of them: the first four and the last three digits.
MASKED = ("6281******890", "+6281******890", "0812*****890", "3374*********001")


def secret_settings(settings):
    """The test's settings with every secret set to a value of its own (none of them a published default)."""
    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    return settings.model_copy(update={
        "secret_key": "kunci-sesi-" + secrets.token_urlsafe(32), "payload_key": key(), "payload_old_keys": f"{key()},{key()}",
        "whatsapp_access_token": "EAAG" + secrets.token_urlsafe(24), "whatsapp_app_secret": "app-" + secrets.token_hex(16),
        "whatsapp_verify_token": "verify-" + secrets.token_hex(12), "civil_registry_secret": "dukcapil-" + secrets.token_hex(16),
        "smtp_password": "smtp-" + secrets.token_urlsafe(16), "metrics_token": "metrik-" + secrets.token_hex(16),
        "log_format": "json", "traces_exporter": "console"})


def configured_secrets(settings) -> list[str]:
    return [settings.secret_key, settings.payload_key, *settings.payload_old_keys.split(","), settings.whatsapp_access_token,
            settings.whatsapp_app_secret, settings.whatsapp_verify_token, settings.civil_registry_secret, settings.smtp_password,
            settings.metrics_token]


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def assert_nothing_leaks(name: str, text: str, settings) -> None:
    for secret in configured_secrets(settings):
        assert secret not in text, f"a configured secret is in {name}"
    assert PASSWORD not in text and "Demo12345" not in text, f"a password is in {name}"
    for number in (*PHONES, NIK, "812-3456-7890", "81234567890"):
        assert number not in text, f"{number} in clear in {name}"


# The gateway of production (cli.main's `gateway` command), with one route of the test's own that fails the way an
# unhandled error does: its frames hold the settings, a request body with a password, a token.
GATEWAY = textwrap.dedent("""
    import logging, sys
    import uvicorn
    from fastapi import Request
    from opentelemetry import trace
    from cli.main import gateway_server_options
    from gateway.app import create_app
    from store.observability import setup_logging, setup_tracing, shutdown_tracing
    from store.settings import Settings

    settings = Settings.model_validate_json(open(sys.argv[2]).read())
    setup_logging(settings, "gateway", log_file=settings.var_dir / "log" / "gateway.jsonl")
    setup_tracing(settings, "gateway")
    app = create_app(settings)

    @app.post("/api/v1/uji/galat")
    async def fail(request: Request) -> dict:
        body = await request.json()
        password = body["password"]
        settings = request.app.state.settings
        token = settings.whatsapp_access_token
        logging.getLogger("satupintu.uji").warning("pesan WhatsApp dari %s, %s, %s untuk NIK %s", *body["phones"], body["nik"])
        trace.get_current_span().set_attribute("whatsapp.from", body["phones"][0])
        try:
            raise RuntimeError(f"Cloud API menolak {token} untuk {body['phones'][1]} (NIK {body['nik']}, password={password!r})")
        except RuntimeError as error:
            # As Temporal's interceptor records a failed activity on its span.
            trace.get_current_span().record_exception(error)
            raise

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), **gateway_server_options(settings))
    shutdown_tracing()
""")


@pytest.fixture
def gateway_process(db):
    settings = secret_settings(db.settings)
    port = free_port()
    settings_file = settings.var_dir / "gateway-settings.json"
    settings_file.write_text(settings.model_dump_json())
    proc = subprocess.Popen([sys.executable, "-c", GATEWAY, str(port), str(settings_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2])
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base_url + "/healthz", timeout=2)
            break
        except httpx.TransportError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode(errors="replace") if proc.poll() is not None else "no start"
            time.sleep(0.2)
    try:
        yield settings, base_url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def test_an_unhandled_error_writes_no_secret_password_phone_or_locals(gateway_process):
    settings, base_url, proc = gateway_process
    with httpx.Client(base_url=base_url, timeout=30) as http:
        # Logins with a password (bodies the old log printed among a frame's locals).
        for username, password in (("pegawai1", PASSWORD), ("pegawai1", PASSWORD), ("tidak-ada", PASSWORD), ("pegawai1", "Demo12345")):
            assert http.post("/api/v1/auth/login", json={"username": username, "password": password}).status_code in (200, 401, 429)
        # The reported case: a deeply nested body to a public form (a 500 then; refused now). Whatever it answers,
        # its log lines are checked below with the rest.
        nested = "[" * 5000 + "]" * 5000
        http.post("/api/v1/complaints", content=f'{{"name": "x", "phone": "{PHONES[0]}", "description": {nested}}}',
                  headers={"Content-Type": "application/json"})
        failed = http.post("/api/v1/uji/galat", json={"password": PASSWORD, "phones": list(PHONES), "nik": NIK})
        assert failed.status_code == 500
    # The spans are exported in batches every second: wait for the failed request's before stopping the gateway.
    log_dir = settings.var_dir / "log"
    deadline = time.monotonic() + 30
    while '"POST /api/v1/uji/galat"' not in (traces_file(settings, "gateway").read_text() if traces_file(settings, "gateway").exists() else ""):
        assert time.monotonic() < deadline, "the failed request's span was never exported"
        time.sleep(0.2)
    proc.terminate()
    printed = proc.communicate(timeout=30)[0].decode(errors="replace")

    files = {path.name: path.read_text(encoding="utf-8") for path in sorted(log_dir.iterdir()) if path.is_file()}
    assert {"gateway.jsonl", "traces-gateway.jsonl"} <= set(files)
    for name, text in {**files, "the process's stderr": printed}.items():
        assert_nothing_leaks(name, text, settings)
        for line in text.splitlines():
            assert len(line) <= LINE_LIMIT, f"a line of {len(line)} characters in {name}"
    log = [json.loads(line) for line in files["gateway.jsonl"].splitlines()]
    spans = [json.loads(line) for line in files["traces-gateway.jsonl"].splitlines()]
    for line in (*log, *spans):
        assert "locals" not in keys_of(line)

    # The error is still logged usefully: what was raised, with the message redacted and masked, and where.
    (error,) = [line for line in log if line["logger"] == "uvicorn.error" and "/api/v1/uji/galat" not in line["message"]
                and any(s["exc_type"] == "RuntimeError" for s in line.get("exception", ()))]
    raised = next(s for s in error["exception"] if s["exc_type"] == "RuntimeError")
    assert raised["exc_value"] == f"Cloud API menolak {REDACTED} untuk +6281******890 (NIK 3374*********001, password={REDACTED})"
    assert "fail" in [frame["name"] for frame in raised["frames"]] and all(set(frame) == {"filename", "lineno", "name"} for frame in raised["frames"])
    (warning,) = [line for line in log if line["logger"] == "satupintu.uji"]
    assert warning["message"] == "pesan WhatsApp dari 6281******890, +6281******890, 0812*****890 untuk NIK 3374*********001"

    # The route's span: the number masked in its attribute, the exception event redacted and masked too.
    (server,) = [s for s in spans if s["name"] == "POST /api/v1/uji/galat"]
    (span,) = [s for s in spans if "whatsapp.from" in s["attributes"]]
    assert span["context"]["trace_id"] == server["context"]["trace_id"] and span["attributes"]["whatsapp.from"] == "6281******890"
    (event,) = [e for e in span["events"] if e["name"] == "exception"]
    assert "+6281******890" in event["attributes"]["exception.message"] and REDACTED in event["attributes"]["exception.message"]
    assert "RuntimeError" in event["attributes"]["exception.stacktrace"]


def test_a_password_link_opened_leaves_its_secret_in_no_log_or_trace(gateway_process):
    """A staff password link (issue 17) is a secret until it is spent: opening it and sending the form write the
    access line and the request's span, and neither keeps it (it travels as ?token=, never as a path segment)."""
    settings, base_url, proc = gateway_process
    secret = "Zq8uJ2kPq4rT7vWx1yA3bC5dE6fG9hK0mN2pS4uV6w"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.get("/atur-sandi", params={"token": f"7.{secret}"}).status_code == 410
    traces = traces_file(settings, "gateway")
    deadline = time.monotonic() + 30
    while '"GET /atur-sandi"' not in (traces.read_text() if traces.exists() else ""):
        assert time.monotonic() < deadline, "the request's span was never exported"
        time.sleep(0.2)
    proc.terminate()
    printed = proc.communicate(timeout=30)[0].decode(errors="replace")
    log_dir = settings.var_dir / "log"
    files = {path.name: path.read_text(encoding="utf-8") for path in sorted(log_dir.iterdir()) if path.is_file()}
    assert "/atur-sandi?token=" in files["gateway.jsonl"]  # the line is there, with the secret replaced
    for name, text in {**files, "the process's stderr": printed}.items():
        assert secret not in text, f"the link's secret is in {name}"


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    yield stream
    reset_logging()


def test_a_400_kb_value_and_a_deep_error_give_bounded_lines(db, log_stream):
    settings = secret_settings(db.settings)
    setup_logging(settings, "test", stream=log_stream)
    token = settings.whatsapp_access_token
    huge = ("abcdefgh" * 50_000)[:399_990] + token  # the secret at the very end, past every cut
    logger = logging.getLogger("satupintu.test")

    def recurse(depth: int, settings, payload: str) -> None:
        if depth:
            recurse(depth - 1, settings, payload)
        raise ValueError(f"nilai tidak valid: {payload}")

    logger.info("unggahan diterima", extra={"body": huge, "items": [huge] * 50, "nested": {"a": {"b": {"c": [huge]}}}})
    try:
        recurse(200, settings, huge)
    except ValueError:
        logger.exception("gagal memproses %s", huge)
    try:
        raise RuntimeError(f"kunci sesi {settings.secret_key} dan payload {settings.payload_key}")
    except RuntimeError:
        logger.exception("konfigurasi ditolak", extra={"config": settings.model_dump(), "innocent": settings.civil_registry_secret,
                                                      "wa_id": 6281234567890, "auth": "Authorization: Bearer " + token,
                                                      "jwt_in_text": "cookie? eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"})
    raw = log_stream.getvalue()
    lines = raw.splitlines()
    assert len(lines) == 3
    assert all(len(line) <= LINE_LIMIT for line in lines), [len(line) for line in lines]
    assert_nothing_leaks("the log", raw, settings)
    assert "eyJzdWIiOiI0MiJ9" not in raw
    body, deep, config = (json.loads(line) for line in lines)
    # Cut with a visible marker, the start kept.
    assert body["body"].startswith("abcdefgh") and "dipotong" in body["body"]
    assert deep["message"].startswith("gagal memproses abcdefgh") and "locals" not in keys_of(deep)
    assert deep["exception"][0]["exc_type"] == "ValueError"
    assert config["innocent"] == REDACTED and config["wa_id"] == "6281******890" and config["auth"] == f"Authorization: Bearer {REDACTED}"
    assert config["jwt_in_text"] == f"cookie? {REDACTED}"
    assert config["exception"][0]["exc_value"] == f"kunci sesi {REDACTED} dan payload {REDACTED}"


def test_console_lines_carry_no_secret_or_locals(db, log_stream):
    settings = secret_settings(db.settings).model_copy(update={"log_format": "console"})
    setup_logging(settings, "test", stream=log_stream)

    def fail(settings, password: str) -> None:
        raise RuntimeError(f"ditolak dengan {settings.whatsapp_app_secret} dari 0812-3456-7890")

    try:
        fail(settings, PASSWORD)
    except RuntimeError:
        logging.getLogger("satupintu.test").exception("gagal", extra={"body": {"password": PASSWORD}, "nik": NIK})
    text = log_stream.getvalue()
    assert_nothing_leaks("the console", text, settings)
    assert "RuntimeError: ditolak dengan [disamarkan] dari 0812*****890" in text and ", in fail" in text
    assert "3374*********001" in text


def record_a_span(settings, provider: TracerProvider) -> None:
    """A worker's span as Temporal's interceptor makes it: the workflow id, an event, a failed activity's exception."""
    tracer = trace.get_tracer("t", tracer_provider=provider)
    with tracer.start_as_current_span(f"RunWorkflow:WhatsApp wa-{PHONES[0]}") as span:
        span.set_attribute("temporalWorkflowID", f"wa-{PHONES[0]}")
        span.set_attribute("http.request.header.authorization", "Bearer " + settings.whatsapp_access_token)
        span.set_attribute("body", "x" * 400_000 + settings.metrics_token)
        span.set_attribute("numbers", (6281234567890, 42))
        span.add_event("pesan", {"text": f"NIK {NIK}, token={settings.whatsapp_verify_token}"})
        try:
            raise RuntimeError(f"{settings.civil_registry_secret} " + "y" * 400_000)
        except RuntimeError as error:
            span.record_exception(error)
    provider.force_flush()
    provider.shutdown()


def test_spans_written_to_the_traces_file_are_redacted_masked_and_bounded(db):
    settings = secret_settings(db.settings)
    provider = TracerProvider()
    setup_tracing(settings, "worker", provider=provider)
    record_a_span(settings, provider)
    text = traces_file(settings, "worker").read_text()
    assert_nothing_leaks("the traces", text, settings)
    (line,) = text.splitlines()
    assert len(line) <= LINE_LIMIT
    exported = json.loads(line)
    assert exported["name"] == "RunWorkflow:WhatsApp wa-6281******890"
    assert exported["attributes"]["temporalWorkflowID"] == "wa-6281******890"
    assert exported["attributes"]["numbers"] == ["6281******890", "42"]
    assert exported["events"][0]["attributes"]["text"] == f"NIK 3374*********001, token={REDACTED}"
    assert exported["events"][1]["attributes"]["exception.type"] == "RuntimeError"


def test_spans_sent_over_otlp_are_redacted_masked_and_bounded(db):
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received: list[bytes] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()
            self.wfile.write(b"")

        def log_message(self, *_: object) -> None:
            pass

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        settings = secret_settings(db.settings).model_copy(update={
            "traces_exporter": "otlp", "otel_endpoint": f"http://127.0.0.1:{collector.server_address[1]}"})
        provider = TracerProvider()
        setup_tracing(settings, "worker", provider=provider)
        record_a_span(settings, provider)
    finally:
        collector.shutdown()
    assert len(received) == 1 and len(received[0]) <= LINE_LIMIT
    (span,) = MessageToDict(ExportTraceServiceRequest.FromString(received[0]))["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert_nothing_leaks("what OTLP received", json.dumps(span), settings)
    attributes = {a["key"]: a["value"] for a in span["attributes"]}
    assert span["name"] == "RunWorkflow:WhatsApp wa-6281******890" and attributes["temporalWorkflowID"] == {"stringValue": "wa-6281******890"}


UNCAUGHT = textwrap.dedent("""
    import sys, threading
    from store.observability import setup_logging
    from store.settings import Settings

    settings = Settings.model_validate_json(open(sys.argv[1]).read())
    setup_logging(settings, "worker", log_file=settings.var_dir / "log" / "worker.jsonl")

    def deliver(number: str) -> None:
        raise ConnectionError(f"WhatsApp {number} ditolak, token {settings.whatsapp_access_token}")

    thread = threading.Thread(target=deliver, args=("081234567890",))
    thread.start()
    thread.join()
    deliver("+62 812-3456-7890")
""")


def test_an_uncaught_exception_is_a_redacted_log_line(db):
    settings = secret_settings(db.settings)
    settings_file = settings.var_dir / "worker-settings.json"
    settings_file.write_text(settings.model_dump_json())
    done = subprocess.run([sys.executable, "-c", UNCAUGHT, str(settings_file)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 1
    written = (settings.var_dir / "log" / "worker.jsonl").read_text()
    for name, text in (("stderr", done.stderr), ("stdout", done.stdout), ("worker.jsonl", written)):
        assert_nothing_leaks(name, text, settings)
    thread_line, main_line = (json.loads(line) for line in written.splitlines())
    assert thread_line["level"] == main_line["level"] == "critical"
    assert main_line["exception"][0]["exc_value"] == f"WhatsApp +6281******890 ditolak, token {REDACTED}"
    assert thread_line["exception"][0]["exc_value"] == f"WhatsApp 0812*****890 ditolak, token {REDACTED}"
