"""Staff from a personnel export (issue 17): the CSV a personnel system such as SIMPEG or SIASN gives, read into an
office's accounts. A dry run says exactly what applying the same file would do; applying does it.

The file: UTF-8 (with or without the BOM spreadsheets write), comma- or semicolon-separated, a header on its first
line. Columns, by name in any order and case (the usual spellings of each are understood; other columns are ignored):
NIP, nama, jabatan, unit (a unit's code or name in the office), email, telepon/HP; optional username, atasan (NIP or
username, of someone in the office or in the file) and peran (role codes or names separated by `;` or `|`).

- A row is matched to the office's staff by NIP, else by username (else by e-mail, for someone recorded without a
  NIP). A matched person gets the values the row gives; an empty cell never clears a value. Unmatched rows make new
  accounts: the username from its column, or from the e-mail's local part (made unique); no password anyone knows.
  New staff set their own through "Lupa kata sandi" (pegawai) with the e-mail of the file, or the administrator sends
  each a link from their page: the import sends no e-mail of its own, so a file of 500 people does not send 500
  messages before the administrator has checked it.
- Bad rows are skipped, each reported with its line as a spreadsheet shows it (the header is line 1), the column and
  the reason; every other row is applied (`applied`: true). Rows referring to a skipped row (as its supervisor) are
  skipped too. Importing the corrected file again changes only what differs.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services.admin import (
    ADMIN_ROLE,
    NEVER_GRANTED,
    USERNAME,
    AdminScope,
    _hold_office,
    _user_state,
    clean_nip,
    clean_staff_phone,
    record,
    unusable_password_hash,
)
from gateway.services.applicants import clean_email
from gateway.services.errors import Conflict, invalid
from gateway.services.sessions import revoke_sessions
from process_defs.loader import load_roles
from store.models import Unit, User, UserRole

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_ERRORS_SHOWN = 1000
TOO_LARGE = f"Berkas CSV paling besar {MAX_BYTES // (1024 * 1024)} MB. Bagi menjadi beberapa berkas."

# Column → the headers personnel exports use for it (compared without case, spaces or punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip baru", "nip pegawai", "nip pns", "nomor induk pegawai"),
    "nama": ("nama", "nama lengkap", "nama pegawai", "nama asn", "nama pns"),
    "jabatan": ("jabatan", "nama jabatan", "jabatan nama", "jabatan terakhir"),
    "unit": ("unit", "unit kerja", "unor", "unit organisasi", "satuan kerja", "satker", "kode unit", "nama unit"),
    "email": ("email", "e-mail", "surel", "alamat email", "email kantor"),
    "telepon": ("telepon", "hp", "telepon/hp", "telepon hp", "no hp", "nomor hp", "no telepon", "nomor telepon", "telp", "handphone", "no handphone",
                "ponsel"),
    "username": ("username", "nama pengguna", "user", "akun"),
    "atasan": ("atasan", "atasan langsung", "nip atasan", "username atasan", "atasan nip"),
    "peran": ("peran", "role", "roles", "hak akses"),
}
FIELD_OF = {"nip": "nip", "nama": "full_name", "jabatan": "position", "unit": "unit", "email": "email", "telepon": "phone",
            "username": "username", "atasan": "supervisor", "peran": "roles"}
COLUMN_OF = {v: k for k, v in FIELD_OF.items()}
MODE = "skip_invalid_rows"


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9/]+", " ", header.strip().lower().replace("_", " ")).strip()


_ALIASES = {_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class Row:
    """One data row of the file, as read and as decided."""

    row: int
    cells: dict[str, str]
    action: str = "error"  # create | update | unchanged | error
    user: User | None = None
    username: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # what the row sets (account fields)
    changes: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    supervisor_ref: str | None = None  # as written
    supervisor_row: "Row | None" = None
    supervisor_user: User | None = None

    def fail(self, column: str, message: str) -> None:
        self.errors.append({"row": self.row, "field": column, "message": message})
        self.action = "error"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ParsedFile:
    columns: list[str]
    rows: list[Row]


def read_csv(data: bytes) -> ParsedFile:
    """The file's rows by column, refused whole (Invalid, field "file") when it cannot be read as the columns above."""
    if len(data) > MAX_BYTES:
        raise invalid(TOO_LARGE, field="file")
    if not data.strip():
        raise invalid("Berkas CSV kosong. Pilih berkas ekspor data pegawai (CSV).", field="file")
    if b"\x00" in data:
        raise invalid("Berkas ini bukan teks CSV (memuat data biner). Simpan ulang dari aplikasi lembar kerja sebagai CSV UTF-8.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("Berkas bukan teks UTF-8. Di aplikasi lembar kerja pilih Simpan Sebagai → \"CSV UTF-8 (dipisahkan koma)\".",
                      field="file") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise invalid(f"Berkas CSV tidak dapat dibaca ({exc}). Periksa tanda kutip pada isinya, lalu simpan ulang sebagai CSV.", field="file") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise invalid("Baris pertama berkas harus berisi nama kolom (NIP, nama, jabatan, unit, email, telepon).", field="file")
    header = records[0]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = _ALIASES.get(_key(name))
        if column is not None and column not in positions:
            positions[column] = index
    missing = [c for c in ("nama",) if c not in positions]
    if "nip" not in positions and "username" not in positions:
        missing.append("nip atau username")
    if missing:
        seen = ", ".join(h.strip()[:40] for h in header if h.strip())[:300]
        raise invalid(f"Kolom wajib tidak ditemukan: {', '.join(missing)}. Kolom pada berkas: {seen or '(kosong)'}.", field="file")
    data_rows = [(number, cells) for number, cells in enumerate(records[1:], start=2) if any(cell.strip() for cell in cells)]
    if not data_rows:
        raise invalid("Berkas hanya berisi baris judul kolom; tidak ada data pegawai.", field="file")
    if len(data_rows) > MAX_ROWS:
        raise invalid(f"Berkas berisi {len(data_rows)} baris data; paling banyak {MAX_ROWS} per impor. Bagi menjadi beberapa berkas.", field="file")
    rows = [Row(row=number, cells={c: (cells[i].strip() if i < len(cells) else "") for c, i in positions.items()}) for number, cells in data_rows]
    return ParsedFile(columns=sorted(positions, key=positions.__getitem__), rows=rows)


