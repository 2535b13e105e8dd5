"""Catalogue throughput (SPEC §10): a folder of real-length files on 1, 2 and 4 local workers.

    python bench/catalogue.py                      # 8 files of 3.5 minutes, 1, 2 and 4 workers
    python bench/catalogue.py --files 4 --minutes 3 --workers 1 2

Renders music-like 48 kHz stereo 24-bit WAVs (kick, bass, a chord, noise hats; each file its
own tempo, key and level; no audio is shipped), then analyses the whole folder through the
same path as ``amt analyze FOLDER --workers N`` (``amt.api.services.catalogue``: jobs on
local worker processes, results to this client; one worker runs in this process), once per
worker count. Prints per run: wall time (forking the workers included; the fork server that
imports the engine once per run is started first and timed on its own), files/s, × real
time, the speed-up over the first row, the jobs' CPU seconds per file (what a file costs
whatever else runs: equal across rows when parallel running adds no work), and each worker's
peak resident set (getrusage, as the worker reports it with each result). More workers than
cores is a simulation of a bigger machine on this one: they share the cores. On a machine
that other jobs keep busy, more processes also win a bigger share of it, which inflates the
speed-up: the load average is printed before and after.
Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

# analysis first: its __init__ pins BLAS to one thread, which only works before numpy is imported.
import amt.analysis  # noqa: F401  # isort: skip

import numpy as np
import soundfile as sf

from amt.api.services.catalogue import Measured, MeasureOptions, local_workers, open_pool, run_jobs

SAMPLE_RATE = 48000
CHUNK_S = 30


def render(path: Path, index: int, minutes: float) -> None:
    """A track written 30 s at a time (bounded memory): 120–140 BPM kick and bass, a chord, noise hats."""
    rng = np.random.default_rng(index)
    bpm = 120 + 20 * rng.random()
    root_hz = 55.0 * 2 ** (rng.integers(0, 12) / 12)
    level = 0.25 + 0.2 * rng.random()
    total = round(minutes * 60 * SAMPLE_RATE)
    with sf.SoundFile(str(path), "w", SAMPLE_RATE, 2, subtype="PCM_24", format="WAV") as out:
        for start in range(0, total, CHUNK_S * SAMPLE_RATE):
            n = min(CHUNK_S * SAMPLE_RATE, total - start)
            t = (start + np.arange(n)) / SAMPLE_RATE
            beat = 60 / bpm
            phase = (t % beat) / beat
            kick = np.sin(2 * np.pi * (45 + 80 * np.exp(-phase * 30)) * t) * np.exp(-phase * 10)
            bass = 0.4 * np.sin(2 * np.pi * root_hz * t) * (1 - np.exp(-phase * 20))
            chord = sum(0.08 * np.sin(2 * np.pi * root_hz * 4 * r * t) for r in (1.0, 1.26, 1.5))
            hats = np.diff(rng.standard_normal(n + 1)) * 0.05 * np.exp(-((t % (beat / 2)) / (beat / 2)) * 25)
            mono = level * (kick + bass + chord + hats)
            side = 0.05 * rng.standard_normal(n) * level
            out.write(np.stack([mono + side, mono - side], axis=1).astype(np.float32))


def load() -> str:
    """The 1, 5 and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(files: list[Path], workers: int) -> dict[str, float]:
    """One pass over the folder; wall time, audio seconds, and the peak RSS (MB) of each worker."""
    options = MeasureOptions(target=None, level="suggestive", stage="master", max_duration_s=None)
    peaks: dict[str, float] = {}
    audio_s = cpu_s = 0.0
    started = time.perf_counter()
    with open_pool(workers=workers) as pool:
        for outcome in run_jobs(pool, files, options):
            if not isinstance(outcome, Measured):
                raise SystemExit(f"{outcome.path.name}: {outcome}")
            audio_s += outcome.result.audio.duration_s
            cpu_s += outcome.cpu_s
            peaks[outcome.worker] = max(peaks.get(outcome.worker, 0.0), outcome.peak_rss_mb)
    wall = time.perf_counter() - started
    return {"wall": wall, "audio": audio_s, "cpu": cpu_s, **{f"rss:{k}": v for k, v in peaks.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=3.5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    cores = local_workers()
    with tempfile.TemporaryDirectory(prefix="amt-catalogue-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = [folder / f"track{i:02d}.wav" for i in range(args.files)]
        for i, path in enumerate(files):
            render(path, i, args.minutes)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        print(
            f"{args.files} files × {args.minutes:g} min, 48 kHz stereo 24-bit ({size_mb:.0f} MB), rendered in "
            f"{time.perf_counter() - started:.1f} s; {cores} cores; load average {load()}"
        )
        # The fork server imports the engine once per run of ``amt analyze``; start it (and a short job) before
        # timing, so the rows compare throughput, and say what it cost.
        warm = folder / "warm-up.wav"
        render(warm, 99, 1 / 60)
        warm_s = run([warm], max(2, *args.workers))["wall"]
        print(f"starting the fork server and a 1 s job: {warm_s:.1f} s (once per run, not in the rows below)")
        print(
            f"{'workers':>8} {'wall s':>8} {'files/s':>8} {'× real time':>12} {'speed-up':>9} {'CPU s/file':>11}  "
            "peak RSS per worker"
        )
        base = None
        for n in args.workers:
            figures = run(files, n)
            wall, audio = figures["wall"], figures["audio"]
            base = base or wall
            rss = sorted(v for k, v in figures.items() if k.startswith("rss:"))
            note = f"  (simulated: {n} workers on {cores} cores)" if n > cores else ""
            print(
                f"{n:>8} {wall:>8.1f} {args.files / wall:>8.2f} {audio / wall:>11.0f}× {base / wall:>8.2f}× "
                f"{figures['cpu'] / args.files:>11.2f}  " + ", ".join(f"{v:.0f} MB" for v in rss) + note
            )
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
