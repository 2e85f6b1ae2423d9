"""The one notification mechanism. Every message is recorded per recipient and channel with its own idempotency key
before it is sent, so a retry never sends twice and a failure is never lost. The worker sends through it as the
`notify` activity (activities/notify.py); the gateway sends registration codes through it directly."""


import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

import aiosmtplib
import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts import NO_OFFICE, WHATSAPP_MAX_TEXT, NotifyInput, NotifyResult
from store.models import Document, Notification, Office, User, UserRole, WhatsAppMessage
from store.offices import OfficeIds, first_office, office_by_code
from store.queries import COLUMNS_ONLY
from store.settings import Settings
from store.storage import document_key, storage_for


@dataclass(frozen=True)
class Sender:
    """The office a message speaks for (the one it is about), as a message names and signs for it."""

    name: str
    short_name: str
    address: str = ""
    phone: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, office: Office) -> "Sender":
        # One line each: they go into headers, where a line break would make the message unsendable.
        def line(value: str | None) -> str:
            return " ".join((value or "").split())

        return cls(name=line(office.name), short_name=line(office.short_name) or line(office.name), address=line(office.address),
                   phone=line(office.phone) or None, email=line(office.email) or None)

    def signature(self) -> list[str]:
        """The lines that sign a message for the office: its name, address and how to reach it."""
        contact = ", ".join(p for p in (f"Telp. {self.phone}" if self.phone else "", f"Email: {self.email}" if self.email else "") if p)
        return [line for line in (self.name, self.address, contact) if line]


class Channel(ABC):
    """A way to reach a person. Adding WhatsApp is adding a subclass."""

    name: str

    @abstractmethod
    def address_of(self, user: User) -> str | None: ...

    @abstractmethod
    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None, sender: Sender | None = None) -> None:
        """Sends the recorded message; `sender` is the office it speaks for (None: the installation, unnamed)."""


class InAppChannel(Channel):
    """The recorded row is the in-app message: delivering it is storing it."""

    name = "inapp"

    def address_of(self, user: User) -> str | None:
        return user.username

    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None, sender: Sender | None = None) -> None:
        return None


class EmailChannel(Channel):
    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def address_of(self, user: User) -> str | None:
        return user.email

    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None, sender: Sender | None = None) -> None:
        s = self.settings
        msg = EmailMessage()
        # From the installation's address, in the name of the office the message is about; signed by it below.
        msg["From"] = formataddr((sender.name, parseaddr(s.mail_from)[1])) if sender else s.mail_from
        msg["To"] = row.address
        msg["Subject"] = f"[{sender.short_name if sender else 'SatuPintu'}] {row.subject}"
        msg["Date"] = format_datetime(datetime.now(UTC))
        # Same id on every retry, so a receiving system can drop a second copy.
        digest = hashlib.sha256(f"{row.idempotency_key}|{row.channel}".encode()).hexdigest()[:32]
        msg["Message-ID"] = make_msgid(idstring=digest, domain="satupintu.local")
        msg["X-SatuPintu-Idempotency-Key"] = row.idempotency_key
        link = f"\n\nBuka: {s.public_base_url}{row.link}" if row.link else ""
        signature = "\n".join([*(sender.signature() if sender else []), "Pesan otomatis SatuPintu. Mohon tidak membalas email ini."])
        msg.set_content(f"{row.body}{link}\n\n-- \n{signature}")
        if attachment:
            filename, content = attachment
            msg.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
        smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username or None,
                               password=s.smtp_password or None, start_tls=s.smtp_starttls, timeout=15)
        try:
            await smtp.connect()
            await smtp.send_message(msg)
        except BaseException:
            # Failed, or cancelled because the worker is stopping: drop the connection at once. (aiosmtplib.send says
            # QUIT and waits for the answer, up to the timeout, which kept a stopping worker past its graceful timeout.)
            smtp.close()
            raise
        try:
            await smtp.quit()
        except aiosmtplib.SMTPException:
            pass  # sent already; the server hanging up early changes nothing
        finally:
            smtp.close()


def whatsapp_number(raw: str | None) -> str | None:
    """A phone as the Cloud API addresses it (country code, digits only): 0812… and +62 812… become 62812…."""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if 8 <= len(digits) <= 15 else None


