"""Loudness per ITU-R BS.1770-4 and loudness range per EBU Tech 3342.

The K-weighting filter is designed for the actual sample rate by the bilinear
transform of its analogue prototype (the design libebur128 and pyloudnorm use),
which reproduces the 48 kHz coefficients printed in BS.1770-4 Tables 1 and 2 and
keeps the response right at 44.1, 96, 192 kHz … where the printed coefficients
would be wrong.

Everything here works on *per-segment sums*: the programme is cut into 100 ms
segments and each meter keeps Σ z² per segment, so a 400 ms gating block is the
sum of 4 consecutive segments and a 3 s short-term window the sum of 30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --- BS.1770-4 constants -----------------------------------------------------
LOUDNESS_OFFSET_LKFS = -0.691
"""BS.1770-4 eq. (2): L_K = -0.691 + 10 log10(Σ G_i z_i)."""
Gamma_a = -70.0
"""BS.1770-4 §2.8 (eq. 5): absolute gating threshold, LKFS."""
Gamma_r_offset = -10.0
"""BS.1770-4 §2.8 (eq. 6): relative gate, LU below the absolute-gated loudness."""
T_g_segments = 4
"""BS.1770-4 §2.8: gating block T_g = 400 ms = 4 segments of 100 ms (75 % overlap)."""

# --- EBU Tech 3342 constants ------------------------------------------------
SHORT_TERM_SEGMENTS = 30
"""EBU Tech 3341/3342: short-term loudness window of 3 s = 30 segments."""
LRA_Gamma_a = -70.0
"""Tech 3342 §3: absolute gate for the short-term values, LUFS."""
LRA_Gamma_r_offset = -20.0
"""Tech 3342 §3: relative gate, LU below the absolute-gated short-term loudness."""
LRA_PRC_LOW = 10.0
LRA_PRC_HIGH = 95.0
"""Tech 3342 §3: LRA = the 95th minus the 10th percentile of the gated distribution."""

# --- K-weighting analogue prototype (BS.1770-4 Annex 1, as derived by libebur128) ---
_SHELF_F0_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_VB_EXPONENT = 0.4996667741545416
_HIGHPASS_F0_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """K-weighting (pre-filter shelf, then RLB high-pass) as second-order sections, shape (2, 6).

    BS.1770-4 Annex 1, Tables 1 and 2 give the two stages at 48 kHz; here they
    are obtained at ``sample_rate`` (Hz) by the bilinear transform with
    frequency pre-warping, so that 48 kHz gives the printed coefficients.
    """
    # Stage 1: high-shelf "pre-filter" modelling the acoustic effect of the head.
    k = math.tan(math.pi * _SHELF_F0_HZ / sample_rate)
    v_h = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    v_b = v_h**_SHELF_VB_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (v_h + v_b * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - v_h) / a0,
        (v_h - v_b * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    # Stage 2: the "RLB" high-pass; its numerator is exactly (1, -2, 1) at every rate.
    k = math.tan(math.pi * _HIGHPASS_F0_HZ / sample_rate)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def power_to_lufs(mean_square: np.ndarray) -> np.ndarray:
    """BS.1770-4 eq. (2) applied elementwise; a power of 0 gives NaN (callers map it to None)."""
    out = np.full(mean_square.shape, np.nan)
    positive = mean_square > 0.0
    out[positive] = LOUDNESS_OFFSET_LKFS + 10.0 * np.log10(mean_square[positive])
    return out


def window_powers(segment_sums: np.ndarray, segments_per_window: int, segment_frames: float) -> np.ndarray:
    """Mean square of every window of ``segments_per_window`` consecutive segments (hop 1 segment).

    ``segment_sums`` holds Σ z² (already channel-weighted) per 100 ms segment; ``segment_frames`` is
    the mean segment length fs/10 (not always whole: at 11 025 Hz segments alternate 1103/1102 frames).
    Returns an empty array when the programme is shorter than one window.
    """
    count = segment_sums.shape[0] - segments_per_window + 1
    if count <= 0:
        return np.zeros(0)
    csum = np.concatenate(([0.0], np.cumsum(segment_sums, dtype=np.float64)))
    sums = csum[segments_per_window:] - csum[:count]
    # Cumulative sums can leave a tiny negative residue where the signal is silent.
    returned: np.ndarray = np.maximum(sums, 0.0) / (segments_per_window * segment_frames)
    return returned


def _gate(powers: np.ndarray, threshold_lufs: float) -> np.ndarray:
    """The mean squares whose loudness (eq. 2) is above ``threshold_lufs``."""
    positive = powers[powers > 0.0]
    returned: np.ndarray = positive[LOUDNESS_OFFSET_LKFS + 10.0 * np.log10(positive) > threshold_lufs]
    return returned


def _mean_lufs(powers: np.ndarray) -> float:
    """Loudness of the mean of non-empty, positive mean squares (BS.1770-4 eq. 4/5), LUFS."""
    return LOUDNESS_OFFSET_LKFS + 10.0 * math.log10(float(powers.mean()))


def integrated_loudness(block_powers: np.ndarray) -> float | None:
    """Gated loudness (BS.1770-4 §2.8, eqs. 4–6) of 400 ms gating-block mean squares, LUFS.

    None when no block passes the absolute gate (silence, or shorter than 400 ms).
    """
    above_abs = _gate(block_powers, Gamma_a)
    if above_abs.size == 0:
        return None
    Gamma_r = _mean_lufs(above_abs) + Gamma_r_offset
    # The loudest block is always above the mean minus 10 LU, so this is never empty.
    return _mean_lufs(_gate(above_abs, Gamma_r))


def loudness_range(short_term_powers: np.ndarray) -> float | None:
    """Loudness range (EBU Tech 3342 §3) of 3 s short-term mean squares taken every 100 ms, LU.

    None when no window passes the gates (silence, or shorter than 3 s).
    """
    above_abs = _gate(short_term_powers, LRA_Gamma_a)
    if above_abs.size == 0:
        return None
    kept = _gate(above_abs, _mean_lufs(above_abs) + LRA_Gamma_r_offset)
    loudness = LOUDNESS_OFFSET_LKFS + 10.0 * np.log10(kept)
    low, high = np.percentile(loudness, [LRA_PRC_LOW, LRA_PRC_HIGH])
    return float(high - low)


def max_loudness(window_powers_: np.ndarray) -> float | None:
    """Highest loudness among windows (momentary or short-term max), LUFS; None if all silent."""
    if window_powers_.size == 0:
        return None
    peak = float(window_powers_.max())
    return LOUDNESS_OFFSET_LKFS + 10.0 * math.log10(peak) if peak > 0.0 else None


def loudness_series(window_powers_: np.ndarray, segments_per_window: int, total_segments: int) -> list[float | None]:
    """Loudness every 100 ms, entry k being the window that ends at (k + 1)·100 ms, LUFS.

    Entries whose window is not yet complete, or silent, are None.
    """
    values: list[float | None] = [None] * min(segments_per_window - 1, total_segments)
    loudness = power_to_lufs(window_powers_)
    values.extend(None if math.isnan(v) else float(v) for v in loudness.tolist())
    return values


@dataclass(frozen=True)
class LoudnessSummary:
    """Loudness figures of one programme (LUFS / LU; None when undefined)."""

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    loudness_range_lu: float | None
    momentary_lufs: list[float | None]
    short_term_lufs: list[float | None]


def summarize_loudness(weighted_segment_sums: np.ndarray, segment_frames: float) -> LoudnessSummary:
    """All BS.1770-4 / Tech 3342 figures from per-100 ms sums of Σ G_i z_i² over complete segments."""
    momentary = window_powers(weighted_segment_sums, T_g_segments, segment_frames)
    short_term = window_powers(weighted_segment_sums, SHORT_TERM_SEGMENTS, segment_frames)
    total = int(weighted_segment_sums.shape[0])
    return LoudnessSummary(
        integrated_lufs=integrated_loudness(momentary),
        momentary_max_lufs=max_loudness(momentary),
        short_term_max_lufs=max_loudness(short_term),
        loudness_range_lu=loudness_range(short_term),
        momentary_lufs=loudness_series(momentary, T_g_segments, total),
        short_term_lufs=loudness_series(short_term, SHORT_TERM_SEGMENTS, total),
    )
