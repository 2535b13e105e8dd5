"""Sections of a track from its loudness series (SPEC §8): drops and breakdowns. Pure.

Method, in the order a person reads a loudness graph:

1. Short-term loudness (3 s, every 100 ms) placed at its window centres is split into
   a loud and a quiet level by two-means clustering in LUFS. Tracks whose two levels
   lie less than ``MIN_CONTRAST_LU`` apart are one section (``main``).
2. Runs shorter than ``min_section_s`` are merged into their neighbours, shortest
   first, so a fill or a short riser does not make a section.
3. Each boundary is refined on the momentary loudness (400 ms), which moves at most
   0.2 s behind the music: the crossing of the mid level nearest the coarse boundary.
4. Loud runs are ``drop``; quiet runs are ``breakdown``, or ``intro``/``outro`` at the ends.

Per section: integrated loudness with the BS.1770-4 gates over the momentary blocks
lying wholly inside it, and the band energy ratios from the 1 s band RMS series.
``section_contrast_lu`` is the gated loudness of all drops minus that of all quiet
sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

LOUDNESS_OFFSET_LKFS = -0.691
"""BS.1770-4 eq. 2 constant."""
Gamma_a = -70.0
"""Absolute gate, LUFS (BS.1770-4 §2.8)."""
Gamma_r_offset = -10.0
"""Relative gate below the absolutely-gated loudness, LU."""
MOMENTARY_S = 0.4
SHORT_TERM_S = 3.0
MIN_CONTRAST_LU = 2.0
REFINE_WINDOW_S = 2.5


@dataclass(frozen=True)
class Section:
    """One section of a track; times in seconds, loudness in LUFS."""

    kind: str
    start_s: float
    end_s: float
    integrated_lufs: float | None
    energy_ratios: dict[str, float | None]


@dataclass(frozen=True)
class Sections:
    """The sections of a track and the loudness contrast between loud and quiet ones (LU)."""

    sections: list[Section]
    section_contrast_lu: float | None


def _array(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _gated_lufs(lufs: np.ndarray) -> float | None:
    """BS.1770-4 gated loudness of block loudness values (NaN = silent block), LUFS."""
    blocks = lufs[np.isfinite(lufs) & (lufs > Gamma_a)]
    if blocks.size == 0:
        return None
    power = 10.0 ** ((blocks - LOUDNESS_OFFSET_LKFS) / 10.0)
    relative = LOUDNESS_OFFSET_LKFS + 10.0 * np.log10(power.mean()) + Gamma_r_offset
    kept = power[blocks > relative]
    return float(LOUDNESS_OFFSET_LKFS + 10.0 * np.log10(kept.mean()))


def _two_levels(values: np.ndarray) -> tuple[float, float]:
    """Centres of a two-means clustering of ``values`` (LUFS), low then high."""
    low, high = np.percentile(values, [10, 90])
    for _ in range(50):
        mid = (low + high) / 2
        below, above = values[values <= mid], values[values > mid]
        if below.size == 0 or above.size == 0:
            break
        new_low, new_high = float(below.mean()), float(above.mean())
        if abs(new_low - low) < 1e-6 and abs(new_high - high) < 1e-6:
            break
        low, high = new_low, new_high
    return float(low), float(high)


def _runs(labels: np.ndarray) -> list[list[int]]:
    """[label, start index, end index (exclusive)] of each run of equal labels."""
    edges = np.flatnonzero(np.diff(labels.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [labels.size]))
    return [[int(labels[s]), int(s), int(e)] for s, e in zip(starts, ends, strict=True)]


def _merge_short(runs: list[list[int]], min_len: int) -> list[list[int]]:
    """Merge runs shorter than ``min_len`` frames into their neighbours, shortest first."""
    while len(runs) > 1:
        lengths = [e - s for _, s, e in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_len:
            break
        runs[i][0] = 1 - runs[i][0]
        merged: list[list[int]] = []
        for run in runs:
            if merged and merged[-1][0] == run[0]:
                merged[-1][2] = run[2]
            else:
                merged.append(list(run))
        runs = merged
    return runs


def _refine(boundary_s: float, rising: bool, m_times: np.ndarray, m_lufs: np.ndarray, mid: float) -> float:
    """The momentary crossing of ``mid`` nearest ``boundary_s`` in the run's direction (else the coarse time)."""
    near = np.flatnonzero(np.abs(m_times - boundary_s) <= REFINE_WINDOW_S)
    if near.size < 2:
        return boundary_s
    level = np.nan_to_num(m_lufs[near], nan=Gamma_a - 30.0)
    above = level > mid
    crossings = np.flatnonzero(above[1:] != above[:-1])
    crossings = crossings[above[crossings + 1] == rising]
    if crossings.size == 0:
        return boundary_s
    # Interpolate the crossing time between the two blocks on either side of it.
    times = []
    for c in crossings:
        a, b = level[c], level[c + 1]
        frac = (mid - a) / (b - a) if b != a else 0.5
        times.append(m_times[near[c]] + frac * (m_times[near[c + 1]] - m_times[near[c]]))
    times_arr = np.asarray(times)
    return float(times_arr[np.argmin(np.abs(times_arr - boundary_s))])


