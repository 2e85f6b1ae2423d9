"""Figures 1, 2, 3 and 7: the leave process through the gateway's HTTP API against the floor
(bench/floor.py) on the same Temporal dev server in the same run.

Every part runs as its own process, so its CPU time and peak memory can be read from /proc:
the Temporal dev server (a WAL SQLite file), SatuPintu's worker and gateway, and the floor's worker.
The load (HTTP users, Temporal client calls) comes from this process and is not counted."""

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.common import CpuMeter, figure, free_port, pct, peak_rss_mb, run_pool
from bench.floor_workflow import FloorDecision, FloorInput, FloorWorkflow
from bench.profile_summary import write_summaries
from cli.seed import COURT, DEMO_PASSWORD, seed_demo
from cli.smtp_sink import start_sink
from contracts import LeaveResult
from gateway.security import hash_password
from office.calendar import OfficeCalendar
from process_defs.loader import calendar_snapshot, load_office, office_defs_dir
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import User, UserRole
from store.payload_codec import data_converter
from store.settings import PROJECT_ROOT, Settings

BIN = Path(sys.prefix) / "bin"
# BENCH_PROFILE=<dir> (or 1 for var/bench/profiles): py-spy samples the worker and the gateway during the first
# N-user leave run; the raw stacks and a text summary of the top costs (bench/profile_summary.py) land in <dir>.
PROFILE = os.environ.get("BENCH_PROFILE", "").strip()
# How the bench learns a leave instance has finished: "result" (default) waits for the workflow's result as the floor
# does; "status" polls GET /api/v1/leave-requests/{id} every POLL seconds (how figures before 2026-11-23 were made).
LEAVE_WAIT = os.environ.get("BENCH_LEAVE_WAIT", "result").strip() or "result"
# SatuPintu's own database for (1)-(3) and (7): "sqlite" (default, the embedded stack's file) or "postgres" (a throwaway
# cluster, tests/pgserver.py, tuned for speed: fsync off). The floor keeps its SQLite file either way.
DATABASE = os.environ.get("BENCH_DB", "sqlite").strip() or "sqlite"
# Figure 7's second run may grow peak RSS by this much over the first: a second run of the same size meets warm
# caches (SQLAlchemy's compiled statements, the sandbox's module cache, allocator arenas) and should need no new
# memory; 5 % leaves room for allocator noise while a leak of ~1 KB per instance at N=200 would still show.
RSS_GROWTH_LIMIT = 0.05


