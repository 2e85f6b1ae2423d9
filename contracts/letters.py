"""Incoming and outgoing letters (workflows/letters.py)."""

from dataclasses import dataclass, field
from datetime import date

from contracts.office import CalendarSnapshot, NumberingFormat, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import CaseEventInput
from contracts.vocabulary import Status, Vocabulary

# Incoming letters.
STATUS_RECEIVED = "diterima"
STATUS_CLASSIFIED = "dipilah"
STATUS_REGISTERED = "terdaftar"
STATUS_DISPOSED = "didisposisi"
STATUS_SCANNED = "dipindai"
STATUS_DISTRIBUTED = "terdistribusi"
# Outgoing letters.
STATUS_REQUESTED = "diajukan"
STATUS_ACCEPTED = "disetujui"
STATUS_NUMBERED = "bernomor"
STATUS_REJECTED = "ditolak"
# Either direction: a process owner cancelled the run.
STATUS_CANCELLED = "dibatalkan"

# What happens next goes by stage (gateway/services/letters.py).
LETTER_STATUSES = Vocabulary((
    Status(STATUS_RECEIVED, "Diterima", "info"),
    Status(STATUS_CLASSIFIED, "Dipilah", "info"),
    Status(STATUS_REGISTERED, "Terdaftar", "info"),
    Status(STATUS_DISPOSED, "Didisposisi", "info"),
    Status(STATUS_SCANNED, "Dipindai", "info"),
    Status(STATUS_DISTRIBUTED, "Terdistribusi", "ok", final=True),
    Status(STATUS_REQUESTED, "Diajukan", "info"),
    Status(STATUS_ACCEPTED, "Disetujui", "info"),
    Status(STATUS_NUMBERED, "Bernomor", "ok", final=True),
    Status(STATUS_REJECTED, "Ditolak", "danger", final=True),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = LETTER_STATUSES.final

UPDATE_LETTER = "update_letter"
# Checks a staff upload (a letter scan or softcopy) and links it to the letter.
ATTACH_LETTER_FILE = "attach_letter_file"


# --- letters ------------------------------------------------------------------------------------------


@dataclass
class LetterDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    classify: TaskPolicy
    registration: TaskPolicy
    disposition_head: TaskPolicy
    disposition_admin: TaskPolicy
    scan: TaskPolicy
    distribute: TaskPolicy
    format_check: TaskPolicy
    softcopy: TaskPolicy
    agenda_numbering: NumberingFormat
    outgoing_numbering: NumberingFormat
    classifications: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    # Units a disposition can route to (code → name), from the staff directory at start.
    units: dict[str, str] = field(default_factory=dict)
    disposition_instructions: list[str] = field(default_factory=list)


@dataclass
class IncomingLetterInput:
    letter_id: int
    code: str
    sender: str
    sender_number: str
    letter_date: date
    subject: str
    received_via: str
    received_via_label: str
    received_by: Person
    definition: LetterDefinitionSnapshot
    # Marked rahasia by the front office at intake: the sorting form starts at rahasia and a change needs a reason.
    # Defaulted so runs started before the mark existed keep replaying.
    confidential: bool = False


@dataclass
class OutgoingLetterInput:
    letter_id: int
    code: str
    requester: Person
    unit_name: str
    subject: str
    recipient: str
    classification: str
    letter_date: date
    definition: LetterDefinitionSnapshot
    softcopy_file_id: str | None = None


@dataclass
class LetterResult:
    status: str
    number: str | None = None
    reason: str | None = None


@dataclass
class LetterUpdate:
    letter_id: int
    status: str
    stage: str
    event: CaseEventInput | None = None
    number: str | None = None
    classification: str | None = None
    category: str | None = None
    disposition: dict | None = None
    documents: dict[str, str] = field(default_factory=dict)
    scan_file_id: str | None = None
    softcopy_file_id: str | None = None
    delivered_to: str | None = None
    notes: str | None = None
    finished: bool = False


@dataclass
class LetterUpdateResult:
    """Who should hear of the step: the people of the units a disposition routed the letter to."""

    notify_user_ids: list[int] = field(default_factory=list)


@dataclass
class AttachLetterFile:
    """Links a staff upload to a letter after checking it is a PDF the uploader owns."""

    letter_id: int
    file_id: str
    purpose: str  # "scan" | "softcopy"
    uploader_id: int


@dataclass
class AttachLetterFileResult:
    ok: bool
    problem: str | None = None
    sha256: str | None = None
