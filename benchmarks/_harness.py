"""Shared benchmark harness: warm-up + median of repeats, peak memory, the machine, and RESULTS.md sections.

Every benchmark script times its calls with :func:`measure` and writes its own section of
``benchmarks/RESULTS.md`` with :class:`Report` (between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->`` markers, so re-running one script replaces only its own section).

Timing: one untimed warm-up call (imports, compilation, caches), then ``repeats`` timed calls
(wall clock, ``time.perf_counter``); the median is reported, with the min and max.

Memory: the resident set size of this process is sampled every 10 ms by a thread while each call
runs (``/proc/self/statm``); the figure is the largest increase over the RSS just before the call,
over all calls. It counts everything the call touches (NumPy buffers, C extensions, compiled
code), not only Python objects; it can understate a call that reuses memory a previous call freed
but the allocator kept.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Current resident set size of this process, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class _RssSampler:
    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.base = rss_bytes()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def increase(self) -> int:
        return self.peak - self.base


@dataclass
class Measurement:
    """The timings of one benchmarked call and its last return value."""

    label: str
    times: list[float]
    peak_increase: int  # bytes
    value: Any = field(default=None, repr=False)
    warmup: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mib(self) -> float:
        return self.peak_increase / 2**20

    def spread(self) -> str:
        return f"{min(self.times):.3g}–{max(self.times):.3g}"


def measure(fn: Callable[[], Any], label: str = "", repeats: int = 3, warmup: bool = True, verbose: bool = True) -> Measurement:
    """Call ``fn`` once untimed (if ``warmup``), then ``repeats`` times timed; median wall time and peak RSS increase."""
    times: list[float] = []
    peak = 0
    value = None
    warm = None
    for i in range(repeats + (1 if warmup else 0)):
        with _RssSampler() as s:
            start = time.perf_counter()
            value = fn()
            elapsed = time.perf_counter() - start
        peak = max(peak, s.increase)
        if warmup and i == 0:
            warm = elapsed
        else:
            times.append(elapsed)
        if verbose:
            kind = "warm-up" if warmup and i == 0 else f"run {len(times)}/{repeats}"
            print(f"  {label}: {kind} {elapsed:.3f} s, peak RSS +{s.increase / 2**20:.0f} MiB", flush=True)
    return Measurement(label, times, peak, value, warm)


# --------------------------------------------------------------------------- the machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Report:
    """One script's section of RESULTS.md: the machine, the versions, the load, and its tables."""

    name: str  # script stem: the section markers use it
    title: str
    packages: Sequence[str] = ("numpy", "pandas", "scipy")
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_start: str = field(default_factory=load)
    body: list[str] = field(default_factory=list)

    def add(self, text: str = "") -> None:
        self.body.append(text)
        print(text, flush=True)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        self.add("\n".join(lines))
        self.add()

    def machine(self) -> str:
        versions = ", ".join(f"{p} {version(p)}" for p in self.packages)
        return (
            f"Machine: {os.cpu_count()} cores ({_cpu_model()}), {_ram_gib():.0f} GiB RAM, {platform.system()} "
            f"{platform.machine()}; Python {platform.python_version()}; {versions}.  \n"
            f"Run {self.started:%Y-%m-%d %H:%M} UTC, `{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}`; "
            f"load average (1 / 5 / 15 min) at start {self.load_start}, at end {load()} "
            f"(the machine has {os.cpu_count()} cores: a 1-minute load above that means other work shared the CPU "
            f"and the times are inflated — re-run on a quiet machine before quoting them)."
        )

    def text(self) -> str:
        return "\n".join([f"## {self.title}", "", self.machine(), "", *self.body]).rstrip() + "\n"

    def write(self, path: Path = RESULTS) -> None:
        """Replace (or append) this script's section of RESULTS.md."""
        tag = os.environ.get("BENCH_TAG", "")  # BENCH_TAG=rerun writes a separate section NAME-rerun, keeping NAME
        name = f"{self.name}-{tag}" if tag else self.name
        start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
        text = self.text().replace(f"## {self.title}", f"## {self.title} ({tag})", 1) if tag else self.text()
        block = f"{start}\n{text}{end}"
        old = path.read_text() if path.exists() else "# Benchmark results\n"
        if start in old and end in old:
            head, rest = old.split(start, 1)
            new = head + block + rest.split(end, 1)[1]
        else:
            new = old.rstrip() + "\n\n" + block + "\n"
        path.write_text(new)
        print(f"wrote the {name} section of {path}", flush=True)


def ratio(a: float, b: float) -> str:
    """``a / b`` as ``1.23×``."""
    return f"{a / b:.2f}×" if b > 0 else "n/a"


def secs(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"
