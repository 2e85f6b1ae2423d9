from fastapi import APIRouter
from sqlalchemy import or_, select

from gateway.api.schemas import ERRORS, LoginBody, TokenOut
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.errors import ApiError
from gateway.security import create_access_token, hash_password, verify_password
from store.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

# Verifying against a real hash when the account is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("not-a-real-password")


async def authenticate(session, username: str, password: str) -> User | None:  # noqa: ANN001
    user = await session.scalar(select(User).where(or_(User.username == username.strip(), User.email == username.strip())))
    valid, new_hash = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not valid or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
        await session.commit()
    return user


@router.post("/login", response_model=TokenOut, responses={401: ERRORS[401]})
async def login(body: LoginBody, session: SessionDep, settings: SettingsDep) -> TokenOut:
    user = await authenticate(session, body.username, body.password)
    if user is None:
        raise ApiError(401, "Nama pengguna atau kata sandi salah.", code="bad_credentials")
    return TokenOut(access_token=create_access_token(user_id=user.id, secret=settings.secret_key, minutes=settings.access_token_minutes))


@router.get("/me", responses={401: ERRORS[401]})
async def me(user: CurrentUser) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "nip": user.nip, "position": user.position,
            "email": user.email, "roles": user.role_names, "unit": user.unit.name if user.unit else None,
            "supervisor_id": user.supervisor_id}
