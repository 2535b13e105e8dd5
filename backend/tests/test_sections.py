"""Section finding on loudness series built by hand from a known level profile."""

from __future__ import annotations

import math

import numpy as np
import pytest

from amt.analysis.sections import find_sections

HOP_S = 0.1
# (kind, seconds, loudness LUFS) — a typical club arrangement
PLAN = [("intro", 16, -24.0), ("drop", 24, -8.0), ("breakdown", 16, -20.0), ("drop", 24, -8.0), ("outro", 12, -24.0)]


def _series(plan: list[tuple[str, int, float]]) -> tuple[dict, float]:
    seg_lufs = np.concatenate([np.full(int(sec / HOP_S), lufs) for _, sec, lufs in plan])
    seg_power = 10 ** ((seg_lufs + 0.691) / 10)

    def windows(n: int) -> list[float | None]:
        csum = np.concatenate(([0.0], np.cumsum(seg_power)))
        means = (csum[n:] - csum[:-n]) / n
        return [None] * (n - 1) + [float(-0.691 + 10 * np.log10(m)) for m in means]

    seconds = int(sum(sec for _, sec, _ in plan))
    band_rms = {
        "low": [-10.0 if lufs > -10 else -40.0 for _, sec, lufs in plan for _ in range(sec)],
        "mid": [-13.0] * seconds,
    }
    series = {
        "momentary_lufs": windows(4),
        "short_term_lufs": windows(30),
        "loudness_hop_s": HOP_S,
        "band_rms_db": band_rms,
        "band_rms_hop_s": 1.0,
    }
    return series, float(seconds)


def test_sections_are_found_at_their_boundaries_with_their_loudness() -> None:
    series, duration = _series(PLAN)
    result = find_sections(series, duration)
    assert [s.kind for s in result.sections] == [k for k, _, _ in PLAN]
    edges = np.cumsum([0] + [sec for _, sec, _ in PLAN])
    for section, start, end, (_, _, lufs) in zip(result.sections, edges[:-1], edges[1:], PLAN, strict=True):
        assert section.start_s == pytest.approx(start, abs=1.0)
        assert section.end_s == pytest.approx(end, abs=1.0)
        assert section.integrated_lufs == pytest.approx(lufs, abs=0.2)
    # Quiet parts pooled: 28 s at −24 and 16 s at −20 LUFS → 10·log10((28·10^−2.4 + 16·10^−2)/44) = −22.10 LUFS.
    quiet = 10 * math.log10((28 * 10**-2.4 + 16 * 10**-2.0) / 44)
    assert result.section_contrast_lu == pytest.approx(-8.0 - quiet, abs=0.1)


def test_energy_ratios_per_section_come_from_the_band_series() -> None:
    series, duration = _series(PLAN)
    drop = find_sections(series, duration).sections[1]
    low, mid = 10 ** (-10 / 10), 10 ** (-13 / 10)
    assert drop.energy_ratios["low"] == pytest.approx(low / (low + mid), abs=0.02)
    intro = find_sections(series, duration).sections[0]
    assert intro.energy_ratios["mid"] == pytest.approx(1 / (1 + 10 ** (-27 / 10)), abs=0.01)


def test_a_steady_track_is_one_main_section_without_contrast() -> None:
    series, duration = _series([("main", 60, -9.0)])
    result = find_sections(series, duration)
    assert [(s.kind, s.start_s, s.end_s) for s in result.sections] == [("main", 0.0, 60.0)]
    assert result.sections[0].integrated_lufs == pytest.approx(-9.0, abs=0.01)
    assert result.section_contrast_lu is None


def test_short_dips_do_not_make_sections() -> None:
    series, duration = _series([("drop", 30, -8.0), ("fill", 3, -20.0), ("drop", 30, -8.0)])
    assert [s.kind for s in find_sections(series, duration).sections] == ["main"]


def test_silence_and_empty_series() -> None:
    assert find_sections({}, 0.0).sections == []
    silent = {"momentary_lufs": [None] * 50, "short_term_lufs": [None] * 50, "loudness_hop_s": 0.1}
    result = find_sections(silent, 5.0)
    assert len(result.sections) == 1 and result.sections[0].integrated_lufs is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in result.sections[0].energy_ratios.values())


def test_sections_of_a_rendered_track_through_the_engine() -> None:
    """Audio with known sections → engine → series → sections within 1 s and 0.2 LU of the analytic loudness.

    A stereo 997 Hz sine of peak amplitude A reads 20·log10(A) LUFS (BS.1770-4 calibration), so each
    section's loudness is known without measuring it.
    """
    from amt.analysis.engine import analyze_array

    sr = 44100
    plan = [
        ("intro", 12.0, 0.05),
        ("drop", 20.0, 0.5),
        ("breakdown", 14.0, 0.08),
        ("drop", 20.0, 0.45),
        ("outro", 10.0, 0.04),
    ]
    parts = []
    for _, seconds, amp in plan:
        t = np.arange(int(seconds * sr)) / sr
        parts.append(amp * np.sin(2 * np.pi * 997.0 * t))
    mono = np.concatenate(parts).astype(np.float32)
    result = analyze_array(np.stack([mono, mono], axis=1), sr)
    from dataclasses import asdict

    found = find_sections(asdict(result.series), result.audio.duration_s)
    assert [s.kind for s in found.sections] == [k for k, _, _ in plan]
    edges = np.cumsum([0.0] + [sec for _, sec, _ in plan])
    for section, start, end, (_, _, amp) in zip(found.sections, edges[:-1], edges[1:], plan, strict=True):
        assert section.start_s == pytest.approx(start, abs=1.0)
        assert section.end_s == pytest.approx(end, abs=1.0)
        assert section.integrated_lufs == pytest.approx(20 * math.log10(amp), abs=0.2)
        assert section.energy_ratios["mid"] == pytest.approx(1.0, abs=0.02)