def derive_username(email: str | None, full_name: str, taken: set[str]) -> str:
    """A staff username from the e-mail's local part (else the name), in the username alphabet, made unique."""
    source = (email or "").partition("@")[0] or full_name
    ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9._-]+", "", ascii_text.replace(" ", "."))
    base = re.sub(r"^[^a-z]+", "", base).strip("._-")[:70] or "pegawai"
    if len(base) < 3:
        base = f"{base}.pegawai"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def _role_names(scope: AdminScope) -> dict[str, str]:
    """Every way a role may be written in the file (its code, its name, this office's name for it) → its code."""
    names: dict[str, str] = {}
    defs = scope.defs
    for code, label in load_roles().items():
        for written in (code, label, defs.role_label(code)):
            names[_key(written)] = code
    return names


def _roles(raw: str, names: dict[str, str]) -> tuple[list[str] | None, str | None]:
    parts = [p.strip() for p in re.split(r"[;|,]", raw) if p.strip()]
    codes = []
    for part in parts:
        code = names.get(_key(part))
        if code is None:
            return None, f"Peran '{part[:60]}' tidak dikenal."
        if code in NEVER_GRANTED:
            return None, f"Peran '{part[:60]}' tidak dapat diberikan lewat impor."
        codes.append(code)
    return sorted(set(codes)), None


