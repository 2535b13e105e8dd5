"""True peak, the evaluators: values and derivatives of the band-limited signal between samples.

The filter tables are cuts of the exact kernels of :mod:`.truepeak_proof`, whose errors
that module bounds; this module only applies them, in the few shapes the search
(:mod:`.truepeak`) needs:

* :func:`half_screen` — the 24-tap screen at every n + ½ of a stretch;
* :func:`values_and_slopes` — value and slope (64 taps) at scattered ⅛-sample positions;
* :func:`block_products` — several outputs at every sample of the rows of
  :data:`DENSE_BLOCK` samples that hold wanted samples, as one block-Toeplitz product
  (the septic's three derivatives, or the ¼-sample grid's values and slopes);
* :func:`hermite_abs_max` — the largest |cubic Hermite| on intervals.
"""

from __future__ import annotations

import numpy as np

from amt.analysis.truepeak_proof import (
    COARSE_BETA,
    COARSE_HALF_TAPS,
    FINE_BETA,
    FINE_HALF_TAPS,
    SEPTIC_WEIGHTS,
    SUB,
    reference_derivative,
    reference_kernel,
    reference_slope,
)
from amt.analysis.truepeak_units import BoolArray, Eighths, FloatArray, IntArray, Samples

WINDOW = 2 * FINE_HALF_TAPS
"""Taps of the value/slope rows: x(n + d) = Σ_j x[n + j]·row[j + 31], j = −31 … 32."""
DENSE_BLOCK = 32
"""Samples per row of the block-Toeplitz products that evaluate at every sample."""


def _coarse_taps() -> FloatArray:
    """Half-sample screening filter for np.correlate: value at n + ½ = Σ_m x[n − 11 + m]·taps[m] (24 taps)."""
    m = np.arange(2 * COARSE_HALF_TAPS)
    return reference_kernel(COARSE_HALF_TAPS - 0.5 - m, COARSE_BETA).astype(np.float32)


def _fine_rows() -> tuple[FloatArray, FloatArray]:
    """Value and slope rows (8, 64) for offsets d = k/8: x(n + d) = Σ_j x[n + j]·row[j + 31], j = −31 … 32."""
    j = np.arange(-FINE_HALF_TAPS + 1, FINE_HALF_TAPS + 1)
    t = np.arange(SUB)[:, None] / SUB - j[None, :]
    inside = np.abs(t) < FINE_HALF_TAPS
    values = np.where(inside, reference_kernel(t, FINE_BETA), 0.0)
    slopes = np.where(inside, reference_slope(t, FINE_BETA), 0.0)
    return values, slopes


