"""True peak: the ideal band-limited peak, found with a proven error bound (SPEC §4).

SPEC §4 asks for BS.1770-4 Annex 2 (at least 4× oversampling) and, beyond the
standard, a value within 0.05 dB of the ideal sinc-interpolated peak for content up
to 0.45·fs. Oversampling alone cannot promise that (a 4× grid reads up to 0.55 dB low
near 0.45·fs), so the meter finds the maximum of ``|x(t)|`` itself. ``x(t)`` is the
band-limited signal through the samples; σ = 2π·0.45 rad/sample is its band limit
and M = max|x(t)| the true peak.

Three facts carry the argument (all for content up to 0.45·fs):

* **Exact kernels.** For such content, ``x(t) = Σ_k x[k]·g(t − k)`` holds exactly for
  any kernel ``g = sinc·φ`` whose taper φ has its spectrum inside ±0.05 cycles/sample
  (the spectrum of ``g`` is then 1 up to 0.45 and 0 from 0.55). We use φ = the Fourier
  transform of a Kaiser window, ``sinh(√(β² − z²))/√(β² − z²)``, z = 2π·0.05·t
  (:func:`reference_kernel`). Cutting ``g`` to finitely many taps errs by at most the
  dropped Σ|g| times the largest sample, and every sample is at most M: so each
  interpolator below has an error bound *relative to M*, computed at import from the
  kernel's tail (:data:`COARSE_ERROR`, :data:`FINE_ERROR`, :data:`FINE_SLOPE_ERROR`).
* **Szegő's inequality** for a real signal of band limit σ bounded by M:
  ``x'² + σ²x² ≤ σ²M²``. Writing x = M·cos θ gives |θ'| ≤ σ, so at distance τ from the
  crest (where x = ±M), ``|x| ≥ M·cos(στ)``: on a grid of spacing ½ sample, the grid
  point nearest the crest holds at least ``M·cos(σ/4)`` (0.76·M).
* **Bernstein's inequality** ``|x⁽ᵏ⁾| ≤ σᵏM`` bounds the error of a Hermite
  interpolant through the values and first m − 1 derivatives at both ends of an
  interval of length h by ``σ²ᵐ·M·h²ᵐ/((2m)!·4ᵐ)``: for the cubic (m = 2) 0.0104·M at
  h = ½, 7·10⁻⁴·M at ¼, 4·10⁻⁵·M at ⅛; for the septic (m = 4) 4·10⁻⁴·M at h = 1.

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
"""

from __future__ import annotations

import numpy as np

CONTENT_LIMIT_FS = 0.45
"""Highest frequency (fraction of fs) for which the error bound holds."""
SIGMA = 2.0 * np.pi * CONTENT_LIMIT_FS
"""Band limit in rad/sample."""
_TAPER_HALF_BAND = 0.5 - CONTENT_LIMIT_FS
"""Half-width (cycles/sample) of the taper's spectrum: exact kernels are flat to 0.45 and zero from 0.55."""

_COARSE_BETA = 4.0
"""Taper of the screening kernel: β that minimises its 24-tap cut's error (≈ 0.03; 16 taps: 0.10, a third more
candidates on limited masters)."""
_COARSE_HALF_TAPS = 12
_FINE_BETA = 10.0
"""Taper of the value/slope kernel: β that minimises its 64-tap cut's error (≈ 5·10⁻⁵)."""
_FINE_HALF_TAPS = 32
_SUB = 8
"""Stage 4 works in ⅛-sample steps: kernel rows at offsets k/8, k = 0 … 7."""
_FAR = 4096
"""The cut errors sum |g| over |t| < _FAR and bound the rest with :func:`_far_bound`."""
_GAIN_FAR = 128
"""The gain bound sums |g| over |t| < _GAIN_FAR (z ≥ 3β there for β = 10) and bounds the rest likewise."""
_BATCH = 8192

_HERMITE_COEF = SIGMA**4 / 384.0
"""Hermite remainder: |x − H| ≤ σ⁴·M·h⁴/384 on an interval of length h (Bernstein: |x''''| ≤ σ⁴M)."""


def _taper(t: np.ndarray, beta: float) -> np.ndarray:
    """φ(t): Fourier transform of a Kaiser window of half-width 0.05 cycles/sample, φ(0) = 1."""
    z = 2.0 * np.pi * _TAPER_HALF_BAND * np.abs(t)
    s = beta**2 - z**2
    r = np.sqrt(np.abs(s))
    out = np.ones_like(z)
    pos, neg = s > 1e-9, s < -1e-9
    out[pos] = np.sinh(r[pos]) / r[pos]
    out[neg] = np.sin(r[neg]) / r[neg]
    return out * (beta / np.sinh(beta))


