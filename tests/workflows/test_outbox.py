"""A case recorded but never started is started (issue 15): a gateway that dies between committing a person's
submission and starting its workflow (SIGKILL, a crash, a deploy) used to leave the case row with no run: the
submission silently lost, a repeat with the same Idempotency-Key answered with that row as if started, and for leave
the dates blocked by a request nobody could decide. The case and what starts it are now committed together
(store/outbox.py); the repeat starts it (gateway/services/processes.py resume), and so does the worker
(workers/outbox.py) when nobody sends it again.

The gateway "dies" here as it would under SIGKILL at that moment: its start raises an exception no code of it
handles, after the case was committed and before (or just after) Temporal took the start."""

import asyncio
import contextlib
import logging
import uuid
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from contracts import WalkInInput
from store.models import LeaveRequest, WalkInVisit, utcnow
from store.payload_codec import ENCODING, codec_for
from tests.factories import future_working_range, login, wait_for, wait_for_task
from workflows.leave import LeaveInput

NIP = "199201102019031005"  # pegawai1's, in every leave request of theirs
NAME = "Muhammad Rizki"
SUPERVISOR_TASK = "persetujuan-atasan"


class Killed(BaseException):
    """The gateway process ending at this point: nothing in it runs any more, no handler of its own catches it."""


class DiesAtStart:
    """The Temporal client of a gateway that dies at its first start: before Temporal hears of it (`landed` False), or
    once Temporal has the run and before the gateway hears back (`landed` True). Every later call is the real one's."""

    def __init__(self, client, *, landed: bool = False) -> None:
        self._client, self._landed, self.died = client, landed, False

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    async def start_workflow(self, *args, **kwargs):
        if self.died:
            return await self._client.start_workflow(*args, **kwargs)
        self.died = True
        if self._landed:
            await self._client.start_workflow(*args, **kwargs)
        raise Killed


