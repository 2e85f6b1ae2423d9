"""Shared bench helpers: percentiles, the figure record, a pool of concurrent users, and the
CPU time and peak memory of child processes read from /proc (Linux)."""

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def figure(name: str, value: float | None, unit: str, *, baseline: float | None = None, ratio: float | None = None,
           target: str | None = None, met: bool | None = None, digits: int = 2) -> dict:
    """One row of var/bench/summary.json. `ratio` defaults to value/baseline."""
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    r = lambda v: None if v is None else round(v, digits)  # noqa: E731
    return {"name": name, "value": r(value), "unit": unit, "baseline": r(baseline), "ratio": None if ratio is None else round(ratio, 3),
            "target": target, "met": met}


async def run_pool(count: int, users: int, one: Callable[[int, int], Awaitable[object]]) -> list[float]:
    """Runs `one(i, u)` for i in range(count) with `users` concurrent users; returns each call's duration."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def user_loop(u: int) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            await one(i, u)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(user_loop(u) for u in range(users)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the comm field: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(fields[k]) for k in (11, 12, 13, 14)) / TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class CpuMeter:
    """CPU seconds used by a set of processes between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> "CpuMeter":
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}
        return self.used
