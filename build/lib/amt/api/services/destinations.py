"""Destination previews (SPEC §8): the gain each destination applies and what the master becomes there. Pure.

Services encode the file as delivered and apply their gain at playback, so whether
lossy encoding may clip depends on the master's own true peak and loudness, not on
the level it is played at: Spotify asks for a true peak below −1 dBTP, and below
−2 dBTP for masters louder than −14 LUFS, because loud masters overshoot more in
encoding. ``resulting_true_peak_dbtp`` is the peak at playback level (true peak + gain).

With a codec preview (``analysis.codec_preview``: the master really encoded with the
service's codec and bit rate, decoded and measured), a destination that streams lossy
carries ``encoded`` and its verdict states what the encode did instead of the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from amt.api.services.wording import num
from amt.config.constants import DESTINATION_PEAK_LIMIT_DBTP, DESTINATIONS, Destination

NEGLIGIBLE_DB = 0.5
"""A gain or shortfall smaller than this is not worth a sentence, dB."""
LOUD_MASTER_LUFS = -14.0
"""Masters louder than this need more true-peak headroom before lossy encoding (Spotify for Artists)."""
LOUD_MASTER_PEAK_LIMIT_DBTP = -2.0
"""True-peak limit for those loud masters, dBTP (Spotify for Artists, 'Loudness normalization')."""


def encoding_peak_limit_dbtp(integrated_lufs: float | None) -> float:
    """Highest true peak (dBTP) a master of this loudness can be delivered with and stay clean after lossy encoding."""
    if integrated_lufs is not None and integrated_lufs > LOUD_MASTER_LUFS:
        return LOUD_MASTER_PEAK_LIMIT_DBTP
    return DESTINATION_PEAK_LIMIT_DBTP


def _gain_db(dest: Destination, lufs: float, true_peak: float | None) -> float:
    if dest.reference_lufs is None:
        return 0.0
    gain = dest.reference_lufs - lufs
    if gain > 0 and not dest.turns_up:
        return 0.0
    if gain > 0 and true_peak is not None:
        # Raised only until the true peak reaches −1 dBTP: no limiter at the default level.
        gain = min(gain, max(0.0, DESTINATION_PEAK_LIMIT_DBTP - true_peak))
    return gain


def _level_words(dest: Destination, lufs: float, true_peak: float | None, gain: float) -> str:
    """What the destination does to the level, and where the master ends up against its neighbours."""
    ref = dest.reference_lufs
    if ref is None:
        return "Plays as it is, with no normalisation: loudness here is your choice"
    if gain < -NEGLIGIBLE_DB:
        return f"Will be turned down {num(-gain)} dB: the extra loudness buys nothing there"
    wanted = ref - lufs
    if wanted <= NEGLIGIBLE_DB:
        return "Plays at about its own level"
    shortfall = wanted - gain
    others = f"tracks at {num(ref, 0)} LUFS"
    if shortfall <= NEGLIGIBLE_DB:
        return f"Will be turned up {num(gain)} dB to meet the others"
    if not dest.turns_up:
        return f"Plays {num(shortfall)} dB quieter than {others}: it is not turned up there"
    peaks = f"its {num(true_peak or 0.0, signed=True)} dBTP peaks"
    if gain >= 0.05:
        return (
            f"Will be turned up only {num(gain)} dB ({peaks} leave no more room): "
            f"it will play {num(shortfall)} dB quieter than {others}"
        )
    return f"Plays {num(shortfall)} dB quieter than {others}: {peaks} leave no room to turn it up"


def _peak_words(dest: Destination, lufs: float, true_peak: float | None) -> str | None:
    """The clipping risk of the delivered file there, or None."""
    if true_peak is None:
        return None
    peak = f"true peak {num(true_peak, signed=True)} dBTP"
    if dest.reference_lufs is None:
        return f"{peak} clips the DJ's converter unless the gain is pulled down" if true_peak > 0.0 else None
    limit = encoding_peak_limit_dbtp(lufs)
    if true_peak > 0.0:
        return f"{peak} will clip after lossy encoding"
    if true_peak > limit:
        loud = f" for a master louder than {num(LOUD_MASTER_LUFS, 0)} LUFS"
        if limit >= DESTINATION_PEAK_LIMIT_DBTP:
            loud = ""
        return f"{peak} may clip after lossy encoding (keep it below {num(limit)} dBTP{loud})"
    return None


def _encoded_words(encoded: Mapping[str, Any], true_peak: float | None) -> str:
    """What encoding with the service's codec did to the peaks, as measured."""
    codec = f"{encoded['codec']} {encoded['bitrate_kbps']} kbit/s"
    tp = encoded["true_peak_dbtp"]
    clipped = int(encoded["clipped_samples"])
    if tp is None:
        return f"silent after {codec} encoding"
    after = f"after {codec} encoding the true peak reads {num(tp, signed=True)} dBTP"
    if clipped:
        return f"{after}: it will clip ({clipped} decoded samples at or beyond full scale)"
    if tp > 0.0:
        return f"{after}: over full scale between samples, which a player's converter may clip"
    if true_peak is not None and tp > true_peak + 0.05:
        return f"{after} ({num(tp - true_peak)} dB over the master): still clean"
    return f"{after}: clean"


def _verdict(
    dest: Destination, lufs: float, true_peak: float | None, gain: float, encoded: Mapping[str, Any] | None
) -> str:
    peak = _encoded_words(encoded, true_peak) if encoded is not None else _peak_words(dest, lufs, true_peak)
    parts = [_level_words(dest, lufs, true_peak, gain), peak]
    return "; ".join(p for p in parts if p) + "."


def _encoded_for(dest: Destination, encoded: Sequence[Mapping[str, Any]] | None) -> Mapping[str, Any] | None:
    """The codec preview of ``dest``'s codec and bit rate, if one was measured."""
    if not encoded or dest.codec is None:
        return None
    for item in encoded:
        if item["codec"] == dest.codec and item["bitrate_kbps"] == dest.bitrate_kbps:
            return item
    return None


def destination_previews(
    integrated_lufs: float | None,
    true_peak_dbtp: float | None,
    encoded: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One preview per destination of ``config.constants.DESTINATIONS``; empty without a loudness.

    ``encoded``: codec previews (``analysis.codec_preview.EncodedPeaks`` as dicts); each destination that
    streams one of those codecs at that bit rate carries it as ``encoded`` and is judged by it.
    """
    if integrated_lufs is None:
        return []
    out = []
    for dest in DESTINATIONS:
        gain = _gain_db(dest, integrated_lufs, true_peak_dbtp)
        resulting_tp = None if true_peak_dbtp is None else true_peak_dbtp + gain
        found = _encoded_for(dest, encoded)
        preview: dict[str, Any] = {
            "name": dest.name,
            "reference_lufs": dest.reference_lufs,
            "gain_db": round(gain, 2),
            "resulting_lufs": round(integrated_lufs + gain, 2),
            "resulting_true_peak_dbtp": None if resulting_tp is None else round(resulting_tp, 2),
            "verdict": _verdict(dest, integrated_lufs, true_peak_dbtp, gain, found),
            "published": dest.published,
        }
        if found is not None:
            preview["encoded"] = {
                k: found[k] for k in ("codec", "bitrate_kbps", "sample_rate", "true_peak_dbtp", "clipped_samples")
            }
        out.append(preview)
    return out
