"""Levels, DR, clipping, DC, silence and stereo image on signals with hand-derived answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from test_td_support import measure, stereo, tone

SR = 48000


def test_rms_and_crest_of_full_scale_sine_and_square() -> None:
    sine = measure(stereo(tone(1000, 2.0, 0.0, SR)), SR)
    assert sine.rms_dbfs == pytest.approx(-3.0103, abs=0.005)
    assert sine.sample_peak_dbfs == pytest.approx(0.0, abs=1e-6)
    assert sine.crest_factor_db == pytest.approx(3.0103, abs=0.005)
    square = measure(stereo(np.where(np.arange(SR * 2) % 96 < 48, 1.0, -1.0)), SR)
    assert square.rms_dbfs == pytest.approx(0.0, abs=1e-6)
    assert square.crest_factor_db == pytest.approx(0.0, abs=1e-6)


def test_rms_pools_channels() -> None:
    x = np.stack([tone(1000, 2.0, 0.0, SR), np.zeros(2 * SR)], axis=1)
    # Half the channels silent: mean square halves, -3.01 - 3.01 dB.
    assert measure(x, SR).rms_dbfs == pytest.approx(-6.0206, abs=0.005)


def test_dr_of_a_sine_is_zero() -> None:
    s = measure(stereo(tone(1000, 12.0, -6.0, SR)), SR)
    assert s.dynamic_range_db == pytest.approx(0.0, abs=1e-3)
    assert s.dr_value == 0


def test_dr_of_known_block_structure() -> None:
    """Ten 3 s blocks of 1 kHz sines (amplitudes a_i), two with a spike, and a 1.5 s tail.

    Block RMS = sqrt(2·mean(x²)) (= a_i for a plain sine: whole cycles), block
    peak = max |x|. 11 blocks → the loudest floor(2.2) = 2 block RMS values form
    RMS_top; peak₂ = 0.8, the second-highest block peak (the spikes 1.0 and 0.8).
    """
    amplitudes = [0.15, 0.25, 0.1, 0.2, 0.05, 0.22, 0.12, 0.18, 0.08, 0.24]
    blocks = [a * np.sin(2 * np.pi * 1000 * np.arange(3 * SR) / SR) for a in amplitudes]
    blocks[2][1000] = 1.0
    blocks[6][5000] = -0.8
    blocks.append(0.05 * np.sin(2 * np.pi * 1000 * np.arange(SR * 3 // 2) / SR))
    rms = sorted(math.sqrt(2 * float(np.mean(b**2))) for b in blocks)
    expected = 20 * math.log10(0.8 / math.sqrt((rms[-1] ** 2 + rms[-2] ** 2) / 2))
    assert expected == pytest.approx(20 * math.log10(0.8 / math.sqrt((0.25**2 + 0.24**2) / 2)), abs=1e-6)
    s = measure(stereo(np.concatenate(blocks)), SR)
    assert s.dynamic_range_db == pytest.approx(expected, abs=1e-3)
    assert s.dr_value == round(expected) == 10


def test_dr_of_one_block_uses_its_own_peak() -> None:
    """A single (partial) block: peak₂ is the highest peak; RMS_top that block's RMS."""
    x = 0.25 * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR)
    x[100] = 0.5
    rms = math.sqrt(2 * float(np.mean(x**2)))
    s = measure(stereo(x), SR)
    assert s.dynamic_range_db == pytest.approx(20 * math.log10(0.5 / rms), abs=1e-3)


def test_stereo_image_of_mono_uncorrelated_and_inverted() -> None:
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((SR * 8, 2)) * 0.1
    same = measure(stereo(noise[:, 0]), SR)
    assert same.stereo_width == pytest.approx(0.0, abs=1e-9)
    assert same.phase_correlation == pytest.approx(1.0, abs=1e-9)
    assert same.mono_compatibility_db == pytest.approx(0.0, abs=1e-6)
    assert same.lr_balance_db == pytest.approx(0.0, abs=1e-9)

    uncorrelated = measure(noise, SR)
    assert uncorrelated.stereo_width == pytest.approx(0.5, abs=0.01)
    assert uncorrelated.phase_correlation == pytest.approx(0.0, abs=0.01)
    assert uncorrelated.mono_compatibility_db == pytest.approx(-3.01, abs=0.1)
    assert uncorrelated.negative_correlation_pct is not None and 10.0 < uncorrelated.negative_correlation_pct < 90.0

    inverted = measure(np.stack([noise[:, 0], -noise[:, 0]], 1), SR)
    assert inverted.stereo_width == pytest.approx(1.0, abs=1e-9)
    assert inverted.phase_correlation == pytest.approx(-1.0, abs=1e-9)
    assert inverted.phase_correlation_min == pytest.approx(-1.0, abs=1e-9)
    assert inverted.negative_correlation_pct == pytest.approx(100.0)
    assert inverted.mono_compatibility_db is None  # M = 0: gated out

    almost = measure(np.stack([noise[:, 0], -0.98 * noise[:, 0]], 1), SR)
    # M = 0.01·L on both channels vs L and 0.98·L: 20·log10(0.01) - 10·log10((1 + 0.98²)/2) ≈ -40 dB.
    expected = 20 * math.log10(0.01) - 10 * math.log10((1 + 0.98**2) / 2)
    assert almost.mono_compatibility_db == pytest.approx(expected, abs=0.05)