class _Office:
    """The office's staff and units, and the addresses and usernames taken in the installation, read once per file."""

    def __init__(self, scope: AdminScope, units: list[Unit], staff: list[User], usernames: set[str], emails: dict[str, int]) -> None:
        self.scope = scope
        self.units_by_code = {u.code.lower(): u for u in units}
        self.units_by_name = {u.name.lower(): u for u in units}
        self.by_nip = {u.nip: u for u in staff if u.nip}
        self.by_username = {u.username: u for u in staff}
        self.by_id = {u.id: u for u in staff}
        self.by_email = {u.email.lower(): u for u in staff if u.email}
        self.usernames = usernames
        self.emails = emails  # lower-cased address → the account holding it
        self.role_names = _role_names(scope)

    def unit(self, raw: str) -> Unit | None:
        return self.units_by_code.get(raw.lower()) or self.units_by_name.get(re.sub(r"\s+", " ", raw).lower())


async def _read_office(session: AsyncSession, scope: AdminScope, parsed: ParsedFile) -> _Office:
    units = list(await session.scalars(select(Unit).where(Unit.office_id == scope.office.id)))
    staff = list((await session.scalars(select(User).where(User.office_id == scope.office.id, User.kind == "staff"))).unique())
    usernames = set(await session.scalars(select(User.username).where(User.kind == "staff")))
    wanted = sorted({e for r in parsed.rows if (e := clean_email(r.cells.get("email")))})
    emails: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for user_id, email in (await session.execute(select(User.id, func.lower(User.email)).where(func.lower(User.email).in_(chunk)))).all():
            emails[email] = user_id
    return _Office(scope, [u for u in units if u.is_active], staff, usernames, emails)


