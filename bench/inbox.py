"""Figure 4: "my open tasks, first page of 50, newest first, with a capped count" — gateway/services/tasks.py
inbox() — against a bare indexed SELECT of the same page on the same database, at 10k and 100k open
tasks (1M with BENCH_SCALE=full), on SQLite and on a throwaway PostgreSQL (tests/pgserver.py).

The table holds `size` open tasks: 10% owned by the measured user (atasan1), 10% open to a role
nobody measured holds, the rest owned by 50 other people; plus as many completed tasks as 10% of size."""

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Connection

from bench.common import figure, pct
from cli.seed import DEMO_PASSWORD, seed_demo
from gateway.security import hash_password
from gateway.services.tasks import InboxFilter, inbox
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import Task, User
from store.offices import scope_to_office

REPEAT = 25
BARE = text("SELECT id, title, created_at, status FROM task WHERE status = 'open' AND owner_id = :uid "
            "ORDER BY created_at DESC, id DESC LIMIT 50")


def rows(start: int, stop: int, *, me: int, others: list[int], epoch: datetime, office_id: int) -> list[dict]:
    out: list[dict] = []
    rnd = random.Random(start)
    for k in range(start, stop):
        bucket = k % 10
        owner = me if bucket == 0 else (None if bucket == 1 else others[k % len(others)])
        completed = k % 11 == 0
        out.append({"id": f"bench-{k}.tugas", "office_id": office_id, "workflow_id": f"bench-{k}", "process": "leave", "subject_id": str(k),
                    "title": f"Tugas uji {k}", "summary": {}, "role": "atasan" if owner is not None else "tidak-diukur",
                    "owner_id": owner, "status": "completed" if completed else "open", "outcomes": ["approve", "reject"],
                    "form": {}, "data": {}, "created_at": epoch + timedelta(seconds=k, microseconds=rnd.randrange(1000))})
    return out


async def measure(url: str, sizes: list[int], label: str, log: Callable[[str], object]) -> tuple[list[dict], dict]:
    engine = make_engine(url)
    await create_schema(engine)
    # Where inbox()'s time goes: its SQL statements (sent, executed, answered) against the Python around them.
    in_sql = {"seconds": 0.0, "statements": 0}

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        in_sql["seconds"] += time.perf_counter() - conn.info.pop("bench_t0")
        in_sql["statements"] += 1
    sm = make_sessionmaker(engine)
    async with sm() as session:
        await seed_demo(session, hash_password(DEMO_PASSWORD))
    async with sm() as session:
        me = await session.scalar(select(User).where(User.username == "atasan1"))
        if me is None:  # not reached: seed_demo made atasan1
            raise RuntimeError("the demo seed has no atasan1")
        me_id, office_id = me.id, me.office_id
        if office_id is None:  # not reached: atasan1 works for the court
            raise RuntimeError("atasan1 has no office")
        others = list((await session.scalars(select(User.id).where(User.id != me_id))).all())[:50]
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    figures, detail, filled = [], {}, 0
    for size in sizes:
        t = time.perf_counter()
        total_rows = size + size // 10  # completed rows ride along
        while filled < total_rows:
            step = min(20_000, total_rows - filled)
            async with engine.begin() as conn:
                await conn.execute(insert(Task), rows(filled, filled + step, me=me_id, others=others, epoch=epoch, office_id=office_id))
            filled += step
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        log(f"    {label}: {size} open tasks loaded in {time.perf_counter() - t:.1f} s")
        inbox_t: list[float] = []
        inbox_sql_t: list[float] = []
        bare_t: list[float] = []
        count: int | str = 0
        statements: float = 0  # read from in_sql, whose values are floats to the type checker
        async with sm() as session:
            user = await session.get(User, me_id)
            scope_to_office(session, office_id)  # as the gateway does for a signed-in member of staff
            for rep in range(REPEAT + 3):
                if user is None:  # not reached: the seeded atasan1, read again after each expunge
                    raise RuntimeError("atasan1 is gone")
                in_sql.update(seconds=0.0, statements=0)
                t = time.perf_counter()
                got = await inbox(session, user=user, filters=InboxFilter())
                page, count = got.items, got.total.label
                if rep >= 3:
                    inbox_t.append(time.perf_counter() - t)
                    inbox_sql_t.append(in_sql["seconds"])
                    statements = in_sql["statements"]
                session.expunge_all()
                user = await session.get(User, me_id)
                t = time.perf_counter()
                bare = (await session.execute(BARE, {"uid": me_id})).all()
                if rep >= 3:
                    bare_t.append(time.perf_counter() - t)
        assert len(page) == 50 and len(bare) == 50, (len(page), len(bare))
        assert [p.id for p in page] == [b.id for b in bare], "inbox() and the bare SELECT disagree on the first page"
        name = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        for q in (50, 99):
            value, base = pct(inbox_t, q) * 1000, pct(bare_t, q) * 1000
            met = value <= 2 * base
            target = "<= 2x bare"
            if q == 99 and label == "PostgreSQL" and size >= 1_000_000:
                target, met = "<= 2x bare, <= 30 ms", met and value <= 30
            figures.append(figure(f"4. inbox p{q}, {name} open, {label}", value, "ms", baseline=base, target=target, met=met, digits=2))
        detail[f"{label} {name}"] = {"my_open_count": count, "rows": filled, "inbox_statements": statements,
                                     "inbox_sql_p50_ms": round(pct(inbox_sql_t, 50) * 1000, 2), "inbox_sql_p99_ms": round(pct(inbox_sql_t, 99) * 1000, 2)}
        log(f"    {label} {name}: inbox() {statements} statements, SQL p50 {pct(inbox_sql_t, 50) * 1000:.2f} ms of "
            f"{pct(inbox_t, 50) * 1000:.2f} ms; bare p50 {pct(bare_t, 50) * 1000:.2f} ms")
    await engine.dispose()
    return figures, detail


async def inbox_figures(tmp: Path, *, full: bool, log: Callable[[str], object] = print) -> tuple[list[dict], dict]:
    from tests.pgserver import ThrowawayPostgres, postgres_available  # noqa: PLC0415 - the tests' throwaway PostgreSQL, only when the figure runs

    tmp.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a folder made before anything is measured, nothing else on the loop yet
    sizes = [10_000, 100_000] + ([1_000_000] if full else [])
    figures, detail = await measure(f"sqlite+aiosqlite:///{tmp / 'inbox.db'}", sizes, "SQLite", log)
    if postgres_available():
        pg = ThrowawayPostgres()
        pg.start()
        try:
            got, more = await measure(pg.url, sizes, "PostgreSQL", log)
        finally:
            pg.stop()
        figures += got
        detail.update(more)
    else:
        log("    PostgreSQL not installed: skipped")
        detail["PostgreSQL"] = "not installed, skipped"
    return figures, detail
