"""Cases recorded but never started get their process from the worker (store/outbox.py): a gateway that died between
committing a person's submission and starting its workflow left a `process_start` row, and no submission is lost
because nobody sends it again.

Beside the worker, every INTERVAL_SECONDS, each row older than OVERDUE_SECONDS is started. That age is well past the
moment a live gateway starts its own, so the worker seldom races one; when it does, or when several workers start
the same row, Temporal has one run and the others see it is the case's own (store/outbox.py)."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from store import outbox
from store.settings import Settings

log = logging.getLogger(__name__)

OVERDUE_SECONDS = 30.0
INTERVAL_SECONDS = 10.0
BATCH = 100


async def start_overdue(client: Client, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *,
                        older_than_seconds: float = OVERDUE_SECONDS) -> int:
    """Starts the process of every row left longer than `older_than_seconds` (up to BATCH a round); returns how many
    it started. A row whose start fails is counted on the row, with why, and tried again next round."""
    async with sessionmaker() as session:
        ids = await outbox.overdue(session, older_than_seconds=older_than_seconds, limit=BATCH)
    started = 0
    for workflow_id in ids:
        async with sessionmaker() as session:
            pending = await outbox.find(session, workflow_id)
            if pending is None:
                continue  # started meanwhile: by its gateway, a repeat of the submission or another worker
            try:
                runs_as = await outbox.start(session, client, settings, pending)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await session.rollback()
                await outbox.failed(session, pending.workflow_id, exc)
                log.warning("process %s (%s) recorded but not started: starting it failed (%s); tried again in the next round",
                            pending.workflow_id, pending.workflow_type, type(exc).__name__,
                            extra={"workflow_id": pending.workflow_id}, exc_info=not isinstance(exc, outbox.IdsTaken))
                continue
            if runs_as is not None:
                started += 1
                log.warning("process %s (%s) was recorded but its gateway stopped before starting it: started by the worker",
                            runs_as, pending.workflow_type, extra={"workflow_id": runs_as})
    return started


async def outbox_loop(client: Client, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                      interval: float = INTERVAL_SECONDS) -> None:
    """Runs beside the worker. A Temporal or database hiccup is logged and retried on the next round; it never stops
    the worker."""
    failures = 0
    while True:
        try:
            await start_overdue(client, sessionmaker, settings)
            if failures:
                log.info("recorded processes checked again after %d failed rounds", failures)
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception:
            failures += 1
            log.warning("checking for recorded processes never started failed (round %d); retrying", failures, exc_info=failures == 1)
        await asyncio.sleep(interval if not failures else min(interval * 2 ** min(failures, 6), 300))
