"""True peak: the ideal band-limited peak, found with a proven error bound (SPEC §4).

SPEC §4 asks for BS.1770-4 Annex 2 (at least 4× oversampling) and, beyond the
standard, a value within 0.05 dB of the ideal sinc-interpolated peak for content up
to 0.45·fs. Oversampling alone cannot promise that (a 4× grid reads up to 0.55 dB low
near 0.45·fs), so the meter finds the maximum of ``|x(t)|`` itself, M = max|x(t)|
over the band-limited signal through the samples. Three modules share the work:

* :mod:`.truepeak_proof` — the argument (exact kernels, Szegő's and Bernstein's
  inequalities) and every bound and constant it yields;
* :mod:`.truepeak_interp` — the filter tables cut from those kernels and the products
  that evaluate values and derivatives between samples;
* this module — the search, which only compares evaluations against those bounds.
  Positions carry their unit (:mod:`.truepeak_units`): input samples, points of the
  ½-sample grid, ⅛-sample positions.

The meter, per channel and block, with R the largest value proven so far (R ≤ M):

1. **Skip.** ``|x(t)| ≤ G·max|x[k]|`` nearby (G = sup Σ|g|, :data:`GAIN_BOUND`); a block
   whose samples times G stay below R cannot hold the crest and is not examined.
2. **Screen (2×).** The samples are exact; the half-sample points come from a 24-tap
   cut of an exact kernel (error ≤ ``COARSE_ERROR``·M). The grid point nearest the
   crest passes ``|value| ≥ R·(cos(σ/4) − error)``: every such point is a candidate.
3. **Bound.** Value and slope from 64-tap cuts of an exact kernel (errors ≤
   ``FINE_ERROR``·M, ``FINE_SLOPE_ERROR``·M) at the ends of the ½-sample intervals
   next to each candidate. The Hermite cubic's max H bounds each interval: were the
   crest there, ``M ≤ H/(1 − slack)`` (slack = Hermite remainder + data errors:
   0.0105 at ½, 7·10⁻⁴ at ¼, 1·10⁻⁴ at ⅛ sample). When candidates are many (heavy
   limiting, steady tones), block products over the rows that hold them give the
   first three derivatives at every sample instead: the septic over one sample
   (slack 5·10⁻⁴) settles flat crests at once, and what it leaves — for steady tones,
   all of it — is bounded on the ¼-sample grid (values and slopes, one product).
4. **Bisect.** An interval is pursued only while that bound beats R by more than
   :data:`SEARCH_TOLERANCE_DB`: it is halved (one new value and slope) and its halves
   bounded again, down to ⅛ sample, where the largest H is the reported peak.

The reported value is therefore within 0.01 dB of M (:data:`PEAK_TOLERANCE`): no crest
left unexamined can exceed R by more, and every reported H exceeds the true maximum
of its interval by at most 10⁻⁴·M. Flat crests (low tones) are settled in one step.
Candidates are refined loudest first, in batches, so R soon approaches M and the
later ones fail the screen. Inter-sample values are only sought where the
64-tap window lies wholly inside the programme: at the first and last 34 samples the
programme's edge would act as a step from silence and add a Gibbs overshoot that
belongs to the cut, not to the audio (a sine starting at full level would read up to
0.4 dB high). There, as everywhere, the samples themselves still count.

Which path runs when, per channel and block (thresholds in :class:`SearchTuning`; they
choose only the speed — every path keeps the bound, as ``test_truepeak_paths`` checks by
forcing each on the same signals; counts in :attr:`TruePeakMeter.paths`):

============================  ==============================================  =====================================
path (:class:`SearchPath`)    runs when                                       why
============================  ==============================================  =====================================
``skipped``                   G·(largest sample nearby) ≤ R·(1 − FINE_ERROR)  nothing there can exceed R; below
                              or < SEARCH_FLOOR, or no position with a full   −80 dBFS near-silence would make
                              window inside the programme                     every sample a candidate
``no_candidates``             screened (2×), nothing passes                   R is already near M
``sparse``                    candidates ≤ (positions) / ``dense_fraction``   a 64-tap window per candidate, the
                              (0.5 %: transients, most music)                 loudest first so R rises fast
``septic``                    more candidates, on ≤ ``quarter_share`` of the  block products at every sample;
                              ½-sample grid (limited masters)                 the septic settles flat crests
``septic_bisect``             after ``septic``: ≤ ``few`` intervals left      one by one is cheaper
``septic_quarters``           after ``septic``: more than ``few`` left        the ¼-sample grid in one product
``quarters``                  candidates on > ``quarter_share`` of the        steady tones: the septic would
                              ½-sample grid                                   leave nearly all; ¼ grid at once
============================  ==============================================  =====================================
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from amt.analysis.truepeak_interp import (
    COARSE_GAIN,
    DENSE_BLOCK,
    HALF_ROWS,
    QUARTER_MATRIX,
    SEPTIC_FOLD,
    SEPTIC_MATRIX,
    WINDOW,
    block_products,
    half_screen,
    hermite_abs_max,
    runs,
    sorted_unique,
    values_and_slopes,
)
from amt.analysis.truepeak_proof import (
    FINE_ERROR,
    FINE_HALF_TAPS,
    GAIN_BOUND,
    HERMITE_SLOPE_GAIN,
    PEAK_TOLERANCE,
    PURSUE,
    SCREEN_HALF,
    SCREEN_SAMPLE,
    SEARCH_FLOOR,
    SEARCH_TOLERANCE_DB,
    SEPTIC_SLACK,
    SUB,
    interval_slack,
)
from amt.analysis.truepeak_units import BoolArray, Eighths, FloatArray, HalfPoints, Samples

__all__ = ["GAIN_BOUND", "PEAK_TOLERANCE", "SEARCH_TOLERANCE_DB", "SearchPath", "SearchTuning", "TruePeakMeter"]

MARGIN = FINE_HALF_TAPS + 2
"""Samples a position's windows reach on either side: kept as history before the first position still
to evaluate, held back after the last one until the next block, and left out at the programme's edges."""