def _check_row(r: Row, office: _Office, seen_nip: dict[str, int], seen_username: dict[str, int], seen_email: dict[str, int]) -> None:
    """Decides one row on its own (everything but its supervisor)."""
    cells, scope = r.cells, office.scope
    nip = None
    if cells.get("nip"):
        nip = clean_nip(cells["nip"])
        if nip is None:
            r.fail("nip", f"NIP '{cells['nip'][:30]}' harus 18 digit angka (sel yang diformat angka oleh lembar kerja dapat merusaknya: "
                          "format sebagai teks).")
        elif nip in seen_nip:
            r.fail("nip", f"NIP {nip} sudah ada di baris {seen_nip[nip]}.")
        else:
            seen_nip[nip] = r.row
    username = cells.get("username", "").strip().lower() or None
    if username is not None:
        if not USERNAME.fullmatch(username):
            r.fail("username", "Username 3-80 karakter: huruf kecil, angka, titik, strip, atau garis bawah, diawali huruf.")
            username = None
        elif username in seen_username:
            r.fail("username", f"Username {username} sudah ada di baris {seen_username[username]}.")
        else:
            seen_username[username] = r.row
    by_nip = office.by_nip.get(nip) if nip else None
    by_username = office.by_username.get(username) if username else None
    if by_nip is not None and by_username is not None and by_nip.id != by_username.id:
        r.fail("username", f"NIP {nip} milik {by_nip.username}, tetapi username {username} milik pegawai lain.")
    user = by_nip or by_username
    if user is None and cells.get("email"):
        # Someone already in the office under this address (an account made before their NIP was known) is that person.
        by_email = office.by_email.get(clean_email(cells["email"]) or "")
        if by_email is not None and (nip is None or by_email.nip in (None, nip)):
            user = by_email
    if user is None and username is not None and username in office.usernames:
        r.fail("username", f"Username {username} sudah dipakai akun lain.")
    if user is not None and not user.is_active:
        r.fail("nip" if by_nip else "username", f"Akun {user.username} ({user.full_name}) nonaktif. Aktifkan kembali dulu bila ia masih bekerja di kantor ini.")
    r.user = user
    values: dict[str, Any] = {}
    if nip is not None:
        values["nip"] = nip
    name = re.sub(r"\s+", " ", cells.get("nama", ""))
    if name:
        if len(name) > 200:
            r.fail("nama", "Nama paling banyak 200 karakter.")
        else:
            values["full_name"] = name
    elif user is None:
        r.fail("nama", "Nama wajib diisi untuk pegawai baru.")
    position = re.sub(r"\s+", " ", cells.get("jabatan", ""))
    if position:
        if len(position) > 200:
            r.fail("jabatan", "Jabatan paling banyak 200 karakter.")
        else:
            values["position"] = position
    if cells.get("unit"):
        unit = office.unit(cells["unit"])
        if unit is None:
            r.fail("unit", f"Unit '{cells['unit'][:60]}' tidak ada (atau tidak aktif) di kantor ini; tulis kode atau nama unitnya.")
        else:
            values["unit"] = unit
    elif user is None:
        r.fail("unit", "Unit wajib diisi untuk pegawai baru.")
    if cells.get("email"):
        email = clean_email(cells["email"])
        if email is None:
            r.fail("email", f"Email '{cells['email'][:60]}' tidak valid.")
        elif email in seen_email:
            r.fail("email", f"Email {email} sudah ada di baris {seen_email[email]}.")
        else:
            seen_email[email] = r.row
            holder = office.emails.get(email)
            if holder is not None and (user is None or holder != user.id):
                r.fail("email", f"Email {email} sudah dipakai akun lain.")
            values["email"] = email
    elif user is None:
        r.fail("email", "Email wajib diisi untuk pegawai baru: dengan email itu ia membuat kata sandinya.")
    if cells.get("telepon"):
        phone = clean_staff_phone(cells["telepon"])
        if phone is None:
            r.fail("telepon", f"Nomor telepon/HP '{cells['telepon'][:30]}' tidak valid.")
        else:
            values["phone"] = phone
    if cells.get("peran"):
        roles, problem = _roles(cells["peran"], office.role_names)
        if problem:
            r.fail("peran", problem)
        elif roles is not None:
            if user is not None and user.id == scope.actor.id and ADMIN_ROLE in user.role_names and ADMIN_ROLE not in roles:
                r.fail("peran", "Impor tidak dapat mencabut peran administrator dari akun Anda sendiri.")
            values["roles"] = roles
    elif user is None:
        values["roles"] = ["pegawai"]
    if cells.get("atasan"):
        r.supervisor_ref = cells["atasan"].strip()
    r.values = values
    r.username = user.username if user else username


def _resolve_supervisors(rows: list[Row], office: _Office) -> None:
    """Each row's supervisor: someone of the office, or the person of another row (by NIP or username). A row whose
    supervisor row is skipped, or that would close a circle of supervisors, is skipped too (in the file's order)."""
    row_by_nip = {r.values["nip"]: r for r in rows if r.ok and r.values.get("nip")}
    row_by_username = {r.username: r for r in rows if r.ok and r.username}
    for r in rows:
        if not r.ok or r.supervisor_ref is None:
            continue
        ref = r.supervisor_ref
        nip = clean_nip(ref)
        target_row = row_by_nip.get(nip) if nip else row_by_username.get(ref.lower())
        target_user = (office.by_nip.get(nip) if nip else office.by_username.get(ref.lower()))
        if target_row is not None and target_row is not r:
            r.supervisor_row = target_row
        elif target_row is r or (target_user is not None and r.user is not None and target_user.id == r.user.id):
            r.fail("atasan", "Pegawai tidak dapat menjadi atasan dirinya sendiri.")
        elif target_user is not None and target_user.is_active:
            r.supervisor_user = target_user
        else:
            r.fail("atasan", f"Atasan '{ref[:40]}' tidak ditemukan di antara pegawai aktif kantor ini maupun baris lain berkas ini.")
    changed = True
    while changed:
        changed = False
        for r in rows:
            if r.ok and r.supervisor_row is not None and not r.supervisor_row.ok:
                r.fail("atasan", f"Atasan pada baris {r.supervisor_row.row} tidak dapat diimpor (lihat galat baris itu).")
                changed = True
        # Circles: the office's current supervisors, with the file's changes applied one row at a time.
        links: dict[object, object] = {u.id: u.supervisor_id for u in office.by_id.values() if u.supervisor_id}
        for r in rows:
            if not r.ok:
                continue
            me: object = r.user.id if r.user is not None else ("row", r.row)
            target: object | None = None
            if r.supervisor_row is not None:
                target = r.supervisor_row.user.id if r.supervisor_row.user is not None else ("row", r.supervisor_row.row)
            elif r.supervisor_user is not None:
                target = r.supervisor_user.id
            if target is None:
                continue
            walker: object | None = target
            seen: set[object] = set()
            while walker is not None and walker not in seen and walker != me:
                seen.add(walker)
                walker = links.get(walker)
            if walker == me:
                r.fail("atasan", "Atasan ini berada di bawah pegawai tersebut (langsung atau melalui atasan lain): atasan tidak boleh melingkar.")
                changed = True
                continue
            links[me] = target


