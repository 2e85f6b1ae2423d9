"""Figure 5: the letter register (activities/numbering.py assign_number) — numbers issued per second
by 20 concurrent assigners, each in its own transaction, on SQLite and PostgreSQL; afterwards the
register must hold exactly 1..COUNT, no gap and no duplicate, or the figure is not met."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from activities.numbering import assign_number
from bench.common import figure
from contracts import NumberingFormat, NumberRequest
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import IssuedNumber

ASSIGNERS = 20
COUNT = 500
FORMAT = NumberingFormat(scope="bench", format="800/{seq}/BENCH/{year}")


async def measure(url: str, label: str) -> tuple[dict, dict]:
    engine = make_engine(url)
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(COUNT):
        queue.put_nowait(i)

    async def assigner() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            request = NumberRequest(idempotency_key=f"bench-{i}", numbering=FORMAT, timezone="Asia/Jakarta", subject=f"Surat uji {i}")
            async with sm() as session, session.begin():
                await assign_number(session, request)

    started = time.perf_counter()
    await asyncio.gather(*(assigner() for _ in range(ASSIGNERS)))
    elapsed = time.perf_counter() - started
    async with sm() as session:
        issued = (await session.execute(select(IssuedNumber.sequence, IssuedNumber.number, IssuedNumber.idempotency_key))).all()
    await engine.dispose()
    sequences = sorted(r.sequence for r in issued)
    gap_free = sequences == list(range(1, COUNT + 1))
    unique = len({r.number for r in issued}) == len(issued) == len({r.idempotency_key for r in issued})
    return (figure(f"5. register numbers/s, {ASSIGNERS} assigners, {label}", COUNT / elapsed, "numbers/s",
                   target="gap- and duplicate-free", met=gap_free and unique, digits=1),
            {"issued": len(issued), "gap_free": gap_free, "duplicate_free": unique, "elapsed_s": round(elapsed, 2)})


async def register_figures(tmp: Path, *, log: Callable[[str], object] = print) -> tuple[list[dict], dict]:
    from tests.pgserver import ThrowawayPostgres, postgres_available  # noqa: PLC0415 - the tests' throwaway PostgreSQL, only when the figure runs

    tmp.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a folder made before anything is measured, nothing else on the loop yet
    fig, det = await measure(f"sqlite+aiosqlite:///{tmp / 'register.db'}", "SQLite")
    log(f"    SQLite: {det}")
    figures, detail = [fig], {"SQLite": det}
    if postgres_available():
        pg = ThrowawayPostgres()
        pg.start()
        try:
            fig, det = await measure(pg.url, "PostgreSQL")
        finally:
            pg.stop()
        log(f"    PostgreSQL: {det}")
        figures.append(fig)
        detail["PostgreSQL"] = det
    return figures, detail
