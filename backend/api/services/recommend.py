"""Band-level mastering recommendations (SPEC §5). Pure: metrics and a target in, rows out.

Deviations are measured in the unit a mastering engineer thinks in: band energy
in dB against the genre's mean share (10·log10(current/target)), loudness in LU,
true peak and headroom in dB, stereo width and correlation in their own units.

Levels:
* ``informative`` lists every deviation beyond 0.5 dB (0.05 for width/correlation), no action;
* ``suggestive`` gives an action in words with a range for deviations beyond
  max(1.5 dB, one spread of the genre's references);
* ``prescriptive`` gives concrete settings (EQ frequency, gain, Q; limiter ceiling;
  width change) for every deviation beyond 0.5 dB.
The always-flagged checks (true peak above −1 dBTP, clipping, negative phase
correlation, loudness more than 3 LU from target at the master stage) appear at
every level.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from config.constants import GenreTarget

LISTED_DB = 0.5
"""Smallest band/level deviation worth listing, dB."""
ACTION_DB = 1.5
"""Smallest deviation that gets an action at the suggestive level, dB."""
WARNING_DB, CRITICAL_DB = 1.5, 4.0
WARNING_LU, CRITICAL_LU = 1.0, 3.0
LISTED_STEREO = 0.05
ACTION_STEREO = 0.1
CRITICAL_STEREO = 0.3
TRUE_PEAK_LIMIT_DBTP = -1.0
"""Above this, lossy encoding and sample-rate conversion may clip (AES TD1004, EBU R128 s1)."""
LOUDNESS_FLAG_LU = 3.0
MIX_HEADROOM_DBFS = -3.0
"""Sample peak a mix should stay under to leave the mastering engineer headroom."""
NEGATIVE_CORRELATION_PCT = 5.0

# Where an engineer reaches for each band: (filter, centre Hz, Q). Bells sit at the
# band's geometric centre with Q = centre / bandwidth; the outer bands use shelves.
EQ_POINTS: dict[str, tuple[str, float, float]] = {
    "low": ("low shelf", 100.0, 0.7),
    "low_mid": ("bell", 316.0, 1.05),
    "mid": ("bell", 1000.0, 0.67),
    "high_mid": ("bell", 3464.0, 0.87),
    "high": ("high shelf", 8000.0, 0.7),
}
BAND_LABELS: dict[str, str] = {
    "low": "low band (20–200 Hz)",
    "low_mid": "low-mid band (200–500 Hz)",
    "mid": "mid band (500 Hz–2 kHz)",
    "high_mid": "high-mid band (2–6 kHz)",
    "high": "high band (6–20 kHz)",
}


@dataclass(frozen=True)
class RecommendationItem:
    """One recommendation row (SPEC §5)."""

    band: str
    metric: str
    current: float | None
    target: float | None
    deviation: float | None
    severity: str
    message: str
    suggested_change_db: float | None = None
    action: dict[str, Any] | None = None

    def action_json(self) -> str | None:
        """The concrete settings as JSON text, for storage."""
        return None if self.action is None else json.dumps(self.action)


def _severity(abs_dev: float, warning: float, critical: float) -> str:
    if abs_dev > critical:
        return "critical"
    if abs_dev >= warning:
        return "warning"
    return "info"


def _fmt_range(dev: float) -> str:
    """A cut/boost range around ``dev`` dB for words: 2.3 → "2–3 dB", 1.6 → "1–2 dB"."""
    lo = max(0.5, math.floor(abs(dev) * 2) / 2 - 0.5)
    hi = max(lo + 0.5, math.ceil(abs(dev) * 2) / 2)
    return f"{lo:g}–{hi:g} dB"


def _band_energy(
    band: str, ratio: float, target_ratio: float, spread_db: float, genre: str, level: str
) -> RecommendationItem | None:
    dev = 10.0 * math.log10(ratio / target_ratio)
    action_threshold = max(ACTION_DB, spread_db)
    if abs(dev) <= LISTED_DB or (level == "suggestive" and abs(dev) <= action_threshold):
        return None
    label = BAND_LABELS[band]
    side = "above" if dev > 0 else "below"
    filt, freq, q = EQ_POINTS[band]
    facts = (
        f"The {label} carries {ratio * 100:.1f} % of the energy against {target_ratio * 100:.1f} % "
        f"in {genre} masters: {abs(dev):.1f} dB {side} the target"
    )
    change = round(-dev, 1)
    if level == "informative":
        return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev,
                                  _severity(abs(dev), WARNING_DB, CRITICAL_DB), facts + ".")
    verb = "Cut" if dev > 0 else "Boost"
    if level == "suggestive":
        shape = {"low shelf": "a low shelf", "high shelf": "a high shelf", "bell": "a wide bell"}[filt]
        message = f"{facts}. {verb} {_fmt_range(dev)} around {freq:g} Hz with {shape}."
        return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev,
                                  _severity(abs(dev), WARNING_DB, CRITICAL_DB), message, change)
    gain = max(-6.0, min(6.0, change))
    message = f"{facts}. EQ: {filt} at {freq:g} Hz, {gain:+.1f} dB, Q {q:g}."
    action = {"type": "eq", "filter": filt, "frequency_hz": freq, "gain_db": gain, "q": q}
    return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev,
                              _severity(abs(dev), WARNING_DB, CRITICAL_DB), message, change, action)


def _band_stereo(band: str, metric: str, current: float, target: float, genre: str, level: str
                 ) -> RecommendationItem | None:
    dev = current - target
    if abs(dev) <= LISTED_STEREO or (level == "suggestive" and abs(dev) <= ACTION_STEREO):
        return None
    label = BAND_LABELS[band]
    name = "stereo width" if metric == "stereo_width" else "phase correlation"
    facts = f"The {name} of the {label} is {current:.2f} against {target:.2f} in {genre} masters"
    severity = _severity(abs(dev), ACTION_STEREO, CRITICAL_STEREO)
    if level == "informative":
        return RecommendationItem(band, metric, current, target, dev, severity, facts + ".")
    narrower = (dev > 0) == (metric == "stereo_width")
    if band == "low" and narrower:
        advice = "Make the low end mono below about 120 Hz (elliptic EQ or a mid/side high-pass on the side)"
    elif narrower:
        advice = f"Narrow it: reduce the side level in this band by {abs(dev) * 100:.0f} % with mid/side EQ"
    else:
        advice = f"Widen it: raise the side level in this band by {abs(dev) * 100:.0f} % with mid/side EQ"
    action = None
    if level == "prescriptive":
        width_change = round(target - current, 2) if metric == "stereo_width" else round((current - target) / 2, 2)
        action = {"type": "stereo", "band": band, "width_change": width_change}
    return RecommendationItem(band, metric, current, target, dev, severity, f"{facts}. {advice}.", None, action)


def _range_item(metric: str, current: float, low: float, high: float, genre: str, unit: str, level: str,
                words: tuple[str, str]) -> RecommendationItem | None:
    if low <= current <= high:
        return None
    edge = high if current > high else low
    dev = current - edge
    if abs(dev) <= LISTED_DB or (level == "suggestive" and abs(dev) <= ACTION_DB):
        return None
    name = "loudness range" if metric == "loudness_range_lu" else "dynamic range (DR)"
    facts = f"The {name} is {current:.1f} {unit}; {genre} masters sit between {low:.1f} and {high:.1f} {unit}"
    severity = _severity(abs(dev), WARNING_DB, CRITICAL_DB)
    if level == "informative":
        return RecommendationItem("overall", metric, current, (low + high) / 2, dev, severity, facts + ".")
    advice = words[0] if dev > 0 else words[1]
    return RecommendationItem("overall", metric, current, (low + high) / 2, dev, severity,
                              f"{facts}. {advice}.", round(-dev, 1))


def _loudness(current: float, target: GenreTarget, stage: str, level: str, true_peak: float | None
              ) -> RecommendationItem | None:
    dev = current - target.integrated_lufs
    always = stage == "master" and abs(dev) > LOUDNESS_FLAG_LU
    if not always and (abs(dev) <= LISTED_DB or (level == "suggestive" and abs(dev) <= WARNING_LU)):
        return None
    side = "louder" if dev > 0 else "quieter"
    facts = (
        f"Integrated loudness is {current:.1f} LUFS, {abs(dev):.1f} LU {side} than the "
        f"{target.genre} target of {target.integrated_lufs:.1f} LUFS"
    )
    if stage == "mix":
        return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, "info",
                                  facts + ". For a mix this is for information only: loudness is set in mastering.")
    severity = _severity(abs(dev), WARNING_LU, CRITICAL_LU)
    if level == "informative" and not always:
        return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, severity,
                                  facts + ".")
    if dev > 0:
        advice = (
            f"Ease the limiter drive by about {abs(dev):.1f} dB; the extra loudness costs punch "
            "and buys nothing once streaming services normalise"
        )
    else:
        advice = f"Raise the limiter input gain by about {abs(dev):.1f} dB"
        if true_peak is not None:
            advice += f", keeping the ceiling at {TRUE_PEAK_LIMIT_DBTP:.1f} dBTP"
    action = None
    if level == "prescriptive":
        action = {"type": "limiter", "gain_db": round(-dev, 1), "ceiling_dbtp": TRUE_PEAK_LIMIT_DBTP}
    return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, severity,
                              f"{facts}. {advice}.", round(-dev, 1), action)


def _always_flagged(overall: Mapping[str, Any], bands: Mapping[str, Mapping[str, Any]], stage: str
                    ) -> list[RecommendationItem]:
    items: list[RecommendationItem] = []
    tp = overall.get("true_peak_dbtp")
    if tp is not None and tp > TRUE_PEAK_LIMIT_DBTP:
        dev = tp - TRUE_PEAK_LIMIT_DBTP
        items.append(RecommendationItem(
            "overall", "true_peak_dbtp", tp, TRUE_PEAK_LIMIT_DBTP, dev, "critical" if tp > 0 else "warning",
            f"True peak reaches {tp:+.2f} dBTP, {dev:.2f} dB over the {TRUE_PEAK_LIMIT_DBTP:.1f} dBTP ceiling: "
            "lossy encoding and the listener's converter can clip it. Set a true-peak limiter's ceiling to "
            f"{TRUE_PEAK_LIMIT_DBTP:.1f} dBTP.",
            round(-dev, 2), {"type": "limiter", "ceiling_dbtp": TRUE_PEAK_LIMIT_DBTP, "true_peak": True}))
    events = int(overall.get("clip_events") or 0)
    if events > 0:
        samples = int(overall.get("clipped_samples") or 0)
        items.append(RecommendationItem(
            "overall", "clip_events", float(events), 0.0, float(events), "critical" if events > 10 else "warning",
            f"{events} clipped passage(s), {samples} samples flat at the peak: the waveform was cut off "
            "before export. Lower the gain into the final limiter or clipper until no run of flat samples remains.",
            None, {"type": "gain", "note": "remove clipping before the final limiter"}))
    low_corr = bands.get("low", {}).get("phase_correlation")
    if low_corr is not None and low_corr < 0:
        items.append(RecommendationItem(
            "low", "phase_correlation", low_corr, 1.0, low_corr - 1.0, "critical",
            f"The low band is out of phase between left and right (correlation {low_corr:.2f}): bass cancels "
            "in mono and on club systems. Check the polarity of stereo bass layers and make the low end mono "
            "below about 120 Hz.", None, {"type": "stereo", "band": "low", "mono_below_hz": 120.0}))
    neg_pct = overall.get("negative_correlation_pct")
    if neg_pct is not None and neg_pct > NEGATIVE_CORRELATION_PCT:
        items.append(RecommendationItem(
            "overall", "negative_correlation_pct", neg_pct, NEGATIVE_CORRELATION_PCT,
            neg_pct - NEGATIVE_CORRELATION_PCT, "critical" if neg_pct > 20 else "warning",
            f"Left and right are out of phase {neg_pct:.1f} % of the time (more than {NEGATIVE_CORRELATION_PCT:g} %): "
            "parts of the mix will vanish in mono. Look for phase-inverted layers or over-wide stereo effects.",
            None, None))
    peak = overall.get("sample_peak_dbfs")
    if stage == "mix" and peak is not None and peak > MIX_HEADROOM_DBFS:
        dev = peak - MIX_HEADROOM_DBFS
        items.append(RecommendationItem(
            "overall", "sample_peak_dbfs", peak, MIX_HEADROOM_DBFS, dev, "warning" if peak < 0 else "critical",
            f"The mix peaks at {peak:.1f} dBFS; leave about {abs(MIX_HEADROOM_DBFS):g} dB of headroom for "
            f"mastering by lowering the master fader {dev:.1f} dB.", round(-dev, 1),
            {"type": "gain", "gain_db": round(-dev, 1)}))
    return items


def recommend(
    overall: Mapping[str, Any],
    bands: Sequence[Mapping[str, Any]],
    target: GenreTarget | None,
    *,
    level: str,
    stage: str = "master",
) -> list[RecommendationItem]:
    """Recommendations for one analysis, most severe first.

    ``overall`` holds the overall metrics by SPEC §4 name; ``bands`` the five band
    dicts (with ``band``); ``target`` is None when no genre was given.
    """
    by_band = {b["band"]: b for b in bands}
    items = _always_flagged(overall, by_band, stage)
    if target is not None:
        lufs = overall.get("integrated_lufs")
        if lufs is not None:
            item = _loudness(lufs, target, stage, level, overall.get("true_peak_dbtp"))
            if item is not None:
                items.append(item)
        lra = overall.get("loudness_range_lu")
        if lra is not None:
            item = _range_item("loudness_range_lu", lra, *target.lra_lu, target.genre, "LU", level,
                               ("Use gentler bus compression or automate sections closer in level",
                                "Let sections breathe: less limiting, or arrangement contrast"))
            if item is not None:
                items.append(item)
        dr = overall.get("dynamic_range_db")
        if dr is not None:
            item = _range_item("dynamic_range_db", dr, *target.dr_db, target.genre, "dB", level,
                               ("Peaks stand well above the body; a little more limiting or clipping would match",
                                "It is more squashed than the genre: back off the limiter and bus compressor"))
            if item is not None:
                items.append(item)
        for name, band_target in target.bands.items():
            band = by_band.get(name)
            if band is None:
                continue
            ratio = band.get("energy_ratio")
            if ratio is not None and ratio > 0 and band_target.energy_ratio > 0:
                item = _band_energy(name, ratio, band_target.energy_ratio, band_target.spread_db, target.genre, level)
                if item is not None:
                    items.append(item)
            for metric, goal in (("stereo_width", band_target.stereo_width),
                                 ("phase_correlation", band_target.phase_correlation)):
                value = band.get(metric)
                if value is None or (metric == "phase_correlation" and name == "low" and value < 0):
                    continue  # negative low-band correlation is already flagged above
                item = _band_stereo(name, metric, value, goal, target.genre, level)
                if item is not None:
                    items.append(item)
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda i: (order[i.severity], -abs(i.deviation or 0.0)))
