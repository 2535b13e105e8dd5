"""Every figure of the engine, pinned: its output for the EBU cases and a few archetypes, against a golden file.

``engine_golden.json`` holds the time-domain meters' full output (loudness, LRA, true peak,
levels, stereo and their series) for the EBU Tech 3341 cases 1–5 (24-bit WAV files,
through the decoder) and Tech 3342 cases 1–4, at 48 and 44.1 kHz, exactly as
``test_td_loudness`` measures them (that test compares them here: no extra meter run);
the whole engine's output (:func:`amt.analysis.engine.result_to_dict`, spectral part
included) for three 6-second archetype renders; and the true-peak meter's value and
work counters for signals that take each of its search paths (``test_engine_golden``).
It was written by the engine as it stood before the true-peak module was split and the
metric fields were given one source (commit 1148996), so a restructuring that changes a
figure fails.

Bit for bit holds only on the machine that wrote the file: numpy's SIMD sin/exp and the
FFT and BLAS kernels are picked for the CPU's features, which a virtual machine with the
same CPU model name and the same numpy/scipy builds may still not offer (seen in CI:
drift of 1e-7 relative, 2e-6 dB after the true-peak search), and a gate or a limiter can
turn that into a slightly larger change. So :func:`check` compares within
:data:`OTHER_PLATFORM_ABS` + :data:`OTHER_PLATFORM_REL`·|value| (integers such as
``dr_value`` within 1, the true-peak work counters not compared): loose enough for
last-bit drift, tight enough for any changed formula. Within 1e-9 (and the work counters
too) only when asked, ``AMT_GOLDEN_EXACT=1``, and on a machine whose :func:`platform_key`
matches the file's: the check for a restructuring that must not move a single bit.
Rewrite the file only for an intended change of the figures::

    cd backend && PYTHONPATH=.:tests/analysis python tests/analysis/golden.py --write
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from amt.analysis.engine import analyze_array, result_to_dict
from amt.analysis.truepeak import TruePeakMeter
from amt.synth.archetypes import render

GOLDEN = Path(__file__).with_name("engine_golden.json")
SAME_PLATFORM_ABS = 1e-9
OTHER_PLATFORM_ABS = 0.01
"""dB/LU-sized drift allowed off the golden platform (the reference library's LUFS and true-peak tolerance)."""
OTHER_PLATFORM_REL = 1e-3
ARCHETYPES = [("Psytrance", 1), ("Techno", 2), ("Dubstep", 3)]
ARCHETYPE_S = 6.0
EBU_RATES = (48000, 44100)


def platform_key() -> dict[str, str]:
    """What decides the last bits: CPU model, machine, numpy and scipy versions."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "machine": platform.machine(), "numpy": np.__version__, "scipy": scipy.__version__}


def faded(x: np.ndarray, fade: int = 2048) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``fade`` samples."""
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade)) ** 2
    out = x.copy()
    out[:fade] *= ramp
    out[-fade:] *= ramp[::-1]
    return out


