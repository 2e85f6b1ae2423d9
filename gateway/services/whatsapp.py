"""The WhatsApp channel on the gateway side (seed 000 §3): the Cloud API webhook, the officers' view of the
conversations, their replies, and the development simulator. Shared by the JSON API and the pages.

The webhook trusts nothing it cannot verify: the X-Hub-Signature-256 HMAC of the raw body with the app
secret, compared in constant time, before anything is read. An inbound message is stored first (unique
on its message id, so a redelivered event is recognised), then signalled to the contact's conversation
workflow (signal-with-start); if Temporal cannot be reached the webhook answers 503 so Meta redelivers, and
the stored row, still "received", is signalled again then. The workflow drops message ids it has seen.

A conversation's workflow id is random ("wa-<16 letters and digits>", kept per number in
whatsapp_conversation), never the number: workflow ids, and the task and message keys derived from them,
are stored in clear by Temporal and shown by its visibility, where payload encryption does not reach.

The conversation an officer reads is the inbound rows plus every WhatsApp notification to that number
(auto-replies, officers' replies, process notices), each with its delivery state: queued, failed and
retrying, sent, delivered, read."""

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from contracts import (
    REPLY_WHATSAPP,
    WHATSAPP_MAX_TEXT,
    WHATSAPP_MESSAGE,
    TaskPolicy,
    WhatsAppConversationInput,
    WhatsAppInbound,
    WhatsAppReplyAck,
    WhatsAppReplyRequest,
)
from gateway.services.applicants import clean_phone
from gateway.services.errors import Forbidden, TooLarge, Unauthenticated, Unavailable, Unreadable, conflict, forbidden, invalid, not_found
from gateway.services.offices import office_for_whatsapp
from gateway.services.people import actor
from gateway.services.tasks import send_update
from process_defs.counter import load_counter
from process_defs.loader import OfficeFile, calendar_snapshot, task_policy
from store.models import CaseEvent, Notification, Task, User, WhatsAppConversation, WhatsAppMessage
from store.outbox import MEMO_OFFICE
from store.settings import Settings
from workflows.whatsapp import WhatsAppConversationWorkflow, display_phone

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Who takes a handed-off conversation: the info desk, by the end of today's office hours; the PTSP
# supervisor is told when it waits a working day more.
MAX_CONVERSATIONS = 200
MAX_ITEMS = 500
PREVIEW_CHARS = 160
# Meta's events are a few kilobytes; anything far larger is not one of them.
MAX_BODY_BYTES = 1_000_000
DEV_SECRETS = {"dev-app-secret", "dev-verify-token"}
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3}
DELIVERY_LABELS = {
    "pending": "Menunggu dikirim", "failed_retry": "Gagal dikirim — dicoba lagi otomatis", "sent": "Terkirim",
    "delivered": "Diterima", "read": "Dibaca", "failed": "Gagal terkirim", "received": "Diterima sistem", "processed": "Diterima sistem",
}
MSG_TEXT_EMPTY = "Tulis balasan terlebih dahulu."
MSG_TEXT_LONG = f"Balasan terlalu panjang: paling banyak {WHATSAPP_MAX_TEXT} karakter."
MSG_PHONE = "Nomor WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit."
MSG_NO_HANDOFF = ("Percakapan ini sedang dijawab otomatis dan tidak sedang ditangani petugas. Balasan petugas dapat dikirim "
                  "setelah warga meminta petugas (mengetik PETUGAS) atau pertanyaannya tidak terjawab otomatis.")


# --- the conversation workflow's input -------------------------------------------------------------


def handoff_policy(office: OfficeFile) -> TaskPolicy:
    return task_policy(load_counter().whatsapp.handoff, office)


def conversation_input(office: OfficeFile, phone: str, contact_name: str | None) -> WhatsAppConversationInput:
    return WhatsAppConversationInput(phone=phone, calendar=calendar_snapshot(office), handoff=handoff_policy(office),
                                     contact_name=contact_name, reply_roles=list(load_counter().whatsapp.reply_roles))


def phone_param(raw: str) -> str:
    """A conversation's number from a path: 628… (or 08…, +62 …); anything else names no conversation."""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not 8 <= len(digits) <= 15 or len(raw) > 30:
        raise not_found("Percakapan")
    return digits


def is_whatsapp_staff(user: User) -> bool:
    return bool(set(user.role_names) & set(load_counter().whatsapp.reply_roles))


