"""How far a master sits from its genre's target, in the units an engineer thinks in (SPEC §4, §5). Pure.

Tonal balance compares the spectrum's shape, not its level: per band
``d = 10·log10(share / target share)`` and the band's deviation is ``d`` minus the
median of the five ``d``. The median takes out what a change of overall level, or of
one band holding most of the energy, does to every share, so a −5 dB cut of one band
reads −5 dB on that band and 0 on the others: exactly the EQ gain that undoes it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Set

from amt.analysis.audibility import inaudible_bands

__all__ = ["band_share_db", "inaudible_bands", "shape_deviations"]


def band_share_db(shares: Mapping[str, float | None], target_shares: Mapping[str, float]) -> dict[str, float]:
    """Per band ``10·log10(share / target share)``, dB, for the bands where both are positive."""
    out: dict[str, float] = {}
    for band, target in target_shares.items():
        share = shares.get(band)
        if share is not None and share > 0.0 and target > 0.0:
            out[band] = 10.0 * math.log10(share / target)
    return out


def shape_deviations(
    shares: Mapping[str, float | None], target_shares: Mapping[str, float], *, inaudible: Set[str] = frozenset()
) -> dict[str, float | None]:
    """Each band's shape deviation from the target, dB: its share's dB difference minus the median over the bands.

    A band without a positive share (or target share), or in ``inaudible`` (SPEC §4), reads None and is left out of
    the median: the share of a band no one hears says nothing about the balance of the others.
    """
    d = {b: v for b, v in band_share_db(shares, target_shares).items() if b not in inaudible}
    if not d:
        return {band: None for band in target_shares}
    centre = statistics.median(d.values())
    return {band: (d[band] - centre if band in d else None) for band in target_shares}
