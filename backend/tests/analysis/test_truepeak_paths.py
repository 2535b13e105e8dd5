"""Every path of the true-peak search, forced, keeps the proven bound; by default each runs where the table says.

The thresholds of :class:`SearchTuning` choose only how the search spends its time: each
path bounds the same intervals by the same inequalities. So on periodic band-limited
programmes (ideal peak from FFT zero padding, ``test_td_truepeak.band_limited_peak``)
every tuning that forces one path must report within :data:`PEAK_TOLERANCE` of the ideal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_td_truepeak import band_limited_peak, band_noise_period, cosines_peaking_at, periodic_programme

from amt.analysis.truepeak import PEAK_TOLERANCE, SearchPath, SearchTuning, TruePeakMeter

REFERENCE_ERROR_DB = 1e-3
"""Allowance for the reference itself (a parabola through a 1/128-sample grid errs by < 1e-5 dB)."""
ALWAYS_DENSE = math.inf
"""``dense_fraction`` that makes any candidate count dense ((positions) // inf = 0)."""

MAIN_PATHS = (SearchPath.SPARSE, SearchPath.SEPTIC, SearchPath.QUARTERS)
"""One of these runs on every searched block that has candidates."""
FORCING = {
    SearchPath.SPARSE: SearchTuning(dense_fraction=0.25),  # the count never exceeds 4× the positions
    SearchPath.QUARTERS: SearchTuning(dense_fraction=ALWAYS_DENSE, quarter_share=0.0),
    SearchPath.SEPTIC_BISECT: SearchTuning(dense_fraction=ALWAYS_DENSE, quarter_share=1.0, few=10**9),
    SearchPath.SEPTIC_QUARTERS: SearchTuning(dense_fraction=ALWAYS_DENSE, quarter_share=1.0, few=0),
}
"""A tuning per path that sends every searched block down that path."""
SMALL_STEPS = {
    # batches, screen stretches and dense spans cut small: many rounds, many stretches, many spans
    SearchPath.SPARSE: SearchTuning(dense_fraction=0.25, batch=7, screen_chunk=97),
    SearchPath.SEPTIC_QUARTERS: SearchTuning(
        dense_fraction=ALWAYS_DENSE, quarter_share=1.0, few=0, dense_span=1001, screen_chunk=97
    ),
    SearchPath.QUARTERS: SearchTuning(dense_fraction=ALWAYS_DENSE, quarter_share=0.0, dense_span=1001),
}


def periods() -> dict[str, np.ndarray]:
    """One period (n samples) of band-limited signals whose crests are hard to find."""
    rng = np.random.default_rng(21)
    return {
        "six cosines near 0.45 fs, crest between samples": cosines_peaking_at(
            [1601, 1650, 1699, 1745, 1790, 1836], 1000.8125
        ),
        "noise 0.30-0.45 fs": band_noise_period(rng, 0.30, 0.45, 2048),
        "noise up to 0.45 fs": band_noise_period(rng, 0.001, 0.45, 4096, level=0.8),
        "low and high tone": 0.4 * np.cos(2 * np.pi * 7 / 2048 * np.arange(2048))
        + 0.1 * np.cos(2 * np.pi * 901 / 2048 * np.arange(2048) + 0.4),
    }


def run(x: np.ndarray, tuning: SearchTuning | None = None, block: int = 5000) -> TruePeakMeter:
    """The meter over mono ``x`` fed in ``block``-sample blocks (finished)."""
    meter = TruePeakMeter([0], tuning)
    x32 = np.asarray(x, dtype=np.float32)
    for start in range(0, x32.size, block):
        meter.update(x32[None, start : start + block])
    meter.finish()
    return meter


def db(value: float) -> float:
    return 20.0 * math.log10(value)


@pytest.mark.parametrize("tunings", [FORCING, SMALL_STEPS], ids=["forced", "forced, small steps"])
@pytest.mark.parametrize("name", list(periods()))
def test_every_forced_path_finds_the_ideal_peak(name: str, tunings: dict[SearchPath, SearchTuning]) -> None:
    period = periods()[name]
    ideal = db(band_limited_peak(period))
    x = periodic_programme(period, repeats=6)
    for path, tuning in tunings.items():
        meter = run(x, tuning)
        assert meter.paths[path] > 0, (path, dict(meter.paths))
        main = SearchPath.SEPTIC if path in (SearchPath.SEPTIC_BISECT, SearchPath.SEPTIC_QUARTERS) else path
        assert {p for p in MAIN_PATHS if meter.paths[p]} == {main}, (path, dict(meter.paths))
        assert db(meter.peak) == pytest.approx(ideal, abs=PEAK_TOLERANCE + REFERENCE_ERROR_DB), path


def test_the_default_tuning_takes_the_path_the_table_names() -> None:
    sr, n = 48000, np.arange(48000 * 2)
    steady = 0.5 * np.sin(2 * np.pi * 1000 * n / sr)
    noise = periodic_programme(band_noise_period(np.random.default_rng(2), 0.001, 0.45, 8192), repeats=12)
    # a hard-limited stretch: flat crests on many samples, not a steady tone
    limited = np.clip(1.6 * noise, -0.5, 0.5)
    limited = np.fft.irfft(np.fft.rfft(limited) * (np.fft.rfftfreq(limited.size) < 0.45), limited.size)
    cases = {
        "steady tone": (steady, {SearchPath.QUARTERS}),
        "noise": (noise, {SearchPath.SPARSE}),
        "limited noise": (limited, {SearchPath.SEPTIC, SearchPath.SEPTIC_BISECT}),
        "tone then 40 dB quieter": (
            np.concatenate([steady, 0.01 * steady]),
            {SearchPath.QUARTERS, SearchPath.SKIPPED},
        ),
    }
    for name, (x, expected) in cases.items():
        taken = {p for p, count in run(x, block=48000).paths.items() if count}
        assert expected <= taken, (name, taken)
