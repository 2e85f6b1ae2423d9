"""The read model and registers shared by the gateway and the activities.

Process state lives in Temporal; these tables are projections (task inbox, timelines, case rows)
and registers whose writes must be transactional (letter numbers, notifications, documents).
"""

from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text, UniqueConstraint, func, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores no zone and would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime stored; use timezone-aware UTC")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# Constraint names as PostgreSQL gives unnamed ones, so that databases made before the migrations (create_all) and
# the migrations name every constraint alike, and a migration can drop one by its name on either database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
    "ck": "%(table_name)s_%(constraint_name)s_check",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


class Office(Base):
    """An office the installation serves: its identity as documents and pages print it, its calendar overrides and
    hours, and the processes it offers. Its definitions (roles, numbering, catalog, counter…) are the YAML files of
    process_defs/offices/<code>/, over the shared ones in process_defs/ (process_defs/offices.py)."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public URLs name the office by this code (/kantor/<code>); it never changes once cases exist.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Jakarta")
    head_title: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    # The business number its WhatsApp assistant answers on (the Cloud API's phone_number_id), if any.
    whatsapp_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The lines above the office's name on its letterhead ("KEMENTERIAN AGAMA REPUBLIK INDONESIA"), and per issuing
    # agency of its catalog the lines of that agency's letterhead ({"BAKESBANGPOL": ["PEMERINTAH KOTA …", "BADAN …"]}).
    letterhead: Mapped[list] = mapped_column(default=list)
    agency_letterheads: Mapped[dict] = mapped_column(default=dict)
    # Storage key and type of the logo printed on its letterhead (store/storage.py), if uploaded.
    logo_key: Mapped[str | None] = mapped_column(String(200))
    logo_content_type: Mapped[str | None] = mapped_column(String(40))
    # working_weekdays, office_hours {start, end}, extra_holidays [{date, name}], extra_working_days [date] (office.yaml's
    # `calendar`, edited on the administration pages).
    calendar: Mapped[dict] = mapped_column(default=dict)
    # The processes it offers (process_defs/processes.py names).
    processes: Mapped[list] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfficeOwned:
    """A row that belongs to one office: staff of another office never read it (store/office_scope.py adds the
    office to every ORM query of a scoped session)."""

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)


class CaseRow(OfficeOwned):
    """The columns every process's case row has (a leave request, a permit application, a visit, a letter, a
    SIRAMASAKAN request, a complaint): the run it belongs to, the submission it was recorded from, where it stands,
    and when it ended. store/outbox.py starts and resumes a case's run by these; activities/case_rows.py writes its steps.
    A table whose status is shaped otherwise declares its own (PermitApplication, Complaint)."""

    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    # The submission's Idempotency-Key: a resent form finds its case instead of starting a second one.
    client_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    finished_at: Mapped[datetime | None]


class Unit(OfficeOwned, Base):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique within the office (two offices may both have a "TU").
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    __table_args__ = (UniqueConstraint("office_id", "code", name="uq_unit_office_code"),)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(30))
    position: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The office a member of staff works for; none for applicants (their account works in every office) and for the
    # installation's administrators.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None]
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    # "staff" (an office employee) or "applicant" (a citizen or business; username = NIK).
    kind: Mapped[str] = mapped_column(String(20), default="staff")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every session token carries the version it was issued under; raising it (gateway/services/sessions.py
    # revoke_sessions: sign-out, a new password, deactivation, other roles) ends every earlier session at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship(lazy="joined")
    profile: Mapped["ApplicantProfile | None"] = relationship(lazy="joined", uselist=False, back_populates="user")
    roles: Mapped[list["UserRole"]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)

    def is_staff_for(self, roles: "Collection[str] | None" = None) -> bool:
        """Office staff, and holding one of a process's roles when it names them: who sees that process's cases. An account
        of no office (the installation's administrator) sees no office's cases."""
        return self.kind == "staff" and self.office_id is not None and (roles is None or not set(roles).isdisjoint(r.role for r in self.roles))


# One account per email address, whatever its case: sign-in takes an email for a name and the PIN for a forgotten
# password goes to it, so two accounts with one address would leave both in doubt. Registration and a change of
# address check it first (with the message the form shows); this index is what holds when two arrive at once.
Index("uq_app_user_email_lower", func.lower(User.email), unique=True)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class Substitution(Base):
    """An acting official (Plh.): `acting_id` takes the tasks of `official_id` from start to end, inclusive."""

    __tablename__ = "substitution"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    acting_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # "leave" or "manual"
    leave_request_id: Mapped[int | None] = mapped_column(ForeignKey("leave_request.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]


class LeaveRequest(CaseRow, Base):
    __tablename__ = "leave_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    leave_type: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    address_during_leave: Mapped[str | None] = mapped_column(Text)
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    letter_number: Mapped[str | None] = mapped_column(String(120))
    document_id: Mapped[str | None] = mapped_column(ForeignKey("document.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[User] = relationship(foreign_keys=[employee_id], lazy="joined")


class CaseEvent(Base):
    """One line of a case's timeline, written by the workflow's activities (idempotent by id)."""

    __tablename__ = "case_event"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    process: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(default=dict)


class ProcessRun(OfficeOwned, Base):
    """The run index: one row per workflow run, projected from Temporal's visibility (workers/run_index.py),
    so that owners can filter and page through every run in SQL. Temporal stays the source of truth."""

    __tablename__ = "process_run"

    workflow_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    process: Mapped[str] = mapped_column(String(40))
    workflow_type: Mapped[str] = mapped_column(String(80))
    business_key: Mapped[str] = mapped_column(String(160))
    # running | completed | failed | cancelled | terminated | timed_out | continued_as_new
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # Keyset paging, newest first, within a process and status: of one office, as its owners' and auditors' sessions
        # read them (store/offices.py adds the office), so each index leads with it. The sync's watermark reads
        # max(started_at) of every office.
        Index("ix_process_run_started", "started_at", "workflow_id"),
        Index("ix_process_run_office_started", "office_id", "started_at", "workflow_id"),
        Index("ix_process_run_process_status_started", "office_id", "process", "status", "started_at", "workflow_id"),
        Index("ix_process_run_status_started", "office_id", "status", "started_at", "workflow_id"),
        Index("ix_process_run_process_started", "office_id", "process", "started_at", "workflow_id"),
        # A business key typed on the runs page: a range on the key, within the office.
        Index("ix_process_run_business_key", "office_id", "business_key"),
        # The sync's watermark reads max(closed_at) every few seconds.
        Index("ix_process_run_closed", "closed_at"),
    )


class ProcessStart(Base):
    """A process whose case is recorded but whose run Temporal may not have yet (the transactional outbox,
    store/outbox.py): written in the transaction that records the case, removed once the run is started. A row left
    here by a gateway that died in between is started by the person's repeat or by the worker (workers/outbox.py)."""

    __tablename__ = "process_start"

    workflow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    workflow_type: Mapped[str] = mapped_column(String(80))
    task_queue: Mapped[str] = mapped_column(String(200))
    # The case row's table: its workflow_id follows when the id is taken in Temporal (store/outbox.py).
    case_table: Mapped[str] = mapped_column(String(60))
    # The case's office, kept in the run's memo: the run index files the run under it.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    # The workflow's start argument, a Temporal Payload encrypted with the payload codec: no personal data in clear.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Task(OfficeOwned, Base):
    """The task inbox: one row per human task a workflow is waiting on (shape after spiff-arena's human_task)."""

    __tablename__ = "task"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    process: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(default=dict)
    role: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    outcomes: Mapped[list] = mapped_column(default=list)
    form: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalated_to_role: Mapped[str | None] = mapped_column(String(60))
    reminded_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(default=dict)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    delegate: Mapped[User | None] = relationship(foreign_keys=[delegate_id], lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")

    # One index per way a task reaches an inbox (gateway/services/tasks.py), each ending in the inbox's order, so
    # "my newest 50" reads 50 index entries per way whatever the size of the table.
    __table_args__ = (
        # Owned tasks only: a planner that may read "owner_id IS NULL" from here walks every unowned task of every
        # role to find one role's (SQLite did, at a million rows); those have their own index below.
        Index("ix_task_inbox_owned", "status", "owner_id", "created_at", "id",
              postgresql_where=text("owner_id IS NOT NULL"), sqlite_where=text("owner_id IS NOT NULL")),
        # Role tasks nobody owns: a partial index, because only "=" lets the database read an index in order past a
        # column; "owner_id IS NULL" as a key column made PostgreSQL sort every unowned row of the role instead.
        Index("ix_task_inbox_role_unowned", "office_id", "status", "role", "created_at", "id",
              postgresql_where=text("owner_id IS NULL"), sqlite_where=text("owner_id IS NULL")),
        Index("ix_task_inbox_delegate", "status", "delegate_id", "created_at", "id"),
        Index("ix_task_inbox_escalated", "office_id", "status", "escalated_to_role", "created_at", "id"),
        Index("ix_task_inbox_done", "status", "completed_by_id", "completed_at", "id"),
    )


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    scope: Mapped[str] = mapped_column(String(160), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class IssuedNumber(Base):
    """The letter register: every official number ever issued, once."""

    __tablename__ = "issued_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(160))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("scope", "year", "sequence"),)


class Notification(Base):
    """Every message sent on any channel, with its delivery state. The in-app inbox reads channel 'inapp'."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("idempotency_key", "channel"),)


class Document(Base):
    """A generated document. Its id is the code printed in the QR for public verification."""

    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    summary: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- applicants (seed 003 §2.3) ----------------------------------------------------------------


class ApplicantProfile(Base):
    """What an applicant registers with. NIK and name are locked after registration."""

    __tablename__ = "applicant_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    npwp: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(1))  # "L" / "P"
    birth_date: Mapped[date] = mapped_column(Date)
    education: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(String(20))
    regency_code: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str] = mapped_column(String(20))
    village_code: Mapped[str] = mapped_column(String(20))
    postal_code: Mapped[str] = mapped_column(String(5))

    user: Mapped[User] = relationship(back_populates="profile")


class EmailCode(Base):
    """A one-time code sent by email: to verify an address at registration, or to reset a password (PIN)."""

    __tablename__ = "email_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "register" | "reset"
    code_hash: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Throttle(Base):
    """Failures per key (an account, an address, a client IP): repeated failures are slowed down."""

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class StoredFile(Base):
    """File Saya: an applicant's uploaded file, reusable across applications. Typed by content."""

    __tablename__ = "stored_file"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


# --- permits (seeds 003, 001) -------------------------------------------------------------------


class PermitDraft(Base):
    """The wizard's saved state, so a draft survives leaving the page."""

    __tablename__ = "permit_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    step: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PermitApplication(CaseRow, Base):
    __tablename__ = "permit_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    resi: Mapped[str] = mapped_column(String(6), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    agency_code: Mapped[str] = mapped_column(String(40))
    permit_type: Mapped[str] = mapped_column(String(60))
    request_kind: Mapped[str] = mapped_column(String(20))
    # "in_process" (Dalam Proses), "revision" (Revisi), "rejected" (Ditolak), "finished" (Selesai)
    status: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str] = mapped_column(String(40))  # finer: verification, signing, ready_for_download, …
    applicant_data: Mapped[dict] = mapped_column(default=dict)
    company: Mapped[dict | None] = mapped_column(JSON)
    location: Mapped[dict] = mapped_column(default=dict)
    details: Mapped[dict] = mapped_column(default=dict)
    documents: Mapped[dict] = mapped_column(default=dict)  # requirement code → stored file id
    revision_round: Mapped[int] = mapped_column(Integer, default=0)
    revision_notes: Mapped[str | None] = mapped_column(Text)
    revision_due_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    permit_number: Mapped[str | None] = mapped_column(String(120))
    permit_document_id: Mapped[str | None] = mapped_column(ForeignKey("document.id"))
    download_expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
    # SLA clock segments [{"side": "office"|"applicant", "start", "end"}], written by the workflow.
    clock: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant: Mapped[User] = relationship(lazy="joined")


class PermitRevision(Base):
    """Each submitted version, so the verifier sees what changed between rounds."""

    __tablename__ = "permit_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("application_id", "round"),)


class ChatMessage(Base):
    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_file.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sender: Mapped[User] = relationship(lazy="joined")


class SurveyResponse(Base):
    """IKM survey: once per finished application."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), unique=True)
    permit_type: Mapped[str] = mapped_column(String(60), index=True)
    answers: Mapped[dict] = mapped_column(default=dict)
    ikm: Mapped[float] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningAuthorization(Base):
    """A one-time capability to sign with an official's key, made when the official enters the TTE
    passphrase. The passphrase itself is never stored: the key is re-wrapped under a random token
    that only the workflow's signing step holds, and the row is deleted once used or expired."""

    __tablename__ = "signing_authorization"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    wrapped_key: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class QueueTicket(OfficeOwned, Base):
    """A queue number (nomor antrian) for one service group on one local day: A-001, A-002, …"""

    __tablename__ = "queue_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_day: Mapped[date] = mapped_column(Date)
    group_code: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    # "waiting", "called", "served" or "skipped".
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    counter_code: Mapped[str | None] = mapped_column(String(8))
    called_at: Mapped[datetime | None]
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None]
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("walk_in_visit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # Each office numbers its own queue: A-001 at two offices are two tickets.
        UniqueConstraint("office_id", "service_day", "group_code", "sequence", name="uq_queue_ticket_office_day_group_seq"),
        Index("ix_queue_ticket_waiting", "office_id", "service_day", "group_code", "status", "sequence"),
        Index("ix_queue_ticket_counter", "office_id", "service_day", "counter_code", "called_at"),
    )


class WalkInVisit(CaseRow, Base):
    """A visit to the counter (seed 004): one walk-in workflow per row."""

    __tablename__ = "walk_in_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    service_code: Mapped[str] = mapped_column(String(60))
    service_name: Mapped[str] = mapped_column(String(200))
    one_day: Mapped[bool] = mapped_column(Boolean)
    visitor_name: Mapped[str] = mapped_column(String(200))
    visitor_phone: Mapped[str | None] = mapped_column(String(20))
    visitor_nik: Mapped[str | None] = mapped_column(String(16))
    queue_number: Mapped[str | None] = mapped_column(String(16))
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    stage: Mapped[str] = mapped_column(String(40))
    receipt_number: Mapped[str | None] = mapped_column(String(120))
    estimated_done_at: Mapped[datetime | None]
    target_at: Mapped[datetime | None]
    overrun_at: Mapped[datetime | None]
    result_number: Mapped[str | None] = mapped_column(String(120))
    documents: Mapped[dict] = mapped_column(default=dict)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_walk_in_open", "finished_at", "created_at"),)


class Letter(CaseRow, Base):
    """An incoming or outgoing letter (seed 004 §H): one letter workflow per row."""

    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # "incoming" | "outgoing"
    stage: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)
    # Incoming: who sent it, their number and how it came. Outgoing: to whom, requested by which unit.
    sender: Mapped[str | None] = mapped_column(String(300))
    sender_number: Mapped[str | None] = mapped_column(String(120))
    received_via: Mapped[str | None] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(String(300))
    letter_date: Mapped[date] = mapped_column(Date)
    classification: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20))
    # Incoming: the agenda number; outgoing: the letter's official number.
    number: Mapped[str | None] = mapped_column(String(120))
    disposition: Mapped[dict | None] = mapped_column(JSON)
    documents: Mapped[dict] = mapped_column(default=dict)
    scan_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_file.id"))
    softcopy_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_file.id"))
    delivered_to: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhatsAppMessage(Base):
    """Every WhatsApp message in and out, per contact: the conversation an officer reads.

    Inbound rows are written by the webhook before anything else happens (unique on the message id,
    so a redelivered event is recognised); outbound rows point at the notification that carries them.
    """

    __tablename__ = "whatsapp_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    phone: Mapped[str] = mapped_column(String(20), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Inbound: "received" → "processed" once the conversation workflow has it. Outbound: the delivery state.
    status: Mapped[str] = mapped_column(String(20), default="received")
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    raw: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhatsAppConversation(OfficeOwned, Base):
    """The workflow id a number's conversation runs under: random, so the number never reaches Temporal's ids and
    visibility (`temporal workflow list`, the Web UI, the run index, the task and message keys derived from the id).

    Made by the number's first message, once: unique on the number, so two first messages at once share one row.
    A conversation still open under "wa-<number>" when this table arrived keeps that id until its run ends.
    """

    __tablename__ = "whatsapp_conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # One conversation per number with each office's assistant.
    __table_args__ = (UniqueConstraint("office_id", "phone", name="uq_whatsapp_conversation_office_phone"),)


