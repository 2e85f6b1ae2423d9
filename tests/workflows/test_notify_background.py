"""A notification channel that is down delays its messages, not the process (issue 7): the NOTIFY activity runs in
the background with its durable retry, the process goes on to its next task, and the run closes only once every
message it started is delivered — so none is lost when the run ends, and none is sent twice.

On the time-skipping server: the mail channel is switched off inside the worker, so the retries are real and the
test decides when the "mail server" is back."""

import asyncio
import json
import mailbox
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from cli.smtp_sink import IDEMPOTENCY_HEADER
from contracts import CANCEL_RUN, DECIDE_TASK, NOTIFY, CancelRunRequest, DecisionRequest, OwnerActionAck, TaskAck
from notifications.delivery import EmailChannel, InAppChannel, WhatsAppChannel
from store.models import LeaveRequest, Notification
from tests.factories import actor_for, record_golden_history, start_leave, wait_for, wait_for_task, wait_until_decidable
from workers.main import activities_for
from workflows.human_task import PATCH_NOTIFY_IN_BACKGROUND
from workflows.registry import WORKFLOWS


class SwitchableEmail(EmailChannel):
    """The real e-mail channel (to the test's SMTP sink), refusing to connect while `down`, as a stopped server does."""

    down = True

    async def deliver(self, row, attachment, sender=None) -> None:
        if self.down:
            raise ConnectionRefusedError(f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port} tidak dapat dihubungi")
        await super().deliver(row, attachment, sender)


@pytest.fixture
async def mail_down_worker(time_skipping_env, db):
    """A worker whose NOTIFY activity sends mail through SwitchableEmail; mail starts down."""
    email = SwitchableEmail(db.settings)
    notify = NotifyActivities(db.settings, db.sessionmaker, channels=[InAppChannel(), email, WhatsAppChannel(db.settings)]).notify
    activities = [a for a in activities_for(db.settings, db.sessionmaker) if getattr(a, "__temporal_activity_definition").name != NOTIFY]
    worker = Worker(time_skipping_env.client, task_queue=db.settings.task_queue, workflows=WORKFLOWS, activities=[*activities, notify])
    running = asyncio.get_running_loop().create_task(worker.run())
    yield email
    await worker.shutdown()
    await running


def patch_markers(history) -> list[str]:
    """The workflow.patched() ids a history recorded, in order."""
    return [json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"] for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded_event_attributes.marker_name == "core_patch"]


async def _emails(db, workflow_id: str) -> list[Notification]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(select(Notification).where(Notification.channel == "email",
                                                                 Notification.idempotency_key.like(f"{workflow_id}.%")))
        return list(rows)


async def _decide(handle, task_id: str, db, username: str, outcome: str) -> TaskAck:
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)
    return await handle.execute_update(DECIDE_TASK, DecisionRequest(task_id=task_id, actor=await actor_for(db.sessionmaker, username),
                                                                    outcome=outcome), result_type=TaskAck)


async def _still_running(handle, seconds: float = 2.0) -> None:
    """The run stays open for a while (its notices are still being retried), checked more than once."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await asyncio.sleep(0.5)


async def test_process_goes_on_while_mail_is_down_and_closes_after_delivery(time_skipping_env, db, mail_down_worker):
    email = mail_down_worker
    handle, inp = await start_leave(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)

    # The supervisor's "Tugas baru" cannot be mailed; the task is open anyway and is decided.
    assert (await _decide(handle, f"{handle.id}.persetujuan-atasan", db, "atasan1", "approve")).status == "decided"
    # The next step starts while the mail server is still down: the numbering officer's task opens and is decided.
    assert (await _decide(handle, f"{handle.id}.penomoran-surat", db, "penomoran1", "assign_number")).status == "decided"

    async def approved():
        async with db.sessionmaker() as session:
            return (await session.get(LeaveRequest, inp.request_id)).status == "approved"

    await wait_for(approved)

    async def approval_mail_tried():
        rows = await _emails(db, handle.id)
        return rows if f"{handle.id}.approved" in {r.idempotency_key.split("|")[0] for r in rows if r.status == "failed"} else None

    rows = await wait_for(approval_mail_tried)
    assert {r.status for r in rows} == {"failed"}, [(r.idempotency_key, r.status) for r in rows]
    assert {r.idempotency_key.split("|")[0] for r in rows} == {f"{handle.id}.{key}" for key in
                                                              ("persetujuan-atasan.opened", "penomoran-surat.opened", "approved")}
    # The letter is numbered and the case approved, but the run waits for its messages: were it to close now, the
    # NOTIFY retries would stop with it and the mails would never go out.
    await _still_running(handle)

    back_at = datetime.now(UTC)
    email.down = False
    result = await handle.result()
    assert result.status == "approved"

    rows = await _emails(db, handle.id)
    assert rows and all(r.status == "sent" and r.sent_at.replace(tzinfo=UTC) >= back_at for r in rows)
    # Once each, as the recipients see it: one message per key in the sink.
    sent_keys = [r.idempotency_key for r in rows]
    assert len(sent_keys) == len(set(sent_keys))
    received = [m[IDEMPOTENCY_HEADER] for m in mailbox.Maildir(db.settings.maildir, factory=None, create=False)]
    ours = [k for k in received if k.startswith(f"{handle.id}.")]
    assert sorted(ours) == sorted(sent_keys)

    # In the history: the numbering task was opened before the first notification was delivered, and the run
    # completed after the last one was.
    history = await handle.fetch_history()
    scheduled = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    completed_notify = [e.event_id for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                        and scheduled[e.activity_task_completed_event_attributes.scheduled_event_id] == NOTIFY]
    open_task_scheduled = [i for i, name in scheduled.items() if name == "open_task"]
    assert len(open_task_scheduled) == 2 and open_task_scheduled[1] < min(completed_notify)
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert history.events[-1].event_id > max(completed_notify)
    assert PATCH_NOTIFY_IN_BACKGROUND in patch_markers(history)

    # Under tests/histories: the background path replays too (tests/workflows/test_replay.py).
    await record_golden_history(handle, "leave_mail_down_decisions_acked_before_closing")


async def test_a_cancelled_run_still_delivers_its_cancellation_notice(time_skipping_env, db, mail_down_worker):
    email = mail_down_worker
    handle, _ = await start_leave(time_skipping_env.client, db.sessionmaker, task_queue=db.settings.task_queue)
    task_id = f"{handle.id}.persetujuan-atasan"
    await wait_for_task(db.sessionmaker, task_id)
    await wait_until_decidable(handle, task_id)

    owner = await actor_for(db.sessionmaker, "pemilik1")
    ack = await handle.execute_update(CANCEL_RUN, CancelRunRequest(actor=owner, reason="Diajukan ganda"),
                                      result_type=OwnerActionAck)
    assert ack.status == "cancelling"
    await handle.cancel()

    async def notice_failed():
        return [r for r in await _emails(db, handle.id) if r.idempotency_key.startswith(f"{handle.id}.cancelled|") and r.status == "failed"]

    await wait_for(notice_failed)
    # Cancelled in Temporal, yet open until "Permohonan cuti dibatalkan" is out.
    await _still_running(handle)

    email.down = False
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    notices = [r for r in await _emails(db, handle.id) if r.idempotency_key.startswith(f"{handle.id}.cancelled|")]
    assert len(notices) == 1 and notices[0].status == "sent" and notices[0].subject == "Permohonan cuti dibatalkan"
    assert all(r.status == "sent" for r in await _emails(db, handle.id))
