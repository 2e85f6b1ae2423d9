"""Operations signals (issue 6): one request's trace follows it from the gateway through the workflow into its
activities, and the JSON log lines carry the workflow id and never a password.

The gateway and the worker are built as production builds them — `create_app`, `workers.main.connect` (which
adds the tracing interceptor) and `build_worker` — against the real dev server; the spans go to an in-memory
exporter on the process's tracer provider, the log lines to a string buffer through `setup_logging`."""

import io
import json
import logging

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from store.observability import TRACE_HEADER, reset_logging, setup_logging, setup_tracing, tracer_provider, traces_file
from store.temporal import connect
from tests.factories import future_working_range, leave_ids_apart, login, wait_for


@pytest.fixture
def spans(db):
    """What the process's tracer provider exports during the test."""
    exporter = InMemorySpanExporter()
    tracer_provider(db.settings, "test").add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
def log_lines(db):
    """The process's log lines as setup_logging writes them; call it to get the parsed JSON objects."""
    stream = io.StringIO()
    setup_logging(db.settings, "test", stream=stream)

    def parsed() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    parsed.raw = stream  # type: ignore[attr-defined]
    yield parsed
    reset_logging()


@pytest.fixture
async def http(db, local_env, worker_for, spans):
    """The gateway in process and a worker, both on clients made by workers.main.connect against the dev server."""
    settings = db.settings.model_copy(update={"temporal_address": local_env.client.service_client.config.target_host})
    await leave_ids_apart(db.sessionmaker)
    await worker_for(await connect(settings))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30) as client:
            yield client


async def request_leave(http: httpx.AsyncClient) -> tuple[httpx.Response, dict]:
    start, end = future_working_range(2, weeks_ahead=4)
    created = await http.post("/api/v1/leave-requests", headers=await login(http, "pegawai1"), json={
        "leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Keperluan keluarga"})
    assert created.status_code == 201, created.text
    return created, created.json()


async def open_task(http: httpx.AsyncClient, headers: dict, leave_id: int) -> dict:
    async def find():
        items = (await http.get("/api/v1/tasks", headers=headers, params={"process": "leave"})).json()["items"]
        return next((t for t in items if t["subject_id"] == str(leave_id)), None)

    return await wait_for(find)


def ancestors(span, exporter: InMemorySpanExporter) -> list:
    by_id = {s.context.span_id: s for s in exporter.get_finished_spans()}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


def in_trace(exporter: InMemorySpanExporter, trace_id: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for span in exporter.get_finished_spans():
        if format(span.context.trace_id, "032x") == trace_id:
            found.setdefault(span.name, []).append(span)
    return found


async def spans_named(exporter: InMemorySpanExporter, trace_id: str, *names: str) -> dict[str, list]:
    async def all_there():
        found = in_trace(exporter, trace_id)
        return found if all(n in found for n in names) else None

    return await wait_for(all_there)


async def test_one_request_is_one_trace_from_gateway_to_activities(http, spans):
    created, leave = await request_leave(http)
    trace_id = created.headers[TRACE_HEADER]
    assert len(trace_id) == 32

    found = await spans_named(spans, trace_id, "POST /api/v1/leave-requests", "StartWorkflow:LeaveRequest", "RunWorkflow:LeaveRequest",
                              "RunActivity:open_task")
    (server,) = found["POST /api/v1/leave-requests"]
    assert server.kind == SpanKind.SERVER and server.attributes["http.response.status_code"] == 201
    assert server.attributes["http.route"] == "/api/v1/leave-requests"
    # The client's StartWorkflow span descends from the request's: the route ran with the server span current.
    (start,) = found["StartWorkflow:LeaveRequest"]
    assert server in ancestors(start, spans)
    assert server in ancestors(found["RunActivity:open_task"][0], spans)
    assert found["RunActivity:open_task"][0].attributes["temporalWorkflowID"] == leave["workflow_id"]

    # The supervisor's decision is its own request and trace, down to the client's update call; on the worker the
    # update is handled within the workflow's own trace (TracingInterceptor keeps one trace per run), linked back
    # to the request that sent it.
    supervisor = await login(http, "atasan1")
    task = await open_task(http, supervisor, leave["id"])
    decided = await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})
    assert decided.status_code == 200, decided.text
    decision_trace = decided.headers[TRACE_HEADER]
    assert decision_trace != trace_id
    found = await spans_named(spans, decision_trace, "POST /api/v1/tasks/{task_id}/decision", "StartWorkflowUpdate:decide_task")
    (server,) = found["POST /api/v1/tasks/{task_id}/decision"]
    assert server.attributes["http.response.status_code"] == 200
    (update,) = found["StartWorkflowUpdate:decide_task"]
    assert server in ancestors(update, spans)
    in_workflow = await spans_named(spans, trace_id, "HandleUpdate:decide_task", "ValidateUpdate:decide_task")
    (handled,) = in_workflow["HandleUpdate:decide_task"]
    assert [link.context.span_id for link in handled.links] == [update.context.span_id]
    assert handled.attributes["temporalWorkflowID"] == leave["workflow_id"]


