"""Administration over the API (issue 17): an office's units, staff, identity, logo and calendar, the staff CSV import
and the change record, for the office's administrators (role `admin`) and the installation's (role `admin_instalasi`,
who name the office with `?office=<code>`). Another office's unit or member of staff is 404; anyone else 403. Also the
staff's own password reset by e-mail (public). Thin: gateway/services/admin.py, staff_import.py and staff_passwords.py
do the work."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from gateway.api.applicants import MAIL_DOWN, THROTTLED, ChallengeFields, MessageOut, NotifierDep
from gateway.api.schemas import ERRORS, ErrorOut, Out, Responses
from gateway.deps import SessionDep, SettingsDep, TemporalDep, requires_role
from gateway.services import admin as service
from gateway.services import staff_import, staff_passwords
from gateway.services.errors import invalid
from gateway.services.throttle import client_ip
from store.models import Unit, User

router = APIRouter(tags=["administrasi"])

AdminUser = Annotated[User, Depends(requires_role(service.ADMIN_ROLES, service.MSG_NOT_ADMIN))]
OfficeParam = Annotated[str | None, Query(max_length=40, description="Kode kantor (wajib bagi administrator instalasi)")]

_ERRORS: Responses = {k: ERRORS[k] for k in (401, 403, 404, 422)}
_WRITE_ERRORS: Responses = {**_ERRORS, 409: ERRORS[409]}
_UPLOAD_ERRORS: Responses = {**_WRITE_ERRORS, 413: {"model": ErrorOut, "description": "Berkas terlalu besar"},
                             415: {"model": ErrorOut, "description": "Jenis berkas tidak didukung"}}
_TEMPORAL_DOWN: Responses = {503: {"model": ErrorOut, "description": "Layanan proses atau email tidak dapat dihubungi"}}


# --- bodies and answers -----------------------------------------------------------------------------------------


class OfficeLineOut(Out):
    code: str
    name: str
    short_name: str
    city: str
    is_active: bool


class RoleOut(Out):
    code: str
    label: str


class UnitOut(Out):
    code: str
    name: str
    parent: str | None


class UnitDetailOut(UnitOut):
    is_active: bool


class UnitBody(BaseModel):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    parent: str | None = Field(default=None, max_length=40)


class UnitPatch(BaseModel):
    """Any of these; `parent: null` makes it a top unit."""

    model_config = ConfigDict(extra="allow")
    name: str | None = Field(default=None, max_length=200)
    parent: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None


class UserOut(Out):
    username: str
    full_name: str
    email: str | None
    phone: str | None
    nip: str | None
    unit: str | None
    unit_name: str | None
    position: str | None
    supervisor: str | None
    supervisor_name: str | None
    roles: list[str]
    role_labels: list[str]
    is_active: bool
    deactivated_at: str | None
    deactivation_reason: str | None
    office: str
    created_at: str | None


class UserCreatedOut(UserOut):
    # Made without a password: the masked address the set-password link went to (null when it could not go out yet).
    password_link_sent_to: str | None = None


class UserListOut(Out):
    items: list[UserOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class UserBody(BaseModel):
    username: str = Field(max_length=80)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    nip: str | None = Field(default=None, max_length=30)
    unit: str = Field(max_length=40)
    position: str | None = Field(default=None, max_length=200)
    supervisor: str | None = Field(default=None, max_length=80)
    roles: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=30)
    password: str | None = Field(default=None, max_length=200, description="Kosong: pegawai membuat kata sandinya lewat tautan di email")


class UserPatch(BaseModel):
    """Any of these. `is_active` is not here: /deactivate and /reactivate."""

    model_config = ConfigDict(extra="allow")
    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    nip: str | None = Field(default=None, max_length=30)
    unit: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=200)
    supervisor: str | None = Field(default=None, max_length=80)
    roles: list[Annotated[str, Field(max_length=60)]] | None = Field(default=None, max_length=30)


class ReasonBody(BaseModel):
    reason: str = Field(default="", max_length=service.MAX_REASON)


class OptionalReasonBody(BaseModel):
    reason: str | None = Field(default=None, max_length=service.MAX_REASON)


class HandoverOut(Out):
    task_id: str
    workflow_id: str
    process: str
    process_label: str
    title: str
    held_as: str
    role: str
    role_label: str
    to: str
    to_user: str | None
    to_name: str
    unheld: bool
    done: bool
    error: str | None


class PersonLineOut(Out):
    username: str
    full_name: str


class PlanOut(Out):
    handovers: list[HandoverOut]
    subordinates: list[PersonLineOut]
    plh: int


class DeactivatedOut(Out):
    user: UserOut
    handovers: list[HandoverOut]
    subordinates: list[PersonLineOut]
    plh_cancelled: int
    complete: bool


class ResetOut(Out):
    detail: str
    email: str


class ImportErrorOut(Out):
    row: int
    field: str
    message: str


class ImportRowErrorOut(Out):
    field: str
    message: str


class ImportRowOut(Out):
    row: int
    action: str
    username: str | None
    full_name: str | None
    nip: str | None
    changes: list[str]
    errors: list[ImportRowErrorOut]


class ImportOut(Out):
    dry_run: bool
    applied: bool
    mode: str
    created: int
    updated: int
    unchanged: int
    skipped: int
    total_rows: int
    columns: list[str]
    errors: list[ImportErrorOut]
    errors_total: int
    rows: list[ImportRowOut]


class ChangeOut(Out):
    id: int
    at: str
    actor: str
    action: str
    action_label: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class ChangesOut(Out):
    items: list[ChangeOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class HoursOut(Out):
    start: str
    end: str


class ProcessChoiceOut(Out):
    code: str
    label: str


class OfficeOut(Out):
    code: str
    name: str
    short_name: str
    address: str
    city: str
    timezone: str
    head_title: str
    phone: str | None
    email: str | None
    letterhead: list[str]
    agency_letterheads: dict[str, list[str]]
    office_hours: HoursOut
    working_weekdays: list[int]
    processes: list[str]
    offerable: list[ProcessChoiceOut]
    logo_url: str | None
    is_active: bool


class HoursBody(BaseModel):
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)


class OfficePatch(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = Field(default=None, max_length=200)
    short_name: str | None = Field(default=None, max_length=80)
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=80)
    timezone: str | None = Field(default=None, max_length=60)
    head_title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    letterhead: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=20)
    agency_letterheads: dict[Annotated[str, Field(max_length=40)], list[Annotated[str, Field(max_length=200)]]] | None = None
    office_hours: HoursBody | None = None
    working_weekdays: list[int] | None = Field(default=None, max_length=7)
    processes: list[Annotated[str, Field(max_length=40)]] | None = Field(default=None, max_length=20)


class CalendarEntryOut(Out):
    date: str
    name: str
    kind: str


class CalendarOut(Out):
    items: list[CalendarEntryOut]


class CalendarBody(BaseModel):
    date: str = Field(max_length=20, description="YYYY-MM-DD")
    name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=20, description="libur (hari libur) atau hari_kerja (hari kerja pengganti)")


class StaffForgotBody(ChallengeFields):
    identifier: str = Field(default="", max_length=200, description="Nama pengguna atau email akun pegawai")


class StaffResetBody(BaseModel):
    token: str = Field(default="", max_length=200, description="Bagian terakhir tautan di email (/atur-sandi?token=<token>)")
    new_password: str = Field(default="", max_length=200)


_CSV_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": f"CSV UTF-8 (koma atau titik koma), paling besar {staff_import.MAX_BYTES // (1024 * 1024)} MB, "
                                           f"paling banyak {staff_import.MAX_ROWS} baris"}}}}}}}
_LOGO_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": f"PNG atau JPG, paling besar {service.LOGO_MAX_BYTES // 1024} KB"}}}}}}}


async def read_file_field(request: Request, *, limit: int) -> tuple[bytes, str, bool]:
    """The `file` part of a multipart form (the body was capped by the perimeter): its bytes up to `limit` (one more
    byte tells it was larger), its name, and whether it passed the limit."""
    try:
        form = await request.form(max_files=1, max_fields=5)
    except (MultiPartException, StarletteHTTPException, ValueError):
        raise invalid("Formulir unggah tidak dapat dibaca. Kirim multipart/form-data dengan isian \"file\".", field="file") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("Pilih berkas yang akan diunggah (isian \"file\").", field="file")
        data = await upload.read(limit + 1)
        return data[:limit], (upload.filename or "")[:200], len(data) > limit
    finally:
        await form.close()


async def scope_of(session: SessionDep, user: AdminUser, office: OfficeParam = None) -> service.AdminScope:
    return await service.admin_scope(session, user=user, office_code=office)


Scope = Annotated[service.AdminScope, Depends(scope_of)]


def _expire_offices(request: Request) -> None:
    """This gateway reads the offices again at once (the others within seconds): pages and new runs use the change."""
    request.app.state.offices.expire()


# --- offices and roles --------------------------------------------------------------------------------------------


@router.get("/api/v1/admin/offices", response_model=list[OfficeLineOut], responses={401: ERRORS[401], 403: ERRORS[403]})
async def offices(user: AdminUser, session: SessionDep) -> list[dict[str, Any]]:
    """The offices you administer: every office for an installation administrator, your own otherwise."""
    return await service.offices_for(session, user=user)


@router.get("/api/v1/admin/roles", response_model=list[RoleOut], responses=_ERRORS)
async def roles(scope: Scope) -> list[dict[str, str]]:
    """The roles that may be given to the office's staff (roles.yaml), with the office's names for them."""
    return service.role_choices(scope)


# --- units ------------------------------------------------------------------------------------------------------------


@router.get("/api/v1/admin/units", response_model=list[UnitOut], responses=_ERRORS)
async def list_units(scope: Scope, session: SessionDep) -> list[dict[str, Any]]:
    """The office's active units as a tree, depth first; `parent` is the parent's code (null for a top unit)."""
    return [{"code": u["code"], "name": u["name"], "parent": u["parent"]} for u in await service.list_units(session, scope=scope)]


@router.post("/api/v1/admin/units", status_code=201, response_model=UnitOut, responses=_WRITE_ERRORS)
async def create_unit(body: UnitBody, scope: Scope, session: SessionDep) -> dict[str, Any]:
    unit = await service.create_unit(session, scope=scope, code=body.code, name=body.name, parent=body.parent)
    return {"code": unit["code"], "name": unit["name"], "parent": unit["parent"]}


@router.get("/api/v1/admin/units/{code}", response_model=UnitDetailOut, responses=_ERRORS)
async def get_unit(code: str, scope: Scope, session: SessionDep) -> dict[str, Any]:
    unit = await service.get_unit(session, scope=scope, code=code)
    parent = await session.get(Unit, unit.parent_id) if unit.parent_id else None
    return service.serialize_unit(unit, parent)


@router.patch("/api/v1/admin/units/{code}", response_model=UnitDetailOut, responses=_WRITE_ERRORS)
async def update_unit(code: str, body: UnitPatch, scope: Scope, session: SessionDep) -> dict[str, Any]:
    """Rename (`name`), move (`parent`; never under itself or one of its own units), or (de)activate (`is_active`)."""
    return await service.update_unit(session, scope=scope, code=code, changes=body.model_dump(exclude_unset=True))


# --- staff ------------------------------------------------------------------------------------------------------------


@router.get("/api/v1/admin/users", response_model=UserListOut, responses=_ERRORS)
async def list_users(scope: Scope, session: SessionDep, q: str | None = Query(default=None, max_length=100, description="Nama pengguna, nama, NIP atau email"),
                     include_inactive: bool = Query(default=False, description="Sertakan pegawai nonaktif"),
                     limit: int = Query(default=service.PAGE_SIZE, ge=1, le=service.MAX_PAGE_SIZE),
                     offset: int = Query(default=0, ge=0, le=1_000_000)) -> dict[str, Any]:
    return await service.list_users(session, scope=scope, q=q, include_inactive=include_inactive, limit=limit, offset=offset)


@router.post("/api/v1/admin/users", status_code=201, response_model=UserCreatedOut, responses={**_WRITE_ERRORS, **_TEMPORAL_DOWN})
async def create_user(body: UserBody, scope: Scope, session: SessionDep, settings: SettingsDep, notifier: NotifierDep) -> dict[str, Any]:
    """A new member of staff. Without `password` the account has none yet: a link to make one goes to `email` (24 hours)."""
    user, needs_link = await service.create_user(session, settings, scope=scope, data=body.model_dump())
    out = await service.user_json(session, scope, user)
    if needs_link:
        out["password_link_sent_to"] = await staff_passwords.send_new_account_link(session, settings, notifier, scope=scope, user=user)
    return out


@router.post("/api/v1/admin/users/import", response_model=ImportOut, openapi_extra=_CSV_BODY, responses=_UPLOAD_ERRORS)
async def import_users(request: Request, scope: Scope, session: SessionDep,
                       dry_run: bool = Query(default=True, description="true: hanya pratinjau, tidak ada yang diubah")) -> dict[str, Any]:
    """Staff from a personnel export (SIMPEG/SIASN) as CSV: NIP, nama, jabatan, unit, email, telepon/HP; optional username,
    atasan (NIP or username) and peran (`;` or `|` between roles). Matched by NIP, else username. Bad rows are skipped and
    reported by line (header = 1); the others are applied (`applied`). The import sends no e-mail: new staff make their
    password through "Lupa kata sandi" (pegawai), or the administrator sends each a link (reset-password)."""
    data, name, too_large = await read_file_field(request, limit=staff_import.MAX_BYTES)
    if too_large:
        raise invalid(staff_import.TOO_LARGE, field="file")
    return await staff_import.import_staff(session, scope=scope, data=data, file_name=name, dry_run=dry_run)


@router.get("/api/v1/admin/users/{username}", response_model=UserOut, responses=_ERRORS)
async def get_user(username: str, scope: Scope, session: SessionDep) -> dict[str, Any]:
    return await service.user_json(session, scope, await service.get_staff(session, scope=scope, username=username))


@router.patch("/api/v1/admin/users/{username}", response_model=UserOut, responses=_WRITE_ERRORS)
async def update_user(username: str, body: UserPatch, scope: Scope, session: SessionDep) -> dict[str, Any]:
    """full_name, email, phone, nip, unit (move), position, supervisor (same office; never a circle), roles (the whole list:
    give and take). Taking a role away ends the person's sessions."""
    user = await service.update_user(session, scope=scope, username=username, changes=body.model_dump(exclude_unset=True))
    return await service.user_json(session, scope, user)


