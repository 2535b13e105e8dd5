"""The 128-dimension feature vector of an analysis (SPEC §6).

Layout (dims, inclusive):

* 0–39 spectral — per band (low … high) four figures: spectral centroid and
  85 % roll-off as a log-frequency position inside the band,
  ``(ln f − ln lo) / (ln hi − ln lo)`` (0 at the lower edge, 1 at the upper),
  spectral flatness, and band RMS level (dBFS) — 20 dims; then the long-term
  spectrum as 20 half-octave bins from 20 Hz to 20 kHz (the 60 1/6-octave bins of
  ``series.spectrum_db`` power-averaged in threes), in dB relative to their mean — 20 dims.
* 40–59 dynamics — integrated, momentary max, short-term max (LUFS), LRA (LU), true
  peak (dBTP), sample peak, RMS (dBFS), DR, crest, PLR (dB); per band crest factor (5)
  and level range (5), dB.
* 60–64 energy ratio per band (0 … 1).
* 65–74 stereo width per band (5), phase correlation per band (5).
* 75–82 THD (%), harmonic ratio, transient preservation, attack time (ms), onset
  rate (Hz), spectral flux, tempo (BPM), pulse clarity.
* 83–127 reserved, always 0.

Every dimension is standardised as ``(value − centre) / scale`` with the
(centre, scale) pairs of :data:`STANDARDISATION` — centre ≈ a typical finished
master, scale ≈ how far masters spread around it — so that cosine similarity
compares deviations from a typical master rather than raw magnitudes (without
centring every cosine is near 1). An undefined figure (``None``) becomes 0
after centring, i.e. "typical"; every value is clipped to ±5.

The table is versioned with :data:`FEATURE_VERSION`: a vector is only comparable
with vectors of the same version; changing a single centre or scale, or the
layout, means a new version and re-computing the stored vectors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from amt.analysis.result import AnalysisResult
from amt.config.constants import (
    BAND_NAMES,
    BANDS,
    SPECTRUM_BINS_PER_OCTAVE,
    TYPICAL_MASTER_LTAS,
    ltas_band_shares,
    ltas_level_db,
)

FEATURE_VERSION = 2
"""Version of the layout and of :data:`STANDARDISATION`; stored beside every vector.

2: band energy shares, band levels and the spectrum centred on the long-term-spectrum model of
the genre targets (version 1 centred them on a much brighter master)."""

VECTOR_DIM = 128
USED_DIMS = 83
CLIP = 5.0
SPECTRUM_BINS = 20
"""Half-octave bins of the long-term spectrum in the vector (20 Hz … 20 kHz)."""
_GROUP = SPECTRUM_BINS_PER_OCTAVE // 2
"""1/6-octave bins per half-octave bin."""


TYPICAL_RMS_DBFS = -11.0
"""RMS of a typical master (the centre of the ``rms_dbfs`` dim)."""
TYPICAL_BAND_SHARES: tuple[float, ...] = ltas_band_shares(*TYPICAL_MASTER_LTAS)
"""Band energy shares of a typical master: the long-term-spectrum model the genre targets use."""


def _typical_spectrum_db() -> list[float]:
    """Centre of the 20 half-octave spectrum dims: the typical master's long-term spectrum.

    The model of ``config.constants.TYPICAL_MASTER_LTAS`` (flat per octave over the kick
    and bass, 3.5 dB per octave down above 120 Hz, air roll-off above 12 kHz, falling
    below 40 Hz) at each half-octave's centre, made relative to its mean like the measured ones.
    """
    levels = [ltas_level_db(20.0 * 2.0 ** ((k + 0.5) / 2.0), *TYPICAL_MASTER_LTAS) for k in range(SPECTRUM_BINS)]
    mean = sum(levels) / len(levels)
    return [round(v - mean, 1) for v in levels]


def _typical_band_rms(index: int) -> float:
    """Band level of the typical master, dBFS: its RMS times the band's energy share."""
    return round(TYPICAL_RMS_DBFS + 10.0 * math.log10(TYPICAL_BAND_SHARES[index]), 1)


