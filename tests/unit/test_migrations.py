"""The schema changes only by migrations (issue 15, item 6): `alembic upgrade head` builds a database exactly like the
models say (`alembic check` finds nothing), on SQLite and PostgreSQL, and a database made by the previous release,
with data in every table, is upgraded in place by `satupintu init-db` with nothing lost.

The previous release's databases are SQL dumps under tests/upgrades, made by scripts/release_database.py from that
release's own code: its schema, its demo organisation and one row in every table with a value in every column."""

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select

from gateway.app import create_app
from store.db import alembic_config, head_revision, make_engine
from tests.pgserver import ThrowawayPostgres, _client_env, postgres_available

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = Path(sys.prefix) / "bin" / "alembic"
PREVIOUS_RELEASE = "0091149"
UPGRADES = Path(__file__).parents[1] / "upgrades"

def _env(url: str, var_dir: Path) -> dict:
    return {**os.environ, "SATUPINTU_DATABASE_URL": url, "SATUPINTU_VAR_DIR": str(var_dir)}


def _alembic(url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ALEMBIC), *args], cwd=ROOT, env=_env(url, var_dir), capture_output=True, text=True, timeout=120)


def _init_db(url: str, var_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "init-db", "--no-seed"], cwd=ROOT, env=_env(url, var_dir),
                          capture_output=True, text=True, timeout=120)


async def _snapshot(url: str) -> dict[str, list[dict]]:
    """Every row of every table (but Alembic's own), as plain values, in a stable order."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            metadata = MetaData()
            await conn.run_sync(metadata.reflect)
            tables = {}
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [dict(row._mapping) for row in (await conn.execute(select(table))).all()]
                tables[table.name] = sorted(rows, key=repr)
            return tables
    finally:
        await engine.dispose()


# Migration 0006 (offices): the one office's letter registers are the first office's, "<its code>/<scope>".
REGISTERS, FIRST_OFFICE = ("number_sequence", "issued_number"), "ms-lhokseumawe"


def _still_there(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> None:
    for name, rows in before.items():
        assert name in after, f"table {name} is gone"
        kept = sorted(({k: row[k] for k in rows[0]} for row in after[name]), key=repr) if rows else []
        expected = sorted(({**row, "scope": f"{FIRST_OFFICE}/{row['scope']}"} for row in rows), key=repr) if name in REGISTERS else rows
        assert kept == expected, f"rows of {name} changed"
        assert rows, f"the release's dump has no rows in {name}: the test would prove nothing there"


async def _signs_in(url: str, var_dir: Path) -> None:
    """The upgraded database serves the gateway: a demo account of the old release signs in and reads its profile."""
    from store.settings import Settings

    app = create_app(Settings(database_url=url, var_dir=var_dir, payload_key="c2F0dXBpbnR1LXRlc3QtcGF5bG9hZC1rZXktMzJieXQ="))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        login = await c.post("/api/v1/auth/login", json={"username": "atasan1", "password": "Demo12345"})
        assert login.status_code == 200, login.text
        me = await c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert me.status_code == 200 and me.json()["username"] == "atasan1"


def test_the_migrations_have_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def _builds_the_models_schema(url: str, tmp_path: Path) -> None:
    built = _alembic(url, tmp_path, "upgrade", "head")
    assert built.returncode == 0, built.stderr
    checked = _alembic(url, tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr
    current = _alembic(url, tmp_path, "current")
    assert head_revision() in current.stdout


def test_alembic_builds_an_empty_sqlite_database_as_the_models_say(tmp_path: Path) -> None:
    # The URL as an operator writes it for any tool: SatuPintu picks its async driver itself.
    _builds_the_models_schema(f"sqlite:///{tmp_path / 'leer.db'}", tmp_path)


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
def test_alembic_builds_an_empty_postgresql_database_as_the_models_say(tmp_path: Path) -> None:
    with ThrowawayPostgres() as pg:
        _builds_the_models_schema(pg.url.replace("postgresql+asyncpg://", "postgresql://"), tmp_path)


def test_the_previous_releases_sqlite_database_is_upgraded_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "rilis.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((UPGRADES / f"{PREVIOUS_RELEASE}.sqlite.sql").read_text())
    url = f"sqlite+aiosqlite:///{path}"
    before = asyncio.run(_snapshot(url))

    upgraded = _init_db(url, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    _still_there(before, asyncio.run(_snapshot(url)))
    assert head_revision() in _alembic(url, tmp_path, "current").stdout
    # Named like a database the migrations built (SQLite left the old constraints unnamed), partial indexes and all.
    checked = _alembic(url, tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with sqlite3.connect(path) as conn:
        owned = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_task_inbox_owned'").fetchone()[0]
    assert owned.endswith("WHERE owner_id IS NOT NULL")
    # Once more changes nothing: `make run` upgrades on every start.
    again = _init_db(url, tmp_path)
    assert again.returncode == 0, again.stderr
    _still_there(before, asyncio.run(_snapshot(url)))
    asyncio.run(_signs_in(url, tmp_path))


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
def test_the_previous_releases_postgresql_database_is_upgraded_with_nothing_lost(tmp_path: Path) -> None:
    with ThrowawayPostgres() as pg:
        loaded = subprocess.run([str(Path(pg.bin_dir) / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-f",
                                 str(UPGRADES / f"{PREVIOUS_RELEASE}.postgres.sql"), pg.dsn()],
                                env=_client_env(), capture_output=True, text=True, timeout=120)
        assert loaded.returncode == 0, loaded.stderr
        before = asyncio.run(_snapshot(pg.url))

        upgraded = _init_db(pg.url, tmp_path)
        assert upgraded.returncode == 0, upgraded.stderr
        _still_there(before, asyncio.run(_snapshot(pg.url)))
        checked = _alembic(pg.url, tmp_path, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        asyncio.run(_signs_in(pg.url, tmp_path))
