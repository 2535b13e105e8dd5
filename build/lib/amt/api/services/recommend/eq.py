"""EQ steps whose parameters do what they say (SPEC §5 "The plan").

For a band and a gain, a filter type, frequency and Q are chosen among an engineer's
usual moves (a shelf on the outer bands, a bell inside) so that the RBJ biquad moves
that band's shape deviation by the gain (within 1 dB) and its neighbours' by less than
a third of it. The choice is worked out on the track's own long-term spectrum: each
band's power is the sum of the spectrum inside it, and a filter changes it by the
power-weighted mean of |H(f)|² there. Without a spectrum, a typical master's
long-term spectrum stands in, scaled so each band holds its measured share.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from amt.analysis.loudness import k_weighting_sos
from amt.config.constants import BANDS, TYPICAL_MASTER_LTAS, ltas_level_db
from amt.mastering.rbj import biquad, power_response_db

GRID_PER_OCTAVE = 48
"""Resolution of the frequency grid the band powers are summed on."""

_CANDIDATES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "low": tuple(("low shelf", f, q) for f in (100.0, 120.0, 150.0, 180.0) for q in (0.5, 0.7, 1.0))
    + tuple(("bell", f, q) for f in (50.0, 63.0, 80.0) for q in (0.5, 0.7)),
    "low_mid": tuple(("bell", f, q) for f in (250.0, 300.0, 316.0, 350.0) for q in (0.9, 1.2, 1.5, 2.0)),
    "mid": tuple(("bell", f, q) for f in (800.0, 1000.0, 1200.0) for q in (0.5, 0.7, 1.0, 1.4)),
    "high_mid": tuple(("bell", f, q) for f in (3000.0, 3464.0, 4000.0) for q in (0.7, 1.0, 1.4, 2.0)),
    "high": tuple(("high shelf", f, q) for f in (6000.0, 7000.0, 8000.0, 9000.0) for q in (0.5, 0.7, 1.0))
    + tuple(("bell", f, q) for f in (8000.0, 10000.0, 12000.0) for q in (0.5, 0.7)),
}
"""(filter, frequency Hz, Q) an engineer reaches for on each band."""


@dataclass(frozen=True)
class BandGrid:
    """A fine log-frequency grid over 20 Hz – min(20 kHz, Nyquist) with each point's power and band."""

    freqs_hz: np.ndarray
    power: np.ndarray
    band: np.ndarray
    """Index into ``BANDS`` of each grid point."""
    sample_rate: float


def band_grid(
    shares: Mapping[str, float | None],
    sample_rate: float,
    spectrum: tuple[Sequence[float], Sequence[float | None]] | None = None,
) -> BandGrid:
    """The grid, its power shaped like ``spectrum`` (centres Hz, dB per 1/6 octave) inside each band and scaled so
    each band holds its measured share; a typical master's spectrum when ``spectrum`` is None or empty."""
    top = min(BANDS[-1].high_hz, 0.49 * sample_rate)
    octaves = math.log2(top / BANDS[0].low_hz)
    n = max(8, int(octaves * GRID_PER_OCTAVE))
    freqs = BANDS[0].low_hz * 2.0 ** ((np.arange(n) + 0.5) * octaves / n)
    shape_db: np.ndarray | None = None
    if spectrum is not None:
        centres = np.asarray(spectrum[0], dtype=float)
        values = np.array([np.nan if v is None else v for v in spectrum[1]], dtype=float)
        ok = np.isfinite(values) & (centres > 0)
        if ok.sum() >= 4:
            shape_db = np.interp(np.log2(freqs), np.log2(centres[ok]), values[ok])
    if shape_db is None:
        shape_db = np.array([ltas_level_db(f, *TYPICAL_MASTER_LTAS) for f in freqs])
    power = 10.0 ** ((shape_db - shape_db.max()) / 10.0)
    edges = np.array([b.high_hz for b in BANDS[:-1]])
    band = np.searchsorted(edges, freqs, side="right")
    for i, b in enumerate(BANDS):
        inside = band == i
        share = shares.get(b.name)
        total = power[inside].sum()
        if inside.any() and total > 0 and share is not None and share > 0:
            power[inside] *= share / total
    return BandGrid(freqs_hz=freqs, power=power, band=band, sample_rate=sample_rate)