def _check_staff(user: User) -> None:
    if not is_whatsapp_staff(user):
        raise forbidden("Percakapan WhatsApp hanya untuk petugas informasi, front office, dan supervisor PTSP.")


# --- webhook: handshake and signature -------------------------------------------------------------


def verify_handshake(settings: Settings, *, mode: str | None, token: str | None, challenge: str | None) -> str:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    check_configured(settings)
    expected = settings.whatsapp_verify_token.encode()
    if mode != "subscribe" or not token or not challenge or not hmac.compare_digest(token.encode(), expected):
        raise Forbidden("Verifikasi webhook WhatsApp gagal: token verifikasi tidak cocok.", code="verify_token_mismatch")
    return challenge


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(settings: Settings, *, body: bytes, header: str | None) -> None:
    if not header:
        raise Unauthenticated(f"Tanda tangan webhook ({SIGNATURE_HEADER}) tidak ada.", code="signature_missing")
    if not hmac.compare_digest(header.strip().encode(), sign(settings.whatsapp_app_secret, body).encode()):
        raise Unauthenticated(f"Tanda tangan webhook ({SIGNATURE_HEADER}) tidak sah.", code="signature_invalid")


# --- webhook: the payload -------------------------------------------------------------------------


@dataclass
class Incoming:
    message_id: str
    phone: str
    kind: str
    text: str
    contact_name: str | None
    received_at: datetime | None
    raw: dict
    # The office's business number it was sent to (the event's metadata.phone_number_id).
    business_number: str | None = None


@dataclass
class StatusChange:
    message_id: str
    status: str
    phone: str | None
    at: datetime | None
    errors: list = field(default_factory=list)


