"""Every figure of the engine, pinned: its output for the EBU cases and a few archetypes, against a golden file.

``engine_golden.json`` holds the engine's full output (:func:`amt.analysis.engine.result_to_dict`)
for the EBU Tech 3341 cases 1–5 and Tech 3342 cases 1–4 (48 kHz, built as in
``test_td_loudness``), for three 8-second archetype renders, and the true-peak meter's
value and work counters for signals that take each of its search paths. It was written
by the engine as it stood before the true-peak module was split and the metric fields
were given one source (commit 1148996), so a restructuring that changes a figure fails here.

Bit for bit holds only on the platform that wrote the file: same CPU model and the same
numpy/scipy builds (numpy's SIMD sin/exp and the FFT and BLAS kernels picked for the CPU
may differ in the last bits elsewhere, and a gate or a limiter can turn that into a
slightly larger change). So the comparison is within 1e-9 where :func:`platform_key`
matches the file's, and elsewhere within :data:`OTHER_PLATFORM_ABS` +
:data:`OTHER_PLATFORM_REL`·|value| (integers such as ``dr_value`` within 1, the true-peak
work counters not compared): loose enough for last-bit drift, tight enough for any
changed formula. Rewrite the file only for an intended change of the figures::

    cd backend && PYTHONPATH=. python tests/analysis/test_engine_golden.py --write
"""

from __future__ import annotations

import json
import math
import platform
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy

from amt.analysis.engine import analyze_array, result_to_dict
from amt.analysis.truepeak import TruePeakMeter
from amt.synth.archetypes import render

from test_td_loudness import TECH_3341, TECH_3342, sequence

GOLDEN = Path(__file__).with_name("engine_golden.json")
SAME_PLATFORM_ABS = 1e-9
OTHER_PLATFORM_ABS = 0.01
"""dB/LU-sized drift allowed off the golden platform (the reference library's LUFS and true-peak tolerance)."""
OTHER_PLATFORM_REL = 1e-3
ARCHETYPES = [("Psytrance", 1), ("Techno", 2), ("Dubstep", 3)]
ARCHETYPE_S = 8.0


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


