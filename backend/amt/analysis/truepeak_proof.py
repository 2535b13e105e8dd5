"""True peak, the proof: the kernels, bounds and constants the search (:mod:`.truepeak`) relies on (SPEC §4).

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

Every constant here is computed at import from the kernels, or is an analytic value
(σ, the Hermite remainders); the few written as numbers (the septic weights, the kernels'
β) are checked by ``tests/analysis/test_truepeak_proof.py``. Nothing here looks at audio.
"""

from __future__ import annotations

import numpy as np

from amt.analysis.truepeak_units import FloatArray

CONTENT_LIMIT_FS = 0.45
"""Highest frequency (fraction of fs) for which the error bound holds."""
SIGMA = 2.0 * np.pi * CONTENT_LIMIT_FS
"""Band limit in rad/sample."""
TAPER_HALF_BAND = 0.5 - CONTENT_LIMIT_FS
"""Half-width (cycles/sample) of the taper's spectrum: exact kernels are flat to 0.45 and zero from 0.55."""

COARSE_BETA = 4.0
"""Taper of the screening kernel: β that minimises its 24-tap cut's error (≈ 0.03; 16 taps: 0.10, a third more
candidates on limited masters)."""
COARSE_HALF_TAPS = 12
FINE_BETA = 10.0
"""Taper of the value/slope kernel: β that minimises its 64-tap cut's error (≈ 5·10⁻⁵)."""
FINE_HALF_TAPS = 32
SUB = 8
"""The finest search step is ⅛ sample: kernel rows at offsets k/8, k = 0 … 7."""
FAR = 4096
"""The cut errors sum |g| over |t| < FAR and bound the rest with :func:`far_bound`."""
GAIN_FAR = 128
"""The gain bound sums |g| over |t| < GAIN_FAR (z ≥ 3β there for β = 10) and bounds the rest likewise."""

HERMITE_COEF = SIGMA**4 / 384.0
"""Hermite remainder: |x − H| ≤ σ⁴·M·h⁴/384 on an interval of length h (Bernstein: |x''''| ≤ σ⁴M)."""
HERMITE_SLOPE_GAIN = 4.0 / 27.0
"""max over [0, 1] of the Hermite slope weights u(1−u)² and u²(1−u): |H| ≤ max|f| + (4/27)·h·(|s_a| + |s_b|)."""


def _taper(t: FloatArray, beta: float) -> FloatArray:
    """φ(t): Fourier transform of a Kaiser window of half-width 0.05 cycles/sample, φ(0) = 1."""
    z = 2.0 * np.pi * TAPER_HALF_BAND * np.abs(t)
    s = beta**2 - z**2
    r = np.sqrt(np.abs(s))
    out = np.ones_like(z)
    pos, neg = s > 1e-9, s < -1e-9
    out[pos] = np.sinh(r[pos]) / r[pos]
    out[neg] = np.sin(r[neg]) / r[neg]
    result: FloatArray = out * (beta / np.sinh(beta))
    return result


def reference_kernel(t: FloatArray, beta: float) -> FloatArray:
    """An exact interpolation kernel for content up to 0.45·fs: sinc(t)·φ(t), t in samples."""
    t = np.asarray(t, dtype=np.float64)
    result: FloatArray = np.sinc(t) * _taper(t, beta)
    return result


def reference_slope(t: FloatArray, beta: float) -> FloatArray:
    """d/dt of :func:`reference_kernel` (central difference; its error, ~1e-9, is far below the bounds)."""
    h = 1e-4
    t = np.asarray(t, dtype=np.float64)
    return (reference_kernel(t + h, beta) - reference_kernel(t - h, beta)) / (2.0 * h)


def reference_derivative(t: FloatArray, beta: float, order: int) -> FloatArray:
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


def far_bound(beta: float, far: int = FAR) -> float:
    """Upper bound of Σ|g| or Σ|g'| over the lattice points with |t| > far − 1, for β ≥ 4 and z(far − 1) ≥ 3β.

    With z = 2π·0.05·t, r = √(z² − β²) ≥ (√8/3)·z and C = β/sinh β there: φ = C·sin r/r, so
    |φ| ≤ C/r and |φ'| ≤ 0.1π·(z/r)·C·(1/r + 1/r²); with |sinc| ≤ 1/(πt) and
    |sinc'| ≤ 1/t + 1/(πt²), |g| ≤ 1.08·C/t² and |g'| ≤ (C/t²)·(1 + 1/(πt) + 0.11·(1 + 1/r))/0.296
    ≤ 3.8·C/t². Each side of the lattice, from t₀ > far − 1 on, sums to at most
    3.8·C·(1/t₀² + 1/t₀) < 3.8·C/(far − 2); both sides stay below 8·C/(far − 1).
    """
    returned: float = 8.0 * (beta / np.sinh(beta)) / (far - 1)
    return returned


def cut_error(beta: float, offsets: FloatArray, half: float, *, order: int = 0) -> float:
    """Largest Σ|g⁽ᵏ⁾| dropped by keeping |t| < half, over interpolation offsets d (lattice d + ℤ); k = ``order``."""
    worst = 0.0
    base = np.arange(-FAR + 1, FAR, dtype=np.float64)
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
    return worst + far_bound(beta) * np.pi ** max(0, order - 1)


