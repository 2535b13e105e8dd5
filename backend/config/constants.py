"""Fixed vocabulary of the product: bands, levels, stages (SPEC §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """A frequency band of SPEC §4, edges in Hz."""

    name: str
    low_hz: float
    high_hz: float


BANDS: tuple[Band, ...] = (
    Band("low", 20.0, 200.0),
    Band("low_mid", 200.0, 500.0),
    Band("mid", 500.0, 2000.0),
    Band("high_mid", 2000.0, 6000.0),
    Band("high", 6000.0, 20000.0),
)
BAND_NAMES: tuple[str, ...] = tuple(b.name for b in BANDS)
CROSSOVERS_HZ: tuple[float, ...] = (200.0, 500.0, 2000.0, 6000.0)
"""Linkwitz–Riley crossover frequencies between adjacent bands, Hz."""

SPECTRUM_LOW_HZ = 20.0
SPECTRUM_HIGH_HZ = 20000.0
SPECTRUM_BINS_PER_OCTAVE = 6
"""The long-term spectrum series: 1/6-octave bins with edges 20·2^(k/6) Hz, k = 0 … 60."""

RECOMMENDATION_LEVELS: tuple[str, ...] = ("informative", "suggestive", "prescriptive")
STAGES: tuple[str, ...] = ("master", "mix")
