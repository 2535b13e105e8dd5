"""The constants of the true-peak proof (:mod:`amt.analysis.truepeak_proof`), recomputed or checked independently.

The kernel-tail inequalities and the gain bound are checked in ``test_td_truepeak``; here:
the Hermite weights and remainders (from the interpolation conditions, solved here), the
kernels' β, the range where the tail bound applies, and the cut errors against analytic
signals at the band limit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from amt.analysis import truepeak_interp as interp
from amt.analysis import truepeak_proof as proof

U = np.linspace(0.0, 1.0, 200_001)


def hermite_basis(m: int) -> np.ndarray:
    """Coefficients (ascending powers, one column per condition) of the two-point Hermite basis on [0, 1].

    Conditions, in order: f⁽ᵏ⁾(0) for k < m, then f⁽ᵏ⁾(1) for k < m; column j is the polynomial of
    degree 2m − 1 with condition j equal to 1 and the others 0.
    """
    degree = 2 * m
    rows = []
    for end in (0.0, 1.0):
        for k in range(m):
            row = [math.factorial(p) / math.factorial(p - k) * end ** (p - k) if p >= k else 0.0 for p in range(degree)]
            rows.append(row)
    return np.linalg.inv(np.array(rows))


def basis_max(m: int, k: int) -> float:
    """max over [0, 1] of |the basis polynomial of f⁽ᵏ⁾(0)|, on a grid of 2·10⁵ steps."""
    coefficients = hermite_basis(m)[:, k]
    return float(np.abs(np.polynomial.polynomial.polyval(U, coefficients)).max())


def test_septic_weights_are_the_basis_maxima_rounded_up() -> None:
    for k, weight in zip((1, 2, 3), proof.SEPTIC_WEIGHTS, strict=True):
        exact = basis_max(4, k)
        # A grid maximum is below the true one by at most (step/2)²·max|p''|/2: far below the rounding.
        assert exact <= weight <= exact * (1.0 + 1e-3), (k, exact, weight)


def test_septic_basis_has_the_closed_forms_the_docstring_gives() -> None:
    basis = hermite_basis(4)
    closed = [
        U * (1 - U) ** 4 * (1 + 4 * U + 10 * U**2),
        U**2 * (1 - U) ** 4 * (1 + 4 * U) / 2,
        U**3 * (1 - U) ** 4 / 6,
    ]
    for k, form in zip((1, 2, 3), closed, strict=True):
        assert np.abs(np.polynomial.polynomial.polyval(U, basis[:, k]) - form).max() < 1e-12


def test_hermite_slope_gain_is_the_cubic_slope_basis_maximum() -> None:
    assert proof.HERMITE_SLOPE_GAIN == pytest.approx(basis_max(2, 1), rel=1e-9)
    assert proof.HERMITE_SLOPE_GAIN == pytest.approx(4 / 27, rel=1e-15)


@pytest.mark.parametrize("m", [2, 4])
def test_hermite_remainders_hold_for_the_worst_signal(m: int) -> None:
    """cos(σt + φ) has |x⁽²ᵐ⁾| = σ²ᵐ everywhere: the Hermite error through its values and derivatives at the
    ends stays within σ²ᵐ·h²ᵐ/((2m)!·4ᵐ), the constant the proof uses."""
    sigma = proof.SIGMA
    h = 0.5 if m == 2 else 1.0
    coefficient = proof.HERMITE_COEF / sigma**4 if m == 2 else 1.0 / (40320.0 * 4.0**4)
    assert coefficient == pytest.approx(1.0 / (math.factorial(2 * m) * 4**m), rel=1e-15)
    bound = coefficient * (sigma * h) ** (2 * m)
    basis = hermite_basis(m)
    worst = 0.0
    for phase in np.linspace(0.0, np.pi, 33):
        # conditions f⁽ᵏ⁾(end) in the unit u = t/h: hᵏ·x⁽ᵏ⁾
        conditions = np.array(
            [h**k * sigma**k * math.cos(sigma * end * h + phase + k * math.pi / 2) for end in (0, 1) for k in range(m)]
        )
        interpolant = np.polynomial.polynomial.polyval(U, basis @ conditions)
        worst = max(worst, float(np.abs(interpolant - np.cos(sigma * U * h + phase)).max()))
    assert worst <= bound
    assert worst >= 0.5 * bound  # the bound is nearly reached: the constant is not loose


@pytest.mark.parametrize(("beta", "half_taps", "offsets"), [(4.0, 12, [0.5]), (10.0, 32, list(np.arange(8) / 8))])
def test_each_kernel_beta_minimises_its_cut_error(beta: float, half_taps: int, offsets: list[float]) -> None:
    here = proof.cut_error(beta, np.array(offsets), half_taps)
    for other in (beta - 0.5, beta + 0.5):
        assert proof.cut_error(other, np.array(offsets), half_taps) > here


@pytest.mark.parametrize(("beta", "far"), [(4.0, proof.FAR), (10.0, proof.FAR), (10.0, proof.GAIN_FAR)])
def test_the_tail_bound_applies_where_it_is_used(beta: float, far: int) -> None:
    """far_bound needs z(far − 1) ≥ 3β (z = 2π·0.05·t) and β ≥ 4."""
    assert 2 * math.pi * proof.TAPER_HALF_BAND * (far - 1) >= 3 * beta >= 12


def band_limit_tones(count: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Tones at the band limit 0.45·fs with various phases, amplitude 1 (M = 1), on 200 samples: (phases, x)."""
    phases = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    n = np.arange(200)
    return phases, np.cos(proof.SIGMA * n[None, :] + phases[:, None])


