"""The archetype mastering chain: EQ tilt → bus compressor → drive → soft clipper → lookahead limiter.

The chain is driven until a quick BS.1770-4 loudness estimate reaches the genre's
target. That estimate only steers the synthesiser; the numbers stored with a
reference always come from the real engine (:mod:`analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from synth.instruments import highpass, lowpass, one_pole


@dataclass(frozen=True)
class MasterSettings:
    """How one archetype is mastered. Gains in dB, frequencies in Hz, levels in LUFS/dBTP."""

    target_lufs: float
    ceiling_dbtp: float
    low_shelf_db: float = 0.0
    low_shelf_hz: float = 90.0
    high_shelf_db: float = 0.0
    high_shelf_hz: float = 7000.0
    mid_bell_db: float = 0.0
    mid_bell_hz: float = 1000.0
    side_gain_db: float = 0.0
    """Gain on the side signal above 250 Hz (stereo widening; the low end stays mono), dB."""
    comp_ratio: float = 2.0
    comp_threshold_db: float = 2.0
    """Threshold relative to the programme's mean level, dB."""
    clip_share: float = 0.5
    """Share (0 … 1) of the extra drive taken by the soft clipper rather than the limiter."""


@dataclass(frozen=True)
class MasterReport:
    """What the chain did (from its own quick meters)."""

    drive_db: float
    estimated_lufs: float
    iterations: int


# --- EQ (RBJ cookbook biquads) ----------------------------------------------------------------


def _shelf(kind: str, freq_hz: float, gain_db: float, sample_rate: int) -> np.ndarray:
    """RBJ shelving biquad (slope 1) as one second-order section."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * freq_hz / sample_rate
    cw, sw = np.cos(w0), np.sin(w0)
    alpha = sw / 2.0 * np.sqrt(2.0)
    sq = 2.0 * np.sqrt(a) * alpha
    if kind == "low":
        b = [a * ((a + 1) - (a - 1) * cw + sq), 2 * a * ((a - 1) - (a + 1) * cw), a * ((a + 1) - (a - 1) * cw - sq)]
        den = [(a + 1) + (a - 1) * cw + sq, -2 * ((a - 1) + (a + 1) * cw), (a + 1) + (a - 1) * cw - sq]
    else:
        b = [a * ((a + 1) + (a - 1) * cw + sq), -2 * a * ((a - 1) + (a + 1) * cw), a * ((a + 1) + (a - 1) * cw - sq)]
        den = [(a + 1) - (a - 1) * cw + sq, 2 * ((a - 1) - (a + 1) * cw), (a + 1) - (a - 1) * cw - sq]
    return np.array([*np.divide(b, den[0]), 1.0, den[1] / den[0], den[2] / den[0]])


def _bell(freq_hz: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """RBJ peaking biquad as one second-order section."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * freq_hz / sample_rate
    alpha = np.sin(w0) / (2.0 * q)
    b = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
    return np.array([*np.divide(b, den[0]), 1.0, den[1] / den[0], den[2] / den[0]])


def widen(x: np.ndarray, side_gain_db: float, sample_rate: int) -> np.ndarray:
    """Raise the side signal above 250 Hz by ``side_gain_db`` (mid/side), keeping the lows mono."""
    if side_gain_db == 0.0:
        return x
    side = 0.5 * (x[:, 0] - x[:, 1])
    extra = (10.0 ** (side_gain_db / 20.0) - 1.0) * highpass(side, 250.0, sample_rate)
    return x + np.stack([extra, -extra], axis=1)


def tilt_eq(x: np.ndarray, settings: MasterSettings, sample_rate: int) -> np.ndarray:
    """Low shelf, mid bell and high shelf, plus a 25 Hz high-pass against rumble."""
    sos = np.stack(
        [
            _shelf("low", settings.low_shelf_hz, settings.low_shelf_db, sample_rate),
            _bell(settings.mid_bell_hz, settings.mid_bell_db, 0.7, sample_rate),
            _shelf("high", settings.high_shelf_hz, settings.high_shelf_db, sample_rate),
        ]
    )
    return highpass(signal.sosfilt(sos, x, axis=0), 25.0, sample_rate)


# --- dynamics ---------------------------------------------------------------------------------


