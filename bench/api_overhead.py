"""What the HTTP path adds to an analysis: ``POST /api/analyze`` over a real uvicorn against in-process analysis.

Writes a seeded 5-minute track (44.1 kHz stereo 16-bit WAV, 53 MB: kick, bass and noise hats in
intro / drop / break / drop / outro sections), starts the real server (uvicorn, SQLite in a temporary
APP_HOME, as ``tests/helpers.run_server``) and prints the least of ``--repeats`` interleaved runs of:

- in process, ``measure_file`` (decode + engine), with the process tuning the entry points make;
- in process, ``analyze_and_store`` (the whole workflow: decode, engine, sections, features,
  recommendations, one transaction into SQLite) — what the POST runs besides HTTP;
- over HTTP, ``POST /api/analyze`` as a client sees it: upload, the workflow, the JSON answer;

and the ratio of the POST to the in-process analysis (SPEC §9; the goal is at most 1.15×), as wall
time and as CPU time (this process's, or the server process's from ``/proc/PID/stat``: all threads),
which a busy machine disturbs much less. Figures only; nothing is asserted. Run from the repository root:
``.venv/bin/python bench/api_overhead.py [--seconds 300] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

BACKEND_DIR = Path(__file__).resolve().parents[1] / "backend"
sys.path[:0] = [str(BACKEND_DIR), str(BACKEND_DIR / "tests")]

from amt.api.database import init_db, make_engine, make_sessionmaker  # noqa: E402
from amt.api.services.analysis import analyze_and_store, measure_file  # noqa: E402
from amt.utils.process import tune_process  # noqa: E402
from helpers import run_server  # noqa: E402

SAMPLE_RATE = 44100
BPM = 128.0
SECTIONS = (("intro", 0.15, 0.25), ("drop", 0.30, 1.0), ("break", 0.15, 0.2), ("drop", 0.30, 1.0), ("outro", 0.10, 0.3))
"""(name, share of the length, level) of the track's parts."""
LABELS = (
    "in process, measure_file (decode + engine)",
    "in process, analyze_and_store (workflow)",
    "POST /api/analyze over uvicorn (server CPU)",
)


def track(seconds: float) -> np.ndarray:
    """A seeded dance-like track, shape (frames, 2), float32 within ±1."""
    rng = np.random.default_rng(11)
    n = round(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    beat = (t * BPM / 60.0) % 1.0
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-beat * 30)) * t) * np.exp(-beat * 8)
    bass = 0.4 * np.sin(2 * np.pi * 55 * t) * (beat > 0.5)
    hats = rng.standard_normal(n) * np.exp(-((t * BPM / 30.0) % 1.0) * 40) * 0.15
    level = np.concatenate([np.full(round(share * n), lvl) for _, share, lvl in SECTIONS])
    level = np.pad(level, (0, max(0, n - level.size)), mode="edge")[:n]
    left = (0.5 * kick + bass + hats) * level
    right = (0.5 * kick + bass + np.roll(hats, 441)) * level
    x = np.stack([left, right], axis=1)
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system, every thread) used so far by this process, or by process ``pid``."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (proc(5) fields 14, 15)


def timed(fn: Callable[[], object], pid: int | None = None) -> tuple[float, float]:
    """Wall time and CPU time (of this process, or of process ``pid``) of one call of ``fn`` (seconds)."""
    cpu, start = cpu_s(pid), time.perf_counter()
    fn()
    return time.perf_counter() - start, cpu_s(pid) - cpu


def main() -> int:
    tune_process()  # as the server does at its start: one BLAS thread, glibc heap kept
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amt-overhead-") as tmp:
        folder = Path(tmp)
        path = folder / "track.wav"
        sf.write(path, track(args.seconds), SAMPLE_RATE, subtype="PCM_16")
        size_mb = path.stat().st_size / 1e6
        print(f"{args.seconds:g} s, {SAMPLE_RATE} Hz stereo 16-bit WAV ({size_mb:.0f} MB)")

        engine = make_engine(f"sqlite:///{folder / 'inprocess.db'}")
        init_db(engine)
        factory = make_sessionmaker(engine)

        def store() -> None:
            analyze_and_store(
                factory, path, filename="track.wav", genre="techno", level=None, stage=None, max_duration_s=None
            )

        with run_server(folder / "home") as server, server.client(timeout=600) as client:

            def post() -> None:
                with path.open("rb") as f:
                    response = client.post(
                        "/api/analyze", files={"file": ("track.wav", f, "audio/wav")}, data={"genre": "techno"}
                    )
                response.raise_for_status()

            for warm_up in (lambda: measure_file(path), store, post):  # first-call imports and caches, both sides
                warm_up()
            runs: dict[str, list[tuple[float, float]]] = {label: [] for label in LABELS}
            for _ in range(args.repeats):  # interleaved, so that a busy moment of the machine hits all three
                runs[LABELS[0]].append(timed(lambda: measure_file(path)))
                runs[LABELS[1]].append(timed(store))
                runs[LABELS[2]].append(timed(post, pid=server.process.pid))
        engine.dispose()

    base = {stat: min(r[i] for r in runs[LABELS[0]]) for i, stat in enumerate(("wall", "cpu"))}
    print(f"  {'':44} {'wall':>8} {'ratio':>7}  {'CPU':>8} {'ratio':>7}   (the least of {args.repeats} runs)")
    for label in LABELS:
        wall, cpu = min(r[0] for r in runs[label]), min(r[1] for r in runs[label])
        print(f"  {label:44} {wall:7.3f}s {wall / base['wall']:6.2f}×  {cpu:7.3f}s {cpu / base['cpu']:6.2f}×")
    print("  (goal: the POST within 1.15× the in-process analysis)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
