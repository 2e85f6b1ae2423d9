"""Applicant accounts over JSON (seed 003 §2.3): the challenge, the email code, registration, forgot
and change password, the profile, and the region lists for the address selects."""

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel, Field

from gateway.api.schemas import ERRORS, ErrorOut
from gateway.deps import CurrentUser, SessionDep, SettingsDep
from gateway.services import applicants as service
from gateway.services.throttle import client_ip
from notifications.delivery import Notifier

router = APIRouter(tags=["pemohon"])

THROTTLED: dict[str, Any] = {"model": ErrorOut, "description": "Terlalu banyak percobaan; coba lagi nanti"}
MAIL_DOWN: dict[str, Any] = {"model": ErrorOut, "description": "Email belum dapat dikirim; coba lagi nanti"}


def get_notifier(request: Request) -> Notifier:
    """The one notification mechanism, used directly (not as an activity) for codes that cannot wait."""
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is None:
        notifier = request.app.state.notifier = Notifier(request.app.state.settings, request.app.state.sessionmaker)
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]


class ChallengeOut(BaseModel):
    question: str
    challenge_token: str


class ChallengeFields(BaseModel):
    challenge_token: str = Field(default="", max_length=2000, description="Dari GET /api/v1/auth/challenge")
    challenge_answer: str = Field(default="", max_length=20, description="Jawaban hitungan")


class EmailCodeBody(ChallengeFields):
    email: str = Field(default="", max_length=200)


class CodeSentOut(BaseModel):
    email: str
    expires_at: str
    detail: str


class ProfileFields(BaseModel):
    npwp: str | None = Field(default=None, max_length=30, description="Boleh kosong; 15 atau 16 digit")
    gender: str | None = Field(default=None, max_length=1, description="L atau P")
    birth_date: str | None = Field(default=None, max_length=10, description="TTTT-BB-HH")
    education: str | None = Field(default=None, max_length=10, description=", ".join(service.EDUCATION_LEVELS))
    address: str | None = Field(default=None, max_length=500)
    province_code: str | None = Field(default=None, max_length=20)
    regency_code: str | None = Field(default=None, max_length=20)
    district_code: str | None = Field(default=None, max_length=20)
    village_code: str | None = Field(default=None, max_length=20)
    postal_code: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=30, description="08… atau +628…")
    email: str | None = Field(default=None, max_length=200)


class RegistrationBody(ProfileFields, ChallengeFields):
    nik: str = Field(default="", max_length=30)
    password: str = Field(default="", max_length=200)
    full_name: str = Field(default="", max_length=300, description="Nama beserta gelar")
    email_code: str = Field(default="", max_length=20, description="Kode dari email (POST /api/v1/auth/email-code)")


class ProfileBody(ProfileFields):
    nik: str | None = Field(default=None, max_length=30, description="Tidak dapat diubah")
    full_name: str | None = Field(default=None, max_length=300, description="Tidak dapat diubah")
    email_code: str | None = Field(default=None, max_length=20, description="Wajib bila email diganti (POST /api/v1/profile/email-code)")


class ProfileOut(BaseModel):
    id: int
    username: str
    nik: str
    full_name: str
    npwp: str | None
    gender: str
    birth_date: str
    education: str
    address: str
    province_code: str
    regency_code: str
    district_code: str
    village_code: str
    postal_code: str
    phone: str | None
    email: str | None
    province_name: str | None = None
    regency_name: str | None = None
    district_name: str | None = None
    village_name: str | None = None


class ForgotBody(ChallengeFields):
    nik: str = Field(default="", max_length=30)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=200)


class ResetBody(BaseModel):
    nik: str = Field(default="", max_length=30)
    pin: str = Field(default="", max_length=20)
    new_password: str = Field(default="", max_length=200)


class ChangePasswordBody(BaseModel):
    old_password: str = Field(default="", max_length=200)
    new_password: str = Field(default="", max_length=200)


class MessageOut(BaseModel):
    detail: str


class Region(BaseModel):
    code: str
    name: str
    postal_code: str | None = None


# --- public: challenge, email code, registration, forgot password -------------------------------


@router.get("/api/v1/auth/challenge", response_model=ChallengeOut)
async def challenge(settings: SettingsDep) -> ChallengeOut:
    """A simple arithmetic question; send its token and the answer with the public forms. Valid 30 minutes."""
    c = service.new_challenge(settings)
    return ChallengeOut(question=c.question, challenge_token=c.token)


@router.post("/api/v1/auth/email-code", status_code=202, response_model=CodeSentOut,
             responses={422: ERRORS[422], 429: THROTTLED, 503: MAIL_DOWN})