def test_the_screen_errs_by_less_than_coarse_error() -> None:
    phases, x = band_limit_tones()
    taps = interp.COARSE_TAPS.astype(np.float64)
    n = 100  # value at n + ½ = Σ_m x[n − 11 + m]·taps[m]
    screen = x[:, n - 11 : n + 13] @ taps
    exact = np.cos(proof.SIGMA * (n + 0.5) + phases)
    error = float(np.abs(screen - exact).max())
    assert error <= proof.COARSE_ERROR
    assert 0.02 < proof.COARSE_ERROR < 0.04


def test_fine_rows_err_by_less_than_their_bounds() -> None:
    phases, x = band_limit_tones()
    n = 100
    window = x[:, n - 31 : n + 33]
    for k in range(proof.SUB):
        t = n + k / proof.SUB
        value = window @ interp.FINE_VALUES[k]
        slope = window @ interp.FINE_SLOPES[k]
        assert np.abs(value - np.cos(proof.SIGMA * t + phases)).max() <= proof.FINE_ERROR
        assert np.abs(slope + proof.SIGMA * np.sin(proof.SIGMA * t + phases)).max() <= proof.FINE_SLOPE_ERROR
    assert 1e-5 < proof.FINE_ERROR < 1e-4 and 1e-4 < proof.FINE_SLOPE_ERROR < 4e-4


def test_screen_gain_covers_the_float32_taps() -> None:
    assert np.abs(interp.COARSE_TAPS.astype(np.float64)).sum() < interp.COARSE_GAIN


def test_slacks_fit_inside_the_search_tolerance() -> None:
    """The septic (one sample) and the cubic at ¼ and ⅛ sample settle an interval only if their slack is below
    the 0.01 dB the search allows; the cubic at ½ sample is not (it is always halved)."""
    tolerance = proof.PURSUE - 1.0
    assert proof.SEPTIC_SLACK < tolerance
    assert proof.interval_slack(2) < tolerance and proof.FINAL_SLACK < tolerance
    assert proof.interval_slack(4) > tolerance
    assert proof.PEAK_TOLERANCE == pytest.approx(proof.SEARCH_TOLERANCE_DB, rel=1e-12)
    assert proof.SCREEN_HALF == pytest.approx(math.cos(proof.SIGMA / 4) - proof.COARSE_ERROR, rel=1e-15)


def test_derivative_rows_err_by_less_than_their_bounds() -> None:
    """The septic's first three derivatives at a sample, against a tone at the band limit (x⁽ᵏ⁾ = σᵏ·cos(… + kπ/2))."""
    phases, x = band_limit_tones()
    n = 100
    window = x[:, n - 31 : n + 33]
    rows = interp._sample_derivative_rows()
    for k, bound in zip((1, 2, 3), proof.DERIVATIVE_ERRORS, strict=True):
        exact = proof.SIGMA**k * np.cos(proof.SIGMA * n + phases + k * np.pi / 2)
        assert np.abs(window @ rows[:, k - 1] - exact).max() <= bound, k
    assert proof.DERIVATIVE_ERRORS[0] == proof.FINE_SLOPE_ERROR


def test_the_half_grid_point_nearest_a_crest_holds_cos_sigma_over_4() -> None:
    """Szegő: for content up to 0.45·fs, the ½-sample grid point nearest the crest holds ≥ M·cos(σ/4)
    (random spectra weighted towards few strong components, crest found on a 1/64-sample grid)."""
    rng = np.random.default_rng(4)
    n, factor = 512, 64
    for _ in range(20):
        spectrum = np.zeros(n // 2 + 1, dtype=complex)
        bins = np.arange(1, int(0.45 * n) + 1)
        spectrum[bins] = (rng.standard_normal(bins.size) + 1j * rng.standard_normal(bins.size)) * rng.uniform(
            0, 1, bins.size
        ) ** 4
        padded = np.zeros(n * factor // 2 + 1, dtype=complex)
        padded[: spectrum.size] = spectrum
        fine = np.fft.irfft(padded, n * factor)  # every 1/64 sample: the half-grid points are on it
        crest = int(np.abs(fine).argmax())
        nearest = round(crest / (factor // 2)) * (factor // 2) % fine.size
        assert abs(fine[nearest]) >= np.abs(fine).max() * proof.COS_HALF_GRID
