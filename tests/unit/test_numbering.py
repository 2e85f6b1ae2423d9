"""The numbering service: gap-free, duplicate-free, idempotent — on SQLite and on a real PostgreSQL."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from activities.numbering import assign_number
from contracts import NumberingFormat, NumberRequest
from office.numbering import format_number
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import IssuedNumber
from tests.pgserver import ThrowawayPostgres, postgres_available

FORMAT = NumberingFormat(scope="leave_letter", format="B-{seq}/{unit_code}/{classification}/{month}/{year}",
                         fields={"unit_code": "Kk.13.21/1", "classification": "KP.07.6"})


def request(key: str, numbering: NumberingFormat = FORMAT) -> NumberRequest:
    return NumberRequest(idempotency_key=key, numbering=numbering, timezone="Asia/Jakarta", subject=f"surat {key}")


async def assign(sessionmaker, req: NumberRequest):
    async with sessionmaker() as session, session.begin():
        return await assign_number(session, req)


async def two_hundred_concurrent(sessionmaker) -> None:
    results = await asyncio.gather(*(assign(sessionmaker, request(f"k{i}")) for i in range(200)))
    assert sorted(r.sequence for r in results) == list(range(1, 201))
    # Retries of the same keys, concurrently too, get the numbers already assigned.
    again = await asyncio.gather(*(assign(sessionmaker, request(f"k{i}")) for i in range(0, 200, 7)))
    assert [r.number for r in again] == [results[i].number for i in range(0, 200, 7)]
    async with sessionmaker() as session:
        register = (await session.scalars(select(IssuedNumber).order_by(IssuedNumber.sequence))).all()
    assert [n.sequence for n in register] == list(range(1, 201))
    assert len({n.number for n in register}) == 200


def test_format_follows_the_office_format():
    issued = datetime(2026, 11, 23, 3, tzinfo=UTC)
    assert format_number(FORMAT, sequence=123, issued_on=issued) == "B-123/Kk.13.21/1/KP.07.6/11/2026"
    roman = NumberingFormat(scope="x", format="{seq}/PTSP/{month_roman}/{year}")
    assert format_number(roman, sequence=7, issued_on=issued) == "7/PTSP/XI/2026"


async def test_scopes_and_years_count_separately(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    other = NumberingFormat(scope="outgoing", format="{seq}/{year}")
    assert (await assign(sm, request("a"))).sequence == 1
    assert (await assign(sm, request("b", other))).sequence == 1
    assert (await assign(sm, request("c"))).sequence == 2
    async with sm() as session, session.begin():
        next_year = await assign_number(session, request("d"), now=datetime(2027, 1, 2, tzinfo=UTC))
    assert (next_year.sequence, next_year.year) == (1, 2027)
    await engine.dispose()


async def test_200_concurrent_numbers_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await create_schema(engine)
    await two_hundred_concurrent(make_sessionmaker(engine))
    await engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_200_concurrent_numbers_on_postgresql():
    with ThrowawayPostgres() as pg:
        engine = make_engine(pg.url)
        await create_schema(engine)
        await two_hundred_concurrent(make_sessionmaker(engine))
        await engine.dispose()