def bus_compressor(x: np.ndarray, settings: MasterSettings, sample_rate: int) -> np.ndarray:
    """Linked feed-forward RMS compressor (30 ms detector, 80 ms gain smoothing)."""
    power = one_pole(np.mean(x**2, axis=1), 0.03, sample_rate)
    level_db = 10.0 * np.log10(power + 1e-12)
    mean_db = 10.0 * np.log10(np.mean(x**2) + 1e-12)
    over = np.maximum(level_db - (mean_db + settings.comp_threshold_db), 0.0)
    gain_db = one_pole(-over * (1.0 - 1.0 / settings.comp_ratio), 0.08, sample_rate)
    return x * (10.0 ** (gain_db / 20.0))[:, None]


def soft_clip(x: np.ndarray, threshold: float) -> np.ndarray:
    """tanh clipper: linear well below ``threshold`` (linear amplitude), never above it."""
    return threshold * np.tanh(x / threshold)


_TP_TAPS = 16
TP_MARGIN_DB = 0.15
"""The limiter aims this far below its ceiling to cover inter-sample peaks between the 4× points, dB."""
_TP_PHASES = (0.25, 0.5, 0.75)


def _tp_kernel() -> np.ndarray:
    """Windowed-sinc fractional-delay taps, shape (2·taps, 3): sample n+k−taps+1 → value at n+phase."""
    k = np.arange(-_TP_TAPS + 1, _TP_TAPS + 1)
    cols = [np.sinc(k - p) * np.kaiser(2 * _TP_TAPS, 8.0) for p in _TP_PHASES]
    return np.stack(cols, axis=1)


_KERNEL = _tp_kernel()


def true_peak_envelope(x: np.ndarray) -> np.ndarray:
    """Per-sample peak estimate over channels, including 4× inter-sample peaks on both sides of each sample."""
    env = np.max(np.abs(x), axis=1)
    n = x.shape[0]
    if n <= 2 * _TP_TAPS:
        return env
    lo, hi = _TP_TAPS - 1, n - _TP_TAPS
    for ch in range(x.shape[1]):
        col = np.ascontiguousarray(x[:, ch])
        for p in range(_KERNEL.shape[1]):
            # between[m] estimates x at m + phase, for m in [lo, hi).
            between = np.abs(np.correlate(col, _KERNEL[:, p].astype(x.dtype), mode="valid"))
            np.maximum(env[lo:hi], between, out=env[lo:hi])
            np.maximum(env[lo + 1 : hi + 1], between, out=env[lo + 1 : hi + 1])
    return env


