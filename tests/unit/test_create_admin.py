"""`satupintu create-admin` (issue 15, item 5): the first administrator of a fresh production install, whose database
`satupintu init-db --no-seed` made with no account in it. The password is typed at the terminal or given on stdin,
never as an argument, and never shown. Issue 17: that first account is the installation's administrator (no office);
`satupintu create-office CODE` makes an office from its office.yaml, and `create-admin --office CODE` its administrator."""

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cli.admin import create_admin_main
from gateway.app import create_app
from store.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEY, TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "Gerbang-Kota-2026"


@pytest.fixture
def production_env(tmp_path: Path) -> dict:
    """A fresh production install: an empty var dir, the schema made by `satupintu init-db --no-seed`, no account."""
    env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_DEV_MODE": "false", "SATUPINTU_SECRET_KEY": TEST_SECRET_KEY,
           "SATUPINTU_PAYLOAD_KEY": TEST_PAYLOAD_KEY, "SATUPINTU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'satupintu.db'}"}
    subprocess.run([sys.executable, "-m", "cli.main", "init-db", "--no-seed"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    return env


def _create_admin(env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "create-admin", *args], env=env, cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60)


async def _sign_in(env: dict, username: str, password: str, path: str = "/api/v1/auth/me") -> tuple[int, dict]:
    app = create_app(_settings_of(env))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.post("/api/v1/auth/login", json={"username": username, "password": password})
        if response.status_code != 200:
            return response.status_code, response.json()
        me = await http.get(path, headers={"Authorization": f"Bearer {response.json()['access_token']}"})
        return me.status_code, me.json()


async def test_create_admin_lets_the_first_administrator_into_a_fresh_install(production_env: dict) -> None:
    created = _create_admin(production_env, "--username", "admin.kota", "--email", "TI@Semarangkota.go.id", "--password-stdin",
                            stdin=ADMIN_PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "admin.kota" in created.stdout
    assert ADMIN_PASSWORD not in created.stdout + created.stderr
    status, me = await _sign_in(production_env, "admin.kota", ADMIN_PASSWORD)
    # No office named: the installation's administrator, above every office.
    assert status == 200 and me["username"] == "admin.kota" and me["roles"] == ["admin_instalasi"]
    # The email address signs in too (as written, whatever its case).
    assert (await _sign_in(production_env, "ti@semarangkota.go.id", ADMIN_PASSWORD))[0] == 200

    # The same username again is refused in Bahasa, and the account keeps its password.
    again = _create_admin(production_env, "--username", "admin.kota", "--email", "lain@semarangkota.go.id", "--password-stdin",
                          stdin="Kata-Sandi-Lain-9\n")
    assert again.returncode == 1 and "Nama pengguna 'admin.kota' sudah dipakai" in again.stderr
    assert (await _sign_in(production_env, "admin.kota", "Kata-Sandi-Lain-9"))[0] == 401


def _settings_of(env: dict) -> Settings:
    return Settings(var_dir=Path(env["SATUPINTU_VAR_DIR"]), database_url=env["SATUPINTU_DATABASE_URL"], dev_mode=False,
                    secret_key=TEST_SECRET_KEY, payload_key=TEST_PAYLOAD_KEY)


async def test_create_admin_refuses_a_weak_password_and_a_password_argument(production_env: dict, capsys: pytest.CaptureFixture) -> None:
    settings = _settings_of(production_env)

    async def create_admin(*args: str, stdin: str = "") -> tuple[int, str]:
        try:
            code = await asyncio.to_thread(create_admin_main, ["--username", "admin.kota", "--email", "ti@semarangkota.go.id", *args],
                                           settings=settings, stdin=io.StringIO(stdin))
        except SystemExit as exit_:
            code = exit_.code
        said = capsys.readouterr()
        return code, said.out + said.err

    code, said = await create_admin("--password-stdin", stdin="admin123\n")
    assert code == 1 and "Password minimal 8 karakter dan harus berisi huruf kapital, huruf kecil, dan angka." in said
    # A password on the command line is refused whichever way it is written, and never repeated in the output.
    for args in (["--password", ADMIN_PASSWORD], [f"--password={ADMIN_PASSWORD}"], ["--pass", ADMIN_PASSWORD], [ADMIN_PASSWORD]):
        code, said = await create_admin(*args)
        assert code != 0 and "Kata sandi tidak diterima sebagai argumen" in said, args
        assert ADMIN_PASSWORD not in said, args
    # Without --password-stdin, and no terminal to type it at, nothing is read from a pipe by surprise.
    code, said = await create_admin(stdin=ADMIN_PASSWORD + "\n")
    assert code == 1 and "--password-stdin" in said
    for username in ("admin.kota", "ti@semarangkota.go.id"):
        assert (await _sign_in(production_env, username, ADMIN_PASSWORD))[0] == 401


def _type_at_prompts(env: dict, args: list[str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Runs the real CLI on a terminal of its own (a pseudo-terminal it has as /dev/tty), typing each answer once
    its prompt is shown; returns the exit status and everything the terminal showed."""
    import fcntl
    import pty
    import select
    import termios

    master, slave = pty.openpty()

    def own_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "create-admin", *args], env=env, cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True, preexec_fn=own_terminal)
    os.close(slave)
    shown = b""

    def read(until: bytes | None) -> None:
        nonlocal shown
        while until is None or until not in shown:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"the terminal showed nothing more: {shown!r}"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the command has ended and closed the terminal
                chunk = b""
            if not chunk:
                assert until is None, f"no prompt {until!r}: {shown!r}"
                return
            shown += chunk

    try:
        for prompt, answer in answers:
            read(prompt.encode())
            shown = shown.replace(prompt.encode(), b"", 1)
            os.write(master, answer.encode() + b"\n")
        read(None)
        return proc.wait(60), shown.decode(errors="replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


async def test_create_admin_reads_the_password_at_the_terminal(production_env: dict) -> None:
    code, shown = await asyncio.to_thread(_type_at_prompts, production_env, ["--username", "admin.kota", "--email", "ti@semarangkota.go.id"],
                                          [("Kata sandi administrator:", ADMIN_PASSWORD), ("Ulangi kata sandi:", ADMIN_PASSWORD)])
    assert code == 0, shown
    assert ADMIN_PASSWORD not in shown  # not echoed as it is typed
    assert (await _sign_in(production_env, "admin.kota", ADMIN_PASSWORD))[0] == 200


def _cli(env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)


async def test_create_office_from_its_definitions_then_its_administrator(production_env: dict) -> None:
    # An office is made only from a definition the installation has (process_defs/offices/<code>/office.yaml).
    unknown = _cli(production_env, "create-office", "dinas-antah")
    assert unknown.returncode == 1 and "Kantor 'dinas-antah' tidak dikenal" in unknown.stderr and "dpmptsp" in unknown.stderr
    assert _cli(production_env, "create-office", "../etc").returncode == 1
    # Its administrator needs the office first.
    early = _cli(production_env, "create-admin", "--username", "admin.dpmptsp", "--email", "ti@dpmptsp.go.id", "--office", "dpmptsp",
                 "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert early.returncode == 1 and "Kantor 'dpmptsp' tidak ada" in early.stderr and "satupintu create-office dpmptsp" in early.stderr

    made = _cli(production_env, "create-office", "dpmptsp")
    assert made.returncode == 0, made.stderr
    assert "DPMPTSP" in made.stdout or "Penanaman Modal" in made.stdout
    again = _cli(production_env, "create-office", "dpmptsp")
    assert again.returncode == 1 and "sudah ada" in again.stderr

    admin = _cli(production_env, "create-admin", "--username", "admin.dpmptsp", "--email", "ti@dpmptsp.go.id", "--office", "dpmptsp",
                 "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert admin.returncode == 0, admin.stderr
    assert "Administrator kantor" in admin.stdout
    status, me = await _sign_in(production_env, "admin.dpmptsp", ADMIN_PASSWORD)
    assert status == 200 and me["roles"] == ["admin"]
    # The office administrator administers that office: its identity as office.yaml gave it.
    status, office = await _sign_in(production_env, "admin.dpmptsp", ADMIN_PASSWORD, "/api/v1/admin/office")
    assert status == 200 and office["code"] == "dpmptsp" and office["processes"] == ["permit", "complaint"]
    # Both commands are in the change record: the office at the installation's level, its administrator in the office's.
    installation = _cli(production_env, "create-admin", "--username", "admin.pusat", "--email", "ti@pusat.go.id", "--password-stdin",
                        stdin=ADMIN_PASSWORD + "\n")
    assert installation.returncode == 0, installation.stderr
    status, changes = await _sign_in(production_env, "admin.pusat", ADMIN_PASSWORD, "/api/v1/admin/changes")
    assert status == 200 and [(c["action"], c["target"]) for c in changes["items"]][-1] == ("office.create", "office:dpmptsp")
    status, changes = await _sign_in(production_env, "admin.pusat", ADMIN_PASSWORD, "/api/v1/admin/changes?office=dpmptsp")
    assert status == 200 and [(c["action"], c["target"]) for c in changes["items"]] == [("user.create", "user:admin.dpmptsp")]
