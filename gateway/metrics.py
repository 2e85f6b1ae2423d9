"""`/metrics` in Prometheus' text format.

The process figures are read from SQL at scrape time by a custom collector, so every gateway replica
reports the same truth and a restart loses nothing:

- `satupintu_runs_started_total{process}` — runs in the run index (each row is a run that started);
- `satupintu_runs_finished_total{process,status}` — runs closed, by Temporal's close status;
- `satupintu_open_tasks{role}` and `satupintu_open_task_oldest_age_seconds{role}` — the inbox's open tasks;
- `satupintu_sla_breaches{process}` — tasks that broke their due time: completed after it, plus open ones
  already past it (a gauge: an open task counts from the moment it is late, and stays counted once done);
- `satupintu_notification_failures_total{channel}` — failed delivery attempts, from the notification register
  (`attempts` less the one that succeeded; a WhatsApp message reported failed after sending counts too);
  `satupintu_notifications_failing{channel}` — messages failed now and waiting for the retry.

Gateway latency is this replica's own: `satupintu_http_request_duration_seconds{method,route,status}`, labelled
by the route template (`/api/v1/runs/{workflow_id}`), never the raw path, so the label set stays small.

Each app has its own registry (several apps in one test process never collide). With `metrics_token` set,
a scrape needs `Authorization: Bearer <token>`. Without one, `/metrics` answers in dev mode only: in production
it is not there (404) — the figures (workload per role, failing channels, routes) are not for anyone who asks.
"""

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.deps import SessionDep, SettingsDep
from gateway.errors import not_found
from process_defs.processes import PROCESSES
from store.models import Notification, ProcessRun, Task

router = APIRouter(include_in_schema=False)

# Page renders and Temporal round trips sit between 10 ms and a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"


@dataclass
class Snapshot:
    runs_started: dict[str, int] = field(default_factory=dict)
    runs_finished: dict[tuple[str, str], int] = field(default_factory=dict)
    open_tasks: dict[str, int] = field(default_factory=dict)
    oldest_open_age: dict[str, float] = field(default_factory=dict)
    sla_breaches: dict[str, int] = field(default_factory=dict)
    notification_failures: dict[str, int] = field(default_factory=dict)
    notifications_failing: dict[str, int] = field(default_factory=dict)


async def read_snapshot(session: AsyncSession, *, now: datetime | None = None) -> Snapshot:
    now = now or datetime.now(UTC)
    snap = Snapshot(runs_started={p.name: 0 for p in PROCESSES})
    for process, count in await session.execute(select(ProcessRun.process, func.count()).group_by(ProcessRun.process)):
        snap.runs_started[process] = int(count)
    for process, status, count in await session.execute(select(ProcessRun.process, ProcessRun.status, func.count())
                                                        .where(ProcessRun.status != "running")
                                                        .group_by(ProcessRun.process, ProcessRun.status)):
        snap.runs_finished[(process, status)] = int(count)
    for role, count, oldest in await session.execute(select(Task.role, func.count(), func.min(Task.created_at))
                                                     .where(Task.status == "open").group_by(Task.role)):
        snap.open_tasks[role] = int(count)
        snap.oldest_open_age[role] = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    late = or_(and_(Task.status == "completed", Task.completed_at > Task.due_at), and_(Task.status == "open", Task.due_at < now))
    for process, count in await session.execute(select(Task.process, func.count()).where(Task.due_at.is_not(None), late)
                                                .group_by(Task.process)):
        snap.sla_breaches[process] = int(count)
    succeeded = case((and_(Notification.sent_at.is_not(None), Notification.status != "failed"), 1), else_=0)
    failing = case((Notification.status == "failed", 1), else_=0)
    for channel, failures, failed_now in await session.execute(
            select(Notification.channel, func.sum(Notification.attempts - succeeded), func.sum(failing)).group_by(Notification.channel)):
        snap.notification_failures[channel] = max(int(failures or 0), 0)
        snap.notifications_failing[channel] = int(failed_now or 0)
    return snap


class OperationsCollector(Collector):
    """The process figures of one scrape, read from SQL just before (see `read_snapshot`)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        s = self.snapshot
        started = CounterMetricFamily("satupintu_runs_started", "Proses (workflow run) yang dimulai, per proses.", labels=["process"])
        for process, count in sorted(s.runs_started.items()):
            started.add_metric([process], count)
        finished = CounterMetricFamily("satupintu_runs_finished", "Proses yang berakhir, per proses dan status akhir Temporal.",
                                       labels=["process", "status"])
        for (process, status), count in sorted(s.runs_finished.items()):
            finished.add_metric([process, status], count)
        open_tasks = GaugeMetricFamily("satupintu_open_tasks", "Tugas terbuka di kotak tugas, per peran.", labels=["role"])
        oldest = GaugeMetricFamily("satupintu_open_task_oldest_age_seconds", "Umur tugas terbuka tertua (detik), per peran.", labels=["role"])
        for role in sorted(s.open_tasks):
            open_tasks.add_metric([role], s.open_tasks[role])
            oldest.add_metric([role], s.oldest_open_age[role])
        breaches = GaugeMetricFamily("satupintu_sla_breaches",
                                     "Tugas yang melewati batas waktu: selesai terlambat ditambah yang masih terbuka melewati batas, per proses.",
                                     labels=["process"])
        for process, count in sorted(s.sla_breaches.items()):
            breaches.add_metric([process], count)
        failures = CounterMetricFamily("satupintu_notification_failures", "Percobaan pengiriman notifikasi yang gagal, per kanal.",
                                       labels=["channel"])
        failing = GaugeMetricFamily("satupintu_notifications_failing", "Notifikasi yang saat ini gagal dan menunggu dikirim ulang, per kanal.",
                                    labels=["channel"])
        for channel in sorted(s.notification_failures):
            failures.add_metric([channel], s.notification_failures[channel])
            failing.add_metric([channel], s.notifications_failing[channel])
        yield from (started, finished, open_tasks, oldest, breaches, failures, failing)


def new_latency_histogram() -> Histogram:
    # Not registered anywhere yet: each scrape's registry adds it beside the SQL collector.
    return Histogram("satupintu_http_request_duration_seconds", "Lama gateway menjawab permintaan HTTP (detik).",
                     labelnames=("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=None)


class LatencyMiddleware:
    """Times every HTTP request and labels it with the route template the router matched."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            # The router writes the matched route into the scope it was given (the same dict).
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            self.histogram.labels(scope.get("method", ""), template, str(status)).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Adds the latency middleware and `/metrics` to one app, with that app's own histogram."""
    histogram = new_latency_histogram()
    app.state.http_latency = histogram
    app.add_middleware(LatencyMiddleware, histogram=histogram)
    app.include_router(router)


def _authorized(request: Request, token: str) -> bool:
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@router.get("/metrics")
async def metrics(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if not settings.metrics_token and not settings.dev_mode:
        raise not_found("Halaman")
    if not _authorized(request, settings.metrics_token):
        return Response("Akses metrik memerlukan token yang benar (Authorization: Bearer <token>).\n", status_code=401,
                        media_type="text/plain; charset=utf-8", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OperationsCollector(await read_snapshot(session)))
    registry.register(request.app.state.http_latency)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
