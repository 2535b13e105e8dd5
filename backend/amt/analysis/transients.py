"""Onsets, transients and tempo from the spectral flux and a 1 ms envelope (SPEC §4).

Inputs are what the spectral meter keeps while the audio streams past:

* per STFT frame (hop ≈ 11.6 ms): the positive spectral flux
  ``o_t = Σ_k max(0, m_{t,k} − m_{t−1,k})`` of the channel-pooled magnitude
  spectrum ``m`` (20 Hz … min(20 kHz, Nyquist)) and the magnitude sum ``Σ_k m_{t,k}``, and both
  again over the bins from 20 Hz to :data:`PULSE_LOW_HZ` alone (kick and bass: the tempo reads them);
* per envelope step (≈ 1 ms, ``round(fs/1000)`` samples): the maximum |sample| over
  the channels (the rectified envelope, no further smoothing) and the mean square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.ndimage

ONSET_DELTA = 0.15
"""An onset's flux must exceed the local mean flux by this share of the local magnitude sum …"""
ONSET_NOISE_SIGMAS = 6.0
"""… and by this many robust standard deviations (1.4826·MAD) of the onset strength, so the
random flux of steady noise (larger with fewer bins, at low sample rates) is never an onset."""
ONSET_MAGNITUDE_WINDOW_S = 2.0
"""Flux is divided by the mean magnitude sum over this window, so quiet passages keep their onsets."""
ONSET_MEAN_WINDOW_S = 0.5
"""Window of the local mean flux an onset must rise above."""
ONSET_MIN_GAP_S = 0.03
"""An onset is the largest flux within ± this time."""
ONSET_MIN_TIME_S = 0.1
"""Onsets earlier than this are ignored: the file start has no 100 ms before it to compare with."""

PRE_WINDOW_MS = 100.0
"""transient_preservation: RMS level over this time before the onset."""
PEAK_WINDOW_MS = 10.0
"""transient_preservation: peak level over this time from the onset."""
ATTACK_FLOOR_MS = 20.0
"""attack_time_ms: the pre-onset floor is the lowest envelope value this long before the onset."""
ATTACK_SEARCH_MS = 100.0
"""attack_time_ms: the local peak is sought this long after the onset (or up to the next onset)."""
LEVEL_FLOOR = 1e-12
"""Mean square floor (−120 dBFS) for the RMS before an onset that follows digital silence."""

TEMPO_RANGE_BPM = (70.0, 180.0)
"""tempo_bpm is the octave of the beat inside this range (SPEC §4)."""
TEMPO_SEARCH_MARGIN = 1.06
"""Candidate beat periods span the range widened by this factor each way, so a beat at its edge is among them."""
TEMPO_GRID_FRAMES = 0.05
"""Step of the candidate beat periods, in onset-strength frames."""
TEMPO_LEVELS: tuple[tuple[tuple[float, ...], float], ...] = (
    ((1 / 2,), 0.8),
    ((1.0,), 2.0),
    ((2.0,), 1.0),
    ((3.0,), 1.0),
    ((4.0,), 1.0),
)
"""Metrical levels scored for a candidate beat period T, as (multiples of T, weight; the highest of a level's
multiples counts): the half beat, the beat itself, and 2, 3 and 4 beats. Every level of the true beat is
periodic; a cross-rhythm (a dotted-eighth or triplet stream, a 5-sixteenth accent) is periodic at its own
period but not at its half and its multiples together, so it scores lower."""
TEMPO_TOLERANCE = 0.01
"""A level counts the autocorrelation's highest point within ± this share of its lag (± 1 frame more):
tempo drift and frame quantisation. Wider, a dense sixteenth grid would support any long lag."""
TEMPO_PRIOR_BPM = 120.0
TEMPO_PRIOR_OCTAVES = 1.0
"""Octave prior: of the beat's octaves inside TEMPO_RANGE_BPM, the one with the highest autocorrelation peak ×
exp(−½·(log2(bpm / 120) / 1)²) is reported (a log-normal prior centred at 120 BPM, one octave wide)."""
PULSE_LOW_HZ = 150.0
PULSE_LOW_WEIGHT = 0.5
"""The tempo reads the onset strength of the whole spectrum plus this times that of 20 Hz … PULSE_LOW_HZ (kick
and bass) alone, each relative to its own level: the kick that carries a beat outweighs a louder mid-range
cross-rhythm."""
PULSE_LOW_FLOOR = 1e-3
"""… where the low bins' local magnitude sum is at least this share of the whole spectrum's (a programme
with nothing down there gets no say from the noise of its empty bins)."""


