"""How far a master sits from its genre's target, in the units an engineer thinks in (SPEC §4, §5). Pure.

Tonal balance compares the spectrum's shape, not its level: per band
``d = 10·log10(share / target share)`` and the band's deviation is ``d`` minus the
median of the five ``d``. The median takes out what a change of overall level, or of
one band holding most of the energy, does to every share, so a −5 dB cut of one band
reads −5 dB on that band and 0 on the others: exactly the EQ gain that undoes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set

import numpy as np

from amt.analysis.audibility import inaudible_bands, inaudible_rows

__all__ = ["band_share_db", "inaudible_bands", "inaudible_rows", "shape_deviation_rows", "shape_deviations"]


def band_share_db(shares: Mapping[str, float | None], target_shares: Mapping[str, float]) -> dict[str, float]:
    """Per band ``10·log10(share / target share)``, dB, for the bands where both are positive."""
    out: dict[str, float] = {}
    for band, target in target_shares.items():
        share = shares.get(band)
        if share is not None and share > 0.0 and target > 0.0:
            out[band] = 10.0 * math.log10(share / target)
    return out


def shape_deviation_rows(shares: np.ndarray, target_shares: np.ndarray, quiet: np.ndarray) -> np.ndarray:
    """Shape deviations of many tracks at once, dB: ``shares`` (n, bands; NaN where unknown) against
    ``target_shares`` (bands,), ``quiet`` (n, bands) the inaudible bands. Per row, each band's share's dB difference
    from the target minus the median over the row's bands that have one; NaN where a band has none (share or target
    not positive, or inaudible)."""
    shares, target_shares = np.asarray(shares, dtype=float), np.asarray(target_shares, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = (shares > 0) & (target_shares > 0) & ~quiet
        d = np.where(usable, 10.0 * np.log10(shares / target_shares), np.nan)
    centre = np.full(d.shape[:-1], np.nan)
    some = usable.any(axis=-1)
    if some.any():
        centre[some] = np.nanmedian(d[some], axis=-1)
    deviations: np.ndarray = d - centre[..., None]
    return deviations


def shape_deviations(
    shares: Mapping[str, float | None], target_shares: Mapping[str, float], *, inaudible: Set[str] = frozenset()
) -> dict[str, float | None]:
    """Each band's shape deviation from the target, dB: its share's dB difference minus the median over the bands.

    A band without a positive share (or target share), or in ``inaudible`` (SPEC §4), reads None and is left out of
    the median: the share of a band no one hears says nothing about the balance of the others.
    (:func:`shape_deviation_rows` for one track.)
    """
    bands = list(target_shares)
    row = np.array([[np.nan if shares.get(b) is None else shares[b] for b in bands]], dtype=float)
    quiet = np.array([[b in inaudible for b in bands]])
    deviations = shape_deviation_rows(row, np.array([target_shares[b] for b in bands], dtype=float), quiet)[0]
    return {b: (float(v) if math.isfinite(v) else None) for b, v in zip(bands, deviations, strict=True)}
