"""The one human-task mechanism (workflows/human_task.py): what a task is, who decides, the updates every process shares, and the task activities."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import CalendarSnapshot, Person, TaskPolicy

# Activity names: workflows call activities by name so that importing a workflow module never
# imports SQLAlchemy, httpx or reportlab into the sandbox.
OPEN_TASK = "open_task"
UPDATE_TASK = "update_task"
CLOSE_TASK = "close_task"
RECORD_EVENT = "record_event"
# Update names, shared by every process (see workflows/human_task.py).
DECIDE_TASK = "decide_task"
DELEGATE_TASK = "delegate_task"
# A process owner's actions on a stuck run (issue 6), also shared by every process; each is recorded in the
# run's history as the update that carried it.
REASSIGN_TASK = "reassign_task"
REMIND_TASK = "remind_task"
CANCEL_RUN = "cancel_run"


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
