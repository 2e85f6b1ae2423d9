"""Signing in and out, for the API and the pages alike: who may sign in (behind the throttle and the password
gate), the token a session carries, and ending every session of an account at once.

A token names its account and the account's token version (User.token_version); revoke_sessions raises the
version, so every token issued before no longer works, wherever it is kept (a browser's cookie, an app's bearer
header). Call it whenever an account's sessions must end: signing out, a new password (changed or reset),
deactivation, a change of roles.
"""

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.security import create_access_token, hash_password, password_gate, verify_password
from gateway.services import throttle
from store.models import User
from store.settings import Settings

# Verifying against a real hash when the account is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("not-a-real-password")

# One answer for an unknown account and a wrong password.
BAD_CREDENTIALS = "Nama pengguna atau kata sandi salah."


def account_key(user_id: int) -> str:
    """The throttle key of an account's sign-in failures, whichever of its names (NIK/username or email) was typed."""
    return f"login:account:{user_id}"


async def find_account(session: AsyncSession, identifier: str) -> User | None:
    """By username (an applicant's is the NIK) or email address."""
    name = identifier.strip()
    if not name:
        return None
    return await session.scalar(select(User).where(or_(User.username == name, func.lower(User.email) == name.lower())).limit(1))


async def sign_in(session: AsyncSession, settings: Settings, username: str, password: str, *, client_ip: str) -> User | None:
    """The account if the password is right; None otherwise. Repeated failures for an account (counted once whether
    it was named by NIK, username or email; unknown names each by their own key), or from a client address, are
    answered 429 for a while, before any hashing. When every place at the password gate is taken the answer is 503
    at once (code "busy"), before the database is asked anything."""
    with password_gate(settings).admitted_place() as place:
        ip_key = f"login:ip:{client_ip}"
        await throttle.check(session, ip_key)
        user = await find_account(session, username)
        user_key = account_key(user.id) if user is not None else throttle.key_for("login:user", username)
        await throttle.check(session, user_key)
        stored = user.password_hash if user is not None else _DUMMY_HASH
        # The connection goes back to the pool before the hash is checked: a queue of sign-ins waiting for the
        # hashing threads must never hold the connections everyone else needs.
        await session.commit()
        valid, new_hash = await place.run(verify_password, password, stored)
    if user is None or not valid or not user.is_active:
        await throttle.fail(session, user_key, throttle.LOGIN_ACCOUNT)
        await throttle.fail(session, ip_key, throttle.LOGIN_IP)
        return None
    if new_hash:
        user.password_hash = new_hash
        await session.commit()
    await throttle.reset(session, user_key)
    return user


def session_token(settings: Settings, user: User) -> str:
    """A token for `user`'s current token version (the API's bearer token and the pages' session cookie alike)."""
    return create_access_token(user_id=user.id, secret=settings.secret_key, minutes=settings.access_token_minutes,
                               version=user.token_version or 0)


async def revoke_sessions(session: AsyncSession, user: User) -> None:
    """Ends every session and token of `user` issued so far, in the caller's transaction (the caller commits).
    Raised in SQL, so two revocations at once both count; `user.token_version` is the new version afterwards, for a
    new token of the session that stays (after a password change)."""
    user.token_version = User.token_version + 1
    await session.flush()
    await session.refresh(user, ["token_version"])