@router.get("/api/v1/admin/users/{username}/deactivation-plan", response_model=PlanOut, responses=_ERRORS)
async def deactivation_plan(username: str, scope: Scope, session: SessionDep) -> dict[str, Any]:
    """What deactivating the person would hand on, and to whom (nothing changes)."""
    user = await service.get_staff(session, scope=scope, username=username)
    plan = await service.deactivation_plan(session, scope=scope, user=user)
    return {"handovers": [h.as_dict() for h in plan.handovers],
            "subordinates": [{"username": s.username, "full_name": s.full_name} for s in plan.subordinates], "plh": plan.acting_for}


@router.post("/api/v1/admin/users/{username}/deactivate", response_model=DeactivatedOut, responses={**_WRITE_ERRORS, **_TEMPORAL_DOWN})
async def deactivate_user(username: str, body: ReasonBody, scope: Scope, session: SessionDep, client: TemporalDep) -> dict[str, Any]:
    """Ends the person's sessions at once, closes the account, and hands their open tasks on through each run (to the
    task's role when others in the office hold it, else to their supervisor); claims are released. Each hand-over is in
    the answer and the change record; one that failed (`done`: false) is carried out by deactivating again."""
    return await service.deactivate_user(session, client, scope=scope, username=username, reason=body.reason)


