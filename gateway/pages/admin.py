"""The administration pages (issue 17): an office's staff, units, staff import, identity and logo, calendar and the
change record, for its administrators; the installation's administrators choose the office (`?kantor=<code>`, kept on
every link and form of these pages). Same services as the API (gateway/services/admin.py, staff_import.py,
staff_passwords.py), so both refuse the same things with the same words; a refused form comes back with its messages
beside the fields, listed at the top with links to them, and everything typed kept.

Also the office's logo for anyone (/kantor/<code>/logo): it is printed on the office's letters."""

import math
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from gateway.api.applicants import get_notifier
from gateway.deps import SessionDep, SettingsDep, get_lazy_temporal, requires_role
from gateway.errors import DomainError, status_of
from gateway.pages.framework import FLASH, SameOrigin, _field, _field_errors, _redirect, _render, _with_flash
from gateway.services import admin as service
from gateway.services import staff_import, staff_passwords
from gateway.services.errors import invalid
from process_defs.loader import OFFERABLE
from process_defs.processes import PROCESS_LABELS
from store.models import Unit, User

router = APIRouter(include_in_schema=False)

AdminUser = Annotated[User, Depends(requires_role(service.ADMIN_ROLES, service.MSG_NOT_ADMIN))]

FLASH.update({
    "pegawai-dibuat": "Pegawai telah ditambahkan dan dapat masuk dengan nama pengguna atau emailnya.",
    "pegawai-dibuat-tautan": "Pegawai telah ditambahkan. Tautan untuk membuat kata sandi telah dikirim ke emailnya (berlaku 24 jam).",
    "pegawai-dibuat-tanpa-tautan": "Pegawai telah ditambahkan, tetapi email tautan kata sandi belum terkirim. Kirim ulang dengan tombol "
                                   "\"Kirim tautan kata sandi baru\".",
    "pegawai-disimpan": "Data pegawai telah disimpan dan tercatat pada riwayat perubahan.",
    "pegawai-diaktifkan": "Akun pegawai telah diaktifkan kembali. Tugas yang sudah diserahkan tidak kembali kepadanya.",
    "tautan-dikirim": "Tautan untuk membuat kata sandi baru telah dikirim ke email pegawai; kata sandi lamanya tidak berlaku lagi dan sesinya diakhiri.",
    "unit-dibuat": "Unit telah ditambahkan.",
    "unit-disimpan": "Perubahan unit telah disimpan.",
    "kantor-disimpan": "Identitas kantor telah disimpan. Proses yang sudah berjalan tetap memakai identitas saat dimulai.",
    "logo-disimpan": "Logo kantor telah diganti.",
    "kalender-ditambah": "Tanggal telah ditambahkan ke kalender kantor.",
    "kalender-dihapus": "Tanggal telah dihapus dari kalender kantor.",
})

LABELS = {**service.FIELD_LABELS, "new_password": "Kata sandi baru", "identifier": "Nama pengguna atau email"}
TABS = (("beranda", "/admin", "Ringkasan"), ("pegawai", "/admin/pegawai", "Pegawai"), ("unit", "/admin/unit", "Unit"),
        ("impor", "/admin/impor", "Impor CSV"), ("kantor", "/admin/kantor", "Identitas Kantor"), ("kalender", "/admin/kalender", "Kalender"),
        ("riwayat", "/admin/riwayat", "Riwayat Perubahan"))
STAFF_FIELDS = ("username", "full_name", "nip", "position", "email", "phone", "unit", "supervisor", "password")
OFFICE_FIELDS = ("name", "short_name", "address", "city", "timezone", "head_title", "phone", "email")
_AGENCY_HEADER = re.compile(r"\[\s*([^\]]*?)\s*\]")


# --- the office acted on -------------------------------------------------------------------------------------------