def test_mono_input_reads_by_definition() -> None:
    s = measure(tone(1000, 3.0, -10.0, SR), SR)
    assert (s.stereo_width, s.phase_correlation, s.lr_balance_db, s.mono_compatibility_db) == (0.0, 1.0, 0.0, 0.0)
    assert s.phase_correlation_min == 1.0 and s.negative_correlation_pct == 0.0


def test_lr_balance_right_6_db_louder() -> None:
    x = tone(1000, 5.0, -20.0, SR)
    s = measure(np.stack([x, 2.0 * x], 1), SR)
    assert s.lr_balance_db == pytest.approx(20 * math.log10(2.0), abs=0.01)


def test_correlation_series_and_gate() -> None:
    x = tone(500, 4.0, -20.0, SR)
    silence = np.zeros(SR * 2)
    s = measure(stereo(np.concatenate([x, silence])), SR)
    assert s.correlation_hop_s == pytest.approx(0.4)
    assert len(s.correlation) == 15  # 6 s / 0.4 s
    assert all(v == pytest.approx(1.0) for v in s.correlation[:10])
    assert s.correlation[-1] is None  # silent windows are gated (below -70 LUFS)


def test_clipping_of_a_sine_hard_clipped_at_0_9() -> None:
    """1 kHz at 48 kHz, amplitude 1 clipped at 0.9: |sin| > 0.9 spans ~6.9 samples per half cycle.

    Every half cycle is one run (≥ 3 samples) on each channel: 2 × 1000 × 2 s × 2 channels.
    """
    x = np.clip(tone(1000, 2.0, 0.0, SR), -0.9, 0.9)
    s = measure(stereo(x), SR)
    assert s.clip_events == 2 * 1000 * 2 * 2
    within = np.abs(x.astype(np.float32)) >= np.float32(0.9) * 10 ** (-0.01 / 20)
    assert s.clipped_samples == 2 * int(within.sum())
    assert len(s.clip_times_s) == s.clip_events
    assert s.clip_times_s[0] == pytest.approx(asin_time(0.9), abs=1.5 / SR)


def asin_time(level: float) -> float:
    """First time a 1 kHz sine reaches ``level``."""
    return math.asin(level) / (2 * math.pi * 1000)


def test_no_clipping_below_minus_1_dbfs_or_when_a_later_peak_is_higher() -> None:
    low = measure(stereo(np.clip(tone(1000, 1.0, 0.0, SR), -0.85, 0.85)), SR)  # peak -1.41 dBFS
    assert (low.clip_events, low.clipped_samples) == (0, 0)
    # Clipped at 0.9 first, then an unclipped sine reaching 0.95 — 0.9 is no longer the channel's peak.
    first = np.clip(tone(1000, 1.0, 0.0, SR), -0.9, 0.9)
    later = 0.95 * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR)
    s = measure(stereo(np.concatenate([first, later])), SR)
    assert (s.clip_events, s.clipped_samples) == (0, 0)


def test_clip_runs_across_block_edges_count_once() -> None:
    layout_block = 300 * 4800
    x = np.zeros(layout_block + SR)
    x[layout_block - 2 : layout_block + 3] = 0.99  # 5 samples straddling the block edge
    s = measure(stereo(x), SR)
    assert s.clip_events == 2  # one per channel
    assert s.clipped_samples == 10


def test_dc_offset() -> None:
    x = tone(1000, 2.0, -6.0, SR)
    s = measure(np.stack([x + 0.1, x - 0.02], 1), SR)
    assert s.dc_offset == pytest.approx(0.1, abs=1e-6)


