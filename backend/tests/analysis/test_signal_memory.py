"""SPEC §4 "Memory for every signal": peak memory depends on the block size, not on what the audio holds.

Each case writes 12 s of a pathological signal (48 kHz stereo 24-bit, one analysis
block) and analyses it in a fresh process, reading the growth of its peak resident
set (VmHWM). ``bench/signal_memory.py`` prints the same figure for 120 s of every
pathological signal (≈ 150–175 MB, as for plain noise). For 12 s it reads ≈ 100 MB
(Nyquist) and ≈ 75 MB (silence / full scale); the limit is twice that, 200 MB. Before
the clip runs and the true-peak intervals were bounded it read 346 and 249 MB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 48000
SECONDS = 12
LIMIT_BYTES = 200e6

_CHILD = """
import sys
from amt.utils.process import tune_process
from amt.api.services.analysis import measure_file

tune_process()  # as the entry points do

def hwm():
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

before = hwm()
result = measure_file(sys.argv[1])
print(hwm() - before, result.overall.clip_events)
"""


def _nyquist(frames: int) -> np.ndarray:
    return np.where(np.arange(frames) % 2 == 0, 1.0, -1.0)


def _silence_full_scale(frames: int) -> np.ndarray:
    return np.where(np.arange(frames) % 2 == 0, 0.0, 1.0)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc for VmHWM")
@pytest.mark.parametrize("signal", [_nyquist, _silence_full_scale], ids=["nyquist_full_scale", "silence_full_scale"])
def test_peak_memory_of_a_pathological_signal_is_bounded(tmp_path: Path, signal) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "signal.wav"
    mono = signal(SR * SECONDS)
    sf.write(path, np.stack([mono, mono], axis=1), SR, subtype="PCM_24")
    backend = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], cwd=backend, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(backend), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    growth, events = (int(v) for v in run.stdout.split())
    assert growth <= LIMIT_BYTES, f"peak RSS grew by {growth / 1e6:.0f} MB"
    if signal is _silence_full_scale:
        assert events == 0  # single full-scale samples never make a 3-sample run
