"""Recommendations and the mastering plan (SPEC §5). Pure and typed: metrics and a target in, rows and a plan out.

:func:`judge` is the one entry point: the engine's dataclasses (or stored numbers, via
:func:`metrics_from_dicts`), a genre target, a level and a stage → the SPEC §5 rows and the
plan. The rows are :class:`~api.services.recommend.model.Recommendation`, stored and served
as they are; each row that a step answers carries that step's action and ``order``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from amt.analysis.result import AnalysisResult, BandMetrics, OverallMetrics
from amt.analysis.sections import Section, Sections, find_sections
from amt.api.services.recommend.eq import band_grid
from amt.api.services.recommend.findings import Finding, all_findings
from amt.api.services.recommend.model import (
    CHAIN_ORDER,
    Action,
    DynamicsAction,
    DynamicsStep,
    EqAction,
    EqStep,
    Expected,
    GainAction,
    GainStep,
    Level,
    LimiterStep,
    Metric,
    Plan,
    Recommendation,
    Severity,
    Stage,
    Step,
    StepKind,
    StereoAction,
    StereoStep,
    action_of,
)
from amt.api.services.recommend.plan import (
    DraftStep,
    dynamics_step,
    eq_loudness,
    eq_steps,
    expected_after,
    gain_step,
    limiter_decision,
    stereo_steps,
)
from amt.api.services.recommend.wording import message
from amt.config.constants import BAND_NAMES, GenreTarget

__all__ = ["Judgement", "judge", "judge_result", "metrics_from_dicts"]

DEFAULT_SAMPLE_RATE = 48000
_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
_STEP_MODELS: dict[StepKind, type[GainStep | EqStep | StereoStep | DynamicsStep | LimiterStep]] = {
    StepKind.GAIN: GainStep,
    StepKind.EQ: EqStep,
    StepKind.STEREO: StereoStep,
    StepKind.DYNAMICS: DynamicsStep,
    StepKind.LIMITER: LimiterStep,
}


@dataclass(frozen=True)
class Judgement:
    """The rows of SPEC §5, most severe first, and the plan whose steps point back at them."""

    recommendations: list[Recommendation]
    plan: Plan


def _change_of(action: Action) -> float | None:
    """The gain a row's action applies, dB (what ``suggested_change_db`` holds)."""
    if isinstance(action, EqAction | GainAction):
        return action.gain_db
    if isinstance(action, StereoAction):
        return action.side_gain_db
    if isinstance(action, DynamicsAction):
        return action.gain_change_db
    return action.input_gain_db


def _draft_plan(
    overall: OverallMetrics,
    findings: Sequence[Finding],
    target: GenreTarget | None,
    stage: Stage,
    sections: Sequence[Section],
    grid_args: tuple[Mapping[str, float | None], float, Any, Mapping[str, float | None]],
) -> tuple[list[DraftStep], dict[str, float | None], str | None]:
    """The steps in chain order, the predicted figures, and the limiter's note when it leaves DR alone."""
    grid = band_grid(*grid_args)
    drafts: list[DraftStep] = []
    fader = gain_step(findings)
    if fader is not None:
        drafts.append(fader)
    eqs = eq_steps(findings, grid)
    drafts += eqs
    drafts += stereo_steps(findings)
    dyn = dynamics_step(findings, sections)
    if dyn is not None:
        drafts.append(dyn)
    loud_eq = eq_loudness(eqs, grid)
    decision, behind, note = limiter_decision(overall, findings, target, stage, loud_eq)
    if decision is not None:
        drafts.append(
            DraftStep(
                StepKind.LIMITER,
                {
                    "input_gain_db": decision.input_gain_db,
                    "ceiling_dbtp": decision.ceiling_dbtp,
                    "expected_gain_reduction_db": decision.gain_reduction_db,
                },
                behind,
            )
        )
    drafts.sort(key=lambda s: (CHAIN_ORDER.index(s.kind), BAND_NAMES.index(s.band) if s.band else 0))
    fader_db = float(str(fader.settings["gain_db"])) if fader is not None else 0.0
    return drafts, expected_after(overall, loud_eq, decision, fader_db), note


