"""WhatsApp conversations (workflows/whatsapp.py)."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import CalendarSnapshot, TaskPolicy
from contracts.tasks import Actor

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
    # The code of the office whose assistant answers (the conversation's calendar office); "" in runs from before
    # offices: the first office.
    office: str = ""


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