def _when(raw: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text_of(message: dict) -> tuple[str, str]:
    """(kind, text): what a person wrote or chose; other kinds are kept with a label and a caption if any."""
    kind = str(message.get("type") or "unknown")[:30]
    if kind == "text":
        return "text", str((message.get("text") or {}).get("body") or "")
    if kind == "interactive":
        chosen = message.get("interactive") or {}
        reply = chosen.get("button_reply") or chosen.get("list_reply") or {}
        return "text", str(reply.get("title") or reply.get("id") or "")
    if kind == "button":  # a quick-reply button of a template message
        button = message.get("button") or {}
        return "text", str(button.get("text") or button.get("payload") or "")
    content = message.get(kind)
    caption = str(content.get("caption") or "") if isinstance(content, dict) else ""
    return kind, f"[{kind}]" + (f" {caption}" if caption else "")


def parse_payload(data: object) -> tuple[list[Incoming], list[StatusChange]]:
    """The messages and delivery receipts of a Cloud API webhook event; anything else in it is ignored."""
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise invalid("Bukan event WhatsApp Business Account (object harus \"whatsapp_business_account\").", field="object")
    messages: list[Incoming] = []
    statuses: list[StatusChange] = []
    entries = data.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            business_number = str(metadata.get("phone_number_id") or "")[:40] or None if isinstance(metadata, dict) else None
            names = {str(c.get("wa_id")): ((c.get("profile") or {}).get("name")) for c in value.get("contacts") or [] if isinstance(c, dict)}
            for m in value.get("messages") or []:
                if not isinstance(m, dict) or not m.get("id") or not m.get("from"):
                    continue
                phone = re.sub(r"\D", "", str(m["from"]))
                if not 8 <= len(phone) <= 15:
                    continue
                kind, text = _text_of(m)
                name = names.get(str(m["from"]))
                messages.append(Incoming(message_id=str(m["id"])[:200], phone=phone, kind=kind, text=text[:WHATSAPP_MAX_TEXT],
                                         contact_name=str(name)[:200] if name else None, received_at=_when(m.get("timestamp")), raw=m,
                                         business_number=business_number))
            for s in value.get("statuses") or []:
                if isinstance(s, dict) and s.get("id") and s.get("status"):
                    statuses.append(StatusChange(message_id=str(s["id"])[:200], status=str(s["status"])[:20],
                                                 phone=str(s.get("recipient_id") or "") or None, at=_when(s.get("timestamp")),
                                                 errors=s.get("errors") or []))
    return messages, statuses


async def _store(session: AsyncSession, item: Incoming) -> tuple[WhatsAppMessage | None, bool]:
    """The row for an inbound message, committed, and whether it is new. A redelivered event finds its row."""
    query = select(WhatsAppMessage).where(WhatsAppMessage.wa_message_id == item.message_id)
    existing = await session.scalar(query)
    if existing is not None:
        return existing, False
    row = WhatsAppMessage(wa_message_id=item.message_id, direction="in", phone=item.phone, contact_name=item.contact_name,
                          body=item.text, status="received", raw=item.raw)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # the same event delivered twice at once: the other request stored it
        await session.rollback()
        return await session.scalar(query), False
    return row, True


async def _apply_status(session: AsyncSession, change: StatusChange) -> bool:
    row = await session.scalar(select(WhatsAppMessage).where(WhatsAppMessage.wa_message_id == change.message_id,
                                                             WhatsAppMessage.direction == "out"))
    if row is None:
        return False
    # Receipts can arrive out of order: never go back from "read" to "delivered".
    if change.status == "failed":
        row.status = "failed"
        row.raw = {**(row.raw or {}), "errors": change.errors}
    elif _STATUS_RANK.get(change.status, 0) > _STATUS_RANK.get(row.status, 0) and row.status != "failed":
        row.status = change.status
    return True


# --- which workflow a number's conversation runs under ------------------------------------------------


def legacy_workflow_id(phone: str) -> str:
    """The id conversations ran under before item 12 of issue 14: the number itself, in clear in Temporal."""
    return f"wa-{phone}"


def new_workflow_id() -> str:
    # 80 random bits: nothing to derive the number from and no key to keep forever (a keyed hash would need one).
    return "wa-" + base64.b32encode(secrets.token_bytes(10)).decode().lower()


async def _conversation_row(session: AsyncSession, phone: str, office_id: int | None = None) -> WhatsAppConversation | None:
    query = select(WhatsAppConversation).where(WhatsAppConversation.phone == phone)
    if office_id is not None:
        query = query.where(WhatsAppConversation.office_id == office_id)
    return await session.scalar(query.order_by(WhatsAppConversation.id).limit(1))


async def conversation_workflow_ids(session: AsyncSession, phone: str, office_id: int | None = None) -> list[str]:
    """Every id a number's conversation (with the office's assistant) has run under: its own, and the legacy one (older
    runs' tasks and replies)."""
    row = await _conversation_row(session, phone, office_id)
    ids = [legacy_workflow_id(phone)]
    if row is not None and row.workflow_id not in ids:
        ids.append(row.workflow_id)
    return ids


async def _is_running(client: Client, workflow_id: str) -> bool:
    try:
        return (await client.get_workflow_handle(workflow_id).describe()).status == WorkflowExecutionStatus.RUNNING
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise


async def conversation_of(session: AsyncSession, client: Client, phone: str, office_id: int) -> WhatsAppConversation:
    """The number's row with the office's assistant, made by its first message. A conversation open under the legacy id
    (a database from before) keeps that id until its run ends, so the citizen keeps the context and the officer of what
    they were saying."""
    row = await _conversation_row(session, phone, office_id)
    if row is not None:
        return row
    legacy = legacy_workflow_id(phone)
    workflow_id = legacy if await _is_running(client, legacy) else new_workflow_id()
    # The number's first two messages at once: the unique number lets one row in, and both use it.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(WhatsAppConversation).values(office_id=office_id, phone=phone, workflow_id=workflow_id)
                          .on_conflict_do_nothing(index_elements=[WhatsAppConversation.office_id, WhatsAppConversation.phone]))
    await session.commit()
    row = await _conversation_row(session, phone, office_id)
    if row is None:
        raise RuntimeError(f"the conversation row of {phone} is missing right after it was written")
    return row


async def _leave_legacy(session: AsyncSession, row: WhatsAppConversation) -> WhatsAppConversation:
    """The run under the legacy id has ended: the conversation continues under a random id from now on (one
    switch, whichever message sees the end first; the others read its result)."""
    legacy = legacy_workflow_id(row.phone)
    await session.execute(update(WhatsAppConversation).where(WhatsAppConversation.id == row.id, WhatsAppConversation.workflow_id == legacy)
                          .values(workflow_id=new_workflow_id()).execution_options(synchronize_session=False))
    await session.commit()
    await session.refresh(row)
    return row