@dataclass(frozen=True)
class Tempo:
    """The beat of a programme: ``bpm`` (the octave chosen in TEMPO_RANGE_BPM) and ``pulse_clarity`` (0 … 1)."""

    bpm: float
    pulse_clarity: float


@dataclass(frozen=True)
class TransientSummary:
    """The transient fields of ``OverallMetrics`` (SPEC §4)."""

    transient_preservation: float | None
    attack_time_ms: float | None
    onset_rate_hz: float | None
    spectral_flux: float | None
    tempo_bpm: float | None
    pulse_clarity: float | None


def _odd(n: float) -> int:
    return 2 * max(1, round(n / 2)) + 1


def _local_magnitude(magnitude_sum: np.ndarray, hop_s: float) -> np.ndarray:
    """Mean magnitude sum over ONSET_MAGNITUDE_WINDOW_S around each frame."""
    returned: np.ndarray = scipy.ndimage.uniform_filter1d(
        magnitude_sum, _odd(ONSET_MAGNITUDE_WINDOW_S / hop_s), mode="nearest"
    )
    return returned


def onset_strength(flux: np.ndarray, magnitude_sum: np.ndarray, hop_s: float) -> np.ndarray:
    """Flux divided by the local mean magnitude sum, shape ``(frames,)``; 0 where there is no signal."""
    local = _local_magnitude(magnitude_sum, hop_s)
    floor = 1e-6 * float(magnitude_sum.mean()) if magnitude_sum.size else 0.0
    out = np.zeros_like(flux)
    ok = local > floor
    out[ok] = flux[ok] / local[ok]
    return out


def detect_onsets(strength: np.ndarray, hop_s: float, frame_s: float, duration_s: float) -> np.ndarray:
    """Frame indices of onsets: local maxima (± 30 ms) of the onset strength that stand
    ``max(ONSET_DELTA, 6·σ_MAD)`` above its mean over 0.5 s, from 0.1 s on, in frames that end
    before the programme does (the cut at the end is not an onset)."""
    if strength.size == 0:
        return np.zeros(0, dtype=int)
    gap = max(1, round(ONSET_MIN_GAP_S / hop_s))
    local_max = scipy.ndimage.maximum_filter1d(strength, 2 * gap + 1, mode="constant")
    local_mean = scipy.ndimage.uniform_filter1d(strength, _odd(ONSET_MEAN_WINDOW_S / hop_s), mode="nearest")
    t = np.arange(strength.size) * hop_s
    inside = strength[(t >= frame_s) & (t + frame_s <= duration_s)]
    spread = 1.4826 * float(np.median(np.abs(inside - np.median(inside)))) if inside.size else 0.0
    delta = max(ONSET_DELTA, ONSET_NOISE_SIGMAS * spread)
    cand = np.flatnonzero(
        (strength == local_max)
        & (strength >= local_mean + delta)
        & (t >= ONSET_MIN_TIME_S)
        & (t + frame_s / 2 <= duration_s + 1e-9)
    )
    # equal neighbours on a plateau: keep the first of any pair closer than the gap
    keep = np.ones(cand.size, dtype=bool)
    last = -(10**9)
    for i, c in enumerate(cand):
        if c - last <= gap:
            keep[i] = False
        else:
            last = int(c)
    return cand[keep]


def _windows(values: np.ndarray, starts: np.ndarray, length: int, fill: float) -> np.ndarray:
    """Rows ``values[start : start + length]`` for each start, shape ``(len(starts), length)``;
    positions outside ``values`` read ``fill``."""
    idx = starts[:, None] + np.arange(length)[None, :]
    inside = (idx >= 0) & (idx < values.size)
    return np.where(inside, values[np.clip(idx, 0, max(values.size - 1, 0))], fill)