def test_leading_and_trailing_silence() -> None:
    x = np.concatenate([np.zeros(int(1.5 * SR)), tone(1000, 2.0, -20.0, SR), np.zeros(int(0.7 * SR))])
    s = measure(stereo(x), SR)
    # The tone starts at phase 0: its first sample is 0, the second already above -60 dBFS.
    assert s.leading_silence_s == pytest.approx(1.5 + 1 / SR, abs=1e-9)
    assert s.trailing_silence_s == pytest.approx(0.7, abs=2 / SR)
    loud = measure(stereo(tone(1000, 1.0, -20.0, SR, phase=1.0)), SR)
    assert loud.leading_silence_s == 0.0


def test_dr_counts_the_final_partial_block() -> None:
    """Nine 3 s blocks of a 0.3 sine (one with a 0.9 spike), then 1.5 s of a 0.5 sine.

    Counting the partial block: 10 blocks, RMS_top over the loudest floor(2.0) = 2 (0.5 and
    0.3), peak₂ = 0.5 (peaks 0.9, 0.5, 0.3 …) → 20·log10(0.5 / √((0.5² + 0.3²)/2)) = 1.675 dB.
    Leaving it out would give 9 blocks, RMS_top = 0.3, peak₂ = 0.3: DR 0.
    """
    full = [0.3 * np.sin(2 * np.pi * 1000 * np.arange(3 * SR) / SR) for _ in range(9)]
    full[4][777] = 0.9
    tail = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(SR * 3 // 2) / SR)
    s = measure(stereo(np.concatenate([*full, tail])), SR)
    expected = 20 * math.log10(0.5 / math.sqrt((0.5**2 + 0.3**2) / 2))
    assert s.dynamic_range_db == pytest.approx(expected, abs=1e-3)
    assert s.dr_value == 2


def _dr_channels(rate: int, dr20: int, dr0: int) -> np.ndarray:
    """``dr20`` channels whose DR is exactly 20 dB and ``dr0`` whose DR is exactly 0, plus an LFE at index 3.

    Three 3 s blocks. Values are powers of two, so every sum is exact: a "loud" block is
    a, 0, −a, 0 … (mean x² = a²/2, block RMS √(2·a²/2) = a, peak a). DR 0: three loud
    blocks. DR 20: one loud block, then two blocks of silence with a 10·a spike: RMS_top = a,
    peak₂ = 10·a, 20·log10(10) = 20.
    """
    a = 2.0**-5
    block = 3 * rate
    loud = np.resize([a, 0.0, -a, 0.0], block)
    spiky = np.zeros(block)
    spiky[block // 2] = 10 * a
    level = [np.concatenate([loud, spiky, spiky])] * dr20 + [np.concatenate([loud, loud, loud])] * dr0
    lfe = np.full(3 * block, 0.9)  # would dominate every figure if it were counted
    return np.stack([*level[:3], lfe, *level[3:]], axis=1)


@pytest.mark.parametrize(("dr20", "dr0", "mean"), [(3, 5, 7.5), (17, 23, 8.5)])
def test_dr_value_rounds_half_to_even(dr20: int, dr0: int, mean: float) -> None:
    """Mean over channels exactly 7.5 (3 of 8 channels at 20 dB) and 8.5 (17 of 40): both print DR8."""
    s = measure(_dr_channels(8000, dr20, dr0), 8000)
    assert s.dynamic_range_db == mean
    assert s.dr_value == 8


# BS.1770-4 Annex 1, Tables 1 and 2: the K-weighting stages at 48 kHz, as printed.
_BS1770_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_BS1770_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])


def k_weighting_power_gain(freq_hz: float) -> float:
    """|H(f)|² of the printed 48 kHz K-weighting filter (independent of the engine's own design)."""
    gain = 1.0
    for b, a in (_BS1770_SHELF, _BS1770_HIGHPASS):
        _, h = scipy.signal.freqz(b, a, worN=[freq_hz], fs=SR)
        gain *= float(np.abs(h[0]) ** 2)
    return gain


def sine_loudness(amplitudes_and_weights: list[tuple[float, float]], freq_hz: float) -> float:
    """BS.1770-4 eq. (2) for steady sines: −0.691 + 10·log10(Σ G_i · A_i²/2 · |H(f)|²), LUFS."""
    power = sum(g * a * a / 2 for a, g in amplitudes_and_weights) * k_weighting_power_gain(freq_hz)
    return -0.691 + 10 * math.log10(power)


