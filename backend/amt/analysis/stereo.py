"""Stereo image of the L/R pair from per-100 ms sums (SPEC §4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from amt.analysis.loudness import Gamma_a, T_g_segments, integrated_loudness, power_to_lufs, window_powers

CORRELATION_WINDOW_SEGMENTS = 4
"""Phase correlation is also reported per consecutive 400 ms window (4 segments)."""


@dataclass(frozen=True)
class StereoSums:
    """Per-segment sums over complete 100 ms segments, each shape (segments,).

    ``l2``, ``r2``, ``lr``: Σ L², Σ R², Σ L·R of the raw samples; ``kl2``, ``kr2``:
    Σ kL², Σ kR² of the K-weighted samples, ``ksum2``: Σ (kL + kR)²; ``weighted``:
    Σ G_i z_i² of the whole programme (all channels, BS.1770 weights), used for the
    −70 LUFS gate.
    """

    l2: np.ndarray
    r2: np.ndarray
    lr: np.ndarray
    kl2: np.ndarray
    kr2: np.ndarray
    ksum2: np.ndarray
    weighted: np.ndarray


@dataclass(frozen=True)
class StereoSummary:
    """Stereo figures; None when undefined (silence)."""

    stereo_width: float | None
    lr_balance_db: float | None
    phase_correlation: float | None
    phase_correlation_min: float | None
    negative_correlation_pct: float | None
    mono_compatibility_db: float | None
    correlation: list[float | None]
    correlation_hop_s: float


def _correlation(lr: np.ndarray | float, l2: np.ndarray | float, r2: np.ndarray | float) -> np.ndarray:
    """Σ L·R / √(Σ L² · Σ R²), no mean removal; NaN where a channel is silent."""
    lr, l2, r2 = np.asarray(lr, dtype=float), np.asarray(l2, dtype=float), np.asarray(r2, dtype=float)
    denominator = np.sqrt(l2 * r2)
    out = np.full(denominator.shape, np.nan)
    ok = denominator > 0.0
    out[ok] = np.clip(lr[ok] / denominator[ok], -1.0, 1.0)
    return out


def _loudness_difference(a: np.ndarray, b: np.ndarray, segment_frames: float) -> float | None:
    """Integrated loudness of segment sums ``a`` minus that of ``b``, LU; None if either is gated out."""
    la = integrated_loudness(window_powers(a, T_g_segments, segment_frames))
    lb = integrated_loudness(window_powers(b, T_g_segments, segment_frames))
    return None if la is None or lb is None else la - lb


def summarize_stereo(
    sums: StereoSums,
    totals: tuple[float, float, float],
    *,
    segment_frames: float,
    segment_s: float,
    mono: bool,
) -> StereoSummary:
    """Stereo figures of the L/R pair; ``totals`` = (Σ L², Σ R², Σ L·R) over every sample.

    Mono input (or a layout whose L and R are one channel) reads width 0, correlation 1,
    balance 0 and mono compatibility 0 by definition — None, as for stereo, when silent
    (width, correlation) or gated out (balance, mono compatibility); its per-window
    correlation is 1 where the window is not silent.
    """
    groups = sums.l2.shape[0] // CORRELATION_WINDOW_SEGMENTS
    usable = groups * CORRELATION_WINDOW_SEGMENTS

    def grouped(v: np.ndarray) -> np.ndarray:
        returned: np.ndarray = v[:usable].reshape(groups, CORRELATION_WINDOW_SEGMENTS).sum(axis=1)
        return returned

    window_power = grouped(sums.weighted) / (CORRELATION_WINDOW_SEGMENTS * segment_frames)
    window_lufs = power_to_lufs(window_power)
    audible = np.greater(np.nan_to_num(window_lufs, nan=-np.inf), Gamma_a)
    per_window = np.ones(groups) if mono else _correlation(grouped(sums.lr), grouped(sums.l2), grouped(sums.r2))
    per_window[~audible] = np.nan
    gated = per_window[~np.isnan(per_window)]
    series = [None if math.isnan(v) else float(v) for v in per_window.tolist()]
    corr_min = float(gated.min()) if gated.size else None
    negative_pct = float(100.0 * np.mean(gated < 0.0)) if gated.size else None
    hop = CORRELATION_WINDOW_SEGMENTS * segment_s
    if mono:
        # Defined exactly when the stereo figures of the same signal on L and R are: width and correlation
        # need energy, balance and mono compatibility a loudness above the gate.
        sounding = totals[0] > 0.0
        gated_in = integrated_loudness(window_powers(sums.kl2, T_g_segments, segment_frames)) is not None
        return StereoSummary(
            stereo_width=0.0 if sounding else None,
            lr_balance_db=0.0 if gated_in else None,
            phase_correlation=1.0 if sounding else None,
            phase_correlation_min=corr_min,
            negative_correlation_pct=negative_pct,
            mono_compatibility_db=0.0 if gated_in else None,
            correlation=series,
            correlation_hop_s=hop,
        )

    l2, r2, lr = totals
    energy = l2 + r2
    # With M = (L+R)/2 and S = (L−R)/2: Σ S² / (Σ M² + Σ S²) = (ΣL² − 2ΣLR + ΣR²) / (2(ΣL² + ΣR²)).
    width = float(min(1.0, max(0.0, (energy - 2.0 * lr) / (2.0 * energy)))) if energy > 0.0 else None
    overall = _correlation(lr, l2, r2)
    # M played on both channels: per channel z = Σ((kL + kR)/2)², two channels of weight 1.
    mid_on_both = 0.5 * sums.ksum2
    return StereoSummary(
        stereo_width=width,
        lr_balance_db=_loudness_difference(sums.kr2, sums.kl2, segment_frames),
        phase_correlation=None if np.isnan(overall) else float(overall),
        phase_correlation_min=corr_min,
        negative_correlation_pct=negative_pct,
        mono_compatibility_db=_loudness_difference(mid_on_both, sums.kl2 + sums.kr2, segment_frames),
        correlation=series,
        correlation_hop_s=hop,
    )