def whatsapp_text(row: Notification, public_base_url: str) -> str:
    """Subject (bold, as WhatsApp formats *…*), body and absolute link, within the Cloud API's 4096 characters."""
    parts = [f"*{row.subject}*"] if row.subject else []
    parts.append(row.body)
    link = f"{public_base_url}{row.link}" if row.link else ""
    room = WHATSAPP_MAX_TEXT - (len(link) + 2 if link else 0)
    text = "\n\n".join(p for p in parts if p)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text}\n\n{link}" if link else text


class WhatsAppApiError(RuntimeError):
    """The Cloud API refused or did not answer; the row is recorded failed and the activity retries."""


class WhatsAppChannel(Channel):
    """The WhatsApp Cloud API (or a compatible endpoint; the dev fake in development)."""

    name = "whatsapp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def address_of(self, user: User) -> str | None:
        return whatsapp_number(user.phone)

    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None, sender: Sender | None = None) -> None:
        s = self.settings
        text = whatsapp_text(row, s.public_base_url)
        payload = {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": row.address, "type": "text",
            "text": {"preview_url": False, "body": text},
            # The same on every retry: the API echoes it in status webhooks and the fake drops a second copy.
            "biz_opaque_callback_data": f"{row.idempotency_key}|{row.channel}",
        }
        url = f"{s.effective_whatsapp_api_url.rstrip('/')}/{s.whatsapp_api_version}/{s.whatsapp_phone_number_id}/messages"
        try:
            async with httpx.AsyncClient(timeout=15) as client:
                response = await client.post(url, json=payload, headers={"Authorization": f"Bearer {s.whatsapp_access_token}"})
        except httpx.HTTPError as exc:
            raise WhatsAppApiError(f"WhatsApp API tidak dapat dihubungi ({type(exc).__name__}: {exc})") from exc
        if not response.is_success:
            raise WhatsAppApiError(f"WhatsApp API menjawab {response.status_code}: {_graph_error(response)}")
        try:
            wamid = response.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise WhatsAppApiError(f"jawaban WhatsApp API tanpa id pesan: {response.text[:200]}") from exc
        # Recorded in the transaction that marks the row sent (the caller commits both, or neither).
        session = async_object_session(row)
        if session is not None and await session.scalar(select(WhatsAppMessage.id).where(WhatsAppMessage.wa_message_id == wamid)) is None:
            session.add(WhatsAppMessage(wa_message_id=wamid, direction="out", phone=row.address, body=text, status="sent",
                                        notification_id=row.id, raw={"request": payload}))


def _graph_error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return f"{error.get('message') or response.reason_phrase} (kode {error.get('code')})"
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase


