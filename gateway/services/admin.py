"""Administration of an office (issue 17): its units as a tree, its staff (accounts, unit, supervisor, position, roles,
deactivation with the hand-over of their open tasks, a password reset), its identity, logo, hours and calendar, and
the record of every change (AdminChange: who, when, before → after; never a password or its hash).

Who: an office's administrators (role `admin`) act on their own office; the installation's administrators (role
`admin_instalasi`, in no office) on any office they name. Another office's unit or member of staff is "not found"
(404), whoever asks: an office administrator never learns what another office holds. Every write of an office starts
by holding its row (store/locks.py), so two administrators at once cannot together make a cycle of units or of
supervisors, or give one e-mail address to two accounts.

Shared by the JSON API (gateway/api/admin.py) and the pages (gateway/pages/admin.py): both refuse the same things with
the same messages. Functions that change something commit.
"""

import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from typing import Any, cast
from zoneinfo import available_timezones

import magic
from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from temporalio.client import Client

from contracts import REASSIGN_TASK, OwnerActionAck, ReassignRequest
from gateway.security import hash_password, hash_password_async
from gateway.services import file_content
from gateway.services.applicants import clean_email, clean_phone, password_problem
from gateway.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge, Unavailable, UnsupportedMedia, invalid, not_found
from gateway.services.offices import speak_for
from gateway.services.people import actor, office_today, person
from gateway.services.sessions import revoke_sessions
from gateway.services.tasks import UNCLAIMED, send_update
from process_defs.loader import NEEDED_SCOPES, OFFERABLE, OfficeFile, load_roles, office_file
from process_defs.processes import PROCESS_LABELS
from store.locks import hold_row
from store.models import AdminChange, CaseEvent, Office, Substitution, Task, Unit, User, UserRole, utcnow
from store.offices import scope_to_office
from store.settings import Settings
from store.storage import StorageError, office_file_key, storage_for

log = logging.getLogger(__name__)

ADMIN_ROLE = "admin"
INSTALLATION_ADMIN_ROLE = "admin_instalasi"
ADMIN_ROLES = frozenset({ADMIN_ROLE, INSTALLATION_ADMIN_ROLE})
# Never given here: the applicants' role (their accounts are their own), and the installation's administrators, who
# belong to no office (`satupintu create-admin` makes them).
NEVER_GRANTED = frozenset({"pemohon", INSTALLATION_ADMIN_ROLE})

# Staff names: lower-case letters, digits, dot, dash and underscore, starting with a letter (as cli/admin.py): an
# applicant's username is the 16 digits of the NIK, so a staff name can never be taken for one.
USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,79}")
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
NIP = re.compile(r"[0-9]{18}")
TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
AGENCY_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
OFFICE_PHONE = re.compile(r"[0-9+()\s.\-]{5,30}")

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
MAX_REASON = 1000
MAX_LETTERHEAD_LINES = 6
MAX_LETTERHEAD_LINE = 120
MAX_CALENDAR_ENTRIES = 400
LOGO_MAX_BYTES = 1024 * 1024
LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/pjpeg": "jpg"}
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
CALENDAR_KINDS = {"libur": "Hari libur", "hari_kerja": "Hari kerja pengganti"}

MSG_NOT_ADMIN = "Halaman dan tindakan ini hanya untuk administrator kantor."
MSG_CHOOSE_OFFICE = "Pilih kantor yang dikelola: tambahkan ?office=<kode kantor>."
MSG_LOGO_TOO_LARGE = f"Berkas logo paling besar {LOGO_MAX_BYTES // 1024} KB. Perkecil gambarnya lalu unggah kembali."

# The fields of an account as the change record names them, in the order they are shown.
USER_FIELDS = ("username", "full_name", "nip", "position", "email", "phone", "unit", "supervisor", "roles", "is_active")
FIELD_LABELS = {
    "username": "Nama pengguna", "full_name": "Nama lengkap", "nip": "NIP", "position": "Jabatan", "email": "Email", "phone": "Telepon/HP",
    "unit": "Unit", "supervisor": "Atasan langsung", "roles": "Peran", "is_active": "Aktif", "password": "Kata sandi",
    "code": "Kode", "name": "Nama", "parent": "Induk", "short_name": "Nama singkat", "address": "Alamat", "city": "Kota",
    "timezone": "Zona waktu", "head_title": "Jabatan pimpinan", "letterhead": "Kop surat", "agency_letterheads": "Kop surat per instansi",
    "office_hours": "Jam layanan", "working_weekdays": "Hari kerja", "processes": "Layanan", "logo": "Logo", "date": "Tanggal",
    "kind": "Jenis", "reason": "Alasan", "handovers": "Tugas yang diserahkan", "plh_cancelled": "Penunjukan Plh. dibatalkan",
    "deactivation_reason": "Alasan penonaktifan", "reset_sent_to": "Tautan dikirim ke", "file": "Berkas", "rows": "Baris",
    "created": "Dibuat", "updated": "Diubah", "unchanged": "Tidak berubah", "skipped": "Dilewati", "calendar": "Kalender",
}
ACTION_LABELS = {
    "unit.create": "Unit ditambahkan", "unit.update": "Unit diubah", "user.create": "Pegawai ditambahkan", "user.update": "Data pegawai diubah",
    "user.deactivate": "Pegawai dinonaktifkan", "user.handover": "Tugas pegawai nonaktif diserahkan",
    "user.reactivate": "Pegawai diaktifkan kembali", "user.reset_password": "Reset kata sandi dikirim",
    "user.import": "Impor pegawai (CSV)", "office.create": "Kantor dibuat", "office.update": "Identitas kantor diubah",
    "office.logo": "Logo kantor diganti", "calendar.add": "Tanggal kalender ditambahkan", "calendar.remove": "Tanggal kalender dihapus",
}


# --- who acts on which office ----------------------------------------------------------------------------------


@dataclass
class AdminScope:
    """An administrator acting on one office."""

    actor: User
    office: Office
    # An installation administrator (acting on the office named in the request) rather than the office's own.
    installation: bool = False

    @property
    def defs(self) -> OfficeFile:
        return office_file(self.office)


def is_admin(user: User) -> bool:
    return user.kind == "staff" and bool(ADMIN_ROLES & set(user.role_names))


def is_installation_admin(user: User) -> bool:
    return user.kind == "staff" and user.office_id is None and INSTALLATION_ADMIN_ROLE in user.role_names


async def admin_scope(session: AsyncSession, *, user: User, office_code: str | None) -> AdminScope:
    """The office `user` administers in this request: their own (an office administrator; naming another office is
    "not found"), or the one named (an installation administrator, who must name one). The session then reads only
    that office's rows, and the request speaks for it."""
    code = (office_code or "").strip()
    if is_installation_admin(user):
        if not code:
            raise invalid(MSG_CHOOSE_OFFICE, field="office")
        office = await session.scalar(select(Office).where(Office.code == code[:40]))
        if office is None:
            raise not_found(f"Kantor '{code[:40]}'")
        scope_to_office(session, office.id)
        speak_for(office.id)
        return AdminScope(actor=user, office=office, installation=True)
    if ADMIN_ROLE not in user.role_names or user.kind != "staff" or user.office_id is None:
        raise Forbidden(MSG_NOT_ADMIN, code="forbidden")
    office = await session.get(Office, user.office_id)
    if office is None or (code and code != office.code):
        raise not_found(f"Kantor '{code[:40]}'")
    return AdminScope(actor=user, office=office)


