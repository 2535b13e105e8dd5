"""Time-domain meters of SPEC §4: loudness, true peak, levels, DR, clipping, stereo image.

:class:`TimeDomainMeter` reads the programme once, block by block, and keeps only
compact state: per-100 ms-segment sums (K-weighted power, Σ L², Σ R², Σ L·R …),
per-3 s DR block statistics, the K-weighting filter state across blocks, a few
samples of history for the true-peak interpolator and clipping candidates.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from amt.analysis.blockiir import BlockFilter, BlockForm
from amt.analysis.levels import DR_BLOCK_SEGMENTS, ClipTracker, dr_of_blocks
from amt.analysis.loudness import k_weighting_sos, summarize_loudness
from amt.analysis.result import SEGMENT_S, StreamLayout, TimeDomainMetrics
from amt.analysis.stereo import StereoSums, summarize_stereo
from amt.analysis.truepeak import TruePeakMeter

SILENCE_DBFS = -60.0
"""Leading/trailing silence: samples below −60 dBFS on every channel (LFE excluded)."""
_SILENCE_LINEAR = 10.0 ** (SILENCE_DBFS / 20.0)


@dataclass(frozen=True)
class TimeDomainSummary(TimeDomainMetrics):
    """Time-domain part of the result: the :class:`TimeDomainMetrics` fields, then the series."""

    momentary_lufs: list[float | None]
    """400 ms loudness every 100 ms; entry k is the window ending at (k + 1)·100 ms, LUFS."""
    short_term_lufs: list[float | None]
    """3 s loudness every 100 ms; entry k is the window ending at (k + 1)·100 ms, LUFS."""
    correlation: list[float | None]
    """Phase correlation per consecutive 400 ms window; None when below −70 LUFS."""
    correlation_hop_s: float
    clip_times_s: list[float]
    """Start of every clip event (per channel), seconds, ascending."""

    def overall_fields(self) -> dict[str, object]:
        """The OverallMetrics fields only, as a dict."""
        return {f.name: getattr(self, f.name) for f in fields(TimeDomainMetrics)}

    def as_dict(self) -> dict[str, object]:
        """Every field, as a plain dict."""
        return asdict(self)


def _db(linear: float, *, power: bool = False) -> float | None:
    """20·log10 (10·log10 for powers); None for 0 (undefined)."""
    if linear <= 0.0:
        return None
    return (10.0 if power else 20.0) * math.log10(linear)


def _by_segment(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``x`` (channels, frames) as (channels, segments, longest segment), segment j being
    ``x[:, bounds[j]:bounds[j+1]]`` zero-padded at its end (sums and max |x| unchanged).

    A view when every segment has the same length; a copy when the rate makes them
    alternate (11 025 Hz: 1103, 1102 …) or the last one is short.
    """
    channels, frames = x.shape[0], int(bounds[-1])
    lengths = np.diff(bounds)
    width = int(lengths.max()) if lengths.size else 0
    if lengths.size == 0 or (lengths == width).all():
        return x[:, :frames].reshape(channels, lengths.size, width)
    if (lengths[:-1] == width).all():
        padded = np.zeros((channels, lengths.size * width), dtype=x.dtype)
        padded[:, :frames] = x[:, :frames]
        return padded.reshape(channels, lengths.size, width)
    offsets = np.arange(width)
    index = np.minimum(bounds[:-1, None] + offsets, frames - 1)
    # Gathered channel by channel into a C-contiguous array, like the views above, so float32 sums
    # round the same whichever path a segment takes (results do not depend on the blocking).
    out = np.empty((channels, lengths.size, width), dtype=x.dtype)
    for c in range(channels):
        np.take(x[c], index, out=out[c])
    out[:, offsets[None, :] >= lengths[:, None]] = 0.0
    return out


@functools.lru_cache(maxsize=16)
def _k_weighting_form(sample_rate: int) -> BlockForm:
    """The K-weighting's block form, built once per rate (≈ 1 ms)."""
    return BlockForm.build(k_weighting_sos(sample_rate))


