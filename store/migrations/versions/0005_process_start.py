"""Issue 15: a case recorded but never started is started (the transactional outbox, store/outbox.py): the table
`process_start` holds what starts a case's process, written with the case and removed once Temporal has the run.

Revision ID: 0005
Revises: 0004
Created: 2026-12-07 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('process_start',
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('workflow_type', sa.String(length=80), nullable=False),
    sa.Column('task_queue', sa.String(length=200), nullable=False),
    sa.Column('case_table', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('workflow_id', name=op.f('process_start_pkey'))
    )
    op.create_index(op.f('ix_process_start_created_at'), 'process_start', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_process_start_created_at'), table_name='process_start')
    op.drop_table('process_start')
