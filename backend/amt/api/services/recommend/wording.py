"""Rows in words: the facts of a finding, and its step worded as a range (suggestive) or as settings
(prescriptive). Numbers use a true minus sign (``api.services.wording``)."""

from __future__ import annotations

from amt.api.services.recommend.findings import BAND_LABELS, Finding
from amt.api.services.recommend.model import (
    Action,
    DynamicsAction,
    DynamicsMethod,
    EqAction,
    GainAction,
    Level,
    LimiterAction,
    Metric,
    StereoAction,
)
from amt.api.services.recommend.plan import MAX_SIDE_DB, smallest_move
from amt.api.services.wording import db_range, num


def _hz(freq: float) -> str:
    return f"{freq / 1000:.3g} kHz" if freq >= 1000 else f"{freq:g} Hz"


def _pct(ratio: float) -> str:
    pct = ratio * 100.0
    return f"{pct:.1f} %" if pct >= 1.0 else f"{pct:.2g} %"


def facts(f: Finding, genre: str | None) -> str:
    """What was measured and how far it is from the target, in its unit."""
    cur, tgt, dev, tol = f.current or 0.0, f.target, f.deviation or 0.0, f.tolerance
    who = f"{genre} masters" if genre else "the target"
    label = BAND_LABELS.get(f.band.value, "")
    if f.metric is Metric.ENERGY_RATIO:
        side = "above" if dev > 0 else "below"
        return (
            f"The {label} carries {_pct(cur)} of the energy against {_pct(tgt or 0.0)} in {who}: its shape is "
            f"{abs(dev):.1f} dB {side} the target's (tolerance ±{tol or 0:.1f} dB)"
        )
    if f.metric is Metric.STEREO_WIDTH:
        return (
            f"The stereo width of the {label} is {num(cur, 2)} against {num(tgt or 0.0, 2)} in {who} "
            f"(tolerance ±{tol or 0:.2f}; width is a matter of style)"
        )
    if f.metric is Metric.PHASE_CORRELATION and f.always:
        return (
            f"The {label} is out of phase between left and right (correlation {num(cur, 2)}): bass cancels in "
            "mono and on club systems"
        )
    if f.metric is Metric.PHASE_CORRELATION:
        return (
            f"The phase correlation of the {label} is {num(cur, 2)} against {num(tgt or 0.0, 2)} in {who} "
            f"(tolerance ±{tol or 0:.2f})"
        )
    if f.metric is Metric.NEGATIVE_CORRELATION_PCT:
        return (
            f"Left and right are out of phase {cur:.1f} % of the time (more than {tgt or 0:g} %): parts of the "
            "mix vanish in mono"
        )
    if f.metric is Metric.TRUE_PEAK_DBTP:
        return (
            f"True peak reaches {num(cur, 2, signed=True)} dBTP, {dev:.2f} dB over the {num(tgt or 0.0)} dBTP "
            "ceiling: lossy encoding and the listener's converter can clip it"
        )
    if f.metric is Metric.CLIP_EVENTS:
        n = int(cur)
        return f"{n} clipped passage{'s' if n != 1 else ''}: the waveform was cut off before export"
    if f.metric is Metric.SAMPLE_PEAK_DBFS:
        return (
            f"The mix peaks at {num(cur)} dBFS, {dev:.1f} dB above the {num(tgt or 0.0, 0)} dBFS that leaves "
            "the mastering engineer headroom"
        )
    if f.metric is Metric.INTEGRATED_LUFS:
        side = "louder" if dev > 0 else "quieter"
        return (
            f"Integrated loudness is {num(cur)} LUFS, {abs(dev):.1f} LU {side} than the "
            f"{who.replace(' masters', '')} median of {num(tgt or 0.0)} LUFS"
        )
    lra = f.metric is Metric.LOUDNESS_RANGE_LU
    name, unit = ("loudness range (LRA)", "LU") if lra else ("dynamic range (DR)", "dB")
    low, high = (tgt or 0.0) - (tol or 0.0), (tgt or 0.0) + (tol or 0.0)
    return f"The {name} is {cur:.1f} {unit}; {who} sit between {low:.1f} and {high:.1f} {unit}"


def _eq_words(a: EqAction, f: Finding, level: Level) -> str:
    verb = "Cut" if a.gain_db < 0 else "Boost"
    if level is Level.SUGGESTIVE and f.deviation is not None and f.tolerance is not None:
        lo, hi = abs(smallest_move(f.deviation, f.tolerance)), min(abs(f.deviation), 6.0)
        text = (
            f"{verb} the band {lo:.1f}–{hi:.1f} dB (back inside the tolerance … the genre's centre) with a "
            f"{a.filter} around {_hz(a.frequency_hz)}"
        )
    else:
        text = f"EQ: {a.filter} at {_hz(a.frequency_hz)}, {num(a.gain_db, signed=True)} dB, Q {a.q:g}"
    if abs(a.band_move_db - a.gain_db) > 0.5:
        text += (
            f" (it moves this band {num(a.band_move_db, signed=True)} dB against the others: a single filter "
            "spreads into the neighbouring bands)"
        )
    if a.left_for_mix_db > 0:
        cap = "that is the most a master takes (±6 dB)" if abs(a.gain_db) >= 6.0 else "that is what the EQ can do here"
        text += f"; {cap}: the remaining {a.left_for_mix_db:.1f} dB is a mix problem, rebalance the parts in this band"
    return text


