"""EQ steps whose parameters do what they say (SPEC §5 "The plan").

For a band and a move, the RBJ biquad is set to that move (its ``gain_db``) and its type,
frequency and Q are searched — bells across the band in 1/6-octave steps, shelves about
the inner edge of the outer bands — so that it moves the band's shape deviation by the
move (within 1 dB) and its neighbours' by less than a third of it. The effect is worked
out on the track's own long-term spectrum: each band's power is the sum of the spectrum
inside it, a filter changes it by the power-weighted mean of |H(f)|² there, and the
shape takes out the median of the five changes. Without a spectrum, a typical master's
long-term spectrum stands in, scaled so each band holds its measured share.
``bench/eq_steps.py`` measures on the real corpus how often one biquad can do it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from amt.analysis.loudness import k_weighting_sos
from amt.config.constants import BANDS, TYPICAL_MASTER_LTAS, ltas_level_db
from amt.mastering.rbj import biquad, power_response_db

GRID_PER_OCTAVE = 48
"""Resolution of the frequency grid the band powers are summed on."""

STEPS_PER_OCTAVE = 6
"""Frequency steps of the filter search (the spectrum's 1/6-octave resolution)."""
BELL_QS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5, 3.0)
"""Bell Qs searched (cookbook Q; 0.3 spans about four octaves, 3 about half an octave)."""
SHELF_QS: tuple[float, ...] = (0.4, 0.5, 0.6, 0.707, 0.85, 1.0)
"""Shelf Qs searched (cookbook Q; above 1/√2 the shelf overshoots a little at its corner)."""
SHELF_SPAN_OCTAVES = 1.0
"""How far past the band's inner edge a shelf's corner may sit, octaves (either side)."""


@dataclass(frozen=True)
class BandGrid:
    """A fine log-frequency grid over 20 Hz – min(20 kHz, Nyquist) with each point's power and band."""

    freqs_hz: np.ndarray
    power: np.ndarray
    band: np.ndarray
    """Index into ``BANDS`` of each grid point."""
    sample_rate: float
    deviation_db: np.ndarray | None = None
    """Each band's shape deviation now, dB (NaN: left out of the median, SPEC §4's inaudible bands); None: the
    median of the moves stands in for the median of the deviations after them."""

    def shape_change_db(self, levels: np.ndarray) -> np.ndarray:
        """Shape-deviation changes for band level changes ``levels`` (..., n_bands), dB: each level change minus
        the change of the median, which SPEC §5 takes over the deviations after the move (when they are known)."""
        if self.deviation_db is None:
            moves: np.ndarray = levels - np.median(levels, axis=-1, keepdims=True)
            return moves
        counted = np.isfinite(self.deviation_db)
        after = (self.deviation_db + levels)[..., counted]
        shift = np.median(after, axis=-1, keepdims=True) - np.median(self.deviation_db[counted])
        change: np.ndarray = levels - shift
        return change


def band_grid(
    shares: Mapping[str, float | None],
    sample_rate: float,
    spectrum: tuple[Sequence[float], Sequence[float | None]] | None = None,
    deviations: Mapping[str, float | None] | None = None,
) -> BandGrid:
    """The grid, its power shaped like ``spectrum`` (centres Hz, dB per 1/6 octave) inside each band and scaled so
    each band holds its measured share; a typical master's spectrum when ``spectrum`` is None or empty.
    ``deviations``: the bands' shape deviations now (dB; a band missing or None is left out of the median)."""
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
    known = None
    if deviations is not None:
        known = np.array([np.nan if deviations.get(b.name) is None else deviations[b.name] for b in BANDS], dtype=float)
        if not np.isfinite(known).any():
            known = None
    return BandGrid(freqs_hz=freqs, power=power, band=band, sample_rate=sample_rate, deviation_db=known)


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
    """The filter's gain setting (RBJ dBgain): the move asked for, capped at ±``MAX_EQ_DB`` or cut back to what one
    biquad makes."""
    band_move_db: float
    """Predicted change of the band's shape deviation."""
    neighbour_move_db: float
    """Largest predicted change of a neighbouring band's shape deviation (absolute)."""

    @property
    def meets_rule(self) -> bool:
        """SPEC §5: the band moves by ``gain_db`` within 1 dB, each neighbour by less than a third of it."""
        return abs(self.band_move_db - self.gain_db) <= 1.0 and self.neighbour_move_db < abs(self.gain_db) / 3.0