async def offices_for(session: AsyncSession, *, user: User) -> list[dict[str, Any]]:
    """The offices `user` may administer: every office for the installation's administrators, their own otherwise."""
    if is_installation_admin(user):
        rows = list(await session.scalars(select(Office).order_by(Office.name)))
    elif is_admin(user) and user.office_id is not None:
        own = await session.get(Office, user.office_id)
        rows = [own] if own is not None else []
    else:
        raise Forbidden(MSG_NOT_ADMIN, code="forbidden")
    return [{"code": o.code, "name": o.name, "short_name": o.short_name, "city": o.city, "is_active": o.is_active} for o in rows]


async def _hold_office(session: AsyncSession, scope: AdminScope) -> None:
    """Serialises the office's administrative writes (store/locks.py): the first statement of each."""
    await hold_row(session, Office, scope.office.id)


def record(session: AsyncSession, scope: AdminScope | None, *, action: str, target: str, before: dict | None, after: dict | None,
           reason: str | None = None, actor_name: str | None = None, office_id: int | None = None) -> AdminChange:
    """Adds a line to the change record, in the caller's transaction."""
    row = AdminChange(office_id=scope.office.id if scope else office_id, at=utcnow(), actor_id=scope.actor.id if scope else None,
                      actor_name=(actor_name or (scope.actor.full_name if scope else "sistem"))[:200], action=action, target=target[:200],
                      before=before, after=after, reason=reason)
    session.add(row)
    return row


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def _text(raw: Any, field: str, label: str, *, max_length: int, required: bool = True) -> str | None:
    value = raw.strip() if isinstance(raw, str) else ("" if raw is None else None)
    if value is None:
        raise invalid(f"{label} harus berupa teks.", field=field)
    value = re.sub(r"\s+", " ", value)
    if not value:
        if required:
            raise invalid(f"{label} wajib diisi.", field=field)
        return None
    if len(value) > max_length:
        raise invalid(f"{label} paling banyak {max_length} karakter.", field=field)
    return value


def _refuse(errors: dict[str, str]) -> Invalid:
    first = next(iter(errors.values()))
    detail = first if len(errors) == 1 else "Periksa kembali isian berikut: " + " ".join(errors.values())
    return Invalid(detail, errors=[{"field": f, "message": m} for f, m in errors.items()])


# --- units -------------------------------------------------------------------------------------------------------


async def _units(session: AsyncSession, scope: AdminScope) -> list[Unit]:
    return list(await session.scalars(select(Unit).where(Unit.office_id == scope.office.id).order_by(Unit.name)))


def unit_tree(units: list[Unit]) -> list[dict[str, Any]]:
    """The units depth first, each with its depth (for an indented list) and its parent's code."""
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        by_parent.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    codes = {u.id: u.code for u in units}
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(by_parent.get(parent, []), key=lambda unit: unit.name.lower()):
            out.append({"code": u.code, "name": u.name, "parent": codes.get(u.parent_id) if u.parent_id else None, "is_active": u.is_active,
                        "depth": depth})
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


async def list_units(session: AsyncSession, *, scope: AdminScope, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The office's units as a tree, depth first: [{"code", "name", "parent"}] (and "is_active", "depth" for pages)."""
    rows = unit_tree(await _units(session, scope))
    return rows if include_inactive else [r for r in rows if r["is_active"]]


def serialize_unit(unit: Unit, parent: Unit | None) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "parent": parent.code if parent else None, "is_active": unit.is_active}


async def get_unit(session: AsyncSession, *, scope: AdminScope, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.office_id == scope.office.id, Unit.code == code.strip()[:40]))
    if unit is None:
        raise not_found(f"Unit '{code.strip()[:40]}'")
    return unit


async def _parent_unit(session: AsyncSession, scope: AdminScope, raw: Any) -> Unit | None:
    code = _text(raw, "parent", "Unit induk", max_length=40, required=False)
    if code is None:
        return None
    parent = await session.scalar(select(Unit).where(Unit.office_id == scope.office.id, Unit.code == code))
    if parent is None:
        raise invalid(f"Unit induk '{code}' tidak ada di kantor ini.", field="parent")
    if not parent.is_active:
        raise invalid(f"Unit induk '{parent.name}' sudah tidak aktif.", field="parent")
    return parent


