"""`make bench`: SatuPintu's figures, each against a baseline measured in the same run, printed as a
table and written to var/bench/summary.json ({"figures": [...], "run": {...}}).

  1. leave throughput via the gateway API and CPU per instance, vs the floor (bench/floor.py)
  2. decision round trip (POST /api/v1/tasks/{id}/decision) minus the floor's raw Update, at 1 and BENCH_USERS users
  3. start -> visible in the inbox under the load of (1), vs the floor's task-row latency
  4. inbox at scale (gateway/services/tasks.py inbox()) vs a bare indexed SELECT, SQLite and PostgreSQL
  5. letter register: numbers/s with 20 concurrent assigners, register checked gap- and duplicate-free
  6. permit render + PAdES signature vs render alone; golden histories replayed/s vs a trivial workflow
  7. peak RSS of worker and gateway at the end of (1), and its growth over a second run of (1) on the same processes
  8. a public page's p99 while BENCH_LOGIN_BURST (500) wrong-password sign-ins arrive at once, vs the page alone; and
     the burst's answers other than 401/429/503 (bench/logins.py)

Environment:
  BENCH_N      instances per throughput figure (default 200; the single-user runs use N/10, at least 10)
  BENCH_USERS  concurrent users for (1)-(3) (default 20)
  BENCH_SCALE  inbox sizes: "quick" = 10k and 100k open tasks (default), "full" adds 1M (takes long)
  BENCH_REPLAYS golden histories replayed for (6) (default 180; the issue asks ~1000, ~3 min here)
  BENCH_ONLY   comma-separated subset of: process, inbox, register, documents, logins (default: all)
  BENCH_LOGIN_BURST sign-ins sent at once for (8) (default 500)
  BENCH_OUT    where the JSON goes (default var/bench/summary.json)
  BENCH_PROFILE 1 (var/bench/profiles) or a directory: py-spy samples worker and gateway during (1); raw stacks and
               text summaries of the top costs are written there (bench/profile_summary.py)
  BENCH_DB     SatuPintu's database for (1)-(3), (7): "sqlite" (default, embedded) or "postgres" (throwaway cluster)
  BENCH_LEAVE_WAIT "result" (default): the end of a leave instance is its workflow result, as for the floor;
               "status": poll the gateway's status page every 10 ms (how figures were made before 2026-11-23)
"""


import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.table import table
from store.settings import PROJECT_ROOT

N = int(os.environ.get("BENCH_N", "200"))


USERS = int(os.environ.get("BENCH_USERS", "20"))


SCALE = os.environ.get("BENCH_SCALE", "quick")


ONLY = [s.strip() for s in os.environ.get("BENCH_ONLY", "process,inbox,register,documents,logins").split(",") if s.strip()]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "platform": platform.platform(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


async def main() -> int:
    started = time.perf_counter()
    run = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(), "N": N, "users": USERS,
           "scale": SCALE, "sections": ONLY}
    log(f"SatuPintu bench: N={N}, {USERS} users, scale={SCALE}, sections={','.join(ONLY)}")
    figures: list[dict] = []
    details: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="satupintu-bench-"))
    try:
        if "process" in ONLY:
            from bench.process import process_figures  # noqa: PLC0415 - a figure's module (and what it measures) loads only when that figure is asked for

            log("[1-3, 7] leave process vs floor")
            got, details["process"] = await process_figures(tmp / "process", n=N, users=USERS, log=log)
            figures += got
        if "inbox" in ONLY:
            from bench.inbox import inbox_figures  # noqa: PLC0415 - a figure's module (and what it measures) loads only when that figure is asked for

            log("[4] inbox at scale")
            got, details["inbox"] = await inbox_figures(tmp / "inbox", full=SCALE == "full", log=log)
            figures += got
        if "register" in ONLY:
            from bench.register import register_figures  # noqa: PLC0415 - a figure's module (and what it measures) loads only when that figure is asked for

            log("[5] letter register")
            got, details["register"] = await register_figures(tmp / "register", log=log)
            figures += got
        if "documents" in ONLY:
            from bench.documents import document_figures  # noqa: PLC0415 - a figure's module (and what it measures) loads only when that figure is asked for

            log("[6] documents and replay")
            got, details["documents"] = await document_figures(tmp / "documents", log=log)
            figures += got
        if "logins" in ONLY:
            from bench.logins import login_figures  # noqa: PLC0415 - a figure's module (and what it measures) loads only when that figure is asked for

            log("[8] a public page under a burst of bad sign-ins")
            got, details["logins"] = await login_figures(tmp / "logins", log=log)
            figures += got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    run["elapsed_s"] = round(time.perf_counter() - started, 1)
    run["details"] = details
    print(table(figures))
    written = Path(os.environ.get("BENCH_OUT") or PROJECT_ROOT / "var" / "bench" / "summary.json")
    written.parent.mkdir(parents=True, exist_ok=True)
    # The summary, written once every figure is taken.
    written.write_text(json.dumps({"figures": figures, "run": run}, indent=2, default=str))  # noqa: ASYNC240 - see above
    print(f"\n{len(figures)} figures, {sum(1 for f in figures if f['met'] is True)} targets met, "
          f"{sum(1 for f in figures if f['met'] is False)} missed; {run['elapsed_s']} s; written: {written}")
    return 0


if __name__ == "__main__":
    status = asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
