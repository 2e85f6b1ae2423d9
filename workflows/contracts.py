"""Dataclasses exchanged between the gateway, the workflows and the activities.

Standard library only: workflow code imports this module inside the sandbox. Every workflow,
update and activity takes one of these and returns one, so fields can be added (with defaults)
without breaking running instances.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

# Activity names: workflows call activities by name so that importing a workflow module never
# imports SQLAlchemy, httpx or reportlab into the sandbox.
OPEN_TASK = "open_task"
UPDATE_TASK = "update_task"
CLOSE_TASK = "close_task"
RECORD_EVENT = "record_event"
ASSIGN_NUMBER = "assign_number"
NOTIFY = "notify"
RENDER_LEAVE_LETTER = "render_leave_letter"
UPDATE_LEAVE_REQUEST = "update_leave_request"
UPDATE_PERMIT = "update_permit"
RENDER_PERMIT = "render_permit"
WORKING_DEADLINE = "working_deadline"
UPDATE_WALK_IN = "update_walk_in"
UPDATE_LETTER = "update_letter"
# One activity renders and signs every document of the counter and the letters (activities/counter_documents.py).
RENDER_COUNTER_DOCUMENT = "render_counter_document"
# Checks a staff upload (a letter scan or softcopy) and links it to the letter.
ATTACH_LETTER_FILE = "attach_letter_file"

# Update names, shared by every process (see workflows/human_task.py).
DECIDE_TASK = "decide_task"
DELEGATE_TASK = "delegate_task"
# A process owner's actions on a stuck run (issue 6), also shared by every process; each is recorded in the
# run's history as the update that carried it.
REASSIGN_TASK = "reassign_task"
REMIND_TASK = "remind_task"
CANCEL_RUN = "cancel_run"
# Permit-specific updates (workflows/permit.py).
RESUBMIT_PERMIT = "resubmit_permit"
CLAIM_PERMIT_DOWNLOAD = "claim_permit_download"
REQUEST_PERMIT_REISSUE = "request_permit_reissue"


@dataclass
class CalendarSnapshot:
    timezone: str
    country: str = "ID"
    holiday_categories: list[str] = field(default_factory=lambda: ["public", "government"])
    working_weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    office_start: str = "08:00"
    office_end: str = "16:30"
    extra_holidays: dict[str, str] = field(default_factory=dict)
    extra_working_days: list[str] = field(default_factory=list)


@dataclass
class OfficeSnapshot:
    name: str
    short_name: str
    city: str
    address: str
    timezone: str
    head_title: str


@dataclass
class TaskPolicy:
    role: str
    due_working_days: int
    escalate_after_working_days: int = 0
    escalate_to_role: str | None = None
    role_label: str = ""
    escalate_to_role_label: str = ""
    # Further levels after escalate_to_role, each escalate_after_working_days after the one before
    # (e.g. officer → unit head → head of office), with their labels.
    escalation_chain: list[str] = field(default_factory=list)
    escalation_chain_labels: list[str] = field(default_factory=list)


@dataclass
class NumberingFormat:
    scope: str
    format: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Person:
    id: int
    username: str
    full_name: str
    nip: str | None = None
    position: str | None = None
    unit_name: str | None = None


# --- human tasks -----------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    label: str
    requires_reason: bool = False
    # An electronic signature (TTE): the person enters a passphrase, which the gateway exchanges for a
    # one-time signing token; only the token reaches the workflow, as data["signing_token"].
    requires_tte: bool = False


@dataclass
class TaskSpec:
    """What a workflow asks a person for. `owner` set: a personal task; otherwise anyone with `policy.role`."""

    key: str
    title: str
    policy: TaskPolicy
    outcomes: list[Outcome]
    subject_id: str
    owner: Person | None = None
    form: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


@dataclass
class Actor:
    """A person acting on a task, as authenticated by the gateway.

    `acting_for` is set when the gateway found an active substitution (Plh.) from that official to
    this person for today; the workflow records it so the history and the letter show it.
    """

    user_id: int
    username: str
    full_name: str
    roles: list[str] = field(default_factory=list)
    position: str | None = None
    acting_for: Person | None = None


@dataclass
class DecisionRequest:
    task_id: str
    actor: Actor
    outcome: str
    reason: str | None = None
    data: dict = field(default_factory=dict)


@dataclass
class DelegationRequest:
    task_id: str
    actor: Actor
    delegate: Person
    note: str = ""


@dataclass
class ReassignRequest:
    """A process owner moves a pending task to another person (to_person) or to another role (to_role)."""

    task_id: str
    actor: Actor
    reason: str
    to_person: Person | None = None
    to_role: str | None = None
    to_role_label: str = ""


@dataclass
class ReminderRequest:
    """A process owner reminds whoever holds a pending task."""

    task_id: str
    actor: Actor
    note: str = ""


@dataclass
class CancelRunRequest:
    """A process owner cancels a run with a reason; the gateway then asks Temporal to cancel it."""

    actor: Actor
    reason: str


@dataclass
class OwnerActionAck:
    status: str  # "reassigned", "reminded", "cancelling"
    task_id: str | None = None


@dataclass
class TaskAck:
    task_id: str
    status: str  # "decided", "recommended" (a delegate's input, back to the owner) or "delegated"


@dataclass
class TaskDecision:
    task_id: str
    outcome: str
    actor: Actor
    decided_at: datetime
    reason: str | None = None
    data: dict = field(default_factory=dict)


# --- activities ------------------------------------------------------------------------------


@dataclass
class OpenTaskInput:
    task_id: str
    workflow_id: str
    process: str
    subject_id: str
    title: str
    role: str
    owner_id: int | None
    outcomes: list[Outcome]
    form: dict
    summary: dict
    policy: TaskPolicy
    calendar: CalendarSnapshot
    opened_at: datetime


@dataclass
class OpenTaskResult:
    created_at: datetime
    due_at: datetime
    escalate_at: datetime | None
    # Who should hear of the task now: the owner and, if the owner has an acting official today, the Plh.
    notify_user_ids: list[int] = field(default_factory=list)


@dataclass
class TaskChange:
    """A change to an open task's routing, recorded in the inbox and the timeline in one transaction."""

    task_id: str
    kind: str  # "reminded", "escalated", "delegated", "recommended", "reassigned", "cancelled"
    title: str
    occurred_at: datetime
    actor: Actor | None = None
    escalate_to_role: str | None = None
    delegate_id: int | None = None
    clear_delegate: bool = False
    outcome: str | None = None
    reason: str | None = None
    # "reassigned": the new personal holder, or the new role with the owner cleared.
    owner_id: int | None = None
    role: str | None = None
    clear_owner: bool = False
    # Tells apart repeated owner actions on one task (their timeline lines and notifications); 0 for the automatic ones.
    sequence: int = 0


