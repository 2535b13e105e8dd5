"""THD and harmonic ratio on an evenly spaced sample of the programme (SPEC §4, †).

Both are descriptive figures, so they read six excerpts of 5 s (30 s in all), evenly
spaced over the programme; a programme of 30 s or less is read whole (in six
consecutive parts). The tests show the sample agrees with the whole-programme
computation within ±2 % on the test signals.

Excerpts are never held as samples: as blocks stream past, each excerpt's frames are
turned into channel-pooled power spectra as soon as they are complete, so memory
does not grow with the channel count or the rate (64 channels at 384 kHz would
otherwise keep 30 s × 64 × 384 000 samples, 2.9 GB).

Channels are pooled as the mean of their power spectra (LFE excluded), so a
polarity-inverted pair is measured like its left channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.fft
import scipy.signal

from amt.analysis.stft import FrameStream

HARMONIC_EXCERPTS = 6
HARMONIC_EXCERPT_S = 5.0

THD_FRAME_S = 8192 / 44100
"""THD frames: 8192 samples at 44.1 kHz (≈ 186 ms, 5.4 Hz bins), Hann, no overlap."""
THD_TONAL_DB = 20.0
"""A frame is tonal when its strongest bin stands this far above the median bin (SPEC §4) …"""
THD_FLOOR_DB = -100.0
"""… and no further than this below the frame's total power (DC included): a "peak" under that is
float rounding noise — a DC-only frame has an empty band above 20 Hz whose rounding noise can
stand far above its own median."""
THD_HARMONICS = (2, 3, 4, 5)
THD_HALF_WIDTH = 3
"""Power of a partial = the bins within ± this many of its bin (Hann main lobe is ± 2)."""

HPSS_FRAME_S = 2048 / 44100
"""HPSS resolution: 2048-sample frames at 44.1 kHz (≈ 46 ms, 21.5 Hz bins), Hann, hop ½ frame."""
HPSS_KERNEL = 9  # fixed: _median9 implements exactly this length
"""Median filter length: 9 frames (≈ 209 ms) across time, 9 bins (≈ 194 Hz) across frequency."""
HPSS_MAX_HZ = 16000.0
"""HPSS reads 20 Hz … min(16 kHz, Nyquist)."""


def _fft_size(frame_s: float, sample_rate: int) -> int:
    returned: int = 1 << max(6, round(np.log2(frame_s * sample_rate)))
    return returned


class ExcerptSampler:
    """Picks ``count`` evenly spaced excerpts of ``excerpt_s`` from a stream of known length.

    Excerpt i starts at ``(i + ½)·total/count − excerpt/2``; a stream no longer than
    ``count · excerpt_s`` is split into ``count`` consecutive parts instead.
    """

    def __init__(self, total_frames: int, sample_rate: int, *, count: int, excerpt_s: float) -> None:
        length = max(1, round(excerpt_s * sample_rate))
        if count * length >= total_frames:
            edges = np.linspace(0, total_frames, count + 1).round().astype(int)
            spans = [(int(a), int(b)) for a, b in pairwise(edges) if b > a]
        else:
            starts = [round((i + 0.5) * total_frames / count - length / 2) for i in range(count)]
            spans = [(min(max(0, s), total_frames - length), 0) for s in starts]
            spans = [(s, s + length) for s, _ in spans]
        self.spans = spans

    def push(self, block: np.ndarray, offset: int) -> list[tuple[int, np.ndarray, bool]]:
        """The parts of ``block`` (channels, n), starting at frame ``offset``, that fall in excerpts:
        (excerpt index, view of the samples, whether the excerpt is now complete)."""
        pieces = []
        end = offset + block.shape[1]
        for i, (a, b) in enumerate(self.spans):
            lo, hi = max(a, offset), min(b, end)
            if hi > lo:
                pieces.append((i, block[:, lo - offset : hi - offset], hi == b))
        return pieces


def thd_per_frame(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """THD (%) of every tonal frame of ``x`` (channels, n), frames of ``n_fft`` (8192 at 44.1 kHz)
    following each other from its start; see :func:`thd_of_frames`."""
    n_fft = _fft_size(THD_FRAME_S, sample_rate)
    count = x.shape[1] // n_fft
    return thd_of_frames(x[:, : count * n_fft].reshape(x.shape[0], count, n_fft), sample_rate)


def thd_of_frames(frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """THD (%) of every tonal frame of ``frames`` (channels, count, n_fft); shape ``(tonal frames,)``.

    Per frame: strongest bin k₀ within 20 Hz … min(20 kHz, Nyquist), tonal if it stands
    ≥ 20 dB above the median bin there (and above rounding noise, THD_FLOOR_DB); f₀
    refined by parabolic interpolation of the log power; THD = √(Σ_{h=2..5} P(h·f₀)) / √P(f₀)
    × 100, partials above the range left out.
    """
    count, n_fft = frames.shape[1], frames.shape[2]
    if count == 0:
        return np.zeros(0)
    spec = scipy.fft.rfft(frames * scipy.signal.get_window("hann", n_fft).astype(np.float32), axis=-1)
    power = (spec.real**2 + spec.imag**2).mean(axis=0).astype(np.float64)
    df = sample_rate / n_fft
    lo = int(np.ceil(20.0 / df))
    hi = min(int(20000.0 / df), power.shape[1] - 2)
    hw = THD_HALF_WIDTH
    # partial windows of ± hw bins must not overlap: the fundamental needs ≥ 2·hw + 1 bins
    lo = max(lo, 2 * hw + 1)
    if hi <= lo:
        return np.zeros(0)
    band = power[:, lo : hi + 1]
    k0 = lo + np.argmax(band, axis=1)
    rows = np.arange(count)
    peak = power[rows, k0]
    floor = power.sum(axis=1) * 10.0 ** (THD_FLOOR_DB / 10.0)
    tonal = (peak > floor) & (peak >= np.median(band, axis=1) * 10.0 ** (THD_TONAL_DB / 10.0))
    if not tonal.any():
        return np.zeros(0)
    power, k0, rows = power[tonal], k0[tonal], np.arange(int(tonal.sum()))
    tiny = power.max() * 1e-30 + 1e-300
    la, lb, lc = (np.log(power[rows, k0 + d] + tiny) for d in (-1, 0, 1))
    denom = la - 2 * lb + lc
    safe = np.where(denom < 0, denom, -1.0)
    kf = k0 + np.where(denom < 0, np.clip(0.5 * (la - lc) / safe, -0.5, 0.5), 0.0)
    offsets = np.arange(-hw, hw + 1)

    def partial(centre: np.ndarray) -> np.ndarray:
        idx = centre[:, None] + offsets[None, :]
        valid = (centre + hw <= hi)[:, None] & np.ones_like(idx, dtype=bool)
        vals = np.take_along_axis(power, np.clip(idx, 0, power.shape[1] - 1), axis=1)
        returned: np.ndarray = np.where(valid, vals, 0.0).sum(axis=1)
        return returned

    fundamental = partial(k0)
    harmonics = sum(partial(np.round(h * kf).astype(int)) for h in THD_HARMONICS)
    return 100.0 * np.sqrt(harmonics / fundamental)


# Paeth's 19-exchange network for the median of 9 ("opt_med9"), on whole arrays (elementwise
# min/max: 5-10x faster than np.partition on sliding windows, and exact). Its first nine exchanges
# sort the triples (v0 v1 v2), (v3 v4 v5), (v6 v7 v8); in a running median the window at k holds
# the triples starting at k, k + 3 and k + 6, so every triple is sorted once and shared by three
# windows. Of the last ten exchanges only the outputs that reach the median are computed.
def _median9(a: np.ndarray, axis: int) -> np.ndarray:
    """Running median of 9 along ``axis`` (0 or 1) of a 2-D array, edges extended."""
    n = a.shape[axis]
    pad = [(4, 4) if i == axis else (0, 0) for i in range(2)]
    p = np.pad(a, pad, mode="edge")

    def part(x: np.ndarray, k: int, count: int) -> np.ndarray:
        return x[k : k + count] if axis == 0 else x[:, k : k + count]

    m = n + 6  # triples starting at 0 … n + 5
    first, second, third = part(p, 0, m), part(p, 1, m), part(p, 2, m)
    low23, high23 = np.minimum(second, third), np.maximum(second, third)
    low, mid0 = np.minimum(first, low23), np.maximum(first, low23)
    mid, high = np.minimum(mid0, high23), np.maximum(mid0, high23)
    del low23, mid0
    v0, v1, v2 = part(low, 0, n), part(mid, 0, n), part(high, 0, n)
    v3, v4, v5 = part(low, 3, n), part(mid, 3, n), part(high, 3, n)
    v6, v7, v8 = part(low, 6, n), part(mid, 6, n), part(high, 6, n)
    v3 = np.maximum(v0, v3)  # (0, 3)
    v5 = np.minimum(v5, v8)  # (5, 8)
    v4, v7 = np.minimum(v4, v7), np.maximum(v4, v7)  # (4, 7)
    v6 = np.maximum(v3, v6)  # (3, 6)
    v4 = np.maximum(v1, v4)  # (1, 4)
    v2 = np.minimum(v2, v5)  # (2, 5)
    v4 = np.minimum(v4, v7)  # (4, 7)
    v4, v2 = np.minimum(v4, v2), np.maximum(v4, v2)  # (4, 2)
    v4 = np.maximum(v6, v4)  # (6, 4)
    returned: np.ndarray = np.minimum(v4, v2)  # (4, 2)
    return returned


@dataclass(frozen=True)
class HarmonicEnergy:
    """Harmonic and total energy of an excerpt (arbitrary but common units)."""

    harmonic: float
    total: float


def harmonic_energy(x: np.ndarray, sample_rate: int) -> HarmonicEnergy:
    """Median-filter harmonic–percussive separation (Fitzgerald 2010) of ``x`` (channels, n).

    Hann frames of ``n_fft`` (2048 at 44.1 kHz) at hop ½ frame from the start of ``x`` (one
    zero-padded frame when ``x`` is shorter); see :func:`split_harmonic`.
    """
    n_fft = _fft_size(HPSS_FRAME_S, sample_rate)
    if x.shape[1] < n_fft:
        x = np.pad(x, ((0, 0), (0, n_fft - x.shape[1])))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=1)[:, :: n_fft // 2]
    return split_harmonic(hpss_power(frames, sample_rate))


def hpss_power(frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """Channel-pooled power spectra of Hann-windowed ``frames`` (channels, count, n_fft), bins
    20 Hz … min(16 kHz, Nyquist): shape ``(count, bins)``, float32."""
    n_fft = frames.shape[2]
    df = sample_rate / n_fft
    lo, hi = int(np.ceil(20.0 / df)), min(int(HPSS_MAX_HZ / df), n_fft // 2) + 1
    spec = scipy.fft.rfft(frames * scipy.signal.get_window("hann", n_fft).astype(np.float32), axis=-1)[..., lo:hi]
    returned: np.ndarray = (spec.real**2 + spec.imag**2).mean(axis=0)
    return returned


def split_harmonic(power: np.ndarray) -> HarmonicEnergy:
    """Harmonic and total energy of a pooled power spectrogram (frames, bins).

    Magnitude S = √power; H = median of S over 9 frames, P = median of S over 9 bins;
    the Wiener mask H²/(H² + P²) splits each bin's power.
    """
    mag = np.sqrt(power)
    h = _median9(mag, axis=0) ** 2
    p = _median9(mag, axis=1) ** 2
    hp = h + p
    mask = np.divide(h, hp, out=np.zeros_like(h), where=hp > 0)
    harmonic = float((mask * power).sum(dtype=np.float64))
    return HarmonicEnergy(harmonic=harmonic, total=float(power.sum(dtype=np.float64)))


@dataclass(frozen=True)
class HarmonicSummary:
    """thd_percent and harmonic_ratio (None when undefined)."""

    thd_percent: float | None
    harmonic_ratio: float | None


class HarmonicMeter:
    """Streams blocks and measures THD and harmonic ratio on the excerpts, frame by frame as they pass."""

    def __init__(
        self,
        total_frames: int,
        sample_rate: int,
        *,
        count: int = HARMONIC_EXCERPTS,
        excerpt_s: float = HARMONIC_EXCERPT_S,
    ) -> None:
        self._sampler = ExcerptSampler(total_frames, sample_rate, count=count, excerpt_s=excerpt_s)
        self._rate = sample_rate
        self._thd_fft = _fft_size(THD_FRAME_S, sample_rate)
        self._hpss_fft = _fft_size(HPSS_FRAME_S, sample_rate)
        self._open: dict[int, tuple[FrameStream, FrameStream, list[np.ndarray]]] = {}
        """Per excerpt being read: THD frames (no overlap), HPSS frames (hop ½), HPSS power rows so far;
        both framings start at the excerpt's first sample."""
        self._thd: list[np.ndarray] = []
        self._harmonic = 0.0
        self._total = 0.0

    def update(self, block: np.ndarray, offset: int) -> None:
        """Feed ``(channels, n)`` samples starting at frame ``offset``."""
        for i, part, done in self._sampler.push(block, offset):
            if i not in self._open:
                channels = part.shape[0]
                thd = FrameStream(channels, self._thd_fft, hop=self._thd_fft, lead=0)
                self._open[i] = (thd, FrameStream(channels, self._hpss_fft, lead=0), [])
            thd_framer, hpss_framer, rows = self._open[i]
            self._thd.append(thd_of_frames(thd_framer.push(part).frames, self._rate))
            frames = hpss_framer.push(part).frames
            if frames.shape[1]:
                rows.append(hpss_power(frames, self._rate))
            if done:
                if not rows:  # an excerpt shorter than one frame is read zero-padded: its first flushed frame
                    rows.append(hpss_power(hpss_framer.flush().frames[:, :1], self._rate))
                energy = split_harmonic(np.concatenate(rows))
                self._harmonic += energy.harmonic
                self._total += energy.total
                del self._open[i]

    def finish(self) -> HarmonicSummary:
        """Median THD over tonal frames; harmonic share of the total energy."""
        thd = np.concatenate(self._thd) if self._thd else np.zeros(0)
        thd_percent = float(np.median(thd)) if thd.size else None
        ratio = float(np.clip(self._harmonic / self._total, 0.0, 1.0)) if self._total > 0 else None
        return HarmonicSummary(thd_percent=thd_percent, harmonic_ratio=ratio)