def _stereo_words(a: StereoAction, level: Level) -> str:
    if a.mono_below_hz is not None:
        below = "100–150 Hz" if level is Level.SUGGESTIVE else _hz(a.mono_below_hz)
        return (
            f"Check the polarity of stereo bass layers and make the low end mono below {below} "
            "(mid/side high-pass on the side)"
        )
    gain = a.side_gain_db or 0.0
    verb = "Narrow it: side channel" if gain < 0 else "Widen it: side channel"
    if level is Level.SUGGESTIVE:
        way = "down" if gain < 0 else "up"
        return f"{verb} of this band {db_range(abs(gain), cap_db=MAX_SIDE_DB)} {way} (mid/side EQ)"
    return f"Mid/side on this band: side channel {num(gain, signed=True)} dB (width → {num(a.width_after or 0.0, 2)})"


def _dynamics_words(a: DynamicsAction, level: Level) -> str:
    if a.method is DynamicsMethod.BUS_COMPRESSION:
        if level is Level.SUGGESTIVE:
            return (
                f"Even out the sections with slow bus compression so the loudest lose "
                f"{db_range(abs(a.gain_change_db))} (attack 10–30 ms, release 200–500 ms)"
            )
        return (
            f"Bus compressor: ratio {a.ratio:g}:1, attack {a.attack_ms:g} ms, release {a.release_ms:g} ms, "
            f"{abs(a.gain_change_db):.1f} dB of gain reduction on the loudest sections; "
            f"LRA ≈ {a.expected_lra_lu:.1f} LU"
        )
    where = ", ".join(f"{s.kind} {s.start_s:.0f}–{s.end_s:.0f} s" for s in a.sections)
    return (
        f"Volume automation: the quiet sections ({where}) {num(a.gain_change_db, signed=True)} dB; "
        f"LRA ≈ {a.expected_lra_lu:.1f} LU"
    )


def _limiter_words(a: LimiterAction, level: Level) -> str:
    if level is Level.SUGGESTIVE:
        gain = (
            ""
            if abs(a.input_gain_db) < 0.05
            else f"input gain {'up' if a.input_gain_db > 0 else 'down'} {db_range(abs(a.input_gain_db))}, "
        )
        return (
            f"True-peak limiter last in the chain: {gain}ceiling {num(a.ceiling_dbtp)} dBTP, about "
            f"{a.expected_gain_reduction_db:.1f} dB off the highest peaks"
        )
    return (
        f"Limiter (true peak, oversampled, last): input gain {num(a.input_gain_db, signed=True)} dB, ceiling "
        f"{num(a.ceiling_dbtp)} dBTP, {a.expected_gain_reduction_db:.1f} dB of gain reduction on the highest peaks"
    )


def advice(action: Action | None, f: Finding, level: Level, step: int | None, note: str | None) -> str:
    """The row's advice: its step worded for the level, or why no step on the master answers it."""
    if action is None:
        if f.metric is Metric.NEGATIVE_CORRELATION_PCT:
            return (
                "No setting fixes this on the master: find the phase-inverted layer or over-wide effect in the "
                "mix, listening in mono"
            )
        if f.metric is Metric.PHASE_CORRELATION:
            return (
                "The width is within its tolerance, so this is no side level: left and right differ in this band "
                "(a hard-panned part or an unbalanced layer); re-pan it in the mix"
            )
        if f.metric is Metric.LOUDNESS_RANGE_LU:
            return (
                "The analysis found no quiet sections to automate: give the arrangement more contrast in the "
                "mix, or ease the bus compression"
            )
        if f.metric is Metric.DYNAMIC_RANGE_DB and note == "louder":
            return "The loudness is inside its range, so the master is not driven louder for it: leave it"
        if f.metric is Metric.DYNAMIC_RANGE_DB:
            return (
                "The loudness is at the bottom of its range, so the limiter cannot back off further: open the "
                "dynamics in the mix"
            )
        if f.metric is Metric.ENERGY_RATIO:
            return "A lossy codec's low-pass cuts into this band: reported, not advised on"
        return ""
    where = f" (step {step})" if step is not None else ""
    if isinstance(action, EqAction):
        return _eq_words(action, f, level) + where
    if isinstance(action, StereoAction):
        return _stereo_words(action, level) + where
    if isinstance(action, DynamicsAction):
        return _dynamics_words(action, level) + where
    if isinstance(action, LimiterAction):
        why = (
            " (the input comes down so that the limiting leaves DR inside the genre's range)"
            if note == "keeps dr"
            else ""
        )
        return _limiter_words(action, level) + why + where
    assert isinstance(action, GainAction)
    return f"Master fader {num(action.gain_db, signed=True)} dB" + where


def message(
    f: Finding, genre: str | None, level: Level, action: Action | None, step: int | None, note: str | None
) -> str:
    """The row's message: facts at ``informative``, facts and advice otherwise."""
    text = facts(f, genre)
    if level is Level.INFORMATIVE:
        return text + "."
    extra = advice(action, f, level, step, note)
    return f"{text}. {extra}." if extra else text + "."
