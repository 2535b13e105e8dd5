"""Findings → one plan in signal-chain order (SPEC §5 "The plan"). Pure.

Every move follows SPEC §5 "Levels": from the smallest move that brings a figure back
inside its tolerance (to the range's edge) to the move that reaches the genre's centre;
the plan takes the smallest move plus a quarter of the tolerance, never past the centre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from amt.analysis.result import OverallMetrics
from amt.analysis.sections import Section
from amt.api.services.recommend.eq import BandGrid, choose_filter, jointly, loudness_change_db
from amt.api.services.recommend.findings import Finding, ceiling_dbtp
from amt.api.services.recommend.model import (
    DynamicsMethod,
    EqAction,
    Metric,
    SectionSpan,
    Stage,
    StepKind,
    Where,
)
from amt.config.constants import GenreTarget
from amt.mastering.rbj import biquad

MAX_SIDE_DB = 6.0
"""Largest side-channel gain change a master takes, dB; beyond it the stereo spread is set in the mix."""
MONO_BELOW_HZ = 120.0
"""Where the low end is made mono (mid/side high-pass on the side channel), Hz."""
BUS_ATTACK_MS, BUS_RELEASE_MS = 30.0, 300.0
"""Bus-compressor timing for evening out sections: slow enough to leave transients, fast enough to ride phrases."""
QUIET_SECTION_KINDS = frozenset({"breakdown", "intro", "outro"})
BODY_CREST_DB = 3.0
"""Crest factor of the loud sections' body (a sine's): a limiter takes loudness only once it reaches below
the peaks of the body, PSR − 3 dB under the true peak."""


def nudge(deviation: float, tolerance: float) -> float:
    """The move (opposite sign to ``deviation``) that brings a figure ``tolerance`` back inside plus a quarter of
    the tolerance, never past the centre; 0 inside the tolerance."""
    if abs(deviation) <= tolerance:
        return 0.0
    return -math.copysign(min(abs(deviation), abs(deviation) - tolerance + tolerance / 4.0), deviation)


def smallest_move(deviation: float, tolerance: float) -> float:
    """The move to the tolerance's edge (the start of the range SPEC §5 offers)."""
    return -math.copysign(max(0.0, abs(deviation) - tolerance), deviation)


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
    """Stereo width after a side-channel gain of ``gain_db`` dB (the inverse of :func:`side_gain_db`)."""
    g2 = float(10.0 ** (gain_db / 10.0))
    return g2 * width / (1.0 - width + g2 * width)


@dataclass
class DraftStep:
    """A step before the rows are ordered: its kind, its settings and the findings behind it."""

    kind: StepKind
    settings: dict[str, object]
    findings: list[Finding] = field(default_factory=list)
    band: str | None = None


@dataclass(frozen=True)
class LimiterDecision:
    """The one limiter decision and what follows from it."""

    input_gain_db: float
    ceiling_dbtp: float
    gain_reduction_db: float
    loudness_loss_db: float


def _find(findings: Sequence[Finding], metric: Metric, band: Where = Where.OVERALL) -> Finding | None:
    return next((f for f in findings if f.metric is metric and f.band is band), None)


def eq_steps(findings: Sequence[Finding], grid: BandGrid) -> list[DraftStep]:
    """One EQ step per band whose shape deviation is beyond its tolerance.

    Each step's make-up gain takes back its own filter's loudness change; filters in a cascade do not add up
    in loudness exactly (power sums under K-weighting), so the last step's make-up also takes the rest: the
    EQ steps together keep the loudness (predicted on the track's spectrum).
    """
    acting = [
        f
        for f in findings
        if f.metric is Metric.ENERGY_RATIO and f.acts and f.deviation is not None and f.tolerance is not None
    ]
    moves = [nudge(f.deviation or 0.0, f.tolerance or 0.0) for f in acting]
    chosen, together = jointly(
        [(f.band.value, choose_filter(f.band.value, m, grid)) for f, m in zip(acting, moves, strict=True)], grid
    )
    steps = []
    for f, choice, joint_move in zip(acting, chosen, together, strict=True):
        # How far outside its tolerance the band stays after the plan's EQ steps together.
        rest = abs((f.deviation or 0.0) + joint_move) - (f.tolerance or 0.0)
        sos = biquad(choice.filter, choice.frequency_hz, choice.gain_db, choice.q, grid.sample_rate)[None, :]
        eq = EqAction.model_validate(
            {
                "band": f.band.value,
                "filter": choice.filter,
                "frequency_hz": choice.frequency_hz,
                "gain_db": choice.gain_db,
                "q": choice.q,
                "band_move_db": round(choice.band_move_db, 2),
                "makeup_gain_db": round(-loudness_change_db(grid, sos), 2),
                "left_for_mix_db": round(rest, 1) if rest > 0.1 else 0.0,
            }
        )
        settings = eq.model_dump(exclude={"kind"})
        steps.append(DraftStep(StepKind.EQ, settings, [f], f.band.value))
    residual = eq_loudness(steps, grid)
    if len(steps) > 1 and abs(residual) >= 0.01:
        last = steps[-1].settings
        last["makeup_gain_db"] = round(float(str(last["makeup_gain_db"])) - residual, 2)
    return steps


