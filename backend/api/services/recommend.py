"""Band-level mastering recommendations (SPEC §5). Pure: metrics and a target in, rows out.

Deviations are measured in the unit a mastering engineer thinks in: band energy
in dB against the genre's mean share (10·log10(current/target)), loudness in LU,
true peak and headroom in dB, stereo width and correlation in their own units.

Levels:
* ``informative`` lists every deviation beyond 0.5 dB (0.05 for width/correlation)
  with its numbers, and no row carries an action or a suggested change;
* ``suggestive`` gives an action in words with a range for deviations beyond
  max(1.5 dB, one spread of the genre's references);
* ``prescriptive`` gives concrete settings (EQ frequency, gain, Q; limiter input gain
  and ceiling; compressor ratio, attack, release and gain reduction; side-channel gain)
  for every deviation beyond 0.5 dB.
The always-flagged checks (true peak above −1 dBTP, clipping, negative phase
correlation, loudness more than 3 LU from target at the master stage) appear at
every level, at ``informative`` with their numbers only.

``suggested_change_db`` is the gain change of the action the row suggests (EQ gain,
limiter input gain, side-channel gain, fader or automation move), equal to the
number in its message; None at ``informative`` and where no gain is suggested.
EQ and side-channel moves stop at ±6 dB: a band further off is a mix problem, and
the message says how much is left for the mix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.services.destinations import LOUD_MASTER_LUFS, encoding_peak_limit_dbtp
from api.services.wording import db_range, num
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
MAX_EQ_DB = 6.0
"""Largest EQ boost or cut suggested on a master, dB; beyond it the band is fixed in the mix."""
MAX_SIDE_DB = 6.0
"""Largest side-channel gain change suggested, dB; beyond it the stereo spread is set in the mix."""
MAX_LIMITER_PUSH_DB = 6.0
"""More extra limiting than this in one limiter distorts; the message says to share it with a clipper."""
MONO_BELOW_HZ = 120.0
"""Where the low end is made mono (mid/side high-pass on the side channel), Hz."""
BUS_ATTACK_MS, BUS_RELEASE_MS = 30.0, 300.0
"""Bus-compressor timing for evening out sections: slow enough to leave transients, fast enough to ride phrases."""

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


def _hz(freq: float) -> str:
    return f"{freq / 1000:.3g} kHz" if freq >= 1000 else f"{freq:g} Hz"


def _pct(ratio: float) -> str:
    """An energy share in per cent; two significant figures below 1 % so a tiny share never reads 0.0 %."""
    pct = ratio * 100.0
    return f"{pct:.1f} %" if pct >= 1.0 else f"{pct:.2g} %"


def side_gain_db(width: float, target_width: float) -> float | None:
    """Side-channel gain (dB) that moves stereo width ``width`` to ``target_width``.

    Width is w = ΣS² / (ΣM² + ΣS²); a side gain g leaves ΣM² and scales ΣS² by g², so
    w' = g²w / (1 − w + g²w), that is g² = w'(1 − w) / (w(1 − w')). None when no gain
    can do it (a mono band, no mid, or a target of exactly 0 or 1).
    """
    if not (0.0 < width < 1.0 and 0.0 < target_width < 1.0):
        return None
    return 10.0 * math.log10(target_width * (1.0 - width) / (width * (1.0 - target_width)))


def width_after(width: float, gain_db: float) -> float:
    """Stereo width after a side-channel gain of ``gain_db`` dB (the inverse of ``side_gain_db``)."""
    g2 = 10.0 ** (gain_db / 10.0)
    return g2 * width / (1.0 - width + g2 * width)


def left_right_difference_db(width: float, correlation: float) -> float | None:
    """Level difference between left and right (dB) implied by a band's width and correlation.

    With a = ΣL², b = ΣR², c = ΣL·R: w = (a + b − 2c) / (2(a + b)) and ρ = c / √(ab), so
    with p = a / (a + b): √(p(1 − p)) = (1 − 2w) / (2ρ) and the difference is
    10·log10(p / (1 − p)). Balanced channels give ρ = 1 − 2w and 0 dB. None when the
    figures cannot say (ρ ≤ 0 or w ≥ 0.5).
    """
    if correlation <= 0.0 or width >= 0.5:
        return None
    k = (1.0 - 2.0 * width) / (2.0 * correlation)
    if k >= 0.5:
        return 0.0  # ρ at or below 1 − 2w: balanced within measurement noise
    p = (1.0 + math.sqrt(1.0 - 4.0 * k * k)) / 2.0
    return 10.0 * math.log10(p / (1.0 - p))


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
    severity = _severity(abs(dev), WARNING_DB, CRITICAL_DB)
    facts = (
        f"The {label} carries {_pct(ratio)} of the energy against {_pct(target_ratio)} "
        f"in {genre} masters: {abs(dev):.1f} dB {side} the target"
    )
    if level == "informative":
        return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev, severity, facts + ".")
    # Moving every band by −deviation gives exactly the target shares (they sum to 1),
    # so −deviation is the EQ move, up to the most a master can take.
    amount = min(abs(dev), MAX_EQ_DB)
    change = round(math.copysign(amount, -dev), 1)
    left_for_mix = abs(dev) - MAX_EQ_DB
    verb = "cut" if dev > 0 else "boost"
    if level == "suggestive":
        shape = {"low shelf": "a low shelf", "high shelf": "a high shelf", "bell": "a wide bell"}[filt]
        move = f"{db_range(amount, cap_db=MAX_EQ_DB)} around {_hz(freq)} with {shape}"
        if left_for_mix > 0:
            message = (
                f"{facts}. More than {MAX_EQ_DB:g} dB is a mix problem: rebalance the parts in this band in the "
                f"mix; on this master {verb} no more than {move}."
            )
        else:
            message = f"{facts}. {verb.capitalize()} {move}."
        return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev, severity, message, change)
    message = f"{facts}. EQ: {filt} at {_hz(freq)}, {num(change, signed=True)} dB, Q {q:g}."
    action: dict[str, Any] = {"type": "eq", "filter": filt, "frequency_hz": freq, "gain_db": change, "q": q}
    if left_for_mix > 0:
        message += f" That is the most a master takes: fix the remaining {left_for_mix:.1f} dB in the mix."
        action["left_for_mix_db"] = round(left_for_mix, 1)
    return RecommendationItem(band, "energy_ratio", ratio, target_ratio, dev, severity, message, change, action)


@dataclass(frozen=True)
class _StereoPlan:
    """One band's stereo move, shared by its width and correlation rows so they never disagree."""

    words: str
    """The action in words with a range (suggestive)."""
    settings: str
    """The concrete settings (prescriptive)."""
    side_gain_db: float | None
    action: dict[str, Any] | None
    correlation_after: str
    """What the move does to the band's correlation, for the correlation row."""


def _stereo_plan(band: str, width: float, target: float, correlation: float | None) -> _StereoPlan:
    label = BAND_LABELS[band]
    narrower = width > target
    if band == "low" and narrower:
        words = "Make the low end mono below 100–150 Hz (a mid/side high-pass on the side channel)"
        settings = f"Mid/side: high-pass the side channel at {MONO_BELOW_HZ:g} Hz, so the low end is mono below it"
        action = {"type": "stereo", "band": band, "mono_below_hz": MONO_BELOW_HZ}
        return _StereoPlan(words, settings, None, action,
                           f"making the low end mono below {MONO_BELOW_HZ:g} Hz brings it towards 1")
    if width >= 1.0:
        words = "Left and right cancel completely here: flip the polarity of the offending part in the mix"
        return _StereoPlan(words, words, None, None, "it comes from the same polarity problem")
    gain = side_gain_db(width, target)
    if gain is None and not narrower:
        words = ("The band is mono, so there is no side signal to raise: widen it in the mix "
                 "(stereo sources, doubled parts, a stereo reverb)")
        return _StereoPlan(words, words, None, None, "it stays at 1 until the band has a side signal")
    if gain is None:
        words = f"Make the {label} mono (mute the side channel in this band with mid/side EQ)"
        action = {"type": "stereo", "band": band, "side_mute": True, "width_from": round(width, 3), "width_to": 0.0}
        return _StereoPlan(words, words, None, action, "muting the side brings it to 1")
    capped = max(-MAX_SIDE_DB, min(MAX_SIDE_DB, gain))
    change = round(capped, 1)
    after = width_after(width, change)
    verb = "Narrow it: cut" if narrower else "Widen it: raise"
    move = f"the side channel of this band by {db_range(abs(change), cap_db=MAX_SIDE_DB)}"
    tool = "with mid/side EQ or a multiband stereo-width tool"
    settings = (f"Mid/side EQ on the {label}: side channel {num(change, signed=True)} dB "
                f"(width {num(width, 2)} → {num(after, 2)})")
    if abs(gain) > MAX_SIDE_DB:
        rest = f"{abs(gain) - MAX_SIDE_DB:.1f} dB"
        words = (f"More than {MAX_SIDE_DB:g} dB of side gain is a mix decision (panning, stereo sources, wide "
                 f"reverbs): change the spread in the mix; on this master {verb.split(': ')[1]} {move} at most, {tool}")
        settings += f"; that is the most a master takes, the remaining {rest} belongs to the mix"
    else:
        words = f"{verb} {move} {tool} (width {num(width, 2)} → about {num(after, 2)})"
    action = {"type": "stereo", "band": band, "side_gain_db": change,
              "width_from": round(width, 3), "width_to": round(after, 3)}
    if correlation is None:
        corr_words = f"the side change of {num(change, signed=True)} dB given for the width moves it too"
    else:
        # For balanced channels ρ = 1 − 2w, so the side change moves ρ by −2Δw.
        predicted = max(-1.0, min(1.0, correlation - 2.0 * (after - width)))
        corr_words = (f"the side change of {num(change, signed=True)} dB given for the width "
                      f"brings it to about {num(predicted, 2)}")
    return _StereoPlan(words, settings, change, action, corr_words)


def _stereo_threshold(level: str) -> float:
    return ACTION_STEREO if level == "suggestive" else LISTED_STEREO


def _band_width(band: str, width: float, target: float, correlation: float | None, genre: str, level: str
                ) -> RecommendationItem | None:
    dev = width - target
    if abs(dev) <= _stereo_threshold(level):
        return None
    facts = (f"The stereo width of the {BAND_LABELS[band]} is {num(width, 2)} against {num(target, 2)} "
             f"in {genre} masters")
    severity = _severity(abs(dev), ACTION_STEREO, CRITICAL_STEREO)
    if level == "informative":
        return RecommendationItem(band, "stereo_width", width, target, dev, severity, facts + ".")
    plan = _stereo_plan(band, width, target, correlation)
    text = plan.words if level == "suggestive" else plan.settings
    action = plan.action if level == "prescriptive" else None
    return RecommendationItem(band, "stereo_width", width, target, dev, severity, f"{facts}. {text}.",
                              plan.side_gain_db, action)


def _band_correlation(band: str, correlation: float, target: float, width: float | None, width_target: float,
                      genre: str, level: str) -> RecommendationItem | None:
    dev = correlation - target
    threshold = _stereo_threshold(level)
    if abs(dev) <= threshold:
        return None
    label = BAND_LABELS[band]
    facts = f"The phase correlation of the {label} is {num(correlation, 2)} against {num(target, 2)} in {genre} masters"
    severity = _severity(abs(dev), ACTION_STEREO, CRITICAL_STEREO)
    if level == "informative" or width is None:
        return RecommendationItem(band, "phase_correlation", correlation, target, dev, severity, facts + ".")
    plan = _stereo_plan(band, width, width_target, correlation)
    if abs(width - width_target) > threshold:
        # The width row carries the move; this row points at it rather than giving a second figure.
        return RecommendationItem(band, "phase_correlation", correlation, target, dev, severity,
                                  f"{facts}. It follows from the width: {plan.correlation_after}.")
    if abs(width - width_target) > 0.0 and abs(dev + 2.0 * (width - width_target)) <= threshold:
        # For balanced channels ρ = 1 − 2w: a width change too small for its own row still
        # moves the correlation twice as far, so this row carries the side move.
        facts += f", because the width is {num(width, 2)} against {num(width_target, 2)}"
        text = plan.words if level == "suggestive" else plan.settings
        return RecommendationItem(band, "phase_correlation", correlation, target, dev, severity, f"{facts}. {text}.",
                                  plan.side_gain_db, plan.action if level == "prescriptive" else None)
    difference = left_right_difference_db(width, correlation)
    if dev > 0 and difference is not None and difference > LISTED_DB:
        facts += (f". The width ({num(width, 2)}) is on target, so this is not the side level: left and right "
                  f"differ by about {difference:.1f} dB in this band (a hard-panned part or an unbalanced layer)")
        if level == "suggestive":
            message = f"{facts}. Re-pan it, or bring the louder side of this band down {db_range(difference)}."
            return RecommendationItem(band, "phase_correlation", correlation, target, dev, severity, message,
                                      round(-difference, 1))
        change = round(-difference, 1)
        message = f"{facts}. Balance: louder channel of this band {num(change, signed=True)} dB, or re-pan the part."
        action = {"type": "balance", "band": band, "louder_channel_gain_db": change}
        return RecommendationItem(band, "phase_correlation", correlation, target, dev, severity, message, change,
                                  action)
    message = (f"{facts}. The width ({num(width, 2)}) is on target and left and right are balanced within "
               f"{LISTED_DB:g} dB, so the difference lies in the genre's figures, not in this master: "
               "nothing to change.")
    return RecommendationItem(band, "phase_correlation", correlation, target, dev, "info", message)


def _range_item(metric: str, current: float, low: float, high: float, genre: str, level: str
                ) -> RecommendationItem | None:
    if low <= current <= high:
        return None
    edge = high if current > high else low
    dev = current - edge
    if abs(dev) <= LISTED_DB or (level == "suggestive" and abs(dev) <= ACTION_DB):
        return None
    lra = metric == "loudness_range_lu"
    unit = "LU" if lra else "dB"
    name = "loudness range (LRA)" if lra else "dynamic range (DR)"
    facts = (f"The {name} is {current:.1f} {unit}; {genre} masters sit between {low:.1f} and {high:.1f} {unit}, "
             f"so it is {abs(dev):.1f} {unit} {'above' if dev > 0 else 'below'} that range")
    severity = _severity(abs(dev), WARNING_DB, CRITICAL_DB)
    target = (low + high) / 2
    if level == "informative":
        return RecommendationItem("overall", metric, current, target, dev, severity, facts + ".")
    amount = abs(dev)
    words, settings, change, action = (_lra_move if lra else _dr_move)(current, edge, amount, dev > 0)
    text = words if level == "suggestive" else settings
    return RecommendationItem("overall", metric, current, target, dev, severity, f"{facts}. {text}.", change,
                              action if level == "prescriptive" else None)


def _lra_move(lra: float, edge: float, amount: float, too_wide: bool
              ) -> tuple[str, str, float, dict[str, Any]]:
    """Words, settings, gain change and action that bring the LRA to ``edge`` LU."""
    if too_wide:
        # A compressor whose threshold sits at the quietest sections takes LRA·(1 − 1/R) off the
        # loudest, so R = LRA / (LRA − reduction) leaves the range at the genre's upper edge.
        ratio = lra / edge
        gentle, firm = lra / (lra - max(0.0, amount - 0.5)), lra / (edge - 0.5)
        words = (f"Even out the sections with slow bus compression: about {gentle:.1f}–{firm:.1f}:1, attack "
                 f"10–30 ms, release 200–500 ms, threshold at the level of the quietest sections so the loudest "
                 f"ones lose {db_range(amount)}; or ride the quiet sections up with volume automation")
        settings = (f"Bus compressor: ratio {ratio:.1f}:1, attack {BUS_ATTACK_MS:g} ms, release "
                    f"{BUS_RELEASE_MS:g} ms, threshold where the quietest sections just stay untouched, so the "
                    f"loudest sections show {amount:.1f} dB of gain reduction; LRA becomes about {edge:.1f} LU")
        action = {"type": "compressor", "ratio": round(ratio, 1), "attack_ms": BUS_ATTACK_MS,
                  "release_ms": BUS_RELEASE_MS, "gain_reduction_db": round(amount, 1),
                  "threshold": "level of the quietest sections", "expected_lra_lu": round(edge, 1)}
        return words, settings, round(-amount, 1), action
    words = (f"Give the sections more contrast: bring the breakdowns and quieter sections down "
             f"{db_range(amount)} with volume automation, or ease the bus compression and limiting")
    settings = (f"Volume automation: quieter sections (breakdowns, intros) {num(-amount, signed=True)} dB, loudest "
                f"sections unchanged; LRA becomes about {edge:.1f} LU. If a bus compressor works on the whole track, "
                f"raise its threshold first")
    action = {"type": "automation", "quiet_sections_gain_db": round(-amount, 1), "expected_lra_lu": round(edge, 1)}
    return words, settings, round(-amount, 1), action


def _dr_move(dr: float, edge: float, amount: float, too_open: bool) -> tuple[str, str, float, dict[str, Any]]:
    """Words, settings, limiter gain change and action that bring the DR to ``edge`` dB.

    With the ceiling fixed, each dB more drive into the limiter lifts the body about a dB
    under the same peaks, so DR and loudness move by about the drive change.
    """
    if too_open:
        push = f" (more than {MAX_LIMITER_PUSH_DB:g} dB: share it between a clipper and the limiter)" \
            if amount > MAX_LIMITER_PUSH_DB else ""
        words = (f"Drive the limiter {db_range(amount)} harder, ceiling unchanged: DR falls about as much and "
                 f"loudness rises about as much{push}")
        settings = (f"Limiter: input gain {num(amount, signed=True)} dB, ceiling unchanged; DR becomes about "
                    f"{edge:.1f} dB and loudness rises about {amount:.1f} dB{push}")
        change = round(amount, 1)
    else:
        words = (f"Back the limiter (and any clipper) off by {db_range(amount)}, ceiling unchanged: DR rises about "
                 f"as much, and loudness drops about as much")
        settings = (f"Limiter: input gain {num(-amount, signed=True)} dB, ceiling unchanged; DR becomes about "
                    f"{edge:.1f} dB and loudness drops about {amount:.1f} dB")
        change = round(-amount, 1)
    return words, settings, change, {"type": "limiter", "gain_db": change, "expected_dr_db": round(edge, 1)}


def _loudness(current: float, target: GenreTarget, stage: str, level: str) -> RecommendationItem | None:
    dev = current - target.integrated_lufs
    always = stage == "master" and abs(dev) > LOUDNESS_FLAG_LU
    if not always and (abs(dev) <= LISTED_DB or (level == "suggestive" and abs(dev) <= WARNING_LU)):
        return None
    side = "louder" if dev > 0 else "quieter"
    facts = (
        f"Integrated loudness is {num(current)} LUFS, {abs(dev):.1f} LU {side} than the "
        f"{target.genre} target of {num(target.integrated_lufs)} LUFS"
    )
    if stage == "mix":
        return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, "info",
                                  facts + ". For a mix this is for information only: loudness is set in mastering.")
    severity = _severity(abs(dev), WARNING_LU, CRITICAL_LU)
    if level == "informative":
        return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, severity,
                                  facts + ".")
    # The master will sit at the target loudness, so its ceiling is the one for that loudness.
    ceiling = min(target.true_peak_ceiling_dbtp, encoding_peak_limit_dbtp(target.integrated_lufs))
    change = round(-dev, 1)
    push = (f" More than {MAX_LIMITER_PUSH_DB:g} dB of extra limiting distorts: share it between a clipper "
            "and the limiter." if -dev > MAX_LIMITER_PUSH_DB else "")
    if level == "suggestive":
        if dev > 0:
            advice = (f"Ease the limiter drive by {db_range(dev)}: the extra loudness costs punch and buys "
                      "nothing once streaming services normalise.")
        else:
            advice = (f"Raise the limiter input gain by {db_range(-dev)}, true-peak ceiling at {num(ceiling)} "
                      f"dBTP.{push}")
        return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, severity,
                                  f"{facts}. {advice}", change)
    action = {"type": "limiter", "gain_db": change, "ceiling_dbtp": ceiling, "true_peak": True}
    message = (f"{facts}. Limiter: input gain {num(change, signed=True)} dB, true-peak ceiling {num(ceiling)} "
               f"dBTP.{push}")
    return RecommendationItem("overall", "integrated_lufs", current, target.integrated_lufs, dev, severity,
                              message, change, action)


