"""baseline: the schema of the release before migrations (0091149)

Revision ID: 0001
Revises: (none: a database made by create_all before the migrations is stamped at this revision)
Created: 2026-12-07 17:52:20.546310
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('issued_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('issued_number_pkey')),
    sa.UniqueConstraint('idempotency_key', name=op.f('issued_number_idempotency_key_key')),
    sa.UniqueConstraint('scope', 'year', 'sequence', name=op.f('issued_number_scope_year_sequence_key'))
    )
    op.create_table('number_sequence',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'year', name=op.f('number_sequence_pkey'))
    )
    op.create_table('process_run',
    sa.Column('workflow_id', sa.String(length=160), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('workflow_type', sa.String(length=80), nullable=False),
    sa.Column('business_key', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workflow_id', name=op.f('process_run_pkey'))
    )
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_run_business_key'), ['business_key'], unique=False)
        batch_op.create_index('ix_process_run_closed', ['closed_at'], unique=False)
        batch_op.create_index('ix_process_run_process_started', ['process', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_process_status_started', ['process', 'status', 'started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_started', ['started_at', 'workflow_id'], unique=False)
        batch_op.create_index('ix_process_run_status_started', ['status', 'started_at', 'workflow_id'], unique=False)

    op.create_table('registry_callback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('request_code', sa.String(length=12), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('registry_callback_pkey')),
    sa.UniqueConstraint('event_id', name=op.f('registry_callback_event_id_key'))
    )
    with op.batch_alter_table('registry_callback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_callback_request_code'), ['request_code'], unique=False)

    op.create_table('throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('throttle_pkey'))
    )
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('unit_parent_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('unit_pkey')),
    sa.UniqueConstraint('code', name=op.f('unit_code_key'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('nip', sa.String(length=30), nullable=True),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supervisor_id'], ['app_user.id'], name=op.f('app_user_supervisor_id_fkey')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('app_user_unit_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('app_user_pkey')),
    sa.UniqueConstraint('username', name=op.f('app_user_username_key'))
    )
    op.create_table('applicant_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('npwp', sa.String(length=20), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('education', sa.String(length=40), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('province_code', sa.String(length=20), nullable=False),
    sa.Column('regency_code', sa.String(length=20), nullable=False),
    sa.Column('district_code', sa.String(length=20), nullable=False),
    sa.Column('village_code', sa.String(length=20), nullable=False),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('applicant_profile_user_id_fkey')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('applicant_profile_pkey')),
    sa.UniqueConstraint('nik', name=op.f('applicant_profile_nik_key'))
    )
    op.create_table('case_event',
    sa.Column('id', sa.String(length=160), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=60), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('case_event_actor_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('case_event_pkey'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_workflow_id'), ['workflow_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('number', sa.String(length=120), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_by', sa.String(length=200), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('document_owner_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('document_pkey')),
    sa.UniqueConstraint('idempotency_key', name=op.f('document_idempotency_key_key'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_workflow_id'), ['workflow_id'], unique=False)

    op.create_table('email_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('email_code_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('email_code_pkey'))
    )
    with op.batch_alter_table('email_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_code_email'), ['email'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['app_user.id'], name=op.f('notification_recipient_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('notification_pkey')),
    sa.UniqueConstraint('idempotency_key', 'channel', name=op.f('notification_idempotency_key_channel_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('permit_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['app_user.id'], name=op.f('permit_draft_applicant_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('permit_draft_pkey'))
    )
    with op.batch_alter_table('permit_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permit_draft_applicant_id'), ['applicant_id'], unique=False)

    op.create_table('signing_authorization',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('wrapped_key', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signer_id'], ['app_user.id'], name=op.f('signing_authorization_signer_id_fkey')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('signing_authorization_pkey'))
    )
    op.create_table('siramasakan_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=80), nullable=False),
    sa.Column('kk_number', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('decided_case_number', sa.String(length=80), nullable=True),
    sa.Column('handoff_path', sa.String(length=10), nullable=True),
    sa.Column('handed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registry_reference', sa.String(length=120), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_reason', sa.Text(), nullable=True),
    sa.Column('documents_to_collect', sa.JSON(), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['app_user.id'], name=op.f('siramasakan_request_applicant_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('siramasakan_request_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('siramasakan_request_client_key_key')),
    sa.UniqueConstraint('code', name=op.f('siramasakan_request_code_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('siramasakan_request_workflow_id_key'))
    )
    with op.batch_alter_table('siramasakan_request', schema=None) as batch_op:
        batch_op.create_index('ix_siramasakan_pending', ['finished_at', 'handed_off_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_siramasakan_request_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_siramasakan_request_status'), ['status'], unique=False)

    op.create_table('stored_file',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('original_filename', sa.String(length=300), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('extension', sa.String(length=10), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('stored_file_owner_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('stored_file_pkey'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_owner_id'), ['owner_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.String(length=160), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=60), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('delegate_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcomes', sa.JSON(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_to_role', sa.String(length=60), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('acting_for_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['acting_for_id'], ['app_user.id'], name=op.f('task_acting_for_id_fkey')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['app_user.id'], name=op.f('task_claimed_by_id_fkey')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['app_user.id'], name=op.f('task_completed_by_id_fkey')),
    sa.ForeignKeyConstraint(['delegate_id'], ['app_user.id'], name=op.f('task_delegate_id_fkey')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('task_owner_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('task_pkey'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_inbox_delegate', ['status', 'delegate_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_task_inbox_done', ['status', 'completed_by_id', 'completed_at', 'id'], unique=False)
        batch_op.create_index('ix_task_inbox_escalated', ['status', 'escalated_to_role', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_task_inbox_owned', ['status', 'owner_id', 'created_at', 'id'], unique=False, postgresql_where=sa.text('owner_id IS NOT NULL'), sqlite_where=sa.text('owner_id IS NOT NULL'))
        batch_op.create_index('ix_task_inbox_role_unowned', ['status', 'role', 'created_at', 'id'], unique=False, postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.create_index(batch_op.f('ix_task_workflow_id'), ['workflow_id'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('user_role_user_id_fkey')),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('user_role_pkey'))
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role_role'), ['role'], unique=False)

    op.create_table('walk_in_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('service_code', sa.String(length=60), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('one_day', sa.Boolean(), nullable=False),
    sa.Column('visitor_name', sa.String(length=200), nullable=False),
    sa.Column('visitor_phone', sa.String(length=20), nullable=True),
    sa.Column('visitor_nik', sa.String(length=16), nullable=True),
    sa.Column('queue_number', sa.String(length=16), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('receipt_number', sa.String(length=120), nullable=True),
    sa.Column('estimated_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('target_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overrun_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_number', sa.String(length=120), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['registered_by_id'], ['app_user.id'], name=op.f('walk_in_visit_registered_by_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('walk_in_visit_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('walk_in_visit_client_key_key')),
    sa.UniqueConstraint('code', name=op.f('walk_in_visit_code_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('walk_in_visit_workflow_id_key'))
    )
    with op.batch_alter_table('walk_in_visit', schema=None) as batch_op:
        batch_op.create_index('ix_walk_in_open', ['finished_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_walk_in_visit_status'), ['status'], unique=False)

    op.create_table('leave_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('leave_type', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('address_during_leave', sa.Text(), nullable=True),
    sa.Column('substitute_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('letter_number', sa.String(length=120), nullable=True),
    sa.Column('document_id', sa.String(length=40), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('leave_request_document_id_fkey')),
    sa.ForeignKeyConstraint(['employee_id'], ['app_user.id'], name=op.f('leave_request_employee_id_fkey')),
    sa.ForeignKeyConstraint(['substitute_id'], ['app_user.id'], name=op.f('leave_request_substitute_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('leave_request_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('leave_request_client_key_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('leave_request_workflow_id_key'))
    )
    with op.batch_alter_table('leave_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leave_request_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leave_request_status'), ['status'], unique=False)

    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=300), nullable=True),
    sa.Column('sender_number', sa.String(length=120), nullable=True),
    sa.Column('received_via', sa.String(length=20), nullable=True),
    sa.Column('recipient', sa.String(length=300), nullable=True),
    sa.Column('letter_date', sa.Date(), nullable=False),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('number', sa.String(length=120), nullable=True),
    sa.Column('disposition', sa.JSON(), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('scan_file_id', sa.String(length=40), nullable=True),
    sa.Column('softcopy_file_id', sa.String(length=40), nullable=True),
    sa.Column('delivered_to', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('letter_created_by_id_fkey')),
    sa.ForeignKeyConstraint(['scan_file_id'], ['stored_file.id'], name=op.f('letter_scan_file_id_fkey')),
    sa.ForeignKeyConstraint(['softcopy_file_id'], ['stored_file.id'], name=op.f('letter_softcopy_file_id_fkey')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('letter_unit_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('letter_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('letter_client_key_key')),
    sa.UniqueConstraint('code', name=op.f('letter_code_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('letter_workflow_id_key'))
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_status'), ['status'], unique=False)

    op.create_table('permit_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resi', sa.String(length=6), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('permit_type', sa.String(length=60), nullable=False),
    sa.Column('request_kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('applicant_data', sa.JSON(), nullable=False),
    sa.Column('company', sa.JSON(), nullable=True),
    sa.Column('location', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('revision_round', sa.Integer(), nullable=False),
    sa.Column('revision_notes', sa.Text(), nullable=True),
    sa.Column('revision_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('permit_number', sa.String(length=120), nullable=True),
    sa.Column('permit_document_id', sa.String(length=40), nullable=True),
    sa.Column('download_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['app_user.id'], name=op.f('permit_application_applicant_id_fkey')),
    sa.ForeignKeyConstraint(['permit_document_id'], ['document.id'], name=op.f('permit_application_permit_document_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('permit_application_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('permit_application_client_key_key')),
    sa.UniqueConstraint('resi', name=op.f('permit_application_resi_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('permit_application_workflow_id_key'))
    )
    with op.batch_alter_table('permit_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permit_application_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_permit_application_status'), ['status'], unique=False)

    op.create_table('queue_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('group_code', sa.String(length=8), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('counter_code', sa.String(length=8), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_by_id', sa.Integer(), nullable=True),
    sa.Column('recall_count', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['app_user.id'], name=op.f('queue_ticket_called_by_id_fkey')),
    sa.ForeignKeyConstraint(['visit_id'], ['walk_in_visit.id'], name=op.f('queue_ticket_visit_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('queue_ticket_pkey')),
    sa.UniqueConstraint('service_day', 'group_code', 'sequence', name='uq_queue_ticket_day_group_seq')
    )
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_queue_ticket_counter', ['service_day', 'counter_code', 'called_at'], unique=False)
        batch_op.create_index('ix_queue_ticket_waiting', ['service_day', 'group_code', 'status', 'sequence'], unique=False)

    op.create_table('whatsapp_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wa_message_id', sa.String(length=200), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('whatsapp_message_notification_id_fkey')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['app_user.id'], name=op.f('whatsapp_message_sent_by_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('whatsapp_message_pkey')),
    sa.UniqueConstraint('wa_message_id', name=op.f('whatsapp_message_wa_message_id_key'))
    )
    with op.batch_alter_table('whatsapp_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_message_phone'), ['phone'], unique=False)

    op.create_table('chat_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['permit_application.id'], name=op.f('chat_message_application_id_fkey')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('chat_message_file_id_fkey')),
    sa.ForeignKeyConstraint(['sender_id'], ['app_user.id'], name=op.f('chat_message_sender_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('chat_message_pkey'))
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_message_application_id'), ['application_id'], unique=False)

    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=20), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('incident_date', sa.Date(), nullable=True),
    sa.Column('applicant_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('letter_number', sa.String(length=120), nullable=True),
    sa.Column('letter_document_id', sa.String(length=40), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('stage_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['app_user.id'], name=op.f('complaint_applicant_id_fkey')),
    sa.ForeignKeyConstraint(['application_id'], ['permit_application.id'], name=op.f('complaint_application_id_fkey')),
    sa.ForeignKeyConstraint(['letter_document_id'], ['document.id'], name=op.f('complaint_letter_document_id_fkey')),
    sa.ForeignKeyConstraint(['officer_id'], ['app_user.id'], name=op.f('complaint_officer_id_fkey')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('complaint_unit_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('complaint_pkey')),
    sa.UniqueConstraint('client_key', name=op.f('complaint_client_key_key')),
    sa.UniqueConstraint('tracking_number', name=op.f('complaint_tracking_number_key')),
    sa.UniqueConstraint('workflow_id', name=op.f('complaint_workflow_id_key'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_stage'), ['stage'], unique=False)

    op.create_table('permit_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['permit_application.id'], name=op.f('permit_revision_application_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('permit_revision_pkey')),
    sa.UniqueConstraint('application_id', 'round', name=op.f('permit_revision_application_id_round_key'))
    )
    with op.batch_alter_table('permit_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permit_revision_application_id'), ['application_id'], unique=False)

    op.create_table('substitution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('acting_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('leave_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acting_id'], ['app_user.id'], name=op.f('substitution_acting_id_fkey')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('substitution_created_by_id_fkey')),
    sa.ForeignKeyConstraint(['leave_request_id'], ['leave_request.id'], name=op.f('substitution_leave_request_id_fkey')),
    sa.ForeignKeyConstraint(['official_id'], ['app_user.id'], name=op.f('substitution_official_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('substitution_pkey')),
    sa.UniqueConstraint('leave_request_id', name=op.f('substitution_leave_request_id_key'))
    )
    with op.batch_alter_table('substitution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_substitution_acting_id'), ['acting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_substitution_official_id'), ['official_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('permit_type', sa.String(length=60), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('ikm', sa.Double(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['permit_application.id'], name=op.f('survey_response_application_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('survey_response_pkey')),
    sa.UniqueConstraint('application_id', name=op.f('survey_response_application_id_key'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_permit_type'), ['permit_type'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_permit_type'))

    op.drop_table('survey_response')
    with op.batch_alter_table('substitution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_substitution_official_id'))
        batch_op.drop_index(batch_op.f('ix_substitution_acting_id'))

    op.drop_table('substitution')
    with op.batch_alter_table('permit_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permit_revision_application_id'))

    op.drop_table('permit_revision')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_stage'))
        batch_op.drop_index(batch_op.f('ix_complaint_category'))
        batch_op.drop_index(batch_op.f('ix_complaint_applicant_id'))

    op.drop_table('complaint')
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_message_application_id'))

    op.drop_table('chat_message')
    with op.batch_alter_table('whatsapp_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_message_phone'))

    op.drop_table('whatsapp_message')
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_ticket_waiting')
        batch_op.drop_index('ix_queue_ticket_counter')

    op.drop_table('queue_ticket')
    with op.batch_alter_table('permit_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permit_application_status'))
        batch_op.drop_index(batch_op.f('ix_permit_application_applicant_id'))

    op.drop_table('permit_application')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_status'))
        batch_op.drop_index(batch_op.f('ix_letter_created_by_id'))

    op.drop_table('letter')
    with op.batch_alter_table('leave_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leave_request_status'))
        batch_op.drop_index(batch_op.f('ix_leave_request_employee_id'))

    op.drop_table('leave_request')
    with op.batch_alter_table('walk_in_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_walk_in_visit_status'))
        batch_op.drop_index('ix_walk_in_open')

    op.drop_table('walk_in_visit')
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role_role'))

    op.drop_table('user_role')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_workflow_id'))
        batch_op.drop_index('ix_task_inbox_role_unowned', postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index('ix_task_inbox_owned', postgresql_where=sa.text('owner_id IS NOT NULL'), sqlite_where=sa.text('owner_id IS NOT NULL'))
        batch_op.drop_index('ix_task_inbox_escalated')
        batch_op.drop_index('ix_task_inbox_done')
        batch_op.drop_index('ix_task_inbox_delegate')

    op.drop_table('task')
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_owner_id'))

    op.drop_table('stored_file')
    with op.batch_alter_table('siramasakan_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_siramasakan_request_status'))
        batch_op.drop_index(batch_op.f('ix_siramasakan_request_applicant_id'))
        batch_op.drop_index('ix_siramasakan_pending')

    op.drop_table('siramasakan_request')
    op.drop_table('signing_authorization')
    with op.batch_alter_table('permit_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permit_draft_applicant_id'))

    op.drop_table('permit_draft')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_recipient_id'))

    op.drop_table('notification')
    with op.batch_alter_table('email_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_code_email'))

    op.drop_table('email_code')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_workflow_id'))

    op.drop_table('document')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_workflow_id'))

    op.drop_table('case_event')
    op.drop_table('applicant_profile')
    op.drop_table('app_user')
    op.drop_table('unit')
    op.drop_table('throttle')
    with op.batch_alter_table('registry_callback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_callback_request_code'))

    op.drop_table('registry_callback')
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        batch_op.drop_index('ix_process_run_status_started')
        batch_op.drop_index('ix_process_run_started')
        batch_op.drop_index('ix_process_run_process_status_started')
        batch_op.drop_index('ix_process_run_process_started')
        batch_op.drop_index('ix_process_run_closed')
        batch_op.drop_index(batch_op.f('ix_process_run_business_key'))

    op.drop_table('process_run')
    op.drop_table('number_sequence')
    op.drop_table('issued_number')