def stereo_steps(findings: Sequence[Finding]) -> list[DraftStep]:
    """One stereo step per band: the low end made mono (too wide, or out of phase), or a side gain toward the
    genre's width; a correlation off target with the width on target is a left/right balance: no master step."""
    steps: dict[str, DraftStep] = {}
    for f in findings:
        if f.band is Where.OVERALL or not f.acts or f.deviation is None:
            continue
        band = f.band.value
        fault = f.metric is Metric.PHASE_CORRELATION and f.always
        if f.metric is Metric.STEREO_WIDTH and f.tolerance is not None:
            width = f.current or 0.0
            if band == "low" and f.deviation > 0:
                step = DraftStep(StepKind.STEREO, {"band": band, "mono_below_hz": MONO_BELOW_HZ}, [f], band)
            else:
                goal = width + nudge(f.deviation, f.tolerance)
                gain = side_gain_db(width, goal)
                if gain is None:
                    continue
                gain = round(max(-MAX_SIDE_DB, min(MAX_SIDE_DB, gain)), 1)
                step = DraftStep(
                    StepKind.STEREO,
                    {"band": band, "side_gain_db": gain, "width_after": round(width_after(width, gain), 3)},
                    [f],
                    band,
                )
            if band in steps:
                steps[band].findings.append(f)
            else:
                steps[band] = step
        elif fault:
            if band in steps:
                steps[band].findings.append(f)
                steps[band].settings = {"band": band, "mono_below_hz": MONO_BELOW_HZ}
            else:
                steps[band] = DraftStep(StepKind.STEREO, {"band": band, "mono_below_hz": MONO_BELOW_HZ}, [f], band)
    # A correlation finding goes with its band's width step (the side gain moves both).
    for f in findings:
        if f.metric is Metric.PHASE_CORRELATION and f.acts and not f.always and f.band.value in steps:
            steps[f.band.value].findings.append(f)
    return list(steps.values())


def dynamics_step(findings: Sequence[Finding], sections: Sequence[Section]) -> DraftStep | None:
    """Bus compression for an LRA above the range; automation of the quiet sections below it, only when the analysis
    found quiet sections."""
    f = _find(findings, Metric.LOUDNESS_RANGE_LU)
    if f is None or not f.acts or f.deviation is None or f.tolerance is None or f.current is None:
        return None
    move = nudge(f.deviation, f.tolerance)
    lra, after = f.current, f.current + move
    if move < 0:
        # A compressor with its threshold at the quietest sections takes LRA·(1 − 1/R) off the loudest, so
        # R = LRA / LRA' leaves the range at LRA'.
        return DraftStep(
            StepKind.DYNAMICS,
            {
                "method": DynamicsMethod.BUS_COMPRESSION,
                "gain_change_db": round(move, 1),
                "ratio": round(lra / max(after, 0.1), 2),
                "attack_ms": BUS_ATTACK_MS,
                "release_ms": BUS_RELEASE_MS,
                "expected_lra_lu": round(after, 1),
            },
            [f],
        )
    quiet = [s for s in sections if s.kind in QUIET_SECTION_KINDS]
    if not quiet:
        return None
    return DraftStep(
        StepKind.DYNAMICS,
        {
            "method": DynamicsMethod.VOLUME_AUTOMATION,
            "gain_change_db": round(-move, 1),
            "sections": [SectionSpan(kind=s.kind, start_s=s.start_s, end_s=s.end_s) for s in quiet],
            "expected_lra_lu": round(after, 1),
        },
        [f],
    )