def _span_hz(low_hz: float, high_hz: float) -> np.ndarray:
    """Frequencies from ``low_hz`` to ``high_hz`` in 1/``STEPS_PER_OCTAVE``-octave steps, rounded to 1 Hz."""
    n = math.floor(math.log2(high_hz / low_hz) * STEPS_PER_OCTAVE + 1e-9)
    return np.round(low_hz * 2.0 ** (np.arange(n + 1) / STEPS_PER_OCTAVE))


def candidates(band: str, sample_rate: float) -> list[tuple[str, float, float]]:
    """(filter, frequency Hz, Q) searched for ``band``: bells across the band, and on the outer bands shelves
    whose corner lies within ``SHELF_SPAN_OCTAVES`` of the band's inner edge."""
    names = [b.name for b in BANDS]
    i = names.index(band)
    b = BANDS[i]
    top = 0.4 * sample_rate
    out = [("bell", float(f), q) for f in _span_hz(b.low_hz, min(b.high_hz, top)) for q in BELL_QS]
    spread = 2.0**SHELF_SPAN_OCTAVES
    if i == 0:
        out += [("low shelf", float(f), q) for f in _span_hz(b.high_hz / spread, b.high_hz * spread) for q in SHELF_QS]
    if i == len(BANDS) - 1:
        edge = b.low_hz
        out += [("high shelf", float(f), q) for f in _span_hz(edge / spread, min(edge * spread, top)) for q in SHELF_QS]
    return out


def _sections(kinds: Sequence[tuple[str, float, float]], gain_db: float, sample_rate: float) -> np.ndarray:
    return np.array([biquad(kind, f, gain_db, q, sample_rate) for kind, f, q in kinds])


def shape_moves_db(grid: BandGrid, sections: np.ndarray) -> np.ndarray:
    """Shape-deviation changes (SPEC §5: level change minus the median's change, :meth:`BandGrid.shape_change_db`)
    of each single section, shape (n_sections, n_bands), dB."""
    z = np.exp(-1j * 2.0 * np.pi * grid.freqs_hz / grid.sample_rate)
    b0, b1, b2, _, a1, a2 = (sections[:, k : k + 1] for k in range(6))
    h = (b0 + b1 * z + b2 * z * z) / (1.0 + a1 * z + a2 * z * z)
    return _shape_changes(grid, np.abs(h) ** 2)


def _shape_changes(grid: BandGrid, gain: np.ndarray) -> np.ndarray:
    """Shape-deviation changes of the bands under the power gain ``gain`` (..., n_grid_points), dB."""
    before = np.array([grid.power[grid.band == i].sum() for i in range(len(BANDS))])
    after = np.stack(
        [(gain[..., grid.band == i] * grid.power[grid.band == i]).sum(axis=-1) for i in range(len(BANDS))], -1
    )
    levels = 10.0 * np.log10(np.maximum(after, 1e-30) / np.maximum(before, 1e-30))
    return grid.shape_change_db(levels)


KNOB_STEP_DB = 0.5
"""Steps by which the move is cut back when no biquad can make the whole of it, dB."""


def choose_filter(band: str, move_db: float, grid: BandGrid) -> EqChoice:
    """The RBJ biquad for moving ``band``'s shape deviation by ``move_db`` (SPEC §5 "The plan").

    Its gain setting is the move (capped at ±``MAX_EQ_DB``); frequency and Q are searched
    (:func:`candidates`) on the track's spectrum (:class:`BandGrid`), so a bell lands where
    the band's energy is. Chosen: a candidate that meets SPEC §5's rule (band within 1 dB of
    the setting, each neighbour under a third of it), the closest to a margin (within 0.5 dB,
    neighbours under a quarter) first. When none can — a bell on a two-octave middle band
    beyond about ±3 dB spreads too much into its neighbours, whose median is taken out — the
    move is cut back in ``KNOB_STEP_DB`` steps to the largest one a single biquad makes, and
    the plan names the rest as a mix problem (as it does beyond ±6 dB). Only if not even
    ±``KNOB_STEP_DB`` can be made is the closest candidate at the full move kept, with its
    honest ``band_move_db``.
    """
    target = max(-MAX_EQ_DB, min(MAX_EQ_DB, move_db))
    if abs(target) < 0.05:
        raise ValueError("an EQ step needs a move of at least 0.05 dB")
    sign = math.copysign(1.0, target)
    gains = [round(target, 1)]
    while abs(gains[-1]) > KNOB_STEP_DB + 1e-9:
        gains.append(round(sign * max(KNOB_STEP_DB, abs(gains[-1]) - KNOB_STEP_DB), 1))
    kinds = candidates(band, grid.sample_rate)
    i = [b.name for b in BANDS].index(band)
    near = [j for j in (i - 1, i + 1) if 0 <= j < len(BANDS)]
    fallback: EqChoice | None = None
    for gain in gains:
        moves = shape_moves_db(grid, _sections(kinds, gain, grid.sample_rate))
        own = moves[:, i]
        side = np.abs(moves[:, near]).max(axis=1) if near else np.zeros(len(kinds))
        err = np.abs(own - gain)
        short = np.maximum(0.0, err - 0.5) + np.maximum(0.0, side - abs(gain) / 4.0)
        cost = 10.0 * short + err + 0.5 * side
        meets = (err <= 1.0) & (side < abs(gain) / 3.0)
        if fallback is None:
            k = int(np.argmin(cost))
            fallback = EqChoice(*kinds[k], gain, float(own[k]), float(side[k]))
        if meets.any():
            k = int(np.argmin(np.where(meets, cost, np.inf)))
            return EqChoice(*kinds[k], gain, float(own[k]), float(side[k]))
    assert fallback is not None
    return fallback


