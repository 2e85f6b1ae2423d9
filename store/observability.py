"""Operations signals read by whoever is on call: JSON logs that carry the workflow id, and OpenTelemetry
traces that follow one request from the gateway through the workflow into its activities.

Both are set up once per process by the CLI (`satupintu worker`, `satupintu gateway`, and the children of
`satupintu run`); library code only logs through the stdlib / temporalio loggers and opens spans through the
global tracer provider, so a test can bring its own provider and capture what production would export."""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import IO, Any

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from store.settings import Settings

log = logging.getLogger(__name__)

# --- logs ----------------------------------------------------------------------------------------

REDACTED = "[disamarkan]"
# Keys whose values are never written, wherever they appear in a log line (also nested).
_SECRET_KEY = re.compile(r"password|passwd|passphrase|token|secret|authorization|cookie|api_?key", re.IGNORECASE)
# The same secrets written into a message: "password=…", "token: …", "Authorization: Bearer …".
_SECRET_IN_TEXT = re.compile(
    r"(?i)\b([\w-]*(?:password|passwd|passphrase|token|secret|authorization)[\w-]*)(\s*[=:]\s*)(bearer\s+[^\s&\"',;]+|[^\s&\"',;]+)")
# temporalio's workflow/activity loggers put these dicts into the record's extra; their keys become top-level.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")
_RENAMED = {"workflow_run_id": "run_id"}
# Record attributes that are noise in a JSON line (uvicorn's ANSI-coloured copy of the message).
_DROPPED = ("color_message",)
_HANDLER_MARK = "_satupintu_handler"


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, str):
        return _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", value)
    return value


def redact(_: Any, __: str, event_dict: dict) -> dict:
    """Passwords, tokens, passphrases and secrets never reach a log file, however they were logged."""
    for key in list(event_dict):
        if key.startswith("_"):
            continue
        if _SECRET_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


def _timestamp(_: Any, __: str, event_dict: dict) -> dict:
    # The record's own creation time, not the formatting time: both are the same in practice, and reading the
    # clock here would be a sandbox violation when a workflow logs.
    record = event_dict.get("_record")
    created = record.created if record is not None else datetime.now(timezone.utc).timestamp()
    event_dict["timestamp"] = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return event_dict


def _temporal_context(_: Any, __: str, event_dict: dict) -> dict:
    """Flattens temporalio's `temporal_workflow` / `temporal_activity` extras, so every line of a run can be
    found by `workflow_id` whichever logger wrote it."""
    record = event_dict.get("_record")
    for name in _TEMPORAL_EXTRAS:
        details = event_dict.pop(name, None) or (getattr(record, name, None) if record is not None else None)
        if isinstance(details, Mapping):
            for key, value in details.items():
                event_dict.setdefault(_RENAMED.get(key, key), value)
    for name in _DROPPED:
        event_dict.pop(name, None)
    return event_dict


def _trace_context(_: Any, __: str, event_dict: dict) -> dict:
    """The current span's ids, so a log line leads to its trace and back."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def _component(component: str):  # noqa: ANN202
    def add(_: Any, __: str, event_dict: dict) -> dict:
        event_dict.setdefault("component", component)
        return event_dict

    return add


_LEADING = ("timestamp", "level", "component", "logger", "message", "workflow_id")


def _leading_keys(_: Any, __: str, event_dict: dict) -> dict:
    # The same keys first on every line, so a person scanning the file reads them in one place.
    return {**{k: event_dict[k] for k in _LEADING if k in event_dict}, **event_dict}


def _formatter(component: str, *, json_lines: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer = structlog.processors.JSONRenderer(default=str) if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        # Records from the stdlib (ours, uvicorn's, temporalio's): their `extra` becomes fields.
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            _timestamp,
            _temporal_context,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _trace_context,
            _component(component),
            redact,
            *([structlog.processors.EventRenamer("message"), structlog.processors.dict_tracebacks, _leading_keys] if json_lines
              else [structlog.processors.format_exc_info]),
            renderer,
        ],
    )


def setup_logging(settings: Settings, component: str, *, log_file: Path | None = None, stream: IO[str] | None = None) -> None:
    """Every log record of the process (ours, uvicorn's, temporalio's) as one JSON object per line on `stream`
    (stderr by default) — or readable lines when settings.log_format is "console" — and always as JSON in
    `log_file` when given. Calling it again replaces what an earlier call installed."""
    json_lines = settings.log_format.strip().lower() != "console"
    level = logging.getLevelName(settings.log_level.strip().upper() or "INFO")
    if not isinstance(level, int):
        raise ValueError(f"SATUPINTU_LOG_LEVEL tidak dikenal: {settings.log_level!r} (pakai DEBUG, INFO, WARNING atau ERROR).")

    reset_logging()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    # logging.basicConfig from an earlier default would print each line a second time.
    for handler in [h for h in root.handlers if type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.stdout)]:
        root.removeHandler(handler)

    console = logging.StreamHandler(stream or sys.stderr)
    console.setFormatter(_formatter(component, json_lines=json_lines))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        # Watched: a logrotate that moves the file gets a fresh one, not lines into the moved file.
        to_file = WatchedFileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(_formatter(component, json_lines=True))
        handlers.append(to_file)
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)

    # uvicorn's own handlers would print its lines in its format: let them reach ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True
        uv.setLevel(logging.NOTSET)
    # Chatty libraries stay at WARNING unless someone debugs.
    for name in ("aiosqlite", "httpx", "httpcore", "aiosmtplib", "mail.log"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

    # The workflow/activity details are fields of the line now; the SDK need not also append them to the text.
    import temporalio.activity
    import temporalio.workflow

    temporalio.activity.logger.activity_info_on_message = False
    temporalio.workflow.logger.workflow_info_on_message = False


def reset_logging() -> None:
    """Takes out what setup_logging installed (for a test, or before configuring logging another way)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    structlog.reset_defaults()