def true_peak_signals() -> dict[str, np.ndarray]:
    """Mono 48 kHz programmes that between them take every path of the true-peak search."""
    sr = 48000
    n = np.arange(sr * 4)
    rng = np.random.default_rng(3)
    out = {
        "quarter-rate sine at 45 degrees": faded(0.5 * np.sin(np.pi / 2 * n + np.pi / 4)),
        "100 Hz sine": faded(0.7 * np.sin(2 * np.pi * 100 * n / sr + 0.3)),
        "tone at 0.44 fs": faded(0.6 * np.sin(2 * np.pi * 0.44 * n + 1.1)),
    }
    burst = faded(0.8 * np.sin(np.pi / 2 * np.arange(sr) + np.pi / 4))
    out["burst then quiet"] = np.concatenate([burst, 0.01 * np.sin(2 * np.pi * 1000 * np.arange(sr * 20) / sr)])
    spectrum = np.zeros(sr * 2 + 1, dtype=complex)
    band = np.arange(1, int(0.45 * sr * 4) // 2)
    spectrum[band] = rng.standard_normal(band.size) + 1j * rng.standard_normal(band.size)
    noise = np.fft.irfft(spectrum, sr * 4)
    out["white noise to 0.45 fs"] = faded(0.5 * noise / np.abs(noise).max())
    clicks = np.zeros(sr * 4)
    clicks[rng.integers(4000, sr * 4 - 4000, size=40)] = rng.uniform(-0.9, 0.9, size=40)
    out["sparse clicks over a low hum"] = clicks + 0.05 * np.sin(2 * np.pi * 60 * n / sr)
    out["near-silent dither"] = 10 ** (-96 / 20) * rng.uniform(-1, 1, sr * 2)
    return out


def true_peak_figures(x: np.ndarray, block: int = 48000) -> dict[str, Any]:
    """The meter's true peak (linear) and work counters for ``x`` fed in ``block``-frame blocks."""
    meter = TruePeakMeter([0])
    x32 = np.asarray(x, dtype=np.float32)
    for start in range(0, x32.size, block):
        meter.update(x32[None, start : start + block])
    peak = meter.finish()
    return {"peak": peak, "blocks_skipped": meter.blocks_skipped, "candidates_refined": meter.candidates_refined}


def archetype_output(genre: str, variant: int) -> dict[str, Any]:
    """The whole engine's output for a short archetype render."""
    rendered = render(genre, variant, duration_s=ARCHETYPE_S)
    return result_to_dict(analyze_array(rendered.samples, rendered.sample_rate))


def ebu_outputs() -> dict[str, Any]:
    """The time-domain summaries of the EBU cases, computed as ``test_td_loudness`` computes them."""
    from test_td_loudness import TECH_3341, TECH_3342, sequence  # here: that module imports this one
    from test_td_support import measure, measure_file, write

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rate in EBU_RATES:
            for case, (parts, _) in TECH_3341.items():
                path = write(Path(tmp) / "case.wav", sequence(parts, rate), rate, subtype="PCM_24")
                out[ebu_name("3341", case, rate)] = measure_file(path).as_dict()
            for case, (parts, _) in TECH_3342.items():
                out[ebu_name("3342", case, rate)] = measure(sequence(parts, rate), rate).as_dict()
    return out


def ebu_name(document: str, case: str, sample_rate: int) -> str:
    """Key of an EBU case in the golden file."""
    return f"Tech {document} {case} at {sample_rate} Hz"


def compute_all() -> dict[str, Any]:
    """The golden file's content, from the engine as it is now."""
    return {
        "platform": platform_key(),
        "ebu": ebu_outputs(),
        "archetypes": {f"{g} {v}": archetype_output(g, v) for g, v in ARCHETYPES},
        "true_peak": {name: true_peak_figures(x) for name, x in true_peak_signals().items()},
    }


@cache
def golden() -> dict[str, Any]:
    """The golden file."""
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


def same_platform() -> bool:
    """Whether the bit-for-bit comparison was asked for (``AMT_GOLDEN_EXACT=1``) on the machine that wrote the file."""
    return os.environ.get("AMT_GOLDEN_EXACT") == "1" and bool(golden()["platform"] == platform_key())


def differences(expected: Any, actual: Any, where: str, *, exact: bool) -> Iterator[str]:
    """Every place where ``actual`` leaves ``expected`` by more than the bound (1e-9 if ``exact``)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            yield f"{where}: keys {sorted(expected)} != {sorted(actual) if isinstance(actual, dict) else actual!r}"
            return
        for key in expected:
            yield from differences(expected[key], actual[key], f"{where}.{key}", exact=exact)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            yield f"{where}: {len(expected)} items != {len(actual) if isinstance(actual, list) else actual!r}"
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(e, a, f"{where}[{i}]", exact=exact)
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if expected != actual:
            yield f"{where}: {expected!r} != {actual!r}"
    elif isinstance(expected, int) and isinstance(actual, int) and not isinstance(actual, bool):
        if expected != actual and (exact or abs(expected - actual) > 1):
            yield f"{where}: {expected} != {actual}"
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        bound = SAME_PLATFORM_ABS if exact else OTHER_PLATFORM_ABS + OTHER_PLATFORM_REL * abs(expected)
        if not math.isfinite(actual) or abs(actual - expected) > bound:
            yield f"{where}: {expected!r} != {actual!r} (bound {bound:g})"
    else:
        yield f"{where}: {expected!r} != {actual!r}"


def check(section: str, name: str, actual: Any) -> None:
    """Assert that ``actual`` (tuples become lists) matches the golden file's ``section``/``name``."""
    found = list(differences(golden()[section][name], json.loads(json.dumps(actual)), name, exact=same_platform()))
    assert not found, "\n".join(found[:20])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage (from backend/): PYTHONPATH=.:tests/analysis python tests/analysis/golden.py --write")
    GOLDEN.write_text(json.dumps(compute_all(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
