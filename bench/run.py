"""`make bench`: leave requests completed per second through the gateway's HTTP API, against the
floor (bench/floor.py) on the same Temporal dev server, in one run. Figures go to stdout and to
var/bench/summary.json.

Environment: BENCH_N (instances per figure, default 200), BENCH_USERS (concurrent users, default 10).
"""

import asyncio
import json
import shutil
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.floor import FloorActivities, FloorBase
from bench.floor_workflow import FloorDecision, FloorInput, FloorWorkflow
from gateway.security import hash_password
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import User, UserRole
from store.seed import DEMO_PASSWORD, seed_demo
from store.settings import PROJECT_ROOT

N = int(os.environ.get("BENCH_N", "200"))
USERS = int(os.environ.get("BENCH_USERS", "10"))
BIN = Path(sys.prefix) / "bin"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_pool(count: int, users: int, one) -> list[float]:  # noqa: ANN001
    """Runs `one(i)` for i in range(count) with `users` concurrent workers; returns each latency."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def user_loop(u: int) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            await one(i, u)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(user_loop(u) for u in range(users)))
    return latencies


async def floor_figure(client: Client, tmp: Path) -> dict:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'floor.db'}")
    await create_schema(engine)
    async with engine.begin() as conn:
        await conn.run_sync(FloorBase.metadata.create_all)
    acts = FloorActivities(make_sessionmaker(engine))
    queue = f"floor-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[FloorWorkflow], activities=[acts.write_task, acts.assign]):
        async def one(i: int, _u: int) -> None:
            handle = await client.start_workflow(FloorWorkflow.run, FloorInput(key=f"floor-{queue}-{i}"), id=f"floor-{queue}-{i}", task_queue=queue)
            await handle.execute_update(FloorWorkflow.decide, FloorDecision(outcome="approve"))
            await handle.result()

        started = time.perf_counter()
        latencies = await run_pool(N, USERS, one)
        elapsed = time.perf_counter() - started
    await engine.dispose()
    return {"per_second": N / elapsed, "elapsed": elapsed, "p50": sorted(latencies)[len(latencies) // 2]}


async def prepare_database(tmp: Path, employees: int) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'satupintu.db'}")
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    hashed = hash_password(DEMO_PASSWORD)
    async with sm() as session:
        await seed_demo(session, hashed)
    async with sm() as session:
        atasan = (await session.execute(User.__table__.select().where(User.username == "atasan1"))).first()
        for k in range(employees):
            session.add(User(username=f"bench{k}", full_name=f"Pegawai Uji {k}", password_hash=hashed, supervisor_id=atasan.id,
                             email=f"bench{k}@satupintu.local", roles=[UserRole(role="pegawai")]))
        await session.commit()
    await engine.dispose()


def working_days_from(start: date, count: int) -> list[date]:
    from gateway.services.leave import office_calendar

    calendar, days, day = office_calendar(), [], start
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


async def leave_figure(base_url: str) -> dict:
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=USERS * 3)) as http:
        async def token(username: str) -> dict:
            r = await http.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            r.raise_for_status()
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        employees = [await token(f"bench{k}") for k in range(USERS)]
        supervisor, officer = await token("atasan1"), await token("penomoran1")
        # Sick leave on distinct single days, so no request overlaps another and no balance runs out.
        days = working_days_from(date.today() + timedelta(days=60), N)

        async def decide(task_id: str, headers: dict, outcome: str) -> None:
            while True:
                r = await http.post(f"/api/v1/tasks/{task_id}/decision", headers=headers, json={"outcome": outcome})
                if r.status_code == 200:
                    return
                if r.status_code not in (404, 409):
                    raise RuntimeError(f"{task_id}: {r.status_code} {r.text}")
                await asyncio.sleep(0.02)

        async def one(i: int, u: int) -> None:
            r = await http.post("/api/v1/leave-requests", headers=employees[u], json={
                "leave_type": "sakit", "start_date": days[i].isoformat(), "end_date": days[i].isoformat(), "reason": "bench"})
            if r.status_code != 201:
                raise RuntimeError(f"submit: {r.status_code} {r.text}")
            leave_id = r.json()["id"]
            await decide(f"leave-{leave_id}.persetujuan-atasan", supervisor, "approve")
            await decide(f"leave-{leave_id}.penomoran-surat", officer, "assign_number")
            while (await http.get(f"/api/v1/leave-requests/{leave_id}", headers=employees[u])).json()["status"] != "approved":
                await asyncio.sleep(0.02)

        started = time.perf_counter()
        latencies = await run_pool(N, USERS, one)
        elapsed = time.perf_counter() - started
    return {"per_second": N / elapsed, "elapsed": elapsed, "p50": sorted(latencies)[len(latencies) // 2]}


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gateway exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("gateway did not start")


async def main() -> int:
    from cli.smtp_sink import start_sink

    tmp = Path(tempfile.mkdtemp(prefix="satupintu-bench-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"), data_converter=pydantic_data_converter,
        dev_server_database_filename=str(tmp / "temporal.db"),
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"],
    )
    smtp_port, http_port = free_port(), free_port()
    sink = start_sink(tmp / "mail", port=smtp_port)
    await prepare_database(tmp, USERS)
    target = env.client.service_client.config.target_host
    child_env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp), "SATUPINTU_TEMPORAL_ADDRESS": target, "SATUPINTU_SMTP_PORT": str(smtp_port),
                 "SATUPINTU_TASK_QUEUE": "bench", "SATUPINTU_PUBLIC_BASE_URL": f"http://127.0.0.1:{http_port}"}
    children = [
        subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--host", "127.0.0.1", "--port", str(http_port),
                          "--log-level", "warning", "--no-access-log"], env=child_env, stdout=subprocess.DEVNULL),
    ]
    try:
        wait_http(f"http://127.0.0.1:{http_port}/healthz", children[1])
        print(f"SatuPintu bench: N={N} per figure, {USERS} concurrent users, Temporal dev server on a WAL SQLite file", flush=True)
        floor = await floor_figure(env.client, tmp)
        leave = await leave_figure(f"http://127.0.0.1:{http_port}")
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        sink.stop()
        await env.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)

    ratio = leave["per_second"] / floor["per_second"]
    figures = [
        {"name": "floor_instances_per_second", "value": round(floor["per_second"], 2), "unit": "instances/s", "baseline": None, "ratio": None, "target": None, "met": None},
        {"name": "leave_requests_per_second_via_gateway", "value": round(leave["per_second"], 2), "unit": "instances/s",
         "baseline": round(floor["per_second"], 2), "ratio": round(ratio, 3), "target": None, "met": None},
        {"name": "floor_p50_latency", "value": round(floor["p50"] * 1000, 1), "unit": "ms", "baseline": None, "ratio": None, "target": None, "met": None},
        {"name": "leave_p50_latency", "value": round(leave["p50"] * 1000, 1), "unit": "ms", "baseline": round(floor["p50"] * 1000, 1),
         "ratio": round(leave["p50"] / floor["p50"], 3), "target": None, "met": None},
    ]
    print(f"\n{'figure':42} {'value':>10} {'unit':12} {'floor':>10} {'ratio':>7}")
    for f in figures:
        print(f"{f['name']:42} {f['value']:>10} {f['unit']:12} {str(f['baseline'] or ''):>10} {str(f['ratio'] or ''):>7}")
    out = PROJECT_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({"n": N, "users": USERS, "figures": figures}, indent=2))
    print(f"\nwritten: {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    status = asyncio.run(main())
    sys.stdout.flush()
    os._exit(status)
