"""Levels, DR, clipping, DC, silence and stereo image on signals with hand-derived answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
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