async def _signal(session: AsyncSession, client: Client, settings: Settings, item: Incoming, inbound: WhatsAppInbound) -> None:
    office = office_for_whatsapp(item.business_number)
    row = await conversation_of(session, client, item.phone, office.id)
    if row.workflow_id == legacy_workflow_id(item.phone):
        # A plain signal, not signal-with-start: a run under the number is never started again.
        try:
            await client.get_workflow_handle(row.workflow_id).signal(WHATSAPP_MESSAGE, inbound)
            return
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        row = await _leave_legacy(session, row)
    await client.start_workflow(WhatsAppConversationWorkflow.run, conversation_input(office.defs, item.phone, item.contact_name),
                                id=row.workflow_id, task_queue=settings.task_queue, memo={MEMO_OFFICE: office.id},
                                start_signal=WHATSAPP_MESSAGE, start_signal_args=[inbound])


@dataclass
class WebhookResult:
    received: int = 0
    duplicates: int = 0
    statuses: int = 0


def check_configured(settings: Settings) -> None:
    """Outside development the published dev secrets (or none at all) would let anyone forge events: refuse until they are set."""
    secrets_in_use = {settings.whatsapp_app_secret.strip(), settings.whatsapp_verify_token.strip()}
    if not settings.dev_mode and (DEV_SECRETS | {""}) & secrets_in_use:
        raise Unavailable("Webhook WhatsApp belum dikonfigurasi: atur SATUPINTU_WHATSAPP_APP_SECRET dan "
                            "SATUPINTU_WHATSAPP_VERIFY_TOKEN.", code="whatsapp_not_configured")


async def receive(session: AsyncSession, settings: Settings, temporal: Callable[[], Awaitable[Client]], *, body: bytes,
                  signature: str | None) -> WebhookResult:
    check_configured(settings)
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge("Isi webhook terlalu besar.", code="too_large")
    check_signature(settings, body=body, header=signature)
    try:
        data = json.loads(body)
    except ValueError:
        raise Unreadable("Isi webhook bukan JSON yang valid.", code="invalid_json") from None
    messages, statuses = parse_payload(data)
    result = WebhookResult()
    to_signal: list[tuple[WhatsAppMessage, Incoming]] = []
    for item in messages:
        row, new = await _store(session, item)
        if row is None:
            continue
        if new:
            result.received += 1
        else:
            result.duplicates += 1
        if row.status == "received":  # new, or stored by an earlier delivery that could not reach Temporal
            to_signal.append((row, item))
    for change in statuses:
        result.statuses += await _apply_status(session, change)
    await session.commit()

    if to_signal:
        try:
            client = await temporal()
            for row, item in to_signal:
                inbound = WhatsAppInbound(message_id=item.message_id, text=item.text, contact_name=item.contact_name,
                                          received_at=item.received_at or row.created_at, kind=item.kind)
                await _signal(session, client, settings, item, inbound)
                row.status = "processed"
                await session.commit()
        except Exception as exc:
            log.warning("WhatsApp message could not be handed to Temporal; Meta will redeliver: %s", exc)
            raise Unavailable("Layanan proses sedang tidak tersedia; pesan tersimpan dan akan diproses saat dikirim ulang.",
                           code="temporal_unavailable") from exc
    return result


# --- the officers' view ------------------------------------------------------------------------------


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS].rstrip() + " …"


async def _open_handoffs(session: AsyncSession, workflow_ids: list[str] | None = None) -> dict[str, Task]:
    """Open hand-off tasks by number (their subject), of every conversation or of the given workflow ids."""
    query = select(Task).where(Task.process == "whatsapp", Task.status == "open")
    if workflow_ids is not None:
        query = query.where(Task.workflow_id.in_(workflow_ids))
    return {t.subject_id: t for t in await session.scalars(query.order_by(Task.created_at))}


def _handoff_json(task: Task | None) -> dict | None:
    if task is None:
        return None
    return {"task_id": task.id, "opened_at": task.created_at.isoformat(), "due_at": task.due_at.isoformat() if task.due_at else None,
            "claimed_by": task.claimed_by.full_name if task.claimed_by else None, "escalated_to_role": task.escalated_to_role,
            "task_url": f"/inbox/{task.id}"}


