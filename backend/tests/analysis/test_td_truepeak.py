"""True peak against analytic peaks and a brute-force band-limited reference.

Test signals fade in and out over a few thousand samples: the meter treats the
outside of the programme as silence (as a DAC would), so an abrupt start would
add a real, but here unwanted, Gibbs overshoot.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_td_support import measure

from analysis.truepeak import COARSE_MARGIN, TruePeakMeter


def faded(x: np.ndarray, fade: int = 2048) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``fade`` samples."""
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade)) ** 2
    out = x.copy()
    out[:fade] *= ramp
    out[-fade:] *= ramp[::-1]
    return out


def quarter_rate_sine(sample_rate: int, phase_deg: float, amplitude: float = 0.5) -> np.ndarray:
    n = np.arange(sample_rate // 2)
    return faded(amplitude * np.sin(np.pi / 2 * n + np.deg2rad(phase_deg)))


@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000])
def test_quarter_rate_sine_at_45_degrees(sample_rate: int) -> None:
    x = quarter_rate_sine(sample_rate, 45.0)
    s = measure(np.stack([x, x], 1), sample_rate)
    # Samples land at ±0.707 of the amplitude: the sample peak is 3.01 dB low.
    assert s.sample_peak_dbfs == pytest.approx(20 * math.log10(0.5) - 3.0103, abs=0.01)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.5), abs=0.2)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.5), abs=0.05)  # the SPEC's goal


@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000])
def test_quarter_rate_sine_at_56_25_degrees(sample_rate: int) -> None:
    x = quarter_rate_sine(sample_rate, 56.25)
    s = measure(x, sample_rate)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.5), abs=0.05)


def band_limited_peak(period: np.ndarray, factor: int = 64) -> float:
    """max |x(t)| of the periodic band-limited signal through ``period``, by FFT zero padding."""
    n = period.size
    spectrum = np.fft.rfft(period)
    padded = np.zeros(n * factor // 2 + 1, dtype=complex)
    padded[: spectrum.size] = spectrum
    return float(np.abs(np.fft.irfft(padded, n * factor) * factor).max())


@pytest.mark.parametrize("seed", range(6))
def test_random_sinusoids_below_045_fs_match_the_ideal_peak(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sample_rate, n = 48000, 4096
    bins = rng.choice(np.arange(1, int(0.45 * n)), size=3, replace=False)
    if seed % 2:  # every other case puts one tone right below 0.45·fs
        bins[0] = int(0.45 * n) - 1
    amplitudes = rng.uniform(0.1, 0.3, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    k = np.arange(n)
    period = sum(a * np.cos(2 * np.pi * b * k / n + p) for a, b, p in zip(amplitudes, bins, phases, strict=True))
    expected = 20 * math.log10(band_limited_peak(period))
    # Repeat the period; slow fades over the first and last periods keep the ends below the steady peak.
    x = np.tile(period, 6)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, n)) ** 2
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    s = measure(x.astype(np.float32), sample_rate)
    assert s.true_peak_dbtp == pytest.approx(expected, abs=0.05)
    assert s.true_peak_dbtp >= s.sample_peak_dbfs


def test_true_peak_is_never_below_sample_peak_and_max_over_channels() -> None:
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((48000, 2)) * 0.1).astype(np.float32)
    x[20000, 1] = 0.9
    s = measure(x, 48000)
    assert s.sample_peak_dbfs == pytest.approx(20 * math.log10(0.9), abs=1e-6)
    assert s.true_peak_dbtp >= s.sample_peak_dbfs


def test_quiet_blocks_are_skipped_but_the_peak_is_found() -> None:
    """A loud burst first, then a long quiet passage: the quiet blocks need no oversampling."""
    sr = 48000
    quiet = 0.01 * np.sin(2 * np.pi * 1000 * np.arange(sr * 40) / sr)
    loud = quarter_rate_sine(sr, 45.0, amplitude=0.8)
    x = np.concatenate([loud, quiet]).astype(np.float32)
    meter = TruePeakMeter([0])
    block = sr * 10
    for start in range(0, x.size, block):
        meter.update(x[None, start : start + block])
    assert 20 * math.log10(meter.finish()) == pytest.approx(20 * math.log10(0.8), abs=0.05)
    assert meter.blocks_skipped >= 3
    assert COARSE_MARGIN > 1.0


@pytest.mark.parametrize(("cycles_per_sample", "phase"), [(0.25, 0.7854), (0.44, 0.3), (0.3, 1.1)])
def test_abrupt_start_and_end_add_no_gibbs_overshoot(cycles_per_sample: float, phase: float) -> None:
    """A sine cut on at full level: the cut's ringing is not the audio's peak."""
    x = 0.5 * np.sin(2 * np.pi * cycles_per_sample * np.arange(48000) + phase)
    s = measure(x.astype(np.float32), 48000)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.5), abs=0.05)


def test_very_short_programmes_fall_back_to_the_sample_peak() -> None:
    x = np.array([0.0, 0.3, -0.6, 0.2], dtype=np.float32)
    s = measure(x, 48000)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.6), abs=1e-6)
