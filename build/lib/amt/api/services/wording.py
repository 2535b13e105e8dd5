"""Numbers in words for recommendations and verdicts: a true minus sign, never "−0.0", ranges on a 0.5 dB grid."""

from __future__ import annotations

import math

MINUS = "\u2212"


def num(value: float, digits: int = 1, *, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals and a true minus sign; "+" in front when ``signed``; zero has no sign."""
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0.0:
        return text
    if value < 0:
        return MINUS + text
    return "+" + text if signed else text


def db_range(amount_db: float, *, at_least: bool = False, cap_db: float | None = None) -> str:
    """A range in words around a positive amount, on a 0.5 dB grid.

    Default: the amount rounded half-up to the nearest 0.5 dB, ±0.5 dB, never below
    0.5 dB (2.3 → "2–3 dB", 1.6 → "1–2 dB", 3.01 → "2.5–3.5 dB"). ``at_least``: the
    amount is a minimum, so the range starts at it rounded up to 0.5 dB and spans 1 dB
    (2.0 → "2–3 dB", 1.4 → "1.5–2.5 dB"). ``cap_db``: the range ends there at most and
    still spans 1 dB (6.0 with a 6 dB cap → "5–6 dB").
    """
    if at_least:
        lo = max(0.5, math.ceil(amount_db * 2.0 - 1e-9) / 2.0)
        hi = lo + 1.0
    else:
        centre = max(0.5, math.floor(amount_db * 2.0 + 0.5) / 2.0)
        lo, hi = max(0.5, centre - 0.5), centre + 0.5
    if cap_db is not None and hi > cap_db:
        lo, hi = max(0.5, cap_db - 1.0), cap_db
    return f"{lo:g}–{hi:g} dB"
