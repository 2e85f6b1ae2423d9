"""Walk-in visits at the counter (workflows/walk_in.py)."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import CaseEventInput
from contracts.vocabulary import Status, Vocabulary

STATUS_REGISTERED = "registered"
STATUS_IN_PROCESS = "in_process"
STATUS_READY = "ready"
STATUS_HANDED_OVER = "handed_over"
STATUS_DONE = "done"
STATUS_RETURNED_INCOMPLETE = "returned_incomplete"
STATUS_RETURNED_MISMATCH = "returned_mismatch"
STATUS_CANCELLED = "cancelled"

# What the counter does next goes by stage (gateway/pages/walk_ins.py).
WALK_IN_STATUSES = Vocabulary((
    Status(STATUS_REGISTERED, "Menunggu pemeriksaan kelengkapan", "wait"),
    Status(STATUS_IN_PROCESS, "Dalam proses", "info"),
    Status(STATUS_READY, "Siap diambil", "ok"),
    Status(STATUS_HANDED_OVER, "Sudah diserahkan", "ok"),
    Status(STATUS_DONE, "Selesai", "ok", final=True),
    Status(STATUS_RETURNED_INCOMPLETE, "Dikembalikan — berkas tidak lengkap", "danger", final=True),
    Status(STATUS_RETURNED_MISMATCH, "Dikembalikan — dokumen tidak sesuai", "danger", final=True),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = WALK_IN_STATUSES.final

UPDATE_WALK_IN = "update_walk_in"


# --- walk-in counter -------------------------------------------------------------------------------


@dataclass
class RequirementItem:
    code: str
    name: str
    mandatory: bool = True


@dataclass
class WalkInServiceSnapshot:
    code: str
    name: str
    group: str
    one_day: bool
    result_kind: str
    classification: str
    requirements: list[RequirementItem]
    procedure: str = ""
    target_minutes: int | None = None
    sla_working_days: int | None = None
    work_unit_code: str | None = None
    work_unit_name: str | None = None
    delivery: bool = False


@dataclass
class WalkInDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    service: WalkInServiceSnapshot
    completeness_check: TaskPolicy
    research: TaskPolicy
    field_verification: TaskPolicy
    coordination: TaskPolicy
    numbering_task: TaskPolicy
    handover: TaskPolicy
    archive: TaskPolicy
    delivery: TaskPolicy
    result_numbering: NumberingFormat
    receipt_numbering: NumberingFormat
    overrun_notify_role: str = "supervisor"


@dataclass
class Visitor:
    name: str
    phone: str | None = None
    nik: str | None = None


@dataclass
class WalkInInput:
    visit_id: int
    code: str
    visitor: Visitor
    registered_by: Person
    definition: WalkInDefinitionSnapshot
    queue_ticket: str | None = None


@dataclass
class WalkInResult:
    status: str
    result_number: str | None = None
    document_id: str | None = None
    reason: str | None = None


@dataclass
class WalkInUpdate:
    visit_id: int
    status: str
    stage: str
    event: CaseEventInput | None = None
    receipt_number: str | None = None
    estimated_done_at: datetime | None = None
    target_at: datetime | None = None
    overrun_at: datetime | None = None
    result_number: str | None = None
    # Documents issued so far, by kind ("checklist", "receipt", "berita_acara", "ketidaksesuaian", "result").
    documents: dict[str, str] = field(default_factory=dict)
    rating: int | None = None
    finished: bool = False