class Notifier:
    """Sends a message on every channel it names to every recipient, recording each row before it is sent."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.channels = {c.name: c for c in (channels or [InAppChannel(), EmailChannel(settings), WhatsAppChannel(settings)])}
        self.offices = OfficeIds()

    async def send(self, inp: NotifyInput) -> NotifyResult:
        # Who receives it is read once: the rows are written for them and the result names them.
        recipients = await self._recipient_ids(inp)
        rows = await self._record(inp, recipients)
        attachment = await self._attachment(inp.attachment_document_id)
        sender = await self._sender(inp.office)
        failures = []
        for row_id in rows:
            async with self.sessionmaker() as session, session.begin():
                row = await session.get(Notification, row_id, with_for_update=True)
                if row is None:  # not reached: _record wrote the row, and nothing deletes notifications
                    raise RuntimeError(f"notification {row_id} is gone")
                if row.status == "sent":
                    continue
                try:
                    await self.channels[row.channel].deliver(row, attachment, sender)
                except Exception as exc:  # noqa: BLE001 - any channel failure is retried, never dropped
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    row.status = "failed"
                    # The row by its id, not its address: Temporal keeps this message in clear beside the activity.
                    failures.append(f"{row.channel} → notification {row.id}: {exc}")
                    activity.logger.warning("notification failed", extra={"channel": row.channel, "notification_id": row.id,
                                                                           "attempts": row.attempts, "error": row.last_error})
                    continue
                row.attempts += 1
                row.status, row.sent_at, row.last_error = "sent", datetime.now(UTC), None
                activity.logger.info("notification sent", extra={"channel": row.channel, "notification_id": row.id, "attempts": row.attempts})
        if failures:
            # Retryable: the rows stay recorded as failed and are sent when the channel is back.
            raise ApplicationError("notification delivery failed; will retry: " + "; ".join(failures))
        return NotifyResult(delivered=len(rows), recipients=recipients)

    async def _sender(self, office: str) -> Sender | None:
        """The office the message is about, as it is named today ("": the first office, the one runs from before
        offices belong to); None when there is none (an installation not set up yet): the message is unsigned."""
        if office == NO_OFFICE:
            return None
        async with self.sessionmaker() as session:
            row = await office_by_code(session, office) if office else await _first_or_none(session)
            return Sender.of(row) if row is not None else None

    async def _recipient_ids(self, inp: NotifyInput) -> list[int]:
        ids = list(dict.fromkeys(inp.recipient_ids))
        if inp.recipient_roles and inp.office != NO_OFFICE:
            async with self.sessionmaker() as session:
                # A role is the holders of it in the office the message is about, never another office's.
                office_id = await self.offices.id_of(session, inp.office)
                role_users = await session.scalars(
                    select(UserRole.user_id).join(User, User.id == UserRole.user_id)
                    .where(UserRole.role.in_(inp.recipient_roles), User.is_active.is_(True), User.office_id == office_id)
                    .order_by(UserRole.user_id)
                )
                ids.extend(u for u in role_users if u not in ids)
        return ids

    async def _record(self, inp: NotifyInput, recipients: list[int]) -> list[int]:
        """Writes one row per recipient and channel, once; returns their ids."""
        row_ids: list[int] = []
        async with self.sessionmaker() as session, session.begin():
            # Addresses are the users' own columns (COLUMNS_ONLY: without unit, profile and roles).
            users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(recipients)).options(*COLUMNS_ONLY))}
            for user_id in recipients:
                user = users.get(user_id)
                if user is None:
                    continue
                for channel_name in inp.channels:
                    channel = self.channels.get(channel_name)
                    address = channel.address_of(user) if channel else None
                    if channel is None or not address:
                        continue
                    row_ids.append(await _row(session, inp, key=f"{inp.idempotency_key}|{user_id}", channel=channel_name,
                                              recipient_id=user_id, address=address))
            # Bare addresses (no account behind them): email addresses being verified at registration, and the
            # phone numbers of walk-in visitors and WhatsApp contacts; each on its own channel, recipient_id None.
            bare = {"email": dict.fromkeys(a.strip() for a in inp.recipient_emails if a and a.strip()),
                    "whatsapp": dict.fromkeys(p for p in map(whatsapp_number, inp.recipient_phones) if p)}
            for channel_name, addresses in bare.items():
                if channel_name in self.channels and channel_name in inp.channels:
                    for address in addresses:
                        row_ids.append(await _row(session, inp, key=f"{inp.idempotency_key}|{address.lower()}", channel=channel_name,
                                                  recipient_id=None, address=address))
        return row_ids

    async def _attachment(self, document_id: str | None) -> tuple[str, bytes] | None:
        if not document_id:
            return None
        async with self.sessionmaker() as session:
            doc = await session.get(Document, document_id)
        if doc is None:
            return None
        # From the shared storage, not this worker's disk: another worker on another host may have rendered it.
        # Missing or unreachable, the activity fails and retries, as a channel outage does.
        content = await storage_for(self.settings).get(document_key(doc.file_name))
        return (f"{doc.title}.pdf".replace("/", "-"), content)


async def _row(session: AsyncSession, inp: NotifyInput, *, key: str, channel: str, recipient_id: int | None, address: str) -> int:
    """The message's row for one recipient on one channel, written once: a retried activity finds it."""
    row = await session.scalar(select(Notification).where(Notification.idempotency_key == key, Notification.channel == channel))
    if row is None:
        row = Notification(idempotency_key=key, channel=channel, recipient_id=recipient_id, address=address,
                           subject=inp.subject, body=inp.body, link=inp.link, status="pending")
        session.add(row)
        await session.flush()
    return row.id


async def _first_or_none(session: AsyncSession) -> Office | None:
    try:
        return await first_office(session)
    except LookupError:
        return None
