"""The one notification activity. Every message is recorded per recipient and channel with its
delivery state before it is sent; a channel that is down makes the activity fail and retry, so a
message is delayed, never lost, and a message already sent is not sent again."""

import hashlib
from abc import ABC, abstractmethod
import logging
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from store.models import Document, Notification, User, UserRole
from store.settings import Settings
from workflows.contracts import NOTIFY, NotifyInput, NotifyResult

log = logging.getLogger(__name__)


class Channel(ABC):
    """A way to reach a person. Adding WhatsApp is adding a subclass."""

    name: str

    @abstractmethod
    def address_of(self, user: User) -> str | None: ...

    @abstractmethod
    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None) -> None: ...


class InAppChannel(Channel):
    """The recorded row is the in-app message: delivering it is storing it."""

    name = "inapp"

    def address_of(self, user: User) -> str | None:
        return user.username

    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None) -> None:
        return None


class EmailChannel(Channel):
    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def address_of(self, user: User) -> str | None:
        return user.email

    async def deliver(self, row: Notification, attachment: tuple[str, bytes] | None) -> None:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.mail_from
        msg["To"] = row.address
        msg["Subject"] = f"[SatuPintu] {row.subject}"
        msg["Date"] = format_datetime(datetime.now(timezone.utc))
        # Same id on every retry, so a receiving system can drop a second copy.
        digest = hashlib.sha256(f"{row.idempotency_key}|{row.channel}".encode()).hexdigest()[:32]
        msg["Message-ID"] = make_msgid(idstring=digest, domain="satupintu.local")
        msg["X-SatuPintu-Idempotency-Key"] = row.idempotency_key
        link = f"\n\nBuka: {s.public_base_url}{row.link}" if row.link else ""
        msg.set_content(f"{row.body}{link}\n\n-- \nPesan otomatis SatuPintu. Mohon tidak membalas email ini.")
        if attachment:
            filename, content = attachment
            msg.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
        await aiosmtplib.send(
            msg, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username or None,
            password=s.smtp_password or None, start_tls=s.smtp_starttls, timeout=15,
        )


class NotifyActivities:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.channels = {c.name: c for c in (channels or [InAppChannel(), EmailChannel(settings)])}

    @activity.defn(name=NOTIFY)
    async def notify(self, inp: NotifyInput) -> NotifyResult:
        rows = await self._record(inp)
        attachment = await self._attachment(inp.attachment_document_id)
        failures = []
        for row_id in rows:
            async with self.sessionmaker() as session, session.begin():
                row = await session.get(Notification, row_id, with_for_update=True)
                if row.status == "sent":
                    continue
                try:
                    await self.channels[row.channel].deliver(row, attachment)
                except Exception as exc:  # noqa: BLE001 - any channel failure is retried, never dropped
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    row.status = "failed"
                    failures.append(f"{row.channel} → {row.address}: {exc}")
                    continue
                row.attempts += 1
                row.status, row.sent_at, row.last_error = "sent", datetime.now(timezone.utc), None
        if failures:
            # Retryable: the rows stay recorded as failed and are sent when the channel is back.
            raise ApplicationError("notification delivery failed; will retry: " + "; ".join(failures))
        return NotifyResult(delivered=len(rows), recipients=await self._recipient_ids(inp))

    async def _recipient_ids(self, inp: NotifyInput) -> list[int]:
        ids = list(dict.fromkeys(inp.recipient_ids))
        if inp.recipient_roles:
            async with self.sessionmaker() as session:
                role_users = await session.scalars(
                    select(UserRole.user_id).join(User, User.id == UserRole.user_id)
                    .where(UserRole.role.in_(inp.recipient_roles), User.is_active.is_(True)).order_by(UserRole.user_id)
                )
                ids.extend(u for u in role_users if u not in ids)
        return ids

    async def _record(self, inp: NotifyInput) -> list[int]:
        """Writes one row per recipient and channel, once; returns their ids."""
        recipients = await self._recipient_ids(inp)
        row_ids: list[int] = []
        async with self.sessionmaker() as session, session.begin():
            users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(recipients)))}
            for user_id in recipients:
                user = users.get(user_id)
                if user is None:
                    continue
                for channel_name in inp.channels:
                    channel = self.channels.get(channel_name)
                    address = channel.address_of(user) if channel else None
                    if channel is None or not address:
                        continue
                    key = f"{inp.idempotency_key}|{user_id}"
                    row = await session.scalar(select(Notification).where(Notification.idempotency_key == key, Notification.channel == channel_name))
                    if row is None:
                        row = Notification(idempotency_key=key, channel=channel_name, recipient_id=user_id, address=address,
                                           subject=inp.subject, body=inp.body, link=inp.link, status="pending")
                        session.add(row)
                        await session.flush()
                    row_ids.append(row.id)
            # Bare addresses (no account behind them yet): email only, recipient_id None.
            email = self.channels.get("email")
            if email is not None and "email" in inp.channels:
                for address in dict.fromkeys(a.strip() for a in inp.recipient_emails if a and a.strip()):
                    key = f"{inp.idempotency_key}|{address.lower()}"
                    row = await session.scalar(select(Notification).where(Notification.idempotency_key == key, Notification.channel == "email"))
                    if row is None:
                        row = Notification(idempotency_key=key, channel="email", recipient_id=None, address=address,
                                           subject=inp.subject, body=inp.body, link=inp.link, status="pending")
                        session.add(row)
                        await session.flush()
                    row_ids.append(row.id)
        return row_ids

    async def _attachment(self, document_id: str | None) -> tuple[str, bytes] | None:
        if not document_id:
            return None
        async with self.sessionmaker() as session:
            doc = await session.get(Document, document_id)
        if doc is None:
            return None
        path = self.settings.documents_dir / doc.file_name
        return (f"{doc.title}.pdf".replace("/", "-"), path.read_bytes())