async def test_an_incoming_traceparent_is_continued(http, spans):
    upstream = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await http.get("/api/v1/catalog", headers={"traceparent": f"00-{upstream}-00f067aa0ba902b7-01"})
    assert response.headers[TRACE_HEADER] == upstream
    (server,) = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == upstream and s.kind == SpanKind.SERVER]
    assert server.name == "GET /api/v1/catalog" and server.parent.span_id == 0x00F067AA0BA902B7


async def test_log_lines_carry_the_workflow_id_and_no_password(http, log_lines):
    _, leave = await request_leave(http)
    workflow_id = leave["workflow_id"]
    supervisor, numbering = await login(http, "atasan1"), await login(http, "penomoran1")
    task = await open_task(http, supervisor, leave["id"])
    assert (await http.post(f"/api/v1/tasks/{task['id']}/decision", headers=supervisor, json={"outcome": "approve"})).status_code == 200
    number_task = await open_task(http, numbering, leave["id"])
    assert (await http.post(f"/api/v1/tasks/{number_task['id']}/decision", headers=numbering,
                            json={"outcome": "assign_number"})).status_code == 200

    async def issued():
        return next((line for line in log_lines() if line["message"] == "number issued"), None)

    # An activity's line: the run's id and the activity's type are fields of their own, next to the trace.
    number = await wait_for(issued)
    assert number["workflow_id"] == workflow_id and number["activity_type"] == "assign_number"
    assert number["workflow_type"] == "LeaveRequest" and number["run_id"] and number["task_queue"]
    assert number["component"] == "test" and number["level"] == "info" and number["logger"] == "temporalio.activity"
    assert number["number"].startswith("B-") and number["timestamp"].endswith("Z") and len(number["trace_id"]) == 32
    # The SDK's copy of the details in the text is left out: the fields carry them.
    assert number["message"] == "number issued"

    # The gateway's line while deciding carries the workflow id it bound for the request.
    forwarded = [line for line in log_lines() if line["message"] == "decision forwarded"]
    assert {line["workflow_id"] for line in forwarded} == {workflow_id}
    assert {line["actor"] for line in forwarded} == {"atasan1", "penomoran1"}
    # Three people signed in with their passwords; none of it is in the log.
    assert "Demo12345" not in log_lines.raw.getvalue()


def test_secrets_are_redacted_and_setup_is_idempotent(db, log_lines):
    setup_logging(db.settings, "test", stream=log_lines.raw)
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler) and h.stream is log_lines.raw]
    assert len(ours) == 1

    logging.getLogger("satupintu.test").info("login attempt", extra={"username": "pegawai1", "password": "Rahasia123!",
                                                                      "headers": {"Authorization": "Bearer abc.def"}})
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/unduh?token=s3cr3t-t0ken&x=1", "1.1", 200)
    login, access = log_lines()
    assert login["username"] == "pegawai1" and login["password"] == "[disamarkan]"
    assert login["headers"] == {"Authorization": "[disamarkan]"}
    assert access["logger"] == "uvicorn.access" and "token=[disamarkan]&x=1" in access["message"]
    for secret in ("Rahasia123!", "abc.def", "s3cr3t-t0ken"):
        assert secret not in log_lines.raw.getvalue()


def test_console_traces_are_json_lines_in_var_log(db):
    # A provider of the test's own: the process-wide one may already have this exporter from another test.
    provider = TracerProvider()
    settings = db.settings.model_copy(update={"traces_exporter": "console"})
    assert setup_tracing(settings, "gateway", provider=provider) is provider
    assert setup_tracing(settings, "gateway", provider=provider) is provider  # no second processor
    with trace.get_tracer("t", tracer_provider=provider).start_as_current_span("GET /healthz"):
        pass
    provider.force_flush()
    lines = traces_file(settings, "gateway").read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["GET /healthz"]
    provider.shutdown()

    with pytest.raises(ValueError, match="SATUPINTU_TRACES_EXPORTER"):
        setup_tracing(db.settings.model_copy(update={"traces_exporter": "jaeger"}), "gateway")
    assert setup_tracing(db.settings.model_copy(update={"traces_exporter": ""}), "gateway") is None
