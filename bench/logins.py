"""Figure 8: a public page while a burst of wrong-password sign-ins arrives at once (issue 14, item 3).

The gateway runs as `satupintu gateway` runs it (its own process, uvicorn with the CLI's options) over a fresh SQLite
database, behind a "proxy" at 127.0.0.1 (forwarded_allow_ips), so that each made-up sign-in comes from its own
address, as a botnet's would, and no per-address limit turns them away before the password is hashed. BURST sign-ins
with made-up names are sent at once from a separate process; meanwhile this process asks a public page
(GET /api/v1/catalog) one request after another. Its p99 (and p50) is set against the same page asked with nothing
else going on, in the same run. Every answer to the burst is counted by status: 401 (hashed and refused), 429
(throttled), 503 (told at once that sign-in is busy) are what the gateway may say; any other 5xx (a database pool
timeout, a crash) is a failure of the figure.

Run alone: python -m bench.logins  (BENCH_LOGIN_BURST, default 500)
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.common import figure, free_port, pct

BURST = int(os.environ.get("BENCH_LOGIN_BURST", "500"))
PAGE = "/api/v1/catalog"
IDLE_SAMPLES = 200
TARGET_P99_MS = 1000.0
ALLOWED_5XX = {503}


async def _prepare_database(url: str) -> None:
    from cli.seed import DEMO_PASSWORD, seed_demo  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack
    from gateway.security import hash_password  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack
    from store.db import create_schema, make_engine, make_sessionmaker  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack

    engine = make_engine(url)
    await create_schema(engine)
    async with make_sessionmaker(engine)() as session:
        await seed_demo(session, hash_password(DEMO_PASSWORD))
    await engine.dispose()


def _start_gateway(tmp: Path, db_url: str, port: int) -> subprocess.Popen:
    from bench.process import die_with_parent  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack

    env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp), "SATUPINTU_DATABASE_URL": db_url,
           # No Temporal is needed for sign-in or the catalog; a port nobody listens on.
           "SATUPINTU_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
           "SATUPINTU_FORWARDED_ALLOW_IPS": "127.0.0.1", "SATUPINTU_TRACES_EXPORTER": "", "SATUPINTU_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "gateway", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)


async def _wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the gateway exited with {proc.returncode}")
        try:
            if (await client.get(PAGE)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the gateway did not answer")


async def _probe(client: httpx.AsyncClient, latencies: list[float], errors: Counter, until: Callable[[], bool]) -> None:
    """One request after another until `until()` says stop."""
    while not until():
        started = time.perf_counter()
        try:
            response = await client.get(PAGE)
            if response.status_code != 200:
                errors[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
        latencies.append(time.perf_counter() - started)


async def burst(base_url: str, count: int) -> dict:
    """The attacker's side (run in its own process): `count` wrong-password sign-ins at once, each from its own address."""
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    statuses: Counter = Counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=180, limits=limits) as client:
        async def one(i: int) -> None:
            address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"
            try:
                response = await client.post("/api/v1/auth/login", headers={"X-Forwarded-For": address},
                                             json={"username": f"tidak-ada-{i}@contoh.id", "password": "Salah12345"})
                statuses[str(response.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

        print("go", flush=True)
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return {"statuses": dict(statuses), "elapsed_s": round(time.perf_counter() - started, 2)}


async def login_figures(tmp: Path, *, log: Callable[[str], object] = print, count: int = BURST) -> tuple[list[dict], dict]:
    tmp.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a folder made before anything is measured, nothing else on the loop yet
    db_url = f"sqlite+aiosqlite:///{tmp / 'satupintu.db'}"
    await _prepare_database(db_url)
    port = free_port()
    gateway = _start_gateway(tmp, db_url, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=180) as client:
            await _wait_ready(client, gateway)
            for _ in range(20):  # warm-up
                await client.get(PAGE)
            idle: list[float] = []
            idle_errors: Counter = Counter()
            await _probe(client, idle, idle_errors, lambda: len(idle) >= IDLE_SAMPLES)

            log(f"  {count} wrong-password sign-ins at once, {PAGE} asked meanwhile")
            attacker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.logins", "--burst", base_url, str(count), stdout=asyncio.subprocess.PIPE)
            attacker_out = attacker.stdout
            if attacker_out is None:  # not reached: stdout=PIPE
                raise RuntimeError("the attacker has no stdout")
            assert (await attacker_out.readline()).strip() == b"go"
            loaded: list[float] = []
            loaded_errors: Counter = Counter()
            done = asyncio.Event()

            async def wait_attacker() -> bytes:
                out = await attacker_out.read()
                await attacker.wait()
                done.set()
                return out

            waiting = asyncio.create_task(wait_attacker())
            await _probe(client, loaded, loaded_errors, done.is_set)
            result = json.loads((await waiting).decode().strip().splitlines()[-1])
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gateway.kill()

    statuses = result["statuses"]

    def failures(counts: dict, allowed: set[int]) -> int:
        # A status code >= 500 that is not allowed, or no answer at all (a timeout, a dropped connection).
        return sum(n for s, n in counts.items() if not s.isdigit() or (int(s) >= 500 and int(s) not in allowed))

    other_5xx = failures(statuses, ALLOWED_5XX) + failures(dict(loaded_errors), set())
    p99, p50 = pct(loaded, 99) * 1000, pct(loaded, 50) * 1000
    idle_p99, idle_p50 = pct(idle, 99) * 1000, pct(idle, 50) * 1000
    met = p99 < TARGET_P99_MS and other_5xx == 0
    figures = [
        figure(f"8. public page p99 under {count} bad sign-ins", p99, "ms", baseline=idle_p99,
               target=f"< {TARGET_P99_MS:.0f} ms", met=p99 < TARGET_P99_MS, digits=1),
        figure(f"8. public page p50 under {count} bad sign-ins", p50, "ms", baseline=idle_p50, digits=1),
        figure(f"8. 5xx (not 503) or no answer, {count} sign-ins", other_5xx, "answers", target="0", met=other_5xx == 0, digits=0),
    ]
    details = {"burst": count, "page": PAGE, "statuses": statuses, "burst_elapsed_s": result["elapsed_s"],
               "page_samples": {"idle": len(idle), "during_burst": len(loaded)},
               "page_errors": {"idle": dict(idle_errors), "during_burst": dict(loaded_errors)},
               "page_max_ms": round(max(loaded, default=0) * 1000, 1), "met": met}
    log(f"    {details}")
    return figures, details


def _main() -> int:
    if sys.argv[1:2] == ["--burst"]:
        print(json.dumps(asyncio.run(burst(sys.argv[2], int(sys.argv[3])))), flush=True)
        return 0
    import shutil  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack
    import tempfile  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack

    from bench.table import table  # noqa: PLC0415 - `python -m bench.logins --burst` (the attacker) starts without the gateway's stack

    tmp = Path(tempfile.mkdtemp(prefix="satupintu-bench-logins-"))
    try:
        figures, details = asyncio.run(login_figures(tmp, log=lambda m: print(m, file=sys.stderr, flush=True)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(figures))
    print(json.dumps(details, indent=2))
    return 0


if __name__ == "__main__":
    status = _main()
    sys.stdout.flush()
    os._exit(status)
