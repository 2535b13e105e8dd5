"""Sample-level meters: TT dynamic range (DR) and clipping runs (SPEC §4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --- TT DR meter --------------------------------------------------------------
DR_BLOCK_SEGMENTS = 30
"""DR meter block: 3 s = 30 segments of 100 ms."""
DR_TOP_FRACTION = 0.2
"""RMS_top is taken over the loudest 20 % of the blocks (at least one)."""

# --- clipping -----------------------------------------------------------------
CLIP_MIN_RUN = 3
"""A clip event is a run of at least 3 consecutive samples at the channel's peak."""
CLIP_TOLERANCE_DB = 0.01
"""Samples within 0.01 dB of the channel's own peak count as "at the peak"."""
CLIP_PEAK_FLOOR_DBFS = -1.0
"""A channel whose peak is not above −1 dBFS is never reported as clipping."""
CLIP_MAX_LEVELS = 256
"""Distinct candidate values tracked per channel; past this the lowest are dropped (adversarial signals only)."""
CLIP_MAX_TIMES = 10_000
"""Run start times kept for the series (the first ones); counts cover every run."""
_CLIP_RATIO = 10.0 ** (-CLIP_TOLERANCE_DB / 20.0)
_CLIP_FLOOR = 10.0 ** (CLIP_PEAK_FLOOR_DBFS / 20.0)


def dr_of_blocks(sum_squares: np.ndarray, peaks: np.ndarray, frames: np.ndarray) -> float | None:
    """TT DR value (dB) from per-block statistics, shape (blocks, channels) / (blocks,).

    Per channel: block RMS = sqrt(2·mean(x²)); RMS_top = sqrt(mean of the squares of
    the loudest max(1, floor(0.2·blocks)) block RMS); peak₂ = second-highest block
    peak (the highest with one block); DR = 20·log10(peak₂ / RMS_top), at least 0 (a
    square wave or DC has RMS_top = √2·peak₂: it reads 0, not −3). The result is the
    mean over channels where it is defined; None when no channel has one.
    """
    blocks = sum_squares.shape[0]
    if blocks == 0:
        return None
    rms = np.sqrt(2.0 * sum_squares / frames[:, None])
    top = max(1, math.floor(DR_TOP_FRACTION * blocks))
    rms_top = np.sqrt(np.mean(np.sort(rms, axis=0)[-top:] ** 2, axis=0))
    ranked_peaks = np.sort(peaks, axis=0)
    peak2 = ranked_peaks[-2] if blocks >= 2 else ranked_peaks[-1]
    defined = (rms_top > 0.0) & (peak2 > 0.0)
    if not defined.any():
        return None
    return float(np.mean(np.maximum(20.0 * np.log10(peak2[defined] / rms_top[defined]), 0.0)))


@dataclass(frozen=True)
class ClipSummary:
    """Clipping found in the programme: every run counted; the first MAX_CLIP_TIMES run starts kept."""

    clipped_samples: int
    clip_events: int
    clip_times_s: list[float]


