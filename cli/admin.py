"""`satupintu create-admin`: the first administrator of a fresh install (the database made by `satupintu init-db
--no-seed`, which holds no account), or another one later.

    satupintu create-admin --username NAME --email ADDR [--full-name NAME] [--password-stdin]

The password is typed at a prompt (twice), or read from the first line of stdin with --password-stdin (for
scripts: `printf '%s\\n' "$PASSWORD" | satupintu create-admin … --password-stdin`). It is never an argument: a
command line is visible to every user of the host in the process list and stays in the shell's history. Nothing
prints or logs it. Exit status: 0 created, 1 refused (the reason in Bahasa on stderr), 2 bad arguments.
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
                     description="Membuat akun administrator (peran admin). Kata sandi diketik di prompt atau dikirim lewat stdin.")
    parser.add_argument("--username", required=True, help="nama pengguna untuk masuk")
    parser.add_argument("--email", required=True, help="alamat email akun")
    parser.add_argument("--full-name", default="Administrator SatuPintu", help="nama yang ditampilkan")
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
        password = _read_password(args.password_stdin, stdin)
        asyncio.run(create_admin(settings, username=username, email=email, full_name=args.full_name.strip() or username,
                                 password=password))
    except _Refused as refusal:
        print(f"satupintu create-admin: {refusal}", file=sys.stderr)
        return REFUSED
    print(f"Administrator '{username}' dibuat. Masuk di {settings.public_base_url.rstrip('/')}/masuk dengan nama pengguna "
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


async def create_admin(settings: Settings, *, username: str, email: str, full_name: str, password: str) -> None:
    """Adds the account with the role admin; refuses a username or an email address already taken."""
    from sqlalchemy import func, select  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from sqlalchemy.exc import DBAPIError, IntegrityError  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted

    from gateway.security import hash_password  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from store.db import make_engine, make_sessionmaker  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted
    from store.models import User, UserRole  # noqa: PLC0415 - the database stack loads once the arguments and the password are accepted

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
            session.add(User(username=username, full_name=full_name, email=email, kind="staff", password_hash=hash_password(password),
                             roles=[UserRole(role=ADMIN_ROLE)]))
            try:
                await session.commit()
            except IntegrityError as exc:  # made at the same moment by someone else
                raise _Refused(f"Nama pengguna '{username}' atau email {email} sudah dipakai.") from exc
    finally:
        await engine.dispose()
