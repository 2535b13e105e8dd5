"""Band filters, spectrum integration and band-level statistics (SPEC §4, Bands).

Spectra are held on a *grid*: bins with a centre frequency, a width and a power
(mean square, the sine convention: a full-scale sine carries 0.5 = −3.01 dBFS).
Power inside a bin is taken as evenly spread over the bin, so any frequency range —
band edges, 1/6-octave bins — is integrated exactly from the cumulative power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal

LR_LOWPASS_LIMIT = 0.95
"""A Linkwitz–Riley low-pass at or above this fraction of Nyquist is left out (the band is capped at Nyquist)."""

ROLLOFF_FRACTION = 0.85
"""Spectral rolloff: frequency below which this share of the power lies (SPEC §4)."""

LEVEL_RANGE_ABS_GATE_DB = -70.0
"""level_range_db absolute gate, dBFS (as EBU Tech 3342 for LRA)."""
LEVEL_RANGE_REL_GATE_DB = -20.0
"""level_range_db relative gate, dB below the power mean of the windows above the absolute gate."""
LEVEL_RANGE_PERCENTILES = (10.0, 95.0)

SILENCE_POWER = 1e-20
"""Mean square treated as no energy at all (−200 dBFS); levels below it are None."""


def power_db(power: float) -> float | None:
    """10·log10(power), or None for no energy."""
    return float(10.0 * np.log10(power)) if power > SILENCE_POWER else None


def lr4_sos(low_hz: float, high_hz: float, sample_rate: float) -> np.ndarray:
    """4th-order Linkwitz–Riley band filter: LR4 high-pass at ``low_hz``, LR4 low-pass at ``high_hz``.

    Each LR4 is a 2nd-order Butterworth applied twice. The low-pass is left out when
    ``high_hz`` is within 5 % of Nyquist or above it. Returns sos, shape ``(sections, 6)``.
    """
    nyquist = sample_rate / 2
    sections = []
    if 0 < low_hz < nyquist:
        hp = scipy.signal.butter(2, low_hz, "highpass", fs=sample_rate, output="sos")
        sections += [hp, hp]
    if high_hz < LR_LOWPASS_LIMIT * nyquist:
        lp = scipy.signal.butter(2, high_hz, "lowpass", fs=sample_rate, output="sos")
        sections += [lp, lp]
    if not sections:
        return np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    return np.concatenate(sections, axis=0)


def sos_power_response(sos: np.ndarray, freqs_hz: np.ndarray, sample_rate: float) -> np.ndarray:
    """|H(f)|² of a digital filter at ``freqs_hz`` (shape kept)."""
    _, h = scipy.signal.sosfreqz(sos, worN=np.asarray(freqs_hz, dtype=float), fs=sample_rate)
    return np.abs(h) ** 2


@dataclass(frozen=True)
class SpectrumGrid:
    """Bins tiling ``[edges[0], edges[-1]]``: centres, edges (len + 1), all in Hz."""

    centres_hz: np.ndarray
    edges_hz: np.ndarray

    @property
    def widths_hz(self) -> np.ndarray:
        """Width of each bin, Hz."""
        return np.diff(self.edges_hz)

    def integrate(self, power: np.ndarray, lo_hz: np.ndarray | float, hi_hz: np.ndarray | float) -> np.ndarray:
        """Power between ``lo_hz`` and ``hi_hz`` (power per bin spread evenly over the bin).

        ``power`` shape ``(bins,)`` → result shaped like the broadcast of ``lo_hz``/``hi_hz``.
        Signed quantities (cross-spectra) integrate the same way.
        """
        cumulative = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
        lo = np.interp(lo_hz, self.edges_hz, cumulative)
        hi = np.interp(hi_hz, self.edges_hz, cumulative)
        return np.asarray(hi) - np.asarray(lo)


def uniform_grid(bin_hz: float, first: int, stop: int) -> SpectrumGrid:
    """Bins ``first … stop−1`` of an FFT with spacing ``bin_hz`` (DC bin starts at 0 Hz)."""
    k = np.arange(first, stop, dtype=float)
    edges = np.concatenate([[max(0.0, (first - 0.5) * bin_hz)], (k + 0.5) * bin_hz])
    return SpectrumGrid(centres_hz=k * bin_hz, edges_hz=edges)


def join_grids(low: SpectrumGrid, high: SpectrumGrid) -> SpectrumGrid:
    """One grid of ``low`` then ``high`` (``low.edges[-1]`` must equal ``high.edges[0]``)."""
    return SpectrumGrid(
        centres_hz=np.concatenate([low.centres_hz, high.centres_hz]),
        edges_hz=np.concatenate([low.edges_hz, high.edges_hz[1:]]),
    )


@dataclass(frozen=True)
class SpectralShape:
    """Centroid, rolloff and flatness of a power spectrum over a frequency range."""

    centroid_hz: float | None
    rolloff_hz: float | None
    flatness: float | None


def spectral_shape(grid: SpectrumGrid, power: np.ndarray, lo_hz: float, hi_hz: float) -> SpectralShape:
    """Spectral figures of the bins whose centre lies in ``[lo_hz, hi_hz)``.

    centroid = Σ f·p / Σ p; rolloff = frequency where the cumulative power reaches 85 %
    (linear within the bin); flatness = geometric / arithmetic mean of the power
    density, each bin weighted by its width (on an even grid: the usual ratio of
    means), bins floored 150 dB below the strongest so silence inside a tone's
    spectrum stays finite. All None when the range holds no energy.
    """
    sel = (grid.centres_hz >= lo_hz) & (grid.centres_hz < hi_hz)
    p = power[sel]
    total = float(p.sum()) if p.size else 0.0
    if total <= SILENCE_POWER:
        return SpectralShape(None, None, None)
    f = grid.centres_hz[sel]
    widths = grid.widths_hz[sel]
    edges_hi = grid.edges_hz[1:][sel]
    centroid = float((f * p).sum() / total)
    cumulative = np.cumsum(p)
    i = int(np.searchsorted(cumulative, ROLLOFF_FRACTION * total))
    i = min(i, p.size - 1)
    before = cumulative[i - 1] if i else 0.0
    frac = (ROLLOFF_FRACTION * total - before) / p[i] if p[i] > 0 else 1.0
    rolloff = float(edges_hi[i] - widths[i] + frac * widths[i])
    density = p / widths
    floor = density.max() * 1e-15
    log_density = np.log(np.maximum(density, floor))
    geometric = np.exp((widths * log_density).sum() / widths.sum())
    arithmetic = total / widths.sum()
    flatness = float(min(1.0, geometric / arithmetic))
    return SpectralShape(centroid, rolloff, flatness)


def segment_levels(energy: np.ndarray, frames_per_segment: np.ndarray, per_window: int) -> list[float | None]:
    """RMS level (dBFS) of consecutive windows of ``per_window`` segments; the last may be partial.

    ``energy`` (segments,) sum of squares per segment; ``frames_per_segment`` (segments,) samples in each.
    """
    n = energy.size
    out: list[float | None] = []
    starts = np.arange(0, n, per_window)
    e = np.add.reduceat(energy, starts) if n else np.zeros(0)
    f = np.add.reduceat(frames_per_segment, starts) if n else np.zeros(0)
    for ei, fi in zip(e, f, strict=True):
        out.append(power_db(float(ei / fi)) if fi > 0 else None)
    return out


def level_range_db(energy: np.ndarray, frames_per_segment: np.ndarray, per_window: int) -> float | None:
    """95th − 10th percentile of sliding window levels, gated as LRA (EBU Tech 3342 §4, adapted).

    Windows of ``per_window`` segments (3 s) move by one segment (100 ms). Gates: −70 dBFS
    absolute, then −20 dB below the power mean of the windows that passed the absolute
    gate. None when the programme is shorter than one window or nothing passes.
    """
    if energy.size < per_window:
        return None
    kernel = np.ones(per_window)
    power = np.convolve(energy, kernel, "valid") / np.convolve(frames_per_segment, kernel, "valid")
    abs_gate = 10.0 ** (LEVEL_RANGE_ABS_GATE_DB / 10.0)
    above = power[power > abs_gate]
    if above.size == 0:
        return None
    rel_gate = above.mean() * 10.0 ** (LEVEL_RANGE_REL_GATE_DB / 10.0)
    gated = above[above > rel_gate]
    levels = 10.0 * np.log10(gated)
    lo, hi = np.percentile(levels, LEVEL_RANGE_PERCENTILES)
    return float(hi - lo)


@dataclass(frozen=True)
class StereoImage:
    """Band stereo figures: side / (mid + side) energy and Σ L·R / √(Σ L² · Σ R²)."""

    width: float | None
    correlation: float | None


def stereo_image(energy_l: float, energy_r: float, cross_lr: float) -> StereoImage:
    """Width and correlation from ΣL², ΣR², ΣL·R (here via Parseval from the cross-spectra).

    With M = (L+R)/2, S = (L−R)/2: ΣM² = (ΣL² + ΣR² + 2ΣLR)/4, ΣS² = (ΣL² + ΣR² − 2ΣLR)/4.
    """
    total = energy_l + energy_r
    if total <= SILENCE_POWER:
        return StereoImage(None, None)
    width = float(np.clip((total - 2.0 * cross_lr) / (2.0 * total), 0.0, 1.0))
    denom = energy_l * energy_r
    corr = float(np.clip(cross_lr / np.sqrt(denom), -1.0, 1.0)) if denom > SILENCE_POWER**2 else None
    return StereoImage(width, corr)