def die_with_parent() -> None:
    """Linux: a child gets SIGTERM when the bench process dies, however it ends."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


POLL = 0.01  # seconds between looks at the inbox / task table, the same for both sides


async def prepare_database(url: str, employees: int) -> None:
    engine = make_engine(url)
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    hashed = hash_password(DEMO_PASSWORD)
    async with sm() as session:
        await seed_demo(session, hashed)
    async with sm() as session:
        atasan = (await session.execute(User.__table__.select().where(User.username == "atasan1"))).first()
        if atasan is None:  # not reached: seed_demo made atasan1
            raise RuntimeError("the demo seed has no atasan1")
        for k in range(employees):
            session.add(User(username=f"bench{k}", full_name=f"Pegawai Uji {k}", password_hash=hashed, supervisor_id=atasan.id,
                             office_id=atasan.office_id,
                             email=f"bench{k}@satupintu.local", roles=[UserRole(role="pegawai")]))
        await session.commit()
    await engine.dispose()


def working_days_from(start: date, count: int) -> list[date]:
    calendar, day = OfficeCalendar(calendar_snapshot(load_office(office_defs_dir(COURT)))), start
    days: list[date] = []
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            # Every process here is started from an argument list, which the type checker cannot know of `args`.
            raise SystemExit(f"{proc.args[:3]!r} exited with {proc.returncode}")  # type: ignore[index]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


async def connect(address: str, server: subprocess.Popen, seconds: float = 60) -> Client:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise SystemExit(f"temporal dev server exited with {server.returncode}")
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


class Floor:
    def __init__(self, client: Client, queue: str, db_file: Path) -> None:
        self.client, self.queue = client, queue
        self.engine = make_engine(f"sqlite+aiosqlite:///{db_file}")

    async def run(self, count: int, users: int, tag: str) -> dict:
        visible: list[float] = []
        updates: list[float] = []

        async def one(i: int, _u: int) -> None:
            key = f"floor-{self.queue}-{tag}-{i}"
            started = time.perf_counter()
            handle = await self.client.start_workflow(FloorWorkflow.run, FloorInput(key=key), id=key, task_queue=self.queue)
            while True:
                async with self.engine.connect() as conn:
                    if await conn.scalar(text("SELECT 1 FROM floor_task WHERE id = :k"), {"k": key}):
                        break
                await asyncio.sleep(POLL)
            visible.append(time.perf_counter() - started)
            t = time.perf_counter()
            await handle.execute_update(FloorWorkflow.decide, FloorDecision(outcome="approve"))
            updates.append(time.perf_counter() - t)
            await handle.result()

        started = time.perf_counter()
        await run_pool(count, users, one)
        elapsed = time.perf_counter() - started
        return {"per_second": count / elapsed, "elapsed": elapsed, "visible": visible, "decision": updates, "polls_per_instance": {}}


class Leave:
    def __init__(self, http: httpx.AsyncClient, days: list[date], temporal: Client, db_url: str) -> None:
        self.http, self.days, self.next_day, self.temporal = http, days, 0, temporal
        self.tokens: dict[str, dict] = {}
        # Waiting for a task row is read from SQL, as the floor does, and not counted: a person does not reload
        # the inbox a hundred times a second, and the gateway's CPU figure must be the process's, not the polling's.
        self.engine = make_engine(db_url)

    async def row_open(self, task_id: str) -> None:
        while True:
            async with self.engine.connect() as conn:
                if await conn.scalar(text("SELECT 1 FROM task WHERE id = :k AND status = 'open'"), {"k": task_id}):
                    return
            await asyncio.sleep(POLL)

    async def token(self, username: str) -> dict:
        if username not in self.tokens:
            r = await self.http.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            r.raise_for_status()
            self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[username]

    async def run(self, count: int, users: int) -> dict:
        http = self.http
        employees = [await self.token(f"bench{k}") for k in range(users)]
        supervisor, officer = await self.token("atasan1"), await self.token("penomoran1")
        days = self.days[self.next_day:self.next_day + count]
        self.next_day += count
        visible: list[float] = []
        decisions: list[float] = []
        polls = {"inbox": 0, "status": 0, "decision_retries": 0}

        async def decide(task_id: str, headers: dict, outcome: str) -> None:
            while True:
                t = time.perf_counter()
                r = await http.post(f"/api/v1/tasks/{task_id}/decision", headers=headers, json={"outcome": outcome})
                if r.status_code == 200:
                    decisions.append(time.perf_counter() - t)
                    return
                if r.status_code not in (403, 404, 409):
                    raise RuntimeError(f"{task_id}: {r.status_code} {r.text}")
                polls["decision_retries"] += 1
                await asyncio.sleep(POLL)

        async def one(i: int, u: int) -> None:
            started = time.perf_counter()
            r = await http.post("/api/v1/leave-requests", headers=employees[u], json={
                "leave_type": "sakit", "start_date": days[i].isoformat(), "end_date": days[i].isoformat(), "reason": "bench"})
            if r.status_code != 201:
                raise RuntimeError(f"submit: {r.status_code} {r.text}")
            leave_id = r.json()["id"]
            task_id = f"leave-{leave_id}.persetujuan-atasan"
            # Visible in the inbox: the supervisor's first page (50, newest first) lists it. The row is waited for in
            # SQL; the inbox is then asked until it lists it (once, unless the page is read before the row commits).
            await self.row_open(task_id)
            while True:
                polls["inbox"] += 1
                page = (await http.get("/api/v1/tasks", headers=supervisor, params={"limit": 50})).json()
                if any(item["id"] == task_id for item in page["items"]):
                    break
                await asyncio.sleep(POLL)
            visible.append(time.perf_counter() - started)
            await decide(task_id, supervisor, "approve")
            await self.row_open(f"leave-{leave_id}.penomoran-surat")
            await decide(f"leave-{leave_id}.penomoran-surat", officer, "assign_number")
            # The end of the instance, waited for as the floor waits for its own: the workflow's result (a long poll
            # on Temporal, not counted). Polling the status page every 10 ms instead made the gateway's CPU figure
            # mostly the bench's own requests (~20 per instance), growing with latency. Once the run has finished,
            # the gateway must report the letter approved.
            if LEAVE_WAIT == "status":
                while (await http.get(f"/api/v1/leave-requests/{leave_id}", headers=employees[u])).json()["status"] != "approved":
                    polls["status"] += 1
                    await asyncio.sleep(POLL)
                return
            result = await self.temporal.get_workflow_handle(f"leave-{leave_id}", result_type=LeaveResult).result()
            polls["status"] += 1
            shown = (await http.get(f"/api/v1/leave-requests/{leave_id}", headers=employees[u])).json()["status"]
            if result.status != "approved" or shown != "approved":
                raise RuntimeError(f"leave-{leave_id}: workflow {result.status}, gateway shows {shown}")

        started = time.perf_counter()
        await run_pool(count, users, one)
        elapsed = time.perf_counter() - started
        return {"per_second": count / elapsed, "elapsed": elapsed, "visible": visible, "decision": decisions,
                "polls_per_instance": {k: round(v / count, 1) for k, v in polls.items()}}


class Profiler:
    """py-spy attached to running processes (root or ptrace allowed); stopped with SIGINT, which makes it write."""

    def __init__(self, out_dir: Path, pids: dict[str, int]) -> None:
        self.out_dir, self.pids = out_dir, pids
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> "Profiler":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            # Not --nonblocking: without pausing the process py-spy cannot tell a thread waiting in a syscall (epoll,
            # a queue, SQLite's thread) from one running, and the profile becomes wall time per thread, not CPU.
            self.procs[name] = subprocess.Popen(
                [str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
                 "--output", str(self.out_dir / f"{name}.raw.txt")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent)
        time.sleep(0.5)  # attached before the load starts
        return self

    def stop(self) -> dict[str, Path]:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        return {name: self.out_dir / f"{name}.raw.txt" for name in self.procs}


def profile_dir() -> Path | None:
    if not PROFILE or PROFILE == "0":
        return None
    return PROJECT_ROOT / "var" / "bench" / "profiles" if PROFILE == "1" else Path(PROFILE)


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def process_figures(tmp: Path, *, n: int, users: int, log: Callable[[str], object] = print) -> tuple[list[dict], dict]:
    n1 = max(10, n // 10)  # the single-user runs
    temporal_port, smtp_port, http_port = free_port(), free_port(), free_port()
    address = f"127.0.0.1:{temporal_port}"
    devnull = subprocess.DEVNULL
    children: list[subprocess.Popen] = []
    postgres = None
    # The processes start (and are waited for) before anything is measured, with nothing else on the event loop yet:
    # blocking it here delays nobody.
    server = subprocess.Popen(  # noqa: ASYNC220 - set-up, see above
        [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(temporal_port),
         "--db-filename", str(tmp / "temporal.db"), "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
         "--log-level", "error"], stdout=devnull, stderr=devnull, preexec_fn=die_with_parent)
    children.append(server)
    sink = start_sink(tmp / "mail", port=smtp_port)
    try:
        client = await connect(address, server)
        if DATABASE == "postgres":
            from tests.pgserver import ThrowawayPostgres  # noqa: PLC0415 - the tests' throwaway PostgreSQL, only when the figure runs on it

            postgres = ThrowawayPostgres()
            postgres.start()
            db_url = postgres.url
        else:
            db_url = f"sqlite+aiosqlite:///{tmp / 'satupintu.db'}"
        await prepare_database(db_url, users)
        child_env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp), "SATUPINTU_DATABASE_URL": db_url, "SATUPINTU_TEMPORAL_ADDRESS": address,
                     "SATUPINTU_SMTP_PORT": str(smtp_port), "SATUPINTU_TASK_QUEUE": "bench", "SATUPINTU_PUBLIC_BASE_URL": f"http://127.0.0.1:{http_port}"}
        worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=child_env, stdout=devnull, stderr=devnull,  # noqa: ASYNC220 - set-up, see above
                                  preexec_fn=die_with_parent)
        children.append(worker)
        gateway = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--host", "127.0.0.1",  # noqa: ASYNC220 - set-up, see above
                                    "--port", str(http_port), "--log-level", "warning", "--no-access-log"], env=child_env, stdout=devnull,
                                   preexec_fn=die_with_parent)
        children.append(gateway)
        floor_queue = f"floor-{uuid.uuid4().hex[:6]}"
        floor_worker = subprocess.Popen([sys.executable, "-m", "bench.floor_worker", address, floor_queue, str(tmp / "floor.db")],  # noqa: ASYNC220 - set-up, see above
                                        stdout=subprocess.PIPE, stderr=devnull, preexec_fn=die_with_parent)
        children.append(floor_worker)
        if floor_worker.stdout is None:  # not reached: stdout=PIPE
            raise RuntimeError("the floor worker has no stdout")
        if floor_worker.stdout.readline().strip() != b"ready":
            raise SystemExit("the floor worker did not start")
        wait_http(f"http://127.0.0.1:{http_port}/healthz", gateway)

        floor = Floor(client, floor_queue, tmp / "floor.db")
        log(f"  floor, 1 user x {n1}")
        floor1 = await floor.run(n1, 1, "one")
        log(f"  floor, {users} users x {n}")
        meter = CpuMeter({"server": server.pid, "floor_worker": floor_worker.pid}).start()
        floor_n = await floor.run(n, users, "many")
        floor_cpu = meter.stop()
        await floor.engine.dispose()

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=60,
                                     limits=httpx.Limits(max_connections=users * 3)) as http:
            # The bench's own client for waiting on results: it must read the payloads the worker encrypted.
            results = await Client.connect(address, data_converter=data_converter(Settings(var_dir=tmp)))
            leave = Leave(http, working_days_from(date.today() + timedelta(days=60), 2 * n + n1), results, db_url)
            await leave.token("atasan1")
            log(f"  leave via gateway, 1 user x {n1}")
            leave1 = await leave.run(n1, 1)
            log(f"  leave via gateway, {users} users x {n}")
            profiler = Profiler(out, {"worker": worker.pid, "gateway": gateway.pid}).start() if (out := profile_dir()) else None
            meter = CpuMeter({"server": server.pid, "worker": worker.pid, "gateway": gateway.pid}).start()
            leave_n = await leave.run(n, users)
            leave_cpu = meter.stop()
            if profiler is not None and out is not None:  # a profiler only for an output folder
                write_summaries(profiler.stop(), out, cpu_s=leave_cpu, n=n, users=users)
            rss = {"worker": peak_rss_mb(worker.pid), "gateway": peak_rss_mb(gateway.pid), "floor_worker": peak_rss_mb(floor_worker.pid)}
            # Figure 7: the same load once more on the same worker and gateway; their peak must not keep growing.
            log(f"  leave via gateway again, {users} users x {n}")
            meter = CpuMeter({"server": server.pid, "worker": worker.pid, "gateway": gateway.pid}).start()
            leave_again = await leave.run(n, users)
            again_cpu = meter.stop()
            rss2 = {"worker": peak_rss_mb(worker.pid), "gateway": peak_rss_mb(gateway.pid)}
    finally:
        stop(children[1:])
        stop(children[:1])
        sink.stop()
        if postgres is not None:
            postgres.stop()

    ms = 1000
    floor_cpu_ms = sum(floor_cpu.values()) / n * ms
    leave_cpu_ms = sum(leave_cpu.values()) / n * ms
    throughput_ratio = leave_n["per_second"] / floor_n["per_second"]
    figures = [
        figure("1. leave throughput via gateway", leave_n["per_second"], "instances/s", baseline=floor_n["per_second"],
               target=">= 0.8x floor", met=throughput_ratio >= 0.8),
        figure("1. CPU per instance (server+worker+gateway)", leave_cpu_ms, "ms", baseline=floor_cpu_ms,
               target="<= 1.3x floor", met=leave_cpu_ms <= 1.3 * floor_cpu_ms, digits=1),
    ]
    for label, lv, fl in (("1 user", leave1, floor1), (f"{users} users", leave_n, floor_n)):
        for q in (50, 99):
            overhead = (pct(lv["decision"], q) - pct(fl["decision"], q)) * ms
            figures.append(figure(f"2. decision overhead p{q}, {label}", overhead, "ms", baseline=pct(fl["decision"], q) * ms,
                                  ratio=pct(lv["decision"], q) / pct(fl["decision"], q),
                                  target="<= 25 ms" if q == 99 else None, met=overhead <= 25 if q == 99 else None, digits=1))
    for q in (50, 99):
        value, base = pct(leave_n["visible"], q) * ms, pct(floor_n["visible"], q) * ms
        figures.append(figure(f"3. start -> in inbox p{q}, {users} users", value, "ms", baseline=base,
                              target="<= 1.2x floor", met=value <= 1.2 * base, digits=1))
    figures.append(figure("7. peak RSS worker", rss["worker"], "MB", baseline=rss["floor_worker"], digits=1))
    figures.append(figure("7. peak RSS gateway", rss["gateway"], "MB", digits=1))
    for name in ("worker", "gateway"):
        growth = rss2[name] / rss[name] - 1
        figures.append(figure(f"7. RSS growth run 2 vs run 1, {name}", growth * 100, "%", baseline=rss[name], ratio=rss2[name] / rss[name],
                              target=f"<= {RSS_GROWTH_LIMIT:.0%}", met=growth <= RSS_GROWTH_LIMIT, digits=1))
    if DATABASE == "postgres":
        # PostgreSQL's own CPU is not in figure 1's (its backends are not children of the measured processes).
        for f in figures:
            f["name"] += " [PostgreSQL]"
    detail = {"database": DATABASE, "floor_cpu_s": floor_cpu, "leave_cpu_s": leave_cpu, "n_single_user": n1,
              "peak_rss_mb_run1": {k: round(v, 1) for k, v in rss.items()}, "peak_rss_mb_run2": {k: round(v, 1) for k, v in rss2.items()},
              "leave_run2_per_second": round(leave_again["per_second"], 2), "leave_run2_cpu_s": again_cpu,
              "floor_elapsed_s": round(floor_n["elapsed"], 2), "leave_elapsed_s": round(leave_n["elapsed"], 2),
              "leave_polls_per_instance": leave_n["polls_per_instance"], "poll_interval_s": POLL, "leave_wait": LEAVE_WAIT}
    return figures, detail
