from datetime import datetime, timedelta, timezone

import jwt
from pwdlib import PasswordHash

from store.settings import Settings

password_hash = PasswordHash.recommended()

ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """(valid, new hash if the stored one should be upgraded)."""
    return password_hash.verify_and_update(password, hashed)


def create_access_token(*, user_id: int, secret: str, minutes: int) -> str:
    now = datetime.now(timezone.utc)
    return jwt.encode({"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=minutes)}, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> int | None:
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM])
        return int(payload["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def served_over_https(settings: Settings) -> bool:
    """Whether every browser reaches this installation over https, whatever scheme the gateway itself sees.

    In production a TLS-terminating proxy sits in front and talks plain http to the gateway, so the request's own
    scheme would leave the session cookie without Secure. The per-request half of the same notion, a request that
    arrived over https (uvicorn takes X-Forwarded-Proto from the addresses in forwarded_allow_ips only), is added
    by gateway/security_headers.py, which applies both to cookies and to HSTS."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return not settings.dev_mode or settings.public_base_url.startswith("https://")
