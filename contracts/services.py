"""The services every process uses: the numbering service, notifications and the documents of the counter and letters."""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.office import NumberingFormat, OfficeSnapshot

ASSIGN_NUMBER = "assign_number"
NOTIFY = "notify"
# One activity renders and signs every document of the counter and the letters (activities/counter_documents.py).
RENDER_COUNTER_DOCUMENT = "render_counter_document"


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
    # The office the message speaks for and whose staff `recipient_roles` means (its code; empty: the first office, as
    # in runs from before offices; NO_OFFICE: the installation itself, e.g. an applicant's registration code).
    office: str = ""


NO_OFFICE = "-"


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