class Unreachable:
    """The Temporal client of a gateway that cannot reach Temporal for any start."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    async def start_workflow(self, *args, **kwargs):
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


@contextlib.asynccontextmanager
async def _gateway(database, temporal_client):
    from gateway.app import create_app

    app = create_app(database.settings, temporal_client=temporal_client)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        yield api


def _leave(weeks_ahead: int) -> dict:
    start, end = future_working_range(2, weeks_ahead=weeks_ahead)
    return {"leave_type": "tahunan", "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "Mengurus orang tua yang sakit"}


async def _submit_and_die(api, path: str, body: dict, headers: dict) -> None:
    with pytest.raises(BaseException) as died:
        await api.post(path, json=body, headers=headers)
    assert died.group_contains(Killed) if isinstance(died.value, BaseExceptionGroup) else died.type is Killed


async def _ids_of_its_own(db) -> None:
    """The next leave request's id one no earlier test gave to a run on the shared Temporal server (every test database
    counts from 1): an old, rejected request of pegawai1 just below a random id."""
    from tests.factories import user

    employee = await user(db.sessionmaker, "pegawai1")
    async with db.sessionmaker() as session:
        session.add(LeaveRequest(id=4 * 10**9 + uuid.uuid4().int % 10**9, office_id=employee.office_id, employee_id=employee.id, leave_type="tahunan",
                                 start_date=date(2001, 1, 3), end_date=date(2001, 1, 3), working_days=1, reason="Penanda",
                                 status="rejected", workflow_id=f"leave-placeholder-{uuid.uuid4().hex}"))
        await session.commit()


async def _crashed_leave(db, api, *, key: str, weeks_ahead: int) -> LeaveRequest:
    """pegawai1 submits a leave request and the gateway dies between recording it and starting its process."""
    await _ids_of_its_own(db)
    await _submit_and_die(api, "/api/v1/leave-requests", _leave(weeks_ahead), {**await login(api, "pegawai1"), "Idempotency-Key": key})
    async with db.sessionmaker() as session:
        recorded = (await session.scalars(select(LeaveRequest).where(LeaveRequest.reason == "Mengurus orang tua yang sakit")
                                          .order_by(LeaveRequest.id.desc()))).first()
    assert recorded is not None and recorded.status == "waiting_supervisor"  # recorded, as the commit came first
    return recorded


async def _backdate(db, seconds: float) -> None:
    """As if `seconds` had passed since every process_start row was written."""
    from store.models import ProcessStart

    async with db.sessionmaker() as session:
        await session.execute(update(ProcessStart).values(created_at=utcnow() - timedelta(seconds=seconds)))
        await session.commit()


async def _waiting(db) -> list:
    """The process_start rows: cases recorded whose process is not known to have started."""
    from store.models import ProcessStart  # imported here, so that on code without it the tests fail on what people see

    async with db.sessionmaker() as session:
        return list(await session.scalars(select(ProcessStart)))


# --- a repeat of the same submission starts it ------------------------------------------------------------------


async def test_a_leave_request_whose_gateway_died_before_starting_it_is_started_by_the_same_request_sent_again(db, local_env, worker_for):
    await worker_for(local_env.client)
    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        recorded = await _crashed_leave(db, api, key="cuti-1", weeks_ahead=5)
        # The client sends it again with its Idempotency-Key (no answer came): the same request, now with its process.
        again = await api.post("/api/v1/leave-requests", json=_leave(5), headers={**await login(api, "pegawai1"), "Idempotency-Key": "cuti-1"})
        assert again.status_code == 200, again.text
        assert again.json()["id"] == recorded.id and again.json()["workflow_id"] == f"leave-{recorded.id}"
        await wait_for_task(db.sessionmaker, f"leave-{recorded.id}.{SUPERVISOR_TASK}", timeout=30)
        inbox = (await api.get("/api/v1/tasks", headers=await login(api, "atasan1"))).json()["items"]
        assert f"leave-{recorded.id}.{SUPERVISOR_TASK}" in [t["id"] for t in inbox]
    assert await _waiting(db) == []

    # The run's argument went to Temporal encrypted once (as every start's), and is the request as it was recorded.
    history = await local_env.client.get_workflow_handle(f"leave-{recorded.id}").fetch_history()
    stored = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert stored.metadata["encoding"] == ENCODING and NIP.encode() not in stored.data and NAME.encode() not in stored.data
    clear = codec_for(db.settings).decrypt(stored)
    assert clear.metadata["encoding"] == b"json/plain"
    started = pydantic_data_converter.payload_converter.from_payloads([clear], [LeaveInput])[0]
    assert isinstance(started, LeaveInput) and started.request_id == recorded.id
    assert (started.employee.nip, started.start_date, started.end_date, started.working_days) == \
        (NIP, recorded.start_date, recorded.end_date, recorded.working_days)


async def test_a_repeat_while_temporal_is_out_of_reach_says_the_request_is_recorded_and_the_worker_starts_it(db, local_env, worker_for):
    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        recorded = await _crashed_leave(db, api, key="cuti-2", weeks_ahead=7)
    async with _gateway(db, Unreachable(local_env.client)) as api:
        again = await api.post("/api/v1/leave-requests", json=_leave(7), headers={**await login(api, "pegawai1"), "Idempotency-Key": "cuti-2"})
    assert again.status_code == 503, again.text
    body = again.json()
    assert body["code"] == "temporal_unavailable" and set(body) == {"detail", "code", "errors"}
    assert "sudah tercatat" in body["detail"] and "otomatis" in body["detail"]
    [waiting] = await _waiting(db)
    assert waiting.workflow_id == f"leave-{recorded.id}" and waiting.attempts == 1 and "RPCError" in waiting.last_error

    from workers.outbox import start_overdue

    await worker_for(local_env.client)
    await _backdate(db, 31)
    assert await start_overdue(local_env.client, db.sessionmaker, db.settings) == 1
    await wait_for_task(db.sessionmaker, f"leave-{recorded.id}.{SUPERVISOR_TASK}", timeout=30)


# --- nobody sends it again: the worker starts it ------------------------------------------------------------------


async def test_a_leave_request_nobody_sends_again_is_started_by_the_worker_and_stored_encrypted_meanwhile(db, local_env, worker_for):
    from workers.outbox import OVERDUE_SECONDS, outbox_loop, start_overdue

    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        recorded = await _crashed_leave(db, api, key="cuti-3", weeks_ahead=9)

    # What waits to be started holds no personal data in clear: the argument is encrypted with the payload key.
    [waiting] = await _waiting(db)
    assert (waiting.workflow_id, waiting.workflow_type, waiting.task_queue) == (f"leave-{recorded.id}", "LeaveRequest", db.settings.task_queue)
    assert NIP.encode() not in waiting.payload and NAME.encode() not in waiting.payload and b"orang tua" not in waiting.payload
    sealed = Payload()
    sealed.ParseFromString(waiting.payload)
    assert sealed.metadata["encoding"] == ENCODING and NIP.encode() in codec_for(db.settings).decrypt(sealed).data

    await worker_for(local_env.client)
    # Younger than OVERDUE_SECONDS: its gateway may still be starting it, so the worker leaves it alone.
    assert await start_overdue(local_env.client, db.sessionmaker, db.settings) == 0
    assert len(await _waiting(db)) == 1
    # The worker's own loop, half a minute later.
    await _backdate(db, OVERDUE_SECONDS + 1)
    loop = asyncio.create_task(outbox_loop(local_env.client, db.sessionmaker, db.settings))
    try:
        await wait_for_task(db.sessionmaker, f"leave-{recorded.id}.{SUPERVISOR_TASK}", timeout=30)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert await _waiting(db) == []
    async with db.sessionmaker() as session:
        assert (await session.get(LeaveRequest, recorded.id)).workflow_id == f"leave-{recorded.id}"


async def test_the_dates_of_a_request_whose_gateway_died_are_not_blocked_for_good(db, local_env, worker_for):
    """The request blocks its dates, as any open request does, because it really runs: its supervisor decides it, and
    once it is rejected the employee asks for the same dates again."""
    from workers.outbox import start_overdue

    await worker_for(local_env.client)
    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        recorded = await _crashed_leave(db, api, key="cuti-4", weeks_ahead=11)
        employee = await login(api, "pegawai1")
        overlapping = await api.post("/api/v1/leave-requests", json=_leave(11), headers={**employee, "Idempotency-Key": "cuti-4b"})
        assert overlapping.status_code == 422 and "bertumpuk" in overlapping.json()["detail"], overlapping.text

        await _backdate(db, 31)
        await start_overdue(local_env.client, db.sessionmaker, db.settings)
        task = f"leave-{recorded.id}.{SUPERVISOR_TASK}"
        await wait_for_task(db.sessionmaker, task, timeout=30)
        rejected = await api.post(f"/api/v1/tasks/{task}/decision", headers=await login(api, "atasan1"),
                                  json={"outcome": "reject", "reason": "Tanggal bentrok dengan rapat"})
        assert rejected.status_code == 200, rejected.text

        async def decided() -> bool:
            async with db.sessionmaker() as session:
                return (await session.get(LeaveRequest, recorded.id, populate_existing=True)).status == "rejected"

        assert await wait_for(decided, timeout=30)
        again = await api.post("/api/v1/leave-requests", json=_leave(11), headers={**employee, "Idempotency-Key": "cuti-4c"})
        assert again.status_code == 201, again.text


async def test_two_workers_at_once_and_a_start_that_had_landed_give_each_case_one_run_under_its_own_id(db, local_env, worker_for, caplog):
    """One gateway died before its start, another just after Temporal took it; two workers then find both rows at the
    same moment. Each case has its one run, under its own id: a run already there is recognised as the case's own,
    not mistaken for one kept from before a restore (which would start a second run under another id)."""
    from workers.outbox import start_overdue

    caplog.set_level(logging.WARNING)
    await worker_for(local_env.client)
    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        before = await _crashed_leave(db, api, key="cuti-5", weeks_ahead=13)
    async with _gateway(db, DiesAtStart(local_env.client, landed=True)) as api:
        landed = await _crashed_leave(db, api, key="cuti-6", weeks_ahead=15)
    assert len(await _waiting(db)) == 2
    await _backdate(db, 31)
    started = await asyncio.gather(*(start_overdue(local_env.client, db.sessionmaker, db.settings) for _ in range(2)))
    assert sum(started) >= 2 and await _waiting(db) == []
    for case in (before, landed):
        await wait_for_task(db.sessionmaker, f"leave-{case.id}.{SUPERVISOR_TASK}", timeout=30)
        async with db.sessionmaker() as session:
            assert (await session.get(LeaveRequest, case.id)).workflow_id == f"leave-{case.id}"
    assert not [r for r in caplog.records if "is taken in Temporal" in r.getMessage()]


class Slow:
    """The Temporal client of a gateway whose first start takes longer than the worker waits: it reaches Temporal (or
    fails, `fails`) only once `release` is set."""

    def __init__(self, client, *, fails: bool = False) -> None:
        self._client, self._fails = client, fails
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    async def start_workflow(self, *args, **kwargs):
        self.reached.set()
        await self.release.wait()
        if self._fails:
            raise RPCError("deadline exceeded", RPCStatusCode.DEADLINE_EXCEEDED, b"")
        return await self._client.start_workflow(*args, **kwargs)


@pytest.mark.parametrize("fails", [False, True], ids=["its start lands after", "its start fails after"])
async def test_a_gateway_slower_than_the_worker_answers_with_the_run_the_worker_started(db, local_env, worker_for, caplog, fails):
    """The worker starts a case whose gateway is still starting it. The gateway's own start then meets the run (it is
    the case's own: no second run under another id), or fails (the case is not withdrawn: it runs); either way the
    person is told 201 and the case runs under its id."""
    from workers.outbox import start_overdue

    caplog.set_level(logging.WARNING)
    await _ids_of_its_own(db)
    await worker_for(local_env.client)
    slow = Slow(local_env.client, fails=fails)
    async with _gateway(db, slow) as api:
        submit = asyncio.create_task(api.post("/api/v1/leave-requests", json=_leave(19), headers=await login(api, "pegawai1")))
        await asyncio.wait_for(slow.reached.wait(), 30)
        await _backdate(db, 31)
        assert await start_overdue(local_env.client, db.sessionmaker, db.settings) == 1
        slow.release.set()
        answer = await submit
    assert answer.status_code == 201, answer.text
    request_id = answer.json()["id"]
    assert answer.json()["workflow_id"] == f"leave-{request_id}"
    await wait_for_task(db.sessionmaker, f"leave-{request_id}.{SUPERVISOR_TASK}", timeout=30)
    async with db.sessionmaker() as session:
        assert (await session.get(LeaveRequest, request_id)).workflow_id == f"leave-{request_id}"
    assert await _waiting(db) == []
    assert not [r for r in caplog.records if "is taken in Temporal" in r.getMessage()]


# --- every process goes the same way (record_and_start) ----------------------------------------------------------


async def test_a_walk_in_whose_gateway_died_before_starting_it_is_started_by_the_same_registration_sent_again(db, local_env, worker_for):
    await worker_for(local_env.client)
    visitor = {"name": "Cut Nyak Meutia", "phone": "0813-5555-0009", "nik": "1101014107800009"}
    body = {"service_code": "legalisir_ijazah", "visitor": visitor}
    async with _gateway(db, DiesAtStart(local_env.client)) as api:
        front_office = {**await login(api, "fo1"), "Idempotency-Key": "loket-1"}
        await _submit_and_die(api, "/api/v1/walk-ins", body, front_office)
        async with db.sessionmaker() as session:
            visit = await session.scalar(select(WalkInVisit).where(WalkInVisit.visitor_name == visitor["name"]))
        assert visit is not None

        again = await api.post("/api/v1/walk-ins", json=body, headers=front_office)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == visit.code
    await wait_for_task(db.sessionmaker, f"{visit.workflow_id}.kelengkapan", timeout=30)
    assert await _waiting(db) == []
    history = await local_env.client.get_workflow_handle(visit.workflow_id).fetch_history()
    clear = codec_for(db.settings).decrypt(history.events[0].workflow_execution_started_event_attributes.input.payloads[0])
    started = pydantic_data_converter.payload_converter.from_payloads([clear], [WalkInInput])[0]
    assert started.visit_id == visit.id and started.visitor.nik == visitor["nik"]


async def test_a_submission_temporal_refuses_leaves_neither_the_case_nor_its_start(db, local_env):
    """As before: Temporal out of reach when the person submits is a 503 in Bahasa, and nothing is kept."""
    async with _gateway(db, Unreachable(local_env.client)) as api:
        refused = await api.post("/api/v1/leave-requests", json=_leave(17), headers=await login(api, "pegawai1"))
    assert refused.status_code == 503 and refused.json()["code"] == "temporal_unavailable", refused.text
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(LeaveRequest).where(LeaveRequest.reason == "Mengurus orang tua yang sakit")) == 0
    assert await _waiting(db) == []
