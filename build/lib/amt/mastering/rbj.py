"""RBJ Audio-EQ-Cookbook biquads (R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter
coefficients"), as normalised second-order sections. Frequencies in Hz, gains in dB."""

from __future__ import annotations

import math

import numpy as np

FILTER_TYPES: tuple[str, ...] = ("bell", "low shelf", "high shelf", "high pass", "low pass")


def biquad(filter_type: str, frequency_hz: float, gain_db: float, q: float, sample_rate: float) -> np.ndarray:
    """One second-order section ``[b0, b1, b2, 1, a1, a2]`` (a0 divided out), float64.

    ``q`` is the cookbook's Q for every type (for shelves the Q of its transition:
    Q = 1/√2 is the steepest shelf without overshoot, S = 1). ``gain_db`` is the peak
    gain of a bell and the full gain of a shelf; pass filters ignore it.
    """
    a_lin = 10.0 ** (gain_db / 40.0)  # cookbook A = sqrt(10^(dBgain/20))
    w0 = 2.0 * math.pi * frequency_hz / sample_rate
    cos_w0, sin_w0 = math.cos(w0), math.sin(w0)
    alpha = sin_w0 / (2.0 * q)
    if filter_type == "bell":
        b = (1.0 + alpha * a_lin, -2.0 * cos_w0, 1.0 - alpha * a_lin)
        a = (1.0 + alpha / a_lin, -2.0 * cos_w0, 1.0 - alpha / a_lin)
    elif filter_type in ("low shelf", "high shelf"):
        sq = 2.0 * math.sqrt(a_lin) * alpha
        sign = 1.0 if filter_type == "low shelf" else -1.0
        ap, am = a_lin + 1.0, a_lin - 1.0
        b = (
            a_lin * (ap - sign * am * cos_w0 + sq),
            sign * 2.0 * a_lin * (am - sign * ap * cos_w0),
            a_lin * (ap - sign * am * cos_w0 - sq),
        )
        a = (ap + sign * am * cos_w0 + sq, -sign * 2.0 * (am + sign * ap * cos_w0), ap + sign * am * cos_w0 - sq)
    elif filter_type == "high pass":
        b = ((1.0 + cos_w0) / 2.0, -(1.0 + cos_w0), (1.0 + cos_w0) / 2.0)
        a = (1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha)
    elif filter_type == "low pass":
        b = ((1.0 - cos_w0) / 2.0, 1.0 - cos_w0, (1.0 - cos_w0) / 2.0)
        a = (1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha)
    else:
        raise ValueError(f"Unknown filter type {filter_type!r}; known: {', '.join(FILTER_TYPES)}")
    return np.array([b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]])


def power_response_db(sos: np.ndarray, freqs_hz: np.ndarray, sample_rate: float) -> np.ndarray:
    """|H(f)|² of cascaded sections at ``freqs_hz``, dB."""
    z = np.exp(-1j * 2.0 * np.pi * np.asarray(freqs_hz, dtype=float) / sample_rate)
    h = np.ones_like(z)
    for b0, b1, b2, _, a1, a2 in np.atleast_2d(sos):
        h *= (b0 + b1 * z + b2 * z * z) / (1.0 + a1 * z + a2 * z * z)
    return 20.0 * np.log10(np.maximum(np.abs(h), 1e-12))
