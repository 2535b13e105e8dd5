"""The 128-dim vector holds each figure in its slice, standardised as documented (SPEC §6)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from amt.analysis.result import AnalysisResult, AudioInfo, BandMetrics, OverallMetrics, TimeSeries
from amt.config.constants import BAND_NAMES, BANDS
from amt.ml.feature_extraction import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    STANDARDISATION,
    USED_DIMS,
    VECTOR_DIM,
    extract_features,
    features_from_dicts,
    half_octave_spectrum,
)

CENTRE = {name: c for name, c, _ in STANDARDISATION}
SCALE = {name: s for name, _, s in STANDARDISATION}


def _overall(**changes: float | None) -> OverallMetrics:
    values: dict = {
        "integrated_lufs": -8.0,
        "momentary_max_lufs": -5.0,
        "short_term_max_lufs": -6.5,
        "loudness_range_lu": 5.0,
        "true_peak_dbtp": -0.3,
        "sample_peak_dbfs": -0.4,
        "rms_dbfs": -10.0,
        "crest_factor_db": 9.6,
        "plr_db": 7.7,
        "dynamic_range_db": 6.4,
        "dr_value": 6,
        "stereo_width": 0.2,
        "lr_balance_db": 0.0,
        "phase_correlation": 0.7,
        "phase_correlation_min": 0.2,
        "negative_correlation_pct": 0.0,
        "spectral_centroid_hz": 1500.0,
        "spectral_rolloff_hz": 5000.0,
        "spectral_flatness": 0.1,
        "thd_percent": 12.0,
        "harmonic_ratio": 0.55,
        "transient_preservation": 0.35,
        "attack_time_ms": 6.0,
        "onset_rate_hz": 5.0,
        "spectral_flux": 0.2,
        "tempo_bpm": 140.0,
        "pulse_clarity": 0.7,
        "clipped_samples": 0,
        "clip_events": 0,
        "dc_offset": 0.0,
        "mono_compatibility_db": -0.5,
        "leading_silence_s": 0.0,
        "trailing_silence_s": 0.0,
        "sub_20hz_ratio": 0.0,
    }
    values.update(changes)
    return OverallMetrics(**values)


def _bands() -> tuple[BandMetrics, ...]:
    rows = []
    for i, b in enumerate(BANDS):
        rows.append(
            BandMetrics(
                band=b.name,
                freq_low_hz=b.low_hz,
                freq_high_hz=b.high_hz,
                rms_db=-12.0 - 4 * i,
                energy_ratio=[0.75, 0.15, 0.075, 0.02, 0.005][i],
                peak_db=-1.0 - i,
                crest_factor_db=10.0 + i,
                level_range_db=4.0 + i,
                spectral_centroid_hz=math.sqrt(b.low_hz * b.high_hz),  # log-middle → 0.5
                spectral_rolloff_hz=b.high_hz,  # upper edge → 1.0
                spectral_flatness=0.1 * (i + 1),
                stereo_width=0.05 * (i + 1),
                phase_correlation=0.9 - 0.1 * i,
            )
        )
    return tuple(rows)


def _result(overall: OverallMetrics | None = None, spectrum: list[float | None] | None = None) -> AnalysisResult:
    freqs = [20.0 * 2 ** ((k + 0.5) / 6) for k in range(60)]
    series = TimeSeries(
        momentary_lufs=[],
        short_term_lufs=[],
        loudness_hop_s=0.1,
        spectrum_freqs_hz=freqs,
        spectrum_db=spectrum if spectrum is not None else [-30.0] * 60,
        band_rms_db={},
        band_rms_hop_s=1.0,
        correlation=[],
        correlation_hop_s=0.4,
        clip_times_s=[],
    )
    info = AudioInfo(sample_rate=44100, channels=2, bit_depth=24, duration_s=60.0, frames=2646000)
    return AnalysisResult(audio=info, overall=overall or _overall(), bands=_bands(), series=series)


def z(name: str, value: float) -> float:
    return (value - CENTRE[name]) / SCALE[name]


def test_layout_and_type() -> None:
    v = extract_features(_result())
    assert v.shape == (VECTOR_DIM,) and v.dtype == np.float32
    assert len(FEATURE_NAMES) == USED_DIMS == 83
    assert np.all(v[83:] == 0.0)
    assert isinstance(FEATURE_VERSION, int)
    assert all(s > 0 for _, _, s in STANDARDISATION)


def test_spectral_band_slice() -> None:
    v = extract_features(_result())
    for i, band in enumerate(BAND_NAMES):
        base = 4 * i
        assert FEATURE_NAMES[base] == f"{band}.centroid_position"
        assert v[base] == pytest.approx(z(f"{band}.centroid_position", 0.5), abs=1e-5)
        assert v[base + 1] == pytest.approx(z(f"{band}.rolloff_position", 1.0), abs=1e-5)
        assert v[base + 2] == pytest.approx(z(f"{band}.spectral_flatness", 0.1 * (i + 1)), abs=1e-5)
        assert v[base + 3] == pytest.approx(z(f"{band}.rms_db", -12.0 - 4 * i), abs=1e-5)


def test_spectrum_slice_is_half_octaves_relative_to_mean() -> None:
    # Flat 1/6-octave levels but one half-octave (bins 9–11) 6 dB up in one of its three bins.
    spectrum: list[float | None] = [-30.0] * 60
    spectrum[10] = -24.0
    rel = half_octave_spectrum(spectrum)
    expected_peak = 10 * math.log10((2 + 10**0.6) / 3)
    assert rel[3] - rel[0] == pytest.approx(expected_peak, abs=1e-9)
    assert np.mean(rel) == pytest.approx(0.0, abs=1e-9)
    v = extract_features(_result(spectrum=spectrum))
    for k in range(20):
        assert v[20 + k] == pytest.approx(np.clip(z(f"spectrum_{k:02d}_rel_db", rel[k]), -5, 5), abs=1e-4)


def test_spectrum_with_undefined_bins() -> None:
    spectrum: list[float | None] = [-30.0] * 54 + [None] * 6  # above Nyquist of a 32 kHz file
    rel = half_octave_spectrum(spectrum)
    assert np.isnan(rel[18:]).all() and np.allclose(rel[:18], 0.0)
    v = extract_features(_result(spectrum=spectrum))
    assert v[38] == 0.0 and v[39] == 0.0
    assert np.isnan(half_octave_spectrum(None)).all()


def test_dynamics_energy_stereo_and_tail_slices() -> None:
    o = _overall()
    v = extract_features(_result(o))
    dyn = [
        "integrated_lufs",
        "momentary_max_lufs",
        "short_term_max_lufs",
        "loudness_range_lu",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "rms_dbfs",
        "dynamic_range_db",
        "crest_factor_db",
        "plr_db",
    ]
    for j, name in enumerate(dyn):
        assert FEATURE_NAMES[40 + j] == name
        assert v[40 + j] == pytest.approx(z(name, getattr(o, name)), abs=1e-5)
    for i, band in enumerate(BAND_NAMES):
        assert v[50 + i] == pytest.approx(z(f"{band}.crest_factor_db", 10.0 + i), abs=1e-5)
        assert v[55 + i] == pytest.approx(z(f"{band}.level_range_db", 4.0 + i), abs=1e-5)
        assert v[60 + i] == pytest.approx(z(f"{band}.energy_ratio", [0.75, 0.15, 0.075, 0.02, 0.005][i]), abs=1e-5)
        assert v[65 + i] == pytest.approx(z(f"{band}.stereo_width", 0.05 * (i + 1)), abs=1e-5)
        assert v[70 + i] == pytest.approx(z(f"{band}.phase_correlation", 0.9 - 0.1 * i), abs=1e-5)
    tail = [
        "thd_percent",
        "harmonic_ratio",
        "transient_preservation",
        "attack_time_ms",
        "onset_rate_hz",
        "spectral_flux",
        "tempo_bpm",
        "pulse_clarity",
    ]
    for j, name in enumerate(tail):
        assert FEATURE_NAMES[75 + j] == name
        assert v[75 + j] == pytest.approx(z(name, getattr(o, name)), abs=1e-5)


def test_none_becomes_zero_after_centring() -> None:
    v = extract_features(_result(_overall(thd_percent=None, loudness_range_lu=None, tempo_bpm=None)))
    assert v[75] == 0.0 and v[43] == 0.0 and v[81] == 0.0
    bands = list(_bands())
    bands[4] = replace(bands[4], spectral_centroid_hz=None, rms_db=None, stereo_width=None)
    r = _result()
    v2 = extract_features(replace(r, bands=tuple(bands)))
    assert v2[16] == 0.0 and v2[19] == 0.0 and v2[69] == 0.0


def test_values_are_clipped_to_five() -> None:
    v = extract_features(_result(_overall(integrated_lufs=+40.0, tempo_bpm=-1000.0)))
    assert v[40] == 5.0
    assert v[81] == -5.0
    assert np.all(np.abs(v) <= 5.0)


def test_dict_path_equals_dataclass_path() -> None:
    from dataclasses import asdict

    r = _result()
    bands = [asdict(b) for b in reversed(r.bands)]  # matched by name, not by position
    v = features_from_dicts(asdict(r.overall), bands, r.series.spectrum_db)
    assert np.array_equal(v, extract_features(r))


def test_typical_master_is_near_the_origin() -> None:
    # A master at the table's centres maps to (almost) the zero vector: centres are a typical master.
    overall = {name: c for name, c, _ in STANDARDISATION}
    v = features_from_dicts(overall, [], None)
    assert np.all(v[40:50] == 0.0) and np.all(v[75:83] == 0.0)
