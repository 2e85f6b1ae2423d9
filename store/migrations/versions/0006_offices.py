"""Issue 17: several offices in one installation.

The table `office` holds each office's identity, calendar overrides, hours and processes. Every row that belongs to an
office says which: units, staff, case rows, tasks, runs, queue tickets and WhatsApp conversations (`office_id`); the
letter registers are kept per office (a number sequence's scope becomes "<office code>/<scope>"). Unit codes are
unique per office, queue numbers per office and day, a WhatsApp conversation per office and number.

An installation upgraded from one office loses nothing: that office becomes the first office, with the identity of its
`process_defs/office.yaml` when the file is still there (or at SATUPINTU_LEGACY_OFFICE_YAML; else the court of the
demo), and every existing row, number, pending start and staff account becomes its. Runs still under way carry no
office code: they finish as the first office's (store/offices.py), under the identity they started with.
`admin_change` is the record of administrative changes.

Revision ID: 0006
Revises: 0005
Created: 2026-12-07 23:30:00
"""

import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows belong to one office (store/models.py OfficeOwned), all filled with the first office.
OWNED = ("unit", "leave_request", "permit_application", "walk_in_visit", "letter", "siramasakan_request", "complaint",
         "task", "process_run", "queue_ticket", "whatsapp_conversation")

# The single office of the release before, as its process_defs/office.yaml shipped.
SHIPPED_OFFICE = {
    "name": "Mahkamah Syar'iyah Lhokseumawe", "short_name": "MS Lhokseumawe", "address": "Jl. Iskandar Muda, Lhokseumawe, Aceh",
    "city": "Lhokseumawe", "timezone": "Asia/Jakarta", "head_title": "Ketua",
}
SHIPPED_CALENDAR = {
    "working_weekdays": [0, 1, 2, 3, 4], "office_hours": {"start": "08:00", "end": "16:30"},
    "extra_holidays": [{"date": "2026-12-26", "name": "Peringatan Tsunami Aceh (libur daerah)"},
                       {"date": "2027-12-26", "name": "Peringatan Tsunami Aceh (libur daerah)"}],
    "extra_working_days": [],
}
EVERY_PROCESS = ["leave", "permit", "walk_in", "letter", "whatsapp", "siramasakan", "complaint"]


def legacy_office_yaml() -> Path:
    """Where the release before kept its one office: process_defs/office.yaml of the installation. An operator whose
    file lives elsewhere (a volume, a backup) names it in SATUPINTU_LEGACY_OFFICE_YAML."""
    named = os.environ.get("SATUPINTU_LEGACY_OFFICE_YAML")
    return Path(named) if named else Path(__file__).resolve().parents[3] / "process_defs" / "office.yaml"


def _installed_office() -> tuple[dict, dict]:
    """The identity and calendar of the office.yaml the installation ran with, if it is still in place."""
    legacy = legacy_office_yaml()
    if not legacy.exists():
        return SHIPPED_OFFICE, SHIPPED_CALENDAR
    data = yaml.safe_load(legacy.read_text(encoding="utf-8"))
    office = {k: str(data["office"][k]) for k in SHIPPED_OFFICE}
    c = data.get("calendar", {})
    calendar = {
        "working_weekdays": c.get("working_weekdays", [0, 1, 2, 3, 4]), "office_hours": c.get("office_hours", {"start": "08:00", "end": "16:30"}),
        "extra_holidays": [{"date": str(h["date"]), "name": h["name"]} for h in c.get("extra_holidays", [])],
        "extra_working_days": [str(d) for d in c.get("extra_working_days", [])],
    }
    # Which national holidays the office kept (e.g. no cuti bersama) and whose: the office row carries them on
    # (process_defs/loader.py office_file reads them over the shipped calendar).
    calendar.update({k: c[k] for k in ("country", "holiday_categories") if k in c})
    return office, calendar


