"""What the benchmarks share: peak resident memory of one analysis in a fresh process, and timing.

Import it after ``amt.analysis`` (whose ``__init__`` pins BLAS to one thread, which only works
before numpy is imported). Run as a script, it is the child of :func:`rss_growth`:
``python bench/_common.py FILE`` prints the peak-RSS growth of one full analysis of FILE.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

BACKEND_DIR = Path(__file__).resolve().parents[1] / "backend"

T = TypeVar("T")
R = TypeVar("R")


def max_rss_bytes() -> int:
    """Peak resident set of this process so far, bytes.

    Linux's VmHWM where there is one: ``ru_maxrss`` survives ``exec``, so in a child it
    starts at the parent's resident set at fork time and would hide the analysis.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def rss_growth(path: Path) -> int:
    """Peak-RSS growth (bytes) of one full analysis of ``path`` in a fresh child process.

    A child, because this process's peak already holds the earlier runs; the baseline is
    taken after the imports, so only the analysis itself is counted.
    """
    run = subprocess.run([sys.executable, __file__, str(path)], check=True, capture_output=True, text=True)
    return int(run.stdout.split()[-1])


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far, s (Linux ``/proc``; NaN elsewhere): what a request
    cost a server even when the machine is busy and the wall time waits for a core."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn``, s (the least disturbed run on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@dataclass(frozen=True)
class Timings:
    """Per-call wall time and this thread's CPU time, s (on a shared machine the CPU time is what a call costs
    when it has a core to itself; the wall time adds waiting for one)."""

    wall: list[float]
    cpu: list[float]

    def __str__(self) -> str:
        import numpy as np  # here, so that the child of rss_growth imports amt.analysis before numpy

        wall, cpu = np.array(self.wall) * 1e3, np.array(self.cpu) * 1e3
        return (
            f"median {np.median(wall):8.2f} ms   p95 {np.percentile(wall, 95):8.2f} ms   "
            f"(CPU median {np.median(cpu):7.2f} ms)"
        )


def time_each(fn: Callable[[T], object], args: Sequence[T]) -> Timings:
    """Time ``fn`` on each argument, after one warm-up call."""
    fn(args[0])
    wall, cpu = [], []
    for arg in args:
        w, c = time.perf_counter(), time.thread_time()
        fn(arg)
        wall.append(time.perf_counter() - w)
        cpu.append(time.thread_time() - c)
    return Timings(wall, cpu)


def time_repeated(fn: Callable[[], object], times: int) -> Timings:
    """Time ``times`` calls of ``fn`` (after one warm-up call)."""
    return time_each(lambda _: fn(), range(times))


def time_once(fn: Callable[[], R]) -> tuple[R, str]:
    """``fn()`` and its wall and CPU time, formatted."""
    w, c = time.perf_counter(), time.thread_time()
    result = fn()
    wall, cpu = time.perf_counter() - w, time.thread_time() - c
    return result, f"{wall * 1e3:8.0f} ms  (CPU {cpu * 1e3:6.0f} ms)"


def _rss_child(path: Path) -> int:
    """Child side of :func:`rss_growth`: print the peak-RSS growth of one analysis of ``path``."""
    sys.path.insert(0, str(BACKEND_DIR))
    from amt.api.services.analysis import measure_file

    before = max_rss_bytes()
    measure_file(path)
    print(max_rss_bytes() - before)
    return 0


if __name__ == "__main__":
    raise SystemExit(_rss_child(Path(sys.argv[1])))
