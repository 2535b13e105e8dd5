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
from collections.abc import Mapping

INAUDIBLE_DBFS = -80.0
"""A band whose level is below this is inaudible (SPEC §4)."""
INAUDIBLE_BELOW_LOUDEST_DB = 50.0
"""A band more than this under the loudest band is inaudible (SPEC §4)."""


def band_share_db(shares: Mapping[str, float | None], target_shares: Mapping[str, float]) -> dict[str, float]:
    """Per band ``10·log10(share / target share)``, dB, for the bands where both are positive."""
    out: dict[str, float] = {}
    for band, target in target_shares.items():
        share = shares.get(band)
        if share is not None and share > 0.0 and target > 0.0:
            out[band] = 10.0 * math.log10(share / target)
    return out


def shape_deviations(
    shares: Mapping[str, float | None], target_shares: Mapping[str, float]
) -> dict[str, float | None]:
    """Each band's shape deviation from the target, dB: its share's dB difference minus the median over the bands.

    A band without a positive share (or target share) reads None and is left out of the median.
    """
    d = band_share_db(shares, target_shares)
    if not d:
        return {band: None for band in target_shares}
    centre = statistics.median(d.values())
    return {band: (d[band] - centre if band in d else None) for band in target_shares}


def inaudible_bands(levels_db: Mapping[str, float | None]) -> frozenset[str]:
    """The bands that are inaudible: level (``rms_db``, dBFS) missing, below −80 dBFS, or more than 50 dB under the
    loudest band. They keep their level and share but get no stereo figures and no advice (SPEC §4)."""
    known = {b: v for b, v in levels_db.items() if v is not None and math.isfinite(v)}
    if not known:
        return frozenset(levels_db)
    loudest = max(known.values())
    return frozenset(
        b for b in levels_db
        if b not in known or known[b] < INAUDIBLE_DBFS or known[b] < loudest - INAUDIBLE_BELOW_LOUDEST_DB
    )