def level_changes_db(grid: BandGrid, sos: np.ndarray) -> dict[str, float]:
    """Each band's power change under the sections ``sos`` (rows of RBJ biquads), dB."""
    gain = 10.0 ** (power_response_db(sos, grid.freqs_hz, grid.sample_rate) / 10.0)
    out: dict[str, float] = {}
    for i, b in enumerate(BANDS):
        inside = grid.band == i
        before = grid.power[inside].sum()
        if before > 0:
            out[b.name] = 10.0 * math.log10((grid.power[inside] * gain[inside]).sum() / before)
    return out


def shape_changes_db(level_changes: Mapping[str, float]) -> dict[str, float]:
    """What level changes do to the shape deviations: each change minus their median (SPEC §5)."""
    centre = statistics.median(level_changes.values())
    return {b: c - centre for b, c in level_changes.items()}


def loudness_change_db(grid: BandGrid, sos: np.ndarray) -> float:
    """Change of the programme's K-weighted power (BS.1770-4) under ``sos``, LU: the plan's loudness estimate."""
    k_db = power_response_db(k_weighting_sos(int(grid.sample_rate)), grid.freqs_hz, grid.sample_rate)
    weighted = grid.power * 10.0 ** (k_db / 10.0)
    gain = 10.0 ** (power_response_db(sos, grid.freqs_hz, grid.sample_rate) / 10.0)
    return 10.0 * math.log10((weighted * gain).sum() / weighted.sum())


MAX_EQ_DB = 6.0
"""Largest EQ gain a master takes, dB; beyond it the band is fixed in the mix."""


@dataclass(frozen=True)
class EqChoice:
    """A filter for one band and what it does to the shape deviations, dB."""

    filter: str
    frequency_hz: float
    q: float
    gain_db: float
    """The filter's gain setting (RBJ dBgain), at most ``MAX_EQ_DB``."""
    band_move_db: float
    """Predicted change of the band's shape deviation."""
    neighbour_move_db: float
    """Largest predicted change of a neighbouring band's shape deviation (absolute)."""


def _neighbours(band: str) -> list[str]:
    names = [b.name for b in BANDS]
    i = names.index(band)
    return [names[j] for j in (i - 1, i + 1) if 0 <= j < len(names)]


def _moves(band: str, kind: str, freq: float, q: float, gain_db: float, grid: BandGrid) -> tuple[float, float]:
    moves = shape_changes_db(level_changes_db(grid, biquad(kind, freq, gain_db, q, grid.sample_rate)[None, :]))
    side = max((abs(moves[n]) for n in _neighbours(band) if n in moves), default=0.0)
    return moves.get(band, 0.0), side


def choose_filter(band: str, move_db: float, grid: BandGrid) -> EqChoice:
    """The filter that moves ``band``'s shape deviation by ``move_db`` with its neighbours moving least.

    For each candidate the gain setting is solved so the predicted move equals ``move_db``
    (a bell inside a two-octave band moves the band's share by about two thirds of its
    peak gain; a shelf on an outer band by nearly all of it), capped at ±``MAX_EQ_DB``.
    Preferred: the move reached, then neighbours under a quarter of it, then a setting
    close to the move itself (what the engineer reads on the knob).
    """
    best: tuple[float, EqChoice] | None = None
    for kind, freq, q in _CANDIDATES[band]:
        if freq >= 0.4 * grid.sample_rate:
            continue
        gain = move_db
        own, side = _moves(band, kind, freq, q, gain, grid)
        for _ in range(2):
            if abs(own) < 1e-9:
                break
            gain = max(-MAX_EQ_DB, min(MAX_EQ_DB, gain * move_db / own))
            own, side = _moves(band, kind, freq, q, gain, grid)
        cost = abs(own - move_db) + 4.0 * max(0.0, side - 0.25 * abs(own)) + 0.1 * side + 0.05 * abs(gain - move_db)
        choice = EqChoice(kind, freq, q, round(gain, 1), own, side)
        if best is None or cost < best[0]:
            best = (cost, choice)
    assert best is not None, f"no EQ candidate fits band {band} at {grid.sample_rate} Hz"
    return best[1]
