"""Operations signals read by whoever is on call: JSON logs that carry the workflow id, and OpenTelemetry
traces that follow one request from the gateway through the workflow into its activities.

Both are set up once per process by the CLI (`satupintu worker`, `satupintu gateway`, and the children of
`satupintu run`); library code only logs through the stdlib / temporalio loggers and opens spans through the
global tracer provider, so a test can bring its own provider and capture what production would export."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor

from store.settings import Settings

log = logging.getLogger(__name__)

# --- logs ----------------------------------------------------------------------------------------

REDACTED = "[disamarkan]"
# One log line (and one exported span) is at most this many characters, ASCII (JSON escapes the rest): an error with a
# 400 KB message or a deep stack still writes a bounded line, and never fills the disk on its own.
LINE_LIMIT = 16 * 1024
# A single field value is cut here first, with a visible marker; smaller cuts follow only while the line is too long.
FIELD_LIMIT = 4096
# Text longer than this is cut before it is searched for secrets (the cost of redaction stays bounded); what is
# searched always reaches well past what is kept, so a secret cut in two at this point is never written.
_SEARCHED = 64 * 1024
_SEARCH_MARGIN = 1024
_SEARCH_CUT = f"…[dipotong, lebih dari {_SEARCHED // 1024} KiB]"
# Keys whose values are never written, wherever they appear in a log line or a span (also nested).
# (Bahasa too: "sandi" is a password, a PIN resets one.)
_SECRET_KEY = re.compile(r"password|passwd|passphrase|sandi|(?<![a-z])pin(?![a-z])|token|secret|authorization|cookie|api_?key|"
                         r"payload_(?:old_)?keys?|private_?key", re.IGNORECASE)
# The same secrets written into a text: "password=…", "token: …", "'password': '…'", "secret_key='…'" (a repr), JSON.
# Every repetition is bounded, so a hostile 64 KB text costs linear time.
_SECRET_IN_TEXT = re.compile(
    r"""(?i)((?:password|passwd|passphrase|sandi|(?<![a-z])pin(?![a-z])|token|secret|authorization|api_?key|payload_(?:old_)?keys?|private_?key)"""
    r"""[\w-]{0,40})"""
    r"""(["']?\s{0,5}[=:]\s{0,5})("(?:[^"\\\n]|\\.){0,1024}"?|'(?:[^'\\\n]|\\.){0,1024}'?|(?:bearer|basic)\s{1,5}[^\s&"',;)}\]]+|["']?[^\s&"',;)}\]]+)""")
_BEARER = re.compile(r"(?i)\bbearer\s{1,5}[A-Za-z0-9._~+/=-]{8,}")
# A JSON Web Token anywhere (a session, an access token), whatever surrounds it.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?")
# user:password@ in a URL (a database or SMTP URL in an error).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20}://[^\s:/@]{1,256}):([^\s@/]{1,256})@")
# Indonesian mobile numbers as people write them: 0812…, 62812…, +62 812-3456-7890, 0812.3456.7890 (10 to 15 digits).
_PHONE = re.compile(r"(?<![\w+.])(?:\+?62[ -]?|0)8\d(?:[ .-]?\d){7,11}(?!\w)")
# NIK and KK numbers: 16 digits, alone or in groups of four.
_NIK = re.compile(r"(?<![\w.])\d{4}([ .-]?)\d{4}\1\d{4}\1\d{4}(?!\w)")
# Ids that are hexadecimal (trace ids, Temporal's run UUIDs): never masked as a number, whatever digits they hold.
_HEX_IDS = frozenset({"trace_id", "span_id", "parent_id", "run_id", "workflow_run_id"})
# temporalio's workflow/activity loggers put these dicts into the record's extra; their keys become top-level.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")
_RENAMED = {"workflow_run_id": "run_id"}
# Record attributes that are noise in a JSON line (uvicorn's ANSI-coloured copy of the message; Temporal Core's raw
# log entry, whose fields are already in the message).
_DROPPED = ("color_message", "temporal_log")
_HANDLER_MARK = "_satupintu_handler"
# How an exception is written: type, message and where it was raised (file, line, function) — never the frames'
# local variables (they held the settings and request bodies with passwords), nor the source lines.
_EXCEPTIONS = structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False, max_frames=20, use_rich=False))
# The shrinking cuts tried in turn until a line fits: (characters per value, items per list or object, nesting depth).
_CUTS = ((FIELD_LIMIT, 100, 12), (1024, 30, 8), (256, 10, 5), (64, 4, 3))
_ESSENTIAL = ("timestamp", "level", "component", "logger", "message", "workflow_id", "trace_id", "span_id")


