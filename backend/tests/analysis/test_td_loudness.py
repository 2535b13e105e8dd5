"""Loudness against EBU Tech 3341 (BS.1770-4 meter) and Tech 3342 (LRA) test cases.

The cases are synthesised here (1 kHz stereo sines, same signal on L and R) at
48 kHz and 44.1 kHz; tolerances are the documents' own (±0.1 LU, ±1 LU for LRA).
Tech 3341 cases 1–5 go through real WAV files and the decoder.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from golden import check, ebu_name
from test_td_support import measure, measure_file, music, stereo, tone, write

from amt.analysis.loudness import k_weighting_sos

RATES = [48000, 44100]


def sequence(parts: list[tuple[float, float]], sample_rate: int) -> np.ndarray:
    """Consecutive 1 kHz stereo tones, each (level dBFS, seconds)."""
    return stereo(np.concatenate([tone(1000, seconds, level, sample_rate) for level, seconds in parts]))


TECH_3341 = {
    # case: (tone sequence, expected integrated loudness)
    "case 1: -23 dBFS 20 s": ([(-23.0, 20.0)], -23.0),
    "case 2: -33 dBFS 20 s": ([(-33.0, 20.0)], -33.0),
    "case 3: -36/-23/-36 dBFS 10/60/10 s": ([(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
    "case 4: -72/-36/-23/-36/-72 dBFS 10/10/60/10/10 s": (
        [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],
        -23.0,
    ),
    "case 5: -26/-20/-26 dBFS 20/20.1/20 s": ([(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
}


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("case", list(TECH_3341))
def test_tech_3341_integrated(tmp_path: Path, case: str, sample_rate: int) -> None:
    parts, expected = TECH_3341[case]
    path = write(tmp_path / "case.wav", sequence(parts, sample_rate), sample_rate, subtype="PCM_24")
    summary = measure_file(path)
    assert summary.integrated_lufs == pytest.approx(expected, abs=0.1)
    check("ebu", ebu_name("3341", case, sample_rate), summary.as_dict())  # every figure, as before the split


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("level", [-23.0, -33.0])
def test_momentary_and_short_term_max_of_steady_tone(sample_rate: int, level: float) -> None:
    summary = measure(sequence([(level, 20.0)], sample_rate), sample_rate)
    assert summary.momentary_max_lufs == pytest.approx(level, abs=0.1)
    assert summary.short_term_max_lufs == pytest.approx(level, abs=0.1)
    # Series: one value per 100 ms; the first 3 (momentary) / 29 (short-term) windows are incomplete.
    assert len(summary.momentary_lufs) == len(summary.short_term_lufs) == 200
    assert summary.momentary_lufs[:3] == [None, None, None]
    assert summary.short_term_lufs[28] is None and summary.short_term_lufs[29] is not None
    assert all(v == pytest.approx(level, abs=0.1) for v in summary.momentary_lufs[3:])


TECH_3342 = {
    # case: (tone sequence, expected LRA); tones of 20 s each
    "case 1: -20/-30": ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
    "case 2: -20/-15": ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
    "case 3: -40/-20": ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
    "case 4: -50/-35/-20/-35/-50": ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
}


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("case", list(TECH_3342))
def test_tech_3342_loudness_range(case: str, sample_rate: int) -> None:
    parts, expected = TECH_3342[case]
    summary = measure(sequence(parts, sample_rate), sample_rate)
    assert summary.loudness_range_lu == pytest.approx(expected, abs=1.0)
    check("ebu", ebu_name("3342", case, sample_rate), summary.as_dict())  # every figure, as before the split


@pytest.mark.parametrize("sample_rate", [8000, 44100, 48000, 96000, 192000])
def test_k_weighting_design_matches_the_standard(sample_rate: int) -> None:
    sos = k_weighting_sos(sample_rate)
    if sample_rate == 48000:
        # BS.1770-4 Annex 1, Tables 1 and 2.
        assert sos[0] == pytest.approx([1.53512485958697, -2.69169618940638, 1.19839281085285,
                                        1.0, -1.69065929318241, 0.73248077421585], abs=1e-12)  # fmt: skip
        assert sos[1] == pytest.approx([1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], abs=1e-12)
    # At every rate: ≈ +4 dB high shelf well above 2 kHz, 0 dB at 1 kHz (+0.7), high-pass below 40 Hz.
    from scipy.signal import sosfreqz

    freqs = np.array([20.0, 1000.0, min(10000.0, 0.4 * sample_rate)])
    _, h = sosfreqz(sos, worN=freqs, fs=sample_rate)
    gain_db = 20 * np.log10(np.abs(h))
    assert gain_db[0] < -5.0
    assert gain_db[1] == pytest.approx(0.7, abs=0.1)
    if sample_rate >= 20000:
        assert gain_db[2] == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("sample_rate", [44100, 96000])
def test_same_signal_reads_the_same_at_other_rates(sample_rate: int) -> None:
    """A sine reads (nearly) the same loudness at any rate: the filter is designed per rate.

    The bilinear design moves the 1 kHz gain by 0.02 dB between 48 and 96 kHz
    (as in libebur128), well inside Tech 3341's ±0.1 LU.
    """
    reference = measure(sequence([(-18.0, 5.0)], 48000), 48000).integrated_lufs
    other = measure(sequence([(-18.0, 5.0)], sample_rate), sample_rate).integrated_lufs
    assert other == pytest.approx(reference, abs=0.03)


def test_surround_channels_weigh_1_41() -> None:
    x = tone(1000, 5.0, -20.0, 48000)
    front = np.zeros((x.size, 6))
    front[:, 0] = x
    surround = np.zeros((x.size, 6))
    surround[:, 4] = x
    lfe = np.zeros((x.size, 6))
    lfe[:, 3] = x
    lf, ls, lfe_only = measure(front, 48000), measure(surround, 48000), measure(lfe, 48000)
    assert ls.integrated_lufs - lf.integrated_lufs == pytest.approx(10 * math.log10(1.41), abs=0.01)
    assert lfe_only.integrated_lufs is None
    assert lfe_only.momentary_max_lufs is None
    # Peaks, RMS and DR leave the LFE out.
    assert lfe_only.sample_peak_dbfs is None and lfe_only.true_peak_dbtp is None and lfe_only.rms_dbfs is None


def test_music_loudness_is_independent_of_gain() -> None:
    """Integrated loudness moves dB for dB with gain; LRA does not move."""
    x = music(12.0, 44100, seed=1)
    a, b = measure(x, 44100), measure(x * 0.5, 44100)
    assert a.integrated_lufs - b.integrated_lufs == pytest.approx(20 * math.log10(2), abs=1e-3)
    assert a.loudness_range_lu == pytest.approx(b.loudness_range_lu, abs=1e-3)