def reference_kernel(t: np.ndarray, beta: float) -> np.ndarray:
    """An exact interpolation kernel for content up to 0.45·fs: sinc(t)·φ(t), t in samples."""
    t = np.asarray(t, dtype=np.float64)
    return np.sinc(t) * _taper(t, beta)


def reference_slope(t: np.ndarray, beta: float) -> np.ndarray:
    """d/dt of :func:`reference_kernel` (central difference; its error, ~1e-9, is far below the bounds)."""
    h = 1e-4
    t = np.asarray(t, dtype=np.float64)
    return (reference_kernel(t + h, beta) - reference_kernel(t - h, beta)) / (2.0 * h)


def reference_derivative(t: np.ndarray, beta: float, order: int) -> np.ndarray:
    """d²/dt² or d³/dt³ of :func:`reference_kernel`: fourth-order central differences, step 0.01.

    Their own error (≈ 1e-7 and 3e-5 of a tap) is far below what the bounds allow for
    these terms, whose weights in the septic bound are 0.027 and 0.0014.
    """
    h = 0.01
    t = np.asarray(t, dtype=np.float64)
    g = {k: reference_kernel(t + k * h, beta) for k in range(-3, 4)}
    if order == 2:
        return (-g[2] + 16 * g[1] - 30 * g[0] + 16 * g[-1] - g[-2]) / (12 * h * h)
    return (-g[3] + 8 * g[2] - 13 * g[1] + 13 * g[-1] - 8 * g[-2] + g[-3]) / (8 * h**3)


def _far_bound(beta: float, far: int = _FAR) -> float:
    """Upper bound of Σ|g| or Σ|g'| over the lattice points with |t| > far − 1, for β ≥ 4 and z(far − 1) ≥ 3β.

    With z = 2π·0.05·t, r = √(z² − β²) ≥ (√8/3)·z and C = β/sinh β there: φ = C·sin r/r, so
    |φ| ≤ C/r and |φ'| ≤ 0.1π·(z/r)·C·(1/r + 1/r²); with |sinc| ≤ 1/(πt) and
    |sinc'| ≤ 1/t + 1/(πt²), |g| ≤ 1.08·C/t² and |g'| ≤ (C/t²)·(1 + 1/(πt) + 0.11·(1 + 1/r))/0.296
    ≤ 3.8·C/t². Each side of the lattice, from t₀ > far − 1 on, sums to at most
    3.8·C·(1/t₀² + 1/t₀) < 3.8·C/(far − 2); both sides stay below 8·C/(far − 1).
    """
    return 8.0 * (beta / np.sinh(beta)) / (far - 1)


def _cut_error(beta: float, offsets: np.ndarray, half: float, *, order: int = 0) -> float:
    """Largest Σ|g⁽ᵏ⁾| dropped by keeping |t| < half, over interpolation offsets d (lattice d + ℤ); k = ``order``."""
    worst = 0.0
    base = np.arange(-_FAR + 1, _FAR, dtype=np.float64)
    for d in offsets:
        t = d + base
        if order == 0:
            g = reference_kernel(t, beta)
        elif order == 1:
            g = reference_slope(t, beta)
        else:
            g = reference_derivative(t, beta, order)
        worst = max(worst, float(np.abs(g[np.abs(t) >= half]).sum()))
    # far out each derivative brings at most a factor π (the kernel oscillates at ½ cycle/sample)
    return worst + _far_bound(beta) * np.pi ** max(0, order - 1)


def _gain_bound(beta: float) -> float:
    """sup over t of Σ_k |g(t − k)|: the largest |x(t)| when every sample is within ±1.

    Summed at 256 offsets d over |t| < _GAIN_FAR (one (256, 255) evaluation; the rest by
    :func:`_far_bound`, for g and g' alike); between two offsets the sum moves by at most
    (1/512)·Σ|g'|, counted twice over for safety.
    """
    t = np.arange(256)[:, None] / 256.0 + np.arange(-_GAIN_FAR + 1, _GAIN_FAR, dtype=np.float64)
    far = _far_bound(beta, _GAIN_FAR)
    sums = float(np.abs(reference_kernel(t, beta)).sum(axis=1).max()) + far
    slope = float(np.abs(reference_slope(t[::16], beta)).sum(axis=1).max()) + far
    return sums + slope / 256.0


def _coarse_taps() -> np.ndarray:
    """Half-sample screening filter for np.correlate: value at n + ½ = Σ_m x[n − 11 + m]·taps[m] (24 taps)."""
    m = np.arange(2 * _COARSE_HALF_TAPS)
    return reference_kernel(_COARSE_HALF_TAPS - 0.5 - m, _COARSE_BETA).astype(np.float32)


