"""Destination previews (SPEC §8): the gain each destination applies and what the master becomes there. Pure."""

from __future__ import annotations

from typing import Any

from config.constants import DESTINATION_PEAK_LIMIT_DBTP, DESTINATIONS, Destination

NEGLIGIBLE_DB = 0.5


def _gain_db(dest: Destination, lufs: float, true_peak: float | None) -> float:
    if dest.reference_lufs is None:
        return 0.0
    gain = dest.reference_lufs - lufs
    if gain > 0 and not dest.turns_up:
        return 0.0
    if gain > 0 and true_peak is not None:
        gain = min(gain, max(0.0, DESTINATION_PEAK_LIMIT_DBTP - true_peak))
    return gain


def _verdict(dest: Destination, lufs: float, gain: float, resulting_tp: float | None) -> str:
    parts: list[str] = []
    if gain < -NEGLIGIBLE_DB:
        parts.append(f"Will be turned down {-gain:.1f} dB: the extra loudness buys nothing there")
    elif gain > NEGLIGIBLE_DB:
        parts.append(f"Will be turned up {gain:.1f} dB to meet the others")
    elif dest.reference_lufs is not None and lufs < dest.reference_lufs - NEGLIGIBLE_DB:
        limit = "it is not turned up" if not dest.turns_up else "its peaks leave no room to turn it up"
        parts.append(
            f"Plays {dest.reference_lufs - lufs - gain:.1f} dB quieter than masters at "
            f"{dest.reference_lufs:g} LUFS: {limit}"
        )
    elif dest.reference_lufs is None:
        parts.append("Plays as it is, with no normalisation: loudness here is your choice")
    else:
        parts.append("Plays at about its own level")
    if resulting_tp is not None and dest.reference_lufs is not None and resulting_tp > DESTINATION_PEAK_LIMIT_DBTP:
        parts.append(f"true peak {resulting_tp:+.1f} dBTP will clip after lossy encoding")
    elif resulting_tp is not None and dest.reference_lufs is None and resulting_tp > 0.0:
        parts.append(f"true peak {resulting_tp:+.1f} dBTP clips the DJ's converter unless the gain is pulled down")
    return "; ".join(parts) + "."


def destination_previews(integrated_lufs: float | None, true_peak_dbtp: float | None) -> list[dict[str, Any]]:
    """One preview per destination of ``config.constants.DESTINATIONS``; empty without a loudness."""
    if integrated_lufs is None:
        return []
    out = []
    for dest in DESTINATIONS:
        gain = _gain_db(dest, integrated_lufs, true_peak_dbtp)
        resulting_tp = None if true_peak_dbtp is None else true_peak_dbtp + gain
        out.append(
            {
                "name": dest.name,
                "reference_lufs": dest.reference_lufs,
                "gain_db": round(gain, 2),
                "resulting_lufs": round(integrated_lufs + gain, 2),
                "resulting_true_peak_dbtp": None if resulting_tp is None else round(resulting_tp, 2),
                "verdict": _verdict(dest, integrated_lufs, gain, resulting_tp),
                "published": dest.published,
            }
        )
    return out