def test_plr_of_a_sine_is_its_peak_minus_its_loudness() -> None:
    """A 997 Hz sine of amplitude 0.5 on L and R: true peak 20·log10(0.5); loudness from the printed filter."""
    s = measure(stereo(tone(997, 10.0, 20 * math.log10(0.5), SR)), SR)
    loudness = sine_loudness([(0.5, 1.0), (0.5, 1.0)], 997.0)
    assert s.integrated_lufs == pytest.approx(loudness, abs=0.01)
    assert s.true_peak_dbtp == pytest.approx(20 * math.log10(0.5), abs=0.01)
    assert s.plr_db == pytest.approx(20 * math.log10(0.5) - loudness, abs=0.02)


def reference_dr(x: np.ndarray, block: int) -> float:
    """The SPEC §4 DR of a mono signal, written out directly: blocks of ``block`` samples, the last partial."""
    blocks = [x[i : i + block] for i in range(0, x.size, block)]
    rms = np.sort([math.sqrt(2 * float(np.mean(b.astype(np.float64) ** 2))) for b in blocks])
    top = max(1, math.floor(0.2 * len(blocks)))
    rms_top = math.sqrt(float(np.mean(rms[-top:] ** 2)))
    peaks = np.sort([float(np.abs(b).max()) for b in blocks])
    return 20 * math.log10(peaks[-2] / rms_top)


def test_dr_blocks_are_exactly_3_s_at_11025_hz() -> None:
    """At 11 025 Hz a 100 ms segment is 1102.5 samples; 3 s blocks must still be 33 075 samples, not 30 × 1102.

    A 0.9 spike on the last sample of block 10 and a 0.8 spike inside block 11: exact blocks give
    peak₂ = 0.8; blocks 15 samples short each would have both spikes in one block (peak₂ = 0.2).
    """
    rate, block = 11025, 33075
    x = 0.2 * np.sin(2 * np.pi * 245 * np.arange(20 * block + rate) / rate)  # 45 samples per cycle
    x[11 * block - 1] = 0.9
    x[11 * block + 500] = 0.8
    expected = reference_dr(x.astype(np.float32), block)
    assert abs(expected - reference_dr(x.astype(np.float32), 30 * 1102)) > 5.0  # the test can tell them apart
    assert measure(x, rate).dynamic_range_db == pytest.approx(expected, abs=1e-4)


def test_loudness_series_do_not_drift_at_11025_hz() -> None:
    """Silence, then a tone from exactly 600 s: the first momentary and short-term values that see it are
    the windows ending at 600.1 s (entry 6000). 1102-sample segments would put it at entry 6002."""
    rate = 11025
    x = np.zeros(601 * rate, dtype=np.float32)
    x[600 * rate :] = tone(1000, 1.0, -20.0, rate, phase=1.0)
    s = measure(x, rate)
    assert len(s.momentary_lufs) == len(s.short_term_lufs) == 6010
    assert next(i for i, v in enumerate(s.momentary_lufs) if v is not None) == 6000
    assert next(i for i, v in enumerate(s.short_term_lufs) if v is not None) == 6000
    assert s.leading_silence_s == pytest.approx(600.0, abs=1 / rate)


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("silent", np.zeros(3 * SR)),
        ("below the −70 LUFS gate", tone(1000, 3.0, -100.0, SR)),
        ("audible", tone(1000, 3.0, -10.0, SR)),
    ],
)
def test_mono_stereo_figures_are_those_of_the_same_signal_on_l_and_r(name: str, signal: np.ndarray) -> None:
    """Width, correlation, balance and mono compatibility of mono equal those of dual mono — None included:
    silence has no width or correlation (0/0), and balance and mono compatibility are loudness differences,
    undefined below the gate."""
    mono, dual = measure(signal, SR), measure(stereo(signal), SR)
    fields = ("stereo_width", "phase_correlation", "lr_balance_db", "mono_compatibility_db")
    for field in fields:
        m, d = getattr(mono, field), getattr(dual, field)
        assert (m is None) == (d is None), (name, field, m, d)
        assert m is None or m == pytest.approx(d, abs=1e-6), (name, field)
    if name == "silent":
        assert all(getattr(mono, f) is None for f in fields)


@pytest.mark.parametrize(
    "signal",
    [
        np.where(np.arange(SR * 7) % 96 < 48, 0.5, -0.5),  # square wave: block RMS √2·0.5 above its peak
        np.full(SR * 7, 0.25),  # DC
        np.array([0.5]),  # one sample
    ],
    ids=["square", "dc", "one_sample"],
)
def test_dr_is_never_negative(signal: np.ndarray) -> None:
    """SPEC §4: 20·log10(peak₂ / RMS_top) is −3.01 dB for these (RMS = √2·peak); DR reads 0, as meters print."""
    s = measure(stereo(signal), SR)
    assert s.dynamic_range_db == 0.0
    assert s.dr_value == 0
