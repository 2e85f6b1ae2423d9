from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from store.models import Base
from store.settings import get_settings


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # A pool as wide as the busiest moment (20 people deciding at once, the worker's activities beside them):
        # past the pool, every session opens a connection, its thread and its pragmas, and closes them again.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=20, max_overflow=20)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # WAL lets the gateway read while the worker writes; busy_timeout rides out short write locks.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # Each process holds at most pool_size + max_overflow connections: the figures PostgreSQL's max_connections is
    # budgeted for (docker-compose.yml), so they come from the settings rather than from here.
    settings = get_settings()
    return create_async_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The schema of the last release made without migrations (0091149): a database created by create_all then is at it.
BASELINE_REVISION = "0001"
# One migrator at a time on PostgreSQL (two `migrate` containers, or an operator's `alembic upgrade` beside one).
_MIGRATION_LOCK = 7_281_460_514


def alembic_config(*, url: str | None = None) -> Config:
    """Alembic's configuration without alembic.ini, so the installed package migrates wherever it runs."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.attributes["url"] = url
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # the migrations ship with the package: there is always a head
        raise RuntimeError(f"no migration in {MIGRATIONS_DIR}")
    return head


async def upgrade_schema(engine: AsyncEngine) -> None:
    """Brings the database to the newest migration: an empty one is built, one from an earlier release upgraded in
    place. A database made before the migrations existed (create_all, up to release 0091149) has no version table:
    its schema is the baseline's, so it is stamped there first and then upgraded like any other."""
    await migrate(engine, _upgrade)


async def migrate(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Runs `work` (Alembic commands on a sync connection) in one transaction, the way every migration must run.

    PostgreSQL: under an advisory lock, so two migrators never interleave. SQLite: with foreign keys off, because
    altering a table there means copying it and dropping the original, which a referencing table's foreign key
    refuses; the keys are checked before the transaction commits, and switched on again on that connection."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Only outside a transaction does SQLite take this pragma.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                await conn.run_sync(work)
                if sqlite and (broken := (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()):
                    raise RuntimeError(f"Migrasi ditolak: {len(broken)} baris melanggar kunci asing, misalnya {broken[0]}.")
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


def _upgrade(conn: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    tables = set(inspect(conn).get_table_names())
    if tables and "alembic_version" not in tables:
        command.stamp(config, BASELINE_REVISION)
    command.upgrade(config, "head")


async def create_schema(engine: AsyncEngine) -> None:
    """A new, empty database at the newest migration, quickly (tests and benchmarks make hundreds): the models' tables
    at once, stamped at the head. tests/unit/test_migrations.py checks that the migrations build the very same schema."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(_stamp_head)


def _stamp_head(conn: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    command.stamp(config, "head")


@asynccontextmanager
async def session_scope(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        async with session.begin():
            yield session
