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
_CLIP_RATIO = 10.0 ** (-CLIP_TOLERANCE_DB / 20.0)
_CLIP_FLOOR = 10.0 ** (CLIP_PEAK_FLOOR_DBFS / 20.0)


def dr_of_blocks(sum_squares: np.ndarray, peaks: np.ndarray, frames: np.ndarray) -> float | None:
    """TT DR value (dB) from per-block statistics, shape (blocks, channels) / (blocks,).

    Per channel: block RMS = sqrt(2·mean(x²)); RMS_top = sqrt(mean of the squares of
    the loudest max(1, floor(0.2·blocks)) block RMS); peak₂ = second-highest block
    peak (the highest with one block); DR = 20·log10(peak₂ / RMS_top). The result is
    the mean over channels where it is defined; None when no channel has one.
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
    return float(np.mean(20.0 * np.log10(peak2[defined] / rms_top[defined])))


@dataclass(frozen=True)
class ClipSummary:
    """Clipping found in the programme."""

    clipped_samples: int
    clip_events: int
    clip_times_s: list[float]


class ClipTracker:
    """Finds runs of ≥ 3 samples within 0.01 dB of each channel's own peak.

    A channel's peak is known only at the end, so every block keeps the samples
    that could still qualify — those at or above 0.01 dB below the running peak
    (and near −1 dBFS), in stretches that can reach 3 samples — as run-length
    entries (channel, first frame, length, |value|): hard-clipped audio is long
    runs of one value, so this stays small. ``finish`` applies the final peaks.
    """

    def __init__(self, channels: int) -> None:
        self._channels = channels
        self._running_peak = np.zeros(channels)
        self._entries: list[np.ndarray] = []
        """Arrays of shape (4, n): channel, start frame, length, |value| (float64)."""

    def update(self, block_t: np.ndarray, block_peaks: np.ndarray, first_frame: int) -> None:
        """Consume a channel-major block (channels, frames); ``block_peaks`` = max |x| per channel."""
        self._running_peak = np.maximum(self._running_peak, block_peaks)
        thresholds = np.maximum(self._running_peak, _CLIP_FLOOR) * _CLIP_RATIO
        pruned = False
        for ch in range(self._channels):
            if block_peaks[ch] < thresholds[ch]:
                continue
            row = block_t[ch]
            idx = np.flatnonzero((row >= thresholds[ch]) | (row <= -thresholds[ch]))
            entries = self._runs(idx, np.abs(row[idx]).astype(np.float64), row.size)
            if entries.shape[1]:
                entries[0] = ch
                entries[1] += first_frame
                self._entries.append(entries)
            pruned = True
        if pruned and len(self._entries) > 1:
            # The running peak may have risen: drop entries that can no longer qualify.
            merged = np.concatenate(self._entries, axis=1)
            keep = merged[3] >= thresholds[merged[0].astype(int)]
            self._entries = [merged[:, keep]]

    @staticmethod
    def _runs(idx: np.ndarray, values: np.ndarray, frames: int) -> np.ndarray:
        """Run-length entries of candidate samples in stretches that can hold a 3-sample run."""
        if idx.size == 0:
            return np.zeros((4, 0))
        new_stretch = np.concatenate(([True], np.diff(idx) != 1))
        stretch_id = np.cumsum(new_stretch) - 1
        starts = idx[new_stretch]
        lengths = np.bincount(stretch_id)
        ends = starts + lengths
        # Short stretches are dropped unless they touch a block edge (they may continue).
        useful = (lengths >= CLIP_MIN_RUN) | (starts == 0) | (ends == frames)
        keep = useful[stretch_id]
        idx, values = idx[keep], values[keep]
        if idx.size == 0:
            return np.zeros((4, 0))
        new_entry = np.concatenate(([True], (np.diff(idx) != 1) | (np.diff(values) != 0.0)))
        entry_id = np.cumsum(new_entry) - 1
        out = np.zeros((4, int(new_entry.sum())))
        out[1] = idx[new_entry]
        out[2] = np.bincount(entry_id)
        out[3] = values[new_entry]
        return out

    def finish(self, sample_rate: int) -> ClipSummary:
        """Resolve the candidates against each channel's final peak."""
        if not self._entries:
            return ClipSummary(0, 0, [])
        e = np.concatenate(self._entries, axis=1)
        channel = e[0].astype(int)
        peaks = self._running_peak[channel]
        e = e[:, (peaks > _CLIP_FLOOR) & (e[3] >= peaks * _CLIP_RATIO)]
        if e.shape[1] == 0:
            return ClipSummary(0, 0, [])
        e = e[:, np.lexsort((e[1], e[0]))]
        ch, start, length = e[0], e[1], e[2]
        contiguous = (ch[1:] == ch[:-1]) & (start[1:] == start[:-1] + length[:-1])
        new_run = np.concatenate(([True], ~contiguous))
        run_id = np.cumsum(new_run) - 1
        run_lengths = np.bincount(run_id, weights=length)
        run_starts = start[new_run]
        real = run_lengths >= CLIP_MIN_RUN
        times = np.sort(run_starts[real]) / sample_rate
        return ClipSummary(
            clipped_samples=int(run_lengths[real].sum()),
            clip_events=int(real.sum()),
            clip_times_s=[float(t) for t in times],
        )