async def email_code(body: EmailCodeBody, request: Request, session: SessionDep, settings: SettingsDep, notifier: NotifierDep) -> dict[str, Any]:
    """"Generate Code": sends a 6-digit code (valid 15 minutes, 5 tries) to the address being registered."""
    return await service.request_registration_code(session, settings, notifier, email=body.email, challenge_token=body.challenge_token,
                                                   challenge_answer=body.challenge_answer, client_ip=client_ip(request))


@router.post("/api/v1/applicants", status_code=201, response_model=ProfileOut, responses={422: ERRORS[422], 429: THROTTLED})
async def register(body: RegistrationBody, request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Registration (seed 003 §2.3.2). Sign in afterwards with the NIK or the email."""
    user = await service.register(session, settings, body.model_dump(), client_ip=client_ip(request))
    return service.profile_of(user)


@router.post("/api/v1/auth/forgot-password", status_code=202, response_model=MessageOut, responses={422: ERRORS[422], 429: THROTTLED})
async def forgot_password(body: ForgotBody, request: Request, session: SessionDep, settings: SettingsDep, notifier: NotifierDep,
                          background: BackgroundTasks) -> MessageOut:
    """NIK + phone + email of the account → a PIN by email. The answer is the same whether or not they matched."""
    pending = await service.request_password_reset(session, settings, nik=body.nik, phone=body.phone, email=body.email,
                                                   challenge_token=body.challenge_token, challenge_answer=body.challenge_answer,
                                                   client_ip=client_ip(request))
    if pending is not None:
        background.add_task(service.deliver_quietly, notifier, pending)
    return MessageOut(detail=service.MSG_RESET_SENT)


@router.post("/api/v1/auth/reset-password", response_model=MessageOut, responses={422: ERRORS[422], 429: THROTTLED})
async def reset_password(body: ResetBody, request: Request, session: SessionDep, settings: SettingsDep) -> MessageOut:
    await service.reset_password(session, settings, nik=body.nik, pin=body.pin, new_password=body.new_password, client_ip=client_ip(request))
    return MessageOut(detail="Password berhasil diubah. Silakan masuk dengan password baru.")


# --- signed in ---------------------------------------------------------------------------------


@router.post("/api/v1/auth/change-password", response_model=MessageOut, responses={401: ERRORS[401], 422: ERRORS[422], 429: THROTTLED})
async def change_password(body: ChangePasswordBody, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> MessageOut:
    """Every session and token of the account ends, this one included: sign in again with the new password."""
    await service.change_password(session, settings, user=user, old_password=body.old_password, new_password=body.new_password)
    return MessageOut(detail="Password berhasil diubah. Semua sesi telah diakhiri; silakan masuk kembali dengan password baru.")


@router.get("/api/v1/profile", response_model=ProfileOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def get_profile(user: CurrentUser) -> dict[str, Any]:
    return service.profile_of(user)


@router.put("/api/v1/profile", response_model=ProfileOut, responses={401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]})
async def put_profile(body: ProfileBody, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Everything but NIK and name; fields left out keep their values; a new email needs `email_code`."""
    return await service.update_profile(session, settings, user, body.model_dump())


@router.post("/api/v1/profile/email-code", status_code=202, response_model=CodeSentOut,
             responses={401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422], 429: THROTTLED, 503: MAIL_DOWN})
async def profile_email_code(body: EmailCodeBody, user: CurrentUser, session: SessionDep, settings: SettingsDep, notifier: NotifierDep) -> dict[str, Any]:
    """A code to the new address, for changing the account's email."""
    return await service.request_email_change_code(session, settings, notifier, user=user, email=body.email)


# --- regions (Kemendagri codes, with postal codes for villages) -----------------------------------


@router.get("/api/v1/regions/provinces", response_model=list[Region])
async def list_provinces() -> list[dict[str, Any]]:
    return service.provinces()


@router.get("/api/v1/regions/provinces/{code}/regencies", response_model=list[Region], responses={404: ERRORS[404]})
async def list_regencies(code: str) -> list[dict[str, Any]]:
    return service.regencies(code)


@router.get("/api/v1/regions/regencies/{code}/districts", response_model=list[Region], responses={404: ERRORS[404]})
async def list_districts(code: str) -> list[dict[str, Any]]:
    return service.districts(code)


@router.get("/api/v1/regions/districts/{code}/villages", response_model=list[Region], responses={404: ERRORS[404]})
async def list_villages(code: str) -> list[dict[str, Any]]:
    return service.villages(code)