def _first_office(bind: sa.Connection) -> int:
    """The installation's one office as the first office; its id."""
    identity, calendar = _installed_office()
    code = os.environ.get("SATUPINTU_FIRST_OFFICE_CODE", "ms-lhokseumawe")
    office_table = sa.table('office', *(sa.column(c) for c in ('code', 'name', 'short_name', 'address', 'city', 'timezone', 'head_title')),
                            *(sa.column(c, sa.JSON()) for c in ('letterhead', 'agency_letterheads', 'calendar', 'processes')),
                            sa.column('is_active', sa.Boolean()), sa.column('created_at', sa.DateTime(timezone=True)))
    bind.execute(office_table.insert().values(
        code=code, **identity, letterhead=[], agency_letterheads={}, calendar=calendar, processes=EVERY_PROCESS,
        is_active=True, created_at=sa.func.current_timestamp()))
    return bind.execute(sa.text("SELECT id FROM office WHERE code = :code"), {"code": code}).scalar_one()


def upgrade() -> None:
    op.create_table('office',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('head_title', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('whatsapp_number', sa.String(length=40), nullable=True),
    sa.Column('letterhead', sa.JSON(), nullable=False),
    sa.Column('agency_letterheads', sa.JSON(), nullable=False),
    sa.Column('logo_key', sa.String(length=200), nullable=True),
    sa.Column('logo_content_type', sa.String(length=40), nullable=True),
    sa.Column('calendar', sa.JSON(), nullable=False),
    sa.Column('processes', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('office_pkey')),
    sa.UniqueConstraint('code', name=op.f('office_code_key')),
    sa.UniqueConstraint('whatsapp_number', name=op.f('office_whatsapp_number_key'))
    )
    op.create_table('admin_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('admin_change_actor_id_fkey')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('admin_change_office_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('admin_change_pkey'))
    )
    op.create_index(op.f('ix_admin_change_at'), 'admin_change', ['at'], unique=False)
    op.create_index(op.f('ix_admin_change_office_id'), 'admin_change', ['office_id'], unique=False)

    bind = op.get_bind()
    # A new, empty database gets its offices from `satupintu init-db` (the demo) or its installation administrator.
    holds_data = any(bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first()  # noqa: S608 - table names above
                     for table in ("app_user", *OWNED, "issued_number"))
    if holds_data:
        first = _first_office(bind)
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        if holds_data:
            bind.execute(sa.text(f"UPDATE {table} SET office_id = :first"), {"first": first})  # noqa: S608 - table names above
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('office_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_office_id'), ['office_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'{table}_office_id_fkey'), 'office', ['office_id'], ['id'])

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deactivation_reason', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_user_office_id'), ['office_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('app_user_office_id_fkey'), 'office', ['office_id'], ['id'])
    # Staff worked for the one office; applicants belong to none (their account works in every office).
    if holds_data:
        bind.execute(sa.text("UPDATE app_user SET office_id = :first WHERE kind = 'staff'"), {"first": first})

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.drop_constraint('unit_code_key', type_='unique')
        batch_op.create_unique_constraint('uq_unit_office_code', ['office_id', 'code'])

    with op.batch_alter_table('process_start', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('process_start_office_id_fkey'), 'office', ['office_id'], ['id'])
    # A start still waiting in the outbox is the first office's case: its run is filed under it (store/outbox.py memo).
    if holds_data:
        bind.execute(sa.text("UPDATE process_start SET office_id = :first"), {"first": first})

    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_ticket_waiting')
        batch_op.drop_index('ix_queue_ticket_counter')
        batch_op.drop_constraint('uq_queue_ticket_day_group_seq', type_='unique')
        batch_op.create_unique_constraint('uq_queue_ticket_office_day_group_seq', ['office_id', 'service_day', 'group_code', 'sequence'])
        batch_op.create_index('ix_queue_ticket_waiting', ['office_id', 'service_day', 'group_code', 'status', 'sequence'], unique=False)
        batch_op.create_index('ix_queue_ticket_counter', ['office_id', 'service_day', 'counter_code', 'called_at'], unique=False)

    with op.batch_alter_table('whatsapp_conversation', schema=None) as batch_op:
        batch_op.drop_constraint('whatsapp_conversation_phone_key', type_='unique')
        batch_op.create_unique_constraint('uq_whatsapp_conversation_office_phone', ['office_id', 'phone'])

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_inbox_role_unowned', postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index('ix_task_inbox_escalated')
        batch_op.create_index('ix_task_inbox_role_unowned', ['office_id', 'status', 'role', 'created_at', 'id'], unique=False,
                              postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.create_index('ix_task_inbox_escalated', ['office_id', 'status', 'escalated_to_role', 'created_at', 'id'], unique=False)

    # A register's scope now begins with its office's code (up to 40 characters and a slash): room for it.
    for table in ("number_sequence", "issued_number"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('scope', existing_type=sa.String(length=80), type_=sa.String(length=160), existing_nullable=False)
    # Owners and auditors page through their own office's runs: the keyset indexes lead with the office.
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        for name in ('ix_process_run_process_status_started', 'ix_process_run_status_started', 'ix_process_run_process_started',
                     'ix_process_run_business_key'):
            batch_op.drop_index(name)
        batch_op.create_index('ix_process_run_business_key', ['office_id', 'business_key'], unique=False)
        batch_op.create_index('ix_process_run_office_started', ['office_id', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_process_status_started', ['office_id', 'process', 'status', 'started_at', 'workflow_id'],
                              unique=False)
        batch_op.create_index('ix_process_run_status_started', ['office_id', 'status', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_process_started', ['office_id', 'process', 'started_at', 'workflow_id'], unique=False)

    # The letter registers become the first office's: its numbers go on from where they were.
    if holds_data:
        code = bind.execute(sa.text("SELECT code FROM office WHERE id = :first"), {"first": first}).scalar_one()
        for table in ("number_sequence", "issued_number"):
            bind.execute(sa.text(f"UPDATE {table} SET scope = :prefix || scope"), {"prefix": f"{code}/"})  # noqa: S608 - table names above


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM office")).scalar_one() > 1:
        raise RuntimeError("Downgrade ditolak: instalasi ini melayani lebih dari satu kantor.")
    code = bind.execute(sa.text("SELECT code FROM office")).scalar_one_or_none() or ""
    for table in ("number_sequence", "issued_number") if code else ():
        bind.execute(sa.text(f"UPDATE {table} SET scope = substr(scope, :n) WHERE scope LIKE :prefix"),  # noqa: S608 - table names above
                     {"n": len(code) + 2, "prefix": f"{code}/%"})
    for table in ("number_sequence", "issued_number"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('scope', existing_type=sa.String(length=160), type_=sa.String(length=80), existing_nullable=False)
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        for name in ('ix_process_run_office_started', 'ix_process_run_process_status_started', 'ix_process_run_status_started',
                     'ix_process_run_process_started', 'ix_process_run_business_key'):
            batch_op.drop_index(name)
        batch_op.create_index('ix_process_run_business_key', ['business_key'], unique=False)
        batch_op.create_index('ix_process_run_process_status_started', ['process', 'status', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_status_started', ['status', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_process_started', ['process', 'started_at', 'workflow_id'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_inbox_role_unowned', postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index('ix_task_inbox_escalated')
        batch_op.create_index('ix_task_inbox_role_unowned', ['status', 'role', 'created_at', 'id'], unique=False,
                              postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.create_index('ix_task_inbox_escalated', ['status', 'escalated_to_role', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('whatsapp_conversation', schema=None) as batch_op:
        batch_op.drop_constraint('uq_whatsapp_conversation_office_phone', type_='unique')
        batch_op.create_unique_constraint('whatsapp_conversation_phone_key', ['phone'])
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_ticket_waiting')
        batch_op.drop_index('ix_queue_ticket_counter')
        batch_op.drop_constraint('uq_queue_ticket_office_day_group_seq', type_='unique')
        batch_op.create_unique_constraint('uq_queue_ticket_day_group_seq', ['service_day', 'group_code', 'sequence'])
        batch_op.create_index('ix_queue_ticket_waiting', ['service_day', 'group_code', 'status', 'sequence'], unique=False)
        batch_op.create_index('ix_queue_ticket_counter', ['service_day', 'counter_code', 'called_at'], unique=False)
    with op.batch_alter_table('process_start', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('process_start_office_id_fkey'), type_='foreignkey')
        batch_op.drop_column('office_id')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint('uq_unit_office_code', type_='unique')
        batch_op.create_unique_constraint('unit_code_key', ['code'])
        batch_op.drop_column('is_active')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('app_user_office_id_fkey'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_app_user_office_id'))
        batch_op.drop_column('deactivation_reason')
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('office_id')
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'{table}_office_id_fkey'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_office_id'))
            batch_op.drop_column('office_id')
    op.drop_index(op.f('ix_admin_change_office_id'), table_name='admin_change')
    op.drop_index(op.f('ix_admin_change_at'), table_name='admin_change')
    op.drop_table('admin_change')
    op.drop_table('office')