class TimeDomainMeter:
    """Streams a programme through the time-domain meters; see the module docstring."""

    def __init__(self, layout: StreamLayout) -> None:
        self._layout = layout
        channels = layout.channels
        self._level_channels = np.array([c for c in range(channels) if c != layout.lfe_index])
        self._weights = np.asarray(layout.loudness_weights, dtype=np.float64)
        self._left, self._right = layout.stereo_pair
        # Block form: the same filter as sosfilt (state carried), several times faster, and in
        # balanced coordinates float32 holds ~1e-7 at every rate (sosfilt's registers drift at 384 kHz).
        self._k_weighting = BlockFilter(_k_weighting_form(layout.sample_rate), channels)
        self._frames = 0
        self._segments_done = 0
        self._ended_inside_segment = False
        self._segment_sums: list[np.ndarray] = []
        """Per block, shape (7, segments): l2, r2, lr, kl2, kr2, ksum2 = Σ(kL + kR)², weighted (complete segments)."""
        self._dr_sum_squares: list[np.ndarray] = []
        self._dr_peaks: list[np.ndarray] = []
        self._dr_pending: tuple[np.ndarray, np.ndarray] | None = None
        """Σ x² and peaks of the DR block still being filled (per level channel)."""
        self._channel_sum = np.zeros(channels)
        self._channel_sum_squares = np.zeros(channels)
        self._stereo_totals = np.zeros(3)
        self._sample_peak = 0.0
        self._first_loud: int | None = None
        self._last_loud: int | None = None
        self._true_peak = TruePeakMeter([int(c) for c in self._level_channels])
        self._clips = ClipTracker(channels)

    def update(self, block: np.ndarray) -> None:
        """Consume the next float32 block, shape (frames, channels): whole 100 ms segments (the last block
        may end inside one)."""
        frames = block.shape[0]
        if frames == 0:
            return
        bounds, full = self._segment_bounds(frames)
        segments = bounds.size - 1
        x = np.ascontiguousarray(block.T, dtype=np.float32)  # channel-major: reductions run along contiguous rows
        self._loudness_update(x, bounds[: full + 1])
        # Raw statistics per segment; a partial last segment is zero-padded (sums, maxima unchanged).
        xs = _by_segment(x, bounds)
        # float32 segment sums (SIMD, ~20× faster than casting); blocks accumulate in float64.
        sum_squares = np.einsum("csf,csf->cs", xs, xs).astype(np.float64)
        peaks = np.maximum(xs.max(axis=2), -xs.min(axis=2))
        self._channel_sum += xs.sum(axis=2).sum(axis=1, dtype=np.float64)  # per segment: independent of blocking
        self._channel_sum_squares += sum_squares.sum(axis=1)
        left, right = self._left, self._right
        lr = np.einsum("sf,sf->s", xs[left], xs[right]).astype(np.float64)
        del xs
        self._stereo_totals += (sum_squares[left].sum(), sum_squares[right].sum(), lr.sum())
        sums = self._segment_sums[-1]
        sums[0], sums[1], sums[2] = sum_squares[left, :full], sum_squares[right, :full], lr[:full]
        self._dr_update(sum_squares, peaks)
        level_peaks = peaks[self._level_channels]
        self._sample_peak = max(self._sample_peak, float(level_peaks.max()) if level_peaks.size else 0.0)
        self._silence_update(x, level_peaks.max(axis=0) if level_peaks.size else np.zeros(segments), bounds)
        self._true_peak.update(x)
        self._clips.update(x, peaks.max(axis=1), self._frames)
        self._frames += frames
        self._segments_done += segments

    def _segment_bounds(self, frames: int) -> tuple[np.ndarray, int]:
        """Segment edges within a block of ``frames`` starting at the current position (the last edge
        clipped to ``frames``), and how many of its segments are complete."""
        layout = self._layout
        if self._ended_inside_segment:
            raise ValueError("Only the last block may end inside a 100 ms segment.")
        first = self._segments_done
        last = int(layout.segment_of(self._frames + frames - 1))
        edges = layout.segment_start(np.arange(first, last + 2)) - self._frames
        full = edges.size - 1
        if edges[-1] > frames:
            self._ended_inside_segment = True
            edges[-1] = frames
            full -= 1
        return edges, full

    def _loudness_update(self, x: np.ndarray, bounds: np.ndarray) -> None:
        """K-weight the block (BS.1770-4 §2.1, filter state carried over) and keep per-segment powers
        of its complete segments, whose edges are ``bounds``."""
        k = self._k_weighting.filter(x)
        full_segments = bounds.size - 1
        # Only complete 100 ms segments enter the gating blocks (BS.1770-4 §2.8).
        ks = _by_segment(k[:, : bounds[-1]], bounds)
        del k
        z = np.einsum("csf,csf->cs", ks, ks).astype(np.float64)
        sums = np.zeros((7, full_segments))
        sums[3], sums[4] = z[self._left], z[self._right]
        # Σ kL·kR via (Σ(kL + kR)² − Σ kL² − Σ kR²)/2 would cancel badly when R ≈ −L; keep Σ(kL + kR)²
        # directly instead (exactly 0 for an inverted pair).
        mid = ks[self._left] + ks[self._right]
        sums[5] = np.einsum("sf,sf->s", mid, mid).astype(np.float64)
        sums[6] = self._weights @ z  # BS.1770-4 eq. (2): Σ G_i z_i
        self._segment_sums.append(sums)

    def _dr_update(self, sum_squares: np.ndarray, peaks: np.ndarray) -> None:
        """Per 3 s DR block (30 segments from the programme start): Σ x² and max |x| per level channel.

        A DR block may straddle engine blocks: its unfinished part is carried to the next call.
        """
        first = self._segments_done
        index = first + np.arange(sum_squares.shape[1])
        starts = np.flatnonzero((index % DR_BLOCK_SEGMENTS == 0) | (index == first))
        ss = np.add.reduceat(sum_squares[self._level_channels], starts, axis=1).T
        pk = np.maximum.reduceat(peaks[self._level_channels], starts, axis=1).T
        if self._dr_pending is not None:  # the first group continues the carried block
            ss[0] += self._dr_pending[0]
            pk[0] = np.maximum(pk[0], self._dr_pending[1])
            self._dr_pending = None
        if (index[-1] + 1) % DR_BLOCK_SEGMENTS:
            self._dr_pending = (ss[-1], pk[-1])
            ss, pk = ss[:-1], pk[:-1]
        self._dr_sum_squares.append(ss)
        self._dr_peaks.append(pk)

    def _silence_update(self, x: np.ndarray, segment_peaks: np.ndarray, bounds: np.ndarray) -> None:
        """Track the first and last sample at or above −60 dBFS on any level channel."""
        loud_segments = np.flatnonzero(segment_peaks >= _SILENCE_LINEAR)
        if loud_segments.size == 0 or self._level_channels.size == 0:
            return
        rows = x[self._level_channels]
        if self._first_loud is None:
            s, e = bounds[loud_segments[0]], bounds[loud_segments[0] + 1]
            loud = (np.abs(rows[:, s:e]) >= _SILENCE_LINEAR).any(axis=0)
            self._first_loud = self._frames + int(s) + int(np.argmax(loud))
        s, e = bounds[loud_segments[-1]], bounds[loud_segments[-1] + 1]
        loud = (np.abs(rows[:, s:e]) >= _SILENCE_LINEAR).any(axis=0)
        self._last_loud = self._frames + int(s) + int(np.flatnonzero(loud)[-1])

    def finish(self) -> TimeDomainSummary:
        """All time-domain figures of the programme."""
        layout = self._layout
        total = self._frames
        seg = layout.mean_segment_frames  # 4 or 30 segments span exactly 400 ms or 3 s
        sums = np.concatenate(self._segment_sums, axis=1) if self._segment_sums else np.zeros((7, 0))
        loud = summarize_loudness(sums[6], seg)
        stereo = summarize_stereo(
            StereoSums(*sums),
            (float(self._stereo_totals[0]), float(self._stereo_totals[1]), float(self._stereo_totals[2])),
            segment_frames=seg,
            segment_s=SEGMENT_S,
            mono=self._left == self._right,
        )

        level_count = self._level_channels.size
        rms = math.sqrt(float(self._channel_sum_squares[self._level_channels].sum()) / (total * level_count))
        rms_dbfs = _db(rms)
        sample_peak_dbfs = _db(self._sample_peak)
        true_peak_dbtp = _db(self._true_peak.finish())
        integrated = loud.integrated_lufs

        dr_ss, dr_pk = list(self._dr_sum_squares), list(self._dr_peaks)
        if self._dr_pending is not None:  # the final partial DR block counts (SPEC §4)
            dr_ss.append(self._dr_pending[0][None, :])
            dr_pk.append(self._dr_pending[1][None, :])
        dr_sum_squares = np.concatenate(dr_ss)
        dr_edges = np.minimum(layout.segment_start(np.arange(dr_sum_squares.shape[0] + 1) * DR_BLOCK_SEGMENTS), total)
        dr_db = dr_of_blocks(dr_sum_squares, np.concatenate(dr_pk), np.diff(dr_edges).astype(np.float64))

        clips = self._clips.finish(layout.sample_rate)
        dc = float(np.max(np.abs(self._channel_sum / total)))
        if self._first_loud is None or self._last_loud is None:
            leading = trailing = total / layout.sample_rate
        else:
            leading = self._first_loud / layout.sample_rate
            trailing = (total - 1 - self._last_loud) / layout.sample_rate

        def diff(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a - b

        return TimeDomainSummary(
            integrated_lufs=integrated,
            momentary_max_lufs=loud.momentary_max_lufs,
            short_term_max_lufs=loud.short_term_max_lufs,
            loudness_range_lu=loud.loudness_range_lu,
            true_peak_dbtp=true_peak_dbtp,
            sample_peak_dbfs=sample_peak_dbfs,
            rms_dbfs=rms_dbfs,
            crest_factor_db=diff(sample_peak_dbfs, rms_dbfs),
            plr_db=diff(true_peak_dbtp, integrated),
            dynamic_range_db=dr_db,
            # Python's round() is half-to-even, as the SPEC asks.
            dr_value=None if dr_db is None else round(dr_db),
            stereo_width=stereo.stereo_width,
            lr_balance_db=stereo.lr_balance_db,
            phase_correlation=stereo.phase_correlation,
            phase_correlation_min=stereo.phase_correlation_min,
            negative_correlation_pct=stereo.negative_correlation_pct,
            clipped_samples=clips.clipped_samples,
            clip_events=clips.clip_events,
            dc_offset=dc,
            mono_compatibility_db=stereo.mono_compatibility_db,
            leading_silence_s=leading,
            trailing_silence_s=trailing,
            momentary_lufs=loud.momentary_lufs,
            short_term_lufs=loud.short_term_lufs,
            correlation=stereo.correlation,
            correlation_hop_s=stereo.correlation_hop_s,
            clip_times_s=clips.clip_times_s,
        )