def url_for_scope(scope: service.AdminScope) -> Callable[..., str]:
    """Links of these pages: the installation administrator's office rides along as ?kantor=."""

    def url(path: str, **params: Any) -> str:
        query = {**({"kantor": scope.office.code} if scope.installation else {}), **{k: v for k, v in params.items() if v not in (None, "", False)}}
        return f"{path}?{urlencode(query)}" if query else path

    return url


async def _scope(request: Request, session: Any, user: User) -> service.AdminScope | None:
    """The office this page acts on; None when an installation administrator has not chosen one yet."""
    code = request.query_params.get("kantor", "")[:40]
    if service.is_installation_admin(user) and not code:
        return None
    return await service.admin_scope(session, user=user, office_code=code)


async def _page(request: Request, session: Any, user: User, scope: service.AdminScope, template: str, ctx: dict[str, Any], *, tab: str,
                status_code: int = 200) -> Response:
    offices = await service.offices_for(session, user=user) if scope.installation else []
    base = {"scope": scope, "office_row": scope.office, "u": url_for_scope(scope), "tabs": TABS, "tab": tab, "offices": offices,
            "labels": LABELS, "active": "admin", "switch_to": {key: path for key, path, _ in TABS}.get(tab, "/admin"), "field_errors": {},
            "error": None}
    return await _render(request, f"pages/admin/{template}", {**base, **ctx}, session=session, user=user, status_code=status_code)


def _choose_office() -> Response:
    return _redirect("/admin")


def _refusal(exc: DomainError) -> tuple[dict[str, str], str | None]:
    errors = _field_errors(exc)
    return errors, (None if errors else exc.detail)


# --- home ------------------------------------------------------------------------------------------------------------