def true_peak_signals() -> Iterator[tuple[str, np.ndarray]]:
    """Mono 48 kHz float32 programmes that between them take every path of the true-peak search."""
    sr = 48000
    n = np.arange(sr * 4)
    rng = np.random.default_rng(3)
    yield "quarter-rate sine at 45 degrees", faded(0.5 * np.sin(np.pi / 2 * n + np.pi / 4))
    yield "100 Hz sine", faded(0.7 * np.sin(2 * np.pi * 100 * n / sr + 0.3))
    yield "tone at 0.44 fs", faded(0.6 * np.sin(2 * np.pi * 0.44 * n + 1.1))
    burst = faded(0.8 * np.sin(np.pi / 2 * np.arange(sr) + np.pi / 4))
    yield "burst then quiet", np.concatenate([burst, 0.01 * np.sin(2 * np.pi * 1000 * np.arange(sr * 20) / sr)])
    spectrum = np.zeros(sr * 2 + 1, dtype=complex)
    band = np.arange(1, int(0.45 * sr * 4) // 2)
    spectrum[band] = rng.standard_normal(band.size) + 1j * rng.standard_normal(band.size)
    noise = np.fft.irfft(spectrum, sr * 4)
    yield "white noise to 0.45 fs", faded(0.5 * noise / np.abs(noise).max())
    clicks = np.zeros(sr * 4)
    clicks[rng.integers(4000, sr * 4 - 4000, size=40)] = rng.uniform(-0.9, 0.9, size=40)
    yield "sparse clicks over a low hum", clicks + 0.05 * np.sin(2 * np.pi * 60 * n / sr)
    yield "near-silent dither", 10 ** (-96 / 20) * rng.uniform(-1, 1, sr * 2)


def true_peak_figures(x: np.ndarray, block: int = 48000) -> dict[str, float | int]:
    """The meter's true peak (linear) and work counters for ``x`` fed in ``block``-frame blocks."""
    meter = TruePeakMeter([0])
    x32 = np.asarray(x, dtype=np.float32)
    for start in range(0, x32.size, block):
        meter.update(x32[None, start : start + block])
    peak = meter.finish()
    return {"peak": peak, "blocks_skipped": meter.blocks_skipped, "candidates_refined": meter.candidates_refined}


def engine_cases() -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
    """(name, compute) for every pinned engine output."""
    for name, (parts, _) in TECH_3341.items():
        yield f"Tech 3341 {name}", lambda parts=parts: result_to_dict(analyze_array(sequence(parts, 48000), 48000))
    for name, (parts, _) in TECH_3342.items():
        yield f"Tech 3342 {name}", lambda parts=parts: result_to_dict(analyze_array(sequence(parts, 48000), 48000))
    for genre, variant in ARCHETYPES:

        def archetype(genre: str = genre, variant: int = variant) -> dict[str, Any]:
            rendered = render(genre, variant, duration_s=ARCHETYPE_S)
            return result_to_dict(analyze_array(rendered.samples, rendered.sample_rate))

        yield f"archetype {genre} {variant}", archetype


def compute_all() -> dict[str, Any]:
    """The golden file's content, from the engine as it is now."""
    return {
        "platform": platform_key(),
        "engine": {name: compute() for name, compute in engine_cases()},
        "true_peak": {name: true_peak_figures(x) for name, x in true_peak_signals()},
    }


def differences(expected: Any, actual: Any, where: str, *, same_platform: bool) -> Iterator[str]:
    """Every place where ``actual`` leaves ``expected`` by more than the platform's bound."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            yield f"{where}: keys {sorted(expected)} != {sorted(actual) if isinstance(actual, dict) else actual!r}"
            return
        for key in expected:
            yield from differences(expected[key], actual[key], f"{where}.{key}", same_platform=same_platform)
    elif isinstance(expected, list):
        if not isinstance(actual, (list, tuple)) or len(expected) != len(actual):
            yield f"{where}: length {len(expected)} != {len(actual) if isinstance(actual, (list, tuple)) else actual!r}"
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(e, a, f"{where}[{i}]", same_platform=same_platform)
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if expected != actual:
            yield f"{where}: {expected!r} != {actual!r}"
    elif isinstance(expected, int) and isinstance(actual, int):
        if expected != actual and (same_platform or abs(expected - actual) > 1):
            yield f"{where}: {expected} != {actual}"
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        bound = SAME_PLATFORM_ABS if same_platform else OTHER_PLATFORM_ABS + OTHER_PLATFORM_REL * abs(expected)
        if not math.isfinite(actual) or abs(actual - expected) > bound:
            yield f"{where}: {expected!r} != {actual!r} (bound {bound:g})"
    else:
        yield f"{where}: {expected!r} != {actual!r}"


def as_json(value: Any) -> Any:
    """Tuples as lists, as the golden file stores them."""
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


@pytest.mark.parametrize(("name", "compute"), list(engine_cases()), ids=[n for n, _ in engine_cases()])
def test_engine_output_is_unchanged(golden: dict[str, Any], name: str, compute: Callable[[], dict[str, Any]]) -> None:
    same = golden["platform"] == platform_key()
    found = list(differences(golden["engine"][name], as_json(compute()), name, same_platform=same))
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("name", [n for n, _ in true_peak_signals()])
def test_true_peak_figures_are_unchanged(golden: dict[str, Any], name: str) -> None:
    same = golden["platform"] == platform_key()
    expected = golden["true_peak"][name]
    actual = true_peak_figures(dict(true_peak_signals())[name])
    if not same:  # the work done depends on last-bit values; the peak does not, beyond the bound
        expected, actual = expected["peak"], actual["peak"]
    found = list(differences(expected, actual, name, same_platform=same))
    assert not found, "\n".join(found)


def test_the_golden_file_covers_every_case(golden: dict[str, Any]) -> None:
    assert set(golden["engine"]) == {n for n, _ in engine_cases()}
    assert set(golden["true_peak"]) == {n for n, _ in true_peak_signals()}


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage (from backend/): PYTHONPATH=. python tests/analysis/test_engine_golden.py --write")
    GOLDEN.write_text(json.dumps(compute_all(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