@router.post("/api/v1/admin/users/{username}/reactivate", response_model=UserOut, responses=_WRITE_ERRORS)
async def reactivate_user(username: str, scope: Scope, session: SessionDep, body: OptionalReasonBody | None = None) -> dict[str, Any]:
    user = await service.reactivate_user(session, scope=scope, username=username, reason=body.reason if body else None)
    return await service.user_json(session, scope, user)


@router.post("/api/v1/admin/users/{username}/reset-password", status_code=202, response_model=ResetOut,
             responses={**_WRITE_ERRORS, 503: MAIL_DOWN})
async def reset_password(username: str, scope: Scope, session: SessionDep, settings: SettingsDep, notifier: NotifierDep) -> dict[str, Any]:
    """E-mails the person a one-time link (24 hours) to set a new password; then the old one stops working and their
    sessions end. 422 when they have no e-mail address."""
    return await staff_passwords.admin_reset(session, settings, notifier, scope=scope, username=username)


# --- the change record ------------------------------------------------------------------------------------------------


@router.get("/api/v1/admin/changes", response_model=ChangesOut, responses=_ERRORS)
async def changes(user: AdminUser, session: SessionDep, office: OfficeParam = None,
                  limit: int = Query(default=50, ge=1, le=service.MAX_PAGE_SIZE), offset: int = Query(default=0, ge=0, le=1_000_000),
                  action: str | None = Query(default=None, max_length=40), target: str | None = Query(default=None, max_length=200)) -> dict[str, Any]:
    """Every administrative change, newest first. An installation administrator without `office` reads the installation's own
    (offices created)."""
    if service.is_installation_admin(user) and not office:
        return await service.list_changes(session, office_id=None, limit=limit, offset=offset, action=action, target=target)
    scope = await service.admin_scope(session, user=user, office_code=office)
    return await service.list_changes(session, office_id=scope.office.id, limit=limit, offset=offset, action=action, target=target)


