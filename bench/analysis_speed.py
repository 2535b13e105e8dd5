"""Analysis speed and memory against reading the file and against ffmpeg's ebur128 scan.

    python bench/analysis_speed.py                 # 5-minute 44.1 kHz stereo 16-bit file
    python bench/analysis_speed.py --minutes 60    # the long-file check (bounded memory)
    python bench/analysis_speed.py --archetypes    # five loud, limited 60 s masters, each against ffmpeg

Renders music-like content (kick, snare, hats, bass, a noise pad, sections), writes
it as a 16-bit WAV, then times in one process: decoding alone, the full analysis
(every SPEC §4 metric and time series), and ``ffmpeg -af ebur128=peak=true`` on the
same file when ffmpeg is installed. Prints seconds, ratios, × real time and two
memory figures relative to the decoded float32 audio: the peak Python-heap memory of
the analysis (numpy buffers included, via tracemalloc), and the growth of the peak
resident set of a fresh child process that runs one analysis (peak RSS after the
imports and after the analysis: VmHWM, or ``ru_maxrss`` where /proc is missing),
which also counts memory allocated outside Python's allocator (libsndfile,
pocketfft, BLAS). Figures only: nothing is asserted.

``--archetypes`` renders five built-in genre archetypes (60 s, limited near 0 dBTP:
crests near the ceiling on every beat, the true-peak search's hard case) as 24-bit
WAV and prints, per file, the full analysis against ffmpeg's scan (best of
``--repeat`` each) and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from amt.analysis import decode  # isort: skip
from amt.utils.process import tune_process  # isort: skip

import numpy as np
import soundfile as sf
from _common import best_of, rss_growth

from amt.api.services.analysis import measure_file

SAMPLE_RATE = 44100
CHUNK_S = 60
LOUD_ARCHETYPES = (("Drum & Bass", 1), ("Dubstep", 3), ("House", 3), ("Psytrance", 4), ("Techno", 3))
"""Built-in references (genre, variant) whose masters are limited hardest."""


def render_chunk(index: int, seconds: int, rng: np.random.Generator) -> np.ndarray:
    """One minute of a 128 BPM track: kick, snare, hats, bass, pad; louder in even minutes."""
    n = seconds * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    beat = 60 / 128
    phase = (t % beat) / beat
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-phase * 30)) * t) * np.exp(-phase * 12)
    bar_phase = (t % (2 * beat)) / (2 * beat)
    snare = rng.normal(0, 1, n) * np.exp(-np.abs(bar_phase - 0.5) * 60) * 0.5
    hat_phase = (t % (beat / 2)) / (beat / 2)
    hats = np.diff(rng.normal(0, 1, n + 1)) * np.exp(-hat_phase * 80) * 0.15
    bass = np.sign(np.sin(2 * np.pi * 55 * t)) * 0.25 * (phase > 0.25)
    pad = np.convolve(rng.normal(0, 1, n), np.ones(32) / 32, mode="same") * 0.3
    mono = kick * 0.8 + snare + hats + bass + pad
    width = np.convolve(rng.normal(0, 1, n), np.ones(8) / 8, mode="same") * 0.1
    gain = 0.35 if index % 2 == 0 else 0.15
    stereo = np.stack([mono + width, mono - width], axis=1) * gain
    return np.tanh(stereo * 1.5).astype(np.float32)


def write_test_file(path: Path, minutes: float) -> None:
    """Write ``minutes`` of content as 44.1 kHz stereo 16-bit PCM, a minute at a time."""
    rng = np.random.default_rng(2026)
    total = round(minutes * 60)
    with sf.SoundFile(str(path), "w", SAMPLE_RATE, 2, subtype="PCM_16", format="WAV") as out:
        for i, start in enumerate(range(0, total, CHUNK_S)):
            out.write(render_chunk(i, min(CHUNK_S, total - start), rng))


def read_blocks(path: Path) -> None:
    """Read every block of the file as float32 (what decoding costs)."""
    for _block in decode.iter_blocks(path):
        pass


def time_ffmpeg(path: Path) -> float | None:
    """Seconds for ffmpeg's loudness-and-true-peak scan, or None without ffmpeg."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        return None
    start = time.perf_counter()
    subprocess.run(
        [exe, "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def archetype_figures(repeat: int) -> int:
    """Render :data:`LOUD_ARCHETYPES` as 24-bit WAV and print ours vs ffmpeg per file."""
    from amt.synth.archetypes import render_archetype

    has_ffmpeg = shutil.which("ffmpeg") is not None
    total_ours = total_ffmpeg = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for genre, variant in LOUD_ARCHETYPES:
            path = Path(tmp) / f"{genre.replace(' & ', 'n')}{variant}.wav"
            sf.write(str(path), render_archetype(genre, variant), SAMPLE_RATE, subtype="PCM_24")
            paths.append(path)
        os.sync()
        measure_file(paths[0])  # warm-up: imports, filter designs, the allocator's pages
        print("file              duration   analysis    ffmpeg   ratio   true peak")
        for path in paths:
            ours = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                result = measure_file(path)
                ours = min(ours, time.perf_counter() - start)
            total_ours += ours
            duration = result.audio.duration_s
            line = f"{path.stem:16s} {duration:6.1f} s  {ours:7.3f} s"
            if has_ffmpeg:
                theirs = min(time_ffmpeg(path) or float("nan") for _ in range(repeat))
                total_ffmpeg += theirs
                line += f"  {theirs:7.3f} s  {ours / theirs:5.2f}"
            else:
                line += "        –      –"
            print(f"{line}   {result.overall.true_peak_dbtp:+.2f} dBTP  ({duration / ours:.0f}× real time)")
    if has_ffmpeg:
        print(f"all five          {total_ours:17.3f} s  {total_ffmpeg:7.3f} s  {total_ours / total_ffmpeg:5.2f}")
    else:
        print("ffmpeg not installed (apt-get install ffmpeg to compare)")
    return 0


def main() -> int:
    """Run the benchmark and print its figures."""
    tune_process()  # as the entry points `amt` and the API do: one BLAS thread, glibc heap kept
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--archetypes", action="store_true", help="five loud 60 s genre archetypes against ffmpeg")
    args = parser.parse_args()
    if args.archetypes:
        return archetype_figures(args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.wav"
        write_test_file(path, args.minutes)
        os.sync()  # flush the freshly written file so kernel write-back does not compete with the timings
        info = decode.probe_wav(path)
        decoded_mb = info.frames * info.channels * 4 / 1e6
        decode_s = best_of(lambda: read_blocks(path), args.repeat)
        analysis_s = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = measure_file(path)
            analysis_s = min(analysis_s, time.perf_counter() - start)
        tracemalloc.start()
        measure_file(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = rss_growth(path)
        ffmpeg_s = (
            min((time_ffmpeg(path) or float("nan")) for _ in range(args.repeat)) if shutil.which("ffmpeg") else None
        )

    o = result.overall
    print(f"file: {args.minutes:g} min, {SAMPLE_RATE} Hz stereo 16-bit; decoded float32 = {decoded_mb:.1f} MB")
    print(f"result: {o.integrated_lufs:.2f} LUFS, LRA {o.loudness_range_lu:.2f} LU, TP {o.true_peak_dbtp:.2f} dBTP")
    print(f"decode only       {decode_s:8.3f} s")
    print(
        f"full analysis     {analysis_s:8.3f} s   {info.duration_s / analysis_s:7.0f}× real time   "
        f"{analysis_s / decode_s:5.1f}× decoding"
    )
    if ffmpeg_s is not None:
        print(f"ffmpeg ebur128    {ffmpeg_s:8.3f} s   analysis / ffmpeg = {analysis_s / ffmpeg_s:.2f} (target ≤ 1.0)")
    else:
        print("ffmpeg ebur128    not installed (apt-get install ffmpeg to compare)")
    print(f"peak memory       {peak / 1e6:8.1f} MB  = {peak / 1e6 / decoded_mb:.2f}× the decoded audio (target < 8×)"
          "  [Python heap, tracemalloc]")  # fmt: skip
    print(f"peak RSS growth   {rss / 1e6:8.1f} MB  = {rss / 1e6 / decoded_mb:.2f}× the decoded audio"
          "  [fresh process, peak RSS]")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