class SiramasakanRequest(CaseRow, Base):
    """A SIRAMASAKAN request (seed 000 §4): a case's documents and the population-data changes it causes."""

    __tablename__ = "siramasakan_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(80))
    kk_number: Mapped[str] = mapped_column(String(16))
    # [{"nik", "kind", "description"}]
    changes: Mapped[list] = mapped_column(default=list)
    stage: Mapped[str] = mapped_column(String(40))
    decision_date: Mapped[date | None] = mapped_column(Date)
    decided_case_number: Mapped[str | None] = mapped_column(String(80))
    # "external" (sent to the registry's endpoint) or "internal" (the civil-registry officer's inbox).
    handoff_path: Mapped[str | None] = mapped_column(String(10))
    handed_off_at: Mapped[datetime | None]
    registry_reference: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(String(20))  # "processed" | "refused"
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    documents_to_collect: Mapped[list] = mapped_column(default=list)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_siramasakan_pending", "finished_at", "handed_off_at"),
        # One request under way per case and family card (a divorce changes two cards, each its own request): a second
        # would hand the same change to the registry twice. Until the first has finished (done, refused, cancelled).
        Index("uq_siramasakan_active_case", "case_number", "kk_number", unique=True,
              postgresql_where=text("finished_at IS NULL"), sqlite_where=text("finished_at IS NULL")),
    )