def _decide(r: Row) -> None:
    """create, update (with the fields that change) or unchanged, for a row without errors."""
    if not r.ok:
        return
    if r.user is None:
        r.action = "create"
        r.changes = [COLUMN_OF[f] for f in ("nip", "full_name", "position", "unit", "email", "phone", "roles") if r.values.get(f)]
        return
    u = r.user
    current = {"nip": u.nip, "full_name": u.full_name, "position": u.position, "email": (u.email or "").lower() or None, "phone": u.phone,
               "unit": u.unit_id, "roles": sorted(x.role for x in u.roles), "supervisor": u.supervisor_id}
    wanted = {k: (v.id if isinstance(v, Unit) else v) for k, v in r.values.items()}
    changes = [COLUMN_OF[k] for k, v in wanted.items() if current.get(k) != v]
    if r.supervisor_user is not None and r.supervisor_user.id != u.supervisor_id:
        changes.append("atasan")
    if r.supervisor_row is not None:
        target = r.supervisor_row.user
        if target is None or target.id != u.supervisor_id:
            changes.append("atasan")
    r.changes = changes
    r.action = "update" if changes else "unchanged"


async def _plan(session: AsyncSession, scope: AdminScope, parsed: ParsedFile) -> _Office:
    office = await _read_office(session, scope, parsed)
    seen_nip: dict[str, int] = {}
    seen_username: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    for r in parsed.rows:
        _check_row(r, office, seen_nip, seen_username, seen_email)
    # New accounts' usernames: as written, else from the e-mail; unique across the installation and the file.
    taken = set(office.usernames) | {r.username for r in parsed.rows if r.username}
    for r in parsed.rows:
        if r.ok and r.user is None and r.username is None:
            r.username = derive_username(r.values.get("email"), r.values.get("full_name", ""), taken)
    _resolve_supervisors(parsed.rows, office)
    for r in parsed.rows:
        _decide(r)
    return office


def _summary(parsed: ParsedFile, *, dry_run: bool, applied: bool) -> dict[str, Any]:
    rows = parsed.rows
    errors = [e for r in rows for e in r.errors]
    return {
        "dry_run": dry_run, "applied": applied, "mode": MODE,
        "created": sum(r.action == "create" for r in rows), "updated": sum(r.action == "update" for r in rows),
        "unchanged": sum(r.action == "unchanged" for r in rows), "skipped": sum(r.action == "error" for r in rows),
        "total_rows": len(rows), "columns": parsed.columns, "errors": errors[:MAX_ERRORS_SHOWN], "errors_total": len(errors),
        "rows": [{"row": r.row, "action": r.action, "username": r.username, "full_name": r.values.get("full_name") or (r.user.full_name if r.user else
                  r.cells.get("nama") or None), "nip": r.values.get("nip") or r.cells.get("nip") or None, "changes": r.changes,
                  "errors": [{"field": e["field"], "message": e["message"]} for e in r.errors]} for r in rows],
    }


