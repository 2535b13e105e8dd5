"""Band spectral rolloff and flatness against closed-form answers (SPEC §4, Bands)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_sp_util import band, measure, tone

FS = 44100


def noise(seconds: float, *, pink: bool, seed: int = 21) -> np.ndarray:
    """White noise, or noise whose power density falls as 1/f (shaped in the frequency domain)."""
    rng = np.random.default_rng(seed)
    n = round(seconds * FS)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    if pink:
        f = np.fft.rfftfreq(n, 1 / FS)
        spectrum[1:] /= np.sqrt(f[1:])
        spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return 0.2 * x / np.sqrt(np.mean(x**2))


def pink_flatness(lo: float, hi: float) -> float:
    """Geometric over arithmetic mean of a 1/f density on [lo, hi] (continuous integrals)."""
    width = hi - lo
    mean_log = -((hi * math.log(hi) - hi) - (lo * math.log(lo) - lo)) / width  # mean of ln(1/f)
    mean = math.log(hi / lo) / width  # mean of 1/f
    return math.exp(mean_log) / mean


@pytest.mark.parametrize("name", ["mid", "high_mid", "high"])
def test_white_noise_is_flat_and_rolls_off_at_85_percent_of_the_band(name: str) -> None:
    """Flat density: 85 % of the band's power lies below lo + 0.85·(hi − lo); flatness 1."""
    b = band(measure(noise(10.0, pink=False), FS), name)
    assert b.spectral_rolloff_hz == pytest.approx(b.freq_low_hz + 0.85 * (b.freq_high_hz - b.freq_low_hz), abs=30)
    assert b.spectral_flatness == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("name", ["mid", "high_mid", "high"])
def test_pink_noise_rolls_off_and_flattens_as_1_over_f(name: str) -> None:
    """1/f density: cumulative power ∝ ln(f/lo), so the rolloff is lo·(hi/lo)^0.85; flatness in closed form."""
    b = band(measure(noise(10.0, pink=True), FS), name)
    lo, hi = b.freq_low_hz, b.freq_high_hz
    assert b.spectral_rolloff_hz == pytest.approx(lo * (hi / lo) ** 0.85, rel=0.005)
    assert b.spectral_flatness == pytest.approx(pink_flatness(lo, hi), abs=0.01)


def test_a_tone_rolls_off_at_its_frequency_and_is_not_flat() -> None:
    b = band(measure(tone(3000.0, 5.0), FS), "high_mid")
    assert b.spectral_rolloff_hz == pytest.approx(3000.0, abs=FS / 1024)  # within one analysis bin
    assert b.spectral_flatness < 0.01