_BAND_CENTRES: dict[str, dict[str, float]] = {
    # name: centroid position, rolloff position, flatness, rms_db, crest_db, level_range_db,
    #       width, correlation, energy_ratio
    "low": {
        "cen": 0.45,
        "rol": 0.75,
        "flat": 0.10,
        "rms": _typical_band_rms(0),
        "crest": 11.0,
        "lr": 5.0,
        "width": 0.03,
        "corr": 0.95,
        "energy": TYPICAL_BAND_SHARES[0],
    },
    "low_mid": {
        "cen": 0.45,
        "rol": 0.80,
        "flat": 0.20,
        "rms": _typical_band_rms(1),
        "crest": 13.0,
        "lr": 6.0,
        "width": 0.15,
        "corr": 0.70,
        "energy": TYPICAL_BAND_SHARES[1],
    },
    "mid": {
        "cen": 0.40,
        "rol": 0.75,
        "flat": 0.20,
        "rms": _typical_band_rms(2),
        "crest": 14.0,
        "lr": 6.0,
        "width": 0.20,
        "corr": 0.60,
        "energy": TYPICAL_BAND_SHARES[2],
    },
    "high_mid": {
        "cen": 0.40,
        "rol": 0.75,
        "flat": 0.25,
        "rms": _typical_band_rms(3),
        "crest": 15.0,
        "lr": 6.0,
        "width": 0.25,
        "corr": 0.50,
        "energy": TYPICAL_BAND_SHARES[3],
    },
    "high": {
        "cen": 0.35,
        "rol": 0.70,
        "flat": 0.30,
        "rms": _typical_band_rms(4),
        "crest": 15.0,
        "lr": 6.0,
        "width": 0.30,
        "corr": 0.45,
        "energy": TYPICAL_BAND_SHARES[4],
    },
}
_BAND_SCALES = {"cen": 0.12, "rol": 0.12, "flat": 0.12, "rms": 4.0, "crest": 3.0, "lr": 3.0, "width": 0.08, "corr": 0.2}
ENERGY_SCALE_FRACTION = 0.35
"""Scale of an energy-share dim as a fraction of its centre: ±1 unit ≈ ±1.3 dB around a typical master."""


def _table() -> tuple[tuple[str, float, float], ...]:
    rows: list[tuple[str, float, float]] = []
    for band in BAND_NAMES:
        c = _BAND_CENTRES[band]
        rows += [
            (f"{band}.centroid_position", c["cen"], _BAND_SCALES["cen"]),
            (f"{band}.rolloff_position", c["rol"], _BAND_SCALES["rol"]),
            (f"{band}.spectral_flatness", c["flat"], _BAND_SCALES["flat"]),
            (f"{band}.rms_db", c["rms"], _BAND_SCALES["rms"]),
        ]
    rows += [(f"spectrum_{k:02d}_rel_db", centre, 3.0) for k, centre in enumerate(_typical_spectrum_db())]
    rows += [
        ("integrated_lufs", -9.0, 3.0),
        ("momentary_max_lufs", -6.0, 3.0),
        ("short_term_max_lufs", -7.0, 3.0),
        ("loudness_range_lu", 6.0, 3.0),
        ("true_peak_dbtp", -0.5, 0.8),
        ("sample_peak_dbfs", -0.7, 0.8),
        ("rms_dbfs", TYPICAL_RMS_DBFS, 3.0),
        ("dynamic_range_db", 7.0, 2.5),
        ("crest_factor_db", 10.0, 2.5),
        ("plr_db", 9.0, 2.5),
    ]
    rows += [(f"{b}.crest_factor_db", _BAND_CENTRES[b]["crest"], _BAND_SCALES["crest"]) for b in BAND_NAMES]
    rows += [(f"{b}.level_range_db", _BAND_CENTRES[b]["lr"], _BAND_SCALES["lr"]) for b in BAND_NAMES]
    rows += [
        (f"{b}.energy_ratio", _BAND_CENTRES[b]["energy"], ENERGY_SCALE_FRACTION * _BAND_CENTRES[b]["energy"])
        for b in BAND_NAMES
    ]
    rows += [(f"{b}.stereo_width", _BAND_CENTRES[b]["width"], _BAND_SCALES["width"]) for b in BAND_NAMES]
    rows += [(f"{b}.phase_correlation", _BAND_CENTRES[b]["corr"], _BAND_SCALES["corr"]) for b in BAND_NAMES]
    rows += [
        ("thd_percent", 10.0, 10.0),
        ("harmonic_ratio", 0.6, 0.15),
        ("transient_preservation", 0.4, 0.2),
        ("attack_time_ms", 10.0, 8.0),
        ("onset_rate_hz", 4.0, 2.0),
        ("spectral_flux", 0.1, 0.1),
        ("tempo_bpm", 125.0, 20.0),
        ("pulse_clarity", 0.5, 0.2),
    ]
    return tuple(rows)


STANDARDISATION: tuple[tuple[str, float, float], ...] = _table()
"""(dimension name, centre, scale) for dims 0–82, in vector order (version :data:`FEATURE_VERSION`)."""
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _, _ in STANDARDISATION)
_CENTRE = np.array([c for _, c, _ in STANDARDISATION], dtype=np.float64)
_SCALE = np.array([s for _, _, s in STANDARDISATION], dtype=np.float64)