class RegistryCallback(Base):
    """Every callback the civil registry sent, kept before it is acted on (idempotent on its event id)."""

    __tablename__ = "registry_callback"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    request_code: Mapped[str] = mapped_column(String(12), index=True)
    body: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="received")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(CaseRow, Base):
    """A complaint or criticism (seeds 002, 003, 000 §5): one complaint workflow per row."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    # "pengaduan" (public form), "pengaduan_pemohon" (from an applicant's dashboard) or "kritik" (Kritis).
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    incident_date: Mapped[date | None] = mapped_column(Date)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("permit_application.id"))
    photos: Mapped[list] = mapped_column(default=list)  # [{"file", "name", "media_type", "size", "sha256"}]
    # Public stages: "verifikasi" → "tindak_lanjut" → "selesai" (or "ditolak" when invalid / spam).
    stage: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(30))
    letter_number: Mapped[str | None] = mapped_column(String(120))
    letter_document_id: Mapped[str | None] = mapped_column(ForeignKey("document.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    response: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    stage_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]


class AdminChange(Base):
    """The record of every administrative change (an account, a unit, a role, the office's identity or calendar):
    who, when, what, and the values before and after. Rows are only ever added."""

    __tablename__ = "admin_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a change to the installation itself (an office created), seen by its administrators only.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    # e.g. user.create, user.update, user.deactivate, user.reset_password, unit.create, office.update, user.import
    action: Mapped[str] = mapped_column(String(40))
    # What changed, as people name it: "user:verifikator2", "unit:PTSP", "office:dpmptsp".
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