async def conversations(session: AsyncSession, *, viewer: User) -> list[dict]:
    """Every contact, handed-off conversations first (longest waiting first), then by latest message."""
    _check_staff(viewer)
    # The numbers that wrote to this office's assistant: another office's conversations are not its officers' to read.
    ours = select(WhatsAppConversation.phone).where(WhatsAppConversation.office_id == viewer.office_id)
    latest_ids = select(func.max(WhatsAppMessage.id)).where(WhatsAppMessage.phone.in_(ours)).group_by(WhatsAppMessage.phone)
    latest = list(await session.scalars(select(WhatsAppMessage).where(WhatsAppMessage.id.in_(latest_ids))
                                        .order_by(WhatsAppMessage.id.desc()).limit(MAX_CONVERSATIONS)))
    phones = [m.phone for m in latest]
    names: dict[str, str | None] = {}  # (the query skips messages without a name)
    counts: dict[str, int] = {}
    if phones:
        for phone, name in await session.execute(
                select(WhatsAppMessage.phone, WhatsAppMessage.contact_name)
                .where(WhatsAppMessage.phone.in_(phones), WhatsAppMessage.direction == "in", WhatsAppMessage.contact_name.is_not(None))
                .order_by(WhatsAppMessage.id.desc())):
            names.setdefault(phone, name)
        counts = dict((await session.execute(select(WhatsAppMessage.phone, func.count()).where(WhatsAppMessage.phone.in_(phones))
                                             .group_by(WhatsAppMessage.phone))).all())
    handoffs = await _open_handoffs(session)
    items: list[dict[str, Any]] = [{
        "phone": m.phone, "display_phone": display_phone(m.phone), "contact_name": names.get(m.phone), "messages": counts.get(m.phone, 0),
        "last_message": {"direction": m.direction, "preview": _preview(m.body), "at": m.created_at.isoformat(), "status": m.status},
        "handoff": _handoff_json(handoffs.get(m.phone)), "url": f"/whatsapp/{m.phone}",
    } for m in latest]
    waiting = sorted((i for i in items if i["handoff"]), key=lambda i: i["handoff"]["opened_at"])
    others = [i for i in items if not i["handoff"]]
    return waiting + others


def _outbound_author(key: str, wids: list[str], officers: dict[str | None, str]) -> tuple[str, str]:
    """(kind, label) of an outgoing message by its notification key."""
    base = key.rsplit("|", 1)[0]
    if base in officers:
        return "officer", officers[base]
    if any(base.startswith(f"{wid}.balasan.") or base.startswith(f"{wid}.selesai.") for wid in wids):
        return "auto", "Balasan otomatis"
    return "notice", "Pemberitahuan layanan"


async def conversation_data(session: AsyncSession, phone: str, office_id: int | None = None) -> dict:
    """Both directions for one number, oldest first (the latest MAX_ITEMS), with delivery states."""
    wids = await conversation_workflow_ids(session, phone, office_id)
    inbound = list(await session.scalars(select(WhatsAppMessage).where(WhatsAppMessage.phone == phone, WhatsAppMessage.direction == "in")
                                         .order_by(WhatsAppMessage.id.desc()).limit(MAX_ITEMS)))
    outbound = (await session.execute(
        select(Notification, WhatsAppMessage).join(WhatsAppMessage, WhatsAppMessage.notification_id == Notification.id, isouter=True)
        .where(Notification.channel == "whatsapp", Notification.address == phone)
        .order_by(Notification.id.desc()).limit(MAX_ITEMS))).all()
    officers: dict[str | None, str] = {e.detail.get("idempotency_key"): e.actor_name or "Petugas" for e in await session.scalars(
        select(CaseEvent).where(CaseEvent.workflow_id.in_(wids), CaseEvent.kind == "whatsapp_reply")) if e.detail}
    items: list[dict[str, Any]] = []
    for m in inbound:
        at = m.created_at
        items.append({"id": f"in-{m.id}", "direction": "in", "kind": "citizen", "author": m.contact_name or display_phone(phone),
                      "body": m.body, "at": at.isoformat(), "state": m.status, "state_label": DELIVERY_LABELS.get(m.status, m.status),
                      "wa_message_id": m.wa_message_id, "subject": None})
    for n, wa in outbound:
        if wa is not None:
            state = wa.status
        elif n.status == "failed":
            state = "failed_retry"
        else:
            state = "pending" if n.status != "sent" else "sent"
        kind, author = _outbound_author(n.idempotency_key, wids, officers)
        items.append({"id": f"out-{n.id}", "direction": "out", "kind": kind, "author": author, "body": n.body, "subject": n.subject or None,
                      "at": (n.sent_at or n.created_at).isoformat(), "state": state, "state_label": DELIVERY_LABELS.get(state, state),
                      "wa_message_id": wa.wa_message_id if wa else None, "attempts": n.attempts,
                      "last_error": n.last_error if n.status == "failed" else None})
    items.sort(key=lambda i: (i["at"], i["id"]))
    items = items[-MAX_ITEMS:]
    handoff = (await _open_handoffs(session, wids)).get(phone)
    name = next((m.contact_name for m in inbound if m.contact_name), None)
    return {"phone": phone, "display_phone": display_phone(phone), "contact_name": name, "items": items,
            "handoff": _handoff_json(handoff), "total": len(items)}