async def import_staff(session: AsyncSession, *, scope: AdminScope, data: bytes, file_name: str = "", dry_run: bool = True) -> dict[str, Any]:
    """Reads the file and reports what it does; without `dry_run`, applies its good rows (one transaction, holding the
    office, so what was checked is what is written)."""
    parsed = read_csv(data)
    if dry_run:
        await _plan(session, scope, parsed)
        await session.commit()
        return _summary(parsed, dry_run=True, applied=False)
    await _hold_office(session, scope)
    office = await _plan(session, scope, parsed)
    reason = f"Impor CSV {file_name[:120]}".strip()
    hashed = unusable_password_hash()
    made: dict[int, User] = {}
    for r in parsed.rows:
        if r.action != "create" or r.username is None:
            continue
        unit = r.values["unit"]
        new_user = User(username=r.username, full_name=r.values["full_name"], email=r.values["email"], phone=r.values.get("phone"),
                        nip=r.values.get("nip"), position=r.values.get("position"), unit_id=unit.id, office_id=scope.office.id, kind="staff",
                        is_active=True, password_hash=hashed, roles=[UserRole(role=role) for role in r.values.get("roles", ["pegawai"])])
        session.add(new_user)
        made[r.row] = new_user
    await session.flush()
    for r in parsed.rows:
        if r.action not in ("create", "update"):
            continue
        target = made.get(r.row) or r.user
        if target is None:
            continue
        user = target
        supervisor: User | None = None
        if r.supervisor_row is not None:
            supervisor = made.get(r.supervisor_row.row) or r.supervisor_row.user
        elif r.supervisor_user is not None:
            supervisor = r.supervisor_user
        if r.action == "create":
            if supervisor is not None:
                user.supervisor_id = supervisor.id
            record(session, scope, action="user.create", target=f"user:{user.username}", before=None,
                   after={**_user_state(user, r.values["unit"], supervisor), "roles": r.values.get("roles", ["pegawai"]),
                          "password": "dibuat pegawai sendiri lewat tautan email"}, reason=reason)
            continue
        old_supervisor = office.by_id.get(user.supervisor_id) if user.supervisor_id else None
        before = _user_state(user, user.unit, old_supervisor)
        for name in ("nip", "full_name", "position", "email", "phone"):
            if name in r.values:
                setattr(user, name, r.values[name])
        if "unit" in r.values:
            user.unit_id = r.values["unit"].id
            user.unit = r.values["unit"]
        if supervisor is not None:
            user.supervisor_id = supervisor.id
        roles_after = before["roles"]
        if "roles" in r.values:
            held, wanted = {x.role for x in user.roles}, set(r.values["roles"])
            if held != wanted:
                user.roles = [x for x in user.roles if x.role in wanted] + [UserRole(role=role) for role in sorted(wanted - held)]
                if held - wanted and user.id != scope.actor.id:
                    await revoke_sessions(session, user)
            roles_after = sorted(wanted)
        after = {**_user_state(user, user.unit, supervisor or old_supervisor), "roles": roles_after}
        changed = [k for k in after if before.get(k) != after.get(k)]
        record(session, scope, action="user.update", target=f"user:{user.username}", before={k: before[k] for k in changed},
               after={k: after[k] for k in changed}, reason=reason)
    result = _summary(parsed, dry_run=False, applied=True)
    record(session, scope, action="user.import", target=f"office:{scope.office.code}", before=None,
           after={"file": file_name[:120] or None, "rows": result["total_rows"], "created": result["created"], "updated": result["updated"],
                  "unchanged": result["unchanged"], "skipped": result["skipped"]})
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("Data pegawai berubah saat impor berjalan (mis. email yang sama baru saja dipakai akun lain). Tidak ada yang "
                       "diubah; jalankan pratinjau lalu impor ulang.", code="import_conflict") from None
    return result

