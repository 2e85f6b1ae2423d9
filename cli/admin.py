"""`satupintu create-admin`: the first administrator of a fresh install (the database made by `satupintu init-db
--no-seed`, which holds no account), or another one later; and `satupintu create-office`, an office of the
installation made from its definitions.

    satupintu create-admin --username NAME --email ADDR [--full-name NAME] [--office CODE] [--password-stdin]
    satupintu create-office CODE

Without --office the account is an installation administrator (role admin_instalasi, in no office: it administers
every office, and creates their first administrators on the administration pages or with --office); with --office it
is that office's administrator (role admin). create-office makes the office row from
process_defs/offices/<CODE>/office.yaml (identity, calendar, processes offered); its administrators then edit it.

The password is typed at a prompt (twice), or read from the first line of stdin with --password-stdin (for
scripts: `printf '%s\\n' "$PASSWORD" | satupintu create-admin … --password-stdin`). It is never an argument: a
command line is visible to every user of the host in the process list and stays in the shell's history. Nothing
prints or logs it. Both commands record what they made in the change record (admin_change). Exit status: 0 created,
1 refused (the reason in Bahasa on stderr), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from typing import NoReturn, TextIO

from store.settings import Settings, get_settings

CREATED, REFUSED, USAGE = 0, 1, 2
ADMIN_ROLE = "admin"
INSTALLATION_ADMIN_ROLE = "admin_instalasi"
CLI_ACTOR = "satupintu (baris perintah)"
# Staff names: lower-case letters, digits, dot, dash and underscore, starting with a letter (an applicant's username
# is the 16 digits of the NIK, so a staff name can never be taken for one).
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,79}")

MSG_USERNAME = "Nama pengguna 3-80 karakter: huruf kecil, angka, titik, strip, atau garis bawah, diawali huruf."
MSG_EMAIL = "Email tidak valid."
MSG_PASSWORD_ARGUMENT = ("Kata sandi tidak diterima sebagai argumen (terlihat di daftar proses dan riwayat shell). Ketik di "
                         "prompt, atau kirim lewat stdin dengan --password-stdin.")
MSG_NO_TERMINAL = "Tidak ada terminal untuk mengetik kata sandi. Kirim kata sandi lewat stdin dengan --password-stdin."
MSG_MISMATCH = "Kedua kata sandi tidak sama. Tidak ada akun yang dibuat."
MSG_NO_SCHEMA = "Basis data belum disiapkan. Jalankan dulu: satupintu init-db --no-seed"
MSG_OFFICE_CODE = "Kode kantor 1-40 karakter: huruf kecil, angka, dan strip (mis. dpmptsp, kemenag-lamongan)."
_OFFICE_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class _Refused(Exception):
    """A refusal, said in Bahasa."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse repeats what it did not understand, and that may be a password typed as an argument.
        if message.startswith(("unrecognized arguments", "ambiguous option")):
            message = "argumen tidak dikenal (tidak ditampilkan, karena bisa berisi kata sandi). " + MSG_PASSWORD_ARGUMENT
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="satupintu create-admin", allow_abbrev=False,
                     description="Membuat akun administrator instalasi (peran admin_instalasi), atau administrator satu kantor dengan "
                                 "--office. Kata sandi diketik di prompt atau dikirim lewat stdin.")
    parser.add_argument("--username", required=True, help="nama pengguna untuk masuk")
    parser.add_argument("--email", required=True, help="alamat email akun")
    parser.add_argument("--full-name", default="Administrator SatuPintu", help="nama yang ditampilkan")
    parser.add_argument("--office", default=None, metavar="KODE", help="kode kantor: administrator kantor itu (peran admin)")
    parser.add_argument("--password-stdin", action="store_true", help="baca kata sandi dari baris pertama stdin")
    # Only so that a password given here is refused by name, without being repeated anywhere.
    parser.add_argument("--password", nargs="?", const="", default=None, help=argparse.SUPPRESS)
    return parser