def _always_flagged(overall: Mapping[str, Any], bands: Mapping[str, Mapping[str, Any]], stage: str, level: str
                    ) -> list[RecommendationItem]:
    """The checks of SPEC §5 that appear at every level; at ``informative`` with their numbers only."""
    acts = level != "informative"
    prescribes = level == "prescriptive"
    items: list[RecommendationItem] = []
    lufs = overall.get("integrated_lufs")
    ceiling = encoding_peak_limit_dbtp(lufs)
    loud = ceiling < TRUE_PEAK_LIMIT_DBTP
    tp = overall.get("true_peak_dbtp")
    if tp is not None and tp > TRUE_PEAK_LIMIT_DBTP:
        dev = tp - TRUE_PEAK_LIMIT_DBTP
        message = (f"True peak reaches {num(tp, 2, signed=True)} dBTP, {dev:.2f} dB over the "
                   f"{num(TRUE_PEAK_LIMIT_DBTP)} dBTP limit: lossy encoding and the listener's converter can clip it.")
        why = f" (a master louder than {num(LOUD_MASTER_LUFS, 0)} LUFS overshoots more in encoding)" if loud else ""
        if level == "suggestive":
            low = ceiling - 1.0
            message += (f" Put a true-peak limiter last with its ceiling between {num(ceiling, 0)} and {num(low, 0)} "
                        f"dBTP{why}: {tp - ceiling:.1f}–{tp - low:.1f} dB off the peaks.")
        elif prescribes:
            message += (f" True-peak limiter last in the chain, oversampling on: ceiling {num(ceiling)} dBTP{why}, "
                        f"{tp - ceiling:.2f} dB off the peaks.")
        items.append(RecommendationItem(
            "overall", "true_peak_dbtp", tp, TRUE_PEAK_LIMIT_DBTP, dev, "critical" if tp > 0 else "warning", message,
            round(ceiling - tp, 2) if acts else None,
            {"type": "limiter", "ceiling_dbtp": ceiling, "true_peak": True} if prescribes else None))
    events = int(overall.get("clip_events") or 0)
    if events > 0:
        samples = int(overall.get("clipped_samples") or 0)
        message = (f"{events} clipped passage{'s' if events != 1 else ''}, {samples} samples flat at the peak: "
                   "the waveform was cut off before export.")
        if level == "suggestive":
            message += (" Find the stage that clips (usually gain after the limiter, or a limiter without a "
                        f"true-peak ceiling): nothing after the limiter, its ceiling at {num(ceiling)} dBTP.")
        elif prescribes:
            message += (f" Limiter last, true-peak ceiling {num(ceiling)} dBTP, output gain 0 dB and nothing after "
                        "it; re-export and check that no run of flat samples remains.")
        items.append(RecommendationItem(
            "overall", "clip_events", float(events), 0.0, float(events), "critical" if events > 10 else "warning",
            message, None,
            {"type": "limiter", "ceiling_dbtp": ceiling, "true_peak": True, "gain_after_limiter_db": 0.0}
            if prescribes else None))
    low_corr = bands.get("low", {}).get("phase_correlation")
    if low_corr is not None and low_corr < 0:
        message = (f"The low band is out of phase between left and right (correlation {num(low_corr, 2)}): bass "
                   "cancels in mono and on club systems.")
        if level == "suggestive":
            message += " Check the polarity of stereo bass layers and make the low end mono below 100–150 Hz."
        elif prescribes:
            message += (f" Check the polarity of stereo bass layers; mid/side: high-pass the side channel at "
                        f"{MONO_BELOW_HZ:g} Hz.")
        items.append(RecommendationItem(
            "low", "phase_correlation", low_corr, 1.0, low_corr - 1.0, "critical", message, None,
            {"type": "stereo", "band": "low", "mono_below_hz": MONO_BELOW_HZ} if prescribes else None))
    neg_pct = overall.get("negative_correlation_pct")
    if neg_pct is not None and neg_pct > NEGATIVE_CORRELATION_PCT:
        message = (f"Left and right are out of phase {neg_pct:.1f} % of the time (more than "
                   f"{NEGATIVE_CORRELATION_PCT:g} %): parts of the mix will vanish in mono.")
        if acts:
            message += (" No setting fixes this on the master: find the phase-inverted layer or over-wide stereo "
                        "effect in the mix, listening in mono.")
        items.append(RecommendationItem(
            "overall", "negative_correlation_pct", neg_pct, NEGATIVE_CORRELATION_PCT,
            neg_pct - NEGATIVE_CORRELATION_PCT, "critical" if neg_pct > 20 else "warning", message))
    peak = overall.get("sample_peak_dbfs")
    if stage == "mix" and peak is not None and peak > MIX_HEADROOM_DBFS:
        dev = peak - MIX_HEADROOM_DBFS
        message = (f"The mix peaks at {num(peak)} dBFS, {dev:.1f} dB above the {num(MIX_HEADROOM_DBFS, 0)} dBFS "
                   "that leaves the mastering engineer headroom.")
        if level == "suggestive":
            message += f" Lower the master fader by {db_range(dev, at_least=True)}."
        elif prescribes:
            message += f" Master fader {num(-dev, signed=True)} dB."
        items.append(RecommendationItem(
            "overall", "sample_peak_dbfs", peak, MIX_HEADROOM_DBFS, dev, "warning" if peak < 0 else "critical",
            message, round(-dev, 1) if acts else None,
            {"type": "gain", "gain_db": round(-dev, 1)} if prescribes else None))
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
    items = _always_flagged(overall, by_band, stage, level)
    if target is not None:
        lufs = overall.get("integrated_lufs")
        if lufs is not None:
            item = _loudness(lufs, target, stage, level)
            if item is not None:
                items.append(item)
        for metric, (low, high) in (("loudness_range_lu", target.lra_lu), ("dynamic_range_db", target.dr_db)):
            value = overall.get(metric)
            if value is not None:
                item = _range_item(metric, value, low, high, target.genre, level)
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
            width, corr = band.get("stereo_width"), band.get("phase_correlation")
            if width is not None:
                item = _band_width(name, width, band_target.stereo_width, corr, target.genre, level)
                if item is not None:
                    items.append(item)
            # A negative low-band correlation is already flagged above.
            if corr is not None and not (name == "low" and corr < 0):
                item = _band_correlation(name, corr, band_target.phase_correlation, width,
                                         band_target.stereo_width, target.genre, level)
                if item is not None:
                    items.append(item)
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda i: (order[i.severity], -abs(i.deviation or 0.0)))
