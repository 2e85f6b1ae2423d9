"""A throwaway PostgreSQL cluster for tests (numbering concurrency, the SQL read model).

    from tests.pgserver import ThrowawayPostgres, postgres_available

    if postgres_available():
        with ThrowawayPostgres() as pg:
            url = pg.url          # postgresql+asyncpg://postgres@127.0.0.1:<port>/satupintu

The cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a free high
port with trust authentication, and is tuned for speed, not durability (fsync off).
``initdb`` refuses to run as root, so as root every server command runs as the
``postgres`` user through ``runuser``.

Cleanup: ``stop()`` is idempotent; it is also registered with ``atexit``. Because the test
session may end with ``os._exit`` (atexit handlers do not run then), ``start()`` also
spawns a tiny watchdog process that stops the cluster and removes its directory as soon
as this process is gone, however it ended. Callers should still call ``stop()``.

No pytest import here: usable from conftest fixtures and from plain scripts.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresStartError", "ThrowawayPostgres", "find_pg_bin", "postgres_available"]

DATABASE = "satupintu"
SUPERUSER = "postgres"
HOST = "127.0.0.1"


class PostgresStartError(RuntimeError):
    """The throwaway cluster could not be created or started."""


def _version_key(bin_dir: str) -> tuple[int, ...]:
    version = Path(bin_dir).parent.name  # /usr/lib/postgresql/<version>/bin
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_pg_bin() -> Path | None:
    """Directory of the highest installed PostgreSQL server version, or None.

    ``SATUPINTU_PG_BIN`` overrides; then ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu);
    then ``initdb`` on PATH.
    """
    candidates: list[str] = []
    if os.environ.get("SATUPINTU_PG_BIN"):
        candidates.append(os.environ["SATUPINTU_PG_BIN"])
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        path = Path(candidate)
        if all(os.access(path / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def postgres_available() -> bool:
    """True when a throwaway cluster can be started here (server binaries found; as root,
    also ``runuser`` and the ``postgres`` system user)."""
    if find_pg_bin() is None:
        return False
    if _is_root():
        if shutil.which("runuser") is None:
            return False
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _client_env() -> dict[str, str]:
    # PG* variables of the caller (PGHOST, PGDATABASE, PGPASSWORD, ...) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


# Runs in a separate session; blocks on a pipe whose write end only the test process
# holds. EOF means the test process has gone (normally or not): stop the cluster if it
# is still running and remove its directory.
_WATCHDOG = r"""
import os, shutil, subprocess, sys
prefix_len = int(sys.argv[1])
prefix = sys.argv[2:2 + prefix_len]
pg_ctl, data_dir, base_dir = sys.argv[2 + prefix_len:]
try:
    sys.stdin.buffer.read()
except BaseException:
    pass
