"""Staff passwords by e-mail (issue 17): a one-time link to set a new password, sent when an administrator resets an
account, when an account is made without a password (an administrator's choice, or the CSV import), and when a member
of staff forgot theirs ("Lupa kata sandi", the way applicants get their PIN, behind the same challenge and throttles).

The link is the applicants' one-time e-mail code (store/models.py EmailCode) made long enough to travel in a URL:
`/atur-sandi?token=<code id>.<secret>` (a query, which every log and trace line redacts by its name, never a path
segment, which they keep). Only a keyed hash of the secret is stored; a new link replaces the person's earlier
ones; it is spent with the new password in place; wrong guesses count against the code and the client address. The
e-mail goes through the one notification mechanism, and once delivered the recorded copy no longer carries the link.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import NotifyInput
from gateway.security import hash_password_async
from gateway.services import throttle
from gateway.services.admin import AdminScope, get_staff, record, unusable_password_hash
from gateway.services.applicants import (
    CODE_MAX_ATTEMPTS,
    MSG_EMAIL_UNAVAILABLE,
    mask_email,
    now_utc,
    password_problem,
    refuse,
    require_challenge,
    spend_challenge,
)
from gateway.services.errors import Conflict, DomainError, Unavailable, invalid
from gateway.services.sessions import account_key, revoke_sessions
from notifications.delivery import Notifier
from store.models import EmailCode, Notification, Office, User
from store.settings import Settings

PURPOSE = "staff_reset"
LINK_PATH = "/atur-sandi"
# An administrator's link may wait for the person to read their mail; one they asked for themselves is used at once.
ADMIN_TTL = timedelta(hours=24)
SELF_TTL = timedelta(hours=1)
_TOKEN = re.compile(r"([0-9]{1,12})\.([A-Za-z0-9_-]{20,100})")

MSG_SELF_SENT = ("Jika ada akun pegawai aktif dengan nama pengguna atau email itu, tautan untuk membuat kata sandi baru telah dikirim "
                 "ke email akun tersebut. Tautan berlaku 60 menit dan hanya dapat dipakai sekali. Tidak menerima email? Periksa folder "
                 "Spam, atau hubungi administrator kantor Anda.")
MSG_LINK_INVALID = ("Tautan ini tidak berlaku lagi: sudah dipakai, sudah kedaluwarsa, atau diganti tautan yang lebih baru. Minta tautan "
                    "baru lewat \"Lupa kata sandi\" atau kepada administrator kantor Anda.")
MSG_NO_EMAIL = ("Pegawai ini belum memiliki alamat email, sehingga tautan kata sandi tidak dapat dikirim. Isi email di data pegawai "
                "lalu ulangi.")

_TEXTS = {
    "admin": ("Buat kata sandi baru",
              "Administrator {office} telah mengatur ulang kata sandi akun SatuPintu Anda (nama pengguna: {username}). Kata sandi "
              "lama tidak berlaku lagi.\n\nBuka tautan di bawah ini untuk membuat kata sandi baru. Tautan berlaku 24 jam dan hanya "
              "dapat dipakai sekali."),
    "new": ("Akun SatuPintu Anda telah dibuat",
            "Akun SatuPintu Anda di {office} telah dibuat (nama pengguna: {username}).\n\nBuka tautan di bawah ini untuk membuat "
            "kata sandi Anda, lalu masuk dengan nama pengguna atau email ini. Tautan berlaku 24 jam dan hanya dapat dipakai sekali. "
            "Bila sudah kedaluwarsa, minta tautan baru lewat \"Lupa kata sandi\" di halaman masuk."),
    "self": ("Buat kata sandi baru",
             "Ada permintaan kata sandi baru untuk akun SatuPintu Anda (nama pengguna: {username}).\n\nBuka tautan di bawah ini "
             "untuk membuat kata sandi baru. Tautan berlaku 60 menit dan hanya dapat dipakai sekali.\n\nJika Anda tidak memintanya, "
             "abaikan email ini; kata sandi Anda tidak berubah."),
}


@dataclass
class PendingLink:
    """A link recorded and its e-mail ready to go; `deliver` sends it."""

    code_id: int
    message: NotifyInput
    email: str


def _hash(settings: Settings, email: str, secret: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"staff-link|{email}|{secret}".encode(), hashlib.sha256).hexdigest()


async def prepare_link(session: AsyncSession, settings: Settings, *, user: User, kind: str, office: Office | None = None) -> PendingLink:
    """Records a new link for `user` (ending their earlier ones) and commits; the e-mail is the caller's to send."""
    if not user.email:
        raise invalid(MSG_NO_EMAIL, field="email")
    email = user.email.lower()
    now = now_utc()
    await session.execute(update(EmailCode).where(EmailCode.user_id == user.id, EmailCode.purpose == PURPOSE, EmailCode.used_at.is_(None))
                          .values(used_at=now))
    secret = secrets.token_urlsafe(32)
    row = EmailCode(email=email, purpose=PURPOSE, code_hash=_hash(settings, email, secret), user_id=user.id, attempts=0, created_at=now,
                    expires_at=now + (SELF_TTL if kind == "self" else ADMIN_TTL))
    session.add(row)
    await session.flush()
    await session.commit()
    subject, body = _TEXTS[kind]
    office_name = office.short_name if office is not None else (user.office.short_name if user.office else "kantor Anda")
    message = NotifyInput(idempotency_key=f"staff-link-{row.id}", subject=subject, body=body.format(office=office_name, username=user.username),
                          channels=["email"], recipient_emails=[email], link=f"{LINK_PATH}?token={row.id}.{secret}",
                          office=office.code if office is not None else (user.office.code if user.office else ""))
    return PendingLink(code_id=row.id, message=message, email=email)


