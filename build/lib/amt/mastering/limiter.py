"""Look-ahead true-peak limiter with oversampled peak detection (SPEC §5 "Applying the plan"). Pure.

Peaks are found as a true-peak meter refines its candidates: a 4× Kaiser-windowed sinc
estimate everywhere, then 16 points per sample with a 64-tap sinc wherever the estimate
comes within 0.7 dB of the target. The gain reaches its target before each peak (look-ahead)
and recovers with a one-pole release. :func:`lookahead_limiter` works on a whole array (the
archetype synthesiser); :class:`StreamingLimiter` gives the same gain block by block in
bounded memory (the plan renderer).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal


def one_pole(x: np.ndarray, time_s: float, sample_rate: int) -> np.ndarray:
    """One-pole smoother with time constant ``time_s`` (s) along axis 0."""
    a = np.exp(-1.0 / (time_s * sample_rate))
    return signal.lfilter([1.0 - a], [1.0, -a], x, axis=0)


TP_MARGIN_DB = 0.05
"""The limiter aims this far below its ceiling: the 16× interpolator's worst grid error up to 0.45·fs is 0.03 dB."""
_COARSE_TAPS = 16
_COARSE_PHASES = (0.25, 0.5, 0.75)
_COARSE_SLACK_DB = 0.7
"""A 4× grid can read a peak up to 0.55 dB low (content at 0.45·fs); intervals whose coarse
value is within this of the target are interpolated finely."""
_FINE_HALF_TAPS = 32
_FINE_STEPS = 16
_FINE_BATCH = 1 << 15


def _kaiser_sinc(t: np.ndarray, half_taps: int, beta: float) -> np.ndarray:
    """Kaiser-windowed ideal low-pass (cut-off fs/2) at offsets ``t`` (samples); 0 outside ±half_taps."""
    ratio = np.clip(1.0 - (t / half_taps) ** 2, 0.0, None)
    return np.where(np.abs(t) < half_taps, np.sinc(t) * np.i0(beta * np.sqrt(ratio)) / np.i0(beta), 0.0)


_COARSE_KERNEL = np.stack(
    [_kaiser_sinc(p - np.arange(-_COARSE_TAPS + 1, _COARSE_TAPS + 1), _COARSE_TAPS, 8.0) for p in _COARSE_PHASES],
    axis=1,
)
"""Shape (2·taps, 3): samples n+k−taps+1 → value at n + phase."""
_FINE_J = np.arange(-_FINE_HALF_TAPS + 1, _FINE_HALF_TAPS + 1)
_FINE_KERNEL = _kaiser_sinc(
    (np.arange(1, _FINE_STEPS) / _FINE_STEPS)[None, :] - _FINE_J[:, None], _FINE_HALF_TAPS, 10.0
).astype(np.float32)
"""Shape (64, 15): samples x[m + j] → values at m + k/16, k = 1 … 15."""


def _coarse_envelope(col: np.ndarray) -> np.ndarray:
    """max(|x[m]|, |x[m+1]|, 4× values in between) for every interval [m, m+1] of one channel."""
    n = col.size
    env = np.maximum(np.abs(col), np.abs(np.append(col[1:], col.dtype.type(0))))
    if n <= 2 * _COARSE_TAPS:
        return env
    lo, hi = _COARSE_TAPS - 1, n - _COARSE_TAPS
    for p in range(_COARSE_KERNEL.shape[1]):
        between = np.abs(np.correlate(col, _COARSE_KERNEL[:, p].astype(col.dtype), mode="valid"))
        np.maximum(env[lo:hi], between, out=env[lo:hi])
    return env


def true_peak_envelope(x: np.ndarray, floor: float | None) -> np.ndarray:
    """Per-sample band-limited peak over channels: the sample and the inter-sample maxima on either side.

    Intervals whose 4× estimate stays below ``floor`` (linear; None: every interval)
    keep that estimate; the others are interpolated at 16 points per sample with a
    64-tap Kaiser-windowed sinc, as a true-peak meter refines its candidates.
    """
    n = x.shape[0]
    env = np.abs(x[:, 0])
    for ch in range(1, x.shape[1]):
        np.maximum(env, np.abs(x[:, ch]), out=env)
    padded = np.pad(x, ((_FINE_HALF_TAPS, _FINE_HALF_TAPS), (0, 0)))
    for ch in range(x.shape[1]):
        col = np.ascontiguousarray(x[:, ch])
        interval = _coarse_envelope(col)
        candidates = np.flatnonzero(interval[: n - 1] >= floor) if floor is not None else np.arange(0)
        windows = np.lib.stride_tricks.sliding_window_view(np.ascontiguousarray(padded[:, ch]), _FINE_J.size)
        for start in range(0, candidates.size, _FINE_BATCH):
            m = candidates[start : start + _FINE_BATCH]
            # Window row m + 1 holds x[m + j] for j = −31 … 32 (the pad shifts indices by 32).
            values = np.abs(windows[m + 1] @ _FINE_KERNEL).max(axis=1)
            interval[m] = np.maximum(values, np.maximum(np.abs(col[m]), np.abs(col[m + 1])))
        # The peak inside [m, m+1] counts for both of its samples.
        np.maximum(env, interval, out=env)
        np.maximum(env[1:], interval[:-1], out=env[1:])
    return env