def _energy_ratios(
    band_rms_db: Mapping[str, Sequence[float | None]], hop_s: float, start_s: float, end_s: float
) -> dict[str, float | None]:
    powers: dict[str, float] = {}
    for band, values in band_rms_db.items():
        db = _array(values)
        centres = (np.arange(db.size) + 0.5) * hop_s
        inside = (centres >= start_s) & (centres < end_s) & np.isfinite(db)
        powers[band] = float(np.sum(10.0 ** (db[inside] / 10.0)))
    total = sum(powers.values())
    return {band: (p / total if total > 0 else None) for band, p in powers.items()}


def find_sections(series: Mapping[str, Any], duration_s: float, *, min_section_s: float = 8.0) -> Sections:
    """Sections of a track from its stored §4 time series (see the module docstring)."""
    hop = float(series.get("loudness_hop_s") or 0.1)
    short = _array(series.get("short_term_lufs") or [])
    moment = _array(series.get("momentary_lufs") or [])
    band_rms = series.get("band_rms_db") or {}
    band_hop = float(series.get("band_rms_hop_s") or 1.0)
    if moment.size == 0 or duration_s <= 0:
        return Sections([], None)
    m_end = (np.arange(moment.size) + 1) * hop
    m_times = m_end - MOMENTARY_S / 2

    def section(kind: str, start: float, end: float) -> Section:
        inside = (m_end - MOMENTARY_S >= start - 1e-9) & (m_end <= end + 1e-9)
        return Section(
            kind,
            round(start, 2),
            round(end, 2),
            _gated_lufs(moment[inside]),
            _energy_ratios(band_rms, band_hop, start, end),
        )

    s_times = (np.arange(short.size) + 1) * hop - SHORT_TERM_S / 2
    valid = np.isfinite(short) & (short > Gamma_a)
    if valid.sum() * hop < 2 * min_section_s:
        return Sections([section("main", 0.0, duration_s)], None)
    low, high = _two_levels(short[valid])
    if high - low < MIN_CONTRAST_LU:
        return Sections([section("main", 0.0, duration_s)], None)
    mid = (low + high) / 2
    labels = np.where(valid, short > mid, False)
    # Window centres never reach the track's ends (3 s windows): label a 0 … duration grid with
    # the nearest centre, holding the edge values, so edge sections keep their real length.
    grid_s = np.arange(round(duration_s / hop)) * hop + hop / 2
    nearest = np.clip(np.searchsorted(s_times, grid_s), 0, short.size - 1)
    first_valid, last_valid = np.flatnonzero(valid)[[0, -1]]
    labels = labels[np.clip(nearest, first_valid, last_valid)]
    runs = _merge_short(_runs(labels), max(1, round(min_section_s / hop)))
    if len(runs) == 1:
        return Sections([section("main", 0.0, duration_s)], None)
    bounds = [0.0]
    for run in runs[1:]:
        coarse = float(run[1] * hop)
        bounds.append(_refine(coarse, bool(run[0]), m_times, moment, mid))
    bounds.append(duration_s)
    sections = []
    for i, run in enumerate(runs):
        if run[0]:
            kind = "drop"
        elif i == 0:
            kind = "intro"
        elif i == len(runs) - 1:
            kind = "outro"
        else:
            kind = "breakdown"
        sections.append(section(kind, bounds[i], bounds[i + 1]))
    loud = [s for s in sections if s.kind == "drop"]
    quiet = [s for s in sections if s.kind != "drop"]
    contrast = None
    if loud and quiet:

        def pooled(group: list[Section]) -> float | None:
            mask = np.zeros(moment.size, dtype=bool)
            for s in group:
                mask |= (m_end - MOMENTARY_S >= s.start_s - 1e-9) & (m_end <= s.end_s + 1e-9)
            return _gated_lufs(moment[mask])

        loud_lufs, quiet_lufs = pooled(loud), pooled(quiet)
        if loud_lufs is not None and quiet_lufs is not None:
            contrast = round(loud_lufs - quiet_lufs, 2)
    return Sections(sections, contrast)
