"""The run index: Temporal's visibility projected into `process_run`, so that process owners filter and page
through every run in SQL (Temporal's own list cannot filter by the person involved or page newest-first at
scale). Temporal stays the source of truth; the run page reads the current state from describe().

The watermark is the newest start or close time already in the table, so a restart, or several worker replicas
syncing at once, only re-reads a short overlap and upserts the same rows again.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecution

from process_defs.processes import BY_WORKFLOW_TYPE, business_key
from store.models import ProcessRun, utcnow
from store.offices import first_office
from store.outbox import MEMO_OFFICE
from store.temporal import STATUS_NAMES

log = logging.getLogger(__name__)

# Visibility is eventually consistent: a run may show up a little after runs that started later. Re-reading
# this much before the watermark catches it; upserts make the overlap harmless.
OVERLAP = timedelta(minutes=2)
BATCH = 500


async def watermark(session: AsyncSession) -> datetime | None:
    started, closed = (await session.execute(select(func.max(ProcessRun.started_at), func.max(ProcessRun.closed_at)))).one()
    # SQLite hands aggregates back as text or naive datetimes; normalise to aware UTC.
    marks = [_aware(v) for v in (started, closed) if v is not None]
    return max(marks) if marks else None


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def visibility_query(since: datetime | None) -> str:
    types = ", ".join(f"'{t}'" for t in BY_WORKFLOW_TYPE)
    query = f"WorkflowType IN ({types})"
    if since is not None:
        at = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        query += f" AND (StartTime >= '{at}' OR CloseTime >= '{at}')"
    return query


async def _office_of(execution: WorkflowExecution, default: int) -> int:
    """The office the run's case belongs to, from the memo its start wrote (store/outbox.py); runs started otherwise
    (from before offices, a notification) are the first office's."""
    if MEMO_OFFICE not in execution.raw_info.memo.fields:
        return default
    try:
        office = (await execution.memo()).get(MEMO_OFFICE)
    except Exception:  # noqa: BLE001 - a memo this installation cannot read
        return default
    return office if isinstance(office, int) else default


def _row(execution: WorkflowExecution, now: datetime, office_id: int) -> dict | None:
    info = BY_WORKFLOW_TYPE.get(execution.workflow_type)
    if info is None or execution.start_time is None:
        return None
    return {
        "office_id": office_id,
        "workflow_id": execution.id,
        "run_id": execution.run_id,
        "process": info.name,
        "workflow_type": execution.workflow_type,
        "business_key": business_key(execution.id)[:160],
        "status": STATUS_NAMES.get(execution.status, "running") if execution.status else "running",
        "started_at": execution.start_time,
        "closed_at": execution.close_time,
        "synced_at": now,
    }


async def _upsert(session: AsyncSession, rows: list[dict]) -> None:
    if session.bind is None:  # not reached: the worker's sessionmaker is bound to its engine
        raise RuntimeError("the session is bound to no database")
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415 - the insert of the database in use
    else:
        # The same upsert API (excluded, on_conflict_do_update) under another class.
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # noqa: PLC0415 - the insert of the database in use
    # Several runs of one workflow id (continue-as-new, a reused id) arrive in any order: the newest start wins.
    newest: dict[str, dict] = {}
    for row in rows:
        kept = newest.get(row["workflow_id"])
        if kept is None or (row["started_at"], row["closed_at"] is None) >= (kept["started_at"], kept["closed_at"] is None):
            newest[row["workflow_id"]] = row
    stmt = insert(ProcessRun).values(list(newest.values()))
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[ProcessRun.workflow_id],
        set_={c: getattr(excluded, c) for c in ("run_id", "process", "workflow_type", "business_key", "status", "started_at", "closed_at", "synced_at",
                                                "office_id")},
        where=excluded.started_at >= ProcessRun.started_at,
    )
    await session.execute(stmt)


async def sync_runs(client: Client, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Upserts every run started or closed since the watermark; returns how many rows were written."""
    async with sessionmaker() as session:
        mark = await watermark(session)
        default_office = (await first_office(session)).id
    since = mark - OVERLAP if mark is not None else None
    written, batch = 0, []
    now = utcnow()
    async for execution in client.list_workflows(visibility_query(since), page_size=BATCH):
        row = _row(execution, now, await _office_of(execution, default_office))
        if row is not None:
            batch.append(row)
        if len(batch) >= BATCH:
            written += await _write(sessionmaker, batch)
            batch = []
    if batch:
        written += await _write(sessionmaker, batch)
    return written


async def _write(sessionmaker: async_sessionmaker[AsyncSession], rows: list[dict]) -> int:
    async with sessionmaker() as session, session.begin():
        await _upsert(session, rows)
    return len(rows)


async def run_index_loop(client: Client, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Keeps the index current beside the worker. A Temporal or database hiccup is logged and retried on the next
    round; it never stops the worker."""
    failures = 0
    while True:
        try:
            written = await sync_runs(client, sessionmaker)
            if failures:
                log.info("run index synchronised again after %d failed rounds", failures)
            failures = 0
            if written:
                log.debug("run index: %d runs synchronised", written)
        except asyncio.CancelledError:
            raise
        except Exception:
            failures += 1
            log.warning("run index synchronisation failed (round %d); retrying", failures, exc_info=failures == 1)
        await asyncio.sleep(interval if not failures else min(interval * 2 ** min(failures, 6), 300))
