"""The reference chain that renders a plan, block by block in bounded memory (SPEC §5 "Applying the plan").

Order: gain → RBJ EQ → mid/side gain on band signals → bus compressor or volume
automation → input gain → look-ahead true-peak limiter. Each stage carries its filter
state from block to block, so the output does not depend on where blocks are cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from amt.mastering.limiter import StreamingLimiter
from amt.mastering.rbj import biquad

CROSSOVER_HZ: tuple[float, ...] = (200.0, 500.0, 2000.0, 6000.0)
"""Band edges of SPEC §4, where the stereo stage splits mid and side."""
AUTOMATION_RAMP_S = 0.5
"""Fade in and out of a section's automation, s."""
DETECTOR_S = 0.03
"""RMS detector time constant of the bus compressor, s."""


@dataclass(frozen=True)
class EqBand:
    """One RBJ biquad: type, frequency Hz, gain dB, Q."""

    filter: str
    frequency_hz: float
    gain_db: float
    q: float
    makeup_gain_db: float = 0.0
    """Gain after the filter, dB."""


@dataclass(frozen=True)
class BandStereo:
    """Side gain on one band (edges Hz), or the side removed below ``mono_below_hz``."""

    low_hz: float
    high_hz: float
    side_gain_db: float = 0.0
    mono_below_hz: float | None = None


@dataclass(frozen=True)
class Compressor:
    """A linked feed-forward RMS bus compressor: threshold dBFS (RMS), ratio, attack and release ms."""

    threshold_db: float
    ratio: float
    attack_ms: float
    release_ms: float


@dataclass(frozen=True)
class Span:
    """Volume automation of one stretch: start and end s, gain dB (ramped in and out)."""

    start_s: float
    end_s: float
    gain_db: float


@dataclass(frozen=True)
class Chain:
    """Every stage's settings; a stage left at its default does nothing."""

    gain_db: float = 0.0
    eq: Sequence[EqBand] = ()
    stereo: Sequence[BandStereo] = ()
    compressor: Compressor | None = None
    automation: Sequence[Span] = ()
    limiter_gain_db: float = 0.0
    ceiling_dbtp: float | None = None
    """None: no limiter."""


class SosStream:
    """Second-order sections run over a stream of (frames, channels) blocks, state carried."""

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        self.sos = np.atleast_2d(np.asarray(sos, dtype=np.float64))
        self.zi = np.zeros((self.sos.shape[0], 2, channels))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y, self.zi = signal.sosfilt(self.sos, x, axis=0, zi=self.zi)
        return np.asarray(y)


def _lr4(kind: str, freq: float, sample_rate: int) -> np.ndarray:
    """A 4th-order Linkwitz–Riley low- or high-pass: a 2nd-order Butterworth twice."""
    sos = signal.butter(2, freq, btype=kind, fs=sample_rate, output="sos")
    return np.vstack([sos, sos])


class BandSplit:
    """Mid or side split into bands at ``edges`` by LR4 crossovers, each band passed through the all-passes of the
    crossovers it did not go through, so the bands sum to the signal all-passed (flat magnitude)."""

    def __init__(self, edges: Sequence[float], sample_rate: int, channels: int) -> None:
        self.paths: list[list[SosStream]] = []
        for k in range(len(edges) + 1):
            stages = [SosStream(_lr4("highpass", edges[j], sample_rate), channels) for j in range(k)]
            if k < len(edges):
                stages.append(SosStream(_lr4("lowpass", edges[k], sample_rate), channels))
            self.paths.append(stages)
        # All-pass of crossover j (its LR4 low-pass plus high-pass) for every band below it.
        self.allpass: list[list[tuple[SosStream, SosStream]]] = [
            [
                (
                    SosStream(_lr4("lowpass", edges[j], sample_rate), channels),
                    SosStream(_lr4("highpass", edges[j], sample_rate), channels),
                )
                for j in range(k + 1, len(edges))
            ]
            for k in range(len(edges) + 1)
        ]

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        """The band signals of one block, low to high."""
        out = []
        for stages, passes in zip(self.paths, self.allpass, strict=True):
            y = x
            for s in stages:
                y = s(y)
            for low, high in passes:
                y = low(y) + high(y)
            out.append(y)
        return out


