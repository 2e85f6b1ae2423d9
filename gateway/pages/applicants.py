"""Applicant account pages (seed 003 §2.3): Pendaftaran Akun, Lupa Password → PIN, Profil, Ganti Password.

Same services as the JSON API (gateway/services/applicants.py), same helpers and look as gateway/pages/framework.py.
A refused form comes back with every message beside its field and in a list at the top, with all that
was typed except passwords; the arithmetic challenge is kept while its answer is right.
"""

from datetime import date
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from gateway.api.applicants import get_notifier
from gateway.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from gateway.errors import DomainError, status_of
from gateway.pages.framework import FLASH, SameOrigin, _field, _field_errors, _is_htmx, _redirect, _render, _with_flash, set_session_cookie
from gateway.services import applicants as service
from gateway.services.throttle import client_ip
from store.models import User
from store.settings import Settings

router = APIRouter(include_in_schema=False)

FLASH.update({
    "terdaftar": "Pendaftaran berhasil; Anda sudah masuk. Berikutnya, masuk dengan NIK atau email dan password Anda.",
    "password-diubah": "Password berhasil diubah. Silakan masuk dengan password baru.",
    "password-diganti": "Password berhasil diubah. Gunakan password baru saat masuk berikutnya; sesi di perangkat lain telah diakhiri.",
    "profil-disimpan": "Profil Anda telah disimpan.",
})

LABELS = {
    "nik": "NIK", "npwp": "NPWP", "password": "Password", "full_name": "Nama", "gender": "Jenis Kelamin",
    "birth_date": "Tanggal Lahir", "education": "Jenjang Pendidikan", "address": "Alamat", "province_code": "Provinsi",
    "regency_code": "Kabupaten/Kota", "district_code": "Kecamatan", "village_code": "Kelurahan/Desa", "postal_code": "Kode Pos",
    "phone": "No. Handphone", "email": "Email", "email_code": "Kode dari Email", "challenge_answer": "Pertanyaan keamanan",
    "pin": "PIN", "old_password": "Password lama", "new_password": "Password baru", "new_password2": "Ulangi password baru",
}
REGISTER_FIELDS = ("nik", "npwp", "full_name", "gender", "birth_date", "education", "address", "province_code", "regency_code",
                   "district_code", "village_code", "postal_code", "phone", "email", "email_code")
PROFILE_FIELDS = REGISTER_FIELDS[1:]  # all but NIK; the name is skipped below


def _values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _field(form, name, 500) for name in names}


def _challenge(settings: Settings, form: Any = None, *, keep: bool = True) -> dict[str, Any]:
    """The challenge to show: the one just answered right (so a refusal elsewhere does not ask again), or a new one."""
    if form is not None and keep:
        token, answer = _field(form, "challenge_token", 2000), _field(form, "challenge_answer", 20)
        if service.challenge_ok(settings, token, answer):
            return {"question": service.challenge_question(settings, token), "token": token, "answer": answer}
    c = service.new_challenge(settings)
    return {"question": c.question, "token": c.token, "answer": ""}


def _max_birth_date() -> str:
    today = date.today()
    try:
        return today.replace(year=today.year - service.MIN_AGE).isoformat()
    except ValueError:  # 29 February
        return today.replace(year=today.year - service.MIN_AGE, day=28).isoformat()


def _region_ctx(values: dict, *, shown_village: str | None = None) -> dict[str, Any]:
    """The selects' options for what is chosen so far, and the postal code to show. The village's postal
    code is the default: filled in when the village changes (unless the person typed another one for the
    previous village) or when nothing was typed."""
    region = service.region_choices(values.get("province_code", ""), values.get("regency_code", ""),
                                    values.get("district_code", ""), values.get("village_code", ""))
    postal = (values.get("postal_code") or "").strip()
    changed = False
    default = region["village_postal_code"]
    if default and postal != default:
        previous_default = service.village_postal_code(shown_village) if shown_village else None
        if not postal or (shown_village is not None and region["village_code"] != shown_village and postal == (previous_default or "")):
            postal, changed = default, True
    return {"region": region, "postal_code": postal, "postal_changed": changed}


def _form_ctx(values: dict, field_errors: dict | None = None, error: str | None = None) -> dict[str, Any]:
    return {"values": values, "field_errors": field_errors or {}, "error": error, "labels": LABELS, "genders": service.GENDERS,
            "educations": service.EDUCATION_LEVELS, "max_birth_date": _max_birth_date(), **_region_ctx(values)}


def _sign_in_response(request: Request, settings: Settings, user: User, target: str) -> Response:
    return set_session_cookie(_redirect(target), request, settings, user)


def _refusal(exc: DomainError) -> tuple[dict, str | None]:
    """Field messages, and a message for the top when the refusal names no field (429, 503, …)."""
    errors = _field_errors(exc)
    return errors, (None if errors else exc.detail)


# --- region selects (shared by Pendaftaran and Profil) ---------------------------------------------