async def create_unit(session: AsyncSession, *, scope: AdminScope, code: Any, name: Any, parent: Any = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    try:
        clean_code = _text(code, "code", "Kode unit", max_length=40)
        if clean_code and not UNIT_CODE.fullmatch(clean_code):
            raise invalid("Kode unit 1-40 karakter: huruf, angka, titik, strip, atau garis bawah (mis. PTSP, SEKRE).", field="code")
    except DomainError as exc:
        errors["code"], clean_code = exc.detail, None
    try:
        clean_name = _text(name, "name", "Nama unit", max_length=200)
    except DomainError as exc:
        errors["name"], clean_name = exc.detail, None
    try:
        parent_unit = await _parent_unit(session, scope, parent)
    except DomainError as exc:
        errors["parent"], parent_unit = exc.detail, None
    if errors or clean_code is None or clean_name is None:
        raise _refuse(errors)
    await _hold_office(session, scope)
    taken = await session.scalar(select(Unit).where(Unit.office_id == scope.office.id, func.lower(Unit.code) == clean_code.lower()))
    if taken is not None:
        await session.commit()
        raise Conflict(f"Kode unit '{taken.code}' sudah dipakai unit {taken.name}.", code="unit_code_taken",
                       errors=[{"field": "code", "message": f"Kode unit '{taken.code}' sudah dipakai."}])
    unit = Unit(office_id=scope.office.id, code=clean_code, name=clean_name, parent_id=parent_unit.id if parent_unit else None, is_active=True)
    session.add(unit)
    await session.flush()
    out = serialize_unit(unit, parent_unit)
    record(session, scope, action="unit.create", target=f"unit:{unit.code}", before=None,
           after={"code": unit.code, "name": unit.name, "parent": out["parent"]})
    await session.commit()
    return out


async def update_unit(session: AsyncSession, *, scope: AdminScope, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes`: any of name, parent (a unit code; None: a top unit), is_active. A unit cannot move under itself or one
    of its own units, and is deactivated only once no active unit or member of staff is in it."""
    unit = await get_unit(session, scope=scope, code=code)
    unknown = sorted(set(changes) - {"name", "parent", "is_active"})
    if unknown:
        raise invalid(f"Isian tidak dikenal: {', '.join(unknown)}. Yang dapat diubah: name, parent, is_active.", field=unknown[0])
    errors: dict[str, str] = {}
    name = unit.name
    if "name" in changes:
        try:
            name = _text(changes["name"], "name", "Nama unit", max_length=200) or unit.name
        except DomainError as exc:
            errors["name"] = exc.detail
    parent: Unit | None = None
    if "parent" in changes:
        try:
            parent = await _parent_unit(session, scope, changes["parent"])
        except DomainError as exc:
            errors["parent"] = exc.detail
    active = unit.is_active
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            errors["is_active"] = "is_active harus true atau false."
        else:
            active = changes["is_active"]
    if errors:
        raise _refuse(errors)
    await _hold_office(session, scope)
    units = await _units(session, scope)
    by_id = {u.id: u for u in units}
    before = serialize_unit(unit, by_id.get(unit.parent_id) if unit.parent_id else None)
    parent_id = unit.parent_id
    if "parent" in changes:
        parent_id = parent.id if parent else None
        walker = parent
        while walker is not None:
            if walker.id == unit.id:
                await session.commit()
                message = ("Unit tidak dapat dipindahkan ke bawah dirinya sendiri." if parent is unit
                           else f"Unit tidak dapat dipindahkan ke bawah {parent.name if parent else ''}: unit itu berada di bawah {unit.name}.")
                raise Conflict(message, code="unit_cycle", errors=[{"field": "parent", "message": message}])
            walker = by_id.get(walker.parent_id) if walker.parent_id else None
    if not active and unit.is_active:
        children = [u.name for u in units if u.parent_id == unit.id and u.is_active]
        staff = await session.scalar(select(func.count()).select_from(User).where(User.unit_id == unit.id, User.is_active.is_(True)))
        if children or staff:
            await session.commit()
            parts = ([f"{staff} pegawai aktif"] if staff else []) + ([f"unit {', '.join(children[:5])}"] if children else [])
            message = f"Unit {unit.name} masih berisi {' dan '.join(parts)}. Pindahkan lebih dulu, lalu nonaktifkan unit ini."
            raise Conflict(message, code="unit_in_use", errors=[{"field": "is_active", "message": message}])
    unit.name, unit.parent_id, unit.is_active = name, parent_id, active
    after = serialize_unit(unit, by_id.get(parent_id) if parent_id else None)
    old, new = _diff(before, after)
    if new:
        record(session, scope, action="unit.update", target=f"unit:{unit.code}", before=old, after=new)
    await session.commit()
    return after


# --- staff -------------------------------------------------------------------------------------------------------


@lru_cache
def _unusable_hash() -> str:
    """A hash of a password nobody knows (an account that has to set its own through the e-mailed link first)."""
    return hash_password(secrets.token_urlsafe(32))


def unusable_password_hash() -> str:
    return _unusable_hash()


def role_choices(scope: AdminScope | None = None, *, defs: OfficeFile | None = None) -> list[dict[str, str]]:
    """The roles an administrator may give, with the names this office calls them by."""
    labels = defs or (scope.defs if scope else None)
    return [{"code": code, "label": labels.role_label(code) if labels else label} for code, label in load_roles().items()
            if code not in NEVER_GRANTED]


def _roles(raw: Any, scope: AdminScope) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        raise invalid("Peran harus berupa daftar kode peran, mis. [\"pegawai\", \"verifikator\"].", field="roles")
    roles = sorted({r.strip() for r in raw if r.strip()})
    known = load_roles()
    for role in roles:
        if role == INSTALLATION_ADMIN_ROLE:
            raise invalid("Peran Administrator Instalasi tidak diberikan kepada pegawai kantor; akun seperti itu dibuat dengan "
                          "perintah `satupintu create-admin`.", field="roles")
        if role not in known or role in NEVER_GRANTED:
            raise invalid(f"Peran '{role[:60]}' tidak dikenal. Pilihan: {', '.join(r['code'] for r in role_choices(scope))}.", field="roles")
    return roles


def clean_nip(raw: Any) -> str | None:
    """18 digits; spaces and dots as personnel exports print them are left out."""
    value = re.sub(r"[\s.]", "", raw) if isinstance(raw, str) else ""
    return value if NIP.fullmatch(value) else None


def clean_staff_phone(raw: Any) -> str | None:
    """A mobile number as 628…, or another telephone number as written (digits, +, spaces, brackets, dots and dashes)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    mobile = clean_phone(raw)
    if mobile:
        return mobile
    value = re.sub(r"\s+", " ", raw.strip())
    return value if OFFICE_PHONE.fullmatch(value) and sum(c.isdigit() for c in value) >= 5 else None


async def staff_query(session: AsyncSession, scope: AdminScope, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username.strip()[:80], User.office_id == scope.office.id,
                                                   User.kind == "staff"))


async def get_staff(session: AsyncSession, *, scope: AdminScope, username: str) -> User:
    user = await staff_query(session, scope, username)
    if user is None:
        raise not_found(f"Pegawai '{username.strip()[:80]}'")
    return user


def _user_state(user: User, unit: Unit | None, supervisor: User | None) -> dict[str, Any]:
    """An account's fields as the change record keeps them (codes and usernames, never a password)."""
    return {"username": user.username, "full_name": user.full_name, "nip": user.nip, "position": user.position, "email": user.email,
            "phone": user.phone, "unit": unit.code if unit else None, "supervisor": supervisor.username if supervisor else None,
            "roles": sorted(r.role for r in user.roles), "is_active": user.is_active}


def serialize_user(user: User, *, supervisor: User | None, office_code: str, defs: OfficeFile | None = None) -> dict[str, Any]:
    roles = sorted(r.role for r in user.roles)
    return {
        "username": user.username, "full_name": user.full_name, "email": user.email, "phone": user.phone, "nip": user.nip,
        "unit": user.unit.code if user.unit else None, "unit_name": user.unit.name if user.unit else None, "position": user.position,
        "supervisor": supervisor.username if supervisor else None, "supervisor_name": supervisor.full_name if supervisor else None,
        "roles": roles, "role_labels": [defs.role_label(r) if defs else r for r in roles], "is_active": user.is_active,
        "deactivated_at": user.deactivated_at.isoformat() if user.deactivated_at else None,
        "deactivation_reason": user.deactivation_reason, "office": office_code,
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


async def user_json(session: AsyncSession, scope: AdminScope, user: User) -> dict[str, Any]:
    supervisor = await session.get(User, user.supervisor_id) if user.supervisor_id else None
    return serialize_user(user, supervisor=supervisor, office_code=scope.office.code, defs=scope.defs)


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text.lower()) + "%"


async def list_users(session: AsyncSession, *, scope: AdminScope, q: str | None = None, include_inactive: bool = False,
                     limit: int = PAGE_SIZE, offset: int = 0) -> dict[str, Any]:
    """The office's staff by name; `q` searches username, name, NIP and e-mail."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid(f"Jumlah per halaman harus antara 1 dan {MAX_PAGE_SIZE}.", field="limit")
    if not 0 <= offset <= 1_000_000:
        raise invalid("Posisi halaman tidak valid.", field="offset")
    conditions: list[ColumnElement[bool]] = [User.office_id == scope.office.id, User.kind == "staff"]
    if not include_inactive:
        conditions.append(User.is_active.is_(True))
    text = (q or "").strip()[:100]
    if text:
        pattern = _like(text)
        conditions.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in (User.username, User.full_name, User.nip, User.email))))
    total = await session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    rows = list((await session.scalars(select(User).where(*conditions).order_by(func.lower(User.full_name), User.id).limit(limit).offset(offset)))
                .unique())
    supervisor_ids = {u.supervisor_id for u in rows if u.supervisor_id}
    supervisors = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(supervisor_ids)))} if supervisor_ids else {}
    defs = scope.defs
    return {"items": [serialize_user(u, supervisor=supervisors.get(u.supervisor_id) if u.supervisor_id else None, office_code=scope.office.code,
                                     defs=defs) for u in rows],
            "total": total, "limit": limit, "offset": offset, "next_offset": offset + limit if offset + limit < total else None}


async def _unit_of(session: AsyncSession, scope: AdminScope, raw: Any, *, field: str = "unit") -> Unit:
    code = _text(raw, field, "Unit", max_length=40)
    if code is None:
        raise invalid("Unit wajib diisi.", field=field)
    unit = await session.scalar(select(Unit).where(Unit.office_id == scope.office.id, Unit.code == code))
    if unit is None:
        raise invalid(f"Unit '{code}' tidak ada di kantor ini.", field=field)
    if not unit.is_active:
        raise invalid(f"Unit {unit.name} sudah tidak aktif.", field=field)
    return unit


async def _supervisor_of(session: AsyncSession, scope: AdminScope, raw: Any, *, subject: User | None) -> User | None:
    """An active member of staff of the same office, who is not `subject` and does not answer to them (directly or
    through others): a chain of supervisors never comes back to where it started."""
    username = _text(raw, "supervisor", "Atasan langsung", max_length=80, required=False)
    if username is None:
        return None
    supervisor = await staff_query(session, scope, username)
    if supervisor is None:
        raise invalid(f"Atasan '{username}' tidak ada di antara pegawai kantor ini.", field="supervisor")
    if not supervisor.is_active:
        raise invalid(f"{supervisor.full_name} sudah tidak aktif; pilih atasan lain.", field="supervisor")
    if subject is not None:
        if supervisor.id == subject.id:
            raise invalid("Pegawai tidak dapat menjadi atasan dirinya sendiri.", field="supervisor")
        seen: set[int] = set()
        walker: User | None = supervisor
        while walker is not None and walker.supervisor_id and walker.id not in seen:
            seen.add(walker.id)
            if walker.supervisor_id == subject.id:
                raise invalid(f"{supervisor.full_name} berada di bawah {subject.full_name} (langsung atau melalui atasan lain); "
                              "atasan tidak boleh melingkar.", field="supervisor")
            walker = await session.get(User, walker.supervisor_id)
    return supervisor


async def _email_owner(session: AsyncSession, email: str, *, except_id: int | None = None) -> User | None:
    query = select(User).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    return await session.scalar(query.limit(1))


async def _nip_owner(session: AsyncSession, scope: AdminScope, nip: str, *, except_id: int | None = None) -> User | None:
    query = select(User).where(User.office_id == scope.office.id, User.nip == nip)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return await session.scalar(query.limit(1))


async def create_user(session: AsyncSession, settings: Settings, *, scope: AdminScope, data: dict[str, Any]) -> tuple[User, bool]:
    """A new member of staff of the office. Without a password the account gets none that anyone knows, and the caller
    sends the set-password link (the second value says so)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def check(name: str, fn: Any) -> None:
        try:
            values[name] = fn()
        except DomainError as exc:
            errors[name] = exc.detail

    def username() -> str:
        value = _text(data.get("username"), "username", "Nama pengguna", max_length=80) or ""
        if not USERNAME.fullmatch(value):
            raise invalid("Nama pengguna 3-80 karakter: huruf kecil, angka, titik, strip, atau garis bawah, diawali huruf.", field="username")
        return value

    def email() -> str:
        value = clean_email(data.get("email") if isinstance(data.get("email"), str) else "")
        if value is None:
            raise invalid("Email wajib diisi dengan alamat yang valid (tautan untuk kata sandi dikirim ke sini).", field="email")
        return value

    def phone() -> str | None:
        raw = data.get("phone")
        if raw in (None, ""):
            return None
        value = clean_staff_phone(raw)
        if value is None:
            raise invalid("Nomor telepon/HP tidak valid; tulis 08…, +628…, atau nomor kantor.", field="phone")
        return value

    def nip() -> str | None:
        raw = data.get("nip")
        if raw in (None, ""):
            return None
        value = clean_nip(raw)
        if value is None:
            raise invalid("NIP harus 18 digit angka.", field="nip")
        return value

    def password() -> str | None:
        raw = data.get("password")
        if raw in (None, ""):
            return None
        if not isinstance(raw, str):
            raise invalid("Kata sandi harus berupa teks.", field="password")
        if problem := password_problem(raw):
            raise invalid(problem, field="password")
        return raw

    check("username", username)
    check("full_name", lambda: _text(data.get("full_name"), "full_name", "Nama lengkap", max_length=200))
    check("email", email)
    check("phone", phone)
    check("nip", nip)
    check("position", lambda: _text(data.get("position"), "position", "Jabatan", max_length=200, required=False))
    check("roles", lambda: _roles(data.get("roles", []), scope))
    check("password", password)
    try:
        values["unit"] = await _unit_of(session, scope, data.get("unit"))
    except DomainError as exc:
        errors["unit"] = exc.detail
    try:
        values["supervisor"] = await _supervisor_of(session, scope, data.get("supervisor"), subject=None)
    except DomainError as exc:
        errors["supervisor"] = exc.detail
    if errors:
        raise _refuse(errors)
    # Hashed before the office is held and with no connection held: nobody waits on the password's hashing (gateway/security.py).
    await session.commit()
    hashed = await hash_password_async(settings, values["password"]) if values["password"] else unusable_password_hash()
    await _hold_office(session, scope)
    taken: dict[str, str] = {}
    if await session.scalar(select(User.id).where(User.username == values["username"])) is not None:
        taken["username"] = f"Nama pengguna '{values['username']}' sudah dipakai. Pilih nama lain."
    if await _email_owner(session, values["email"]) is not None:
        taken["email"] = f"Email {values['email']} sudah dipakai akun lain."
    if values["nip"] and (owner := await _nip_owner(session, scope, values["nip"])) is not None:
        taken["nip"] = f"NIP {values['nip']} sudah tercatat untuk {owner.full_name} ({owner.username})."
    if taken:
        await session.commit()
        raise Conflict(next(iter(taken.values())) if len(taken) == 1 else "Data berikut sudah dipakai: " + " ".join(taken.values()),
                       code="taken", errors=[{"field": f, "message": m} for f, m in taken.items()])
    unit, supervisor = values["unit"], values["supervisor"]
    user = User(username=values["username"], full_name=values["full_name"], email=values["email"], phone=values["phone"], nip=values["nip"],
                position=values["position"], unit_id=unit.id, supervisor_id=supervisor.id if supervisor else None, office_id=scope.office.id,
                kind="staff", is_active=True, password_hash=hashed, roles=[UserRole(role=r) for r in values["roles"]])
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict("Nama pengguna atau email itu baru saja dipakai akun lain. Periksa kembali lalu kirim ulang.", code="taken") from None
    after = _user_state(user, unit, supervisor)
    record(session, scope, action="user.create", target=f"user:{user.username}", before=None,
           after={**after, "password": "ditetapkan administrator" if values["password"] else "dibuat pegawai sendiri lewat tautan email"})
    await session.commit()
    created = await session.scalar(select(User).where(User.id == user.id).options(joinedload(User.roles)).execution_options(populate_existing=True))
    return created or user, values["password"] is None


async def update_user(session: AsyncSession, *, scope: AdminScope, username: str, changes: dict[str, Any]) -> User:
    """`changes`: any of full_name, email, phone, nip, unit (move), position, supervisor, roles. Taking a role away ends
    the person's sessions (sessions.py); an administrator keeps their own `admin` role (no office is left unadministered
    by a slip)."""
    user = await get_staff(session, scope=scope, username=username)
    allowed = {"full_name", "email", "phone", "nip", "unit", "position", "supervisor", "roles"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        hint = " Menonaktifkan pegawai memakai /deactivate." if "is_active" in unknown else ""
        raise invalid(f"Isian tidak dapat diubah di sini: {', '.join(unknown)}.{hint}", field=unknown[0])
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}
    for name, fn in (
        ("full_name", lambda v: _text(v, "full_name", "Nama lengkap", max_length=200)),
        ("position", lambda v: _text(v, "position", "Jabatan", max_length=200, required=False)),
    ):
        if name in changes:
            try:
                new[name] = fn(changes[name])
            except DomainError as exc:
                errors[name] = exc.detail
    if "email" in changes:
        email = clean_email(changes["email"] if isinstance(changes["email"], str) else "")
        if email is None:
            errors["email"] = "Email wajib diisi dengan alamat yang valid."
        else:
            new["email"] = email
    if "phone" in changes:
        raw = changes["phone"]
        phone = None if raw in (None, "") else clean_staff_phone(raw)
        if raw not in (None, "") and phone is None:
            errors["phone"] = "Nomor telepon/HP tidak valid; tulis 08…, +628…, atau nomor kantor."
        else:
            new["phone"] = phone
    if "nip" in changes:
        raw = changes["nip"]
        nip = None if raw in (None, "") else clean_nip(raw)
        if raw not in (None, "") and nip is None:
            errors["nip"] = "NIP harus 18 digit angka."
        else:
            new["nip"] = nip
    if "roles" in changes:
        try:
            roles = _roles(changes["roles"], scope)
            if user.id == scope.actor.id and ADMIN_ROLE in user.role_names and ADMIN_ROLE not in roles:
                raise invalid("Anda tidak dapat mencabut peran administrator dari akun Anda sendiri; minta administrator lain.", field="roles")
            new["roles"] = roles
        except DomainError as exc:
            errors["roles"] = exc.detail
    unit: Unit | None = user.unit
    if "unit" in changes:
        try:
            unit = await _unit_of(session, scope, changes["unit"])
        except DomainError as exc:
            errors["unit"] = exc.detail
    supervisor = await session.get(User, user.supervisor_id) if user.supervisor_id else None
    before = _user_state(user, user.unit, supervisor)
    if errors:
        raise _refuse(errors)
    await _hold_office(session, scope)
    if "supervisor" in changes:
        # Checked with the office held: two changes at once cannot together close a circle.
        try:
            supervisor = await _supervisor_of(session, scope, changes["supervisor"], subject=user)
        except DomainError as exc:
            await session.commit()
            raise _refuse({"supervisor": exc.detail}) from None
    taken: dict[str, str] = {}
    if new.get("email") and new["email"] != (user.email or "").lower() and await _email_owner(session, new["email"], except_id=user.id):
        taken["email"] = f"Email {new['email']} sudah dipakai akun lain."
    if new.get("nip") and (owner := await _nip_owner(session, scope, new["nip"], except_id=user.id)) is not None:
        taken["nip"] = f"NIP {new['nip']} sudah tercatat untuk {owner.full_name} ({owner.username})."
    if taken:
        await session.commit()
        raise Conflict(" ".join(taken.values()), code="taken", errors=[{"field": f, "message": m} for f, m in taken.items()])
    for name in ("full_name", "position", "email", "phone", "nip"):
        if name in new:
            setattr(user, name, new[name])
    if unit is not None and "unit" in changes:
        user.unit_id = unit.id
        user.unit = unit
    if "supervisor" in changes:
        user.supervisor_id = supervisor.id if supervisor else None
    taken_away = False
    if "roles" in new:
        held = {r.role for r in user.roles}
        wanted = set(new["roles"])
        taken_away = bool(held - wanted)
        user.roles = [r for r in user.roles if r.role in wanted] + [UserRole(role=r) for r in sorted(wanted - held)]
    after = _user_state(user, unit, supervisor)
    after["roles"] = sorted(new.get("roles", before["roles"]))
    old, changed = _diff(before, after)
    if changed:
        if taken_away and user.id != scope.actor.id:
            # A role taken away stops at once: the person signs in again with the roles left.
            await revoke_sessions(session, user)
        record(session, scope, action="user.update", target=f"user:{user.username}", before=old, after=changed)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("Email itu baru saja dipakai akun lain. Periksa kembali lalu kirim ulang.", code="taken",
                       errors=[{"field": "email", "message": "Email sudah dipakai akun lain."}]) from None
    fresh = await session.scalar(select(User).where(User.id == user.id).options(joinedload(User.roles)).execution_options(populate_existing=True))
    return fresh or user


# --- deactivation and the hand-over of open tasks --------------------------------------------------------------------


@dataclass
class Handover:
    """One open task of a deactivated account and where it goes."""

    task_id: str
    workflow_id: str
    process: str
    title: str
    # How the person held it: "owner" (theirs by name), "delegate" (delegated to them), "claim" (a role task they claimed).
    held_as: str
    role: str
    role_label: str
    # Where it goes: back to the delegating owner, to the role (its other holders), or to the person's supervisor.
    to: str  # "owner" | "role" | "supervisor" | "none"
    to_user: User | None = None
    # The role has no other active holder and there is no supervisor to take it: it waits, open to the role.
    unheld: bool = False
    done: bool = False
    error: str | None = None

    @property
    def destination(self) -> str:
        if self.to_user is not None:
            return self.to_user.full_name
        return f"peran {self.role_label}"

    def as_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "workflow_id": self.workflow_id, "process": self.process,
                "process_label": PROCESS_LABELS.get(self.process, self.process), "title": self.title, "held_as": self.held_as,
                "role": self.role, "role_label": self.role_label, "to": self.to, "to_user": self.to_user.username if self.to_user else None,
                "to_name": self.destination, "unheld": self.unheld, "done": self.done, "error": self.error}


@dataclass
class DeactivationPlan:
    user: User
    handovers: list[Handover]
    subordinates: list[User] = field(default_factory=list)
    acting_for: int = 0  # Plh. appointments (today or later) that name the person


async def _other_holders(session: AsyncSession, scope: AdminScope, role: str, *, besides: User) -> int:
    return await session.scalar(select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == role, User.office_id == scope.office.id, User.kind == "staff", User.is_active.is_(True), User.id != besides.id)) or 0


async def deactivation_plan(session: AsyncSession, *, scope: AdminScope, user: User) -> DeactivationPlan:
    """What deactivating `user` hands on, and to whom: tasks they own or hold by delegation go to the task's role when
    the office has other active holders of it, else to their supervisor; a delegated task goes back to its owner; a
    claim is released (and the task goes to the supervisor when nobody else holds the role)."""
    defs = scope.defs
    tasks = list((await session.scalars(select(Task).where(
        Task.office_id == scope.office.id, Task.status == "open",
        or_(Task.owner_id == user.id, Task.delegate_id == user.id, Task.claimed_by_id == user.id)).order_by(Task.created_at))).unique())
    supervisor = await session.get(User, user.supervisor_id) if user.supervisor_id else None
    if supervisor is not None and (not supervisor.is_active or supervisor.office_id != scope.office.id):
        supervisor = None
    holders: dict[str, int] = {}
    plan: list[Handover] = []
    for task in tasks:
        held_as = "delegate" if task.delegate_id == user.id else "owner" if task.owner_id == user.id else "claim"
        if held_as == "claim" and task.owner_id is not None:
            held_as = "claim_only"  # a claim on someone else's task (as their Plh.): released, the task stays theirs
        if task.role not in holders:
            holders[task.role] = await _other_holders(session, scope, task.role, besides=user)
        h = Handover(task_id=task.id, workflow_id=task.workflow_id, process=task.process, title=task.title, held_as=held_as, role=task.role,
                     role_label=defs.role_label(task.role), to="role")
        owner = task.owner
        if held_as == "claim_only":
            h.to, h.to_user = "owner", owner
        elif held_as == "delegate" and owner is not None and owner.id != user.id and owner.is_active:
            h.to, h.to_user = "owner", owner
        elif holders[task.role] > 0:
            h.to = "role"
        elif supervisor is not None:
            h.to, h.to_user = "supervisor", supervisor
        else:
            h.to, h.unheld = "role", True
        plan.append(h)
    subordinates = list(await session.scalars(select(User).where(User.supervisor_id == user.id, User.is_active.is_(True), User.id != user.id)
                                              .order_by(User.full_name)))
    acting = await session.scalar(select(func.count()).select_from(Substitution).where(
        Substitution.acting_id == user.id, Substitution.cancelled_at.is_(None), Substitution.end_date >= office_today())) or 0
    return DeactivationPlan(user=user, handovers=plan, subordinates=subordinates, acting_for=acting)


def _reason(raw: Any) -> str:
    reason = _text(raw, "reason", "Alasan", max_length=MAX_REASON)
    if reason is None:
        raise invalid("Alasan wajib diisi.", field="reason")
    return reason


async def _release_claim(session: AsyncSession, scope: AdminScope, *, task_id: str, user: User) -> bool:
    released = cast(CursorResult[Any], await session.execute(update(Task).where(Task.id == task_id, Task.claimed_by_id == user.id)
                                                             .values(claimed_by_id=None).execution_options(synchronize_session=False)))
    if released.rowcount != 1:
        return False
    task = await session.get(Task, task_id)
    if task is not None:
        now = utcnow()
        session.add(CaseEvent(id=f"{task.id}.{UNCLAIMED}.{now.timestamp():.6f}", workflow_id=task.workflow_id, process=task.process,
                              subject_id=task.subject_id, occurred_at=now, kind=UNCLAIMED,
                              title=f"Klaim {user.full_name} dilepas oleh {scope.actor.full_name} (akun dinonaktifkan): {task.title}",
                              actor_id=scope.actor.id, actor_name=scope.actor.full_name, role=task.role))
    return True


async def _hand_over(session: AsyncSession, client: Client, scope: AdminScope, user: User, plan: list[Handover], reason: str) -> None:
    """Carries out the plan: a claim released in the inbox, every other change through the run (a Workflow Update the run
    records with who and why, as a process owner's reassignment). A task the run refuses or cannot be reached for keeps
    its error; deactivating again carries out what is left."""
    why = f"Akun {user.full_name} dinonaktifkan oleh administrator: {reason}"
    for h in plan:
        try:
            if h.held_as in ("claim", "claim_only"):
                await _release_claim(session, scope, task_id=h.task_id, user=user)
                await session.commit()
                if h.to == "role" or h.held_as == "claim_only":
                    h.done = True
                    continue
            request = ReassignRequest(task_id=h.task_id, actor=actor(scope.actor), reason=why[:MAX_REASON],
                                      to_person=person(h.to_user) if h.to_user is not None else None,
                                      to_role=None if h.to_user is not None else h.role,
                                      to_role_label="" if h.to_user is not None else h.role_label)
            await send_update(client, h.workflow_id, REASSIGN_TASK, request, result_type=OwnerActionAck)
            h.done = True
        except DomainError as exc:
            h.error = exc.detail
        except Exception:  # the account is closed already: one task's failure must not hide the others' hand-over (logged)
            log.exception("handing task %s of a deactivated account on failed", h.task_id)
            h.error = "Tugas ini belum dapat diserahkan karena kesalahan pada layanan proses. Coba lagi sebentar lagi."


async def deactivate_user(session: AsyncSession, client: Client, *, scope: AdminScope, username: str, reason: Any) -> dict[str, Any]:
    """Ends the person's sessions at once and closes the account, then hands their open tasks on (deactivation_plan).
    Asked again for an account already closed, it hands on whatever is still theirs (a run that could not be reached)."""
    reason_text = _reason(reason)
    user = await get_staff(session, scope=scope, username=username)
    if user.id == scope.actor.id:
        raise invalid("Anda tidak dapat menonaktifkan akun Anda sendiri.", field="username")
    plan = await deactivation_plan(session, scope=scope, user=user)
    was_active = user.is_active
    if not was_active and not plan.handovers:
        raise Conflict(f"{user.full_name} sudah nonaktif sejak {user.deactivated_at:%d-%m-%Y} dan tidak memegang tugas terbuka."
                       if user.deactivated_at else f"{user.full_name} sudah nonaktif.", code="already_inactive")
    cancelled = 0
    if was_active:
        await _hold_office(session, scope)
        user.is_active = False
        user.deactivated_at = utcnow()
        user.deactivation_reason = reason_text
        await revoke_sessions(session, user)
        # A Plh. appointment naming them would send an official's tasks to a closed account.
        # An UPDATE's result is a CursorResult (with its rowcount), which execute() does not say.
        cancelled = cast(CursorResult[Any], await session.execute(update(Substitution).where(
            Substitution.acting_id == user.id, Substitution.cancelled_at.is_(None), Substitution.end_date >= office_today())
            .values(cancelled_at=utcnow()).execution_options(synchronize_session=False))).rowcount or 0
        await session.commit()
    await _hand_over(session, client, scope, user, plan.handovers, reason_text)
    handovers = [h.as_dict() for h in plan.handovers]
    summary = [{"task": h["title"], "process": h["process_label"], "to": h["to_name"], "done": h["done"], **({"error": h["error"]} if h["error"] else {})}
               for h in handovers]
    if was_active:
        record(session, scope, action="user.deactivate", target=f"user:{user.username}", before={"is_active": True},
               after={"is_active": False, "handovers": summary, **({"plh_cancelled": cancelled} if cancelled else {})}, reason=reason_text)
    else:
        record(session, scope, action="user.handover", target=f"user:{user.username}", before=None, after={"handovers": summary}, reason=reason_text)
    await session.commit()
    return {"user": await user_json(session, scope, user), "handovers": handovers,
            "subordinates": [{"username": s.username, "full_name": s.full_name} for s in plan.subordinates],
            "plh_cancelled": cancelled, "complete": all(h["done"] for h in handovers)}


async def reactivate_user(session: AsyncSession, *, scope: AdminScope, username: str, reason: Any = None) -> User:
    user = await get_staff(session, scope=scope, username=username)
    if user.is_active:
        raise Conflict(f"{user.full_name} masih aktif.", code="already_active")
    reason_text = _text(reason, "reason", "Alasan", max_length=MAX_REASON, required=False)
    await _hold_office(session, scope)
    before = {"is_active": False, "deactivation_reason": user.deactivation_reason}
    user.is_active, user.deactivated_at, user.deactivation_reason = True, None, None
    record(session, scope, action="user.reactivate", target=f"user:{user.username}", before=before, after={"is_active": True}, reason=reason_text)
    await session.commit()
    return user


# --- the change record -------------------------------------------------------------------------------------------


def serialize_change(row: AdminChange) -> dict[str, Any]:
    return {"id": row.id, "at": row.at.isoformat(), "actor": row.actor_name, "action": row.action, "action_label": ACTION_LABELS.get(row.action, row.action),
            "target": row.target, "before": row.before, "after": row.after, "reason": row.reason}


async def list_changes(session: AsyncSession, *, office_id: int | None, limit: int = 50, offset: int = 0, action: str | None = None,
                       target: str | None = None) -> dict[str, Any]:
    """The record of one office (None: of the installation itself), newest first."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid(f"Jumlah per halaman harus antara 1 dan {MAX_PAGE_SIZE}.", field="limit")
    if not 0 <= offset <= 1_000_000:
        raise invalid("Posisi halaman tidak valid.", field="offset")
    conditions: list[ColumnElement[bool]] = [AdminChange.office_id == office_id if office_id is not None else AdminChange.office_id.is_(None)]
    if action:
        conditions.append(AdminChange.action == action.strip()[:40])
    if target:
        conditions.append(AdminChange.target == target.strip()[:200])
    total = await session.scalar(select(func.count()).select_from(AdminChange).where(*conditions)) or 0
    rows = await session.scalars(select(AdminChange).where(*conditions).order_by(AdminChange.at.desc(), AdminChange.id.desc()).limit(limit).offset(offset))
    return {"items": [serialize_change(r) for r in rows], "total": total, "limit": limit, "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None}


# --- the office's identity, logo, hours and calendar -------------------------------------------------------------------


def serialize_office(office: Office) -> dict[str, Any]:
    calendar = office_file(office).calendar
    return {
        "code": office.code, "name": office.name, "short_name": office.short_name, "address": office.address, "city": office.city,
        "timezone": office.timezone, "head_title": office.head_title, "phone": office.phone, "email": office.email,
        "letterhead": list(office.letterhead or []), "agency_letterheads": {k: list(v) for k, v in (office.agency_letterheads or {}).items()},
        "office_hours": {"start": calendar.office_hours.get("start", "08:00"), "end": calendar.office_hours.get("end", "16:30")},
        "working_weekdays": list(calendar.working_weekdays), "processes": list(office.processes or []),
        "offerable": [{"code": p, "label": PROCESS_LABELS.get(p, p)} for p in OFFERABLE],
        "logo_url": f"/kantor/{office.code}/logo" if office.logo_key else None, "is_active": office.is_active,
    }


def _lines(raw: Any, field: str, label: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise invalid(f"{label} harus berupa daftar baris teks.", field=field)
    lines = [re.sub(r"\s+", " ", x.strip()) for x in raw if x.strip()]
    if len(lines) > MAX_LETTERHEAD_LINES:
        raise invalid(f"{label} paling banyak {MAX_LETTERHEAD_LINES} baris.", field=field)
    if any(len(x) > MAX_LETTERHEAD_LINE for x in lines):
        raise invalid(f"Setiap baris {label.lower()} paling banyak {MAX_LETTERHEAD_LINE} karakter.", field=field)
    return lines


def _office_hours(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or set(raw) - {"start", "end"} or not all(isinstance(raw.get(k), str) for k in ("start", "end")):
        raise invalid("Jam layanan diisi sebagai {\"start\": \"08:00\", \"end\": \"16:00\"}.", field="office_hours")
    start, end = raw["start"].strip(), raw["end"].strip()
    if not TIME_OF_DAY.fullmatch(start) or not TIME_OF_DAY.fullmatch(end):
        raise invalid("Jam layanan ditulis JJ:MM, mis. 08:00 dan 16:00.", field="office_hours")
    if time.fromisoformat(end) <= time.fromisoformat(start):
        raise invalid("Jam tutup harus sesudah jam buka.", field="office_hours")
    return {"start": start, "end": end}


def _weekdays(raw: Any) -> list[int]:
    if not isinstance(raw, list) or not raw or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in raw):
        raise invalid("Hari kerja dipilih paling sedikit satu, sebagai angka 0 (Senin) sampai 6 (Minggu).", field="working_weekdays")
    return sorted(set(raw))


def _processes(raw: Any, scope: AdminScope) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise invalid("Layanan harus berupa daftar kode proses.", field="processes")
    chosen = list(dict.fromkeys(p.strip() for p in raw if p.strip()))
    unknown = [p for p in chosen if p not in OFFERABLE]
    if unknown:
        raise invalid(f"Layanan '{unknown[0][:40]}' tidak dikenal. Pilihan: {', '.join(OFFERABLE)}.", field="processes")
    numbering = scope.defs.numbering
    for process in chosen:
        missing = [s for s in NEEDED_SCOPES.get(process, ()) if s not in numbering]
        if missing:
            raise invalid(f"{PROCESS_LABELS.get(process, process)} memerlukan register nomor surat {', '.join(missing)} yang belum ada di "
                          f"process_defs/offices/{scope.office.code}/office.yaml; minta pengelola instalasi menambahkannya dulu.", field="processes")
    return chosen


OFFICE_TEXT_FIELDS = {"name": ("Nama kantor", 200, True), "short_name": ("Nama singkat", 80, True), "address": ("Alamat", 500, True),
                      "city": ("Kota", 80, True), "head_title": ("Jabatan pimpinan", 200, True)}


async def update_office(session: AsyncSession, *, scope: AdminScope, changes: dict[str, Any]) -> dict[str, Any]:
    """The identity the office prints and its hours, working days and services. A running process keeps what it
    started with (its snapshot); new ones take the new values."""
    allowed = {*OFFICE_TEXT_FIELDS, "timezone", "phone", "email", "letterhead", "agency_letterheads", "office_hours", "working_weekdays", "processes"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise invalid(f"Isian tidak dapat diubah di sini: {', '.join(unknown)}.", field=unknown[0])
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}

    def check(name: str, fn: Any) -> None:
        if name in changes:
            try:
                new[name] = fn(changes[name])
            except DomainError as exc:
                errors[name] = exc.detail

    for name, (label, length, required) in OFFICE_TEXT_FIELDS.items():
        check(name, lambda v, n=name, lb=label, ln=length, rq=required: _text(v, n, lb, max_length=ln, required=rq))

    def timezone(raw: Any) -> str:
        value = raw.strip() if isinstance(raw, str) else ""
        if value not in _timezones():
            raise invalid(f"Zona waktu '{value[:60]}' tidak dikenal; tulis nama IANA, mis. Asia/Jakarta, Asia/Makassar, Asia/Jayapura.",
                          field="timezone")
        return value

    def phone(raw: Any) -> str | None:
        if raw in (None, ""):
            return None
        value = re.sub(r"\s+", " ", raw.strip()) if isinstance(raw, str) else ""
        if not OFFICE_PHONE.fullmatch(value):
            raise invalid("Nomor telepon kantor tidak valid (angka, +, spasi, tanda kurung, titik, strip).", field="phone")
        return value

    def email(raw: Any) -> str | None:
        if raw in (None, ""):
            return None
        value = clean_email(raw if isinstance(raw, str) else "")
        if value is None:
            raise invalid("Email kantor tidak valid.", field="email")
        return value

    def agencies(raw: Any) -> dict[str, list[str]]:
        if not isinstance(raw, dict):
            raise invalid("Kop surat per instansi diisi sebagai {\"kode_instansi\": [\"baris\", …]}.", field="agency_letterheads")
        out = {}
        for key, lines in raw.items():
            code = key.strip() if isinstance(key, str) else ""
            if not AGENCY_CODE.fullmatch(code):
                raise invalid(f"Kode instansi '{str(key)[:40]}' tidak valid (huruf kecil, angka, strip, garis bawah).", field="agency_letterheads")
            out[code] = _lines(lines, "agency_letterheads", f"Kop surat {code}")
        return out

    check("timezone", timezone)
    check("phone", phone)
    check("email", email)
    check("letterhead", lambda v: _lines(v, "letterhead", "Kop surat"))
    check("agency_letterheads", agencies)
    check("office_hours", _office_hours)
    check("working_weekdays", _weekdays)
    check("processes", lambda v: _processes(v, scope))
    if errors:
        raise _refuse(errors)
    await _hold_office(session, scope)
    office = await session.get(Office, scope.office.id, populate_existing=True)
    if office is None:
        raise not_found("Kantor")
    before = serialize_office(office)
    calendar = dict(office.calendar or {})
    for name, value in new.items():
        if name in ("office_hours", "working_weekdays"):
            calendar[name] = value
        else:
            setattr(office, name, value)
    office.calendar = calendar
    after = serialize_office(office)
    keys = [k for k in ("name", "short_name", "address", "city", "timezone", "head_title", "phone", "email", "letterhead", "agency_letterheads",
                        "office_hours", "working_weekdays", "processes") if k in new]
    old, changed = _diff({k: before[k] for k in keys}, {k: after[k] for k in keys})
    if changed:
        record(session, scope, action="office.update", target=f"office:{office.code}", before=old, after=changed)
    await session.commit()
    scope.office = office
    return after


@lru_cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_choices() -> list[str]:
    """The time zones people in Indonesia pick from first, then the rest."""
    first = ["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura"]
    return first + sorted(z for z in _timezones() if z not in first and "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


async def set_logo(session: AsyncSession, settings: Settings, *, scope: AdminScope, data: bytes, too_large: bool = False) -> dict[str, Any]:
    """A PNG or JPEG logo (typed from its content and decoded whole), stored under a new key: a running process that
    printed the old one still finds it."""
    if too_large or len(data) > LOGO_MAX_BYTES:
        raise TooLarge(MSG_LOGO_TOO_LARGE, errors=[{"field": "file", "message": MSG_LOGO_TOO_LARGE}])
    if not data:
        raise invalid("Pilih berkas logo (PNG atau JPG).", field="file")
    media = magic.from_buffer(data[:8192], mime=True)
    extension = LOGO_TYPES.get(media)
    if extension is None:
        raise UnsupportedMedia("Logo harus gambar PNG atau JPG.", errors=[{"field": "file", "message": "Logo harus gambar PNG atau JPG."}])
    if problem := file_content.image_problem(data, extension):
        raise invalid(problem, field="file")
    key = office_file_key(scope.office.code, f"logo-{uuid.uuid4().hex}.{extension}")
    content_type = "image/png" if extension == "png" else "image/jpeg"
    try:
        await storage_for(settings).put(key, data, content_type)
    except StorageError as exc:
        raise Unavailable("Penyimpanan berkas sedang tidak dapat dihubungi. Silakan coba lagi.", code="storage_unavailable") from exc
    await _hold_office(session, scope)
    office = await session.get(Office, scope.office.id, populate_existing=True)
    if office is None:
        raise not_found("Kantor")
    before = {"logo": office.logo_key}
    office.logo_key, office.logo_content_type = key, content_type
    record(session, scope, action="office.logo", target=f"office:{office.code}", before=before, after={"logo": key})
    await session.commit()
    scope.office = office
    return serialize_office(office)


async def logo_of(session: AsyncSession, settings: Settings, *, code: str) -> tuple[bytes, str, str]:
    """The logo of an office, for anyone (it is printed on every letter): bytes, type and key."""
    office = await session.scalar(select(Office).where(Office.code == code.strip()[:40]))
    if office is None or not office.logo_key:
        raise not_found("Logo kantor")
    try:
        data = await storage_for(settings).get(office.logo_key)
    except StorageError as exc:
        raise NotFound("Logo kantor tidak ditemukan.") from exc
    return data, office.logo_content_type or "image/png", office.logo_key


def calendar_entries(office: Office) -> list[dict[str, Any]]:
    calendar = office.calendar or {}
    names = calendar.get("extra_working_day_names") or {}
    items = [{"date": h["date"], "name": h.get("name", ""), "kind": "libur"} for h in calendar.get("extra_holidays") or []]
    items += [{"date": d, "name": names.get(d, ""), "kind": "hari_kerja"} for d in calendar.get("extra_working_days") or []]
    return sorted(items, key=lambda item: item["date"])


def _day(raw: Any) -> date:
    if not isinstance(raw, str):
        raise invalid("Tanggal wajib diisi dengan format YYYY-MM-DD.", field="date")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise invalid("Tanggal harus dengan format YYYY-MM-DD, mis. 2026-12-24.", field="date") from None
    if not 2000 <= day.year <= 2100:
        raise invalid("Tanggal harus antara tahun 2000 dan 2100.", field="date")
    return day


async def add_calendar_entry(session: AsyncSession, *, scope: AdminScope, day: Any, name: Any, kind: Any) -> dict[str, Any]:
    """A holiday of the office (libur: cuti bersama, a local holiday) or a working day on a day otherwise off
    (hari_kerja: a Saturday worked to make up for one). Deadlines counted in working days follow it for processes
    started from now on."""
    errors: dict[str, str] = {}
    clean_day: date | None = None
    try:
        clean_day = _day(day)
    except DomainError as exc:
        errors["date"] = exc.detail
    if kind not in CALENDAR_KINDS:
        errors["kind"] = "Jenis harus 'libur' (hari libur) atau 'hari_kerja' (hari kerja pengganti)."
    clean_name: str | None = None
    try:
        clean_name = _text(name, "name", "Keterangan", max_length=120, required=kind == "libur")
    except DomainError as exc:
        errors["name"] = exc.detail
    if errors or clean_day is None:
        raise _refuse(errors)
    await _hold_office(session, scope)
    office = await session.get(Office, scope.office.id, populate_existing=True)
    if office is None:
        raise not_found("Kantor")
    calendar = dict(office.calendar or {})
    iso = clean_day.isoformat()
    existing = next((e for e in calendar_entries(office) if e["date"] == iso), None)
    if existing is not None:
        await session.commit()
        message = f"Tanggal {clean_day:%d-%m-%Y} sudah ada di kalender ({CALENDAR_KINDS[existing['kind']].lower()}). Hapus dulu bila ingin mengubahnya."
        raise Conflict(message, code="calendar_date_taken", errors=[{"field": "date", "message": message}])
    if len(calendar_entries(office)) >= MAX_CALENDAR_ENTRIES:
        await session.commit()
        raise Conflict(f"Kalender kantor paling banyak {MAX_CALENDAR_ENTRIES} tanggal; hapus tanggal yang sudah lewat.", code="calendar_full")
    if kind == "libur":
        calendar["extra_holidays"] = [*(calendar.get("extra_holidays") or []), {"date": iso, "name": clean_name or ""}]
    else:
        calendar["extra_working_days"] = sorted({*(calendar.get("extra_working_days") or []), iso})
        if clean_name:
            calendar["extra_working_day_names"] = {**(calendar.get("extra_working_day_names") or {}), iso: clean_name}
    office.calendar = calendar
    entry = {"date": iso, "name": clean_name or "", "kind": kind}
    record(session, scope, action="calendar.add", target=f"office:{office.code}", before=None, after=entry)
    await session.commit()
    scope.office = office
    return entry


async def remove_calendar_entry(session: AsyncSession, *, scope: AdminScope, day: Any) -> dict[str, Any]:
    clean_day = _day(day)
    await _hold_office(session, scope)
    office = await session.get(Office, scope.office.id, populate_existing=True)
    if office is None:
        raise not_found("Kantor")
    iso = clean_day.isoformat()
    existing = next((e for e in calendar_entries(office) if e["date"] == iso), None)
    if existing is None:
        await session.commit()
        raise not_found(f"Tanggal {clean_day:%d-%m-%Y} di kalender kantor")
    calendar = dict(office.calendar or {})
    calendar["extra_holidays"] = [h for h in calendar.get("extra_holidays") or [] if h.get("date") != iso]
    calendar["extra_working_days"] = [d for d in calendar.get("extra_working_days") or [] if d != iso]
    names = {k: v for k, v in (calendar.get("extra_working_day_names") or {}).items() if k != iso}
    if names or "extra_working_day_names" in calendar:
        calendar["extra_working_day_names"] = names
    office.calendar = calendar
    record(session, scope, action="calendar.remove", target=f"office:{office.code}", before=existing, after=None)
    await session.commit()
    scope.office = office
    return existing