class SearchPath(StrEnum):
    """The ways a block can be searched (module docstring: when each runs and why)."""

    SKIPPED = "skipped"
    NO_CANDIDATES = "no_candidates"
    SPARSE = "sparse"
    SEPTIC = "septic"
    SEPTIC_BISECT = "septic_bisect"
    SEPTIC_QUARTERS = "septic_quarters"
    QUARTERS = "quarters"


@dataclass(frozen=True, slots=True)
class SearchTuning:
    """Thresholds that pick the search path: tuned for speed on this machine, none affects the bound."""

    dense_fraction: float = 200
    """Above one candidate per this many positions (0.5 %), dense evaluation (block products) beats a window
    per candidate."""
    quarter_share: float = 0.3
    """Candidates on more than this share of the ½-sample grid (steady tones): the ¼-sample grid at once."""
    few: int = 4096
    """Intervals left by the septic bound: up to this many, bisect them one by one; above, the ¼-sample grid."""
    batch: int = 8192
    """Sparse candidates bounded per round, loudest first (R rises between rounds, pruning the rest)."""
    screen_chunk: int = 4096
    """Stretches (samples) whose loudness decides whether the screen runs there."""
    dense_span: int = 1 << 17
    """Intervals bounded at once in the dense case (bounds the work arrays, whatever the signal)."""


@dataclass(slots=True)
class Intervals:
    """Intervals [start/8, (start + eighths)/8] with the value f and slope s (per sample) at both ends."""

    start: Eighths
    eighths: int
    fa: FloatArray
    sa: FloatArray
    fb: FloatArray
    sb: FloatArray

    def take(self, which: np.ndarray) -> Intervals:
        """The intervals at indices or mask ``which``."""
        return Intervals(
            Eighths(self.start[which]), self.eighths, self.fa[which], self.sa[which], self.fb[which], self.sb[which]
        )


