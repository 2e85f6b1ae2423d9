import asyncio
import mailbox
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.schemas import Out
from gateway.deps import SessionDep, SettingsDep
from gateway.errors import not_found
from store.dev_fakes import fake_dir, read_messages
from store.models import Notification, User
from store.settings import Settings

router = APIRouter(tags=["sistem"])


class LiveOut(Out):
    ok: bool


class HealthOut(Out):
    ok: bool
    database: bool
    temporal: bool


class OutboxItemOut(Out):
    channel: str
    to: str | None
    subject: str | None
    body: str
    sent_at: str | None
    # Only what the mail sink and the WhatsApp fake received carry these.
    message_id: str | None = None
    attachments: list[str] | None = None


# A health check answers within a load balancer's or container runtime's probe timeout (commonly 5 s), even when
# what it asks does not answer at all.
CHECK_SECONDS = 3


@router.get("/livez", response_model=LiveOut)
async def livez() -> dict[str, Any]:
    """Liveness: 200 while this process serves requests. It asks neither the database nor Temporal, so an outage
    of either never gets a healthy gateway restarted (a restart would not bring them back)."""
    return {"ok": True}


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Basis data atau Temporal tidak menjawab"}})
async def healthz(request: Request) -> JSONResponse:
    """Readiness: 200 only when the database and Temporal both answer, else 503 with the same body, so a load
    balancer sends no one to a gateway that could only answer with errors."""
    database, temporal = await asyncio.gather(_database_answers(request), _temporal_answers(request))
    ok = database and temporal
    return JSONResponse({"ok": ok, "database": database, "temporal": temporal}, status_code=200 if ok else 503,
                        headers={"Cache-Control": "no-store"})


async def _database_answers(request: Request) -> bool:
    async def ask() -> None:
        async with request.app.state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ask(), timeout=CHECK_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - health reports, it does not raise
        return False


async def _temporal_answers(request: Request) -> bool:
    async def ask() -> None:
        client = await request.app.state.temporal()
        await client.service_client.check_health()

    try:
        await asyncio.wait_for(ask(), timeout=CHECK_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - health reports, it does not raise
        return False


def read_maildir(path: Path) -> list[dict[str, Any]]:
    """Every email the development SMTP sink received."""
    if not path.exists():
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    items: list[dict[str, Any]] = []
    for key in box.keys():
        with box.get_file(key) as fh:
            # A mailbox file reads as a binary file; the stub asks for more of io's buffer interface than the parser uses.
            msg = BytesParser(policy=policy.default).parse(cast("BinaryIO", fh))
        body = msg.get_body(preferencelist=("plain",))
        attachments = [part.get_filename() for part in msg.iter_attachments() if part.get_filename()]
        items.append({
            "channel": "email", "to": msg["To"], "subject": msg["Subject"], "body": body.get_content() if body else "",
            "sent_at": parsedate_to_datetime(msg["Date"]).isoformat() if msg["Date"] else None,
            "message_id": msg["Message-ID"], "attachments": attachments,
        })
    return items


def read_whatsapp_fake(settings: Settings) -> list[dict[str, Any]] | None:
    """Every message the development WhatsApp API fake accepted (var/whatsapp); None when no fake runs here."""
    if not fake_dir(settings.var_dir).exists():
        return None
    return [{"channel": "whatsapp", "to": m.get("to"), "subject": f"WhatsApp ke +{m.get('to')}", "body": m.get("text", ""),
             "sent_at": m.get("received_at"), "message_id": m.get("id"), "attachments": []}
            for m in read_messages(fake_dir(settings.var_dir))]


async def outbox(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
    whatsapp = read_whatsapp_fake(settings)
    items = read_maildir(settings.maildir) + (whatsapp or [])
    # Email and (with the fake) WhatsApp are listed as their servers received them; the rest from the records.
    listed = ["email", "whatsapp"] if whatsapp is not None else ["email"]
    rows = await session.execute(
        select(Notification, User.username).join(User, User.id == Notification.recipient_id, isouter=True)
        .where(Notification.channel.not_in(listed), Notification.status == "sent")
    )
    items += [{"channel": n.channel, "to": username or n.address, "subject": n.subject, "body": n.body,
               "sent_at": n.sent_at.isoformat() if n.sent_at else None} for n, username in rows]
    return sorted(items, key=lambda i: i["sent_at"] or "", reverse=True)


@router.get("/dev/outbox", tags=["dev"], response_model=list[OutboxItemOut], response_model_exclude_unset=True)
async def dev_outbox(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Development only: every email and message sent, newest first."""
    if not settings.dev_mode:
        raise not_found("Halaman")
    return await outbox(session, settings)
