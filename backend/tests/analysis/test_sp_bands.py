"""Spectrum and band figures of the spectral meter on signals with hand-derived answers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from test_sp_util import band, measure, tone
from test_td_support import music

from amt.analysis.engine import analyze_array

FS = 44100
BIN_HZ = FS / 1024  # full-rate STFT bin spacing at 44.1 kHz

# (band, tone inside it, lower edge, upper edge) — tones at the geometric centre
TONES = [
    ("low", 63.0, 20.0, 200.0),
    ("low_mid", 316.0, 200.0, 500.0),
    ("mid", 1000.0, 500.0, 2000.0),
    ("high_mid", 3464.0, 2000.0, 6000.0),
    ("high", 10954.0, 6000.0, 20000.0),
]


def lr4_gain_db(f: float, low: float, high: float, fs: float = FS) -> float:
    """Gain of the digital LR4 band filter (bilinear, prewarped): LR4 = Butterworth², so
    |HP| = r/(1+r), |LP| = 1/(1+q) with r = (Ω/Ω_lo)^4, q = (Ω/Ω_hi)^4, Ω = tan(πf/fs)."""
    w = np.tan(np.pi * f / fs)
    r = (w / np.tan(np.pi * low / fs)) ** 4
    q = (w / np.tan(np.pi * high / fs)) ** 4
    return float(20 * np.log10(r / (1 + r) / (1 + q)))


@pytest.fixture(scope="module")
def tone_results():
    # long fades: switching a tone on abruptly is a click, and its band signal overshoots
    return {name: (x := tone(f, 6.0, fade_s=0.3), measure(x, FS)) for name, f, _, _ in TONES}


@pytest.mark.parametrize(("name", "freq", "low", "high"), TONES)
def test_tone_lands_in_its_band(tone_results, name, freq, low, high) -> None:
    x, s = tone_results[name]
    ratios = {b.band: b.energy_ratio for b in s.bands}
    assert ratios[name] > 0.995
    assert sum(ratios.values()) == pytest.approx(1.0, abs=1e-9)
    b = band(s, name)
    # a full-scale sine is −3.01 dBFS (less the fades); the LR4 band filter takes its own gain off
    gain = lr4_gain_db(freq, low, high)
    level = 10 * np.log10(np.mean(x**2))
    assert b.rms_db == pytest.approx(level + gain, abs=0.05)
    assert b.peak_db == pytest.approx(gain, abs=0.05)
    assert b.crest_factor_db == pytest.approx(-level, abs=0.05)
    assert b.spectral_centroid_hz == pytest.approx(freq, abs=BIN_HZ if freq > 500 else 2.0)


def lr4_band_signal(x: np.ndarray, low: float, high: float, fs: float) -> np.ndarray:
    """The LR4 band signal of the whole of ``x`` (frames, channels), built here independently of the engine.

    Each LR4 is a 2nd-order Butterworth (transfer-function form) run twice with lfilter,
    float64; the low-pass is left out when it would sit within 5 % of Nyquist (SPEC: bands
    are capped at Nyquist).
    """
    y = np.asarray(x, dtype=np.float64)
    stages = [scipy.signal.butter(2, low, "highpass", fs=fs)] * 2
    if high < 0.95 * fs / 2:
        stages += [scipy.signal.butter(2, high, "lowpass", fs=fs)] * 2
    for b, a in stages:
        y = scipy.signal.lfilter(b, a, y, axis=0)
    return y


def assert_band_peaks_are_the_band_signals(x: np.ndarray, fs: int) -> None:
    """peak_db of every band is the largest |sample| of its LR4 band signal, to 0.05 dB; crest follows."""
    s = measure(x, fs)
    for name, _, low, high in TONES:
        b = band(s, name)
        expected = 20 * np.log10(np.abs(lr4_band_signal(x, low, high, fs)).max())
        assert b.peak_db == pytest.approx(expected, abs=0.05), name
        assert b.crest_factor_db == pytest.approx(b.peak_db - b.rms_db, abs=1e-9), name


def test_band_peaks_of_white_noise() -> None:
    rng = np.random.default_rng(20)
    assert_band_peaks_are_the_band_signals(0.25 * rng.standard_normal((20 * FS, 2)), FS)


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
def test_band_peaks_of_music(fs: int) -> None:
    assert_band_peaks_are_the_band_signals(music(20.0, fs, seed=0).astype(np.float64), fs)


def test_band_peaks_of_a_tone_burst_in_quiet_noise() -> None:
    # One 30 ms burst at 3 kHz (a click at either end, so every band sees it) in noise 40 dB down.
    rng = np.random.default_rng(4)
    x = 0.005 * rng.standard_normal(12 * FS)
    start = 7 * FS + 123
    n = np.arange(round(0.03 * FS))
    x[start : start + n.size] += 0.8 * np.sin(2 * np.pi * 3000 * n / FS)
    assert_band_peaks_are_the_band_signals(x[:, None], FS)


def test_lr4_gain_at_band_centres_is_what_the_crossovers_give() -> None:
    # the reason mid-band tones do not read −3.01: two octaves wide LR4 bands lose ≈ 1 dB at their centre
    assert lr4_gain_db(1000.0, 500.0, 2000.0) == pytest.approx(-1.05, abs=0.01)


def test_two_tones_split_energy_by_their_powers() -> None:
    x = tone(100.0, 4.0, amp=0.5) + tone(3000.0, 4.0, amp=0.25)
    s = measure(x, FS)
    assert band(s, "low").energy_ratio == pytest.approx(0.25 / 0.3125, abs=0.005)
    assert band(s, "high_mid").energy_ratio == pytest.approx(0.0625 / 0.3125, abs=0.005)


def test_centroid_and_rolloff() -> None:
    s = measure(tone(1000.0, 3.0), FS)
    assert s.spectral_centroid_hz == pytest.approx(1000.0, abs=BIN_HZ)
    assert s.spectral_rolloff_hz == pytest.approx(1000.0, abs=2 * BIN_HZ)
    s2 = measure(tone(1000.0, 3.0, amp=0.5) + tone(3000.0, 3.0, amp=0.5), FS)
    assert s2.spectral_centroid_hz == pytest.approx(2000.0, abs=BIN_HZ)
    # 85 % of the power: all of the 1 kHz tone and 70 % of the 3 kHz one
    assert s2.spectral_rolloff_hz == pytest.approx(3000.0, abs=2 * BIN_HZ)


def test_flatness_of_noise_and_sine() -> None:
    rng = np.random.default_rng(1)
    noise = measure(0.1 * rng.standard_normal(FS * 3), FS)
    assert noise.spectral_flatness > 0.5
    assert measure(tone(1000.0, 3.0), FS).spectral_flatness < 0.01


def test_sub_20hz_ratio_of_equal_tones() -> None:
    s = measure(tone(10.0, 6.0, amp=0.5, fade_s=0.3) + tone(1000.0, 6.0, amp=0.5, fade_s=0.3), FS)
    assert s.sub_20hz_ratio == pytest.approx(0.5, abs=0.02)
    assert band(s, "mid").energy_ratio > 0.99  # 20 Hz–20 kHz shares ignore the 10 Hz tone


@pytest.mark.parametrize(("kind", "width", "corr"), [("mono", 0.0, 1.0), ("inverted", 1.0, -1.0)])
def test_band_stereo_of_mono_and_inverted(kind, width, corr) -> None:
    rng = np.random.default_rng(2)
    x = 0.1 * rng.standard_normal(FS * 3)
    right = x if kind == "mono" else -x
    s = measure(np.stack([x, right], axis=1), FS)
    for b in s.bands:
        assert b.stereo_width == pytest.approx(width, abs=1e-4)
        assert b.phase_correlation == pytest.approx(corr, abs=1e-4)


def test_band_stereo_of_uncorrelated_noise() -> None:
    rng = np.random.default_rng(3)
    s = measure(0.1 * rng.standard_normal((FS * 10, 2)), FS)
    for b in s.bands:
        assert b.stereo_width == pytest.approx(0.5, abs=0.03)
        assert b.phase_correlation == pytest.approx(0.0, abs=0.06)


def test_mono_file_is_its_own_pair() -> None:
    s = measure(tone(1000.0, 2.0), FS)
    assert band(s, "mid").stereo_width == pytest.approx(0.0, abs=1e-6)
    assert band(s, "mid").phase_correlation == pytest.approx(1.0, abs=1e-6)


def test_level_range_of_alternating_tone() -> None:
    a = tone(1000.0, 20.0, amp=10 ** (-20 / 20), fade_s=0.0)
    b = tone(1000.0, 20.0, amp=10 ** (-30 / 20), fade_s=0.0)
    s = measure(np.concatenate([a, b]), FS)
    assert band(s, "mid").level_range_db == pytest.approx(10.0, abs=0.3)
    series = s.band_rms_db["mid"]
    assert len(series) == 40 and s.band_rms_hop_s == 1.0
    gain = lr4_gain_db(1000.0, 500.0, 2000.0)
    assert series[5] == pytest.approx(-23.01 + gain, abs=0.1)
    assert series[30] == pytest.approx(-33.01 + gain, abs=0.1)


@pytest.mark.parametrize(("rate", "start_s"), [(11025, 600), (44100, 60)])
def test_band_rms_series_do_not_drift(rate: int, start_s: int) -> None:
    """Silence, then tones in ``low`` and ``mid`` for the programme's last second, from exactly ``start_s``.

    Band-RMS entry k is second k, as momentary entries 10k … 10k + 9 are: the series has one entry per
    second and entry ``start_s`` holds the whole second of tone at its level. At 11 025 Hz, 1102-sample
    segments would give 602 entries and put only 8020 of the tone's 11 025 samples in entry 600 (−1.4 dB).
    """
    x = np.zeros((start_s + 1) * rate)
    t = np.arange(rate) / rate
    x[start_s * rate :] = 0.5 * np.sin(2 * np.pi * 63.0 * t) + 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    result = analyze_array(x, rate)
    series = result.series
    assert len(series.momentary_lufs) == 10 * (start_s + 1)
    assert result.series.band_rms_hop_s == 1.0
    for name, freq, low, high in (("low", 63.0, 20.0, 200.0), ("mid", 1000.0, 500.0, 2000.0)):
        levels = series.band_rms_db[name]
        assert len(levels) == start_s + 1
        # −9.03 dBFS: a sine of amplitude 0.5 (mean square 0.125), through the band's LR4 filter
        assert levels[start_s] == pytest.approx(-9.03 + lr4_gain_db(freq, low, high, rate), abs=0.1), name
        assert all(v is None for v in levels[: start_s - 1]), name
        # the second before the tone: at most the leak of full-rate STFT frames centred just before it
        assert levels[start_s - 1] is None or levels[start_s - 1] < -40.0, name


def test_level_range_needs_one_window() -> None:
    assert band(measure(tone(1000.0, 2.0), FS), "mid").level_range_db is None


def test_spectrum_series() -> None:
    k = 13  # 1/6-octave bin 13: 89.8–100.8 Hz, centre 95.1 Hz
    centre = 20.0 * 2 ** ((k + 0.5) / 6)
    s = measure(tone(centre, 4.0, fade_s=0.0), FS)
    assert len(s.spectrum_freqs_hz) == 60 and len(s.spectrum_db) == 60
    assert s.spectrum_freqs_hz[0] == pytest.approx(20.0 * 2 ** (1 / 12))
    assert s.spectrum_freqs_hz[k] == pytest.approx(centre)
    assert s.spectrum_db[k] == pytest.approx(-3.01, abs=0.05)
    # all the tone's power is somewhere in the series
    total = sum(10 ** (v / 10) for v in s.spectrum_db if v is not None)
    assert 10 * np.log10(total) == pytest.approx(-3.01, abs=0.05)


@pytest.mark.parametrize("freq", [380.0, 479.0, 520.0, 700.0, 990.0, 1040.0, 5000.0])
def test_tone_power_adds_up_across_the_two_resolutions(freq) -> None:
    # the spectrum below ≈ 1 kHz comes from the decimated path, above from the full-rate STFT
    s = measure(tone(freq, 3.0, fade_s=0.0), FS)
    total = sum(10 ** (v / 10) for v in s.spectrum_db if v is not None)
    assert 10 * np.log10(total) == pytest.approx(-3.01, abs=0.05)


def test_band_above_nyquist_at_8khz() -> None:
    s = measure(tone(1000.0, 2.0, sample_rate=8000), 8000)
    high = band(s, "high")
    assert (high.freq_low_hz, high.freq_high_hz) == (6000.0, 20000.0)
    metrics = [f for f in high.__dataclass_fields__ if f not in ("band", "freq_low_hz", "freq_high_hz")]
    assert all(getattr(high, f) is None for f in metrics)
    assert band(s, "high_mid").freq_high_hz == 4000.0
    assert sum(b.energy_ratio for b in s.bands if b.energy_ratio is not None) == pytest.approx(1.0)
    assert band(s, "mid").energy_ratio > 0.99
    # bin 45 spans 3620–4064 Hz; bins from 4064 Hz up lie above Nyquist
    assert None not in s.spectrum_db[:46] and set(s.spectrum_db[46:]) == {None}


@pytest.mark.parametrize(("rate", "freq"), [(8000, 450.0), (8000, 980.0), (16000, 700.0), (96000, 505.0)])
def test_tone_power_adds_up_at_other_rates(rate, freq) -> None:
    s = measure(tone(freq, 3.0, sample_rate=rate, fade_s=0.0), rate)
    total = sum(10 ** (v / 10) for v in s.spectrum_db if v is not None)
    assert 10 * np.log10(total) == pytest.approx(-3.01, abs=0.05)
    assert s.spectral_centroid_hz == pytest.approx(freq, abs=rate / 1024)


def test_an_inaudible_band_keeps_its_level_and_share_but_no_stereo_or_shape() -> None:
    """SPEC §4: a band below −80 dBFS (here 10 kHz at −90 dBFS beside a loud 100 Hz tone) is reported by level and
    share only; an audible band keeps every figure."""
    from amt.analysis.engine import analyze_array

    fs = 48000
    t = np.arange(10 * fs) / fs
    left = 0.5 * np.sin(2 * np.pi * 100 * t) + 10 ** (-90 / 20) * np.sin(2 * np.pi * 10000 * t)
    right = 0.5 * np.sin(2 * np.pi * 100 * t) - 10 ** (-90 / 20) * np.sin(2 * np.pi * 10000 * t)
    result = analyze_array(np.stack([left, right], axis=1).astype(np.float32), fs)
    bands = {b.band: b for b in result.bands}
    high = bands["high"]
    assert high.rms_db is not None and high.rms_db < -80
    assert high.energy_ratio is not None and 0 < high.energy_ratio < 1e-6
    assert high.stereo_width is None and high.phase_correlation is None
    assert high.spectral_centroid_hz is None and high.spectral_flatness is None
    low = bands["low"]
    assert low.stereo_width == pytest.approx(0.0, abs=1e-6) and low.phase_correlation == pytest.approx(1.0, abs=1e-6)