class TruePeakMeter:
    """Running maximum of the ideal band-limited |signal| over some channels, linear (full scale 1.0)."""

    def __init__(self, channels: list[int], tuning: SearchTuning | None = None) -> None:
        self._channels = channels
        self._tuning = tuning or SearchTuning()
        self._history = {ch: np.zeros(MARGIN, dtype=np.float32) for ch in channels}
        self._next = dict.fromkeys(channels, 0)
        """Global index of the next position to evaluate (it sits at MARGIN in the history)."""
        self.peak = 0.0
        """The reported value: ≥ what is proven, ≤ M·(1 + final slack)."""
        self._proven = 0.0
        """R: a value |x(t)| is known to reach (≤ M); the screens compare against it."""
        self.blocks_skipped = 0
        self.candidates_refined = 0
        self.paths: Counter[SearchPath] = Counter()
        """How often each search path ran (per channel and block; the septic's follow-ups per span)."""

    def update(self, block_t: FloatArray) -> None:
        """Consume a channel-major float32 block, shape (channels, frames)."""
        for ch in self._channels:
            x = np.concatenate((self._history[ch], block_t[ch]))
            self._history[ch] = self._scan(ch, x, len(x) - MARGIN, final=False)

    def finish(self) -> float:
        """Flush the last samples (followed by silence) and return the true peak, linear."""
        for ch in self._channels:
            x = np.concatenate((self._history[ch], np.zeros(MARGIN, dtype=np.float32)))
            self._scan(ch, x, len(x) - MARGIN, final=True)
        return max(self.peak, self._proven)

    def _scan(self, ch: int, x: FloatArray, stop: int, *, final: bool) -> FloatArray:
        """Evaluate positions MARGIN … stop-1 of ``x``; return the history to keep for the next call.

        Inter-sample values are sought only around positions whose windows hold no
        sample from outside the programme: global index ≥ MARGIN and, in the final
        call (``x`` padded with zeros), < stop − MARGIN.
        """
        first = self._next[ch]
        self._next[ch] = first + max(0, stop - MARGIN)
        lo = MARGIN + max(0, MARGIN - first)
        hi = stop - MARGIN if final else stop
        if stop > MARGIN:
            loud = np.abs(x)
            sample_max = float(loud[MARGIN:stop].max())
            self.peak = max(self.peak, sample_max)
            self._proven = max(self._proven, sample_max)
            span_max = max(sample_max, float(loud[:MARGIN].max()), float(loud[stop:].max(initial=0.0)))
            # Samples farther than the span weigh at most the 64-tap cut's error (≤ FINE_ERROR·M).
            # ≤, not <: a stretch that can at most equal R adds nothing (and silence, R = 0, is not searched)
            bound = span_max * GAIN_BOUND
            if bound <= self._proven * (1.0 - FINE_ERROR) or bound < SEARCH_FLOOR or hi <= lo:
                self.blocks_skipped += 1
                self.paths[SearchPath.SKIPPED] += 1
            else:
                self._search(x, loud, lo, hi)
        return x[max(0, stop - MARGIN) :].copy()

    def _search(self, x: FloatArray, loud_x: FloatArray, lo: int, hi: int) -> None:
        """Screen positions [lo, hi) on the ½-sample grid, then bound and bisect the intervals next to candidates.

        ``loud_x`` is |x|.
        """
        tuning = self._tuning
        # Only stretches loud enough to pass the screen at all: a half-sample value is at most
        # Σ|taps| times the largest sample within 12 samples, so quieter stretches cannot.
        loud = loud_x[lo:hi]
        starts = np.arange(0, hi - lo, tuning.screen_chunk)
        chunk_max = np.maximum.reduceat(loud, starts)
        near = np.maximum(chunk_max, np.maximum(np.r_[0.0, chunk_max[:-1]], np.r_[chunk_max[1:], 0.0]))
        live = near * COARSE_GAIN > self._proven * SCREEN_HALF  # strictly: only what could exceed R
        screened = []  # (start, sample mask, |half| values, half mask) per live stretch, relative to lo
        count = 0
        for run_start, run_stop in runs(live):
            a, b = lo + run_start * tuning.screen_chunk, min(hi, lo + run_stop * tuning.screen_chunk)
            half = half_screen(x, a, b)
            on_sample = loud[a - lo : b - lo] > self._proven * SCREEN_SAMPLE
            on_half = half > self._proven * SCREEN_HALF
            count += int(np.count_nonzero(on_sample)) + int(np.count_nonzero(on_half))
            screened.append((a - lo, on_sample, half, on_half))
        if count == 0:
            self.paths[SearchPath.NO_CANDIDATES] += 1
            return
        self.candidates_refined += count
        if count > (hi - lo) // tuning.dense_fraction:
            # Dense (heavy limiting, steady tones): the global crest lies within ¼ sample of a
            # candidate: in [n − 1, n + 1] around a sample n, in [n, n + 1] around n + ½.
            # chosen[j] marks the one-sample interval [lo − 1 + j, lo + j].
            chosen = np.zeros(hi - lo + 1, dtype=bool)
            for start, on_sample, _, on_half in screened:
                stop = start + on_sample.size
                chosen[start + 1 : stop + 1] |= on_sample
                chosen[start:stop] |= on_sample
                chosen[start + 1 : stop + 1] |= on_half
            # In spans of dense_span intervals: the work arrays grow ~100 bytes per interval, so a
            # block where every sample is a candidate (Nyquist, square waves) stays within a bounded size.
            if count > 2 * (hi - lo) * tuning.quarter_share:
                self.paths[SearchPath.QUARTERS] += 1
                intervals = Samples(lo - 1 + np.flatnonzero(chosen))
                for first in range(0, intervals.size, tuning.dense_span):
                    self._quarters(x, Samples(intervals[first : first + tuning.dense_span]))
            else:
                self.paths[SearchPath.SEPTIC] += 1
                for first in range(0, chosen.size, tuning.dense_span):
                    self._septic(x, loud_x, lo - 1 + first, chosen[first : first + tuning.dense_span])
            return
        self.paths[SearchPath.SPARSE] += 1
        on_sample = np.concatenate([start + np.flatnonzero(m) for start, m, _, _ in screened])
        hits = [np.flatnonzero(m) for _, _, _, m in screened]
        on_half = np.concatenate([start + h for (start, _, _, _), h in zip(screened, hits, strict=True)])
        half_parts = [half[h] for (_, _, half, _), h in zip(screened, hits, strict=True)]
        # Score: the largest M the point allows were the crest next to it; candidates reach R.
        grid = HalfPoints(np.concatenate((2 * (lo + on_sample), 2 * (lo + on_half) + 1)))
        score = np.concatenate((loud[on_sample] / SCREEN_SAMPLE, np.concatenate(half_parts) / SCREEN_HALF))
        # Loudest first: they lift R, and most of the others then fail the screen without further work.
        order = np.argsort(-score)
        grid, score = HalfPoints(grid[order]), score[order]
        while grid.size:
            self._bound_near(x, HalfPoints(np.sort(grid[: tuning.batch])))
            grid, score = HalfPoints(grid[tuning.batch :]), score[tuning.batch :]
            keep = score >= self._proven
            grid, score = HalfPoints(grid[keep]), score[keep]

    def _bound_near(self, x: FloatArray, grid: HalfPoints) -> None:
        """Bound the ½-sample intervals on either side of grid points ``grid`` (sorted)."""
        left = HalfPoints(sorted_unique(np.concatenate((grid - 1, grid))))
        points = HalfPoints(sorted_unique(np.concatenate((left, left + 1))))
        n = points // 2
        frames = np.lib.stride_tricks.sliding_window_view(x, WINDOW)[n - FINE_HALF_TAPS + 1]
        rows = (frames @ HALF_ROWS.astype(np.float32)).astype(np.float64)
        odd = points % 2 == 1
        value = np.where(odd, rows[:, 1], x[n].astype(np.float64))
        slope = np.where(odd, rows[:, 2], rows[:, 0])
        a = np.searchsorted(points, left)
        half = SUB // 2  # eighths per ½-sample point
        intervals = Intervals(Eighths(half * left), half, value[a], slope[a], value[a + 1], slope[a + 1])
        self._bisect(x, intervals, value)

    def _septic(self, x: FloatArray, loud_x: FloatArray, base: int, chosen: BoolArray) -> None:
        """Bound the one-sample intervals [base + j, base + j + 1] with ``chosen[j]`` by a septic Hermite.

        The first three derivatives at each sample come from one block product (the value
        is the sample), over the rows of DENSE_BLOCK samples that hold an interval's end.
        The septic Hermite through values and derivatives at both ends errs by at most
        :data:`~.truepeak_proof.SEPTIC_SLACK`·M, inside the search tolerance, and
        |H| ≤ max|f| + Σ_k w_k·(|f⁽ᵏ⁾(m)| + |f⁽ᵏ⁾(m + 1)|) (w_k: :data:`~.truepeak_proof.SEPTIC_WEIGHTS`).
        Intervals whose bound cannot beat R by the tolerance are settled here — flat
        crests (bass, low tones) all are — and the others go on at ¼ sample. ``loud_x`` is |x|.
        """
        size = chosen.size + 1  # samples base … base + chosen.size: both ends of every interval
        rows_total = -(-size // DENSE_BLOCK)
        ends = np.zeros(rows_total * DENSE_BLOCK, dtype=bool)
        ends[: size - 1] = chosen
        ends[1:size] |= chosen
        rows = np.flatnonzero(ends.reshape(rows_total, DENSE_BLOCK).any(axis=1))
        # Rows are computed from a zero-padded copy: the last row may run past the samples kept.
        seg = np.zeros(rows_total * DENSE_BLOCK + WINDOW - 1, dtype=np.float32)
        span = x[base - FINE_HALF_TAPS + 1 : base + rows_total * DENSE_BLOCK + FINE_HALF_TAPS]
        seg[: span.size] = span
        frames = np.lib.stride_tricks.sliding_window_view(seg, DENSE_BLOCK + WINDOW - 1)[::DENSE_BLOCK]
        derivatives = frames[rows] @ SEPTIC_MATRIX  # (rows, 3·DENSE_BLOCK): sample by sample
        np.abs(derivatives, out=derivatives)
        # Σ_k w_k·|f⁽ᵏ⁾| at every sample of the computed rows (0 elsewhere: no chosen interval ends there)
        by_row = np.zeros((rows_total, DENSE_BLOCK), dtype=np.float32)
        by_row[rows] = derivatives @ SEPTIC_FOLD
        spread = by_row.reshape(-1)
        ends_loud = loud_x[base : base + size]
        rough = np.maximum(ends_loud[:-1], ends_loud[1:])
        rough += spread[: size - 1]
        rough += spread[1:size]
        left = Samples(base + np.flatnonzero(chosen & (rough >= self._proven * PURSUE * (1.0 - SEPTIC_SLACK))))
        if left.size > self._tuning.few:
            self.paths[SearchPath.SEPTIC_QUARTERS] += 1
            self._quarters(x, left)
        elif left.size:
            self.paths[SearchPath.SEPTIC_BISECT] += 1
            ends_at = Samples(sorted_unique(np.concatenate((left, left + 1))))
            f, d = values_and_slopes(x, Eighths(SUB * ends_at))
            j = np.searchsorted(ends_at, left)
            self._bisect(x, Intervals(Eighths(SUB * left), SUB, f[j], d[j], f[j + 1], d[j + 1]), np.zeros(0))

    def _quarters(self, x: FloatArray, intervals: Samples) -> None:
        """Bound the ¼-sample intervals inside [m, m + 1], m in ``intervals`` (sorted), and bisect the rest.

        One block product gives value and slope on the ¼-sample grid of the rows concerned;
        at ¼ sample the cubic Hermite's slack (7·10⁻⁴) is inside the search tolerance, so
        a steady tone's crests are settled without further evaluation.
        """
        # s0, v¼, s¼, v½, s½, v¾, s¾ at m, and at m + 1
        here, after = block_products(x, [intervals, Samples(intervals + 1)], QUARTER_MATRIX, 7)
        value = np.empty((intervals.size, 5), dtype=np.float32)
        slope = np.empty((intervals.size, 5), dtype=np.float32)
        value[:, 0], value[:, 1:4], value[:, 4] = x[intervals], here[:, 1::2], x[intervals + 1]
        slope[:, 0], slope[:, 1:4], slope[:, 4] = here[:, 0], here[:, 2::2], after[:, 0]
        self._proven = max(self._proven, float(np.abs(value).max()) / (1.0 + FINE_ERROR))
        magnitude, steepness = np.abs(value), np.abs(slope)
        rough = np.maximum(magnitude[:, :-1], magnitude[:, 1:])
        rough += (HERMITE_SLOPE_GAIN * 0.25) * (steepness[:, :-1] + steepness[:, 1:])
        near = np.flatnonzero(rough.ravel() >= self._proven * PURSUE * (1.0 - interval_slack(2)))
        if near.size == 0:
            return
        m, q = np.divmod(near, 4)
        fa, fb = value[m, q].astype(np.float64), value[m, q + 1].astype(np.float64)
        sa, sb = slope[m, q].astype(np.float64), slope[m, q + 1].astype(np.float64)
        quarter = SUB // 4  # eighths per ¼ sample
        self._bisect(x, Intervals(Eighths(SUB * intervals[m] + quarter * q), quarter, fa, sa, fb, sb), np.zeros(0))

    def _bisect(self, x: FloatArray, intervals: Intervals, known: FloatArray) -> None:
        """Bound ``intervals`` by their Hermite max; halve the survivors down to ⅛ sample.

        ``known`` are exact values just computed: each lifts R by |value|/(1 + FINE_ERROR).
        """
        iv = intervals
        while True:
            if known.size:
                self._proven = max(self._proven, float(np.abs(known).max()) / (1.0 + FINE_ERROR))
            slack = interval_slack(iv.eighths)
            h = iv.eighths / SUB
            # A cheap bound of the Hermite max first: most intervals of a steady tone stop here.
            rough = np.maximum(np.abs(iv.fa), np.abs(iv.fb)) + (HERMITE_SLOPE_GAIN * h) * (
                np.abs(iv.sa) + np.abs(iv.sb)
            )
            near = np.flatnonzero(rough >= self._proven * PURSUE * (1.0 - slack))
            if near.size < iv.start.size:
                iv = iv.take(near)
            top = hermite_abs_max(iv.fa, iv.sa, iv.fb, iv.sb, h)
            if iv.eighths == 1:
                if top.size:
                    best = float(top.max())
                    self.peak = max(self.peak, best)
                    self._proven = max(self._proven, best / (1.0 + slack))
                return
            if top.size:
                # x reaches at least H − slack·M somewhere in the interval: a proven value.
                self._proven = max(self._proven, float(top.max()) / (1.0 + slack))
            # Were the crest in an interval, M ≤ H/(1 − slack); pursue it only if that beats R by the tolerance.
            alive = top >= self._proven * PURSUE * (1.0 - slack)
            if not alive.any():
                return
            iv = iv.take(alive)
            half = iv.eighths // 2
            fm, sm = values_and_slopes(x, Eighths(iv.start + half))
            iv = Intervals(
                Eighths(np.concatenate((iv.start, iv.start + half))),
                half,
                np.concatenate((iv.fa, fm)),
                np.concatenate((iv.sa, sm)),
                np.concatenate((fm, iv.fb)),
                np.concatenate((sm, iv.sb)),
            )
            known = fm