class _LevelRuns:
    """Runs of one channel at every threshold still possible: one entry per distinct candidate value.

    Level k counts the runs of samples with |x| ≥ ``levels[k]``. The final threshold
    (0.01 dB under the channel's final peak) is at or above the running one, and every
    candidate value is a level, so "≥ the final threshold" means "≥ the smallest level
    at or above it": ``finish`` reads that level's counts. Per level: completed runs
    (events, samples, first start frames), and the run still open at the block's end.
    """

    def __init__(self) -> None:
        self.levels = np.zeros(0)
        self.events = np.zeros(0, dtype=np.int64)
        self.samples = np.zeros(0, dtype=np.int64)
        self.open_length = np.zeros(0, dtype=np.int64)
        self.open_start = np.zeros(0, dtype=np.int64)
        self.times: list[np.ndarray] = []

    def _keep(self, keep: np.ndarray) -> None:
        self.levels, self.events, self.samples = self.levels[keep], self.events[keep], self.samples[keep]
        self.open_length, self.open_start = self.open_length[keep], self.open_start[keep]
        self.times = [self.times[k] for k in np.flatnonzero(keep)]

    def _add_levels(self, values: np.ndarray) -> None:
        """Insert new levels; each starts as a copy of the next level up (no sample lay between them)."""
        new = np.setdiff1d(values, self.levels)
        if new.size == 0:
            return
        merged = np.concatenate((self.levels, new))
        order = np.argsort(merged, kind="stable")
        above = np.searchsorted(self.levels, merged[order], side="left")  # old level each row copies
        old = order < self.levels.size
        source = np.where(old, order, above)
        has = source < self.levels.size
        pick = np.minimum(source, max(self.levels.size - 1, 0))

        def take(a: np.ndarray) -> np.ndarray:
            return np.where(has, a[pick], 0) if a.size else np.zeros(merged.size, dtype=a.dtype)

        self.events, self.samples = take(self.events), take(self.samples)
        self.open_length, self.open_start = take(self.open_length), take(self.open_start)
        empty = np.zeros(0, dtype=np.int64)
        self.times = [self.times[int(s)].copy() if h else empty for s, h in zip(pick, has, strict=True)]
        self.levels = merged[order]
        if self.levels.size > CLIP_MAX_LEVELS:
            self._keep(np.arange(self.levels.size) >= self.levels.size - CLIP_MAX_LEVELS)

    def update(self, positions: np.ndarray, values: np.ndarray, threshold: float, frames: int, first: int) -> None:
        """Extend the runs with one block: candidate ``positions`` (sorted, in the block) and their |values|."""
        if self.levels.size and self.levels[0] < threshold:
            self._keep(self.levels >= threshold)
        if values.size:
            self._add_levels(np.unique(values))
        for k in range(self.levels.size):
            at = positions[values >= self.levels[k]] if values.size else positions
            if at.size == 0:
                self._close(k, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
                continue
            breaks = np.flatnonzero(np.diff(at) != 1)
            starts = at[np.concatenate(([0], breaks + 1))]
            lengths = at[np.concatenate((breaks, [at.size - 1]))] + 1 - starts
            starts = starts + first
            if self.open_length[k] and starts[0] == first:
                starts[0] = self.open_start[k]
                lengths[0] += self.open_length[k]
                self.open_length[k] = 0
            if starts[-1] + lengths[-1] == first + frames:  # the last run may go on in the next block
                self._close(k, starts[:-1], lengths[:-1])
                self.open_start[k], self.open_length[k] = starts[-1], lengths[-1]
            else:
                self._close(k, starts, lengths)

    def _close(self, k: int, starts: np.ndarray, lengths: np.ndarray) -> None:
        """Count completed runs (and the open one, which ends here) at level k."""
        if self.open_length[k]:
            starts = np.concatenate(([self.open_start[k]], starts))
            lengths = np.concatenate(([self.open_length[k]], lengths))
            self.open_length[k] = 0
        real = lengths >= CLIP_MIN_RUN
        if not real.any():
            return
        self.events[k] += int(np.count_nonzero(real))
        self.samples[k] += int(lengths[real].sum())
        room = CLIP_MAX_TIMES - self.times[k].size
        if room > 0:
            self.times[k] = np.concatenate((self.times[k], starts[real][:room]))

    def finish(self, threshold: float) -> tuple[int, int, np.ndarray]:
        """Events, clipped samples and first run starts (frames) at the final threshold."""
        k = int(np.searchsorted(self.levels, threshold, side="left"))
        if k == self.levels.size:
            return 0, 0, np.zeros(0, dtype=np.int64)
        self._close(k, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return int(self.events[k]), int(self.samples[k]), self.times[k]


class ClipTracker:
    """Finds runs of ≥ 3 samples within 0.01 dB of each channel's own peak, in bounded memory.

    A channel's peak is known only at the end, so each channel counts runs at every
    threshold still possible (:class:`_LevelRuns`) as the blocks come: memory holds
    one counter set per distinct candidate value (at most CLIP_MAX_LEVELS) and at most
    CLIP_MAX_TIMES run starts per level — never one entry per sample, whatever the signal.
    """

    def __init__(self, channels: int) -> None:
        self._channels = channels
        self._running_peak = np.zeros(channels)
        self._runs = [_LevelRuns() for _ in range(channels)]

    def update(self, block_t: np.ndarray, block_peaks: np.ndarray, first_frame: int) -> None:
        """Consume a channel-major block (channels, frames); ``block_peaks`` = max |x| per channel."""
        self._running_peak = np.maximum(self._running_peak, block_peaks)
        thresholds = np.maximum(self._running_peak, _CLIP_FLOOR) * _CLIP_RATIO
        frames = block_t.shape[1]
        for ch in range(self._channels):
            runs = self._runs[ch]
            if block_peaks[ch] < thresholds[ch]:
                if runs.levels.size:
                    runs.update(np.zeros(0, dtype=np.int64), np.zeros(0), thresholds[ch], frames, first_frame)
                continue
            row = block_t[ch]
            idx = np.flatnonzero((row >= thresholds[ch]) | (row <= -thresholds[ch]))
            idx = self._useful(idx, frames)
            runs.update(idx, np.abs(row[idx]).astype(np.float64), thresholds[ch], frames, first_frame)

    @staticmethod
    def _useful(idx: np.ndarray, frames: int) -> np.ndarray:
        """Candidates in stretches that can hold a 3-sample run (≥ 3 long, or touching a block edge)."""
        if idx.size == 0:
            return idx
        new_stretch = np.concatenate(([True], np.diff(idx) != 1))
        stretch_id = np.cumsum(new_stretch) - 1
        starts = idx[new_stretch]
        lengths = np.bincount(stretch_id)
        ends = starts + lengths
        useful = (lengths >= CLIP_MIN_RUN) | (starts == 0) | (ends == frames)
        returned: np.ndarray = idx[useful[stretch_id]]
        return returned

    def finish(self, sample_rate: int) -> ClipSummary:
        """Resolve the counts against each channel's final peak."""
        events = samples = 0
        starts = [np.zeros(0, dtype=np.int64)]
        for ch in range(self._channels):
            peak = float(self._running_peak[ch])
            if peak <= _CLIP_FLOOR:
                continue
            e, s, t = self._runs[ch].finish(peak * _CLIP_RATIO)
            events, samples = events + e, samples + s
            starts.append(t)
        times = np.sort(np.concatenate(starts).astype(np.float64))[:CLIP_MAX_TIMES] / sample_rate
        return ClipSummary(clipped_samples=samples, clip_events=events, clip_times_s=[float(t) for t in times])