def _refine(env_ms: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per onset, the envelope step in ``[lo, hi)`` where the level rises most (dB per step)."""
    width = int((hi - lo).max()) + 1
    rows = _windows(env_ms, lo - 1, width, 0.0)
    floor = np.maximum(rows.max(axis=1, keepdims=True) * 1e-6, LEVEL_FLOOR)
    rise = np.diff(np.log10(np.maximum(rows, floor)), axis=1)
    rise[np.arange(width - 1)[None, :] >= (hi - lo)[:, None]] = -np.inf
    returned: np.ndarray = np.clip(lo + np.argmax(rise, axis=1), 0, max(env_ms.size - 1, 0))
    return returned


def _crossing(rows: np.ndarray, level: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per row, where the row first reaches ``level`` at or after column ``start``, linearly
    interpolated between steps (fractional column index)."""
    cols = np.arange(rows.shape[1])[None, :]
    j = np.argmax((rows >= level[:, None]) & (cols >= start[:, None]), axis=1)
    r = np.arange(rows.shape[0])
    prev = rows[r, np.maximum(j - 1, 0)]
    cur = rows[r, j]
    step = cur - prev
    frac = np.divide(level - prev, step, out=np.ones_like(step), where=(step > 0) & (j > start))
    returned: np.ndarray = np.where(j > start, j - 1 + frac, j.astype(float))
    return returned


def _attack_steps(
    env_peak: np.ndarray, onsets: np.ndarray, stops: np.ndarray, floor_steps: int, search_steps: int
) -> np.ndarray:
    """Per onset, the 10 % → 90 % rise time (envelope steps) from the pre-onset floor (lowest
    value over ``floor_steps`` before the onset) to the local peak (highest from the onset to
    ``stops``); NaN where there is no rise."""
    rows = _windows(env_peak.astype(np.float64), onsets - floor_steps, floor_steps + search_steps, np.nan)
    cols = np.arange(rows.shape[1])[None, :]
    after = (cols >= floor_steps) & (cols < (stops - onsets + floor_steps)[:, None]) & ~np.isnan(rows)
    before = (cols <= floor_steps) & ~np.isnan(rows)
    peak_i = np.argmax(np.where(after, rows, -np.inf), axis=1)
    floor_i = np.argmin(np.where(before, rows, np.inf), axis=1)
    r = np.arange(rows.shape[0])
    peak, floor = rows[r, peak_i], rows[r, floor_i]
    ok = after.any(axis=1) & before.any(axis=1) & (peak > floor)
    rows = np.where(np.isnan(rows), 0.0, rows)
    t10 = _crossing(rows, floor + 0.1 * (peak - floor), floor_i)
    t90 = _crossing(rows, floor + 0.9 * (peak - floor), np.floor(t10).astype(int))
    return np.where(ok, t90 - t10, np.nan)


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray | None:
    """Normalised autocorrelation of ``x`` (mean removed) at lags 0 … max_lag (0 past the signal's end);
    None for a constant signal."""
    x = x - x.mean()
    n = x.size
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: min(max_lag, n - 1) + 1]
    if ac[0] <= 0:
        return None
    return np.pad(ac / ac[0], (0, max_lag + 1 - ac.size))


def _tolerant(ac: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """The autocorrelation's highest point within ± (TEMPO_TOLERANCE·lag + 1 frame) of each (fractional) lag."""
    offsets = np.linspace(-1.0, 1.0, 9)
    points = lags[..., None] * (1.0 + TEMPO_TOLERANCE * offsets) + offsets
    returned: np.ndarray = np.interp(points, np.arange(ac.size), ac).max(axis=-1)
    return returned


def _peak(ac: np.ndarray, centre: float, reach: float) -> tuple[float, float]:
    """(lag, height) of the autocorrelation's highest point within ± reach of centre, parabolic interpolation."""
    lo = max(1, int(np.floor(centre - reach)))
    hi = min(ac.size - 2, int(np.ceil(centre + reach)))
    k = lo + int(np.argmax(ac[lo : hi + 1]))
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    denom = a - 2 * b + c
    shift = float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5)) if denom < 0 else 0.0
    return k + shift, float(b - 0.25 * (a - c) * shift)