@dataclass
class TaskChangeResult:
    notify_user_ids: list[int] = field(default_factory=list)


@dataclass
class CloseTaskInput:
    task_id: str
    outcome: str
    actor: Actor
    decided_at: datetime
    title: str
    reason: str | None = None
    data: dict = field(default_factory=dict)


@dataclass
class CaseEventInput:
    event_id: str
    workflow_id: str
    process: str
    subject_id: str
    occurred_at: datetime
    kind: str
    title: str
    actor_id: int | None = None
    actor_name: str | None = None
    role: str | None = None
    outcome: str | None = None
    reason: str | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class NumberRequest:
    idempotency_key: str
    numbering: NumberingFormat
    timezone: str
    subject: str


@dataclass
class IssuedNumberResult:
    number: str
    sequence: int
    year: int
    issued_at: datetime


@dataclass
class NotifyInput:
    idempotency_key: str
    subject: str
    body: str
    recipient_ids: list[int] = field(default_factory=list)
    recipient_roles: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: ["inapp", "email"])
    link: str | None = None
    attachment_document_id: str | None = None
    # People without an account yet (an address being verified at registration): email channel only.
    recipient_emails: list[str] = field(default_factory=list)
    # People known only by a phone number (a walk-in visitor, a WhatsApp contact): WhatsApp channel only.
    recipient_phones: list[str] = field(default_factory=list)


