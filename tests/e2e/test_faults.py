"""Faults survived (issue 7): the parts of the embedded stack are killed and restarted while processes run,
and what people see afterwards is checked — every run done, every letter number once and none skipped, every
message received once, every acknowledged decision on record.

Each test has its own stack: a file-backed Temporal dev server, the worker and (where needed) the gateway as
child processes, so they can be killed with SIGKILL; a seeded SQLite database; an SMTP sink and the WhatsApp fake.
The replicas test runs two workers and two gateways in production mode on a throwaway PostgreSQL instead."""

import asyncio
import mailbox
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError

from cli.smtp_sink import IDEMPOTENCY_HEADER, start_sink
from cli.wa_fake import start_fake
from contracts import DECIDE_TASK, DecisionRequest, LeaveResult, TaskAck
from store.models import IssuedNumber, LeaveRequest, Notification, Task
from store.temporal import connect
from tests.conftest import BIN, Database, free_port, make_database
from tests.factories import COURT, actor_for, calendar_of, login, start_leave, wait_for, wait_for_task
from workflows.human_task import ERR_ALREADY_DECIDED, ERR_NOT_FOUND

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
SUPERVISOR_KEY, NUMBER_KEY = "persetujuan-atasan", "penomoran-surat"


def _wait_port(port: int, proc: subprocess.Popen, name: str, seconds: float = 60) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proc.poll() is None, f"{name} stopped while starting (code {proc.returncode})"
        assert time.monotonic() < deadline, f"{name} did not listen on {port}"
        time.sleep(0.1)


@dataclass
class Stack:
    tmp: Path
    db: Database
    temporal_port: int
    env: dict
    sink: object = None
    whatsapp: object = None
    client: Client | None = None
    temporal: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    gateway: subprocess.Popen | None = None
    gateway_port: int = 0
    children: list = field(default_factory=list)

    @property
    def maildir(self) -> Path:
        return self.tmp / "mail"

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.children)}.log", "wb")
        proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append(proc)
        return proc

    def start_temporal(self) -> None:
        self.temporal = self._spawn("temporal", [
            str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.temporal_port), "--headless",
            "--db-filename", str(self.tmp / "temporal.db"), "--log-level", "error",
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"])
        _wait_port(self.temporal_port, self.temporal, "Temporal")

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", [sys.executable, "-m", "cli.main", "worker"])

    def start_gateway(self) -> None:
        self.gateway = self._spawn("gateway", [sys.executable, "-m", "cli.main", "gateway", "--port", str(self.gateway_port)])
        _wait_port(self.gateway_port, self.gateway, "gateway")

    @staticmethod
    def kill(proc: subprocess.Popen | None) -> None:
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def start_sink(self) -> None:
        self.sink = start_sink(self.maildir, port=self.db.settings.smtp_port)

    def mail(self) -> list:
        return list(mailbox.Maildir(self.maildir, factory=None, create=False))


@pytest.fixture
async def stack(tmp_path: Path):
    smtp_port, temporal_port, gateway_port = free_port(), free_port(), free_port()
    whatsapp = start_fake(tmp_path / "whatsapp", port=free_port())
    task_queue = f"faults-{uuid.uuid4().hex[:8]}"
    db = await make_database(tmp_path, smtp_port=smtp_port, task_queue=task_queue, temporal_address=f"127.0.0.1:{temporal_port}",
                             whatsapp_api_url=whatsapp.url, whatsapp_fake_port=whatsapp.port,
                             public_base_url=f"http://127.0.0.1:{gateway_port}")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_DATABASE_URL": db.settings.database_url,
           "SATUPINTU_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "SATUPINTU_TASK_QUEUE": task_queue,
           "SATUPINTU_SMTP_PORT": str(smtp_port), "SATUPINTU_WHATSAPP_API_URL": whatsapp.url,
           "SATUPINTU_WHATSAPP_FAKE_PORT": str(whatsapp.port), "SATUPINTU_PUBLIC_BASE_URL": f"http://127.0.0.1:{gateway_port}",
           "SATUPINTU_DEV_MODE": "true", "SATUPINTU_TRACES_EXPORTER": "", "SATUPINTU_LOG_LEVEL": "WARNING",
           "SATUPINTU_RUN_INDEX_INTERVAL_SECONDS": "60",
           # The children encrypt and read Temporal payloads with the test database's key (store/payload_codec.py).
           "SATUPINTU_PAYLOAD_KEY": getattr(db.settings, "payload_key", "")}
    s = Stack(tmp=tmp_path, db=db, temporal_port=temporal_port, env=env, whatsapp=whatsapp, gateway_port=gateway_port)
    s.start_sink()
    s.start_temporal()
    # The worker's own way of connecting: the same data converter (and payload codec) as the processes it talks to.
    s.client = await connect(db.settings)
    s.start_worker()
    try:
        yield s
    finally:
        for proc in reversed(s.children):
            s.kill(proc)
        if s.sink is not None:
            s.sink.stop()
        whatsapp.stop()
        await db.engine.dispose()


