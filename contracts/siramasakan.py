"""SIRAMASAKAN, the court → civil-registry hand-off (workflows/siramasakan.py)."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import CalendarSnapshot, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import CaseEventInput
from contracts.vocabulary import Status, Vocabulary

STATUS_WAITING = "menunggu_putusan"
STATUS_HANDED_OFF = "diserahkan_ke_dukcapil"
STATUS_DONE = "selesai"
STATUS_REFUSED = "ditolak"
STATUS_CANCELLED = "dibatalkan"

SIRAMASAKAN_STATUSES = Vocabulary((
    Status(STATUS_WAITING, "Menunggu putusan dan kelengkapan dokumen", "wait",
           next_step="Permohonan menunggu perkara diputus dan dokumen lengkap. Petugas kepaniteraan mencatat nomor perkara dan "
                     "tanggal putusan; proses ini bisa berlangsung beberapa bulan, dan permohonan tetap tersimpan selama itu."),
    Status(STATUS_HANDED_OFF, "Diserahkan ke Disdukcapil", "info",
           next_step="Permohonan sudah diserahkan ke Disdukcapil. Petugas Disdukcapil memproses perubahan data kependudukan; "
                     "pengingat dikirim berkala sampai Disdukcapil melaporkan hasilnya. Anda diberi tahu lewat notifikasi, email, "
                     "dan WhatsApp."),
    Status(STATUS_DONE, "Selesai — dokumen baru siap diambil", "ok", final=True,
           next_step="Perubahan data sudah diproses. Ambil dokumen baru di tempat pengambilan di bawah dengan membawa KTP-el lama, "
                     "KK lama, dan salinan putusan."),
    Status(STATUS_REFUSED, "Ditolak oleh Disdukcapil", "danger", final=True,
           next_step="Disdukcapil menolak perubahan data. Hubungi loket PTSP pengadilan dengan membawa salinan putusan dan KK untuk "
                     "menanyakan kekurangannya; bila perlu ajukan permohonan baru."),
    Status(STATUS_CANCELLED, "Dibatalkan", "muted", final=True,
           next_step="Permohonan dibatalkan dengan alasan di bawah. Bila perubahan data masih diperlukan, ajukan kembali permohonan "
                     "baru atau hubungi loket PTSP pengadilan."),
))
# No later write changes these (activities/case_rows.py).
FINAL_STATUSES = SIRAMASAKAN_STATUSES.final

# --- siramasakan ----------------------------------------------------------------------------------

# The court → civil-registry hand-off (workflows/siramasakan.py), one per request: id "siramasakan-<code>".
UPDATE_SIRAMASAKAN = "update_siramasakan"
# POSTs the hand-off to the external registry (activities/siramasakan.py).
SEND_REGISTRY_HANDOFF = "send_registry_handoff"
# Signal that carried the registry's callback until the update below; kept so runs that received it still replay.
REGISTRY_OUTCOME = "registry_outcome"
# Update carrying the registry's callback from the gateway's webhook: its validator refuses a report the run is not
# waiting for, so the registry hears 409 and nothing is recorded (issue 14 item 16).
REPORT_REGISTRY_OUTCOME = "report_registry_outcome"


@dataclass
class ChangeKindSnapshot:
    label: str
    # The new documents the citizen collects once the change is made (KK, KTP-el, …).
    documents: list[str] = field(default_factory=list)


@dataclass
class SiramasakanDefinitionSnapshot:
    office: OfficeSnapshot
    calendar: CalendarSnapshot
    change_kinds: dict[str, ChangeKindSnapshot]
    collection_office: str
    case_completion: TaskPolicy
    civil_registry: TaskPolicy
    handoff_reminder_every_working_days: int
    handoff_sla_working_days: int
    # Empty: the civil-registry officer records the outcome in the inbox. Set at start by the gateway, so a
    # run keeps the path it started with.
    registry_url: str = ""


@dataclass
class PopulationChange:
    nik: str
    kind: str
    description: str = ""


@dataclass
class SiramasakanInput:
    request_id: int
    code: str
    applicant: Person
    case_number: str
    kk_number: str
    changes: list[PopulationChange]
    definition: SiramasakanDefinitionSnapshot
    # Where the external registry reports back (the gateway's /webhooks/civil-registry).
    callback_url: str = ""


@dataclass
class SiramasakanResult:
    status: str
    outcome: str | None = None
    reason: str | None = None
    documents: list[str] = field(default_factory=list)


@dataclass
class RegistryHandoff:
    idempotency_key: str
    registry_url: str
    request_code: str
    case_number: str
    decision_date: str
    kk_number: str
    changes: list[PopulationChange]
    callback_url: str


@dataclass
class RegistryHandoffResult:
    reference: str


@dataclass
class RegistryOutcome:
    event_id: str
    status: str  # "processed" | "refused"
    reason: str | None = None
    documents: list[str] = field(default_factory=list)


@dataclass
class RegistryOutcomeAck:
    event_id: str
    status: str  # "accepted": the run takes this report; "duplicate": the report it already took, delivered again


@dataclass
class SiramasakanUpdate:
    request_id: int
    status: str
    stage: str
    event: CaseEventInput | None = None
    decision_date: str | None = None
    decided_case_number: str | None = None
    handoff_path: str | None = None
    handed_off_at: datetime | None = None
    registry_reference: str | None = None
    outcome: str | None = None
    outcome_reason: str | None = None
    documents_to_collect: list[str] | None = None
    # One more hand-off reminder went out (counted on the row).
    reminded: bool = False
    finished: bool = False
