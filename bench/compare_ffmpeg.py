"""Our integrated loudness, LRA and true peak beside ffmpeg's ``ebur128=peak=true``.

    python bench/compare_ffmpeg.py FOLDER

For every ``*.wav`` in FOLDER (sorted), decodes it with ``analysis.decode`` and
analyses it with ``analysis.engine.analyze_blocks``, runs
``ffmpeg -af ebur128=peak=true`` on the same file, parses ffmpeg's summary from
stderr, and prints both and the differences (ours − ffmpeg). ffmpeg's true peak
is a 4× oversampled estimate, so ours (refined to the band-limited peak) may read
slightly higher; its LRA uses a histogram, so ±0.1 LU there is expected.
Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

# analysis is imported first (its __init__ pins BLAS to one thread, which only works before numpy).
from amt.analysis.decode import iter_blocks, probe_wav
from amt.analysis.engine import analyze_blocks
from amt.analysis.errors import AudioError


@dataclass(frozen=True)
class Figures:
    """Integrated loudness (LUFS), loudness range (LU), true peak (dBTP); None when undefined."""

    integrated_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    seconds: float


def ours(path: Path) -> Figures:
    """Decode + engine."""
    start = time.perf_counter()
    info = probe_wav(path)
    figures = analyze_blocks(iter_blocks(path), info).overall
    return Figures(figures.integrated_lufs, figures.loudness_range_lu, figures.true_peak_dbtp,
                   time.perf_counter() - start)  # fmt: skip


_SUMMARY = re.compile(
    r"Summary:.*?I:\s+(?P<i>-?[\d.]+|-inf|nan)\s+LUFS.*?LRA:\s+(?P<lra>-?[\d.]+|nan)\s+LU"
    r".*?Peak:\s+(?P<tp>-?[\d.]+|-inf|nan)\s+dBFS",
    re.DOTALL,
)


def _number(text: str) -> float | None:
    value = float(text)
    return value if value == value and abs(value) != float("inf") else None


def ffmpeg(path: Path, executable: str) -> Figures | None:
    """ffmpeg's ebur128 summary for one file; None when ffmpeg fails or prints no summary."""
    start = time.perf_counter()
    run = subprocess.run(
        [executable, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    matches = list(_SUMMARY.finditer(run.stderr))
    if run.returncode != 0 or not matches:
        return None
    m = matches[-1]
    return Figures(_number(m["i"]), _number(m["lra"]), _number(m["tp"]), elapsed)


def _fmt(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.2f}" if value is not None else f"{'—':>{width}}"


def _diff(a: float | None, b: float | None) -> str:
    return f"{a - b:+7.2f}" if a is not None and b is not None else f"{'—':>7}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="folder with .wav files")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() == ".wav")
    if not files:
        print(f"No .wav files in {args.folder}.")
        return 1
    executable = shutil.which("ffmpeg")
    if executable is None:
        print("ffmpeg is not installed (not on PATH): showing our figures only.")
        print("Install it (e.g. apt-get install ffmpeg) to compare.")
    header = f"{'file':<32} {'':>5} {'I LUFS':>7} {'LRA LU':>7} {'TP dBTP':>7} {'time s':>7}"
    print(header)
    print("-" * len(header))
    for path in files:
        name = path.name[:32]
        try:
            mine = ours(path)
        except AudioError as exc:
            print(f"{name:<32} refused: {exc.message}")
            continue
        print(f"{name:<32} {'ours':>5} {_fmt(mine.integrated_lufs)} {_fmt(mine.loudness_range_lu)} "
              f"{_fmt(mine.true_peak_dbtp)} {mine.seconds:7.2f}")  # fmt: skip
        if executable is None:
            continue
        theirs = ffmpeg(path, executable)
        if theirs is None:
            print(f"{'':<32} {'ffmpeg':>5} could not measure this file")
            continue
        print(f"{'':<32} {'ffm':>5} {_fmt(theirs.integrated_lufs)} {_fmt(theirs.loudness_range_lu)} "
              f"{_fmt(theirs.true_peak_dbtp)} {theirs.seconds:7.2f}")  # fmt: skip
        print(f"{'':<32} {'diff':>5} {_diff(mine.integrated_lufs, theirs.integrated_lufs)} "
              f"{_diff(mine.loudness_range_lu, theirs.loudness_range_lu)} "
              f"{_diff(mine.true_peak_dbtp, theirs.true_peak_dbtp)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