# --- helpers -------------------------------------------------------------------------------------


async def decide_durably(stack: Stack, workflow_id: str, key: str, actor, outcome: str, *, timeout: float = 240) -> None:
    """Decides once the inbox shows the task, riding out a dead worker or server: a refusal that the decision is
    already in (an earlier attempt got through) counts as done."""
    task_id = f"{workflow_id}.{key}"
    await wait_for_task(stack.db.sessionmaker, task_id, timeout=timeout)
    handle = stack.client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=actor, outcome=outcome),
                                        id=f"{task_id}.keputusan.{attempt}", result_type=TaskAck)
            return
        except WorkflowUpdateFailedError as exc:
            kind = getattr(exc.cause, "type", None)
            if kind == ERR_ALREADY_DECIDED:
                return
            if kind != ERR_NOT_FOUND:
                raise
        except (TimeoutError, RPCError):
            pass
        assert time.monotonic() < deadline, f"{task_id}: decision not accepted in {timeout:.0f} s"
        await asyncio.sleep(0.5)


async def accepted_decisions(client: Client, workflow_id: str) -> list[DecisionRequest]:
    """The decisions in the run's history (its accepted updates), as an auditor reads them."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if request.input.name == DECIDE_TASK:
                found.extend(await client.data_converter.decode(request.input.args.payloads, [DecisionRequest]))
    return found


def assert_each_mail_once(stack: Stack, expected_keys: set[str]) -> None:
    """As a recipient sees it: one message per idempotency key in the mailbox, and every expected one there."""
    keys = Counter(m[IDEMPOTENCY_HEADER] for m in stack.mail())
    assert [k for k, n in keys.items() if n > 1] == []
    assert expected_keys - set(keys) == set(), "mail not delivered"


async def email_keys(stack: Stack, workflow_ids: list[str]) -> set[str]:
    """The idempotency keys of every e-mail the runs recorded as sent."""
    async with stack.db.sessionmaker() as session:
        rows = (await session.scalars(select(Notification).where(Notification.channel == "email"))).all()
    ours = [r for r in rows if any(r.idempotency_key.startswith(w + ".") for w in workflow_ids)]
    assert all(r.status == "sent" for r in ours), [(r.idempotency_key, r.status, r.last_error) for r in ours if r.status != "sent"]
    return {r.idempotency_key for r in ours}


# --- 1. the worker is killed with SIGKILL in the middle of 200 running processes ---------------------------------


# About 3.5 minutes on a shared 2-core machine: `make test-faults` runs it (CI too), `make test` leaves it out.
@pytest.mark.heavy
async def test_worker_killed_mid_flight_loses_and_doubles_nothing(stack: Stack):
    # Bounded so the test's own connection pool (5 + 10) is never the limit: a start holds two connections.
    n = 200
    db, client, queue = stack.db, stack.client, stack.db.settings.task_queue
    supervisor, officer = await actor_for(db.sessionmaker, "atasan1"), await actor_for(db.sessionmaker, "penomoran1")
    starting, deciding = asyncio.Semaphore(5), asyncio.Semaphore(12)
    numbered = 0
    killed = asyncio.Event()

    async def one() -> str:
        nonlocal numbered
        async with starting:
            handle, _ = await start_leave(client, db.sessionmaker, task_queue=queue)
        async with deciding:
            await decide_durably(stack, handle.id, SUPERVISOR_KEY, supervisor, "approve")
        async with deciding:
            await decide_durably(stack, handle.id, NUMBER_KEY, officer, "assign_number")
        numbered += 1
        return handle.id

    async def killer() -> None:
        # Mid-flight: a third of the runs are numbering, rendering, signing and notifying; the others wait for decisions.
        await wait_for(lambda: asyncio.sleep(0, numbered >= n // 3), timeout=600)
        stack.kill(stack.worker)
        killed.set()
        await asyncio.sleep(1)
        stack.start_worker()

    kill_task = asyncio.create_task(killer())
    workflow_ids = await asyncio.gather(*(one() for _ in range(n)))
    await kill_task
    assert killed.is_set()

    # Every run completes (activities the dead worker held are retried after their start-to-close timeout).
    results = await asyncio.gather(*(client.get_workflow_handle(w, result_type=LeaveResult).result() for w in workflow_ids))
    assert all(r.status == "approved" for r in results)

    # The register: exactly 1..200 for the leave letters, one per run, none twice, none skipped.
    async with db.sessionmaker() as session:
        issued = (await session.scalars(select(IssuedNumber).where(IssuedNumber.scope == "ms-lhokseumawe/leave_letter"))).all()  # the court's
    assert sorted(i.sequence for i in issued) == list(range(1, n + 1))
    assert sorted(i.idempotency_key for i in issued) == sorted(f"{w}.surat-izin-cuti" for w in workflow_ids)
    assert sorted(r.letter_number for r in results) == sorted(i.number for i in issued)

    # Every e-mail once, as the recipients' mailboxes hold them; resends the sink dropped are reported, not hidden.
    assert_each_mail_once(stack, await email_keys(stack, workflow_ids))
    print(f"\nSMTP resends dropped by idempotency key after the SIGKILL: {sum(stack.sink.handler.duplicates.values())}")
    # WhatsApp: the fake keeps one message per key as well.
    wa_keys = Counter(m["biz_opaque_callback_data"] for m in stack.whatsapp.messages())
    assert [k for k, c in wa_keys.items() if c > 1] == []


# --- 2. the Temporal server is restarted --------------------------------------------------------------------------


async def test_temporal_restart_keeps_waiting_processes_and_timers(stack: Stack):
    db, client = stack.db, stack.client
    handle, _ = await start_leave(client, db.sessionmaker, task_queue=db.settings.task_queue)
    await wait_for_task(db.sessionmaker, f"{handle.id}.{SUPERVISOR_KEY}", timeout=60)

    async def reminder_timer_pending():
        events = (await handle.fetch_history()).events
        return any(e.event_type == EventType.EVENT_TYPE_TIMER_STARTED for e in events)

    await wait_for(reminder_timer_pending, timeout=60)

    # A crash of the server process, then a restart on the same file.
    stack.kill(stack.temporal)
    await asyncio.sleep(1)
    stack.start_temporal()

    # The run still waits for its supervisor, its due-date timer still set; the decision is accepted and the run completes.
    description = await handle.describe()
    assert description.status.name == "RUNNING"
    events = (await handle.fetch_history()).events
    started = {e.timer_started_event_attributes.timer_id for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED}
    fired = {e.timer_fired_event_attributes.timer_id for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED}
    assert started - fired, "the due-date timer is gone after the restart"
    await decide_durably(stack, handle.id, SUPERVISOR_KEY, await actor_for(db.sessionmaker, "atasan1"), "approve")
    await decide_durably(stack, handle.id, NUMBER_KEY, await actor_for(db.sessionmaker, "penomoran1"), "assign_number")
    result = await asyncio.wait_for(client.get_workflow_handle(handle.id, result_type=LeaveResult).result(), 120)
    assert result.status == "approved" and result.letter_number.startswith("B-1/")


# --- 3. the gateway is killed while decisions are in flight ------------------------------------------------------


async def test_gateway_killed_during_a_burst_of_decisions(stack: Stack):
    n, cut_after = 40, 3
    db, client = stack.db, stack.client
    stack.start_gateway()
    handles = [(await start_leave(client, db.sessionmaker, task_queue=db.settings.task_queue))[0] for _ in range(n)]
    task_ids = [f"{h.id}.{SUPERVISOR_KEY}" for h in handles]
    for task_id in task_ids:
        await wait_for_task(db.sessionmaker, task_id, timeout=120)
    base = f"http://127.0.0.1:{stack.gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        headers = await login(http, "atasan1")
        acknowledged: set[str] = set()

        async def decide(task_id: str) -> None:
            try:
                response = await http.post(f"/api/v1/tasks/{task_id}/decision", headers=headers, json={"outcome": "approve"})
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                acknowledged.add(task_id)
                if len(acknowledged) == cut_after:
                    stack.kill(stack.gateway)  # SIGKILL with the rest of the burst in flight

        await asyncio.gather(*(decide(t) for t in task_ids))
        assert cut_after <= len(acknowledged) < n, f"the burst was not cut: {len(acknowledged)} of {n} acknowledged"

        # Every decision the supervisor saw acknowledged is in its run's history.
        for handle, task_id in zip(handles, task_ids, strict=False):
            if task_id in acknowledged:
                assert [d.task_id for d in await accepted_decisions(client, handle.id)] == [task_id]

    # After a restart, the person repeats what was not acknowledged: 200, or the clear 409 when it had gone through.
    stack.start_gateway()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        headers = await login(http, "atasan1")
        repeats = Counter()
        for task_id in task_ids:
            response = await http.post(f"/api/v1/tasks/{task_id}/decision", headers=headers, json={"outcome": "approve"})
            repeats[response.status_code] += 1
            if task_id in acknowledged:
                assert response.status_code == 409 and "sudah diputuskan" in response.json()["detail"]
            else:
                assert response.status_code in (200, 409), response.text
                if response.status_code == 409:
                    assert "sudah diputuskan" in response.json()["detail"]
        print(f"\nacknowledged before the kill: {len(acknowledged)}/{n}; repeats after restart: {dict(repeats)}")
    # Each run holds exactly one supervisor decision, whatever the client saw.
    for handle, task_id in zip(handles, task_ids, strict=False):
        assert [d.task_id for d in await accepted_decisions(client, handle.id)] == [task_id]


# --- 4. the mail server is down for a while ------------------------------------------------------------------------
# Covered elsewhere: the notify activity retrying against a stopped sink (test_notify.py) and the WhatsApp API down while
# processes run (test_whatsapp.py). Here: the SMTP sink is stopped while leave processes run, then comes back.


async def test_mail_server_down_while_processes_run(stack: Stack):
    n = 5
    db, client = stack.db, stack.client
    stack.sink.stop()
    stack.sink = None
    handles = [(await start_leave(client, db.sessionmaker, task_queue=db.settings.task_queue))[0] for _ in range(n)]
    supervisor, officer = await actor_for(db.sessionmaker, "atasan1"), await actor_for(db.sessionmaker, "penomoran1")
    # The supervisor's task is in the inbox and the decision is taken while no mail can go out.
    await asyncio.gather(*(decide_durably(stack, h.id, SUPERVISOR_KEY, supervisor, "approve") for h in handles))
    # The process goes on while the mail server is still down: the numbering officer's task opens (its own "Tugas baru"
    # mail waiting too) and is decided, and the letter is numbered.
    await asyncio.gather(*(decide_durably(stack, h.id, NUMBER_KEY, officer, "assign_number", timeout=60) for h in handles))
    assert stack.sink is None

    async def all_approved():
        async with db.sessionmaker() as session:
            rows = (await session.scalars(select(LeaveRequest).where(LeaveRequest.workflow_id.in_([h.id for h in handles])))).all()
        return len(rows) == n and all(r.status == "approved" and r.letter_number for r in rows)

    await wait_for(all_approved, timeout=60)

    async def every_approval_mail_waiting():
        async with db.sessionmaker() as session:
            failed = (await session.scalars(select(Notification).where(Notification.channel == "email", Notification.status == "failed"))).all()
        keys = {r.idempotency_key.split("|")[0] for r in failed}
        return all({f"{h.id}.{SUPERVISOR_KEY}.opened", f"{h.id}.{NUMBER_KEY}.opened", f"{h.id}.approved"} <= keys for h in handles)

    await wait_for(every_approval_mail_waiting, timeout=60)
    async with db.sessionmaker() as session:
        inapp = (await session.scalars(select(Notification).where(Notification.channel == "inapp", Notification.status == "sent"))).all()
        sent_mail = (await session.scalars(select(Notification).where(Notification.channel == "email", Notification.status == "sent"))).all()
    assert len(inapp) >= 3 * n, "the in-app notices do not wait for the mail server"
    assert sent_mail == []
    # The cases are done, but no run completes while its mails are undelivered: its NOTIFY retries would end with it.
    for _ in range(3):
        assert {(await h.describe()).status for h in handles} == {WorkflowExecutionStatus.RUNNING}
        await asyncio.sleep(1)

    stack.start_sink()
    results = await asyncio.gather(*(asyncio.wait_for(client.get_workflow_handle(h.id, result_type=LeaveResult).result(), 180) for h in handles))
    assert all(r.status == "approved" for r in results)
    keys = await email_keys(stack, [h.id for h in handles])
    messages = {k.split("|")[0] for k in keys}
    assert all({f"{h.id}.{SUPERVISOR_KEY}.opened", f"{h.id}.{NUMBER_KEY}.opened", f"{h.id}.approved"} <= messages for h in handles)
    assert_each_mail_once(stack, keys)
    async with db.sessionmaker() as session:
        tasks = (await session.scalars(select(Task).where(Task.status != "completed"))).all()
    assert [t.id for t in tasks if any(t.id.startswith(h.id + ".") for h in handles)] == []


# --- 5. replicas: two workers and two gateways on PostgreSQL, one of each killed during traffic -----------------------


@dataclass
class Replicas:
    """Two gateways and two workers in production mode (real keys, payloads encrypted, no dev shortcuts) on one
    PostgreSQL database, one Temporal server and one shared var dir, as the README's production section runs them."""

    stack: Stack
    gateway_ports: list[int]
    gateways: list = field(default_factory=lambda: [None, None])
    workers: list = field(default_factory=lambda: [None, None])

    def start_gateway(self, i: int) -> None:
        self.gateways[i] = self.stack._spawn(f"gateway{i}", [sys.executable, "-m", "cli.main", "gateway", "--port", str(self.gateway_ports[i])])
        _wait_port(self.gateway_ports[i], self.gateways[i], f"gateway {i}")

    def start_worker(self, i: int) -> None:
        self.workers[i] = self.stack._spawn(f"worker{i}", [sys.executable, "-m", "cli.main", "worker"])