def _mask_digits(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    return ("+" if text.startswith("+") else "") + digits[:4] + "*" * (len(digits) - 7) + digits[-3:]


def _redact_assignment(match: re.Match) -> str:
    # A value already replaced (by the settings' values) stays as it is, not "[disamarkan]]".
    if REDACTED[:-1] in match.group(3):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _secret_values(settings: Settings | None) -> list[str]:
    """The running configuration's secrets as they could appear in a text: as they are, JSON-escaped and URL-encoded."""
    if settings is None:
        return []
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, str) and _SECRET_KEY.search(name):
            # payload_old_keys is a list: each of its keys, too.
            found.update({value.strip(), *(part.strip() for part in value.split(","))})
    database_password = urlsplit(settings.database_url).password if "://" in settings.database_url else None
    if database_password:
        found.update({database_password, unquote(database_password)})
    variants: set[str] = set()
    for value in found:
        # Shorter than this would mask ordinary words; a secret that short protects nothing anyway.
        if len(value) >= 6:
            variants.update({value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)})
    return sorted(variants, key=len, reverse=True)


class Redactor:
    """What may be written about a process: secrets (by the name of the field that holds them, by their pattern in a
    text, and by the running settings' actual values) replaced by [disamarkan], phone and NIK/KK numbers masked
    (6281******890), every value and the whole line bounded. One for the logs and the traces of a process."""

    def __init__(self, settings: Settings | None = None) -> None:
        values = _secret_values(settings)
        self._values = re.compile("|".join(re.escape(v) for v in values)) if values else None
        self._longest = max((len(v) for v in values), default=0)

    # -- text --

    def secrets(self, text: str) -> str:
        """Only the configured secret values: the last pass over a rendered line."""
        return self._values.sub(REDACTED, text) if self._values is not None else text

    def text(self, text: str, *, personal: bool = True, keep_end: bool = False) -> str:
        cut = len(text) > _SEARCHED
        if cut:
            text = text[-_SEARCHED:] if keep_end else text[:_SEARCHED]
        text = self.secrets(text)
        text = _SECRET_IN_TEXT.sub(_redact_assignment, text)
        text = _BEARER.sub(f"Bearer {REDACTED}", text)
        text = _JWT.sub(REDACTED, text)
        text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
        if personal:
            text = _NIK.sub(_mask_digits, _PHONE.sub(_mask_digits, text))
        if cut:
            # The edge of what was searched may hold part of a secret: it is never kept.
            margin = max(_SEARCH_MARGIN, self._longest)
            text = _SEARCH_CUT + text[margin:] if keep_end else text[:max(0, len(text) - margin)] + _SEARCH_CUT
        return text

    def number(self, value: int) -> int | str:
        # A phone or NIK number logged as an int.
        if abs(value) < 10**9:
            return value
        masked = self.text(str(value))
        return value if masked == str(value) else masked

    def value(self, value: Any, *, depth: int = 0, personal: bool = True) -> Any:
        """A copy of a logged value (any object) made of JSON types, with secrets and personal numbers out."""
        if value is None or isinstance(value, bool | float):
            return value
        if isinstance(value, int):
            return self.number(value) if personal else value
        if isinstance(value, str):
            return self.text(value, personal=personal)
        if depth >= 20:
            return "[…]"
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for index, (key, item) in enumerate(value.items()):
                if index >= 200:
                    out["…"] = f"[{len(value) - index} lagi]"
                    break
                key = str(key)
                out[self.text(key)] = REDACTED if _SECRET_KEY.search(key) else self.value(item, depth=depth + 1, personal=key not in _HEX_IDS)
            return out
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.value(item, depth=depth + 1) for item in list(value)[:200]]
            return [*items, f"[{len(value) - 200} lagi]"] if len(value) > 200 else items
        try:
            return self.text(str(value) if not isinstance(value, bytes) else repr(value))
        except Exception:  # noqa: BLE001 - an object whose str() fails still gets a line
            return f"<{type(value).__name__}>"

    def span(self, span: ReadableSpan) -> ReadableSpan:
        """A copy of a finished span with the same redaction and masking, bounded like a log line."""
        attributes = self._attributes(span.attributes)
        events = [(self.text(e.name), self._attributes(e.attributes), e.timestamp) for e in span.events]
        links = [(link.context, self._attributes(link.attributes)) for link in span.links]
        name = self.text(span.name)
        description = self.text(span.status.description) if span.status.description else None
        for chars, items, _ in _CUTS:
            fitted = (_cut(name, 256), _cut_attributes(attributes, chars, items),
                      [(_cut(n, 256), _cut_attributes(a, chars, items), t) for n, a, t in events[:items]],
                      [(c, _cut_attributes(a, chars, items)) for c, a in links[:items]], _cut(description, chars) if description else None)
            if len(json.dumps([fitted[0], fitted[1], [e[:2] for e in fitted[2]], [x[1] for x in fitted[3]], fitted[4]])) <= LINE_LIMIT - 2048:
                break
        name, attributes, events, links, description = fitted
        return _RedactedSpan(
            span, name=name, context=span.context, parent=span.parent, resource=span.resource, attributes=attributes,
            events=[Event(n, a, t) for n, a, t in events], links=[trace.Link(c, a) for c, a in links], kind=span.kind,
            status=Status(span.status.status_code, description), start_time=span.start_time, end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope)

    def _attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (attributes or {}).items():
            if _SECRET_KEY.search(key):
                out[key] = REDACTED
            elif isinstance(value, str):
                out[key] = self.text(value, keep_end="stacktrace" in key)
            elif isinstance(value, int) and not isinstance(value, bool):
                out[key] = self.number(value)
            elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
                items = [self.text(v) if isinstance(v, str) else self.number(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
                # An attribute's list has one type: a masked number among numbers makes all of them text.
                out[key] = tuple(str(v) for v in items) if len({type(v) for v in items}) > 1 else tuple(items)
            else:
                out[key] = value
        return out


def _cut(text: str, limit: int, *, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    searched_part = text.endswith(_SEARCH_CUT) or text.startswith(_SEARCH_CUT)
    marker = _SEARCH_CUT if searched_part else f"…[dipotong {len(text) - limit} karakter]…"
    # A stack trace's end says what was raised and where: that part is kept.
    return marker + text[-limit:] if keep_end else text[:limit] + marker


def _cut_attributes(attributes: Mapping[str, Any], chars: int, items: int) -> dict[str, Any]:
    out = {}
    for index, (key, value) in enumerate(attributes.items()):
        if index >= items * 2:
            break
        if isinstance(value, str):
            value = _cut(value, chars * 2 if "stacktrace" in key else chars, keep_end="stacktrace" in key)
        elif isinstance(value, tuple):
            value = tuple(_cut(v, chars) if isinstance(v, str) else v for v in value[:items])
        out[key] = value
    return out


def _fit(value: Any, chars: int, items: int, depth: int) -> Any:
    """A copy of a (redacted) value cut to the given sizes, with a marker where something was cut."""
    if isinstance(value, str):
        return _cut(value, chars)
    if isinstance(value, Mapping):
        if depth <= 0:
            return "[…]"
        out = {_cut(k, 128): _fit(v, chars, items, depth - 1) for k, v in list(value.items())[:items]}
        if len(value) > items:
            out["…"] = f"[{len(value) - items} lagi]"
        return out
    if isinstance(value, list):
        if depth <= 0:
            return "[…]"
        out_list = [_fit(v, chars, items, depth - 1) for v in value[:items]]
        return out_list + [f"[{len(value) - items} lagi]"] if len(value) > items else out_list
    return value


class _RedactedSpan(ReadableSpan):
    # The counts the SDK dropped belong to the original span; the copy's plain collections would say 0.
    def __init__(self, original: ReadableSpan, **fields: Any) -> None:
        super().__init__(**fields)
        self._dropped = (original.dropped_attributes, original.dropped_events, original.dropped_links)

    @property
    def dropped_attributes(self) -> int:
        return self._dropped[0]

    @property
    def dropped_events(self) -> int:
        return self._dropped[1]

    @property
    def dropped_links(self) -> int:
        return self._dropped[2]


def _timestamp(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # The record's own creation time, not the formatting time: both are the same in practice, and reading the
    # clock here would be a sandbox violation when a workflow logs.
    record = event_dict.get("_record")
    created = record.created if record is not None else datetime.now(UTC).timestamp()
    event_dict["timestamp"] = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return event_dict


def _temporal_context(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Flattens temporalio's `temporal_workflow` / `temporal_activity` extras, so every line of a run can be
    found by `workflow_id` whichever logger wrote it."""
    record = event_dict.get("_record")
    for name in _TEMPORAL_EXTRAS:
        details = event_dict.pop(name, None) or (getattr(record, name, None) if record is not None else None)
        if isinstance(details, Mapping):
            for key, value in details.items():
                event_dict.setdefault(_RENAMED[key] if key in _RENAMED else key, value)
    for name in _DROPPED:
        event_dict.pop(name, None)
    return event_dict


def _trace_context(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """The current span's ids, so a log line leads to its trace and back."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def _component(component: str) -> Processor:
    def add(_: Any, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("component", component)
        return event_dict

    return add


_LEADING = ("timestamp", "level", "component", "logger", "message", "workflow_id")


def _leading_keys(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # The same keys first on every line, so a person scanning the file reads them in one place.
    return {**{k: event_dict[k] for k in _LEADING if k in event_dict}, **event_dict}


def _redacting(redactor: Redactor) -> Processor:
    def redact(_: Any, __: str, event_dict: EventDict) -> EventDict:
        """Passwords, tokens, passphrases and secrets never reach a log file, however they were logged; nor phone or
        NIK numbers in clear."""
        return redactor.value(event_dict)

    return redact


def _exception_text(stacks: Any) -> str:
    # The console's traceback, from the same record as the JSON line's: frames without locals or source lines.
    lines: list[str] = []
    for stack in reversed(stacks if isinstance(stacks, list) else []):
        if isinstance(stack, Mapping):
            lines.append("Traceback (most recent call last):")
            lines.extend(f'  File "{f.get("filename")}", line {f.get("lineno")}, in {f.get("name")}'
                         for f in stack.get("frames", ()) if isinstance(f, Mapping))
            lines.append(f"{stack.get('exc_type')}: {stack.get('exc_value')}")
    return "\n".join(lines) if lines else str(stacks)


def _json_renderer(redactor: Redactor) -> Processor:
    def render(_: Any, __: str, event_dict: EventDict) -> str:
        # Cut harder until the line fits; the configured secrets' values are looked for once more in the very text
        # that is written.
        for chars, items, depth in _CUTS:
            line = redactor.secrets(json.dumps(_fit(event_dict, chars, items, depth), default=str))
            if len(line) <= LINE_LIMIT:
                return line
        essential = {k: event_dict[k] for k in _ESSENTIAL if k in event_dict}
        for chars in (512, 64):
            line = redactor.secrets(json.dumps({**_fit(essential, chars, len(_ESSENTIAL), 1), "truncated": True}, default=str))
            if len(line) <= LINE_LIMIT:
                return line
        return json.dumps({"message": "[baris log terlalu panjang]", "truncated": True})

    return render


def _console_renderer(redactor: Redactor) -> Processor:
    console = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)

    def render(logger: Any, name: str, event_dict: EventDict) -> str:
        event_dict = _fit(event_dict, FIELD_LIMIT, 100, 12)
        if "exception" in event_dict:
            event_dict["exception"] = _exception_text(event_dict["exception"])
        return _cut(redactor.secrets(console(logger, name, event_dict)), LINE_LIMIT - 64)

    return render


def _formatter(component: str, redactor: Redactor, *, json_lines: bool) -> structlog.stdlib.ProcessorFormatter:
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
            *([structlog.processors.EventRenamer("message")] if json_lines else []),
            _stack,
            _EXCEPTIONS,
            *([_leading_keys] if json_lines else []),
            # Last before rendering: the exception's text and every field are redacted as they will be written.
            _redacting(redactor),
            _json_renderer(redactor) if json_lines else _console_renderer(redactor),
        ],
    )


def _stack(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # A record logged with stack_info=True: its text, under the key the console renderer prints.
    if "stack_info" in event_dict:
        event_dict["stack"] = event_dict.pop("stack_info")
    return event_dict


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
    for default in [h for h in root.handlers if type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.stdout)]:
        root.removeHandler(default)

    redactor = Redactor(settings)
    console = _StreamHandler(stream or sys.stderr)
    console.setFormatter(_formatter(component, redactor, json_lines=json_lines))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        # Watched: a logrotate that moves the file gets a fresh one, not lines into the moved file.
        to_file = _FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(_formatter(component, redactor, json_lines=True))
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
    import temporalio.activity  # noqa: PLC0415 - the SDK's loggers are loaded by a process that sets up logging, not by every importer
    import temporalio.workflow  # noqa: PLC0415 - the SDK's loggers are loaded by a process that sets up logging, not by every importer

    temporalio.activity.logger.activity_info_on_message = False
    temporalio.workflow.logger.workflow_info_on_message = False
    _forward_temporal_core_logs()

    # An exception nobody caught (in the main thread or another) is a log line too, not a traceback on stderr.
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _log_uncaught
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_uncaught_in_thread


def reset_logging() -> None:
    """Takes out what setup_logging installed (for a test, or before configuring logging another way)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    structlog.reset_defaults()
    if sys.excepthook is _log_uncaught:
        sys.excepthook = sys.__excepthook__
    if threading.excepthook is _log_uncaught_in_thread:
        threading.excepthook = threading.__excepthook__


class _QuietErrors:
    def handleError(self, record: logging.LogRecord) -> None:
        # The stdlib's version prints the record's message and arguments (a password, a request body) to stderr.
        if logging.raiseExceptions and sys.stderr:
            sys.stderr.write(f"--- a log line of {record.name} could not be written ({type(sys.exc_info()[1]).__name__}) ---\n")


class _StreamHandler(_QuietErrors, logging.StreamHandler):
    pass


class _FileHandler(_QuietErrors, WatchedFileHandler):
    pass


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("satupintu").critical("uncaught exception", exc_info=(kind, value, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("satupintu").critical("uncaught exception in thread %s", args.thread.name if args.thread else "?",
                                            exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback))


def _forward_temporal_core_logs() -> None:
    """Temporal Core (the SDK's Rust part) writes its warnings straight to stderr, workflow ids and all; sent to a
    Python logger instead, they are redacted like every other line. Only possible before the process's first
    Temporal client: later (a test's process) Core keeps the runtime it has."""
    import temporalio.runtime  # noqa: PLC0415 - Core's runtime is touched only when logging is set up
    from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig  # noqa: PLC0415 - Core's runtime is touched only when logging is set up

    # The SDK has no public "is there a default yet"; a runtime made only to be refused would keep its threads.
    if getattr(getattr(temporalio.runtime, "_runtime_ref", None), "_default_runtime", True) is not None:
        return
    core = LoggingConfig(filter=LoggingConfig.default.filter, forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")))
    try:
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=core)), error_if_already_set=True)
    except RuntimeError:
        pass


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

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class RedactingSpanExporter(SpanExporter):
    """Every span leaves the process through this: its name, attributes, events (an exception's message and stack
    trace), links and status redacted and masked like a log line, and bounded in size, before the exporter it
    wraps (the JSON lines file, OTLP) sees it."""

    def __init__(self, exporter: SpanExporter, redactor: Redactor) -> None:
        self.exporter = exporter
        self.redactor = redactor

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([self.redactor.span(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


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
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415 - only when OTLP is configured

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
            exporter = RedactingSpanExporter(exporter, Redactor(settings))
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
    from temporalio.contrib.opentelemetry import TracingInterceptor  # noqa: PLC0415 - only for a Temporal client being made

    return [TracingInterceptor(trace.get_tracer("satupintu.temporal", tracer_provider=tracer_provider))]


def with_tracing(client: Any, tracer_provider: trace.TracerProvider | None = None) -> Any:
    """A copy of a connected client with the tracing interceptor added to its own (a time-skipping
    environment's client carries an interceptor of its own that must stay)."""
    from temporalio.client import Client  # noqa: PLC0415 - only for a Temporal client being made

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