def tempo_from_strength(strength: np.ndarray, hop_s: float) -> Tempo | None:
    """The beat period of an onset strength ``(frames,)`` sampled every ``hop_s`` seconds; None without one.

    1. The strength is smoothed (Gaussian, σ = 10 ms) and its normalised autocorrelation ``A`` taken.
    2. Each candidate period T (TEMPO_RANGE_BPM widened by TEMPO_SEARCH_MARGIN, a TEMPO_GRID_FRAMES grid)
       scores the weighted mean of ``A`` over its metrical levels (TEMPO_LEVELS: ½, 1, 2, 3, 4 beats),
       so the beat wins over a cross-rhythm at 2:3, 3:4 or 5:8 of it; the best is refined to the
       autocorrelation's own peaks at 1, 2, 3 and 4 periods (least squares weighted by their height).
    3. Of its octaves inside TEMPO_RANGE_BPM, the one with the highest peak × octave prior (TEMPO_PRIOR_BPM)
       is the tempo. The pulse clarity (0 … 1) is the height of the beat's peak: the highest of those at the
       tempo's period, half and twice it (a pulse at 60 BPM reads 120 BPM and the height of its peak at 1 s).
    """
    lo_bpm, hi_bpm = TEMPO_RANGE_BPM
    longest = 60.0 / lo_bpm * TEMPO_SEARCH_MARGIN / hop_s
    shortest = 60.0 / hi_bpm / TEMPO_SEARCH_MARGIN / hop_s
    if strength.size < shortest + 3:
        return None
    factors = np.array([f for level, _ in TEMPO_LEVELS for f in level])
    max_lag = int(np.ceil(longest * factors.max() * (1 + TEMPO_TOLERANCE))) + 3
    x = scipy.ndimage.gaussian_filter1d(strength.astype(np.float64), max(0.5, 0.01 / hop_s))
    ac = _autocorrelation(x, max_lag)
    if ac is None:
        return None
    periods = np.arange(shortest, longest, TEMPO_GRID_FRAMES)
    score = np.zeros(periods.size)
    for level, weight in TEMPO_LEVELS:
        score += weight * np.max([_tolerant(ac, periods * f) for f in level], axis=0)
    coarse = float(periods[np.argmax(score)])
    # refine: the peaks near T, 2T, 3T, 4T, each sought from the estimate so far, weighted by their height
    period, moment, inertia = coarse, 0.0, 0.0
    for k in (1.0, 2.0, 3.0, 4.0):
        reach = 2.0 if inertia else k * period * TEMPO_TOLERANCE + 1.0
        lag, height = _peak(ac, k * period, reach)
        if height > 0:
            moment += height * k * lag
            inertia += height * k * k
            period = moment / inertia
    octaves = period * 2.0 ** np.arange(-3, 4)
    bpm = 60.0 / (octaves * hop_s)
    valid = (octaves >= 2.0) & (octaves < ac.size - 3)
    heights = np.array(
        [_peak(ac, t, t * TEMPO_TOLERANCE + 1.0)[1] if ok else -1.0 for t, ok in zip(octaves, valid, strict=True)]
    )
    inside = valid & (bpm >= lo_bpm) & (bpm < hi_bpm)
    if not inside.any():
        return None
    prior = np.exp(-0.5 * (np.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(np.where(inside, np.maximum(heights, 0.0) * prior, -1.0)))
    clarity = float(heights[max(best - 1, 0) : best + 2].max())
    return Tempo(bpm=float(bpm[best]), pulse_clarity=float(np.clip(clarity, 0.0, 1.0)))


def pulse_strength(
    flux: np.ndarray, magnitude_sum: np.ndarray, flux_low: np.ndarray, magnitude_sum_low: np.ndarray, hop_s: float
) -> np.ndarray:
    """The onset strength the tempo reads, ``(frames,)``: the whole spectrum's plus PULSE_LOW_WEIGHT times the
    low bins' own (20 Hz … PULSE_LOW_HZ), the latter where those bins hold at least PULSE_LOW_FLOOR of the
    magnitude."""
    low = onset_strength(flux_low, magnitude_sum_low, hop_s)
    present = _local_magnitude(magnitude_sum_low, hop_s) >= PULSE_LOW_FLOOR * _local_magnitude(magnitude_sum, hop_s)
    return onset_strength(flux, magnitude_sum, hop_s) + np.where(present, PULSE_LOW_WEIGHT * low, 0.0)


def transient_summary(
    *,
    flux: np.ndarray,
    magnitude_sum: np.ndarray,
    flux_low: np.ndarray,
    magnitude_sum_low: np.ndarray,
    hop_s: float,
    frame_s: float,
    env_peak: np.ndarray,
    env_ms: np.ndarray,
    env_step_s: float,
    duration_s: float,
) -> TransientSummary:
    """All transient figures. ``flux``/``magnitude_sum`` (frames,), frame t centred at t·hop_s, and the same over
    the bins up to PULSE_LOW_HZ (``flux_low``/``magnitude_sum_low``);
    ``env_peak``/``env_ms`` (steps,), step i covering [i·env_step_s, (i+1)·env_step_s).

    spectral_flux = Σ_t o_t / Σ_t Σ_k m_{t,k}: the share of the spectral magnitude that is
    new from one frame (hop ≈ 11.6 ms) to the next, 0 for a steady tone, level-independent.
    """
    total_mag = float(magnitude_sum.sum())
    if total_mag <= 0.0:
        return TransientSummary(None, None, None, None, None, None)
    # flux between frames wholly inside the programme: the cuts at start and end are not content
    t = np.arange(flux.size) * hop_s
    inner = (t - hop_s - frame_s / 2 >= -1e-9) & (t + frame_s / 2 <= duration_s + 1e-9)
    use = inner if inner.sum() >= 1 and magnitude_sum[inner].sum() > 0 else np.ones(flux.size, dtype=bool)
    spectral_flux = float(flux[use].sum() / magnitude_sum[use].sum())
    if inner.any():
        # frames reaching past either end hold part silence: give them their inner neighbour's
        # magnitude, or the quieter end would make the last real frames look like onsets
        first, last = np.flatnonzero(inner)[[0, -1]]
        magnitude_sum = magnitude_sum.copy()
        magnitude_sum[:first] = magnitude_sum[first]
        magnitude_sum[last + 1 :] = magnitude_sum[last]
        magnitude_sum_low = magnitude_sum_low.copy()
        magnitude_sum_low[:first] = magnitude_sum_low[first]
        magnitude_sum_low[last + 1 :] = magnitude_sum_low[last]
    strength = onset_strength(flux, magnitude_sum, hop_s)
    onsets = detect_onsets(strength, hop_s, frame_s, duration_s)
    onset_rate = float(onsets.size / duration_s)
    if onsets.size == 0:
        return TransientSummary(None, None, onset_rate, spectral_flux, None, None)

    steps_per_ms = 1e-3 / env_step_s
    # the onset lies where new energy entered frame t: between the start of frame t−1 and the end of frame t
    lo = np.floor((onsets * hop_s - frame_s / 2 - hop_s) / env_step_s).astype(int)
    hi = np.ceil((onsets * hop_s + frame_s / 2) / env_step_s).astype(int)
    refined = _refine(env_ms, lo, hi)
    pre_n = max(1, round(PRE_WINDOW_MS * steps_per_ms))
    peak_n = max(1, round(PEAK_WINDOW_MS * steps_per_ms))
    search_n = max(2, round(ATTACK_SEARCH_MS * steps_per_ms))
    floor_n = max(1, round(ATTACK_FLOOR_MS * steps_per_ms))

    before = _windows(env_ms, refined - pre_n, pre_n, np.nan)
    after = _windows(env_peak, refined, peak_n, np.nan)
    has = ~np.isnan(before).all(axis=1) & ~np.isnan(after).all(axis=1)
    peak = np.nanmax(np.where(np.isnan(after), -1.0, after), axis=1)
    has &= peak > 0
    rms = np.nanmean(np.where(has[:, None], before, 1.0), axis=1)
    xs = 20.0 * np.log10(np.where(has, peak, 1.0)) - 10.0 * np.log10(np.maximum(rms, LEVEL_FLOOR))
    xs = xs[has]

    nxt = np.append(refined[1:], env_peak.size)
    stops = np.minimum(np.minimum(refined + search_n, np.maximum(nxt, refined + 2)), env_peak.size)
    steps = _attack_steps(env_peak, refined, stops, floor_n, search_n)
    attacks = steps[~np.isnan(steps)] * env_step_s * 1e3
    preservation = float(np.clip(np.median(xs) / 20.0, 0.0, 1.0)) if xs.size else None
    attack = float(np.median(attacks)) if attacks.size else None
    tempo = (
        tempo_from_strength(pulse_strength(flux, magnitude_sum, flux_low, magnitude_sum_low, hop_s), hop_s)
        if onsets.size >= 2
        else None
    )
    return TransientSummary(
        preservation,
        attack,
        onset_rate,
        spectral_flux,
        tempo.bpm if tempo else None,
        tempo.pulse_clarity if tempo else None,
    )