def _fine_rows() -> tuple[np.ndarray, np.ndarray]:
    """Value and slope rows (8, 64) for offsets d = k/8: x(n + d) = Σ_j x[n + j]·row[j + 31], j = −31 … 32."""
    j = np.arange(-_FINE_HALF_TAPS + 1, _FINE_HALF_TAPS + 1)
    t = np.arange(_SUB)[:, None] / _SUB - j[None, :]
    inside = np.abs(t) < _FINE_HALF_TAPS
    values = np.where(inside, reference_kernel(t, _FINE_BETA), 0.0)
    slopes = np.where(inside, reference_slope(t, _FINE_BETA), 0.0)
    return values, slopes


COARSE_ERROR = _cut_error(_COARSE_BETA, np.array([0.5]), _COARSE_HALF_TAPS)
"""Largest |screen value − x(n + ½)| / M (≈ 0.03)."""
FINE_ERROR = _cut_error(_FINE_BETA, np.arange(_SUB) / _SUB, _FINE_HALF_TAPS)
"""Largest |fine value − x(t)| / M at the ⅛-sample offsets (≈ 5·10⁻⁵)."""
FINE_SLOPE_ERROR = _cut_error(_FINE_BETA, np.arange(_SUB) / _SUB, _FINE_HALF_TAPS, order=1)
"""Largest |fine slope − x'(t)| / M, per sample (≈ 2·10⁻⁴)."""
GAIN_BOUND = _gain_bound(_FINE_BETA)
"""Largest |x(t)| / largest |sample| nearby, for content up to 0.45·fs (≈ 2.8, about 9 dB)."""

_COS_HALF_GRID = float(np.cos(SIGMA / 4.0))
"""Szegő: the ½-sample grid point nearest the crest holds at least this × M."""
_SCREEN_SAMPLE = _COS_HALF_GRID
_SCREEN_HALF = _COS_HALF_GRID - COARSE_ERROR

SEARCH_FLOOR = 1e-4
"""−80 dBFS: where nothing nearby can reach this, inter-sample values are not sought (the samples still
count). Near-silence (dither, a DC offset, the noise floor between tracks) would otherwise make every sample
a candidate until something louder lifts R; a true peak under −80 dBTP is reported as its sample peak."""

SEARCH_TOLERANCE_DB = 0.01
"""An interval is only pursued if it could hold a value this much above what is proven."""
_PURSUE = 10.0 ** (SEARCH_TOLERANCE_DB / 20.0)


def _interval_slack(eighths: int) -> float:
    """Largest |Hermite max − true max| / M on an interval of ``eighths``/8 sample: remainder + data errors."""
    h = eighths / _SUB
    return _HERMITE_COEF * h**4 + FINE_ERROR + h * FINE_SLOPE_ERROR / 4.0


_FINAL_SLACK = _interval_slack(1)
PEAK_TOLERANCE = float(20.0 * np.log10(max(_PURSUE, 1.0 + _FINAL_SLACK)))
"""Proven bound (dB) of |reported − ideal peak| for content up to 0.45·fs (the search tolerance, 0.01 dB)."""

