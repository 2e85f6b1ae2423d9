"""`satupintu audit …`: replay runs against the current code, and export a run's history with a signed report.

    satupintu audit replay --workflow-id ID
    satupintu audit replay --process NAME --since YYYY-MM-DD
    satupintu audit export ID [--out DIR]

Exit status: 0 every run replays (or the export is written), 1 a run does not replay, 2 bad arguments, nothing
found, or Temporal unreachable. `run_audit` returns the status instead of exiting, so tests call it in process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn, TextIO

from temporalio.client import Client

from audit.history import RunNotFound
from audit.replay import replay_runs
from audit.report import export_run
from process_defs.processes import BY_NAME
from store.db import make_engine, make_sessionmaker
from store.settings import Settings, get_settings
from store.temporal import connect

OK, NOT_DETERMINISTIC, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="satupintu audit", description="Audit riwayat proses: putar ulang dan ekspor.")
    sub = parser.add_subparsers(dest="action", required=True, parser_class=_Parser)
    replay = sub.add_parser("replay", help="putar ulang riwayat run terhadap kode saat ini")
    replay.add_argument("--workflow-id", help="satu run (run terakhir dari workflow id ini)")
    replay.add_argument("--process", help="semua run dari satu proses: " + ", ".join(BY_NAME))
    replay.add_argument("--since", help="dengan --process: run yang dimulai sejak tanggal ini (YYYY-MM-DD, zona waktu kantor)")
    export = sub.add_parser("export", help="riwayat (JSON) dan laporan audit (PDF bertanda tangan) dari satu run")
    export.add_argument("workflow_id")
    export.add_argument("--out", type=Path, default=Path("."), help="folder tujuan (bawaan: folder saat ini)")
    return parser


def safe_file_stem(workflow_id: str) -> str:
    """A workflow id as a file name: path separators and other odd characters become '_'."""
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in workflow_id).lstrip(".") or "run"


async def _connect(client: Client | None) -> Client:
    if client is not None:
        return client
    return await connect(get_settings())


async def _replay(args: argparse.Namespace, client: Client | None, out: TextIO) -> int:
    if bool(args.workflow_id) == bool(args.process):
        print("Sebutkan --workflow-id ID, atau --process NAMA --since YYYY-MM-DD (salah satu).", file=out)
        return USAGE
    since = None
    if args.process:
        if args.process not in BY_NAME:
            print(f"Proses '{args.process}' tidak dikenal. Pilihan: {', '.join(BY_NAME)}.", file=out)
            return USAGE
        if not args.since:
            print("Dengan --process, sebutkan juga --since YYYY-MM-DD.", file=out)
            return USAGE
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            print(f"Tanggal --since '{args.since}' tidak valid; gunakan format YYYY-MM-DD.", file=out)
            return USAGE
    try:
        client = await _connect(client)
        outcomes = await replay_runs(client, workflow_id=args.workflow_id, process=args.process, since=since)
    except RunNotFound:
        print(f"Run dengan workflow id '{args.workflow_id}' tidak ditemukan di Temporal.", file=out)
        return USAGE
    except Exception as exc:  # noqa: BLE001 - connection refused, RPC unavailable: the operator needs the reason
        print(f"Temporal tidak dapat dihubungi: {exc}", file=out)
        return USAGE
    if not outcomes:
        print(f"Tidak ada run proses '{args.process}' yang dimulai sejak {args.since}.", file=out)
        return USAGE
    for o in outcomes:
        where = f"{o.workflow_id} ({o.workflow_type or '-'}, run {o.run_id or '-'}, {o.events} peristiwa)"
        if o.deterministic:
            print(f"OK     {where}: deterministik", file=out)
        else:
            error = (o.error or "").strip().replace("\n", " ")
            print(f"GAGAL  {where}: TIDAK deterministik — {error[:500]}", file=out)
    bad = sum(not o.deterministic for o in outcomes)
    print(f"Ringkasan: {len(outcomes)} run diputar ulang; {len(outcomes) - bad} deterministik, {bad} tidak deterministik.", file=out)
    return NOT_DETERMINISTIC if bad else OK


async def _export(args: argparse.Namespace, client: Client | None, settings: Settings | None, out: TextIO) -> int:
    settings = settings or get_settings()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"Folder tujuan '{args.out}' tidak dapat dibuat: {exc}", file=out)
        return USAGE
    engine = make_engine(settings.effective_database_url)
    try:
        client = await _connect(client)
        async with make_sessionmaker(engine)() as session:
            export = await export_run(client, args.workflow_id, settings=settings, session=session,
                                      generated_by="perintah satupintu audit export")
    except RunNotFound:
        print(f"Run dengan workflow id '{args.workflow_id}' tidak ditemukan di Temporal.", file=out)
        return USAGE
    except Exception as exc:  # noqa: BLE001 - a command: any failure is said in a line and exit status 2, not a traceback
        print(f"Ekspor gagal (Temporal tidak dapat dihubungi?): {exc}", file=out)
        return USAGE
    finally:
        await engine.dispose()
    stem = safe_file_stem(args.workflow_id)
    json_path, pdf_path = args.out / f"{stem}.history.json", args.out / f"{stem}.audit.pdf"
    json_path.write_bytes(export.history_json)
    pdf_path.write_bytes(export.pdf)
    facts = export.facts
    print(f"Riwayat: {json_path} ({facts.events} peristiwa)", file=out)
    print(f"Laporan audit bertanda tangan: {pdf_path} ({len(facts.decisions)} keputusan, {len(facts.numbers)} nomor, "
          f"{len(facts.documents)} dokumen)", file=out)
    return OK


async def run_audit(argv: list[str], *, client: Client | None = None, settings: Settings | None = None, out: TextIO | None = None) -> int:
    """Runs one audit command; returns its exit status. `client` and `settings` default to those of the environment."""
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(str(exc), file=out)
        return USAGE
    except SystemExit as exc:  # --help
        return OK if not exc.code else USAGE
    if args.action == "replay":
        return await _replay(args, client, out)
    return await _export(args, client, settings, out)


def audit_main(argv: list[str]) -> int:
    return asyncio.run(run_audit(argv))