def gain_bound(beta: float) -> float:
    """sup over t of Σ_k |g(t − k)|: the largest |x(t)| when every sample is within ±1.

    Summed at 256 offsets d over |t| < GAIN_FAR (one (256, 255) evaluation; the rest by
    :func:`far_bound`, for g and g' alike); between two offsets the sum moves by at most
    (1/512)·Σ|g'|, counted twice over for safety.
    """
    t = np.arange(256)[:, None] / 256.0 + np.arange(-GAIN_FAR + 1, GAIN_FAR, dtype=np.float64)
    far = far_bound(beta, GAIN_FAR)
    sums = float(np.abs(reference_kernel(t, beta)).sum(axis=1).max()) + far
    slope = float(np.abs(reference_slope(t[::16], beta)).sum(axis=1).max()) + far
    return sums + slope / 256.0


COARSE_ERROR = cut_error(COARSE_BETA, np.array([0.5]), COARSE_HALF_TAPS)
"""Largest |screen value − x(n + ½)| / M (≈ 0.03)."""
FINE_ERROR = cut_error(FINE_BETA, np.arange(SUB) / SUB, FINE_HALF_TAPS)
"""Largest |fine value − x(t)| / M at the ⅛-sample offsets (≈ 5·10⁻⁵)."""
FINE_SLOPE_ERROR = cut_error(FINE_BETA, np.arange(SUB) / SUB, FINE_HALF_TAPS, order=1)
"""Largest |fine slope − x'(t)| / M, per sample (≈ 2·10⁻⁴)."""
GAIN_BOUND = gain_bound(FINE_BETA)
"""Largest |x(t)| / largest |sample| nearby, for content up to 0.45·fs (≈ 2.8, about 9 dB)."""

COS_HALF_GRID = float(np.cos(SIGMA / 4.0))
"""Szegő: the ½-sample grid point nearest the crest holds at least this × M."""
SCREEN_SAMPLE = COS_HALF_GRID
"""A sample passes the screen if |x[n]| > R × this (the samples are exact)."""
SCREEN_HALF = COS_HALF_GRID - COARSE_ERROR
"""A half-sample point passes the screen if its screen value > R × this (the screen errs by COARSE_ERROR·M)."""

SEARCH_FLOOR = 1e-4
"""−80 dBFS: where nothing nearby can reach this, inter-sample values are not sought (the samples still
count). Near-silence (dither, a DC offset, the noise floor between tracks) would otherwise make every sample
a candidate until something louder lifts R; a true peak under −80 dBTP is reported as its sample peak."""

SEARCH_TOLERANCE_DB = 0.01
"""An interval is only pursued if it could hold a value this much above what is proven."""
PURSUE = 10.0 ** (SEARCH_TOLERANCE_DB / 20.0)
"""SEARCH_TOLERANCE_DB as a linear ratio."""


def interval_slack(eighths: int) -> float:
    """Largest |Hermite max − true max| / M on an interval of ``eighths``/8 sample: remainder + data errors."""
    h = eighths / SUB
    return HERMITE_COEF * h**4 + FINE_ERROR + h * FINE_SLOPE_ERROR / 4.0


FINAL_SLACK = interval_slack(1)
"""Slack of the ⅛-sample intervals whose Hermite max is reported (≈ 1·10⁻⁴)."""
PEAK_TOLERANCE = float(20.0 * np.log10(max(PURSUE, 1.0 + FINAL_SLACK)))
"""Proven bound (dB) of |reported − ideal peak| for content up to 0.45·fs (the search tolerance, 0.01 dB)."""

DERIVATIVE_ERRORS = (
    FINE_SLOPE_ERROR,
    cut_error(FINE_BETA, np.zeros(1), FINE_HALF_TAPS, order=2),
    cut_error(FINE_BETA, np.zeros(1), FINE_HALF_TAPS, order=3),
)
"""Largest error / M of the first three derivatives at a sample (kernel tails)."""
SEPTIC_WEIGHTS = (0.22685, 0.02697, 0.0014)
"""max over [0, 1] of |the septic Hermite basis| for the 1st, 2nd, 3rd derivative at one end (h = 1),
rounded up: 0.2268436, 0.0269653, 0.0013988 (u(1−u)⁴(1 + 4u + 10u²), u²(1−u)⁴(1 + 4u)/2, u³(1−u)⁴/6;
the test solves the interpolation conditions for them). The first was once rounded down (0.22684);
rounding it up changed no figure of the golden file."""
SEPTIC_SLACK = SIGMA**8 / (40320.0 * 4.0**4) + 2.0 * sum(
    w * e for w, e in zip(SEPTIC_WEIGHTS, DERIVATIVE_ERRORS, strict=True)
)
"""Septic Hermite over one sample (values and three derivatives at both ends): remainder
σ⁸·M/(8!·4⁴) ≈ 4·10⁻⁴ (Bernstein: |x⁽⁸⁾| ≤ σ⁸M) + the derivatives' errors."""