def loudness_loss_db(gain_reduction_db: float, psr_db: float | None) -> float:
    """Loudness a limiter takes when it pulls the highest peaks down by ``gain_reduction_db``, LU.

    The loud sections' body peaks ``BODY_CREST_DB`` above their short-term loudness, so the
    limiter reaches the body only beyond PSR − 3 dB of gain reduction (PSR: true peak minus
    maximum short-term loudness); below that it shaves transients and loudness stays.
    """
    return max(0.0, gain_reduction_db - body_headroom_db(psr_db))


def body_headroom_db(psr_db: float | None) -> float:
    """Gain reduction a limiter makes on transients alone, before it reaches the loud sections' body, dB."""
    return BODY_CREST_DB if psr_db is None else max(0.0, psr_db - BODY_CREST_DB)


def dr_back_off_db(
    dr_db: float, dr_range_db: tuple[float, float], gain_reduction_db: float, psr_db: float | None, *, room_lu: float
) -> float:
    """How far to back the limiter's input off so that its gain reduction leaves DR inside the genre's range, dB (≥ 0).

    The limiter lowers DR by the gain reduction it does not take back as loudness (:func:`loudness_loss_db`).
    Where that would leave DR under the range, the input comes down (0.1 dB steps) until DR after is inside by
    a quarter of the range's half-width (SPEC §5's nudge; never above DR now), by no more than the gain
    reduction and giving up no more loudness than ``room_lu`` (LU above the loudness range's bottom after the
    limiter); where that is not enough, as far as DR still rises. 0 when DR stays inside.
    """
    low, high = dr_range_db
    backs = np.arange(0.0, gain_reduction_db + 0.05, 0.1)
    gr = np.maximum(0.0, gain_reduction_db - backs)
    loss = np.maximum(0.0, gr - body_headroom_db(psr_db))
    after = dr_db - gr + loss
    if after[0] >= low:
        return 0.0
    allowed = backs - (loss[0] - loss) <= room_lu + 1e-9  # loudness given up by backing off, LU
    goal = min(low + (high - low) / 8.0, dr_db)
    enough = allowed & (after >= goal - 1e-9)
    if enough.any():
        return round(float(backs[np.argmax(enough)]), 1)
    best = np.where(allowed, after, -np.inf)
    return round(float(backs[np.argmax(best)]), 1)


def limiter_decision(
    overall: OverallMetrics,
    findings: Sequence[Finding],
    target: GenreTarget | None,
    stage: Stage,
    eq_loudness_db: float,
) -> tuple[LimiterDecision | None, list[Finding], str | None]:
    """The one limiter decision for loudness, DR, true peak and clipping together (master stage), the findings it
    answers and a note: when DR is off but the loudness cannot move, why no gain is given ("loudness", "louder");
    when the input comes down so that the limiting leaves DR inside its range, "keeps dr". None when nothing
    needs a limiter."""
    if stage is Stage.MIX:
        return None, [], None
    tp, lufs = overall.true_peak_dbtp, overall.integrated_lufs
    ceiling = ceiling_dbtp(target)
    behind = [f for f in findings if f.acts and f.metric in (Metric.TRUE_PEAK_DBTP, Metric.CLIP_EVENTS)]
    gain, note = 0.0, None
    loud = _find(findings, Metric.INTEGRATED_LUFS)
    dr = _find(findings, Metric.DYNAMIC_RANGE_DB)
    if target is not None and lufs is not None:
        low, high = target.loudness_range_lufs
        now = lufs + eq_loudness_db
        if loud is not None and loud.acts:
            tol = target.loudness_tolerance_lu
            if lufs < low:
                gain = min(low - lufs + tol / 4.0, target.integrated_lufs - lufs)
            else:
                gain = -min(lufs - high + tol / 4.0, lufs - target.integrated_lufs)
            gain -= eq_loudness_db
            behind.append(loud)
        elif dr is not None and dr.acts and dr.deviation is not None and dr.tolerance is not None:
            if dr.deviation < 0:
                # Backing the limiter off by a dB raises DR and lowers loudness by about a dB: as far as the
                # loudness stays inside its range.
                want = nudge(dr.deviation, dr.tolerance)
                gain = -min(want, max(0.0, now - low))
                if gain < 0:
                    behind.append(dr)
                else:
                    note = "loudness"
            else:
                note = "louder"
        if eq_loudness_db > 0 and gain == 0.0 and low <= lufs <= high:
            # The EQ's boosts must not make a master already inside its range louder.
            gain = -eq_loudness_db
    if tp is None or (not behind and abs(gain) < 0.05):
        return None, [], note
    psr = None if overall.short_term_max_lufs is None else tp - overall.short_term_max_lufs
    gr = max(0.0, tp + eq_loudness_db + gain - ceiling)
    loss = loudness_loss_db(gr, psr)
    if gain <= 0 and target is not None and lufs is not None and overall.dynamic_range_db is not None:
        room = lufs + eq_loudness_db + gain - loss - target.loudness_range_lufs[0]
        back = dr_back_off_db(overall.dynamic_range_db, target.dr_db, gr, psr, room_lu=room)
        if back > 0:
            gain -= back
            gr = max(0.0, tp + eq_loudness_db + gain - ceiling)
            loss = loudness_loss_db(gr, psr)
            note = note or "keeps dr"
            if dr is not None and dr.acts and dr not in behind:
                behind.append(dr)
    if gain > 0:
        # More drive to reach the loudness: what limiting takes back is added, worked out again with the new drive.
        for _ in range(3):
            gr = max(0.0, tp + eq_loudness_db + gain + loss - ceiling)
            loss = loudness_loss_db(gr, psr)
        gain += loss
        gr = max(0.0, tp + eq_loudness_db + gain - ceiling)
        loss = loudness_loss_db(gr, psr)
    return LimiterDecision(round(gain, 1), ceiling, round(gr, 1), loss), behind, note


