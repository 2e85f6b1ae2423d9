"""Permit applications (workflows/permit.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import Actor, CaseEventInput
from contracts.vocabulary import Status, Vocabulary

STATUS_IN_PROCESS = "in_process"
STATUS_REVISION = "revision"
STATUS_REJECTED = "rejected"
STATUS_FINISHED = "finished"
STATUS_CANCELLED = "cancelled"

# A finished permit is not final: it still moves between its download stages (the next steps go by stage).
PERMIT_STATUSES = Vocabulary((
    Status(STATUS_IN_PROCESS, "Dalam Proses", "info"),
    Status(STATUS_REVISION, "Revisi", "warn"),
    Status(STATUS_REJECTED, "Ditolak", "danger", final=True),
    Status(STATUS_FINISHED, "Selesai", "ok"),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = PERMIT_STATUSES.final

UPDATE_PERMIT = "update_permit"
RENDER_PERMIT = "render_permit"
WORKING_DEADLINE = "working_deadline"
# Permit-specific updates (workflows/permit.py).
RESUBMIT_PERMIT = "resubmit_permit"
CLAIM_PERMIT_DOWNLOAD = "claim_permit_download"
REQUEST_PERMIT_REISSUE = "request_permit_reissue"


# --- permits -------------------------------------------------------------------------------------


@dataclass
class DeadlineInput:
    calendar: CalendarSnapshot
    start: datetime
    working_days: int


@dataclass
class DeadlineResult:
    deadline: datetime


@dataclass
class PermitDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    agency_code: str
    agency_name: str
    permit_type_code: str
    permit_type_name: str
    request_kind: str
    request_kind_label: str
    sla_working_days: int
    verification: TaskPolicy
    signing: TaskPolicy
    revision_deadline_working_days: int
    numbering: NumberingFormat
    download_valid_days: int = 7
    validity_years: int | None = None
    reissue_window_days: int = 365


@dataclass
class PermitInput:
    application_id: int
    resi: str
    applicant: Person
    definition: PermitDefinitionSnapshot


@dataclass
class PermitResult:
    status: str
    permit_number: str | None = None
    document_id: str | None = None
    reason: str | None = None


@dataclass
class ResubmitRequest:
    """The applicant resubmitted a returned application; the gateway has stored the new version."""

    actor: Actor
    round: int
    changed: list[str] = field(default_factory=list)


@dataclass
class DownloadClaim:
    actor: Actor


@dataclass
class DownloadGrant:
    document_id: str


@dataclass
class ReissueRequest:
    actor: Actor
    reason: str


@dataclass
class ClockSegment:
    """Time the application spent with one side: "office" or "applicant" (the SLA clock pauses then)."""

    side: str
    start: datetime
    end: datetime | None = None


@dataclass
class PermitUpdate:
    application_id: int
    status: str
    stage: str
    event: CaseEventInput | None = None
    revision_notes: str | None = None
    revision_due_at: datetime | None = None
    clear_revision: bool = False
    decision_reason: str | None = None
    permit_number: str | None = None
    document_id: str | None = None
    download_expires_at: datetime | None = None
    downloaded_at: datetime | None = None
    clock: list[ClockSegment] | None = None
    finished: bool = False


@dataclass
class PermitDocumentInput:
    """Render the permit, and sign it with the one-time signing authorization the head gave."""

    idempotency_key: str
    workflow_id: str
    application_id: int
    resi: str
    permit_number: str
    issued_at: datetime
    applicant: Person
    definition: PermitDefinitionSnapshot
    signer: Person
    signing_token: str
    signer_acting_for: Person | None = None
    valid_until: date | None = None