@router.get("/wilayah/pilihan")
async def region_fragment(request: Request) -> Response:
    """The chained selects for what is chosen so far (htmx swaps the content of the #wilayah box, and the
    postal code field when the village's code should fill it)."""
    if not _is_htmx(request):
        return _redirect("/daftar")
    q = request.query_params
    values = {k: q.get(k, "")[:20] for k in ("province_code", "regency_code", "district_code", "village_code", "postal_code")}
    ctx = _region_ctx(values, shown_village=q.get("village_shown", "")[:20])
    return await _render(request, "pages/applicant/region_fragment.html", ctx, block=None)


# --- registration ------------------------------------------------------------------------------


@router.get("/daftar")
async def register_page(request: Request, user: OptionalUser, settings: SettingsDep) -> Response:
    if user is not None:
        return _redirect("/")
    values = dict.fromkeys(REGISTER_FIELDS, "")
    return await _render(request, "pages/applicant/register.html", {**_form_ctx(values), "challenge": _challenge(settings)})


async def _send_registration_code(request: Request, session: Any, settings: Settings, form: Any) -> dict[str, Any]:
    """What the "Kirim Kode" button shows: the confirmation, or why no code was sent."""
    try:
        sent = await service.request_registration_code(
            session, settings, get_notifier(request), email=_field(form, "email", 200),
            challenge_token=_field(form, "challenge_token", 2000), challenge_answer=_field(form, "challenge_answer", 20),
            client_ip=client_ip(request))
    except DomainError as exc:
        errors = _field_errors(exc)
        return {"code_error": exc.detail, "field_errors": errors, "challenge_failed": "challenge_answer" in errors}
    return {"code_sent": sent["detail"] + " Salin kode dari email ke kolom \"Kode dari Email\".", "field_errors": {},
            "challenge_failed": False}


