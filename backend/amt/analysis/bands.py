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

from amt.analysis.blockiir import BLOCK, CHUNK_ROWS, BlockForm, scan_states

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
    """|H(f)|² of a digital filter at ``freqs_hz`` (1-D, Hz)."""
    _, h = scipy.signal.sosfreqz(sos, worN=np.asarray(freqs_hz, dtype=float), fs=sample_rate)
    returned: np.ndarray = np.abs(h) ** 2
    return returned


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
        returned: np.ndarray = np.asarray(hi) - np.asarray(lo)
        return returned


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


class BandSignals:
    """Several biquad cascades (their :class:`BlockForm`) run over the same stream of ``(channels, n)`` float32
    blocks, at its rate.

    Each filter keeps its running peak |y| over channels and samples (:attr:`peaks`);
    those given a ``step`` (not None) also hand back every ``step``-th output sample
    (stream samples 0, step, 2·step, …), for levels. Per channel and chunk of rows: one
    product carries every filter's input into its states, a doubling scan
    (:func:`analysis.blockiir.scan_states`) runs the states from row to row, and the
    outputs come from one product of [row input; row
    state] — only for rows that a cheap bound cannot rule out (see :meth:`_peak`). Rows
    are columns here (sample b·BLOCK + r at [r, b]): the scan's small products then run
    along long contiguous rows, several times faster than the other way round.
    """

    def __init__(self, forms: list[BlockForm], steps: list[int | None], channels: int) -> None:
        self.steps = steps
        self.forms = forms
        self._order = [f.phi.shape[1] for f in self.forms]
        self._phi_t = np.ascontiguousarray(np.concatenate([f.phi for f in self.forms], axis=1).T)
        """(Σ orders, BLOCK): every filter's row input → next-state contribution."""
        self._out = [np.ascontiguousarray(np.concatenate([f.toeplitz, f.psi], axis=0).T) for f in self.forms]
        """Per filter (BLOCK, BLOCK + order): outputs from [row input; row state]."""
        self._every_out = [np.ascontiguousarray(o[:: step or 1]) for o, step in zip(self._out, steps, strict=True)]
        """Per filter, the rows of its output matrix at the kept offsets (multiples of step)."""
        # |y_b[r]| ≤ Σ_i max_r|Ψ[i, r]|·|s_b[i]| + max_r Σ_j|T[j, r]|·max|x_b|: rows whose bound
        # stays below the running peak cannot raise it and are not evaluated.
        self._state_gain = [np.abs(f.psi).max(axis=1) * np.float32(1.0 + 1e-5) for f in self.forms]
        self._input_gain = [float(np.abs(f.toeplitz).sum(axis=0).max()) * (1.0 + 1e-5) for f in self.forms]
        self._state = [np.zeros((channels, p), dtype=np.float32) for p in self._order]
        self._rest = np.zeros((channels, 0), dtype=np.float32)
        self._seen = 0
        """Stream samples filtered so far."""
        self.peaks = [0.0] * len(forms)
        """Running max |y| over channels and samples, per filter."""

    def push(self, x: np.ndarray) -> list[np.ndarray]:
        """Filter the next ``(channels, n)`` samples; per filter, the kept samples since the last call.

        ``(channels, m)`` float32 for filters with a step, an empty array for the others.
        """
        parts: list[list[np.ndarray]] = [[] for _ in self.forms]
        head = min(x.shape[1], (-self._rest.shape[1]) % BLOCK)
        if self._rest.shape[1]:  # complete the row left over from the last call
            self._rest = np.concatenate((self._rest, x[:, :head]), axis=1)
            if self._rest.shape[1] == BLOCK:
                for part, out in zip(parts, self._rows(self._rest, BLOCK), strict=True):
                    part.append(out)
                self._rest = self._rest[:, :0]
        body = x[:, head:]
        rows = body.shape[1] // BLOCK
        if rows:
            for part, out in zip(parts, self._rows(body[:, : rows * BLOCK], rows * BLOCK), strict=True):
                part.append(out)
        if body.shape[1] > rows * BLOCK:
            self._rest = np.ascontiguousarray(body[:, rows * BLOCK :])
        empty = np.zeros((x.shape[0], 0), dtype=np.float32)
        return [np.concatenate(part, axis=1) if part else empty for part in parts]

    def flush(self) -> list[np.ndarray]:
        """Filter what is left (zero-padded to a row; outputs past the stream's end are ignored)."""
        rest = self._rest.shape[1]
        padded = np.zeros((self._rest.shape[0], BLOCK if rest else 0), dtype=np.float32)
        padded[:, :rest] = self._rest
        self._rest = self._rest[:, :0]
        return self._rows(padded, rest)

    def _rows(self, x: np.ndarray, valid: int) -> list[np.ndarray]:
        """Filter ``x`` (channels, rows·BLOCK), whole rows; its first ``valid`` samples are the stream's."""
        channels = x.shape[0]
        start = self._seen
        self._seen += valid
        kept = [
            np.empty((channels, self._kept_count(start, valid, s) if s else 0), dtype=np.float32) for s in self.steps
        ]
        for c in range(channels):
            grid = np.ascontiguousarray(x[c]).reshape(-1, BLOCK)
            buffer = np.empty((BLOCK + max(self._order), min(CHUNK_ROWS, grid.shape[0])), np.float32)
            for first in range(0, grid.shape[0], CHUNK_ROWS):
                rows = min(CHUNK_ROWS, grid.shape[0] - first)
                count = min(rows * BLOCK, valid - first * BLOCK)  # stream samples in these rows
                inputs = buffer[:, :rows]
                inputs[:BLOCK] = grid[first : first + rows].T
                carried = self._phi_t @ inputs[:BLOCK]
                loudest = np.maximum(inputs[:BLOCK].max(axis=0), -inputs[:BLOCK].min(axis=0))
                top = 0
                for i in range(len(self.forms)):
                    order = self._order[i]
                    states = scan_states(self._state[i][c], carried[top : top + order], self.forms[i].powers)
                    top += order
                    self._state[i][c] = states[:, -1]
                    inputs[BLOCK : BLOCK + order] = states[:, :-1]
                    used = inputs[: BLOCK + order]
                    bound = self._state_gain[i] @ np.abs(states[:, :-1]) + self._input_gain[i] * loudest
                    self._peak(i, used, bound, count)
                    step_i = self.steps[i]
                    if step_i:
                        y = self._every_out[i] @ used  # (BLOCK/step, rows): sample b·BLOCK + k·step at [k, b]
                        begin = start + first * BLOCK
                        done = self._kept_count(start, first * BLOCK, step_i)
                        values = self._every(y, step_i, begin, count)
                        kept[i][c, done : done + values.size] = values
        return kept

    @staticmethod
    def _kept_count(first: int, count: int, step: int) -> int:
        """How many multiples of ``step`` lie in stream positions [first, first + count)."""
        return -(-(first + count) // step) - -(-first // step)

    def _peak(self, i: int, used: np.ndarray, bound: np.ndarray, count: int) -> None:
        """Raise filter i's peak with the first ``count`` samples of these rows (``used``: [row input; row state]).

        Only rows whose ``bound`` reaches the running peak are evaluated.
        """
        whole, part = divmod(count, BLOCK)
        live = np.flatnonzero(bound[:whole] >= self.peaks[i])
        if live.size:
            y = self._out[i] @ (used[:, :whole] if live.size > whole // 2 else used[:, live])
            self.peaks[i] = max(self.peaks[i], float(y.max()), -float(y.min()))
        if part:  # the stream ends inside this row
            y = self._out[i][:part] @ used[:, whole]
            self.peaks[i] = max(self.peaks[i], float(y.max()), -float(y.min()))

    def _every(self, y: np.ndarray, step: int, first: int, count: int) -> np.ndarray:
        """Kept samples in stream order; y[k, b] is sample b·BLOCK + k·step (k = 0 … BLOCK/step − 1)."""
        if step <= BLOCK:  # rows start at multiples of BLOCK, so at multiples of step
            return np.ascontiguousarray(y.T).reshape(-1)[: -(-count // step)]
        rows = np.arange((-first // BLOCK) % (step // BLOCK), -(-count // BLOCK), step // BLOCK)
        returned: np.ndarray = y[0, rows]
        return returned