def judge(
    overall: OverallMetrics,
    bands: Sequence[BandMetrics],
    target: GenreTarget | None,
    *,
    level: Level | str,
    stage: Stage | str = Stage.MASTER,
    sections: Sequence[Section] = (),
    sample_rate: float = DEFAULT_SAMPLE_RATE,
    spectrum: tuple[Sequence[float], Sequence[float | None]] | None = None,
    lowpass_hz: float | None = None,
) -> Judgement:
    """The SPEC §5 rows and plan of one analysis.

    ``target`` None (no genre): only the always-flagged checks. ``sections``: the §8
    sections (automation of quiet sections only names these). ``spectrum``: the long-term
    1/6-octave spectrum (centres Hz, dB) the EQ filters are fitted on (a typical master's
    shape when None). ``lowpass_hz``: a lossy source's codec low-pass; bands above it are
    reported, not advised on.
    """
    level, stage = Level(level), Stage(stage)
    findings = all_findings(overall, bands, target, stage, lowpass_hz=lowpass_hz)
    shown = [f for f in findings if (f.listed or f.always) if level is Level.INFORMATIVE or f.acts or f.always]
    shown.sort(key=lambda f: (_SEVERITY_RANK[f.severity], -abs(f.deviation or 0.0)))
    genre = target.genre if target is not None else None
    if level is Level.INFORMATIVE:
        expected = Expected(**expected_after(overall, 0.0, None, 0.0))
        rows = [
            Recommendation(
                band=f.band,
                metric=f.metric,
                current=f.current,
                target=f.target,
                deviation=f.deviation,
                tolerance=f.tolerance,
                severity=f.severity,
                message=message(f, genre, level, None, None, None),
            )
            for f in shown
        ]
        return Judgement(rows, Plan(steps=[], expected=expected))
    shares = {b.band: b.energy_ratio for b in bands}
    deviations = {f.band.value: f.deviation for f in findings if f.metric is Metric.ENERGY_RATIO}
    grid_args = (shares, sample_rate, spectrum, deviations)
    drafts, predicted, note = _draft_plan(overall, shown, target, stage, sections, grid_args)
    index = {id(f): i for i, f in enumerate(shown)}
    steps: list[Step] = []
    step_of: dict[int, Step] = {}
    for order, d in enumerate(drafts, 1):
        because = sorted({index[id(f)] for f in d.findings if id(f) in index})
        step = _STEP_MODELS[d.kind].model_validate({"order": order, "because": because, "kind": d.kind, **d.settings})
        steps.append(step)
        for f in d.findings:
            step_of.setdefault(id(f), step)
    rows = []
    for f in shown:
        owner = step_of.get(id(f))
        action = action_of(owner) if owner is not None else None
        place = owner.order if owner is not None else None
        rows.append(
            Recommendation(
                band=f.band,
                metric=f.metric,
                current=f.current,
                target=f.target,
                deviation=f.deviation,
                tolerance=f.tolerance,
                severity=f.severity,
                message=message(f, genre, level, action, place, note),
                suggested_change_db=None if action is None else _change_of(action),
                action=action,
                step=place,
            )
        )
    return Judgement(rows, Plan(steps=steps, expected=Expected(**predicted)))


def judge_result(
    result: AnalysisResult,
    target: GenreTarget | None,
    *,
    level: Level | str,
    stage: Stage | str = Stage.MASTER,
    lowpass_hz: float | None = None,
    found: Sections | None = None,
) -> Judgement:
    """:func:`judge` on a fresh engine result: its sections, sample rate and long-term spectrum.

    ``found``: the result's sections when the caller has found them already (they are found once).
    """
    if found is None:
        found = find_sections(asdict(result.series), result.audio.duration_s)
    lowpass = lowpass_hz if lowpass_hz is not None else getattr(result.audio, "lowpass_hz", None)
    return judge(
        result.overall,
        result.bands,
        target,
        level=level,
        stage=stage,
        sections=found.sections,
        sample_rate=result.audio.sample_rate,
        spectrum=(result.series.spectrum_freqs_hz, result.series.spectrum_db),
        lowpass_hz=lowpass,
    )


def metrics_from_dicts(
    overall: Mapping[str, Any], bands: Sequence[Mapping[str, Any]]
) -> tuple[OverallMetrics, tuple[BandMetrics, ...]]:
    """The engine's dataclasses from stored numbers (``overall_metrics``, ``band_metrics`` as in
    ``reference_metadata.json`` or the API's JSON); missing fields read None (counts 0)."""
    counts = {"clipped_samples", "clip_events"}
    values: dict[str, Any] = {
        f.name: (overall.get(f.name) or 0) if f.name in counts else overall.get(f.name) for f in fields(OverallMetrics)
    }
    o = OverallMetrics(**values)
    by_name = {b["band"]: b for b in bands}
    out = []
    for name in BAND_NAMES:
        b = by_name.get(name)
        if b is None:
            continue
        row: dict[str, Any] = {f.name: b.get(f.name) for f in fields(BandMetrics)}
        out.append(BandMetrics(**row))
    return o, tuple(out)


def count_findings(judgement: Judgement) -> dict[str, float]:
    """Rows per severity, and the summed absolute EQ gain of the plan (dB, as ``eq_db``)."""
    counts: dict[str, float] = {s.value: sum(r.severity is s for r in judgement.recommendations) for s in Severity}
    counts["eq_db"] = sum(abs(s.gain_db) for s in judgement.plan.steps if isinstance(s, EqStep))
    counts["tonal_critical"] = sum(
        r.severity is Severity.CRITICAL and r.metric is Metric.ENERGY_RATIO for r in judgement.recommendations
    )
    return counts