def create_admin_main(argv: list[str], *, settings: Settings | None = None, stdin: TextIO | None = None) -> int:
    """The command; returns its exit status (argparse's own refusals raise SystemExit(USAGE))."""
    settings = settings or get_settings()
    stdin = stdin or sys.stdin
    args, unknown = _parser().parse_known_args(argv)
    try:
        if args.password is not None:
            raise _Refused(MSG_PASSWORD_ARGUMENT)
        if unknown:
            _parser().error("unrecognized arguments")
        username, email = args.username.strip(), _email(args.email)
        if not _USERNAME.fullmatch(username):
            raise _Refused(MSG_USERNAME)
        office = args.office.strip() if args.office is not None else None
        if office is not None and not _OFFICE_CODE.fullmatch(office):
            raise _Refused(MSG_OFFICE_CODE)
        password = _read_password(args.password_stdin, stdin)
        office_name = asyncio.run(create_admin(settings, username=username, email=email, full_name=args.full_name.strip() or username,
                                               password=password, office=office))
    except _Refused as refusal:
        print(f"satupintu create-admin: {refusal}", file=sys.stderr)
        return REFUSED
    what = f"Administrator kantor {office_name}" if office_name else "Administrator instalasi"
    print(f"{what} '{username}' dibuat. Masuk di {settings.public_base_url.rstrip('/')}/masuk dengan nama pengguna "
          "atau email ini.")
    return CREATED


def _email(raw: str) -> str:
    from gateway.services.applicants import clean_email  # noqa: PLC0415 - the one rule for an address

    email = clean_email(raw)
    if email is None:
        raise _Refused(MSG_EMAIL)
    return email


def _read_password(from_stdin: bool, stdin: TextIO) -> str:
    from gateway.services.applicants import password_problem  # noqa: PLC0415 - one strength rule for every account

    if from_stdin:
        password = stdin.readline().rstrip("\r\n")
    else:
        if not stdin.isatty():
            raise _Refused(MSG_NO_TERMINAL)
        password = getpass.getpass("Kata sandi administrator: ")
        if getpass.getpass("Ulangi kata sandi: ") != password:
            raise _Refused(MSG_MISMATCH)
    if problem := password_problem(password):
        raise _Refused(problem)
    return password


async def create_admin(settings: Settings, *, username: str, email: str, full_name: str, password: str, office: str | None = None) -> str | None:
    """Adds the account: an installation administrator (admin_instalasi, in no office), or with `office` that office's
    administrator (admin). Refuses a username or an email address already taken, and an office that does not exist.
    Returns the office's name (None for an installation administrator)."""
    from sqlalchemy import func, select  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from sqlalchemy.exc import DBAPIError, IntegrityError  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted

    from gateway.security import hash_password  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from store.db import make_engine, make_sessionmaker  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from store.models import AdminChange, Office, User, UserRole  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted

    engine = make_engine(settings.effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                taken = (await session.execute(
                    select(User.username, User.email).where((User.username == username) | (func.lower(User.email) == email)))).all()
            except DBAPIError as exc:  # no table: the schema was never made
                raise _Refused(MSG_NO_SCHEMA) from exc
            if any(name == username for name, _ in taken):
                raise _Refused(f"Nama pengguna '{username}' sudah dipakai. Pilih nama lain; create-admin tidak mengubah akun yang ada.")
            if taken:
                raise _Refused(f"Email {email} sudah dipakai akun lain. Gunakan alamat lain.")
            office_row = None
            if office is not None:
                office_row = await session.scalar(select(Office).where(Office.code == office))
                if office_row is None:
                    known = ", ".join(await session.scalars(select(Office.code).order_by(Office.code))) or "belum ada"
                    raise _Refused(f"Kantor '{office}' tidak ada. Kantor yang ada: {known}. Buat dulu dengan: satupintu create-office {office}")
            role = ADMIN_ROLE if office_row is not None else INSTALLATION_ADMIN_ROLE
            user = User(username=username, full_name=full_name, email=email, kind="staff", password_hash=hash_password(password),
                        office_id=office_row.id if office_row is not None else None, roles=[UserRole(role=role)])
            session.add(user)
            try:
                await session.flush()
            except IntegrityError as exc:  # made at the same moment by someone else
                raise _Refused(f"Nama pengguna '{username}' atau email {email} sudah dipakai.") from exc
            session.add(AdminChange(office_id=office_row.id if office_row is not None else None, actor_name=CLI_ACTOR, action="user.create",
                                    target=f"user:{username}", before=None,
                                    after={"username": username, "full_name": full_name, "email": email, "roles": [role], "is_active": True}))
            try:
                await session.commit()
            except IntegrityError as exc:  # made at the same moment by someone else
                raise _Refused(f"Nama pengguna '{username}' atau email {email} sudah dipakai.") from exc
            return office_row.name if office_row is not None else None
    finally:
        await engine.dispose()


# --- create-office -------------------------------------------------------------------------------------------------


def _office_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satupintu create-office", allow_abbrev=False,
                                     description="Membuat kantor dari process_defs/offices/<KODE>/office.yaml.")
    parser.add_argument("code", metavar="KODE", help="kode kantor, nama foldernya di process_defs/offices/")
    return parser


