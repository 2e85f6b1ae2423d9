"""Chat per permit application (seed 003 §3.5): the applicant and the office's officers talk about one
application, with attachments. Shared by the JSON API and the pages.

Who may read and write is who may see the application (`permits.get_for_viewer`): its applicant and
office staff; anyone else gets 404. An attachment goes into the sender's own file library (File Saya
for an applicant; the same store under the officer's account for staff) and is readable by the
conversation's participants (`files.in_conversation`). Each new message tells the other side through
the one notification mechanism (in-app + email): an applicant's message goes to the verifiers, an
officer's to the applicant.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from contracts import NotifyInput
from gateway.services import files as file_service
from gateway.services.errors import invalid, not_found
from gateway.services.offices import office_code_of
from gateway.services.permits import get_for_viewer
from process_defs import catalog
from store.models import ChatMessage, PermitApplication, StoredFile, User
from store.outbox import MEMO_OFFICE
from store.settings import Settings
from workflows.notification import NotificationWorkflow, notification_workflow_id

log = logging.getLogger(__name__)

MAX_BODY = 4000
MAX_ITEMS = 500
PREVIEW_CHARS = 300
# Who hears about an applicant's message: the officers who verify applications.
STAFF_RECIPIENT_ROLES = ["verifikator"]
# Delivery of the notification is retried a few times after the answer has gone out; the in-app copy
# is recorded at once, and an email that still fails stays recorded as failed with its reason.

MSG_EMPTY = "Tulis pesan atau lampirkan berkas."
MSG_TOO_LONG = f"Pesan terlalu panjang: paling banyak {MAX_BODY} karakter."


def chat_path(resi: str) -> str:
    return f"/permohonan/{resi}/chat"


def side_of(application: PermitApplication, user_id: int) -> str:
    """"applicant" for the application's applicant, "staff" for an officer."""
    return "applicant" if user_id == application.applicant_id else "staff"


def clean_body(raw: object, *, has_file: bool) -> str:
    """The message text as stored: trimmed, line endings unified; required unless a file is attached."""
    text = str(raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_BODY:
        raise invalid(MSG_TOO_LONG, field="body")
    if not text and not has_file:
        raise invalid(MSG_EMPTY, field="body")
    return text


def has_upload(upload: object) -> bool:
    """A browser sends an empty file part (no name) when no file was chosen."""
    return isinstance(upload, UploadFile) and bool(upload.filename)


@dataclass
class Conversation:
    application: PermitApplication
    messages: list[ChatMessage]
    files: dict[str, StoredFile]
    total: int


async def conversation(session: AsyncSession, *, viewer: User, resi: str, after_id: int | None = None) -> Conversation:
    """The application's messages, oldest first (at most the latest MAX_ITEMS); `after_id` gives only
    the newer ones, for polling."""
    application = await get_for_viewer(session, viewer=viewer, resi=resi)
    stmt = select(ChatMessage).where(ChatMessage.application_id == application.id)
    if after_id:
        stmt = stmt.where(ChatMessage.id > after_id)
    newest = list(await session.scalars(stmt.order_by(ChatMessage.id.desc()).limit(MAX_ITEMS)))
    messages = newest[::-1]
    file_ids = [m.file_id for m in messages if m.file_id]
    files = {f.id: f for f in await session.scalars(select(StoredFile).where(StoredFile.id.in_(file_ids)))} if file_ids else {}
    total = await session.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.application_id == application.id)) or 0
    return Conversation(application=application, messages=messages, files=files, total=total)


def attachment_name(resi: str, upload: UploadFile, name: object = None) -> str:
    """The library name of an attachment: the one typed, or "Lampiran chat <resi> – <file name>"."""
    typed = " ".join(str(name or "").split())
    if typed:
        return typed[: file_service.NAME_MAX]
    original = file_service.clean_filename(upload.filename)  # the same cleaning as File Saya
    return f"Lampiran chat {resi} – {original}"[: file_service.NAME_MAX]


