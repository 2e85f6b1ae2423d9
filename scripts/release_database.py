"""A database as a release of SatuPintu leaves it, with data in every table, dumped as SQL: the starting point of
the upgrade test (tests/unit/test_migrations.py), which migrates it to the current schema and checks nothing was lost.

Run it with the *release's* code first on the path, from a checkout of that release:

    git worktree add /tmp/release <release commit>
    PYTHONPATH=/tmp/release .venv/bin/python scripts/release_database.py --name <release> \
        --sqlite tests/upgrades/<release>.sqlite.sql --postgres tests/upgrades/<release>.postgres.sql

It creates the schema the way that release did (its own store.db.create_schema), the demo organisation (its seed),
and one more row in every table with a value in every column, so that a migration that drops or garbles anything
is seen. PostgreSQL comes from a throwaway cluster (the release's tests/pgserver.py) and is dumped with pg_dump."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, insert, select
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

MOMENT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _value(table: Table, column: Column[Any], name: str) -> Any:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # e.g. the UTC datetimes: a value of what they store
        kind = kind.impl_instance
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, DateTime):
        return MOMENT
    if isinstance(kind, Date):
        return MOMENT.date()
    if isinstance(kind, Integer):
        return 7
    if isinstance(kind, Float | Numeric):
        return 7.5
    if isinstance(kind, JSON):
        return {"rilis": name, "angka": 1, "daftar": ["a", "b"]}
    if isinstance(kind, String | Text):
        text = f"rilis-{name}-{table.name}-{column.name}"
        length = getattr(kind, "length", None)
        return text[-length:] if length else text
    raise TypeError(f"{table.name}.{column.name}: no sample value for {kind!r}")


async def fill(sessionmaker: async_sessionmaker[AsyncSession], metadata: MetaData, name: str) -> None:
    """One row in every table, every column set; foreign keys point at a row that exists."""
    async with sessionmaker() as session:
        for table in metadata.sorted_tables:
            row = {}
            for column in table.columns:
                foreign = next(iter(column.foreign_keys), None)
                if foreign is not None:
                    target = foreign.column
                    found = await session.scalar(select(target).order_by(target).limit(1))
                    if found is None and target.table is table:
                        continue  # a self-reference in an empty table: left empty
                    row[column.name] = found
                elif column is table.autoincrement_column:
                    continue  # the database numbers it
                else:
                    row[column.name] = _value(table, column, name)
            await session.execute(insert(table).values(**row))
        await session.commit()


async def build(url: str, name: str) -> None:
    from cli.seed import DEMO_PASSWORD, seed_demo
    from gateway.security import hash_password
    from store.db import create_schema, make_engine, make_sessionmaker
    from store.models import Base

    engine = make_engine(url)
    await create_schema(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await seed_demo(session, hash_password(DEMO_PASSWORD))
    await fill(sessionmaker, Base.metadata, name)
    await engine.dispose()


def dump_sqlite(path: Path, out: Path, name: str) -> None:
    with sqlite3.connect(path) as conn:
        lines = list(conn.iterdump())
    out.write_text(f"-- SatuPintu database as release {name} leaves it (scripts/release_database.py)\n" + "\n".join(lines) + "\n")


def dump_postgres(out: Path, name: str) -> None:
    from tests.pgserver import ThrowawayPostgres

    with ThrowawayPostgres() as pg:
        asyncio.run(build(pg.url, name))
        dumped = subprocess.run([str(Path(pg.bin_dir) / "pg_dump"), "--no-owner", "--no-privileges", "--no-comments", pg.dsn()],
                                check=True, capture_output=True, text=True, env=_pg_env()).stdout
    # pg_dump's restrict lines (PostgreSQL 17+) carry a random key that would change the file on every run.
    kept = [line for line in dumped.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))]
    out.write_text(f"-- SatuPintu database as release {name} leaves it (scripts/release_database.py)\n" + "\n".join(kept) + "\n")


def _pg_env() -> dict:
    from tests.pgserver import _client_env

    return _client_env()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="the release's name, written into the sample values")
    parser.add_argument("--sqlite", type=Path, required=True)
    parser.add_argument("--postgres", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "release.db"
        asyncio.run(build(f"sqlite+aiosqlite:///{db}", args.name))
        dump_sqlite(db, args.sqlite, args.name)
    dump_postgres(args.postgres, args.name)


if __name__ == "__main__":
    main()