def create_office_main(argv: list[str], *, settings: Settings | None = None) -> int:
    """`satupintu create-office CODE`; returns its exit status (argparse's own refusals raise SystemExit(USAGE))."""
    settings = settings or get_settings()
    args = _office_parser().parse_args(argv)
    code = args.code.strip()
    try:
        name = asyncio.run(create_office(settings, code=code))
    except _Refused as refusal:
        print(f"satupintu create-office: {refusal}", file=sys.stderr)
        return REFUSED
    print(f"Kantor '{code}' ({name}) dibuat. Berikutnya: satupintu create-admin --office {code} --username … --email … untuk "
          "administrator kantornya.")
    return CREATED


async def create_office(settings: Settings, *, code: str) -> str:
    """Adds the office of process_defs/offices/<code>/office.yaml; refuses a code without one, and an office that exists."""
    from pydantic import ValidationError  # noqa: PLC0415 - the definitions load once the arguments are accepted
    from sqlalchemy import select  # noqa: PLC0415 - the database stack loads once the arguments are accepted
    from sqlalchemy.exc import DBAPIError, IntegrityError  # noqa: PLC0415 - the database stack loads once the arguments are accepted

    from process_defs.loader import load_office, office_codes, office_defs_dir, office_seed  # noqa: PLC0415 - the definitions load once the arguments are accepted
    from store.db import make_engine, make_sessionmaker  # noqa: PLC0415 - the database stack loads once the arguments are accepted
    from store.models import AdminChange, Office  # noqa: PLC0415 - the database stack loads once the arguments are accepted

    known = office_codes()
    if not _OFFICE_CODE.fullmatch(code) or code not in known:
        raise _Refused(f"Kantor '{code[:40]}' tidak dikenal: tidak ada process_defs/offices/{code[:40]}/office.yaml. "
                       f"Kode yang tersedia: {', '.join(known) or '(belum ada)'}. Untuk kantor baru, buat dulu folder dan office.yaml-nya "
                       "(contoh: process_defs/offices/dpmptsp/office.yaml).")
    try:
        seed = office_seed(load_office(office_defs_dir(code)))
    except (ValidationError, ValueError) as exc:
        raise _Refused(f"process_defs/offices/{code}/office.yaml tidak valid: {str(exc)[:500]}") from exc
    engine = make_engine(settings.effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                existing = await session.scalar(select(Office).where(Office.code == code))
            except DBAPIError as exc:
                raise _Refused(MSG_NO_SCHEMA) from exc
            if existing is not None:
                raise _Refused(f"Kantor '{code}' sudah ada ({existing.name}); create-office tidak mengubah kantor yang ada. Ubah "
                               "identitasnya di halaman Administrasi → Identitas Kantor.")
            office = Office(**seed)
            session.add(office)
            try:
                await session.flush()
            except IntegrityError as exc:
                raise _Refused(f"Kantor '{code}' (atau nomor WhatsApp-nya) sudah ada.") from exc
            session.add(AdminChange(office_id=None, actor_name=CLI_ACTOR, action="office.create", target=f"office:{code}", before=None,
                                    after={"code": code, "name": office.name, "processes": list(office.processes)}))
            await session.commit()
            return office.name
    finally:
        await engine.dispose()
