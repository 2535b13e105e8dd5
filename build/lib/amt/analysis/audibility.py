"""Which bands are inaudible (SPEC §4): they keep their level and share, nothing else is said about them."""

from __future__ import annotations

import math
from collections.abc import Mapping

INAUDIBLE_DBFS = -80.0
"""A band whose level (``rms_db``) is below this is inaudible, dBFS."""
INAUDIBLE_BELOW_LOUDEST_DB = 50.0
"""A band more than this under the loudest band is inaudible, dB."""


def inaudible_bands(levels_db: Mapping[str, float | None]) -> frozenset[str]:
    """The bands that are inaudible: level (``rms_db``, dBFS) missing, below −80 dBFS, or more than 50 dB under the
    loudest band."""
    known = {b: v for b, v in levels_db.items() if v is not None and math.isfinite(v)}
    if not known:
        return frozenset(levels_db)
    loudest = max(known.values())
    return frozenset(
        b
        for b in levels_db
        if b not in known or known[b] < INAUDIBLE_DBFS or known[b] < loudest - INAUDIBLE_BELOW_LOUDEST_DB
    )
