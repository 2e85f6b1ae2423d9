import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash

from gateway.errors import ApiError
from store.settings import Settings

password_hash = PasswordHash.recommended()

ALGORITHM = "HS256"
# Seconds a client is asked to wait when every place for password hashing is taken.
BUSY_RETRY_AFTER = 5
MSG_BUSY = "Layanan masuk sedang menerima terlalu banyak permintaan. Silakan coba lagi dalam beberapa detik."

T = TypeVar("T")


def hash_password(password: str) -> str:
    """Synchronous: for seeding and tools. Request handlers use hash_password_async."""
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """(valid, new hash if the stored one should be upgraded). Synchronous: request handlers run it through
    password_gate(settings).admitted_place(), as gateway/services/sessions.py sign_in does."""
    return password_hash.verify_and_update(password, hashed)


class PasswordGate:
    """Argon2id costs tens of milliseconds of CPU and memory per check, so it runs in `concurrency` threads of its own,
    never on the event loop, and at most `concurrency + queue` checks are admitted at once: anyone past that is told
    503 at once (busy), so a burst of sign-ins can neither stall other requests nor pile up waiting for the database.

    A place is held from `admitted_place()` until the hashing done inside it has finished, even when the request is cancelled
    meanwhile (its thread still runs to the end)."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.capacity = max(1, concurrency) + max(0, queue)
        self._executor = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="password-hash")
        self._lock = threading.Lock()
        self._admitted = 0
        self._submitted = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    @property
    def submitted(self) -> int:
        """Hashes handed to the threads so far (running, waiting for a thread, or done): a request counted here has
        finished with the database until its hash is checked."""
        return self._submitted

    def _release(self, _: object = None) -> None:
        with self._lock:
            self._admitted -= 1

    @contextmanager
    def admitted_place(self) -> Any:
        """A place for the hashing of one request, or ApiError 503 (code "busy", Retry-After) when there is none."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise ApiError(503, MSG_BUSY, code="busy", headers={"Retry-After": str(BUSY_RETRY_AFTER)})
            self._admitted += 1
        place = _Place(self)
        try:
            yield place
        finally:
            place.close()

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future:
        with self._lock:
            self._submitted += 1
        return self._executor.submit(fn, *args)


class _Place:
    """One admitted request's place at the gate: `run` hashes in the gate's threads."""

    def __init__(self, gate: PasswordGate) -> None:
        self._gate = gate
        self._pending: Future | None = None
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        future = self._gate._submit(fn, *args)
        self._pending = future
        result = await asyncio.wrap_future(future)
        self._pending = None
        return result

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        pending = self._pending
        if pending is not None and not pending.done():
            # Cancelled while its thread still hashes: the place is given back when the thread is done.
            pending.add_done_callback(self._gate._release)
        else:
            self._gate._release()


@lru_cache(maxsize=8)
def _gate(concurrency: int, queue: int) -> PasswordGate:
    return PasswordGate(concurrency, queue)


def password_gate(settings: Settings) -> PasswordGate:
    """The process's gate for these settings (one per configuration, shared by every request and app)."""
    return _gate(settings.login_concurrency, settings.login_queue)


async def hash_password_async(settings: Settings, password: str) -> str:
    """hash_password through the gate: in its threads, or 503 at once when every place is taken. Call it with no
    database connection held (commit first), or a queue of hashes would hold the pool."""
    with password_gate(settings).admitted_place() as place:
        return await place.run(hash_password, password)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int


def create_access_token(*, user_id: int, secret: str, minutes: int, version: int = 0) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> TokenClaims | None:
    """The claims of a token this installation signed, still valid, in the shape it issues: a numeric subject, the
    account's token version, and both issue and expiry times (a token without an expiry would never end)."""
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub", "ver"]})
    except jwt.PyJWTError:
        return None
    sub, version = payload.get("sub"), payload.get("ver")
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 18):
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return TokenClaims(user_id=int(sub), version=version)


def served_over_https(settings: Settings) -> bool:
    """Whether every browser reaches this installation over https, whatever scheme the gateway itself sees.

    In production a TLS-terminating proxy sits in front and talks plain http to the gateway, so the request's own
    scheme would leave the session cookie without Secure. The per-request half of the same notion, a request that
    arrived over https (uvicorn takes X-Forwarded-Proto from the addresses in forwarded_allow_ips only), is added
    by gateway/security_headers.py, which applies both to cookies and to HSTS."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return not settings.dev_mode or settings.public_base_url.startswith("https://")
