"""`satupintu worker` stopped with SIGTERM (issue 15, item 2), as `satupintu run` and container runtimes stop it: it
takes no new work, lets the activities it is running finish or cancels them and hands them back to Temporal, and
leaves by itself, exit code 0, within its graceful timeout (SATUPINTU_WORKER_GRACEFUL_TIMEOUT_SECONDS)."""

import asyncio
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.smtp_sink import IDEMPOTENCY_HEADER, DedupingMailbox
from contracts import LeaveResult
from store.models import Notification
from tests.e2e.test_faults import NUMBER_KEY, SUPERVISOR_KEY, Stack, assert_each_mail_once, decide_durably, email_keys
from tests.factories import actor_for, start_leave

GRACEFUL_SECONDS = 10  # the worker's setting in this test: running activities get 8 s of it


class SlowMailbox(DedupingMailbox):
    """A mail server that takes `hold` seconds to accept each message, so a test can stop a worker while a
    notification is being delivered; `receiving` is set when a message has arrived and is being held."""

    def __init__(self, maildir: Path) -> None:
        super().__init__(maildir)
        self.hold = 0.0
        self.receiving = threading.Event()
        self.held: list[str] = []

    def hold_next(self, seconds: float) -> None:
        self.receiving.clear()
        self.held.clear()
        self.hold = seconds

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.hold:
            self.held.append(self.prepare_message(session, envelope)[IDEMPOTENCY_HEADER])
            self.receiving.set()
            await asyncio.sleep(self.hold)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def graceful_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by the `stack` fixture when it builds the children's environment.
    monkeypatch.setenv("SATUPINTU_WORKER_GRACEFUL_TIMEOUT_SECONDS", str(GRACEFUL_SECONDS))


async def _email_row(stack: Stack, key: str) -> Notification:
    async with stack.db.sessionmaker() as session:
        return await session.scalar(select(Notification).where(Notification.channel == "email", Notification.idempotency_key == key))


async def _stop_while_delivering(stack: Stack, mailbox: SlowMailbox) -> str:
    """SIGTERM to the worker while it delivers an e-mail that the mail server holds (SlowMailbox.hold_next); the
    worker must leave by itself, exit code 0, within its graceful timeout. Returns the message's idempotency key."""
    assert await asyncio.to_thread(mailbox.receiving.wait, 120), "no e-mail was sent"
    worker = stack.worker
    worker.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.to_thread(worker.wait, GRACEFUL_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not stop within its graceful timeout ({GRACEFUL_SECONDS} s) after SIGTERM")
    assert code == 0
    mailbox.hold = 0
    return mailbox.held[0]


async def test_sigterm_drains_the_worker_and_it_leaves_by_itself(graceful_env: None, stack: Stack) -> None:
    db, client = stack.db, stack.client
    stack.sink.stop()
    mailbox = SlowMailbox(stack.maildir)
    from aiosmtpd.controller import Controller

    stack.sink = Controller(mailbox, hostname="127.0.0.1", port=db.settings.smtp_port)
    stack.sink.start()

    # 1. The supervisor's "Tugas baru" e-mail takes 3 s to deliver, well within the drain: the stopping worker
    #    finishes it and records it sent, before it leaves.
    mailbox.hold_next(3)
    handle, _ = await start_leave(client, db.sessionmaker, task_queue=db.settings.task_queue)
    key = await _stop_while_delivering(stack, mailbox)
    row = await _email_row(stack, key)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [m[IDEMPOTENCY_HEADER] for m in stack.mail()] == [key]

    # 2. Another worker; the next e-mail (after the supervisor approves) takes longer than the drain allows: the
    #    worker cancels it, hands it back to Temporal and still leaves within its graceful timeout.
    stack.start_worker()
    mailbox.hold_next(12)
    await decide_durably(stack, handle.id, SUPERVISOR_KEY, await actor_for(db.sessionmaker, "atasan1"), "approve")
    handed_back = await _stop_while_delivering(stack, mailbox)
    assert (await _email_row(stack, handed_back)).status != "sent"

    # 3. A third worker takes the handed-back delivery over, and the run completes with every e-mail delivered once.
    stack.start_worker()
    await decide_durably(stack, handle.id, NUMBER_KEY, await actor_for(db.sessionmaker, "penomoran1"), "assign_number")
    result = await asyncio.wait_for(client.get_workflow_handle(handle.id, result_type=LeaveResult).result(), 180)
    assert result.status == "approved"
    keys = await email_keys(stack, [handle.id])
    assert {key, handed_back} <= keys
    assert_each_mail_once(stack, keys)