def bind_workflow(workflow_id: str | None) -> None:
    """Every later log line of this request (or task) carries the run's id."""
    if workflow_id:
        structlog.contextvars.bind_contextvars(workflow_id=workflow_id)


# --- traces --------------------------------------------------------------------------------------

TRACE_HEADER = "X-Trace-Id"
_installed: set[tuple[int, str, str]] = set()
_lock = threading.Lock()


class JsonLinesSpanExporter(SpanExporter):
    """Finished spans as one JSON object per line, appended to a file (the "console" exporter of SatuPintu:
    readable with `jq`, and as easy to ship as the logs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stopped = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._stopped:
            return SpanExportResult.FAILURE
        lines = "".join(span.to_json(indent=None) + "\n" for span in spans)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(lines)
        except OSError:
            log.warning("trace file %s is not writable", self.path, exc_info=True)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._stopped = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:  # noqa: ARG002 - every export is written at once
        return True


def traces_file(settings: Settings, component: str) -> Path:
    return settings.var_dir / "log" / f"traces-{component}.jsonl"


def _resource(settings: Settings, component: str) -> Resource:
    return Resource.create({
        "service.name": settings.service_name,
        "service.namespace": "satupintu",
        "service.instance.id": f"{component}@{socket.gethostname()}:{os.getpid()}",
        "satupintu.component": component,
    })


def tracer_provider(settings: Settings, component: str) -> TracerProvider:
    """The process's SDK tracer provider, installed as the OpenTelemetry global the first time. The global can
    be set only once per process, so later callers (a second setup, a test) get the same provider and add
    their span processors to it."""
    with _lock:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            return current
        provider = TracerProvider(resource=_resource(settings, component))
        trace.set_tracer_provider(provider)
        if trace.get_tracer_provider() is not provider:
            log.warning("another OpenTelemetry tracer provider is already installed; SatuPintu's spans go to its own provider only")
        return provider


def _otlp_exporter(settings: Settings) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otel_endpoint.strip().rstrip("/")
    # Like OTEL_EXPORTER_OTLP_ENDPOINT, the setting is the collector's base URL; the traces path is added.
    if endpoint and not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    return OTLPSpanExporter(endpoint=endpoint or None)


def setup_tracing(settings: Settings, component: str, *, provider: TracerProvider | None = None) -> TracerProvider | None:
    """Traces per settings.traces_exporter: "console" appends JSON lines to var/log/traces-<component>.jsonl,
    "otlp" sends OTLP/HTTP to settings.otel_endpoint, "" leaves tracing off (returns None unless a provider is
    given). The gateway middleware and Temporal's TracingInterceptor use the global provider this installs.
    Idempotent: the same exporter is never added twice to a provider."""
    kind = settings.traces_exporter.strip().lower()
    if kind not in ("", "console", "otlp"):
        raise ValueError(f"SATUPINTU_TRACES_EXPORTER tidak dikenal: {settings.traces_exporter!r} (pakai '', 'console' atau 'otlp').")
    if not kind and provider is None:
        return None
    provider = provider or tracer_provider(settings, component)
    target = str(traces_file(settings, component)) if kind == "console" else settings.otel_endpoint if kind == "otlp" else ""
    with _lock:
        key = (id(provider), kind, target)
        if kind and key not in _installed:
            exporter = JsonLinesSpanExporter(traces_file(settings, component)) if kind == "console" else _otlp_exporter(settings)
            # A short delay: `satupintu run` stops its children with SIGTERM, and spans still queued are lost.
            provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
            _installed.add(key)
    return provider


def shutdown_tracing() -> None:
    """Writes out the spans still queued; the CLI calls it before leaving with os._exit (atexit does not run)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()


def client_interceptors(tracer_provider: trace.TracerProvider | None = None) -> list:
    """What a Temporal client needs so that its calls, and the workers built from it, join the caller's trace."""
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(trace.get_tracer("satupintu.temporal", tracer_provider=tracer_provider))]


def with_tracing(client: Any, tracer_provider: trace.TracerProvider | None = None) -> Any:
    """A copy of a connected client with the tracing interceptor added to its own (a time-skipping
    environment's client carries an interceptor of its own that must stay)."""
    from temporalio.client import Client

    config = client.config()
    config["interceptors"] = [*config["interceptors"], *client_interceptors(tracer_provider)]
    return Client(**config)


class TracingMiddleware:
    """The gateway's part of a trace. FastAPI itself opens the request's SERVER span (its native OpenTelemetry
    support, active once a tracer provider is installed): named "<METHOD> <route template>", continuing an
    incoming W3C `traceparent`, with the status code, and current while the route runs — so the Temporal
    client's StartWorkflow / StartWorkflowUpdate spans, and through them the workflow and its activities, join
    the request's trace. This middleware adds what FastAPI does not: the trace id in the X-Trace-Id response
    header, for support staff to find the trace from a person's report, and a log context (the workflow id a
    route binds) that ends with the request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span_context = trace.get_current_span().get_span_context()
        trace_id = format(span_context.trace_id, "032x") if span_context.is_valid else None
        bound = structlog.contextvars.get_contextvars()

        async def send_with_trace(message: dict) -> None:
            if message["type"] == "http.response.start" and trace_id:
                message = {**message, "headers": [*message.get("headers", ()), (TRACE_HEADER.lower().encode(), trace_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            # What the route bound (the workflow id) belongs to this request only: an in-process caller (a test's
            # ASGI transport) shares the context.
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**bound)