async def conversation(session: AsyncSession, *, viewer: User, phone: str) -> dict:
    _check_staff(viewer)
    phone = phone_param(phone)
    if viewer.office_id is None or await _conversation_row(session, phone, viewer.office_id) is None:
        raise not_found("Percakapan")  # the number never wrote to this office's assistant
    data = await conversation_data(session, phone, viewer.office_id)
    if not data["items"] and not data["handoff"]:
        raise not_found("Percakapan")
    return data


def clean_text(raw: object) -> str:
    text = str(raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise invalid(MSG_TEXT_EMPTY, field="text")
    if len(text) > WHATSAPP_MAX_TEXT:
        raise invalid(MSG_TEXT_LONG, field="text")
    return text


def clean_reply_id(raw: object) -> str:
    value = str(raw or "")
    return value if re.fullmatch(r"[A-Za-z0-9-]{8,64}", value) else uuid.uuid4().hex


async def reply(session: AsyncSession, client: Client, *, user: User, phone: str, text: object,
                reply_id: object = None) -> WhatsAppReplyAck:
    """Sends an officer's answer into the conversation; the workflow queues and delivers it."""
    _check_staff(user)
    phone = phone_param(phone)
    body = clean_text(text)
    if user.office_id is None or await _conversation_row(session, phone, user.office_id) is None:
        raise not_found("Percakapan")
    handoff = (await _open_handoffs(session, await conversation_workflow_ids(session, phone, user.office_id))).get(phone)
    if handoff is None:
        raise conflict(MSG_NO_HANDOFF, code="no_handoff")
    request = WhatsAppReplyRequest(actor=actor(user), text=body, reply_id=clean_reply_id(reply_id))
    # To the run that handed it off: under the legacy id, a conversation from before keeps its officer.
    return await send_update(client, handoff.workflow_id, REPLY_WHATSAPP, request, result_type=WhatsAppReplyAck)


# --- development simulator -------------------------------------------------------------------------


@dataclass
class SimulatedMessage:
    phone: str
    name: str
    text: str
    # The business number of the office's assistant it is written to (None: the installation's number).
    business_number: str | None = None


def check_simulated(*, phone: object, name: object, text: object) -> tuple[SimulatedMessage | None, dict[str, str]]:
    errors: dict[str, str] = {}
    number = clean_phone(str(phone or ""))
    if not number:
        errors["phone"] = MSG_PHONE
    clean_name = " ".join(str(name or "").split())[:100]
    body = str(text or "").replace("\r\n", "\n").strip()
    if not body:
        errors["text"] = "Tulis pesan yang dikirim warga."
    elif len(body) > WHATSAPP_MAX_TEXT:
        errors["text"] = f"Pesan terlalu panjang: paling banyak {WHATSAPP_MAX_TEXT} karakter."
    if errors or number is None:  # (no number is refused above)
        return None, errors
    return SimulatedMessage(phone=number, name=clean_name, text=body), {}


def simulated_payload(settings: Settings, message: SimulatedMessage) -> dict:
    """A webhook event exactly as the Cloud API sends one for an inbound text message."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6280000000000", "phone_number_id": message.business_number or settings.whatsapp_phone_number_id},
        "contacts": [{"profile": {"name": message.name or display_phone(message.phone)}, "wa_id": message.phone}],
        "messages": [{"from": message.phone, "id": f"wamid.SIM{secrets.token_hex(16).upper()}", "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": message.text}}],
    }
    return {"object": "whatsapp_business_account", "entry": [{"id": "dev-waba", "changes": [{"value": value, "field": "messages"}]}]}


async def simulate(app: ASGIApp, settings: Settings, message: SimulatedMessage) -> httpx.Response:
    """Signs the event with the app secret and posts it to this gateway's own webhook, in process."""
    body = json.dumps(simulated_payload(settings, message)).encode()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://satupintu.local", timeout=30) as client:
        return await client.post("/webhooks/whatsapp", content=body,
                                 headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(settings.whatsapp_app_secret, body)})