def gain_ramp(x: np.ndarray, target: np.float32, floor: float | None, lookahead: int) -> np.ndarray:
    """The limiter's gain before its release: per sample the lowest target/peak over the next ``lookahead``
    samples, averaged over ``lookahead`` samples (so the gain is reached before each peak), never above the
    gain that peak itself needs."""
    env = true_peak_envelope(x, floor)
    need = np.minimum(np.float32(1.0), target / np.maximum(env, np.float32(1e-12)))
    L = lookahead
    held = ndimage.minimum_filter1d(need, size=L, origin=-(L // 2), mode="nearest")
    ramp = ndimage.uniform_filter1d(held, size=L, origin=(L - 1) // 2, mode="nearest")
    return np.minimum(ramp, need)


def lookahead_limiter(
    x: np.ndarray,
    ceiling: float,
    sample_rate: int,
    *,
    precise: bool = True,
    lookahead_s: float = 0.002,
    release_s: float = 0.05,
) -> np.ndarray:
    """Brick-wall true-peak limiter with lookahead: the gain reaches its target before each peak.

    Gain = min over the next L samples of target/peak (peaks from
    :func:`true_peak_envelope`), then a length-L moving average (so it never exceeds
    the required gain at a peak), then a one-pole release taken only where it is
    lower (slower recovery, same attack). ``precise=False`` uses the 4× estimate
    alone (may pass up to ~0.5 dB of overs at the top of the spectrum): for the drive
    search, where only the loudness counts.
    """
    target = np.float32(ceiling * 10.0 ** (-TP_MARGIN_DB / 20.0))
    floor = float(target) * 10.0 ** (-_COARSE_SLACK_DB / 20.0) if precise else None
    ramp = gain_ramp(x, target, floor, max(2, int(lookahead_s * sample_rate)))
    # The release starts from silence (gain 0): an archetype fades in over its first ~50 ms.
    released = np.minimum(ramp, one_pole(ramp, release_s, sample_rate).astype(ramp.dtype))
    c = np.asarray(ceiling, dtype=x.dtype)
    return np.clip(x * released[:, None], -c, c)


def true_peak(x: np.ndarray, near: float) -> float:
    """Band-limited peak of a programme (linear), exact to the 16× grid wherever it exceeds ``near``."""
    return float(true_peak_envelope(x, near * 10.0 ** (-_COARSE_SLACK_DB / 20.0)).max())


class StreamingLimiter:
    """:func:`lookahead_limiter`'s gain, block by block: memory bounded by the block, output delayed by nothing.

    Each block is limited with ``CONTEXT`` samples of the audio before it (what the look-back
    of the gain ramp and the interpolator need) and held back by as many samples of look-ahead:
    :meth:`push` returns the frames whose whole neighbourhood is known, :meth:`flush` the rest.
    The release's one-pole state is carried across blocks.
    """

    def __init__(
        self,
        ceiling: float,
        sample_rate: int,
        *,
        lookahead_s: float = 0.002,
        release_s: float = 0.05,
        channels: int = 2,
    ) -> None:
        self.ceiling = float(ceiling)
        self.sample_rate = sample_rate
        self.lookahead = max(2, int(lookahead_s * sample_rate))
        self.release_a = float(np.exp(-1.0 / (release_s * sample_rate)))
        self.context = self.lookahead + 2 * _FINE_HALF_TAPS + 2
        self._held = np.zeros((0, channels), dtype=np.float32)
        """Frames not yet output, preceded by up to ``context`` frames already output."""
        self._done = 0
        """How many of ``_held``'s first frames were already output."""
        self._state = 1.0
        """Last released gain (the one-pole's memory)."""
        target = ceiling * 10.0 ** (-TP_MARGIN_DB / 20.0)
        self._target = np.float32(target)
        self._floor = target * 10.0 ** (-_COARSE_SLACK_DB / 20.0)

    def _gain(self, buf: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Released gain for frames ``start:stop`` of ``buf`` (which holds their context on both sides)."""
        ramp = gain_ramp(buf, self._target, self._floor, self.lookahead)[start:stop].astype(np.float64)
        a = self.release_a
        smooth, _ = signal.lfilter([1.0 - a], [1.0, -a], ramp, zi=[a * self._state])
        released = np.minimum(ramp, smooth)
        if released.size:
            self._state = float(smooth[-1])
        return released.astype(np.float32)

    def _limit(self, buf: np.ndarray, start: int, stop: int) -> np.ndarray:
        gain = self._gain(buf, start, stop)
        c = np.float32(self.ceiling)
        return np.clip(buf[start:stop] * gain[:, None], -c, c)

    def push(self, block: np.ndarray) -> np.ndarray:
        """Feed frames (frames, channels); the limited frames that are ready (possibly none)."""
        buf = np.concatenate([self._held, np.asarray(block, dtype=np.float32)])
        stop = buf.shape[0] - self.context
        if stop <= self._done:
            self._held = buf
            return np.zeros((0, buf.shape[1]), dtype=np.float32)
        out = self._limit(buf, self._done, stop)
        keep = max(0, stop - self.context)
        self._held = buf[keep:]
        self._done = stop - keep
        return out

    def flush(self) -> np.ndarray:
        """The frames still held, limited (the audio after them read as silence)."""
        n = self._held.shape[0]
        pad = np.zeros((self.context, self._held.shape[1]), dtype=np.float32)
        buf = np.concatenate([self._held, pad])
        out = self._limit(buf, self._done, n)
        self._held = self._held[:0]
        self._done = 0
        return out
