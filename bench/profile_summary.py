"""Text summaries of py-spy's raw (collapsed-stack) profiles: where a process's samples went, by package of the
innermost frame, by function (self), and by function including callees. Used by bench/process.py under
BENCH_PROFILE; also runnable on saved files: python -m bench.profile_summary worker.raw.txt [...]."""

import linecache
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_SITE = re.compile(r"(?:site-packages|dist-packages)/(?P<rest>.+)$")
_STDLIB = re.compile(r"/lib/python3\.\d+/(?P<rest>.+)$")
_OURS = {"activities", "workflows", "store", "gateway", "workers", "cli", "bench", "audit", "process_defs"}


# A thread parked in one of these calls is waiting, not running. py-spy should leave such samples out, but here (in a
# container) it counts a thread blocked in a queue, a condition or epoll as active; the source line of the innermost
# frame tells them apart.
_WAITING = re.compile(r"\.(get|wait|select|acquire|poll|recv|recv_into|sleep|join)\(|\bselect\(")


@cache
def _source_line(file: str, line: int) -> str:
    for base in sys.path:
        candidate = Path(base or ".") / file
        if candidate.is_file():
            return linecache.getline(str(candidate), line)
    return linecache.getline(file, line) if Path(file).is_file() else ""


def waiting(frame: str) -> bool:
    m = _FRAME.match(frame)
    return bool(m and m.group("line") and _WAITING.search(_source_line(m.group("file"), int(m.group("line")))))


def parse(path: Path) -> Counter:
    """stack (tuple of frames, outermost first) -> samples."""
    stacks: Counter = Counter()
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if head and count.isdigit():
            frames = tuple(head.split(";"))
            if not waiting(frames[-1]):
                stacks[frames] += int(count)
    return stacks


def _where(frame: str) -> tuple[str, str]:
    """(function label "func (path/file.py)", package) of one frame. py-spy names files relative to their
    sys.path entry, so the first part of the path is the package (or the stdlib module)."""
    m = _FRAME.match(frame)
    if not m:
        return frame, frame
    func, file = m.group("func"), m.group("file")
    site, std = _SITE.search(file), _STDLIB.search(file)
    short = site.group("rest") if site else std.group("rest") if std else file.split("/work/main/", 1)[-1]
    parts = short.split("/")
    package = parts[0].removesuffix(".py")
    if package == "temporalio" and len(parts) > 2:
        # The SDK's parts cost differently: the workflow sandbox, the converter, the worker loop, the bridge to Rust.
        package = "temporalio." + "/".join(p.removesuffix(".py") for p in parts[1:3 if parts[1] == "worker" else 2])
    if package in _OURS:
        package = "satupintu:" + package
    return f"{func} ({short})", package


def summarise(stacks: Counter, *, top: int = 25) -> str:
    total = sum(stacks.values())
    if not total:
        return "no samples\n"
    by_package: Counter = Counter()
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    ours: Counter = Counter()  # innermost SatuPintu frame of each stack: which of our code paths the time is under
    for stack, count in stacks.items():
        places = [_where(f) for f in stack]
        label, package = places[-1]
        self_time[label] += count
        by_package[package] += count
        for seen in {p[0] for p in places}:
            inclusive[seen] += count
        own = [p[0] for p in places if p[1].startswith("satupintu:") and not p[1].startswith("satupintu:cli")]
        if own:
            ours[own[-1]] += count

    def block(title: str, counter: Counter) -> list[str]:
        lines = [f"{title}", f"{'share':>7} {'samples':>8}  where"]
        lines += [f"{100 * c / total:6.1f}% {c:8d}  {name}" for name, c in counter.most_common(top)]
        return lines + [""]

    out = [f"{total} samples (all threads; samples parked in a wait - queue, condition, epoll - left out)", ""]
    out += block("self time by package of the innermost frame", by_package)
    out += block("self time by function", self_time)
    out += block("inclusive time by function (with callees)", inclusive)
    out += block("inclusive time under SatuPintu's own innermost frame", ours)
    return "\n".join(out)


def write_summaries(raw: dict[str, Path], out_dir: Path, *, cpu_s: dict[str, float], n: int, users: int) -> None:
    total = sum(cpu_s.values()) or 1.0
    split = [f"CPU during the profiled leave run (N={n}, {users} users): {total:.2f} s, {1000 * total / n:.0f} ms per instance"]
    split += [f"  {name:8} {sec:7.2f} s  {100 * sec / total:5.1f}%  {1000 * sec / n:6.1f} ms/instance" for name, sec in cpu_s.items()]
    (out_dir / "cpu_split.txt").write_text("\n".join(split) + "\n")
    for name, path in raw.items():
        if path.exists():
            (out_dir / f"{name}.summary.txt").write_text(summarise(parse(path)))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"== {arg}")
        print(summarise(parse(Path(arg))))