async def deliver(notifier: Notifier, pending: PendingLink) -> None:
    """Sends through the notification mechanism; once sent, the recorded copy keeps the page, not the secret.
    Raises Unavailable when the e-mail could not be sent (asking again makes a new link)."""
    try:
        await notifier.send(pending.message)
    except Exception as exc:
        raise Unavailable(MSG_EMAIL_UNAVAILABLE, code="email_unavailable") from exc
    async with notifier.sessionmaker() as session, session.begin():
        row = await session.scalar(select(Notification).where(
            Notification.idempotency_key == f"{pending.message.idempotency_key}|{pending.email}", Notification.channel == "email"))
        if row is not None:
            row.link = LINK_PATH


async def deliver_quietly(notifier: Notifier, pending: PendingLink) -> None:
    """For answers that must not tell whether anything was sent (forgot password)."""
    try:
        await deliver(notifier, pending)
    except DomainError:
        pass  # recorded as failed; asking again sends a new link


async def admin_reset(session: AsyncSession, settings: Settings, notifier: Notifier, *, scope: AdminScope, username: str) -> dict[str, Any]:
    """An administrator resets a member of staff's password: the link goes to their e-mail first (nothing changes when it
    cannot be sent), then the old password stops working and every session of the account ends."""
    user = await get_staff(session, scope=scope, username=username)
    if not user.email:
        raise invalid(MSG_NO_EMAIL, field="email")
    if not user.is_active:
        raise Conflict(f"Akun {user.full_name} nonaktif. Aktifkan kembali dulu, lalu kirim tautan kata sandi.", code="inactive")
    pending = await prepare_link(session, settings, user=user, kind="admin", office=scope.office)
    await deliver(notifier, pending)
    user = await get_staff(session, scope=scope, username=username)
    user.password_hash = unusable_password_hash()
    await revoke_sessions(session, user)
    masked = mask_email(pending.email)
    record(session, scope, action="user.reset_password", target=f"user:{user.username}", before=None, after={"reset_sent_to": masked})
    await session.commit()
    return {"detail": f"Tautan untuk membuat kata sandi baru telah dikirim ke {masked}. Sesi {user.full_name} telah diakhiri.", "email": masked}