COARSE_TAPS = _coarse_taps()
COARSE_GAIN = float(np.abs(COARSE_TAPS.astype(np.float64)).sum()) * (1.0 + 1e-6)
"""Largest |screen value| / largest |sample| within its 24 taps."""
FINE_VALUES, FINE_SLOPES = _fine_rows()
HALF_ROWS = np.stack([FINE_SLOPES[0], FINE_VALUES[SUB // 2], FINE_SLOPES[SUB // 2]], axis=1)
"""Columns: slope at n, value and slope at n + ½ (the ½-sample grid; the value at n is the sample)."""
PAIR_ROWS = np.stack([FINE_VALUES, FINE_SLOPES], axis=2).astype(np.float32)
"""Per offset k/8 (first axis): value and slope columns, shape (8, 64, 2)."""


def _sample_derivative_rows() -> FloatArray:
    """(64, 3): first, second and third derivative at a sample, x⁽ᵏ⁾(n) = Σ_j x[n + j]·row[j + 31]."""
    j = np.arange(-FINE_HALF_TAPS + 1, FINE_HALF_TAPS + 1).astype(np.float64)
    inside = np.abs(j) < FINE_HALF_TAPS
    rows = [reference_slope(-j, FINE_BETA), reference_derivative(-j, FINE_BETA, 2)]
    rows.append(reference_derivative(-j, FINE_BETA, 3))
    return np.stack([np.where(inside, r, 0.0) for r in rows], axis=1)


def dense_matrix(rows: FloatArray) -> FloatArray:
    """Block-Toeplitz form of ``rows`` (64, c): entry (i, c·r + j) = rows[i − r, j].

    Shape (DENSE_BLOCK + 63, c·DENSE_BLOCK): one row of frames times it gives the c
    outputs at each of DENSE_BLOCK consecutive samples.
    """
    c = rows.shape[1]
    m = np.zeros((DENSE_BLOCK + WINDOW - 1, c * DENSE_BLOCK), dtype=np.float32)
    for r in range(DENSE_BLOCK):
        m[r : r + WINDOW, c * r : c * r + c] = rows
    return m


SEPTIC_MATRIX = dense_matrix(_sample_derivative_rows())
"""Block product → first, second, third derivative at each sample of a row."""


def _screen_matrix() -> FloatArray:
    """Block-Toeplitz form of the 24 screening taps, (DENSE_BLOCK + 23, DENSE_BLOCK): a row of frames → its values."""
    m = np.zeros((DENSE_BLOCK + 2 * COARSE_HALF_TAPS - 1, DENSE_BLOCK), dtype=np.float32)
    for r in range(DENSE_BLOCK):
        m[r : r + 2 * COARSE_HALF_TAPS, r] = COARSE_TAPS
    return m


SCREEN_MATRIX = _screen_matrix()
QUARTER_ROWS = np.stack([FINE_SLOPES[0]] + [r[k] for k in (2, 4, 6) for r in (FINE_VALUES, FINE_SLOPES)], axis=1)
"""Columns: slope at n; value and slope at n + ¼, n + ½, n + ¾ (the value at n is the sample)."""
QUARTER_MATRIX = dense_matrix(QUARTER_ROWS)
"""Block product → the seven :data:`QUARTER_ROWS` outputs at each sample of a row."""
SEPTIC_FOLD = np.kron(np.eye(DENSE_BLOCK), np.array(SEPTIC_WEIGHTS)[:, None]).astype(np.float32)
"""(3·DENSE_BLOCK, DENSE_BLOCK): a row of |derivatives| (sample by sample) → Σ_k w_k·|f⁽ᵏ⁾| per sample."""


def sorted_unique(values: IntArray) -> IntArray:
    """np.unique for integers made of a few sorted runs (a plain sort is faster than its hashing here)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def runs(mask: BoolArray) -> list[tuple[int, int]]:
    """[start, stop) of every run of True in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def hermite_abs_max(fa: FloatArray, sa: FloatArray, fb: FloatArray, sb: FloatArray, step: float) -> FloatArray:
    """max |H| on intervals of ``step`` samples; H: the cubic with values ``fa, fb``, slopes ``sa, sb`` at the ends."""
    c0, c1 = fa, step * sa
    c2 = -3.0 * fa - 2.0 * step * sa + 3.0 * fb - step * sb
    c3 = 2.0 * fa + step * sa - 2.0 * fb + step * sb
    # H'(u) = c1 + 2·c2·u + 3·c3·u²: its real roots in [0, 1] are the inner extrema.
    qa, qb = 3.0 * c3, 2.0 * c2
    disc = qb * qb - 4.0 * qa * c1
    root = np.sqrt(np.maximum(disc, 0.0))
    q = -0.5 * (qb + np.where(qb >= 0.0, root, -root))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(qa != 0.0, q / qa, np.where(qb != 0.0, -c1 / qb, 0.0))
        r2 = np.where(q != 0.0, c1 / q, 0.0)
    best = np.maximum(np.abs(c0), np.abs(c0 + c1 + c2 + c3))
    for r in (r1, r2):
        u = np.clip(np.where((disc >= 0.0) & np.isfinite(r), r, 0.0), 0.0, 1.0)
        best = np.maximum(best, np.abs(((c3 * u + c2) * u + c1) * u + c0))
    returned: np.ndarray = best
    return returned


def values_and_slopes(x: FloatArray, at: Eighths) -> tuple[FloatArray, FloatArray]:
    """Value and slope (per sample) at positions ``at``/8 of ``x`` (64-tap cuts of the exact kernel), float64."""
    n, k = np.divmod(at, SUB)
    windows = np.lib.stride_tricks.sliding_window_view(x, WINDOW)
    out = np.empty((at.size, 2), dtype=np.float32)
    for offset in np.unique(k):  # at most 8 groups: one product per kernel row pair
        group = np.flatnonzero(k == offset)
        out[group] = windows[n[group] - FINE_HALF_TAPS + 1] @ PAIR_ROWS[offset]
    out64 = out.astype(np.float64)
    return out64[:, 0], out64[:, 1]


def block_products(x: FloatArray, wanted: list[Samples], matrix: FloatArray, width: int) -> list[FloatArray]:
    """Outputs of ``matrix`` (a :func:`dense_matrix`) at each array of samples in ``wanted``: (len, width) float32.

    Only the rows of DENSE_BLOCK samples that hold a wanted sample are computed.
    """
    base = min(int(w.min()) for w in wanted)
    top = max(int(w.max()) for w in wanted)
    needed = np.zeros((top - base) // DENSE_BLOCK + 1, dtype=bool)
    for w in wanted:
        needed[(w - base) // DENSE_BLOCK] = True
    rows = np.flatnonzero(needed)
    position = np.cumsum(needed) - 1  # of each row among the computed ones
    last = base + (int(rows[-1]) + 1) * DENSE_BLOCK
    seg = np.zeros(last - base + WINDOW - 1, dtype=np.float32)
    span = x[base - FINE_HALF_TAPS + 1 : last + FINE_HALF_TAPS]
    seg[: span.size] = span
    frames = np.lib.stride_tricks.sliding_window_view(seg, DENSE_BLOCK + WINDOW - 1)[::DENSE_BLOCK]
    out = (frames[rows] @ matrix).reshape(rows.size * DENSE_BLOCK, width)  # sample by sample
    offset = (position * DENSE_BLOCK - np.arange(needed.size) * DENSE_BLOCK).astype(np.int64)
    return [out[(w - base) + offset[(w - base) // DENSE_BLOCK]] for w in wanted]


def half_screen(x: FloatArray, a: int, b: int) -> FloatArray:
    """|screen value| at n + ½ for n = a … b − 1: Σ_m x[n − 11 + m]·taps[m] (24 taps), float32.

    Whole rows of DENSE_BLOCK positions in one block-Toeplitz product (BLAS: a third of
    the time of numpy's direct correlation); the few positions past the last whole row
    by 8-tap correlations (numpy's direct correlation is several times slower from 9 taps on).
    """
    whole = (b - a) // DENSE_BLOCK * DENSE_BLOCK
    out = np.empty(b - a, dtype=np.float32)
    if whole:
        seg = x[a - COARSE_HALF_TAPS + 1 : a + whole + COARSE_HALF_TAPS]
        frames = np.lib.stride_tricks.sliding_window_view(seg, DENSE_BLOCK + 2 * COARSE_HALF_TAPS - 1)
        out[:whole] = (frames[::DENSE_BLOCK] @ SCREEN_MATRIX).reshape(-1)
    if whole < b - a:
        seg = x[a + whole - COARSE_HALF_TAPS + 1 : b + COARSE_HALF_TAPS]
        count = b - a - whole
        tail = np.zeros(count, dtype=np.float32)
        for first in range(0, 2 * COARSE_HALF_TAPS, 8):
            taps = COARSE_TAPS[first : first + 8]
            tail += np.correlate(seg[first : first + count + taps.size - 1], taps, "valid")
        out[whole:] = tail
    return np.abs(out, out=out)
