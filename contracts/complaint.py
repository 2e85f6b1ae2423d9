"""Complaints (workflows/complaint.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, TaskPolicy
from contracts.tasks import CaseEventInput


# --- complaints (seed 002 ALAMI, seed 003 Pengaduan, seed 000 §5 Kritis) ---------------------------

# The complaint workflow (workflows/complaint.py), one per complaint: id "pengaduan-<tracking number>".
UPDATE_COMPLAINT = "update_complaint"


@dataclass
class ComplaintOfficer:
    """A staff member the head may disposition a complaint to, as the directory stood at filing."""

    id: int
    username: str
    full_name: str
    unit_code: str
    unit_name: str
    position: str | None = None


@dataclass
class ComplaintDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    verification: TaskPolicy
    disposition: TaskPolicy
    follow_up: TaskPolicy
    approval: TaskPolicy
    letter_numbering: NumberingFormat
    # Units (code → name) and officers (username → officer) a disposition can name.
    units: dict[str, str] = field(default_factory=dict)
    officers: dict[str, ComplaintOfficer] = field(default_factory=dict)


@dataclass
class Complainant:
    """Who complained. Public complaints may carry only a phone; Kritis may carry nothing at all."""

    name: str = ""
    nik: str | None = None
    phone: str | None = None
    email: str | None = None
    # Set for an applicant complaining from the dashboard: told in-app and by email.
    user_id: int | None = None


@dataclass
class ComplaintInput:
    complaint_id: int
    tracking_number: str
    channel: str  # "pengaduan" | "pengaduan_pemohon" | "kritik"
    category: str
    category_label: str
    title: str
    content: str
    complainant: Complainant
    definition: ComplaintDefinitionSnapshot
    incident_date: date | None = None
    application_resi: str | None = None
    photo_count: int = 0


@dataclass
class ComplaintResult:
    status: str
    response: str | None = None
    reason: str | None = None


@dataclass
class ComplaintUpdate:
    """Projects a step onto the complaint row. Empty stage keeps the row's own."""

    complaint_id: int
    status: str
    stage: str = ""
    event: CaseEventInput | None = None
    stage_due_at: datetime | None = None
    letter_number: str | None = None
    letter_document_id: str | None = None
    unit_code: str | None = None
    officer_id: int | None = None
    response: str | None = None
    rejection_reason: str | None = None
    responded: bool = False
    finished: bool = False