async def send_new_account_link(session: AsyncSession, settings: Settings, notifier: Notifier, *, scope: AdminScope, user: User) -> str | None:
    """The "set your password" e-mail of an account made without one; the masked address, or None if it could not go out
    (the account stays; the administrator sends it again with a reset)."""
    pending = await prepare_link(session, settings, user=user, kind="new", office=scope.office)
    try:
        await deliver(notifier, pending)
    except DomainError:
        return None
    return mask_email(pending.email)


async def request_self_reset(session: AsyncSession, settings: Settings, *, identifier: str, challenge_token: str, challenge_answer: str,
                             client_ip: str) -> PendingLink | None:
    """"Lupa kata sandi" for staff: their username or e-mail. The answer is the same whether or not an account matched;
    the e-mail, if any, is returned for the caller to send after answering."""
    await require_challenge(session, settings, token=challenge_token, answer=challenge_answer, client_ip=client_ip)
    name = (identifier or "").strip()
    if not name:
        raise refuse({"identifier": "Isi nama pengguna atau email akun pegawai Anda."})
    if len(name) > 200:
        raise refuse({"identifier": "Nama pengguna atau email terlalu panjang."})
    await throttle.hit(session, f"pin-request:ip:{client_ip}", throttle.PIN_REQUEST_IP)
    await throttle.hit(session, throttle.key_for("pin-request:address", name), throttle.EMAIL_CODE_ADDRESS)
    await spend_challenge(session, settings, token=challenge_token, purpose="staff-reset")
    user = await session.scalar(select(User).where(or_(User.username == name, func.lower(User.email) == name.lower()), User.kind == "staff",
                                                   User.is_active.is_(True)).limit(1))
    if user is None or not user.email:
        return None
    return await prepare_link(session, settings, user=user, kind="self")


async def _live_link(session: AsyncSession, settings: Settings, token: str) -> tuple[EmailCode, User] | None:
    """The link's code and account while the link can still be used; a wrong secret counts against the code."""
    match = _TOKEN.fullmatch((token or "").strip())
    if match is None:
        return None
    row = await session.get(EmailCode, int(match.group(1)), populate_existing=True)
    if row is None or row.purpose != PURPOSE or row.used_at is not None or row.expires_at <= now_utc() or row.attempts >= CODE_MAX_ATTEMPTS:
        return None
    if not hmac.compare_digest(row.code_hash, _hash(settings, row.email, match.group(2))):
        row.attempts += 1
        await session.commit()
        return None
    user = await session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.is_active or user.kind != "staff" or (user.email or "").lower() != row.email:
        return None
    return row, user


async def link_account(session: AsyncSession, settings: Settings, *, token: str) -> User | None:
    """Whose password the link sets, while it is valid (the page shows the username before the form)."""
    found = await _live_link(session, settings, token)
    return found[1] if found else None


async def set_password(session: AsyncSession, settings: Settings, *, token: str, new_password: str, client_ip: str) -> User:
    """Sets the new password through a valid link, spends the link and ends every earlier session of the account."""
    key = f"reset:ip:{client_ip}"
    await throttle.check(session, key)
    if problem := password_problem(new_password or ""):
        raise refuse({"new_password": problem})
    found = await _live_link(session, settings, token)
    if found is None:
        await throttle.fail(session, key, throttle.RESET_IP)
        raise refuse({"token": MSG_LINK_INVALID})
    row, user = found
    await session.commit()  # no connection held while hashing
    hashed = await hash_password_async(settings, new_password)
    # Spent only with the new password in place, and once: of two uses at once, one wins.
    spent = cast(CursorResult[Any], await session.execute(update(EmailCode).where(EmailCode.id == row.id, EmailCode.used_at.is_(None))
                                                          .values(used_at=now_utc())))
    if spent.rowcount != 1:
        await session.commit()
        raise refuse({"token": MSG_LINK_INVALID})
    user.password_hash = hashed
    await revoke_sessions(session, user)
    await session.commit()
    await throttle.reset(session, account_key(user.id))
    return user