def eq_sections(steps: Sequence[DraftStep], sample_rate: float) -> np.ndarray:
    """The EQ steps as cascaded RBJ sections, shape (n, 6)."""
    rows = [
        biquad(
            str(s.settings["filter"]),
            float(str(s.settings["frequency_hz"])),
            float(str(s.settings["gain_db"])),
            float(str(s.settings["q"])),
            sample_rate,
        )
        for s in steps
    ]
    return np.array(rows) if rows else np.zeros((0, 6))


def eq_loudness(steps: Sequence[DraftStep], grid: BandGrid) -> float:
    """Predicted loudness change of the EQ steps with their make-up gains, LU (near 0)."""
    sos = eq_sections(steps, grid.sample_rate)
    makeup = sum(float(str(s.settings["makeup_gain_db"])) for s in steps)
    return loudness_change_db(grid, sos) + makeup if len(sos) else 0.0


def gain_step(findings: Sequence[Finding]) -> DraftStep | None:
    """A mix whose sample peak leaves less than 3 dB of headroom: the master fader down by the difference."""
    f = _find(findings, Metric.SAMPLE_PEAK_DBFS)
    if f is None or f.deviation is None:
        return None
    return DraftStep(StepKind.GAIN, {"gain_db": round(-f.deviation, 1)}, [f])


def expected_after(
    overall: OverallMetrics, eq_loudness_db: float, decision: LimiterDecision | None, fader_db: float
) -> dict[str, float | None]:
    """Integrated loudness, true peak, DR and PLR after the plan.

    EQ changes the loudness as worked out on the spectrum and the peaks by as much; the
    limiter adds its input gain, pulls the highest peaks to the ceiling (DR falls by that
    gain reduction) and takes the loudness :func:`loudness_loss_db` says (DR rises by it
    back, as the body is lowered with the peaks).
    """
    lufs, tp, dr = overall.integrated_lufs, overall.true_peak_dbtp, overall.dynamic_range_db
    shift = eq_loudness_db + fader_db
    lufs_after = None if lufs is None else lufs + shift
    tp_after = None if tp is None else tp + shift
    dr_after = dr
    if decision is not None:
        if lufs_after is not None:
            lufs_after += decision.input_gain_db - decision.loudness_loss_db
        if tp_after is not None:
            tp_after = min(tp_after + decision.input_gain_db, decision.ceiling_dbtp)
        if dr_after is not None:
            dr_after = max(0.0, dr_after - decision.gain_reduction_db + decision.loudness_loss_db)
    plr = None if lufs_after is None or tp_after is None else tp_after - lufs_after

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 1)

    return {
        "integrated_lufs": r(lufs_after),
        "true_peak_dbtp": r(tp_after),
        "dynamic_range_db": r(dr_after),
        "plr_db": r(plr),
    }
