"""Drum patterns whose beat is known: kick, snare, hats, bass and chord stabs on a sixteenth grid, with swing
and cross-rhythm accent streams (for the tempo tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Event = tuple[float, str, float]
"""(position in sixteenths within a 16-step bar, sound, gain)."""

FOUR_FLOOR: tuple[Event, ...] = (
    *((p, "kick", 0.8) for p in (0, 4, 8, 12)),
    *((p, "snare", 0.6) for p in (4, 12)),
    *((p, "hat", 0.8) for p in (2, 6, 10, 14)),
    *((p, "hat", 0.4) for p in (0, 4, 8, 12)),
)
BACKBEAT: tuple[Event, ...] = (
    (0, "kick", 0.8),
    (8, "kick", 0.8),
    (4, "snare", 0.8),
    (12, "snare", 0.8),
    *((p, "hat", 0.6) for p in range(0, 16, 2)),
)
BREAKBEAT: tuple[Event, ...] = (
    (0, "kick", 0.9),
    (10, "kick", 0.8),
    (4, "snare", 0.8),
    (12, "snare", 0.8),
    (7, "snare", 0.25),
    (15, "snare", 0.25),
    *((p, "hat", 0.6) for p in range(0, 16, 2)),
)
SYNCOPATED_BASS: tuple[Event, ...] = (*FOUR_FLOOR, *((p, "bass", 1.0) for p in (3, 6, 10, 13, 14)))
TRESILLO: tuple[Event, ...] = (
    *((p, "kick", 0.7) for p in (0, 4, 8, 12)),
    *((p, "stab", 1.0) for p in (0, 3, 6, 8, 11, 14)),
    *((p, "hat", 0.5) for p in (2, 6, 10, 14)),
)


@dataclass(frozen=True)
class Pattern:
    """A bar of ``events``; ``swing``: off-beat eighths late by this many sixteenths (odd sixteenths by half
    of it); ``cross``: (period in sixteenths, sound, gain), an accent stream running across the bar lines."""

    events: tuple[Event, ...]
    swing: float = 0.0
    cross: tuple[float, str, float] | None = None


PATTERNS: dict[str, Pattern] = {
    "four on the floor": Pattern(FOUR_FLOOR),
    "breakbeat": Pattern(BREAKBEAT),
    "backbeat, triplet swing": Pattern(BACKBEAT, swing=2 / 3),
    "syncopated bassline": Pattern(SYNCOPATED_BASS),
    "tresillo stabs (3+3+2)": Pattern(TRESILLO),
    "dotted-eighth stabs (3:4)": Pattern(FOUR_FLOOR, cross=(3.0, "stab", 1.2)),
    "quarter-note triplet stabs (2:3)": Pattern(BACKBEAT, cross=(8 / 3, "stab", 1.2)),
    "dotted-quarter stabs (3:2)": Pattern(BACKBEAT, cross=(6.0, "stab", 1.2)),
    "5-sixteenth stabs (5:4)": Pattern(FOUR_FLOOR, cross=(5.0, "stab", 1.2)),
    "5-eighth bass accents (5:8)": Pattern(BACKBEAT, cross=(10.0, "bass", 1.5)),
    "triplet-eighth hats": Pattern(BACKBEAT, cross=(4 / 3, "hat", 1.0)),
}


def _sounds(rng: np.random.Generator, fs: int) -> dict[str, np.ndarray]:
    tk = np.arange(round(0.3 * fs)) / fs
    kick = np.sin(2 * np.pi * (45 * tk + 80 * (1 - np.exp(-tk * 25)) / 25)) * np.exp(-tk * 9)
    ts = np.arange(round(0.2 * fs)) / fs
    snare = (rng.standard_normal(ts.size) * 0.6 + np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts * 22) * 0.6
    th = np.arange(round(0.05 * fs)) / fs
    hat = np.diff(rng.standard_normal(th.size + 1)) * np.exp(-th * 80) * 0.25
    tb = np.arange(round(0.18 * fs)) / fs
    bass = np.tanh(3 * np.sin(2 * np.pi * 55 * tb)) * np.minimum(tb / 0.003, 1) * np.exp(-tb * 8) * 0.5
    tc = np.arange(round(0.15 * fs)) / fs
    chord = sum(np.sin(2 * np.pi * f * tc) for f in (440.0, 554.4, 659.3, 880.0))
    stab = chord * np.minimum(tc / 0.002, 1) * np.exp(-tc * 18) * 0.3
    return {"kick": kick, "snare": snare, "hat": hat, "bass": bass, "stab": stab}


def render(pattern: Pattern, bpm: float, *, seconds: float = 12.0, fs: int = 11025, seed: int = 1) -> np.ndarray:
    """The pattern looped at ``bpm`` over a −50 dBFS noise bed, mono float64 ``(frames,)``."""
    rng = np.random.default_rng(seed)
    sounds = _sounds(rng, fs)
    n = round(seconds * fs)
    x = 0.003 * rng.standard_normal(n)
    sixteenth_s = 60.0 / bpm / 4
    hits: list[tuple[float, str, float]] = []
    for bar in range(int(seconds / (16 * sixteenth_s)) + 1):
        for pos, sound, gain in pattern.events:
            late = pattern.swing if pos % 4 == 2 else (pattern.swing / 2 if pos % 2 == 1 else 0.0)
            hits.append(((bar * 16 + pos + late) * sixteenth_s, sound, gain))
    if pattern.cross is not None:
        period, sound, gain = pattern.cross
        hits += [(k * period * sixteenth_s, sound, gain) for k in range(int(seconds / (period * sixteenth_s)) + 1)]
    for t, sound, gain in hits:
        start = round(t * fs)
        if start < n:
            w = sounds[sound][: n - start]
            x[start : start + w.size] += gain * w
    return x
