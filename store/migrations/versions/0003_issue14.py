"""Issue 14 (security): a token version per account (signing out ends every session), WhatsApp conversations under an
opaque id (the number in no workflow id).

Revision ID: 0003
Revises: 0002
Created: 2026-12-07 17:52:32.225804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('whatsapp_conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('whatsapp_conversation_pkey')),
    sa.UniqueConstraint('phone', name=op.f('whatsapp_conversation_phone_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('whatsapp_conversation_workflow_id_key'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default=sa.text('0'), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('token_version')

    op.drop_table('whatsapp_conversation')