_COARSE_TAPS = _coarse_taps()
_COARSE_GAIN = float(np.abs(_COARSE_TAPS.astype(np.float64)).sum()) * (1.0 + 1e-6)
"""Largest |screen value| / largest |sample| within its 24 taps."""
_SCREEN_CHUNK = 4096
"""Stretches (samples) whose loudness decides whether the screen runs there."""
_FINE_VALUES, _FINE_SLOPES = _fine_rows()
_HALF_ROWS = np.stack([_FINE_SLOPES[0], _FINE_VALUES[_SUB // 2], _FINE_SLOPES[_SUB // 2]], axis=1)
"""Columns: slope at n, value and slope at n + ½ (the ½-sample grid; the value at n is the sample)."""
_PAIR_ROWS = np.stack([_FINE_VALUES, _FINE_SLOPES], axis=2).astype(np.float32)
"""Per offset k/8 (first axis): value and slope columns, shape (8, 64, 2)."""

_WINDOW = 2 * _FINE_HALF_TAPS
_MARGIN = _FINE_HALF_TAPS + 2
"""Samples a position's windows reach on either side: kept as history before the first position still
to evaluate, held back after the last one until the next block, and left out at the programme's edges."""
_DENSE_FRACTION = 200
"""Above one candidate per 200 samples (0.5 %), dense evaluation (block products) beats a window per candidate."""
_DENSE_BLOCK = 32
"""Samples per row of the block-Toeplitz product that evaluates derivatives at every sample (dense case)."""
_DENSE_SPAN = 1 << 17
"""Intervals bounded at once in the dense case (bounds the work arrays, whatever the signal)."""


def _sample_derivative_rows() -> np.ndarray:
    """(64, 3): first, second and third derivative at a sample, x⁽ᵏ⁾(n) = Σ_j x[n + j]·row[j + 31]."""
    j = np.arange(-_FINE_HALF_TAPS + 1, _FINE_HALF_TAPS + 1).astype(np.float64)
    inside = np.abs(j) < _FINE_HALF_TAPS
    rows = [reference_slope(-j, _FINE_BETA), reference_derivative(-j, _FINE_BETA, 2)]
    rows.append(reference_derivative(-j, _FINE_BETA, 3))
    return np.stack([np.where(inside, r, 0.0) for r in rows], axis=1)


def _dense_matrix(rows: np.ndarray) -> np.ndarray:
    """Block-Toeplitz form of ``rows`` (64, c): entry (i, c·r + j) = rows[i − r, j].

    Shape (_DENSE_BLOCK + 63, c·_DENSE_BLOCK): one row of frames times it gives the c
    outputs at each of _DENSE_BLOCK consecutive samples.
    """
    c = rows.shape[1]
    m = np.zeros((_DENSE_BLOCK + _WINDOW - 1, c * _DENSE_BLOCK), dtype=np.float32)
    for r in range(_DENSE_BLOCK):
        m[r : r + _WINDOW, c * r : c * r + c] = rows
    return m


_SEPTIC_MATRIX = _dense_matrix(_sample_derivative_rows())


def _screen_matrix() -> np.ndarray:
    """Block-Toeplitz form of the 24 screening taps, (_DENSE_BLOCK + 23, _DENSE_BLOCK): a row of frames → its values."""
    m = np.zeros((_DENSE_BLOCK + 2 * _COARSE_HALF_TAPS - 1, _DENSE_BLOCK), dtype=np.float32)
    for r in range(_DENSE_BLOCK):
        m[r : r + 2 * _COARSE_HALF_TAPS, r] = _COARSE_TAPS
    return m


_SCREEN_MATRIX = _screen_matrix()
_QUARTER_ROWS = np.stack([_FINE_SLOPES[0]] + [r[k] for k in (2, 4, 6) for r in (_FINE_VALUES, _FINE_SLOPES)], axis=1)
"""Columns: slope at n; value and slope at n + ¼, n + ½, n + ¾ (the value at n is the sample)."""
_QUARTER_MATRIX = _dense_matrix(_QUARTER_ROWS)
_QUARTER_SHARE = 0.3
"""Candidates on more than this share of the ½-sample grid (steady tones): the ¼-sample grid at once."""
_FEW = 4096
"""Intervals left by the septic bound: below this many, bisect them one by one; above, use the ¼-sample grid."""
_DERIVATIVE_ERRORS = (
    FINE_SLOPE_ERROR,
    _cut_error(_FINE_BETA, np.zeros(1), _FINE_HALF_TAPS, order=2),
    _cut_error(_FINE_BETA, np.zeros(1), _FINE_HALF_TAPS, order=3),
)
"""Largest error / M of the first three derivatives at a sample (kernel tails)."""
_SEPTIC_WEIGHTS = (0.22684, 0.02697, 0.0014)
"""max over [0, 1] of |the septic Hermite basis| for the 1st, 2nd, 3rd derivative at one end (h = 1)."""
_SEPTIC_FOLD = np.kron(np.eye(_DENSE_BLOCK), np.array(_SEPTIC_WEIGHTS)[:, None]).astype(np.float32)
"""(3·_DENSE_BLOCK, _DENSE_BLOCK): a row of |derivatives| (sample by sample) → Σ_k w_k·|f⁽ᵏ⁾| per sample."""
_SEPTIC_SLACK = SIGMA**8 / (40320.0 * 4.0**4) + 2.0 * sum(
    w * e for w, e in zip(_SEPTIC_WEIGHTS, _DERIVATIVE_ERRORS, strict=True)
)
"""Septic Hermite over one sample (values and three derivatives at both ends): remainder
σ⁸·M/(8!·4⁴) ≈ 4·10⁻⁴ (Bernstein: |x⁽⁸⁾| ≤ σ⁸M) + the derivatives' errors."""


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for integers made of a few sorted runs (a plain sort is faster than its hashing here)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of True in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def hermite_abs_max(fa: np.ndarray, sa: np.ndarray, fb: np.ndarray, sb: np.ndarray, step: float) -> np.ndarray:
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
    return best


def _at(x: np.ndarray, eighths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and slope (per sample) at positions ``eighths``/8 of ``x`` (64-tap cuts of the exact kernel)."""
    n, k = np.divmod(eighths, _SUB)
    windows = np.lib.stride_tricks.sliding_window_view(x, _WINDOW)
    out = np.empty((eighths.size, 2), dtype=np.float32)
    for offset in np.unique(k):  # at most 8 groups: one product per kernel row pair
        group = np.flatnonzero(k == offset)
        out[group] = windows[n[group] - _FINE_HALF_TAPS + 1] @ _PAIR_ROWS[offset]
    out64 = out.astype(np.float64)
    return out64[:, 0], out64[:, 1]


_HERMITE_SLOPE_GAIN = 4.0 / 27.0
"""max over [0, 1] of the Hermite slope weights u(1−u)² and u²(1−u): |H| ≤ max|f| + (4/27)·h·(|s_a| + |s_b|)."""


def _block_products(x: np.ndarray, wanted: list[np.ndarray], matrix: np.ndarray, width: int) -> list[np.ndarray]:
    """Outputs of ``matrix`` (a :func:`_dense_matrix`) at each array of samples in ``wanted``: (len, width) float32.

    Only the rows of _DENSE_BLOCK samples that hold a wanted sample are computed.
    """
    base = min(int(w.min()) for w in wanted)
    top = max(int(w.max()) for w in wanted)
    needed = np.zeros((top - base) // _DENSE_BLOCK + 1, dtype=bool)
    for w in wanted:
        needed[(w - base) // _DENSE_BLOCK] = True
    rows = np.flatnonzero(needed)
    position = np.cumsum(needed) - 1  # of each row among the computed ones
    last = base + (int(rows[-1]) + 1) * _DENSE_BLOCK
    seg = np.zeros(last - base + _WINDOW - 1, dtype=np.float32)
    span = x[base - _FINE_HALF_TAPS + 1 : last + _FINE_HALF_TAPS]
    seg[: span.size] = span
    frames = np.lib.stride_tricks.sliding_window_view(seg, _DENSE_BLOCK + _WINDOW - 1)[::_DENSE_BLOCK]
    out = (frames[rows] @ matrix).reshape(rows.size * _DENSE_BLOCK, width)  # sample by sample
    offset = (position * _DENSE_BLOCK - np.arange(needed.size) * _DENSE_BLOCK).astype(np.int64)
    return [out[(w - base) + offset[(w - base) // _DENSE_BLOCK]] for w in wanted]


def _half_screen(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """|screen value| at n + ½ for n = a … b − 1: Σ_m x[n − 11 + m]·taps[m] (24 taps), float32.

    Whole rows of _DENSE_BLOCK positions in one block-Toeplitz product (BLAS: a third of
    the time of numpy's direct correlation); the few positions past the last whole row
    by 8-tap correlations (numpy's direct correlation is several times slower from 9 taps on).
    """
    whole = (b - a) // _DENSE_BLOCK * _DENSE_BLOCK
    out = np.empty(b - a, dtype=np.float32)
    if whole:
        seg = x[a - _COARSE_HALF_TAPS + 1 : a + whole + _COARSE_HALF_TAPS]
        frames = np.lib.stride_tricks.sliding_window_view(seg, _DENSE_BLOCK + 2 * _COARSE_HALF_TAPS - 1)
        out[:whole] = (frames[::_DENSE_BLOCK] @ _SCREEN_MATRIX).reshape(-1)
    if whole < b - a:
        seg = x[a + whole - _COARSE_HALF_TAPS + 1 : b + _COARSE_HALF_TAPS]
        count = b - a - whole
        tail = np.zeros(count, dtype=np.float32)
        for first in range(0, 2 * _COARSE_HALF_TAPS, 8):
            taps = _COARSE_TAPS[first : first + 8]
            tail += np.correlate(seg[first : first + count + taps.size - 1], taps, "valid")
        out[whole:] = tail
    return np.abs(out, out=out)


class TruePeakMeter:
    """Running maximum of the ideal band-limited |signal| over some channels, linear (full scale 1.0)."""

    def __init__(self, channels: list[int]) -> None:
        self._channels = channels
        self._history = {ch: np.zeros(_MARGIN, dtype=np.float32) for ch in channels}
        self._next = {ch: 0 for ch in channels}
        """Global index of the next position to evaluate (it sits at _MARGIN in the history)."""
        self.peak = 0.0
        """The reported value: ≥ what is proven, ≤ M·(1 + final slack)."""
        self._proven = 0.0
        """R: a value |x(t)| is known to reach (≤ M); the screens compare against it."""
        self.blocks_skipped = 0
        self.candidates_refined = 0

    def update(self, block_t: np.ndarray) -> None:
        """Consume a channel-major float32 block, shape (channels, frames)."""
        for ch in self._channels:
            x = np.concatenate((self._history[ch], block_t[ch]))
            self._history[ch] = self._scan(ch, x, len(x) - _MARGIN, final=False)

    def finish(self) -> float:
        """Flush the last samples (followed by silence) and return the true peak, linear."""
        for ch in self._channels:
            x = np.concatenate((self._history[ch], np.zeros(_MARGIN, dtype=np.float32)))
            self._scan(ch, x, len(x) - _MARGIN, final=True)
        return max(self.peak, self._proven)

    def _scan(self, ch: int, x: np.ndarray, stop: int, *, final: bool) -> np.ndarray:
        """Evaluate positions _MARGIN … stop-1 of ``x``; return the history to keep for the next call.

        Inter-sample values are sought only around positions whose windows hold no
        sample from outside the programme: global index ≥ _MARGIN and, in the final
        call (``x`` padded with zeros), < stop − _MARGIN.
        """
        first = self._next[ch]
        self._next[ch] = first + max(0, stop - _MARGIN)
        lo = _MARGIN + max(0, _MARGIN - first)
        hi = stop - _MARGIN if final else stop
        if stop > _MARGIN:
            loud = np.abs(x)
            sample_max = float(loud[_MARGIN:stop].max())
            self.peak = max(self.peak, sample_max)
            self._proven = max(self._proven, sample_max)
            span_max = max(sample_max, float(loud[:_MARGIN].max()), float(loud[stop:].max(initial=0.0)))
            # Samples farther than the span weigh at most the 64-tap cut's error (≤ FINE_ERROR·M).
            # ≤, not <: a stretch that can at most equal R adds nothing (and silence, R = 0, is not searched)
            bound = span_max * GAIN_BOUND
            if bound <= self._proven * (1.0 - FINE_ERROR) or bound < SEARCH_FLOOR or hi <= lo:
                self.blocks_skipped += 1
            else:
                self._search(x, loud, lo, hi)
        return x[max(0, stop - _MARGIN) :].copy()

    def _search(self, x: np.ndarray, loud_x: np.ndarray, lo: int, hi: int) -> None:
        """Screen positions [lo, hi) on the ½-sample grid, then bound and bisect the intervals next to candidates.

        ``loud_x`` is |x|.
        """
        # Only stretches loud enough to pass the screen at all: a half-sample value is at most
        # Σ|taps| times the largest sample within 12 samples, so quieter stretches cannot.
        loud = loud_x[lo:hi]
        starts = np.arange(0, hi - lo, _SCREEN_CHUNK)
        chunk_max = np.maximum.reduceat(loud, starts)
        near = np.maximum(chunk_max, np.maximum(np.r_[0.0, chunk_max[:-1]], np.r_[chunk_max[1:], 0.0]))
        live = near * _COARSE_GAIN > self._proven * _SCREEN_HALF  # strictly: only what could exceed R
        runs = []  # (start, sample mask, |half| values, half mask) per live stretch, relative to lo
        count = 0
        for run_start, run_stop in _runs(live):
            a, b = lo + run_start * _SCREEN_CHUNK, min(hi, lo + run_stop * _SCREEN_CHUNK)
            half = _half_screen(x, a, b)
            on_sample = loud[a - lo : b - lo] > self._proven * _SCREEN_SAMPLE
            on_half = half > self._proven * _SCREEN_HALF
            count += int(np.count_nonzero(on_sample)) + int(np.count_nonzero(on_half))
            runs.append((a - lo, on_sample, half, on_half))
        if count == 0:
            return
        self.candidates_refined += count
        if count > (hi - lo) // _DENSE_FRACTION:
            # Dense (heavy limiting, steady tones): the global crest lies within ¼ sample of a
            # candidate: in [n − 1, n + 1] around a sample n, in [n, n + 1] around n + ½.
            # chosen[j] marks the one-sample interval [lo − 1 + j, lo + j].
            chosen = np.zeros(hi - lo + 1, dtype=bool)
            for start, on_sample, _, on_half in runs:
                stop = start + on_sample.size
                chosen[start + 1 : stop + 1] |= on_sample
                chosen[start:stop] |= on_sample
                chosen[start + 1 : stop + 1] |= on_half
            # In spans of _DENSE_SPAN intervals: the work arrays grow ~100 bytes per interval, so a
            # block where every sample is a candidate (Nyquist, square waves) stays within a bounded size.
            if count > 2 * (hi - lo) * _QUARTER_SHARE:
                intervals = lo - 1 + np.flatnonzero(chosen)
                for first in range(0, intervals.size, _DENSE_SPAN):
                    self._quarters(x, intervals[first : first + _DENSE_SPAN])
            else:
                for first in range(0, chosen.size, _DENSE_SPAN):
                    self._septic(x, loud_x, lo - 1 + first, chosen[first : first + _DENSE_SPAN])
            return
        on_sample = np.concatenate([start + np.flatnonzero(m) for start, m, _, _ in runs])
        hits = [np.flatnonzero(m) for _, _, _, m in runs]
        on_half = np.concatenate([start + h for (start, _, _, _), h in zip(runs, hits, strict=True)])
        half_parts = [half[h] for (_, _, half, _), h in zip(runs, hits, strict=True)]
        # Score: the largest M the point allows were the crest next to it; candidates reach R.
        grid = np.concatenate((2 * (lo + on_sample), 2 * (lo + on_half) + 1))  # point q sits at q/2 in x
        score = np.concatenate((loud[on_sample] / _SCREEN_SAMPLE, np.concatenate(half_parts) / _SCREEN_HALF))
        # Loudest first: they lift R, and most of the others then fail the screen without further work.
        order = np.argsort(-score)
        grid, score = grid[order], score[order]
        while grid.size:
            self._bound_near(x, np.sort(grid[:_BATCH]))
            grid, score = grid[_BATCH:], score[_BATCH:]
            keep = score >= self._proven
            grid, score = grid[keep], score[keep]

    def _bound_near(self, x: np.ndarray, grid: np.ndarray) -> None:
        """Bound the ½-sample intervals on either side of grid points ``grid`` (sorted; point q at q/2 in ``x``)."""
        left = _sorted_unique(np.concatenate((grid - 1, grid)))
        points = _sorted_unique(np.concatenate((left, left + 1)))
        n = points // 2
        frames = np.lib.stride_tricks.sliding_window_view(x, _WINDOW)[n - _FINE_HALF_TAPS + 1]
        rows = (frames @ _HALF_ROWS.astype(np.float32)).astype(np.float64)
        odd = points % 2 == 1
        value = np.where(odd, rows[:, 1], x[n].astype(np.float64))
        slope = np.where(odd, rows[:, 2], rows[:, 0])
        a = np.searchsorted(points, left)
        self._bisect(x, 4 * left, value[a], slope[a], value[a + 1], slope[a + 1], 4, value)

    def _septic(self, x: np.ndarray, loud_x: np.ndarray, base: int, chosen: np.ndarray) -> None:
        """Bound the one-sample intervals [base + j, base + j + 1] with ``chosen[j]`` by a septic Hermite.

        The first three derivatives at each sample come from one block product (the value
        is the sample), over the rows of _DENSE_BLOCK samples that hold an interval's end.
        The septic Hermite through values and derivatives at both ends errs by at most
        :data:`_SEPTIC_SLACK`·M, inside the search tolerance, and
        |H| ≤ max|f| + Σ_k w_k·(|f⁽ᵏ⁾(m)| + |f⁽ᵏ⁾(m + 1)|) (w_k: :data:`_SEPTIC_WEIGHTS`).
        Intervals whose bound cannot beat R by the tolerance are settled here — flat
        crests (bass, low tones) all are — and the others go on at ¼ sample. ``loud_x`` is |x|.
        """
        size = chosen.size + 1  # samples base … base + chosen.size: both ends of every interval
        rows_total = -(-size // _DENSE_BLOCK)
        ends = np.zeros(rows_total * _DENSE_BLOCK, dtype=bool)
        ends[: size - 1] = chosen
        ends[1:size] |= chosen
        rows = np.flatnonzero(ends.reshape(rows_total, _DENSE_BLOCK).any(axis=1))
        # Rows are computed from a zero-padded copy: the last row may run past the samples kept.
        seg = np.zeros(rows_total * _DENSE_BLOCK + _WINDOW - 1, dtype=np.float32)
        span = x[base - _FINE_HALF_TAPS + 1 : base + rows_total * _DENSE_BLOCK + _FINE_HALF_TAPS]
        seg[: span.size] = span
        frames = np.lib.stride_tricks.sliding_window_view(seg, _DENSE_BLOCK + _WINDOW - 1)[::_DENSE_BLOCK]
        derivatives = frames[rows] @ _SEPTIC_MATRIX  # (rows, 3·_DENSE_BLOCK): sample by sample
        np.abs(derivatives, out=derivatives)
        # Σ_k w_k·|f⁽ᵏ⁾| at every sample of the computed rows (0 elsewhere: no chosen interval ends there)
        by_row = np.zeros((rows_total, _DENSE_BLOCK), dtype=np.float32)
        by_row[rows] = derivatives @ _SEPTIC_FOLD
        spread = by_row.reshape(-1)
        ends_loud = loud_x[base : base + size]
        rough = np.maximum(ends_loud[:-1], ends_loud[1:])
        rough += spread[: size - 1]
        rough += spread[1:size]
        left = base + np.flatnonzero(chosen & (rough >= self._proven * _PURSUE * (1.0 - _SEPTIC_SLACK)))
        if left.size > _FEW:
            self._quarters(x, left)
        elif left.size:
            ends_at = _sorted_unique(np.concatenate((left, left + 1)))
            f, d = _at(x, _SUB * ends_at)
            j = np.searchsorted(ends_at, left)
            self._bisect(x, _SUB * left, f[j], d[j], f[j + 1], d[j + 1], _SUB, np.zeros(0))

    def _quarters(self, x: np.ndarray, intervals: np.ndarray) -> None:
        """Bound the ¼-sample intervals inside [m, m + 1], m in ``intervals`` (sorted), and bisect the rest.

        One block product gives value and slope on the ¼-sample grid of the rows concerned;
        at ¼ sample the cubic Hermite's slack (7·10⁻⁴) is inside the search tolerance, so
        a steady tone's crests are settled without further evaluation.
        """
        # s0, v¼, s¼, v½, s½, v¾, s¾ at m, and at m + 1
        here, after = _block_products(x, [intervals, intervals + 1], _QUARTER_MATRIX, 7)
        value = np.empty((intervals.size, 5), dtype=np.float32)
        slope = np.empty((intervals.size, 5), dtype=np.float32)
        value[:, 0], value[:, 1:4], value[:, 4] = x[intervals], here[:, 1::2], x[intervals + 1]
        slope[:, 0], slope[:, 1:4], slope[:, 4] = here[:, 0], here[:, 2::2], after[:, 0]
        self._proven = max(self._proven, float(np.abs(value).max()) / (1.0 + FINE_ERROR))
        magnitude, steepness = np.abs(value), np.abs(slope)
        rough = np.maximum(magnitude[:, :-1], magnitude[:, 1:])
        rough += (_HERMITE_SLOPE_GAIN * 0.25) * (steepness[:, :-1] + steepness[:, 1:])
        near = np.flatnonzero(rough.ravel() >= self._proven * _PURSUE * (1.0 - _interval_slack(2)))
        if near.size == 0:
            return
        m, q = np.divmod(near, 4)
        fa, fb = value[m, q].astype(np.float64), value[m, q + 1].astype(np.float64)
        sa, sb = slope[m, q].astype(np.float64), slope[m, q + 1].astype(np.float64)
        self._bisect(x, _SUB * intervals[m] + 2 * q, fa, sa, fb, sb, 2, np.zeros(0))

    def _bisect(
        self,
        x: np.ndarray,
        start: np.ndarray,
        fa: np.ndarray,
        sa: np.ndarray,
        fb: np.ndarray,
        sb: np.ndarray,
        eighths: int,
        known: np.ndarray,
    ) -> None:
        """Bound intervals [start/8, start/8 + eighths/8] by their Hermite max; halve the survivors down to ⅛.

        ``known`` are exact values just computed: each lifts R by |value|/(1 + FINE_ERROR).
        """
        while True:
            if known.size:
                self._proven = max(self._proven, float(np.abs(known).max()) / (1.0 + FINE_ERROR))
            slack = _interval_slack(eighths)
            h = eighths / _SUB
            # A cheap bound of the Hermite max first: most intervals of a steady tone stop here.
            rough = np.maximum(np.abs(fa), np.abs(fb)) + (_HERMITE_SLOPE_GAIN * h) * (np.abs(sa) + np.abs(sb))
            near = np.flatnonzero(rough >= self._proven * _PURSUE * (1.0 - slack))
            if near.size < start.size:
                start, fa, sa, fb, sb = start[near], fa[near], sa[near], fb[near], sb[near]
            top = hermite_abs_max(fa, sa, fb, sb, h)
            if eighths == 1:
                if top.size:
                    best = float(top.max())
                    self.peak = max(self.peak, best)
                    self._proven = max(self._proven, best / (1.0 + slack))
                return
            if top.size:
                # x reaches at least H − slack·M somewhere in the interval: a proven value.
                self._proven = max(self._proven, float(top.max()) / (1.0 + slack))
            # Were the crest in an interval, M ≤ H/(1 − slack); pursue it only if that beats R by the tolerance.
            alive = top >= self._proven * _PURSUE * (1.0 - slack)
            if not alive.any():
                return
            start, fa, sa, fb, sb = start[alive], fa[alive], sa[alive], fb[alive], sb[alive]
            eighths //= 2
            fm, sm = _at(x, start + eighths)
            start = np.concatenate((start, start + eighths))
            fa, fb = np.concatenate((fa, fm)), np.concatenate((fm, fb))
            sa, sb = np.concatenate((sa, sm)), np.concatenate((sm, sb))
            known = fm