@router.post("/daftar/kirim-kode")
async def register_code_fragment(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    """"Kirim Kode" with htmx: the form stays as typed; only the message below the email changes."""
    form = await request.form()
    result = await _send_registration_code(request, session, settings, form)
    if not _is_htmx(request):
        return _redirect("/daftar")
    ctx = {**result, "oob_challenge": result["challenge_failed"], "challenge": _challenge(settings, form, keep=not result["challenge_failed"])}
    return await _render(request, "pages/applicant/register.html", ctx, block="code_status")


@router.post("/daftar")
async def register(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = _values(form, REGISTER_FIELDS)
    action = _field(form, "aksi", 20)
    if action == "wilayah":  # without JavaScript: the next list of the address selects
        return await _render(request, "pages/applicant/register.html", {**_form_ctx(values), "challenge": _challenge(settings, form)})
    if action == "kirim-kode":  # without JavaScript: the whole form comes back, with the code's status
        result = await _send_registration_code(request, session, settings, form)
        ctx = {**_form_ctx(values, result["field_errors"]), **{k: result.get(k) for k in ("code_sent", "code_error")},
               "challenge": _challenge(settings, form, keep=not result["challenge_failed"])}
        return await _render(request, "pages/applicant/register.html", ctx, status_code=200 if result.get("code_sent") else 422)
    data = {**values, "password": _field(form, "password", 200), "challenge_token": _field(form, "challenge_token", 2000),
            "challenge_answer": _field(form, "challenge_answer", 20)}
    try:
        user = await service.register(session, settings, data, client_ip=client_ip(request))
    except DomainError as exc:
        errors, top = _refusal(exc)
        ctx = {**_form_ctx(values, errors, top), "challenge": _challenge(settings, form, keep="challenge_answer" not in errors)}
        return await _render(request, "pages/applicant/register.html", ctx, status_code=status_of(exc))
    return _sign_in_response(request, settings, user, _with_flash("/", "terdaftar"))


# --- forgot password → PIN → new password ------------------------------------------------------


@router.get("/lupa-password")
async def forgot_page(request: Request, settings: SettingsDep) -> Response:
    return await _render(request, "pages/applicant/forgot.html", {"values": {"nik": "", "phone": "", "email": ""}, "field_errors": {},
                                                                  "error": None, "labels": LABELS, "challenge": _challenge(settings)})


@router.post("/lupa-password")
async def forgot(request: Request, session: SessionDep, settings: SettingsDep, background: BackgroundTasks, _: SameOrigin) -> Response:
    form = await request.form()
    values = _values(form, ("nik", "phone", "email"))
    try:
        pending = await service.request_password_reset(
            session, settings, nik=values["nik"], phone=values["phone"], email=values["email"],
            challenge_token=_field(form, "challenge_token", 2000), challenge_answer=_field(form, "challenge_answer", 20),
            client_ip=client_ip(request))
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _render(request, "pages/applicant/forgot.html", {
            "values": values, "field_errors": errors, "error": top, "labels": LABELS,
            "challenge": _challenge(settings, form, keep="challenge_answer" not in errors)}, status_code=status_of(exc))
    if pending is not None:
        background.add_task(service.deliver_quietly, get_notifier(request), pending)
    # The same page whether or not the three matched ("JANGAN TUTUP HALAMAN INI").
    nik = service.clean_nik(values["nik"]) or ""
    return await _render(request, "pages/applicant/reset.html", {
        "values": {"nik": nik, "nik_masked": service.mask_nik(nik), "pin": ""}, "nik_locked": True, "field_errors": {}, "error": None,
        "labels": LABELS, "notice_text": service.MSG_RESET_SENT})


@router.get("/reset-password")
async def reset_page(request: Request) -> Response:
    return await _render(request, "pages/applicant/reset.html", {"values": {"nik": "", "pin": ""}, "nik_locked": False, "field_errors": {},
                                                                 "error": None, "labels": LABELS, "notice_text": None})


@router.post("/reset-password")
async def reset(request: Request, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = _values(form, ("nik", "pin"))
    new_password, repeat = _field(form, "new_password", 200), _field(form, "new_password2", 200)
    errors: dict[str, str] = {}
    top, status_code = None, 422
    if not values["pin"].strip():
        errors["pin"] = "PIN dari email wajib diisi."
    if new_password != repeat:
        errors["new_password2"] = "Ulangan password baru tidak sama."
    if not errors:
        try:
            await service.reset_password(session, settings, nik=values["nik"], pin=values["pin"], new_password=new_password,
                                         client_ip=client_ip(request))
        except DomainError as exc:
            (errors, top), status_code = _refusal(exc), status_of(exc)
        else:
            return _redirect(_with_flash("/masuk", "password-diubah"))
    nik_locked = _field(form, "nik_locked", 1) == "1" and "nik" not in errors
    return await _render(request, "pages/applicant/reset.html", {
        "values": {**values, "nik_masked": service.mask_nik(values["nik"])}, "nik_locked": nik_locked,
        "field_errors": errors, "error": top, "labels": LABELS, "notice_text": None}, status_code=status_code)


# --- profile and password (signed in) -------------------------------------------------------------


async def _profile_page(request: Request, session: Any, user: User, values: dict, *, field_errors: dict | None = None,
                        error: str | None = None, status_code: int = 200, extra: dict | None = None) -> Response:
    profile = service.profile_of(user)  # 403 for staff accounts
    ctx = {**_form_ctx(values, field_errors, error), "profile": profile, "active": "profil", **(extra or {})}
    return await _render(request, "pages/applicant/profile.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/profil")
async def profile_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    values = {k: ("" if v is None else str(v)) for k, v in service.profile_of(user).items()}
    values["email_code"] = ""
    if values["phone"].startswith("62"):  # shown as people write it: 0812…
        values["phone"] = "0" + values["phone"][2:]
    return await _profile_page(request, session, user, values)


@router.post("/profil/kirim-kode")
async def profile_code_fragment(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    try:
        sent = await service.request_email_change_code(session, settings, get_notifier(request), user=user, email=_field(form, "email", 200))
        ctx = {"code_sent": sent["detail"] + " Masukkan kode itu di kolom \"Kode dari Email\", lalu klik Simpan."}
    except DomainError as exc:
        ctx = {"code_error": exc.detail}
    if not _is_htmx(request):
        values = _values(form, PROFILE_FIELDS)
        return await _profile_page(request, session, user, values, extra=ctx,
                                   status_code=200 if "code_sent" in ctx else 422)
    return await _render(request, "pages/applicant/profile.html", ctx, block="code_status")


@router.post("/profil")
async def save_profile(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    values = _values(form, PROFILE_FIELDS)
    action = _field(form, "aksi", 20)
    if action == "wilayah":
        return await _profile_page(request, session, user, values)
    if action == "kirim-kode":
        return await profile_code_fragment(request, user, session, settings, None)
    try:
        await service.update_profile(session, settings, user, dict(values))
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _profile_page(request, session, user, values, field_errors=errors, error=top, status_code=status_of(exc))
    return _redirect(_with_flash("/profil", "profil-disimpan"))


async def _password_page(request: Request, session: Any, user: User, *, field_errors: dict | None = None, error: str | None = None,
                         status_code: int = 200) -> Response:
    ctx = {"field_errors": field_errors or {}, "error": error, "labels": LABELS, "is_applicant": user.kind == "applicant",
           "active": "profil"}
    return await _render(request, "pages/applicant/change_password.html", ctx, session=session, user=user, status_code=status_code)


@router.get("/ganti-password")
async def change_password_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    return await _password_page(request, session, user)


@router.post("/ganti-password")
async def change_password(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    form = await request.form()
    old, new, repeat = _field(form, "old_password", 200), _field(form, "new_password", 200), _field(form, "new_password2", 200)
    if new != repeat:
        return await _password_page(request, session, user, field_errors={"new_password2": "Ulangan password baru tidak sama."},
                                    status_code=422)
    try:
        await service.change_password(session, settings, user=user, old_password=old, new_password=new)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _password_page(request, session, user, field_errors=errors, error=top, status_code=status_of(exc))
    # Every other session of the account has ended; this browser stays signed in with a new cookie.
    return _sign_in_response(request, settings, user, _with_flash("/ganti-password", "password-diganti"))