@pytest.fixture
async def replicas(tmp_path: Path):
    from cli.seed import seed_demo
    from signing.identity import DEV_SIGNER_CERT, DEV_SIGNER_KEY, _ensure_dev_identity_files
    from store.db import make_engine, make_sessionmaker
    from store.settings import Settings
    from tests.conftest import _DEMO_HASH, TEST_PAYLOAD_KEY, TEST_SECRET_KEY
    from tests.pgserver import ThrowawayPostgres, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not installed (make test installs them)")
    smtp_port, temporal_port, gateway_ports = free_port(), free_port(), [free_port(), free_port()]
    whatsapp = start_fake(tmp_path / "whatsapp", port=free_port())
    # The letters' signing key and certificate, as an office configures its own (production makes none by itself).
    keys = tmp_path / "signing-keys"
    _ensure_dev_identity_files(keys)
    with ThrowawayPostgres() as pg:
        settings = Settings(var_dir=tmp_path, database_url=pg.url, dev_mode=False, secret_key=TEST_SECRET_KEY, payload_key=TEST_PAYLOAD_KEY,
                            smtp_port=smtp_port, task_queue=f"replicas-{uuid.uuid4().hex[:8]}", temporal_address=f"127.0.0.1:{temporal_port}",
                            whatsapp_api_url=whatsapp.url, public_base_url=f"http://127.0.0.1:{gateway_ports[0]}",
                            signing_key_path=keys / DEV_SIGNER_KEY, signing_cert_path=keys / DEV_SIGNER_CERT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
        env.update({"PYTHONUNBUFFERED": "1", "SATUPINTU_DEV_MODE": "false", "SATUPINTU_SECRET_KEY": TEST_SECRET_KEY,
                    "SATUPINTU_PAYLOAD_KEY": TEST_PAYLOAD_KEY, "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_DATABASE_URL": pg.url,
                    "SATUPINTU_TEMPORAL_ADDRESS": settings.temporal_address, "SATUPINTU_TASK_QUEUE": settings.task_queue,
                    "SATUPINTU_SMTP_PORT": str(smtp_port), "SATUPINTU_WHATSAPP_API_URL": whatsapp.url,
                    "SATUPINTU_PUBLIC_BASE_URL": settings.public_base_url, "SATUPINTU_SIGNING_KEY_PATH": str(settings.signing_key_path),
                    "SATUPINTU_SIGNING_CERT_PATH": str(settings.signing_cert_path), "SATUPINTU_TRACES_EXPORTER": "",
                    "SATUPINTU_LOG_LEVEL": "WARNING", "SATUPINTU_RUN_INDEX_INTERVAL_SECONDS": "60"})
        # The schema as production makes it (migrations), then the demo organisation as this test's staff.
        subprocess.run([sys.executable, "-m", "cli.main", "init-db", "--no-seed"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=180)
        engine = make_engine(pg.url)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await seed_demo(session, _DEMO_HASH)
        stack = Stack(tmp=tmp_path, db=Database(settings=settings, engine=engine, sessionmaker=sessionmaker), temporal_port=temporal_port,
                      env=env, whatsapp=whatsapp)
        r = Replicas(stack=stack, gateway_ports=gateway_ports)
        try:
            stack.start_sink()
            stack.start_temporal()
            stack.client = await connect(settings)
            for i in (0, 1):
                r.start_worker(i)
                r.start_gateway(i)
            yield r
        finally:
            for proc in reversed(stack.children):
                stack.kill(proc)
            if stack.sink is not None:
                stack.sink.stop()
            whatsapp.stop()
            await engine.dispose()


class TwoGateways:
    """What a load balancer in front of two gateways does: each request to one of them, and a request the one it
    went to cannot answer (refused, or cut off when that gateway dies) sent to the other. Every status is counted."""

    def __init__(self, ports: list[int]) -> None:
        self.bases = [f"http://127.0.0.1:{p}" for p in ports]
        self.http = httpx.AsyncClient(timeout=120)
        self.statuses: Counter = Counter()
        self.resent = 0

    async def send(self, prefer: int, method: str, path: str, **kwargs) -> tuple[httpx.Response, bool]:
        """The answer, and whether the request had to be sent again (so it may have been carried out already)."""
        for attempt in range(40):
            try:
                response = await self.http.request(method, self.bases[(prefer + attempt) % 2] + path, **kwargs)
            except httpx.TransportError:
                self.resent += 1
                await asyncio.sleep(0.25)
                continue
            self.statuses[response.status_code] += 1
            return response, attempt > 0
        raise AssertionError(f"{method} {path}: no gateway answered")


@pytest.mark.heavy
@pytest.mark.postgres
async def test_two_workers_and_two_gateways_on_postgres_survive_losing_one_of_each(replicas: Replicas):
    from gateway.services.people import office_today

    n = 40
    stack, db = replicas.stack, replicas.stack.db
    lb = TwoGateways(replicas.gateway_ports)
    employees = ["pegawai1", "pegawai2"]
    headers = {}
    for i, username in enumerate([*employees, "atasan1", "penomoran1"]):
        response, _ = await lb.send(i, "POST", "/api/v1/auth/login", json={"username": username, "password": "Demo12345"})
        assert response.status_code == 200, response.text
        headers[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    # One sick-leave day per request, each employee's on days of their own (no overlaps, no balance to run out).
    calendar, day, days = calendar_of(COURT), office_today() + timedelta(weeks=3), []  # the employees' office, the court
    while len(days) < n // 2:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)

    numbered = 0

    async def decide(prefer: int, username: str, task_id: str, outcome: str) -> None:
        while True:  # the inbox, refreshed until the task is there
            response, _ = await lb.send(prefer, "GET", f"/api/v1/tasks/{task_id}", headers=headers[username])
            if response.status_code == 200 and response.json()["status"] == "open":
                break
            assert response.status_code in (200, 404), response.text
            await asyncio.sleep(0.5)
        response, resent = await lb.send(prefer + 1, "POST", f"/api/v1/tasks/{task_id}/decision", headers=headers[username],
                                          json={"outcome": outcome})
        # Sent again after its gateway died: it may have gone through the first time, and is then refused as decided.
        assert response.status_code == 200 or (resent and response.status_code == 409 and response.json()["code"] == ERR_ALREADY_DECIDED), \
            response.text

    async def one(i: int) -> str:
        nonlocal numbered
        prefer, employee = i % 2, employees[i % 2]
        body = {"leave_type": "sakit", "start_date": days[i // 2].isoformat(), "end_date": days[i // 2].isoformat(), "reason": "Sakit"}
        response, _ = await lb.send(prefer, "POST", "/api/v1/leave-requests", json=body,
                                    headers={**headers[employee], "Idempotency-Key": f"cuti-{i}"})
        assert response.status_code in (200, 201), response.text
        workflow_id = response.json()["workflow_id"]
        await decide(prefer + 1, "atasan1", f"{workflow_id}.{SUPERVISOR_KEY}", "approve")
        await decide(prefer, "penomoran1", f"{workflow_id}.{NUMBER_KEY}", "assign_number")
        numbered += 1
        return workflow_id

    async def killer() -> None:
        await wait_for(lambda: asyncio.sleep(0, numbered >= n // 4), timeout=900)
        # Whatever gateway 1 is doing, a leave request's submit included: one it recorded and did not live to start is
        # started when the client sends it again to gateway 0 with its Idempotency-Key (store/outbox.py).
        stack.kill(replicas.workers[0])
        stack.kill(replicas.gateways[1])
        await asyncio.sleep(1)
        replicas.start_worker(0)
        replicas.start_gateway(1)

    kill_task = asyncio.create_task(killer())
    starting = asyncio.Semaphore(8)

    async def paced(i: int) -> str:
        async with starting:
            return await one(i)

    try:
        workflow_ids = await asyncio.gather(*(paced(i) for i in range(n)))
        await kill_task
    finally:
        kill_task.cancel()
        await lb.http.aclose()
    assert replicas.workers[0].poll() is None and replicas.gateways[1].poll() is None
    print(f"\nanswers: {dict(lb.statuses)}; requests sent again to the other gateway: {lb.resent}")
    # No answer was a server error, whichever gateway it came from and whatever had died meanwhile.
    assert [s for s in lb.statuses if s >= 500] == []
    assert lb.resent > 0, "no request met the killed gateway"

    results = await asyncio.gather(*(asyncio.wait_for(stack.client.get_workflow_handle(w, result_type=LeaveResult).result(), 300)
                                     for w in workflow_ids))
    assert all(r.status == "approved" for r in results)
    async with db.sessionmaker() as session:
        issued = (await session.scalars(select(IssuedNumber).where(IssuedNumber.scope == "ms-lhokseumawe/leave_letter"))).all()  # the court's
    assert sorted(i.sequence for i in issued) == list(range(1, n + 1))
    assert sorted(r.letter_number for r in results) == sorted(i.number for i in issued)
    assert_each_mail_once(stack, await email_keys(stack, workflow_ids))