def cascade_moves_db(grid: BandGrid, sections: np.ndarray) -> np.ndarray:
    """Shape-deviation changes of every band under all ``sections`` in cascade, shape (n_bands,), dB."""
    return _shape_changes(grid, 10.0 ** (power_response_db(sections, grid.freqs_hz, grid.sample_rate) / 10.0))


JOINT_ROUNDS = 6
"""Rounds of the joint gain correction (each takes the remaining error off every step's gain)."""


def jointly(choices: Sequence[tuple[str, EqChoice]], grid: BandGrid) -> tuple[list[EqChoice], np.ndarray]:
    """The steps' gains corrected so that, applied together, each band moves by what its step promises; and the
    move of each step's band under all of them together, dB.

    Each filter was chosen alone; in a cascade every one also moves the median the shape takes out, so two
    cuts side by side can leave a band where it was. The gains are corrected together (fixed point: each
    band's own move follows its gain about 1:1 and the neighbours' less than a third) on the track's
    spectrum, keeping each filter's type, frequency and Q, ±``MAX_EQ_DB``, and a correction only where the
    new gain still meets SPEC §5's rule alone (``band_move_db`` is then the step's own move at that gain).
    What the joint moves still miss is the plan's rest for the mix. ``choices``: (band, choice) per step.
    """
    if not choices:
        return [], np.zeros(0)
    index = np.array([[b.name for b in BANDS].index(band) for band, _ in choices])
    promised = np.array([c.band_move_db for _, c in choices])
    kinds = [(c.filter, c.frequency_hz, c.q) for _, c in choices]
    gains = np.array([c.gain_db for _, c in choices])
    free = np.full(len(choices), len(choices) > 1)

    def together(g: np.ndarray) -> np.ndarray:
        sections = np.array([biquad(k, f, x, q, grid.sample_rate) for (k, f, q), x in zip(kinds, g, strict=True)])
        moves: np.ndarray = cascade_moves_db(grid, sections)[index]
        return moves

    moves = together(gains)
    for _ in range(JOINT_ROUNDS):
        error = moves - promised
        if not free.any() or np.abs(error[free]).max() < 0.05:
            break
        trial = np.where(free, np.clip(np.round(gains - error, 1), -MAX_EQ_DB, MAX_EQ_DB), gains)
        for i in map(int, np.flatnonzero(free & (trial != gains))):
            if _alone(choices[i][0], kinds[i], float(trial[i]), grid).meets_rule:
                gains[i] = trial[i]
            else:
                free[i] = False
        moves = together(gains)
    chosen = [_alone(band, kind, float(g), grid) for (band, _), kind, g in zip(choices, kinds, gains, strict=True)]
    return chosen, moves


def _alone(band: str, kind: tuple[str, float, float], gain_db: float, grid: BandGrid) -> EqChoice:
    """``kind`` (filter, frequency, Q) at ``gain_db`` and its own moves of ``band`` and the neighbours."""
    i = [b.name for b in BANDS].index(band)
    near = [j for j in (i - 1, i + 1) if 0 <= j < len(BANDS)]
    moves = shape_moves_db(grid, _sections([kind], gain_db, grid.sample_rate))[0]
    side = float(np.abs(moves[near]).max()) if near else 0.0
    return EqChoice(*kind, gain_db, float(moves[i]), side)