if os.path.exists(os.path.join(data_dir, "postmaster.pid")):
    subprocess.run(prefix + [pg_ctl, "stop", "-D", data_dir, "-m", "immediate", "-w", "-t", "30"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=base_dir)
shutil.rmtree(base_dir, ignore_errors=True)
"""


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary directory.

    Attributes after ``start()``: ``port``, ``host``, ``url`` (database ``satupintu``),
    ``admin_url`` (database ``postgres``), ``base_dir``, ``data_dir``, ``bin_dir``.
    """

    def __init__(self, *, watchdog: bool = True, start_timeout: float = 30.0) -> None:
        self.host = HOST
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.data_dir: Path | None = None
        self.bin_dir: Path | None = None
        self.log_file: Path | None = None
        self._watchdog_enabled = watchdog
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._start_timeout = start_timeout
        self._running = False

    # -- URLs -------------------------------------------------------------------------

    def url_for(self, database: str = DATABASE, driver: str = "postgresql+asyncpg") -> str:
        if self.port is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        """SQLAlchemy async URL of the ``satupintu`` database."""
        return self.url_for(DATABASE)

    @property
    def admin_url(self) -> str:
        """SQLAlchemy async URL of the ``postgres`` maintenance database."""
        return self.url_for("postgres")

    def dsn(self, database: str = DATABASE) -> str:
        """Plain libpq/asyncpg DSN, e.g. for ``asyncpg.connect``."""
        return self.url_for(database, driver="postgresql")

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> str:
        """Create and start the cluster plus a ``satupintu`` database; return its URL
        (``postgresql+asyncpg://postgres@127.0.0.1:<port>/satupintu``)."""
        if self._running:
            return self.url
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise PostgresStartError("PostgreSQL server binaries not found (run scripts/install-system-deps.sh)")
        self.bin_dir = bin_dir
        self.base_dir = Path(tempfile.mkdtemp(prefix="satupintu-pg-"))
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "postgres.log"
        atexit.register(self.stop)
        try:
            if _is_root():
                self._make_accessible_to_postgres()
            self._initdb()
            self._spawn_watchdog()
            last_error: Exception | None = None
            for _attempt in range(3):  # another process may grab the free port in between
                self.port = _free_port()
                try:
                    self._configure()
                    self._pg_ctl_start()
                    break
                except PostgresStartError as exc:
                    last_error = exc
            else:
                raise last_error or PostgresStartError("could not start PostgreSQL")
            self._running = True
            self._wait_ready()
            self._run_client(["createdb", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, DATABASE])
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop the cluster (``pg_ctl stop -m immediate``) and remove its directory. Idempotent."""
        base_dir, data_dir = self.base_dir, self.data_dir
        if base_dir is None:
            return
        try:
            if data_dir is not None and (data_dir / "postmaster.pid").exists():
                result = subprocess.run(
                    self._as_postgres([str(self.bin_dir / "pg_ctl"), "stop", "-D", str(data_dir),
                                       "-m", "immediate", "-w", "-t", "30"]),
                    cwd=base_dir, env=_client_env(), capture_output=True, timeout=60,
                )
                if result.returncode != 0:
                    self._kill_postmaster(data_dir)
        except (OSError, subprocess.SubprocessError):
            if data_dir is not None:
                self._kill_postmaster(data_dir)
        finally:
            shutil.rmtree(base_dir, ignore_errors=True)
            self.base_dir = None
            self.data_dir = None
            self._running = False
            self._close_watchdog()
            try:
                atexit.unregister(self.stop)
            except Exception:
                pass

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])  # type: ignore[union-attr]
        except (OSError, AttributeError):
            return ""

    # -- internals ----------------------------------------------------------------------

    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if _is_root() else argv

    def _make_accessible_to_postgres(self) -> None:
        assert self.base_dir is not None
        shutil.chown(self.base_dir, user="postgres", group="postgres")
        os.chmod(self.base_dir, 0o700)
        probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(self.base_dir)],
                               capture_output=True)
        if probe.returncode != 0:
            # TMPDIR is somewhere the postgres user cannot reach (e.g. under /root): use /tmp.
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = Path(tempfile.mkdtemp(prefix="satupintu-pg-", dir="/tmp"))
            self.data_dir = self.base_dir / "data"
            self.log_file = self.base_dir / "postgres.log"
            shutil.chown(self.base_dir, user="postgres", group="postgres")
            os.chmod(self.base_dir, 0o700)

    def _run(self, argv: list[str], what: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(argv, cwd=self.base_dir, env=_client_env(), capture_output=True,
                                    text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PostgresStartError(f"{what} timed out\n{self.log_tail()}") from exc
        if result.returncode != 0:
            raise PostgresStartError(
                f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{self.log_tail()}"
            )
        return result

    def _initdb(self) -> None:
        assert self.bin_dir is not None and self.data_dir is not None
        self._run(
            self._as_postgres([
                str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER,
                "-E", "UTF8", "--locale=C", "--no-sync",
            ]),
            "initdb",
        )

    def _configure(self) -> None:
        assert self.data_dir is not None and self.base_dir is not None
        settings = {
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base_dir}'",
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
        }
        # postgresql.auto.conf is read last, so the values below win; rewritten on each attempt.
        auto_conf = self.data_dir / "postgresql.auto.conf"
        auto_conf.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        if _is_root():
            shutil.chown(auto_conf, user="postgres", group="postgres")

    def _pg_ctl_start(self) -> None:
        assert self.bin_dir is not None and self.data_dir is not None and self.log_file is not None
        self._run(
            self._as_postgres([
                str(self.bin_dir / "pg_ctl"), "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                "-w", "-t", str(int(self._start_timeout)),
            ]),
            "pg_ctl start",
            timeout=self._start_timeout + 30,
        )

    def _wait_ready(self) -> None:
        assert self.bin_dir is not None
        pg_isready = self.bin_dir / "pg_isready"
        deadline = time.monotonic() + self._start_timeout
        while True:
            if pg_isready.exists():
                ok = subprocess.run([str(pg_isready), "-q", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER,
                                     "-d", "postgres"], env=_client_env()).returncode == 0
            else:
                try:
                    socket.create_connection((self.host, self.port), timeout=1).close()
                    ok = True
                except OSError:
                    ok = False
            if ok:
                return
            if time.monotonic() > deadline:
                raise PostgresStartError(f"PostgreSQL did not accept connections\n{self.log_tail()}")
            time.sleep(0.05)

    def _run_client(self, argv: list[str]) -> None:
        assert self.bin_dir is not None
        self._run([str(self.bin_dir / argv[0]), *argv[1:]], argv[0])

    def _spawn_watchdog(self) -> None:
        if not self._watchdog_enabled:
            return
        assert self.bin_dir is not None and self.data_dir is not None and self.base_dir is not None
        prefix = self._as_postgres([])
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(len(prefix)), *prefix,
             str(self.bin_dir / "pg_ctl"), str(self.data_dir), str(self.base_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives a Ctrl-C / kill of the test's process group
            cwd="/",
        )

    def _close_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        try:
            watchdog.stdin.close()  # type: ignore[union-attr]  # EOF: nothing left to do, it exits
            watchdog.wait(timeout=10)
        except Exception:
            pass

    @staticmethod
    def _kill_postmaster(data_dir: Path) -> None:
        try:
            pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)  # children exit when the postmaster is gone
        except (OSError, ValueError, IndexError):
            pass


@contextlib.asynccontextmanager
async def demo_postgres():
    """A throwaway cluster with SatuPintu's schema and the demo organisation, for a test that must see what
    PostgreSQL does (locks, plans, constraints): yields (engine, sessionmaker)."""
    from cli.seed import seed_demo
    from store.db import create_schema, make_engine, make_sessionmaker
    from tests.conftest import _DEMO_HASH

    with ThrowawayPostgres() as pg:
        engine = make_engine(pg.url)
        try:
            await create_schema(engine)
            sessionmaker = make_sessionmaker(engine)
            async with sessionmaker() as session:
                await seed_demo(session, _DEMO_HASH)
            yield engine, sessionmaker
        finally:
            await engine.dispose()