def lookahead_limiter(
    x: np.ndarray, ceiling: float, sample_rate: int, *, lookahead_s: float = 0.002, release_s: float = 0.05
) -> np.ndarray:
    """Brick-wall limiter with lookahead: the gain reaches its target before each peak.

    Gain = min over the next L samples of ceiling/peak, then a length-L moving
    average (so it never exceeds the required gain at a peak), then a one-pole
    release taken only where it is lower (slower recovery, same attack).
    """
    env = true_peak_envelope(x)
    # 4× interpolation reads up to ~0.1 dB low for content up to 17 kHz; aim that much lower.
    target = np.float32(ceiling * 10.0 ** (-TP_MARGIN_DB / 20.0))
    need = np.minimum(np.float32(1.0), target / np.maximum(env, np.float32(1e-12)))
    L = max(2, int(lookahead_s * sample_rate))
    held = ndimage.minimum_filter1d(need, size=L, origin=-(L // 2), mode="nearest")
    ramp = ndimage.uniform_filter1d(held, size=L, origin=(L - 1) // 2, mode="nearest")
    ramp = np.minimum(ramp, need)
    released = np.minimum(ramp, one_pole(ramp, release_s, sample_rate).astype(ramp.dtype))
    c = np.asarray(ceiling, dtype=x.dtype)
    return np.clip(x * released[:, None], -c, c)


# --- loudness estimate (BS.1770-4), only to steer the drive ---------------------------------------


def _k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770-4 K-weighting re-derived for any rate (pre-filter shelf + RLB high-pass), as SOS."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10.0 ** (g / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    hp = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, hp])


def quick_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness of a stereo programme (BS.1770-4 method), LUFS."""
    y = signal.sosfilt(_k_weighting(sample_rate), x, axis=0)
    seg = int(0.1 * sample_rate)
    n_seg = y.shape[0] // seg
    ms = np.sum(np.mean((y[: n_seg * seg] ** 2).reshape(n_seg, seg, -1), axis=1), axis=1)
    if n_seg < 4:
        return float("-inf")
    blocks = np.convolve(ms, np.ones(4) / 4.0, mode="valid")
    lk = -0.691 + 10.0 * np.log10(blocks + 1e-20)
    gated = blocks[lk > -70.0]
    if not gated.size:
        return float("-inf")
    rel = -0.691 + 10.0 * np.log10(np.mean(gated)) - 10.0
    gated = blocks[(lk > -70.0) & (lk > rel)]
    return float(-0.691 + 10.0 * np.log10(np.mean(gated)))


def _search_excerpt(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Every third second of the programme, joined: where the drive search runs (the limiter is local)."""
    chunk = sample_rate
    n_chunks = x.shape[0] // chunk
    if n_chunks < 12:
        return x
    keep = np.arange(0, n_chunks, 3)
    return x[: n_chunks * chunk].reshape(n_chunks, chunk, -1)[keep].reshape(-1, x.shape[1])


def master(mix: np.ndarray, settings: MasterSettings, sample_rate: int) -> tuple[np.ndarray, MasterReport]:
    """Master a (frames, 2) mix to ``settings.target_lufs`` under ``settings.ceiling_dbtp``.

    The drive is searched (secant steps on the loudness estimate) on an excerpt of
    every third second, then applied to the whole programme and corrected once if
    the whole reads more than 0.15 LU off.
    """
    x = widen(tilt_eq(mix, settings, sample_rate), settings.side_gain_db, sample_rate)
    # Nothing above 17 kHz: near-Nyquist content makes inter-sample peaks the limiter's
    # short interpolator cannot see.
    x = lowpass(x, 17000.0, sample_rate, order=4)
    x = bus_compressor(x, settings, sample_rate)
    # From here on float32: the limiter passes are memory-bound and the output is float32 anyway.
    x = (x / (np.max(np.abs(x)) + 1e-12)).astype(np.float32)
    ceiling = 10.0 ** (settings.ceiling_dbtp / 20.0)
    base_lufs = quick_lufs(x, sample_rate)

    def render(src: np.ndarray, drive_db: float) -> np.ndarray:
        g = np.float32(10.0 ** (drive_db / 20.0))
        # The clipper takes part of the overs (threshold above the ceiling), the limiter the rest.
        excess_db = max(drive_db + base_lufs - settings.target_lufs, 0.0)
        clip_at = np.float32(ceiling * 10.0 ** ((1.0 - settings.clip_share) * excess_db / 20.0 + 0.05))
        return lookahead_limiter(soft_clip(src * g, float(clip_at)), ceiling, sample_rate)

    def secant(src: np.ndarray, drive: float, max_iter: int) -> tuple[float, float, float, int]:
        """Returns drive, loudness at that drive, local slope dLUFS/ddrive, iterations."""
        lufs = quick_lufs(render(src, drive), sample_rate)
        slope, it = 0.5, 1
        while abs(lufs - settings.target_lufs) > 0.03 and it < max_iter:
            step = float(np.clip((settings.target_lufs - lufs) / slope, -12.0, 12.0))
            new_lufs = quick_lufs(render(src, drive + step), sample_rate)
            if new_lufs != lufs:
                slope = float(np.clip((new_lufs - lufs) / step, 0.1, 1.5))
            drive, lufs, it = drive + step, new_lufs, it + 1
        return drive, lufs, slope, it

    excerpt = _search_excerpt(x, sample_rate)
    drive, _, slope, iterations = secant(excerpt, settings.target_lufs - base_lufs, 8)
    out = render(x, drive)
    lufs = quick_lufs(out, sample_rate)
    if abs(lufs - settings.target_lufs) > 0.15:
        drive += float(np.clip((settings.target_lufs - lufs) / slope, -3.0, 3.0))
        out = render(x, drive)
        lufs = quick_lufs(out, sample_rate)
        iterations += 1
    return out, MasterReport(drive_db=drive, estimated_lufs=lufs, iterations=iterations + 1)