_OVERALL_DYNAMICS = (
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
)
_OVERALL_TAIL = (
    "thd_percent",
    "harmonic_ratio",
    "transient_preservation",
    "attack_time_ms",
    "onset_rate_hz",
    "spectral_flux",
    "tempo_bpm",
    "pulse_clarity",
)

assert len(STANDARDISATION) == USED_DIMS


def _num(value: Any) -> float:
    """A finite float, or NaN for None / non-finite."""
    if value is None:
        return math.nan
    v = float(value)
    return v if math.isfinite(v) else math.nan


def _log_position(freq_hz: Any, low_hz: float, high_hz: float) -> float:
    """Position of a frequency inside [low, high] on a log axis (0 … 1), NaN when undefined."""
    f = _num(freq_hz)
    if math.isnan(f) or f <= 0.0 or high_hz <= low_hz:
        return math.nan
    return (math.log(f) - math.log(low_hz)) / (math.log(high_hz) - math.log(low_hz))


def half_octave_spectrum(spectrum_db: Sequence[float | None] | None) -> np.ndarray:
    """20 half-octave levels relative to their mean (dB) from the 60 1/6-octave bins; NaN where undefined.

    Groups of three bins are power-averaged over the defined bins of the group;
    the mean removed is over the defined half-octave bins.
    """
    out = np.full(SPECTRUM_BINS, np.nan)
    if not spectrum_db:
        return out
    db = np.array([_num(v) for v in spectrum_db], dtype=np.float64)
    for k in range(min(SPECTRUM_BINS, len(db) // _GROUP)):
        group = db[k * _GROUP : (k + 1) * _GROUP]
        group = group[~np.isnan(group)]
        if group.size:
            out[k] = 10.0 * np.log10(np.mean(10.0 ** (group / 10.0)))
    defined = ~np.isnan(out)
    if defined.any():
        out[defined] -= np.mean(out[defined])
    return out


def raw_features(
    overall: Mapping[str, Any],
    bands: Sequence[Mapping[str, Any]],
    spectrum_db: Sequence[float | None] | None,
) -> np.ndarray:
    """The 83 used figures in vector order, before standardisation (NaN where undefined).

    ``overall``: the §4 overall metrics by name; ``bands``: the five band rows
    (matched by their ``band`` name when present, else taken low → high);
    ``spectrum_db``: the series' 60 1/6-octave levels (or None).
    """
    by_name = {b.get("band", BAND_NAMES[i] if i < len(BAND_NAMES) else ""): b for i, b in enumerate(bands)}
    rows = [by_name.get(name, {}) for name in BAND_NAMES]
    values: list[float] = []
    for spec, row in zip(BANDS, rows, strict=True):
        lo = _num(row.get("freq_low_hz")) if row.get("freq_low_hz") is not None else spec.low_hz
        hi = _num(row.get("freq_high_hz")) if row.get("freq_high_hz") is not None else spec.high_hz
        values += [
            _log_position(row.get("spectral_centroid_hz"), lo, hi),
            _log_position(row.get("spectral_rolloff_hz"), lo, hi),
            _num(row.get("spectral_flatness")),
            _num(row.get("rms_db")),
        ]
    values += half_octave_spectrum(spectrum_db).tolist()
    values += [_num(overall.get(k)) for k in _OVERALL_DYNAMICS]
    values += [_num(row.get("crest_factor_db")) for row in rows]
    values += [_num(row.get("level_range_db")) for row in rows]
    values += [_num(row.get("energy_ratio")) for row in rows]
    values += [_num(row.get("stereo_width")) for row in rows]
    values += [_num(row.get("phase_correlation")) for row in rows]
    values += [_num(overall.get(k)) for k in _OVERALL_TAIL]
    return np.array(values, dtype=np.float64)


def standardise(raw: np.ndarray) -> np.ndarray:
    """(raw − centre) / scale, NaN → 0, clipped to ±5, padded with the reserved zeros → 128 float32."""
    z = (raw - _CENTRE) / _SCALE
    z = np.clip(np.nan_to_num(z, nan=0.0, posinf=CLIP, neginf=-CLIP), -CLIP, CLIP)
    out = np.zeros(VECTOR_DIM, dtype=np.float32)
    out[:USED_DIMS] = z
    return out


def features_from_dicts(
    overall: Mapping[str, Any],
    bands: Sequence[Mapping[str, Any]],
    spectrum_db: Sequence[float | None] | None,
) -> np.ndarray:
    """The 128-dim float32 vector from stored rows (overall dict, five band dicts, 1/6-octave spectrum)."""
    return standardise(raw_features(overall, bands, spectrum_db))


def extract_features(result: AnalysisResult) -> np.ndarray:
    """The 128-dim float32 feature vector of an engine result (SPEC §6)."""
    return features_from_dicts(
        asdict(result.overall),
        [asdict(b) for b in result.bands],
        result.series.spectrum_db,
    )
