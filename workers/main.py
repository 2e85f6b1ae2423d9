"""The worker process: registers every process workflow and the activities with their dependencies."""


import asyncio
import logging
import os
import signal
import sys
import threading
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.complaints import ComplaintActivities
from activities.counter_documents import CounterDocumentActivities
from activities.documents import DocumentActivities
from activities.leave import LeaveActivities
from activities.letters import LetterActivities
from activities.notify import NotifyActivities
from activities.numbering import NumberingActivities
from activities.permits import CalendarActivities, PermitActivities
from activities.siramasakan import SiramasakanActivities
from activities.tasks import TaskActivities
from activities.walk_in import WalkInActivities
from activities.whatsapp import WhatsAppActivities
from store.db import make_engine, make_sessionmaker
from store.settings import Settings, get_settings
from store.temporal import connect
from workers.outbox import outbox_loop
from workers.run_index import run_index_loop
from workflows.registry import WORKFLOWS


def activities_for(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> list:
    tasks = TaskActivities(sessionmaker)
    documents = DocumentActivities(settings, sessionmaker)
    permits = PermitActivities(sessionmaker)
    letters = LetterActivities(sessionmaker)
    return [
        tasks.open_task,
        tasks.update_task,
        tasks.close_task,
        tasks.record_event,
        NumberingActivities(sessionmaker).assign_number,
        NotifyActivities(settings, sessionmaker).notify,
        documents.render_leave_letter,
        documents.render_permit,
        CounterDocumentActivities(settings, sessionmaker).render_counter_document,
        LeaveActivities(sessionmaker).update_leave_request,
        permits.update_permit,
        CalendarActivities().working_deadline,
        letters.update_letter,
        letters.attach_letter_file,
        WalkInActivities(sessionmaker).update_walk_in,
        WhatsAppActivities(settings, sessionmaker).auto_reply,
        *_siramasakan(settings, sessionmaker),
        ComplaintActivities(sessionmaker).update_complaint,
    ]


def _siramasakan(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> list:
    sira = SiramasakanActivities(settings, sessionmaker)
    return [sira.update_siramasakan, sira.send_registry_handoff]


def build_worker(client: Client, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], *,
                 graceful_timeout: timedelta = timedelta(0)) -> Worker:
    """graceful_timeout: how long running activities may go on once shutdown() is called, before they are cancelled
    (the worker process passes its setting; a worker inside a test stops at once)."""
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(settings, sessionmaker),
        graceful_shutdown_timeout=graceful_timeout,
    )


def activity_drain_seconds(graceful_timeout_seconds: float) -> float:
    """The part of the worker's graceful timeout that running activities get to finish: the rest (a fifth, at least
    2 s and at most 5 s) is for the cancelled ones' outcome to reach Temporal and for closing connections."""
    timeout = max(0.0, graceful_timeout_seconds)
    return max(0.0, timeout - min(5.0, max(2.0, timeout / 5)))


async def run_worker(settings: Settings | None = None, *, handle_signals: bool = True) -> None:
    """Runs until SIGTERM or SIGINT (with handle_signals), then drains: no new tasks are taken, running activities
    finish within the graceful timeout or are cancelled and handed back to Temporal, and this returns.

    The signals are handled by the event loop, not by raising KeyboardInterrupt: an interrupt raised wherever the
    main thread happens to be lands inside an activity's own code (which then fails and is retried, while the
    worker goes on polling and never stops), or cancels every task at once, running activities included, with no
    time to finish them (the graceful timeout was 0)."""
    settings = settings or get_settings()
    log = logging.getLogger(__name__)
    engine = make_engine(settings.effective_database_url)
    client = await connect(settings)
    sessionmaker = make_sessionmaker(engine)
    timeout = settings.worker_graceful_timeout_seconds
    worker = build_worker(client, settings, sessionmaker, graceful_timeout=timedelta(seconds=activity_drain_seconds(timeout)))
    stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, _stop_requested, stop, timeout)
    log.info("worker listening on task queue %s", settings.task_queue)
    # The run index for the owners' pages (workers/run_index.py) is kept current beside the worker, and cases a gateway
    # recorded but did not live to start are started (workers/outbox.py).
    index = asyncio.create_task(run_index_loop(client, sessionmaker, settings.run_index_interval_seconds))
    starts = asyncio.create_task(outbox_loop(client, sessionmaker, settings))
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set() and not running.done():
            log.info("worker stopping: no new tasks; running activities have %.0f s to finish", activity_drain_seconds(timeout))
            index.cancel()
            starts.cancel()
            await worker.shutdown()
        await running  # a worker that failed by itself raises here
        log.info("worker stopped")
    finally:
        stopping.cancel()
        index.cancel()
        starts.cancel()
        await asyncio.gather(index, starts, stopping, return_exceptions=True)
        await engine.dispose()


def _stop_requested(stop: asyncio.Event, timeout: float) -> None:
    if stop.is_set():
        # A second SIGTERM or Ctrl-C: the person means now. Activities still running are retried elsewhere.
        _leave_now("worker told to stop again: leaving without waiting for running activities")
    stop.set()
    # The drain is bounded by the clock, not by the event loop: even an activity that never yields cannot keep the
    # process past its graceful timeout (the container runtime would SIGKILL it mid-write instead).
    deadline = threading.Timer(max(timeout, 1.0), _leave_now, [f"worker not stopped within its graceful timeout ({timeout:.0f} s): leaving"])
    deadline.daemon = True
    deadline.start()


def _leave_now(reason: str) -> None:
    logging.getLogger(__name__).error(reason)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


if __name__ == "__main__":
    asyncio.run(run_worker())