async def post_message(session: AsyncSession, settings: Settings, *, sender: User, resi: str, body: object,
                       upload: object = None, name: object = None) -> tuple[PermitApplication, ChatMessage, StoredFile | None]:
    """Checks and stores one message (and its attachment); commits."""
    application = await get_for_viewer(session, viewer=sender, resi=resi)
    with_file = has_upload(upload)
    text = clean_body(body, has_file=with_file)
    stored = None
    if with_file and isinstance(upload, UploadFile):  # (has_upload found one)
        # Typed by content and capped at 50 MB exactly as File Saya; stored under the sender's account.
        stored = await file_service.store_upload(session, settings, owner=sender, name=attachment_name(application.resi, upload, name),
                                                 upload=upload)
    message = ChatMessage(application_id=application.id, sender_id=sender.id, body=text, file_id=stored.id if stored else None)
    session.add(message)
    await session.commit()
    await session.refresh(message)
    return application, message, stored


async def get_attachment(session: AsyncSession, *, viewer: User, resi: str, message_id: int) -> StoredFile:
    """The file attached to one message of a conversation the viewer takes part in. It stays readable
    here even after its owner removed it from their library."""
    application = await get_for_viewer(session, viewer=viewer, resi=resi)
    message = await session.get(ChatMessage, message_id)
    if message is None or message.application_id != application.id or not message.file_id:
        raise not_found("Lampiran")
    file = await session.get(StoredFile, message.file_id)
    if file is None:
        raise not_found("Lampiran")
    return file


# --- notifying the other side ---------------------------------------------------------------------


def notification_for(application: PermitApplication, message: ChatMessage, sender: User, file: StoredFile | None) -> NotifyInput:
    permit_type = catalog.permit_type(application.permit_type)
    what = f"permohonan {application.resi}" + (f" ({permit_type.name})" if permit_type else "")
    preview = message.body if len(message.body) <= PREVIEW_CHARS else message.body[:PREVIEW_CHARS].rstrip() + " …"
    lines = [preview] if preview else []
    if file is not None:
        lines.append(f"[Lampiran: {file.original_filename}]")
    quoted = "\n".join(lines)
    if side_of(application, sender.id) == "applicant":
        subject = f"Pesan baru dari pemohon — {application.resi}"
        body = f"{sender.full_name} mengirim pesan tentang {what}:\n\n{quoted}\n\nBalas melalui halaman chat permohonan."
        # The verifiers of the application's office, never another office's.
        return NotifyInput(idempotency_key=f"chat-{message.id}", subject=subject, body=body, recipient_roles=list(STAFF_RECIPIENT_ROLES),
                           link=chat_path(application.resi), office=office_code_of(application))
    subject = f"Pesan baru dari petugas — {application.resi}"
    body = (f"Petugas {sender.full_name} mengirim pesan tentang {what}:\n\n{quoted}\n\n"
            "Baca dan balas melalui menu Chat pada permohonan Anda.")
    return NotifyInput(idempotency_key=f"chat-{message.id}", subject=subject, body=body, recipient_ids=[application.applicant_id],
                       link=chat_path(application.resi), office=office_code_of(application))


async def notify_other_side(client: Client, settings: Settings, message: NotifyInput, *, office_id: int | None = None) -> None:
    """Hands the notice to a workflow, so a mail outage delays it rather than losing it. Starting twice
    for the same message starts one. The run is filed under the application's office (the run index reads the memo)."""
    try:
        await client.start_workflow(NotificationWorkflow.run, message, id=notification_workflow_id(message.idempotency_key),
                                    task_queue=settings.task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                                    memo={MEMO_OFFICE: office_id} if office_id is not None else None)
    except WorkflowAlreadyStartedError:
        pass
    except Exception:
        log.exception("chat notice %s could not be handed to Temporal", message.idempotency_key)


# --- presentation ---------------------------------------------------------------------------------


def attachment_url(resi: str, message_id: int) -> str:
    return f"/api/v1/permit-applications/{resi}/messages/{message_id}/attachment"


def serialize(message: ChatMessage, application: PermitApplication, *, viewer: User, files: dict[str, StoredFile]) -> dict:
    side = side_of(application, message.sender_id)
    file = files.get(message.file_id) if message.file_id else None
    return {
        "id": message.id,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "sender": {"id": message.sender_id, "name": message.sender.full_name, "side": side,
                   "label": "Pemohon" if side == "applicant" else "Petugas"},
        "mine": message.sender_id == viewer.id,
        "attachment": {"id": file.id, "name": file.name, "original_filename": file.original_filename, "extension": file.extension,
                       "media_type": file.media_type, "size": file.size, "url": attachment_url(application.resi, message.id)}
        if file else None,
    }
