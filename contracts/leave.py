"""Leave requests (workflows/leave.py)."""

from dataclasses import dataclass
from datetime import date, datetime

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import CaseEventInput
from contracts.vocabulary import Status, Vocabulary

STATUS_WAITING_SUPERVISOR = "waiting_supervisor"
STATUS_WAITING_NUMBER = "waiting_number"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUS_CANCELLED = "cancelled"

LEAVE_STATUSES = Vocabulary((
    Status(STATUS_WAITING_SUPERVISOR, "Menunggu persetujuan atasan", "wait",
           next_step="Atasan langsung Anda telah diberi tahu dan akan menyetujui atau menolak permohonan ini."),
    Status(STATUS_WAITING_NUMBER, "Menunggu penomoran surat", "wait",
           next_step="Permohonan disetujui atasan. Petugas penomoran surat akan menerbitkan Surat Izin Cuti."),
    Status(STATUS_APPROVED, "Disetujui", "ok", final=True,
           next_step="Cuti dapat dilaksanakan sesuai tanggal yang diajukan. Surat Izin Cuti dapat diunduh."),
    Status(STATUS_REJECTED, "Ditolak", "danger", final=True,
           next_step="Permohonan ditolak. Anda dapat mengajukan permohonan baru bila perlu."),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True,
           next_step="Permohonan dibatalkan oleh pemilik proses. Bila cuti masih diperlukan, ajukan kembali atau hubungi bagian "
                     "kepegawaian."),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = LEAVE_STATUSES.final

RENDER_LEAVE_LETTER = "render_leave_letter"
UPDATE_LEAVE_REQUEST = "update_leave_request"


@dataclass
class LeaveLetterInput:
    idempotency_key: str
    workflow_id: str
    request_id: int
    letter_number: str
    issued_at: datetime
    employee: Person
    leave_type_label: str
    start_date: date
    end_date: date
    working_days: int
    reason: str
    approver: Person
    approver_acting_for: Person | None
    office: OfficeSnapshot
    address_during_leave: str | None = None


@dataclass
class LeaveUpdate:
    request_id: int
    status: str
    event: CaseEventInput | None = None
    letter_number: str | None = None
    document_id: str | None = None
    reason: str | None = None
    # On approval of an official's leave: who acts for them (Plh.) for the leave dates.
    acting_official_id: int | None = None


# --- processes -------------------------------------------------------------------------------


@dataclass
class LeaveDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    supervisor_approval: TaskPolicy
    letter_numbering: TaskPolicy
    numbering: NumberingFormat


@dataclass
class LeaveInput:
    request_id: int
    employee: Person
    supervisor: Person
    leave_type: str
    leave_type_label: str
    start_date: date
    end_date: date
    working_days: int
    reason: str
    definition: LeaveDefinitionSnapshot
    address_during_leave: str | None = None
    acting_official: Person | None = None


@dataclass
class LeaveResult:
    status: str
    letter_number: str | None = None
    document_id: str | None = None
    reason: str | None = None
