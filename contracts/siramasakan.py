"""SIRAMASAKAN, the court → civil-registry hand-off (workflows/siramasakan.py)."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import CalendarSnapshot, OfficeSnapshot, Person, TaskPolicy
from contracts.tasks import CaseEventInput


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
