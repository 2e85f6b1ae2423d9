"""Whoever reaches Temporal's port without the payload key cannot act on a run (issue 14, item 4).

Outside dev mode the worker refuses any input in clear: an update is rejected before its validator and never enters
the history, a start does nothing. Only a holder of the payload key (the gateway, a worker, the Web UI through the
codec endpoint of a signed-in owner) can start, signal or update a run."""

import asyncio
import uuid

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from audit.replay import replay_runs
from contracts import CANCEL_RUN, DECIDE_TASK, CancelRunRequest, DecisionRequest, TaskAck
from store.payload_codec import data_converter
from tests.factories import actor_for, leave_ids_apart, start_leave, wait_for, wait_for_task
from workers.main import build_worker
from workflows.leave import LeaveRequestWorkflow


def _client(local_env, converter) -> Client:
    return Client(local_env.client.service_client, namespace=local_env.client.namespace, data_converter=converter)


@pytest.fixture
async def strict(db, local_env):
    """A production-like worker: the payload key, and no input in clear."""
    settings = db.settings.model_copy(update={"dev_mode": False, "accept_clear_payloads": None})
    client = _client(local_env, data_converter(settings))
    worker = build_worker(client, settings, db.sessionmaker)
    task = asyncio.get_running_loop().create_task(worker.run())
    yield client
    await worker.shutdown()
    await task


async def _history_events(handle) -> list:
    return list((await handle.fetch_history()).events)


async def test_a_forged_decision_in_clear_is_refused_and_leaves_no_trace(db, local_env, strict) -> None:
    await leave_ids_apart(db.sessionmaker)
    handle, _ = await start_leave(strict, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)

    # Straight to Temporal, without the key: the supervisor's decision with a made-up actor, and an owner's cancel.
    attacker = _client(local_env, pydantic_data_converter).get_workflow_handle(handle.id)
    forged = DecisionRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, "atasan1"), outcome="reject", reason="Ditolak penyerang")
    with pytest.raises(WorkflowUpdateFailedError):
        await attacker.execute_update(DECIDE_TASK, forged, result_type=TaskAck)
    with pytest.raises(WorkflowUpdateFailedError):
        await attacker.execute_update(CANCEL_RUN, CancelRunRequest(actor=await actor_for(db.sessionmaker, "pemilik1"), reason="Dibatalkan penyerang"))

    events = await _history_events(handle)
    assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in events)
    assert (await wait_for_task(db.sessionmaker, task_id)).status == "open"

    # The same decision through a holder of the key is taken.
    ack = await strict.get_workflow_handle(handle.id).execute_update(DECIDE_TASK, DecisionRequest(
        task_id=task_id, actor=await actor_for(db.sessionmaker, "atasan1"), outcome="approve"), result_type=TaskAck)
    assert ack.status == "decided"
    await wait_for_task(db.sessionmaker, task_id, status="completed")

    # The auditor's replay reads the run as the worker did: deterministic.
    [outcome] = await replay_runs(strict, workflow_id=handle.id)
    assert outcome.deterministic, outcome.error


async def test_a_run_started_in_clear_does_nothing(db, local_env, strict) -> None:
    await leave_ids_apart(db.sessionmaker)
    # A well-formed leave input, but sent in clear by someone without the key.
    from tests.factories import leave_input

    inp = await leave_input(db.sessionmaker, request_id=900_000_000 + uuid.uuid4().int % 10**8)
    attacker = _client(local_env, pydantic_data_converter)
    handle = await attacker.start_workflow(LeaveRequestWorkflow.run, inp, id=f"leave-{inp.request_id}", task_queue=db.settings.task_queue)

    async def refused() -> list:
        events = await _history_events(handle)
        return [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]

    await wait_for(refused)
    events = await _history_events(handle)
    assert not any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events), "a run started in clear acted"
    await handle.terminate("test selesai")


@workflow.defn(sandboxed=False)
class Noticeboard:
    """The smallest run that takes a signal: what every process's signals (WhatsApp messages, registry outcomes) rely on."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: "selesai" in self.notes)

    @workflow.signal
    def note(self, text: str) -> None:
        self.notes.append(text)

    @workflow.query
    def read(self) -> list[str]:
        return self.notes


async def test_a_signal_in_clear_is_dropped(db, local_env) -> None:
    settings = db.settings.model_copy(update={"dev_mode": False})
    keyholder = _client(local_env, data_converter(settings))
    queue = f"papan-{uuid.uuid4().hex[:8]}"
    async with Worker(keyholder, task_queue=queue, workflows=[Noticeboard]):
        handle = await keyholder.start_workflow(Noticeboard.run, id=f"papan-{uuid.uuid4().hex}", task_queue=queue)
        await _client(local_env, pydantic_data_converter).get_workflow_handle(handle.id).signal(Noticeboard.note, "palsu")
        await handle.signal(Noticeboard.note, "asli")
        assert await wait_for(lambda: _read_when(handle, ["asli"]))
        await handle.signal(Noticeboard.note, "selesai")
        await handle.result()


async def _read_when(handle, expected: list[str]) -> bool:
    return await handle.query(Noticeboard.read) == expected


async def test_dev_mode_still_accepts_clear_payloads_so_golden_histories_replay(db) -> None:
    clear = pydantic_data_converter.payload_converter.to_payloads(["3374010101900001"])
    lenient = data_converter(db.settings).payload_codec
    strict = data_converter(db.settings.model_copy(update={"dev_mode": False})).payload_codec
    assert await lenient.decode(clear) == clear
    [refused] = await strict.decode(clear)
    assert refused.metadata["encoding"] == b"binary/refused-clear" and not refused.data
    with pytest.raises(Exception):  # noqa: B017 - whatever the converter raises, it reads nothing
        pydantic_data_converter.payload_converter.from_payloads([refused], [str])
