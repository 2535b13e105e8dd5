"""Peak memory of one analysis for pathological signals (SPEC §4 "Memory for every signal").

    python bench/signal_memory.py                # 120 s of each signal, 48 kHz stereo 24-bit
    python bench/signal_memory.py --seconds 480  # longer: the figure must not grow with the length

Writes each signal as a WAV file, then analyses it in a fresh child process and
prints the growth of that process's peak resident set (VmHWM after the imports and
after the analysis), beside the same figure for music-like noise of the same length.
Signals: ±full scale at Nyquist, a full-scale square wave, full-scale DC, isolated
full-scale clicks, denormal floats, and alternating silence / full scale. Figures
only: nothing is asserted (``tests/analysis/test_signal_memory.py`` checks a short
file loosely).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from amt.utils.process import tune_process  # isort: skip

import numpy as np
import soundfile as sf
from _common import rss_growth

SAMPLE_RATE = 48000
CHANNELS = 2


def nyquist(frames: int) -> np.ndarray:
    """±full scale alternating every sample (the Nyquist frequency)."""
    return np.where(np.arange(frames) % 2 == 0, 1.0, -1.0)


def square(frames: int) -> np.ndarray:
    """Full-scale 1 kHz square wave."""
    return np.where((np.arange(frames) * 1000 // SAMPLE_RATE) % 2 == 0, 1.0, -1.0)


def dc(frames: int) -> np.ndarray:
    """Full-scale DC."""
    return np.ones(frames)


def clicks(frames: int) -> np.ndarray:
    """A single full-scale sample every 10 ms over silence."""
    x = np.zeros(frames)
    x[:: SAMPLE_RATE // 100] = 1.0
    return x


def denormals(frames: int) -> np.ndarray:
    """Subnormal float32 values (±1e-40), written as 32-bit float."""
    return np.where(np.arange(frames) % 2 == 0, 1e-40, -1e-40)


def silence_full_scale(frames: int) -> np.ndarray:
    """Alternating samples of silence and full scale."""
    return np.where(np.arange(frames) % 2 == 0, 0.0, 1.0)


def noise(frames: int) -> np.ndarray:
    """Seeded white noise at −20 dBFS RMS: the ordinary case to compare with."""
    return np.random.default_rng(0).standard_normal(frames) * 0.1


SIGNALS: dict[str, Callable[[int], np.ndarray]] = {
    "nyquist ±FS": nyquist,
    "square FS": square,
    "DC FS": dc,
    "clicks": clicks,
    "denormals": denormals,
    "silence/FS": silence_full_scale,
    "noise (ordinary)": noise,
}


def write_signal(path: Path, name: str, seconds: float) -> None:
    """Write ``seconds`` of signal ``name`` as a stereo WAV (24-bit PCM; 32-bit float for denormals)."""
    frames = int(seconds * SAMPLE_RATE)
    subtype = "FLOAT" if name == "denormals" else "PCM_24"
    with sf.SoundFile(path, "w", SAMPLE_RATE, CHANNELS, subtype=subtype) as f:
        step = SAMPLE_RATE * 10
        for start in range(0, frames, step):
            mono = SIGNALS[name](min(step, frames - start)).astype(np.float32 if subtype == "FLOAT" else np.float64)
            f.write(np.repeat(mono[:, None], CHANNELS, axis=1))


def main() -> int:
    tune_process()  # as the entry points `amt` and the API do: one BLAS thread, glibc heap kept
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    print(f"{args.seconds:g} s, {SAMPLE_RATE} Hz, {CHANNELS} channels: peak RSS growth of one analysis")
    with tempfile.TemporaryDirectory() as tmp:
        for name in SIGNALS:
            path = Path(tmp) / "signal.wav"
            write_signal(path, name, args.seconds)
            print(f"  {name:<18} {rss_growth(path) / 1e6:8.1f} MB", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
