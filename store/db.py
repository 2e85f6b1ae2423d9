from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.schema import CreateColumn, CreateIndex

from store.models import Base


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # A pool as wide as the busiest moment (20 people deciding at once, the worker's activities beside them):
        # past the pool, every session opens a connection, its thread and its pragmas, and closes them again.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=20, max_overflow=20)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            # WAL lets the gateway read while the worker writes; busy_timeout rides out short write locks.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(_add_missing_columns)
        # create_all skips the indexes of tables that already exist: an index added since stays missing otherwise.
        await conn.run_sync(_create_missing_indexes)


def _add_missing_columns(conn) -> None:  # noqa: ANN001
    """Columns added to a model since the database was made (until the schema has migrations, issue 15).
    Only a column that is nullable or has a server default can be added to a table with rows in it."""
    inspector = inspect(conn)
    existing_tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable and column.server_default is None:
                raise RuntimeError(f"Kolom baru {table.name}.{column.name} wajib punya server_default agar basis data lama dapat diperbarui.")
            ddl = CreateColumn(column).compile(dialect=conn.dialect)
            try:
                with conn.begin_nested():
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}'))
            except (OperationalError, ProgrammingError) as exc:
                # The worker and the gateway may start at the same moment: the other one added it first.
                if "duplicate" not in str(exc).lower() and "already exists" not in str(exc).lower():
                    raise


def _create_missing_indexes(conn) -> None:  # noqa: ANN001
    # IF NOT EXISTS, not a check then a create: the worker and the gateway may start at the same moment.
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            conn.execute(CreateIndex(index, if_not_exists=True))


@asynccontextmanager
async def session_scope(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        async with session.begin():
            yield session
