"""Complaints (workflows/complaint.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, TaskPolicy
from contracts.tasks import CaseEventInput
from contracts.vocabulary import Status, Vocabulary

STATUS_VERIFYING = "menunggu_verifikasi"
STATUS_DISPOSITION = "menunggu_disposisi"
STATUS_FOLLOW_UP = "ditindaklanjuti"
STATUS_APPROVAL = "menunggu_persetujuan"
STATUS_ANSWERED = "selesai"
STATUS_INVALID = "tidak_valid"
STATUS_SPAM = "spam"
STATUS_CANCELLED = "dibatalkan"

# What the complainant reads next goes by status (public tracking says less: gateway/services/complaints.py).
COMPLAINT_STATUSES = Vocabulary((
    Status(STATUS_VERIFYING, "Menunggu verifikasi admin pengaduan", "wait",
           next_step="Admin pengaduan memeriksa kelengkapan dan kebenaran pengaduan Anda."),
    Status(STATUS_DISPOSITION, "Diteruskan kepada pimpinan; menunggu disposisi", "wait",
           next_step="Pengaduan Anda sudah dibuatkan surat kepada pimpinan, yang akan menunjuk petugas penindak lanjut."),
    Status(STATUS_FOLLOW_UP, "Sedang ditindaklanjuti petugas", "info",
           next_step="Petugas yang ditunjuk pimpinan sedang menindaklanjuti dan menyusun tanggapan."),
    Status(STATUS_APPROVAL, "Tanggapan menunggu persetujuan pimpinan", "info",
           next_step="Tanggapan petugas sedang diperiksa pimpinan sebelum dikirim kepada Anda."),
    Status(STATUS_ANSWERED, "Selesai — tanggapan telah dikirim", "ok", final=True,
           next_step="Pengaduan selesai. Bila masalah belum teratasi, Anda dapat mengajukan pengaduan baru."),
    Status(STATUS_INVALID, "Selesai — pengaduan tidak valid", "danger", final=True,
           next_step="Pengaduan tidak ditindaklanjuti karena alasan di atas. Bila ada keterangan baru, ajukan pengaduan baru."),
    Status(STATUS_SPAM, "Selesai — pengaduan dinyatakan spam", "danger", final=True,
           next_step="Pengaduan tidak ditindaklanjuti karena alasan di atas."),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True,
           next_step="Pengaduan dibatalkan karena alasan di atas. Bila masalahnya masih ada, ajukan kembali pengaduan baru atau "
                     "hubungi kantor."),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = COMPLAINT_STATUSES.final

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
