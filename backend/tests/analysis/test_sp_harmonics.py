"""THD and harmonic ratio of the spectral meter, and their 30 s sample against the whole."""

from __future__ import annotations

import numpy as np
import pytest
from test_sp_util import measure

from amt.analysis.harmonics import (
    HARMONIC_EXCERPT_S,
    HARMONIC_EXCERPTS,
    ExcerptSampler,
    HarmonicMeter,
    harmonic_energy,
    thd_per_frame,
)

FS = 44100


def partials(amps: dict[float, float], seconds: float, phase_seed: int = 0) -> np.ndarray:
    """Sum of sines {frequency: amplitude} with seeded random phases."""
    rng = np.random.default_rng(phase_seed)
    t = np.arange(round(seconds * FS)) / FS
    return sum(a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f, a in amps.items())


def clicks(seconds: float, seed: int = 11) -> np.ndarray:
    """Sparse noise clicks: 5 ms bursts of white noise at random times, about 3 per second."""
    rng = np.random.default_rng(seed)
    x = np.zeros(round(seconds * FS))
    burst = round(0.005 * FS)
    for start in rng.integers(0, x.size - burst, size=round(3 * seconds)):
        x[start : start + burst] += 0.5 * rng.standard_normal(burst)
    return x


@pytest.mark.parametrize(
    ("amps", "thd"),
    [({1000.0: 0.5, 2000.0: 0.005}, 1.0), ({1000.0: 0.5, 2000.0: 0.005, 3000.0: 0.005}, np.sqrt(2))],
)
def test_thd_of_tone_with_harmonics(amps, thd) -> None:
    assert measure(partials(amps, 3.0), FS).thd_percent == pytest.approx(thd, abs=0.1)


def test_thd_of_pure_sine_and_of_noise() -> None:
    assert measure(partials({1000.0: 0.5}, 3.0), FS).thd_percent < 0.01
    rng = np.random.default_rng(4)
    assert measure(0.1 * rng.standard_normal(3 * FS), FS).thd_percent is None  # no tonal frame


def test_harmonic_ratio_of_sine_and_clicks() -> None:
    assert measure(partials({440.0: 0.5}, 3.0), FS).harmonic_ratio > 0.9
    assert measure(clicks(3.0), FS).harmonic_ratio < 0.2


def test_thd_and_harmonic_ratio_of_square_wave() -> None:
    t = np.arange(3 * FS) / FS
    square = np.sign(np.sin(2 * np.pi * 441.0 * t))  # full scale
    s = measure(square, FS)
    # odd harmonics 1/3 and 1/5 of the fundamental: √(1/9 + 1/25) = 38.9 %
    assert s.thd_percent == pytest.approx(38.9, abs=1.0)
    assert s.harmonic_ratio > 0.9


def test_sample_agrees_with_whole_programme() -> None:
    # 45 s: the meter reads six 5 s excerpts (30 s); the reference reads all 45 s
    n = 45 * FS
    tone_part = partials({1000.0: 0.3, 2000.0: 0.006, 3000.0: 0.003}, 45.0)
    x = tone_part + clicks(45.0)[:n]
    sampled = measure(x, FS)
    whole = measure(x, FS, harmonic_excerpts=1, harmonic_excerpt_s=60.0)
    assert sampled.thd_percent == pytest.approx(whole.thd_percent, rel=0.02)
    assert sampled.harmonic_ratio == pytest.approx(whole.harmonic_ratio, rel=0.02)
    assert 0.2 < whole.harmonic_ratio < 0.95


def test_dc_is_not_a_tonal_peak() -> None:
    """DC only: the band above 20 Hz holds nothing but rounding noise, which is no tone (SPEC: null)."""
    assert measure(np.full(3 * FS, 0.5), FS).thd_percent is None
    # the same DC under a real tone does not hide the tone
    with_tone = measure(0.3 + partials({1000.0: 0.5, 2000.0: 0.005}, 3.0), FS)
    assert with_tone.thd_percent == pytest.approx(1.0, abs=0.1)


def test_excerpts_streamed_in_any_blocks_read_like_whole_excerpts() -> None:
    """The meter frames each excerpt as blocks pass; the same excerpts handed over whole read the same."""
    n = 45 * FS
    x = np.stack([partials({440.0: 0.3, 880.0: 0.01}, 45.0) + clicks(45.0)[:n], clicks(45.0, seed=3)[:n]])
    x = x.astype(np.float32)
    sampler = ExcerptSampler(n, FS, count=HARMONIC_EXCERPTS, excerpt_s=HARMONIC_EXCERPT_S)
    thd, harmonic, total = [], 0.0, 0.0
    for a, b in sampler.spans:
        thd.append(thd_per_frame(x[:, a:b], FS))
        energy = harmonic_energy(x[:, a:b], FS)
        harmonic, total = harmonic + energy.harmonic, total + energy.total
    for block in (n, 30 * FS, 12_345):
        meter = HarmonicMeter(n, FS)
        for start in range(0, n, block):
            meter.update(x[:, start : start + block], start)
        result = meter.finish()
        assert result.thd_percent == pytest.approx(float(np.median(np.concatenate(thd))), rel=1e-6)
        assert result.harmonic_ratio == pytest.approx(harmonic / total, rel=1e-6)
