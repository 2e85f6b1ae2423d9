"""One throttle for everything that can be guessed or flooded: sign-in, email codes, PINs, registrations.

A key names what is counted ("login:ip:203.0.113.7", "login:user:<hash>", "email-code:ip:…"). Each
failure (or, for a rate limit, each request) counts within a window; reaching the policy's limit
blocks the key for `block`, and every further failure soon after a block doubles it, up to
`max_block`. Nothing is blocked for good: a quiet window clears the count.

The functions commit the session they are given (the count must survive the refusal that follows),
so call them before the caller has pending changes of its own.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services.errors import Throttled
from store.locks import get_held
from store.models import Throttle


@dataclass(frozen=True)
class Policy:
    limit: int  # failures (or requests) within `window` that trigger a block
    window: timedelta
    block: timedelta  # the first block; doubled by each failure soon after a block
    max_block: timedelta = timedelta(hours=1)


# Sign-in: an account is slowed down after 5 wrong passwords in 15 minutes; a client address, which an
# office's counter PCs or a campus may share, after 20.
LOGIN_ACCOUNT = Policy(limit=5, window=timedelta(minutes=15), block=timedelta(minutes=2))
LOGIN_IP = Policy(limit=20, window=timedelta(minutes=15), block=timedelta(minutes=5))
# Rate limits on public forms that send email or create accounts (every request counts).
EMAIL_CODE_IP = Policy(limit=15, window=timedelta(hours=1), block=timedelta(minutes=15))
EMAIL_CODE_ADDRESS = Policy(limit=5, window=timedelta(hours=1), block=timedelta(minutes=15))
REGISTER_IP = Policy(limit=20, window=timedelta(hours=1), block=timedelta(minutes=15))
PIN_REQUEST_IP = Policy(limit=10, window=timedelta(hours=1), block=timedelta(minutes=15))
# Guesses: wrong arithmetic answers, wrong PINs, wrong old passwords.
CHALLENGE_IP = Policy(limit=30, window=timedelta(minutes=15), block=timedelta(minutes=5))
RESET_IP = Policy(limit=10, window=timedelta(minutes=15), block=timedelta(minutes=5))
CHANGE_PASSWORD_ACCOUNT = Policy(limit=5, window=timedelta(minutes=15), block=timedelta(minutes=5))

DEFAULT = LOGIN_ACCOUNT


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def key_for(kind: str, value: str) -> str:
    """A bounded key: free text (usernames, email addresses) is hashed, so the table never holds it."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]
    return f"{kind}:{digest}"


def client_ip(request: Request) -> str:
    """The client's address as the ASGI server reports it: the address the connection comes from, or the address
    in X-Forwarded-For when (and only when) that connection comes from one of forwarded_allow_ips (the office's
    proxy; `satupintu gateway` passes them to uvicorn, cli/main.py gateway_server_options). Anyone else's
    X-Forwarded-For is ignored, so it cannot move a client to another address's count."""
    return request.client.host if request.client else "unknown"


def too_many(seconds: float) -> Throttled:
    minutes = max(1, math.ceil(seconds / 60))
    return Throttled(f"Terlalu banyak percobaan. Coba lagi dalam {minutes} menit.", code="throttled")


async def _get(session: AsyncSession, key: str) -> Throttle | None:
    """The key's row, held until the count is committed (store/locks.py), so failures arriving at once each count:
    on SQLite a plain read let them all read the same count and write it back plus one."""
    return await get_held(session, Throttle, key)


async def check(session: AsyncSession, key: str, *, now: datetime | None = None) -> None:
    """Refuses (429) while the key is blocked."""
    now = _now(now)
    row = await session.get(Throttle, key, populate_existing=True)
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        raise too_many((row.blocked_until - now).total_seconds())


async def fail(session: AsyncSession, key: str, policy: Policy = DEFAULT, *, now: datetime | None = None) -> None:
    """Counts one failure (or one request, for a rate limit); blocks the key once the policy's limit is reached."""
    now = _now(now)
    for attempt in range(2):
        try:
            row = await _get(session, key)
            if row is None:
                row = Throttle(key=key, failures=0, window_started_at=now, blocked_until=None)
                session.add(row)
            # The count lives while failures keep coming: a window measured from its start, or from the end
            # of the last block (so that failing again right after a block blocks for longer).
            quiet_since = max(row.window_started_at, row.blocked_until or row.window_started_at)
            if now - quiet_since > policy.window:
                row.failures, row.window_started_at, row.blocked_until = 0, now, None
            row.failures += 1
            if row.failures >= policy.limit:
                doublings = min(row.failures - policy.limit, 16)
                row.blocked_until = now + min(policy.block * (2 ** doublings), policy.max_block)
            await session.commit()
            return
        except IntegrityError:  # another request created the row first: count on it
            await session.rollback()
            if attempt:
                raise


async def hit(session: AsyncSession, key: str, policy: Policy, *, now: datetime | None = None) -> None:
    """A rate limit: refuses while blocked, otherwise counts this request."""
    await check(session, key, now=now)
    await fail(session, key, policy, now=now)


ONCE_PREFIX = "once:"


async def use_once(session: AsyncSession, kind: str, value: str, *, until: datetime, now: datetime | None = None) -> bool:
    """Records `value` (a nonce, a token's id) as used until `until`; False when it already was, i.e. a replay.
    Commits. Records past their time are dropped on the way, so only the live ones are kept."""
    now = _now(now)
    await session.execute(delete(Throttle).where(Throttle.key.startswith(ONCE_PREFIX), Throttle.blocked_until < now))
    session.add(Throttle(key=key_for(f"{ONCE_PREFIX}{kind}", value), failures=1, window_started_at=now, blocked_until=until))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def reset(session: AsyncSession, key: str) -> None:
    """Forgets the key's failures (after a successful sign-in, for instance)."""
    row = await session.get(Throttle, key)
    if row is not None:
        await session.delete(row)
        await session.commit()
