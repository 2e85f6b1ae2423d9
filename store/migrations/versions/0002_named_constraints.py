"""Every constraint named alike on every database.

Databases made by create_all before the migrations have PostgreSQL's names for their unique and foreign-key
constraints, which the naming convention of store/models.py reproduces, but SQLite leaves them unnamed. Such a table
is copied once with the names (Alembic's batch mode), so that a later migration can drop or change a constraint by
its name on SQLite as on PostgreSQL, and `alembic check` finds nothing on either. Indexes, partial ones included,
are created again exactly as they were (their SQL is kept from sqlite_master).

Revision ID: 0002
Revises: 0001
Created: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The convention as it stood when this migration was written (store/models.py NAMING_CONVENTION).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
    "ck": "%(table_name)s_%(constraint_name)s_check",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL named them already, as the convention does
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        unnamed = any(c["name"] is None for c in inspector.get_unique_constraints(table)) or \
            any(fk["name"] is None for fk in inspector.get_foreign_keys(table))
        if not unnamed:
            continue
        indexes = bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                                       (table,)).all()
        for name, _ in indexes:
            op.drop_index(name, table_name=table)
        with op.batch_alter_table(table, recreate="always", naming_convention=NAMING_CONVENTION):
            pass
        for _, sql in indexes:
            bind.exec_driver_sql(sql)


def downgrade() -> None:
    pass  # names do no harm
