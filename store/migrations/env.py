"""Alembic's environment for SatuPintu: the models' metadata, and the database of the running settings.

`satupintu init-db` (store/db.py upgrade_schema) hands in its own connection; the `alembic` command builds one from
SATUPINTU_DATABASE_URL (or the embedded SQLite file), like every other SatuPintu process."""

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(kind: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """A migration names plain SQLAlchemy types, never the models' own (which may change or go): the UTC datetimes are
    timezone-aware DateTime columns on every database."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    # Batch mode: SQLite alters a table by copying it; PostgreSQL gets plain ALTER statements from the same migration.
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True, render_item=_render_item, **kwargs)


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    from store.settings import get_settings  # noqa: PLC0415 - only the `alembic` command, which hands in no connection

    return config.attributes.get("url") or get_settings().effective_database_url


async def _run_async() -> None:
    from store.db import make_engine, migrate  # noqa: PLC0415 - only the `alembic` command, which hands in no connection

    engine = make_engine(_url())
    try:
        await migrate(engine, _run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
