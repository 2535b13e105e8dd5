"""Which bands are inaudible (SPEC §4): they keep their level and share, nothing else is said about them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

INAUDIBLE_DBFS = -80.0
"""A band whose level (``rms_db``) is below this is inaudible, dBFS."""
INAUDIBLE_BELOW_LOUDEST_DB = 50.0
"""A band more than this under the loudest band is inaudible, dB."""


def inaudible_rows(levels_db: np.ndarray) -> np.ndarray:
    """Per row (a track) and column (a band) of ``levels_db`` (``rms_db``, dBFS, NaN where unknown), whether the band
    is inaudible: level unknown, below −80 dBFS, or more than 50 dB under the row's loudest band."""
    levels_db = np.asarray(levels_db, dtype=float)
    known = np.isfinite(levels_db)
    loudest = np.max(np.where(known, levels_db, -np.inf), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        quiet: np.ndarray = ~known | (levels_db < INAUDIBLE_DBFS) | (levels_db < loudest - INAUDIBLE_BELOW_LOUDEST_DB)
    return quiet


def inaudible_bands(levels_db: Mapping[str, float | None]) -> frozenset[str]:
    """The bands that are inaudible: level (``rms_db``, dBFS) missing, below −80 dBFS, or more than 50 dB under the
    loudest band (:func:`inaudible_rows` for one track)."""
    names = list(levels_db)
    if not names:
        return frozenset()
    row = np.array([np.nan if levels_db[b] is None else levels_db[b] for b in names], dtype=float)
    return frozenset(b for b, quiet in zip(names, inaudible_rows(row), strict=True) if quiet)