@router.get("/admin")
async def home(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        offices = await service.offices_for(session, user=user)
        return await _render(request, "pages/admin/offices.html", {"offices": offices, "active": "admin"}, session=session, user=user)
    staff = await service.list_users(session, scope=scope, limit=1)
    inactive = (await service.list_users(session, scope=scope, include_inactive=True, limit=1))["total"] - staff["total"]
    units = await service.list_units(session, scope=scope)
    changes = await service.list_changes(session, office_id=scope.office.id, limit=5)
    return await _page(request, session, user, scope, "home.html", {"staff_total": staff["total"], "inactive_total": inactive,
                                                                    "unit_total": len(units), "changes": with_lines(changes["items"], scope),
                                                                    "calendar_total": len(service.calendar_entries(scope.office))},
                       tab="beranda")


# --- staff -----------------------------------------------------------------------------------------------------------


@router.get("/admin/pegawai")
async def staff_list(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    q = request.query_params.get("q", "")[:100]
    inactive = request.query_params.get("nonaktif", "") == "1"
    page_text = request.query_params.get("hal", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) <= 6 else 1
    size = service.PAGE_SIZE
    result = await service.list_users(session, scope=scope, q=q, include_inactive=inactive, limit=size, offset=(page - 1) * size)
    pages = max(1, math.ceil(result["total"] / size))
    url = url_for_scope(scope)
    return await _page(request, session, user, scope, "staff_list.html", {
        "result": result, "q": q, "inactive": inactive, "page": page, "pages": pages,
        "page_url": lambda n: url("/admin/pegawai", q=q, nonaktif="1" if inactive else None, hal=n if n > 1 else None)}, tab="pegawai")


async def _staff_choices(session: Any, scope: service.AdminScope, *, exclude: str | None = None) -> dict[str, Any]:
    units = await service.list_units(session, scope=scope)
    staff = await service.list_users(session, scope=scope, limit=service.MAX_PAGE_SIZE)
    people = staff["items"]
    offset = service.MAX_PAGE_SIZE
    while staff["next_offset"] is not None and offset < 5000:
        staff = await service.list_users(session, scope=scope, limit=service.MAX_PAGE_SIZE, offset=offset)
        people += staff["items"]
        offset += service.MAX_PAGE_SIZE
    return {"units": units, "supervisors": [p for p in people if p["username"] != exclude], "roles": service.role_choices(scope)}


def _staff_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: _field(form, name, 300) for name in STAFF_FIELDS}
    values["roles"] = [r for r in form.getlist("roles") if isinstance(r, str)][:30]
    return values


@router.get("/admin/pegawai/baru")
async def new_staff_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    values = {**dict.fromkeys(STAFF_FIELDS, ""), "roles": ["pegawai"]}
    return await _page(request, session, user, scope, "staff_form.html", {"values": values, "new": True, **await _staff_choices(session, scope)},
                       tab="pegawai")


@router.post("/admin/pegawai/baru")
async def new_staff(request: Request, user: AdminUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    values = _staff_values(await request.form())
    data = {**values, "supervisor": values["supervisor"] or None, "password": values["password"] or None}
    try:
        created, needs_link = await service.create_user(session, settings, scope=scope, data=data)
    except DomainError as exc:
        errors, top = _refusal(exc)
        values["password"] = ""
        return await _page(request, session, user, scope, "staff_form.html",
                           {"values": values, "new": True, "field_errors": errors, "error": top, **await _staff_choices(session, scope)},
                           tab="pegawai", status_code=status_of(exc))
    flash = "pegawai-dibuat"
    if needs_link:
        sent = await staff_passwords.send_new_account_link(session, settings, get_notifier(request), scope=scope, user=created)
        flash = "pegawai-dibuat-tautan" if sent else "pegawai-dibuat-tanpa-tautan"
    return _redirect(_with_flash(url_for_scope(scope)(f"/admin/pegawai/{created.username}"), flash))


async def _staff_page(request: Request, session: Any, user: User, scope: service.AdminScope, person: User, *, values: dict | None = None,
                      field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    shown = await service.user_json(session, scope, person)
    history = await service.list_changes(session, office_id=scope.office.id, target=f"user:{person.username}", limit=20)
    choices = await _staff_choices(session, scope, exclude=person.username)
    if shown["supervisor"] and all(s["username"] != shown["supervisor"] for s in choices["supervisors"]):
        choices["supervisors"].insert(0, {"username": shown["supervisor"], "full_name": f"{shown['supervisor_name']} (nonaktif)", "position": None})
    return await _page(request, session, user, scope, "staff_form.html", {
        "values": values or {**shown, "supervisor": shown["supervisor"] or "", "unit": shown["unit"] or ""}, "person": shown, "new": False,
        "history": with_lines(history["items"], scope), "field_errors": field_errors or {}, "error": error, "self_edit": person.id == user.id,
        **choices}, tab="pegawai", status_code=status_code)


@router.get("/admin/pegawai/{username}")
async def staff_page(username: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    return await _staff_page(request, session, user, scope, person)


@router.post("/admin/pegawai/{username}")
async def save_staff(username: str, request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    values = _staff_values(await request.form())
    # Only what the administrator changed: a supervisor who has since left stays until someone picks another.
    current = await service.user_json(session, scope, person)
    changes: dict[str, Any] = {name: values[name] or None for name in ("full_name", "nip", "position", "email", "phone", "unit", "supervisor")
                               if (values[name] or None) != (current[name] or None)}
    if sorted(set(values["roles"])) != current["roles"]:
        changes["roles"] = values["roles"]
    try:
        await service.update_user(session, scope=scope, username=person.username, changes=changes)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _staff_page(request, session, user, scope, person, values={**values, "username": person.username}, field_errors=errors,
                                 error=top, status_code=status_of(exc))
    return _redirect(_with_flash(url_for_scope(scope)(f"/admin/pegawai/{person.username}"), "pegawai-disimpan"))


@router.post("/admin/pegawai/{username}/reset-sandi")
async def reset_staff_password(username: str, request: Request, user: AdminUser, session: SessionDep, settings: SettingsDep,
                               _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    try:
        await staff_passwords.admin_reset(session, settings, get_notifier(request), scope=scope, username=person.username)
    except DomainError as exc:
        return await _staff_page(request, session, user, scope, person, error=exc.detail, status_code=status_of(exc))
    return _redirect(_with_flash(url_for_scope(scope)(f"/admin/pegawai/{person.username}"), "tautan-dikirim"))


@router.post("/admin/pegawai/{username}/aktifkan")
async def reactivate_staff(username: str, request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    try:
        await service.reactivate_user(session, scope=scope, username=person.username)
    except DomainError as exc:
        return await _staff_page(request, session, user, scope, person, error=exc.detail, status_code=status_of(exc))
    return _redirect(_with_flash(url_for_scope(scope)(f"/admin/pegawai/{person.username}"), "pegawai-diaktifkan"))


async def _deactivate_page(request: Request, session: Any, user: User, scope: service.AdminScope, person: User, *, reason: str = "",
                           field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    plan = await service.deactivation_plan(session, scope=scope, user=person)
    return await _page(request, session, user, scope, "staff_deactivate.html", {
        "person": await service.user_json(session, scope, person), "plan": [h.as_dict() for h in plan.handovers],
        "subordinates": plan.subordinates, "acting_for": plan.acting_for, "reason": reason, "field_errors": field_errors or {}, "error": error},
        tab="pegawai", status_code=status_code)


@router.get("/admin/pegawai/{username}/nonaktifkan")
async def deactivate_page(username: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    return await _deactivate_page(request, session, user, scope, person)


@router.post("/admin/pegawai/{username}/nonaktifkan")
async def deactivate(username: str, request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    person = await service.get_staff(session, scope=scope, username=username)
    reason = _field(await request.form(), "reason", service.MAX_REASON + 10)
    try:
        if not reason.strip():
            raise invalid("Alasan penonaktifan wajib diisi (mis. pensiun, mutasi ke kantor lain).", field="reason")
        # Temporal is reached only when a task is to be handed on through its run.
        result = await service.deactivate_user(session, await get_lazy_temporal(request), scope=scope, username=person.username, reason=reason)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _deactivate_page(request, session, user, scope, person, reason=reason, field_errors=errors, error=top,
                                      status_code=status_of(exc))
    return await _page(request, session, user, scope, "staff_deactivated.html", {"result": result}, tab="pegawai")


# --- units -----------------------------------------------------------------------------------------------------------


async def _units_page(request: Request, session: Any, user: User, scope: service.AdminScope, *, values: dict | None = None,
                      field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    tree = await service.list_units(session, scope=scope, include_inactive=True)
    counts = await _staff_per_unit(session, scope)
    return await _page(request, session, user, scope, "units.html", {
        "tree": tree, "counts": counts, "values": values or {"code": "", "name": "", "parent": ""}, "field_errors": field_errors or {},
        "error": error}, tab="unit", status_code=status_code)


async def _staff_per_unit(session: Any, scope: service.AdminScope) -> dict[str, int]:
    rows = await session.execute(select(Unit.code, func.count(User.id)).join(User, User.unit_id == Unit.id)
                                 .where(Unit.office_id == scope.office.id, User.is_active.is_(True)).group_by(Unit.code))
    return {str(code): int(n) for code, n in rows.all()}


@router.get("/admin/unit")
async def units_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    return await _units_page(request, session, user, scope)


@router.post("/admin/unit")
async def create_unit(request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    form = await request.form()
    values = {name: _field(form, name, 300) for name in ("code", "name", "parent")}
    try:
        await service.create_unit(session, scope=scope, code=values["code"], name=values["name"], parent=values["parent"] or None)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _units_page(request, session, user, scope, values=values, field_errors=errors, error=top, status_code=status_of(exc))
    return _redirect(_with_flash(url_for_scope(scope)("/admin/unit"), "unit-dibuat"))


async def _unit_page(request: Request, session: Any, user: User, scope: service.AdminScope, unit: Unit, *, values: dict | None = None,
                     field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    tree = await service.list_units(session, scope=scope, include_inactive=True)
    # Where it may move: any active unit that is not itself or one of its own units.
    below: set[str] = {unit.code}
    for row in tree:
        if row["parent"] in below:
            below.add(row["code"])
    parents = [row for row in tree if row["code"] not in below and row["is_active"]]
    parent = await session.get(Unit, unit.parent_id) if unit.parent_id else None
    shown = service.serialize_unit(unit, parent)
    history = await service.list_changes(session, office_id=scope.office.id, target=f"unit:{unit.code}", limit=20)
    return await _page(request, session, user, scope, "unit_edit.html", {
        "unit": shown, "values": values or {"name": shown["name"], "parent": shown["parent"] or "", "is_active": shown["is_active"]},
        "parents": parents, "history": with_lines(history["items"], scope), "field_errors": field_errors or {}, "error": error},
        tab="unit", status_code=status_code)


@router.get("/admin/unit/{code}")
async def unit_page(code: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    unit = await service.get_unit(session, scope=scope, code=code)
    return await _unit_page(request, session, user, scope, unit)


@router.post("/admin/unit/{code}")
async def save_unit(code: str, request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    unit = await service.get_unit(session, scope=scope, code=code)
    form = await request.form()
    values = {"name": _field(form, "name", 300), "parent": _field(form, "parent", 60), "is_active": _field(form, "is_active", 5) == "1"}
    try:
        await service.update_unit(session, scope=scope, code=unit.code,
                                  changes={"name": values["name"], "parent": values["parent"] or None, "is_active": values["is_active"]})
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _unit_page(request, session, user, scope, unit, values=values, field_errors=errors, error=top, status_code=status_of(exc))
    return _redirect(_with_flash(url_for_scope(scope)(f"/admin/unit/{unit.code}"), "unit-disimpan"))


# --- import ----------------------------------------------------------------------------------------------------------


@router.get("/admin/impor")
async def import_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    return await _page(request, session, user, scope, "import.html", {"result": None, "csv_text": "", "file_name": "", "columns": staff_import.COLUMNS,
                                                                      "max_rows": staff_import.MAX_ROWS}, tab="impor")


@router.post("/admin/impor")
async def import_staff(request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    """The file is previewed (a dry run); the preview carries its text, which "Terapkan" sends back to be applied."""
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    ctx: dict[str, Any] = {"result": None, "csv_text": "", "file_name": "", "columns": staff_import.COLUMNS, "max_rows": staff_import.MAX_ROWS}
    try:
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=staff_import.MAX_BYTES + 1)
        except (MultiPartException, StarletteHTTPException, ValueError):
            raise invalid("Formulir unggah tidak dapat dibaca. Pilih berkas CSV lalu kirim ulang.", field="file") from None
        try:
            apply = _field(form, "aksi", 20) == "terapkan"
            upload = form.get("file")
            if apply:
                text = form.get("csv_text")
                data = text.encode("utf-8") if isinstance(text, str) else b""
                name = _field(form, "file_name", 200)
            elif isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(staff_import.MAX_BYTES + 1)
                name = (upload.filename or "")[:200]
            else:
                raise invalid("Pilih berkas CSV ekspor data pegawai.", field="file")
        finally:
            await form.close()
        result = await staff_import.import_staff(session, scope=scope, data=data, file_name=name, dry_run=not apply)
        ctx.update(result=result, file_name=name, csv_text="" if apply else data.decode("utf-8-sig"))
    except DomainError as exc:
        errors, top = _refusal(exc)
        ctx.update(field_errors=errors, error=top)
        return await _page(request, session, user, scope, "import.html", ctx, tab="impor", status_code=status_of(exc))
    return await _page(request, session, user, scope, "import.html", ctx, tab="impor")


# --- the office ------------------------------------------------------------------------------------------------------


def agencies_text(agencies: dict[str, list[str]]) -> str:
    return "\n\n".join(f"[{code}]\n" + "\n".join(lines) for code, lines in agencies.items())


def parse_agencies(text: str) -> dict[str, list[str]]:
    """`[code]` then its letterhead lines, for each agency."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        header = _AGENCY_HEADER.fullmatch(line)
        if header:
            current = header.group(1)
            out.setdefault(current, [])
        elif current is None:
            raise invalid("Awali kop setiap instansi dengan kodenya dalam kurung siku, mis. [dpmptsp], lalu baris-baris kopnya.",
                          field="agency_letterheads")
        else:
            out[current].append(line)
    return out


async def _office_page(request: Request, session: Any, user: User, scope: service.AdminScope, *, values: dict | None = None,
                       field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    office = service.serialize_office(scope.office)
    shown = values or {**{k: office[k] or "" for k in OFFICE_FIELDS}, "letterhead": "\n".join(office["letterhead"]),
                       "agency_letterheads": agencies_text(office["agency_letterheads"]), "start": office["office_hours"]["start"],
                       "end": office["office_hours"]["end"], "working_weekdays": office["working_weekdays"], "processes": office["processes"]}
    return await _page(request, session, user, scope, "office.html", {
        "office": office, "values": shown, "timezones": service.timezone_choices(), "weekdays": list(enumerate(service.WEEKDAYS)),
        "processes": [(p, PROCESS_LABELS.get(p, p)) for p in OFFERABLE], "field_errors": field_errors or {}, "error": error,
        "logo_max_kb": service.LOGO_MAX_BYTES // 1024}, tab="kantor", status_code=status_code)


@router.get("/admin/kantor")
async def office_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    return await _office_page(request, session, user, scope)


@router.post("/admin/kantor")
async def save_office(request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    form = await request.form()
    values: dict[str, Any] = {name: _field(form, name, 600) for name in (*OFFICE_FIELDS, "start", "end")}
    values["letterhead"] = _field(form, "letterhead", 2000)
    values["agency_letterheads"] = _field(form, "agency_letterheads", 10000)
    values["working_weekdays"] = [int(d) for d in form.getlist("working_weekdays") if isinstance(d, str) and d.isdigit() and len(d) == 1]
    values["processes"] = [p for p in form.getlist("processes") if isinstance(p, str)][:20]
    try:
        changes: dict[str, Any] = {name: values[name] or None for name in OFFICE_FIELDS}
        changes["letterhead"] = [line for line in values["letterhead"].splitlines() if line.strip()]
        changes["agency_letterheads"] = parse_agencies(values["agency_letterheads"])
        changes["office_hours"] = {"start": values["start"], "end": values["end"]}
        changes["working_weekdays"] = values["working_weekdays"]
        changes["processes"] = values["processes"]
        await service.update_office(session, scope=scope, changes=changes)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _office_page(request, session, user, scope, values=values, field_errors=errors, error=top, status_code=status_of(exc))
    request.app.state.offices.expire()
    return _redirect(_with_flash(url_for_scope(scope)("/admin/kantor"), "kantor-disimpan"))


@router.post("/admin/kantor/logo")
async def save_logo(request: Request, user: AdminUser, session: SessionDep, settings: SettingsDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    try:
        try:
            form = await request.form(max_files=1, max_fields=5)
        except (MultiPartException, StarletteHTTPException, ValueError):
            raise invalid("Formulir unggah tidak dapat dibaca. Pilih berkas logo lalu kirim ulang.", field="file") from None
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise invalid("Pilih berkas logo (PNG atau JPG).", field="file")
            data = await upload.read(service.LOGO_MAX_BYTES + 1)
        finally:
            await form.close()
        await service.set_logo(session, settings, scope=scope, data=data[:service.LOGO_MAX_BYTES], too_large=len(data) > service.LOGO_MAX_BYTES)
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _office_page(request, session, user, scope, field_errors=errors, error=top, status_code=status_of(exc))
    request.app.state.offices.expire()
    return _redirect(_with_flash(url_for_scope(scope)("/admin/kantor"), "logo-disimpan"))


@router.get("/kantor/{code}/logo")
async def office_logo(code: str, session: SessionDep, settings: SettingsDep) -> Response:
    data, content_type, key = await service.logo_of(session, settings, code=code)
    # A new logo gets a new key, so a browser may keep this one a while; the ETag says when it changed.
    return Response(data, media_type=content_type, headers={"Cache-Control": "public, max-age=300", "ETag": f'"{key.rsplit("/", 1)[-1]}"',
                                                             "X-Content-Type-Options": "nosniff"})


# --- calendar --------------------------------------------------------------------------------------------------------


async def _calendar_page(request: Request, session: Any, user: User, scope: service.AdminScope, *, values: dict | None = None,
                         field_errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    defs = scope.defs
    return await _page(request, session, user, scope, "calendar.html", {
        "entries": service.calendar_entries(scope.office), "values": values or {"date": "", "name": "", "kind": "libur"},
        "kinds": service.CALENDAR_KINDS, "weekdays": [service.WEEKDAYS[d] for d in defs.calendar.working_weekdays],
        "hours": defs.calendar.office_hours, "field_errors": field_errors or {}, "error": error}, tab="kalender", status_code=status_code)


@router.get("/admin/kalender")
async def calendar_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    return await _calendar_page(request, session, user, scope)


@router.post("/admin/kalender")
async def add_calendar(request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    form = await request.form()
    values = {"date": _field(form, "date", 20), "name": _field(form, "name", 200), "kind": _field(form, "kind", 20)}
    try:
        await service.add_calendar_entry(session, scope=scope, day=values["date"], name=values["name"], kind=values["kind"])
    except DomainError as exc:
        errors, top = _refusal(exc)
        return await _calendar_page(request, session, user, scope, values=values, field_errors=errors, error=top, status_code=status_of(exc))
    request.app.state.offices.expire()
    return _redirect(_with_flash(url_for_scope(scope)("/admin/kalender"), "kalender-ditambah"))


@router.post("/admin/kalender/{day}/hapus")
async def remove_calendar(day: str, request: Request, user: AdminUser, session: SessionDep, _: SameOrigin) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    await service.remove_calendar_entry(session, scope=scope, day=day[:20])
    request.app.state.offices.expire()
    return _redirect(_with_flash(url_for_scope(scope)("/admin/kalender"), "kalender-dihapus"))


# --- the change record -------------------------------------------------------------------------------------------------


def readable(value: Any) -> str:
    """A recorded value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{LABELS.get(str(k), k)}: {readable(v)}" for k, v in value.items())
    return str(value)


def change_lines(before: dict | None, after: dict | None, role_label: Callable[[str], str] | None = None) -> list[dict[str, str]]:
    """Each field of a change as "label: before → after" (roles by the names the office gives them)."""
    keys = list(dict.fromkeys([*(after or {}), *(before or {})]))

    def shown(side: dict | None, key: str) -> str:
        if side is None:
            return ""
        value = side.get(key)
        if key == "roles" and role_label is not None and isinstance(value, list):
            value = [role_label(str(r)) for r in value]
        return readable(value)

    return [{"label": LABELS.get(k, k), "before": shown(before, k), "after": shown(after, k)} for k in keys]


def with_lines(items: list[dict[str, Any]], scope: service.AdminScope) -> list[dict[str, Any]]:
    defs = scope.defs
    return [{**c, "lines": change_lines(c["before"], c["after"], defs.role_label)} for c in items]


@router.get("/admin/riwayat")
async def changes_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    scope = await _scope(request, session, user)
    if scope is None:
        return _choose_office()
    page_text = request.query_params.get("hal", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) <= 6 else 1
    size = 30
    result = await service.list_changes(session, office_id=scope.office.id, limit=size, offset=(page - 1) * size)
    url = url_for_scope(scope)
    return await _page(request, session, user, scope, "changes.html", {
        "items": with_lines(result["items"], scope), "total": result["total"], "page": page, "pages": max(1, math.ceil(result["total"] / size)),
        "page_url": lambda n: url("/admin/riwayat", hal=n if n > 1 else None)}, tab="riwayat")