# --- the office -------------------------------------------------------------------------------------------------------


@router.get("/api/v1/admin/office", response_model=OfficeOut, responses=_ERRORS)
async def get_office(scope: Scope) -> dict[str, Any]:
    return service.serialize_office(scope.office)


@router.patch("/api/v1/admin/office", response_model=OfficeOut, responses=_WRITE_ERRORS)
async def update_office(request: Request, body: OfficePatch, scope: Scope, session: SessionDep) -> dict[str, Any]:
    """Identity (name, short_name, address, city, timezone, head_title, phone, email, letterhead lines, agency_letterheads),
    office_hours {start, end}, working_weekdays (0 = Monday) and the processes offered. Running processes keep what they
    started with."""
    out = await service.update_office(session, scope=scope, changes=body.model_dump(exclude_unset=True))
    _expire_offices(request)
    return out


@router.put("/api/v1/admin/office/logo", response_model=OfficeOut, openapi_extra=_LOGO_BODY, responses=_UPLOAD_ERRORS)
async def set_logo(request: Request, scope: Scope, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """The logo printed on the office's letterhead and pages (multipart `file`, PNG or JPG); served at /kantor/<code>/logo."""
    data, _, too_large = await read_file_field(request, limit=service.LOGO_MAX_BYTES)
    out = await service.set_logo(session, settings, scope=scope, data=data, too_large=too_large)
    _expire_offices(request)
    return out


@router.get("/api/v1/admin/office/calendar", response_model=CalendarOut, responses=_ERRORS)
async def calendar(scope: Scope) -> dict[str, Any]:
    """The office's own holidays (libur) and working days on days otherwise off (hari_kerja), beside the national calendar."""
    return {"items": service.calendar_entries(scope.office)}


@router.post("/api/v1/admin/office/calendar", status_code=201, response_model=CalendarEntryOut, responses=_WRITE_ERRORS)
async def add_calendar_entry(request: Request, body: CalendarBody, scope: Scope, session: SessionDep) -> dict[str, Any]:
    entry = await service.add_calendar_entry(session, scope=scope, day=body.date, name=body.name, kind=body.kind)
    _expire_offices(request)
    return entry


@router.delete("/api/v1/admin/office/calendar", response_model=CalendarEntryOut, responses=_ERRORS)
async def remove_calendar_entry(request: Request, scope: Scope, session: SessionDep,
                                day: str = Query(alias="date", max_length=20, description="YYYY-MM-DD")) -> dict[str, Any]:
    entry = await service.remove_calendar_entry(session, scope=scope, day=day)
    _expire_offices(request)
    return entry


@router.delete("/api/v1/admin/office/calendar/{day}", response_model=CalendarEntryOut, responses=_ERRORS)
async def remove_calendar_day(request: Request, day: date, scope: Scope, session: SessionDep) -> dict[str, Any]:
    entry = await service.remove_calendar_entry(session, scope=scope, day=day.isoformat())
    _expire_offices(request)
    return entry


# --- staff's own password reset (public) ------------------------------------------------------------------------------


@router.post("/api/v1/auth/staff-forgot-password", status_code=202, response_model=MessageOut, responses={422: ERRORS[422], 429: THROTTLED})
async def staff_forgot_password(body: StaffForgotBody, request: Request, session: SessionDep, settings: SettingsDep, notifier: NotifierDep,
                                background: BackgroundTasks) -> MessageOut:
    """A member of staff's username or e-mail → a one-time link (60 minutes) to set a new password, by e-mail. The answer is
    the same whether or not an account matched."""
    pending = await staff_passwords.request_self_reset(session, settings, identifier=body.identifier, challenge_token=body.challenge_token,
                                                       challenge_answer=body.challenge_answer, client_ip=client_ip(request))
    if pending is not None:
        background.add_task(staff_passwords.deliver_quietly, notifier, pending)
    return MessageOut(detail=staff_passwords.MSG_SELF_SENT)


@router.post("/api/v1/auth/staff-reset-password", response_model=MessageOut, responses={422: ERRORS[422], 429: THROTTLED})
async def staff_reset_password(body: StaffResetBody, request: Request, session: SessionDep, settings: SettingsDep) -> MessageOut:
    await staff_passwords.set_password(session, settings, token=body.token, new_password=body.new_password, client_ip=client_ip(request))
    return MessageOut(detail="Kata sandi berhasil dibuat. Silakan masuk dengan kata sandi baru.")