@dataclass
class NotifyResult:
    delivered: int
    recipients: list[int] = field(default_factory=list)


@dataclass
class DocumentResult:
    document_id: str
    sha256: str
    url: str
    verification_url: str


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


# --- documents of the counter and the letters ----------------------------------------------------


@dataclass
class CounterDocumentInput:
    """One document of the walk-in counter or the letters, rendered and PAdES-signed.

    `kind` picks the layout; `fields` holds what that layout prints (see activities/counter_documents.py
    for the fields of each kind). `copies` prints the same page once per label on one PDF (rangkap 3).
    """

    idempotency_key: str
    workflow_id: str
    kind: str
    title: str
    office: OfficeSnapshot
    issued_at: datetime
    number: str | None = None
    fields: dict = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)
    owner_id: int | None = None


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


# --- whatsapp ---------------------------------------------------------------------------------------

# The conversation workflow (workflows/whatsapp.py), one per contact, under a random id (never the number).
WHATSAPP_AUTO_REPLY = "whatsapp_auto_reply"
# Signal carrying one inbound message; update carrying an officer's reply.
WHATSAPP_MESSAGE = "whatsapp_message"
REPLY_WHATSAPP = "reply_whatsapp"
# Who may answer a handed-off conversation when a run's input does not say (runs started before it could).
WHATSAPP_STAFF_ROLES = ["petugas_informasi", "front_office", "supervisor"]
WHATSAPP_MAX_TEXT = 4096


@dataclass
class WhatsAppInbound:
    message_id: str
    text: str
    contact_name: str | None = None
    received_at: datetime | None = None
    # "text" for what the auto-reply can read (text, button and list replies); otherwise the Cloud API type.
    kind: str = "text"


@dataclass
class ConversationState:
    """What the auto-reply remembers between messages, so follow-ups are about the last service asked."""

    greeted: bool = False
    # "walk_in" (a counter service) or "permit" (an online permit type), with its code.
    topic_kind: str | None = None
    topic_code: str | None = None
    # The last numbered list shown ("menu" or "permits"), so a bare number picks from it.
    listing: str = "menu"


@dataclass
class AutoReplyInput:
    text: str
    state: ConversationState
    contact_name: str | None = None
    # The inbound message's kind: anything but "text" is answered that only text can be read.
    kind: str = "text"


@dataclass
class AutoReplyResult:
    reply: str
    state: ConversationState
    handoff: bool = False


@dataclass
class WhatsAppConversationInput:
    phone: str
    calendar: CalendarSnapshot
    # Who takes a handed-off conversation, due dates in working days (snapshotted by the gateway at start).
    handoff: TaskPolicy
    contact_name: str | None = None
    # Carried over continue-as-new.
    state: ConversationState = field(default_factory=ConversationState)
    pending: list[WhatsAppInbound] = field(default_factory=list)
    seen_ids: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    handled: int = 0
    # Messages one run handles before it continues as new (keeps the history short).
    continue_after: int = 200
    # Who may answer a handed-off conversation (process_defs/counter.yaml whatsapp.reply_roles).
    reply_roles: list[str] = field(default_factory=lambda: list(WHATSAPP_STAFF_ROLES))


@dataclass
class WhatsAppConversationResult:
    handled: int
    handoffs: int = 0


@dataclass
class WhatsAppReplyRequest:
    actor: Actor
    text: str
    # Chosen by the gateway per reply: a resent form or a retried request sends one message, not two.
    reply_id: str


@dataclass
class WhatsAppReplyAck:
    reply_id: str
    status: str  # "queued": recorded in the run; the NOTIFY activity delivers it, retrying while the API is down
    idempotency_key: str


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
