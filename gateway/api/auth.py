from fastapi import APIRouter, Request
from sqlalchemy import func, or_, select

from gateway.api.schemas import ERRORS, ErrorOut, LoginBody, TokenOut
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import ApiError
from gateway.security import create_access_token, hash_password, verify_password
from gateway.services import throttle
from store.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

# Verifying against a real hash when the account is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("not-a-real-password")


# One answer for an unknown account and a wrong password.
BAD_CREDENTIALS = "Nama pengguna atau kata sandi salah."


async def authenticate(session, username: str, password: str) -> User | None:  # noqa: ANN001
    """By username (an applicant's is the NIK) or email address."""
    name = username.strip()
    user = await session.scalar(select(User).where(or_(User.username == name, func.lower(User.email) == name.lower())).limit(1))
    valid, new_hash = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not valid or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
        await session.commit()
    return user


async def sign_in(session, username: str, password: str, *, client_ip: str) -> User | None:  # noqa: ANN001
    """`authenticate` behind the throttle, for the API and the sign-in page alike: repeated failures for a
    username, or from a client address, are answered 429 for a while (the same for unknown accounts)."""
    user_key, ip_key = throttle.key_for("login:user", username), f"login:ip:{client_ip}"
    await throttle.check(session, ip_key)
    await throttle.check(session, user_key)
    user = await authenticate(session, username, password)
    if user is None:
        await throttle.fail(session, user_key, throttle.LOGIN_ACCOUNT)
        await throttle.fail(session, ip_key, throttle.LOGIN_IP)
        return None
    await throttle.reset(session, user_key)
    return user


@router.post("/login", response_model=TokenOut, responses={401: ERRORS[401], 429: {"model": ErrorOut, "description": "Terlalu banyak percobaan"}})
async def login(body: LoginBody, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Sign in with a username, an applicant's NIK, or an email address."""
    user = await sign_in(session, body.username, body.password, client_ip=throttle.client_ip(request))
    if user is None:
        raise ApiError(401, BAD_CREDENTIALS, code="bad_credentials")
    return TokenOut(access_token=create_access_token(user_id=user.id, secret=settings.secret_key, minutes=settings.access_token_minutes))


@router.get("/me", responses={401: ERRORS[401]})
async def me(user: CurrentUser) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "nip": user.nip, "position": user.position,
            "email": user.email, "roles": user.role_names, "unit": user.unit.name if user.unit else None,
            "supervisor_id": user.supervisor_id}
