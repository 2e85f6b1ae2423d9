"""The numbering service: gap-free, duplicate-free, idempotent — on SQLite and on a real PostgreSQL."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from activities.numbering import assign_number
from cli.seed import seed_offices
from contracts import NumberingFormat, NumberRequest
from office.numbering import format_number
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import IssuedNumber, NumberSequence
from tests.pgserver import ThrowawayPostgres, postgres_available

FORMAT = NumberingFormat(scope="leave_letter", format="B-{seq}/{unit_code}/{classification}/{month}/{year}",
                         fields={"unit_code": "Kk.13.21/1", "classification": "KP.07.6"}, office="kemenag-lamongan")


def request(key: str, numbering: NumberingFormat = FORMAT) -> NumberRequest:
    return NumberRequest(idempotency_key=key, numbering=numbering, timezone="Asia/Jakarta", subject=f"surat {key}")


async def empty_database(url: str):
    """A new database with the demo offices and nothing else: the registers belong to offices."""
    engine = make_engine(url)
    await create_schema(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await seed_offices(session)
        await session.commit()
    return engine, sessionmaker


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
    engine, sm = await empty_database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    other = NumberingFormat(scope="outgoing", format="{seq}/{year}", office="kemenag-lamongan")
    assert (await assign(sm, request("a"))).sequence == 1
    assert (await assign(sm, request("b", other))).sequence == 1
    assert (await assign(sm, request("c"))).sequence == 2
    async with sm() as session, session.begin():
        next_year = await assign_number(session, request("d"), now=datetime(2027, 1, 2, tzinfo=UTC))
    assert (next_year.sequence, next_year.year) == (1, 2027)
    await engine.dispose()


async def test_each_office_keeps_its_own_registers(tmp_path):
    engine, sm = await empty_database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    court = NumberingFormat(scope="leave_letter", format="B-{seq}/MS.W1-A5/KP.05.2/{month}/{year}", office="ms-lhokseumawe")
    assert (await assign(sm, request("a"))).sequence == 1
    assert (await assign(sm, request("b"))).sequence == 2
    # The same scope in another office starts at 1: its letters have their own numbers.
    assert (await assign(sm, request("c", court))).number.startswith("B-1/MS.W1-A5/")
    # A run from before offices carries no office: it numbers on in the first office's register (the court's).
    before = NumberingFormat(scope="leave_letter", format="B-{seq}/{year}")
    assert (await assign(sm, request("d", before))).sequence == 2
    async with sm() as session:
        register = {(n.idempotency_key, n.scope, n.sequence) for n in await session.scalars(select(IssuedNumber))}
        counters = {(c.scope, c.last_value) for c in await session.scalars(select(NumberSequence))}
    assert register == {("a", "kemenag-lamongan/leave_letter", 1), ("b", "kemenag-lamongan/leave_letter", 2),
                        ("c", "ms-lhokseumawe/leave_letter", 1), ("d", "ms-lhokseumawe/leave_letter", 2)}
    assert counters == {("kemenag-lamongan/leave_letter", 2), ("ms-lhokseumawe/leave_letter", 2)}
    await engine.dispose()


async def test_200_concurrent_numbers_on_sqlite(tmp_path):
    engine, sessionmaker = await empty_database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await two_hundred_concurrent(sessionmaker)
    await engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
async def test_200_concurrent_numbers_on_postgresql():
    with ThrowawayPostgres() as pg:
        engine, sessionmaker = await empty_database(pg.url)
        await two_hundred_concurrent(sessionmaker)
        await engine.dispose()