class _Stereo:
    def __init__(self, settings: Sequence[BandStereo], sample_rate: int) -> None:
        edges = set(CROSSOVER_HZ) | {s.mono_below_hz for s in settings if s.mono_below_hz is not None}
        self.edges = sorted(e for e in edges if e < 0.45 * sample_rate)
        lows, highs = [0.0, *self.edges], [*self.edges, float("inf")]
        self.gains = np.ones(len(lows))
        for i, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
            for s in settings:
                if not s.low_hz <= max(lo, 1.0) < s.high_hz:
                    continue
                if s.mono_below_hz is not None:
                    self.gains[i] = 0.0 if hi <= s.mono_below_hz else 1.0
                else:
                    self.gains[i] = 10.0 ** (s.side_gain_db / 20.0)
        self.mid = BandSplit(self.edges, sample_rate, 1)
        self.side = BandSplit(self.edges, sample_rate, 1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mid = 0.5 * (x[:, :1] + x[:, 1:2])
        side = 0.5 * (x[:, :1] - x[:, 1:2])
        m = np.sum(self.mid(mid), axis=0)
        s = np.sum([g * b for g, b in zip(self.gains, self.side(side), strict=True)], axis=0)
        return np.hstack([m + s, m - s])


class _Compressor:
    def __init__(self, c: Compressor, sample_rate: int) -> None:
        self.c = c
        self.sr = sample_rate
        self.det_a = float(np.exp(-1.0 / (DETECTOR_S * sample_rate)))
        self.att = float(np.exp(-1.0 / (c.attack_ms * 1e-3 * sample_rate)))
        self.rel = float(np.exp(-1.0 / (c.release_ms * 1e-3 * sample_rate)))
        self.power = 0.0
        self.fast = 0.0
        self.slow = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        a = self.det_a
        p, _ = signal.lfilter([1.0 - a], [1.0, -a], np.mean(x * x, axis=1), zi=[a * self.power])
        if p.size:
            self.power = float(p[-1])
        level = 10.0 * np.log10(np.maximum(p, 1e-12)) + 3.01  # RMS of a full-scale sine reads 0 dB
        want = -np.maximum(level - self.c.threshold_db, 0.0) * (1.0 - 1.0 / self.c.ratio)
        # Deepening follows the attack, easing the release: the lower of the two smoothed curves.
        fast, _ = signal.lfilter([1.0 - self.att], [1.0, -self.att], want, zi=[self.att * self.fast])
        slow, _ = signal.lfilter([1.0 - self.rel], [1.0, -self.rel], want, zi=[self.rel * self.slow])
        if want.size:
            self.fast, self.slow = float(fast[-1]), float(slow[-1])
        gain_db = np.minimum(fast, slow)
        return x * (10.0 ** (gain_db / 20.0))[:, None]


def _automation_gain(spans: Sequence[Span], start: int, n: int, sample_rate: int) -> np.ndarray:
    t = (start + np.arange(n)) / sample_rate
    gain_db = np.zeros(n)
    for s in spans:
        rise = np.clip((t - s.start_s) / AUTOMATION_RAMP_S + 0.5, 0.0, 1.0)
        fall = np.clip((s.end_s - t) / AUTOMATION_RAMP_S + 0.5, 0.0, 1.0)
        gain_db += s.gain_db * np.minimum(rise, fall)
    return 10.0 ** (gain_db / 20.0)


@dataclass
class _Stages:
    eq: SosStream | None
    stereo: _Stereo | None
    compressor: _Compressor | None
    limiter: StreamingLimiter | None
    frames: int = 0
    extra: list[np.ndarray] = field(default_factory=list)


def render(blocks: Iterable[np.ndarray], sample_rate: int, chain: Chain) -> Iterator[np.ndarray]:
    """The chain applied to a stream of (frames, channels) float32 blocks; yields float32 blocks, the same frames
    in all. Stereo stages act on the first two channels of a stereo or wider programme."""
    stages: _Stages | None = None
    pre_gain = np.float32(10.0 ** ((chain.gain_db + sum(e.makeup_gain_db for e in chain.eq)) / 20.0))
    drive = np.float32(10.0 ** (chain.limiter_gain_db / 20.0))
    for block in blocks:
        x = np.asarray(block, dtype=np.float64)
        if stages is None:
            ch = x.shape[1]
            eq = np.array([biquad(e.filter, e.frequency_hz, e.gain_db, e.q, sample_rate) for e in chain.eq])
            stages = _Stages(
                eq=SosStream(eq, ch) if len(eq) else None,
                stereo=_Stereo(chain.stereo, sample_rate) if chain.stereo and ch >= 2 else None,
                compressor=_Compressor(chain.compressor, sample_rate) if chain.compressor else None,
                limiter=StreamingLimiter(10.0 ** (chain.ceiling_dbtp / 20.0), sample_rate, channels=ch)
                if chain.ceiling_dbtp is not None
                else None,
            )
        x = x * pre_gain
        if stages.eq is not None:
            x = stages.eq(x)
        if stages.stereo is not None:
            x = np.hstack([stages.stereo(x[:, :2]), x[:, 2:]])
        if stages.compressor is not None:
            x = stages.compressor(x)
        if chain.automation:
            x = x * _automation_gain(chain.automation, stages.frames, x.shape[0], sample_rate)[:, None]
        stages.frames += x.shape[0]
        y = (x * drive).astype(np.float32)
        if stages.limiter is not None:
            y = stages.limiter.push(y)
        if y.shape[0]:
            yield y
    if stages is not None and stages.limiter is not None:
        tail = stages.limiter.flush()
        if tail.shape[0]:
            yield tail
