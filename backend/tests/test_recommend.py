"""Findings, levels and the plan (SPEC §5) on hand-built analyses.

Targets are built here; expected numbers are worked out from the definitions: shape
deviation (share dB minus the median over the bands), the SPEC §5 move (back inside plus
a quarter of the tolerance, never past the centre), a side gain's width, a limiter's gain
reduction from the true peak and the ceiling.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from amt.analysis.result import BandMetrics, OverallMetrics
from amt.analysis.sections import Section
from amt.api.services.recommend import judge, metrics_from_dicts
from amt.api.services.recommend.model import (
    DynamicsMethod,
    DynamicsStep,
    EqStep,
    Level,
    LimiterStep,
    Metric,
    Severity,
    StereoStep,
)
from amt.api.services.recommend.plan import nudge, side_gain_db, width_after
from amt.config.constants import BAND_NAMES, BANDS, BandTarget, GenreTarget

SHARES = dict(zip(BAND_NAMES, (0.55, 0.2, 0.15, 0.07, 0.03), strict=True))
WIDTHS = dict(zip(BAND_NAMES, (0.02, 0.10, 0.18, 0.22, 0.26), strict=True))
TARGET = GenreTarget(
    genre="Test",
    integrated_lufs=-9.0,
    true_peak_ceiling_dbtp=-1.0,
    lra_lu=(4.0, 8.0),
    dr_db=(5.0, 9.0),
    bands={
        n: BandTarget(
            energy_ratio=SHARES[n], spread_db=4.0, stereo_width=WIDTHS[n], phase_correlation=1 - 2 * WIDTHS[n]
        )
        for n in BAND_NAMES
    },
    source="test",
    loudness_lufs=(-10.5, -7.5),
)
LEVELS = list(Level)


def _overall(**kw: float | int | None) -> OverallMetrics:
    base: dict[str, float | int | None] = {f: None for f in OverallMetrics.__dataclass_fields__}
    base.update(
        integrated_lufs=-9.0,
        true_peak_dbtp=-1.5,
        sample_peak_dbfs=-1.6,
        short_term_max_lufs=-7.0,
        loudness_range_lu=6.0,
        dynamic_range_db=7.0,
        negative_correlation_pct=0.0,
        clipped_samples=0,
        clip_events=0,
        rms_dbfs=-11.0,
        plr_db=7.5,
    )
    base.update(kw)
    return OverallMetrics(**base)  # type: ignore[arg-type]


def _bands(gains_db: dict[str, float] | None = None, **per_band: dict[str, float | None]) -> tuple[BandMetrics, ...]:
    """Bands on target, with ``gains_db`` applied to their power (renormalised, as an EQ does)."""
    gains_db = gains_db or {}
    power = {n: SHARES[n] * 10 ** (gains_db.get(n, 0.0) / 10) for n in BAND_NAMES}
    total = sum(power.values())
    out = []
    for b in BANDS:
        values: dict[str, float | None] = {
            "rms_db": 10 * math.log10(power[b.name]) - 10.0,
            "energy_ratio": power[b.name] / total,
            "stereo_width": WIDTHS[b.name],
            "phase_correlation": 1 - 2 * WIDTHS[b.name],
        }
        values.update(per_band.get(b.name, {}))
        out.append(
            BandMetrics(
                b.name,
                b.low_hz,
                b.high_hz,
                values["rms_db"],
                values["energy_ratio"],
                None,
                None,
                None,
                None,
                None,
                None,
                values["stereo_width"],
                values["phase_correlation"],
            )
        )
    return tuple(out)


def _rows(
    level: Level,
    overall: OverallMetrics | None = None,
    bands: tuple[BandMetrics, ...] | None = None,
    target: GenreTarget | None = TARGET,
    **kw: object,
):  # type: ignore[no-untyped-def]
    return judge(overall or _overall(), bands or _bands(), target, level=level, **kw)  # type: ignore[arg-type]


# --- a master on target -------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_a_master_on_its_target_gets_nothing(level: Level) -> None:
    j = _rows(level)
    assert j.recommendations == [] and j.plan.steps == []


@pytest.mark.parametrize("level", [Level.SUGGESTIVE, Level.PRESCRIPTIVE])
def test_deviations_within_the_tolerance_are_listed_at_informative_only(level: Level) -> None:
    bands = _bands({"mid": 3.0}, mid={"stereo_width": WIDTHS["mid"] + 0.06})
    info = _rows(Level.INFORMATIVE, bands=bands)
    assert {(r.band, r.metric) for r in info.recommendations} >= {
        ("mid", Metric.ENERGY_RATIO),
        ("mid", Metric.STEREO_WIDTH),
    }
    assert all(r.severity is Severity.INFO and r.action is None and r.step is None for r in info.recommendations)
    assert info.plan.steps == []
    assert _rows(level, bands=bands).recommendations == []


# --- tonal shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("gain", "severity"), [(5.0, Severity.WARNING), (-9.0, Severity.CRITICAL)])
def test_a_dominant_band_boosted_reads_as_its_own_gain_and_gets_one_eq_step(gain: float, severity: Severity) -> None:
    j = _rows(Level.PRESCRIPTIVE, bands=_bands({"low": gain}))
    rows = [r for r in j.recommendations if r.metric is Metric.ENERGY_RATIO]
    assert [r.band for r in rows] == ["low"]
    assert rows[0].deviation == pytest.approx(gain, abs=1e-9)  # not the share's change (SPEC §5)
    assert rows[0].severity is severity and rows[0].tolerance == 4.0
    (step,) = [s for s in j.plan.steps if isinstance(s, EqStep)]
    # back inside (|gain| − 4) plus a quarter of the tolerance (1), never past the centre, at most 6 dB: the
    # setting is that move (SPEC §5), and a shelf on the outer band makes it
    assert step.gain_db == pytest.approx(-math.copysign(min(abs(gain) - 3.0, 6.0), gain), abs=0.05)
    assert step.filter == "low shelf" and step.band_move_db == pytest.approx(step.gain_db, abs=1.0)
    assert rows[0].step == step.order and rows[0].action is not None and rows[0].action.kind == "eq"
    assert step.because == [j.recommendations.index(rows[0])]


def test_the_6_db_cap_names_the_rest_as_a_mix_problem() -> None:
    j = _rows(Level.PRESCRIPTIVE, bands=_bands({"low": -14.0}))
    (step,) = [s for s in j.plan.steps if isinstance(s, EqStep)]
    assert step.gain_db == 6.0
    # the band stays 14 dB − the move it gets away from the target: that far outside the 4 dB tolerance
    assert step.left_for_mix_db == pytest.approx(14.0 - step.band_move_db - 4.0, abs=0.15)
    row = next(r for r in j.recommendations if r.metric is Metric.ENERGY_RATIO)
    assert "mix problem" in row.message


@pytest.mark.parametrize(
    ("dev", "tol", "move"), [(8.0, 4.0, -5.0), (-5.0, 4.0, 2.0), (4.5, 4.0, -1.5), (3.0, 4.0, 0.0), (5.0, 0.5, -4.625)]
)
def test_the_move_is_back_inside_plus_a_quarter_tolerance_never_past_the_centre(
    dev: float, tol: float, move: float
) -> None:
    assert nudge(dev, tol) == pytest.approx(move)


def test_inaudible_bands_get_no_advice_and_no_correlation_alarm() -> None:
    # A high band at −88 dBFS, 20 dB below its share's level elsewhere, out of phase: nothing is said about it.
    bands = _bands({"high": -30.0}, high={"rms_db": -88.0, "phase_correlation": -0.6, "stereo_width": 0.8})
    for level in LEVELS:
        j = _rows(level, bands=bands)
        assert not [r for r in j.recommendations if r.band == "high"], level
        assert not [s for s in j.plan.steps if getattr(s, "band", None) == "high"]


def test_a_codec_low_pass_leaves_the_bands_above_it_reported_not_advised() -> None:
    bands = _bands({"high": -10.0})
    j = _rows(Level.PRESCRIPTIVE, bands=bands, lowpass_hz=16000.0)
    assert not [s for s in j.plan.steps if isinstance(s, EqStep)]
    assert [
        r.band
        for r in _rows(Level.INFORMATIVE, bands=bands, lowpass_hz=16000.0).recommendations
        if r.metric is Metric.ENERGY_RATIO
    ] == ["high"]


# --- stereo -------------------------------------------------------------------------------------


def test_width_is_style_warning_at_most_and_one_side_gain_answers_width_and_correlation() -> None:
    w = 0.42
    bands = _bands(low_mid={"stereo_width": w, "phase_correlation": 1 - 2 * w})
    j = _rows(Level.PRESCRIPTIVE, bands=bands)
    rows = [r for r in j.recommendations if r.band == "low_mid"]
    assert {r.metric for r in rows} == {Metric.STEREO_WIDTH, Metric.PHASE_CORRELATION}
    assert all(r.severity is Severity.WARNING for r in rows)
    (step,) = [s for s in j.plan.steps if isinstance(s, StereoStep)]
    assert {r.step for r in rows} == {step.order}
    goal = w + nudge(w - WIDTHS["low_mid"], 0.08)
    assert step.side_gain_db == pytest.approx(side_gain_db(w, goal), abs=0.05)
    assert step.width_after == pytest.approx(width_after(w, step.side_gain_db), abs=1e-3)


def test_a_low_band_out_of_phase_is_critical_and_made_mono_at_every_level() -> None:
    bands = _bands(low={"phase_correlation": -0.3})
    for level in LEVELS:
        row = next(r for r in _rows(level, bands=bands).recommendations if r.band == "low")
        assert row.severity is Severity.CRITICAL
    j = _rows(Level.PRESCRIPTIVE, bands=bands)
    (step,) = [s for s in j.plan.steps if isinstance(s, StereoStep)]
    assert step.band == "low" and step.mono_below_hz == 120.0


# --- loudness, peaks and the one limiter ----------------------------------------------------------


def test_never_louder_inside_the_range_and_never_more_reduction_than_the_peaks_need() -> None:
    # Inside the loudness range, true peak 1.3 dB over the ceiling: the limiter takes exactly that off, no drive.
    j = _rows(Level.PRESCRIPTIVE, overall=_overall(true_peak_dbtp=0.3, dynamic_range_db=10.5))
    (lim,) = [s for s in j.plan.steps if isinstance(s, LimiterStep)]
    assert lim.input_gain_db == 0.0 and lim.expected_gain_reduction_db == pytest.approx(1.3)
    assert j.plan.expected.true_peak_dbtp == -1.0
    assert j.plan.expected.integrated_lufs is not None and j.plan.expected.integrated_lufs <= -9.0


def test_a_quiet_drone_is_raised_with_about_the_reduction_its_peaks_need() -> None:
    # −20 LUFS, true peak −7 dBTP, loud sections 4 dB above integrated: back inside the range is +9.5 + 0.25 LU,
    # and peaks at −7 + 9.75 = +2.75 dBTP need 3.75 dB off: a couple of dB, not "a clipper for 7 dB".
    o = _overall(integrated_lufs=-20.0, true_peak_dbtp=-7.0, short_term_max_lufs=-16.0, dynamic_range_db=7.0)
    j = _rows(Level.PRESCRIPTIVE, overall=o)
    (lim,) = [s for s in j.plan.steps if isinstance(s, LimiterStep)]
    assert lim.input_gain_db == pytest.approx(9.8, abs=0.1)
    assert lim.expected_gain_reduction_db == pytest.approx(-7.0 + lim.input_gain_db + 1.0, abs=0.1)
    loud = next(r for r in j.recommendations if r.metric is Metric.INTEGRATED_LUFS)
    assert loud.severity is Severity.CRITICAL and loud.step == lim.order
    assert j.plan.expected.integrated_lufs == pytest.approx(-20.0 + 9.8, abs=0.2)


def test_loudness_dr_peak_and_clipping_share_one_limiter_decision() -> None:
    o = _overall(integrated_lufs=-5.0, true_peak_dbtp=0.6, dynamic_range_db=3.0, clip_events=12, clipped_samples=40)
    j = _rows(Level.PRESCRIPTIVE, overall=o)
    limiters = [s for s in j.plan.steps if isinstance(s, LimiterStep)]
    assert len(limiters) == 1
    lim = limiters[0]
    assert lim.input_gain_db == pytest.approx(-(-5.0 - (-7.5) + 0.25), abs=0.05)
    metrics = {j.recommendations[i].metric for i in lim.because}
    assert {Metric.INTEGRATED_LUFS, Metric.TRUE_PEAK_DBTP, Metric.CLIP_EVENTS} <= metrics
    changes = {r.suggested_change_db for r in j.recommendations if r.step == lim.order}
    assert changes == {lim.input_gain_db}  # no two rows with different figures for the same move


def test_dr_too_low_backs_the_limiter_off_only_as_far_as_the_loudness_range_allows() -> None:
    j = _rows(Level.PRESCRIPTIVE, overall=_overall(integrated_lufs=-9.5, dynamic_range_db=2.0))
    (lim,) = [s for s in j.plan.steps if isinstance(s, LimiterStep)]
    assert lim.input_gain_db == pytest.approx(-1.0)  # −9.5 LUFS down to the range's bottom, −10.5
    at_bottom = _rows(Level.PRESCRIPTIVE, overall=_overall(integrated_lufs=-10.5, dynamic_range_db=2.0))
    assert not [s for s in at_bottom.plan.steps if isinstance(s, LimiterStep)]


def test_the_limiter_backs_off_rather_than_push_dr_under_its_range() -> None:
    # At the centre (−9 LUFS), DR 7 dB inside 5–9, true peak +2 dBTP: taking the 3 dB over the ceiling off the
    # peaks alone would leave DR 4 dB (the loud body sits 9 − 3 = 6 dB under the peak: no loudness taken). The
    # input comes down until DR after is back inside by a quarter of the range's half-width, 5.5 dB: 1.5 dB less
    # gain reduction, so input −1.5 dB, which the loudness range allows (−10.5 LUFS is its bottom).
    o = _overall(true_peak_dbtp=2.0, short_term_max_lufs=-7.0, dynamic_range_db=7.0)
    j = _rows(Level.PRESCRIPTIVE, overall=o)
    (lim,) = [s for s in j.plan.steps if isinstance(s, LimiterStep)]
    assert lim.input_gain_db == pytest.approx(-1.5) and lim.expected_gain_reduction_db == pytest.approx(1.5)
    assert j.plan.expected.dynamic_range_db == pytest.approx(5.5)
    assert j.plan.expected.integrated_lufs == pytest.approx(-10.5)
    assert j.plan.expected.true_peak_dbtp == -1.0
    peak = next(r for r in j.recommendations if r.metric is Metric.TRUE_PEAK_DBTP)
    assert peak.step == lim.order and "leaves DR inside" in peak.message
    # Half a dB above the loudness range's bottom, it backs off half a dB and no further.
    o = _overall(integrated_lufs=-10.0, true_peak_dbtp=2.0, short_term_max_lufs=-7.0, dynamic_range_db=7.0)
    (lim,) = [s for s in _rows(Level.PRESCRIPTIVE, overall=o).plan.steps if isinstance(s, LimiterStep)]
    assert lim.input_gain_db == pytest.approx(-0.5) and lim.expected_gain_reduction_db == pytest.approx(2.5)


def test_mix_stage_checks_headroom_and_keeps_loudness_informational() -> None:
    o = _overall(integrated_lufs=-14.0, sample_peak_dbfs=-1.0, true_peak_dbtp=-1.2)
    j = _rows(Level.PRESCRIPTIVE, overall=o, stage="mix")
    loud = [r for r in j.recommendations if r.metric is Metric.INTEGRATED_LUFS]
    assert loud == []  # informational: listed at informative only
    info = _rows(Level.INFORMATIVE, overall=o, stage="mix").recommendations
    assert next(r for r in info if r.metric is Metric.INTEGRATED_LUFS).severity is Severity.INFO
    assert [s.kind for s in j.plan.steps] == ["gain"]
    assert j.plan.steps[0].gain_db == pytest.approx(-2.0)  # type: ignore[union-attr]


@pytest.mark.parametrize("level", LEVELS)
def test_always_flagged_without_a_genre(level: Level) -> None:
    o = _overall(true_peak_dbtp=0.4, clip_events=3, clipped_samples=12, negative_correlation_pct=8.0)
    j = _rows(level, overall=o, bands=_bands(low={"phase_correlation": -0.2}), target=None)
    assert {r.metric for r in j.recommendations} == {
        Metric.TRUE_PEAK_DBTP,
        Metric.CLIP_EVENTS,
        Metric.NEGATIVE_CORRELATION_PCT,
        Metric.PHASE_CORRELATION,
    }
    assert (j.plan.steps == []) == (level is Level.INFORMATIVE)


# --- dynamics -----------------------------------------------------------------------------------


def test_lra_below_the_range_automates_only_the_sections_that_exist() -> None:
    o = _overall(loudness_range_lu=1.0)
    assert not [s for s in _rows(Level.PRESCRIPTIVE, overall=o).plan.steps if isinstance(s, DynamicsStep)]
    sections = [
        Section("intro", 0.0, 20.0, -14.0, {}),
        Section("drop", 20.0, 60.0, -8.0, {}),
        Section("breakdown", 60.0, 80.0, -13.0, {}),
    ]
    j = _rows(Level.PRESCRIPTIVE, overall=o, sections=sections)
    (dyn,) = [s for s in j.plan.steps if isinstance(s, DynamicsStep)]
    assert dyn.method is DynamicsMethod.VOLUME_AUTOMATION
    assert [(s.kind, s.start_s) for s in dyn.sections] == [("intro", 0.0), ("breakdown", 60.0)]
    assert dyn.gain_change_db == pytest.approx(-(4.0 - 1.0 + 0.5))  # to the range's edge + a quarter of 2 LU


def test_lra_above_the_range_is_bus_compression_to_just_inside_it() -> None:
    j = _rows(Level.PRESCRIPTIVE, overall=_overall(loudness_range_lu=12.0))
    (dyn,) = [s for s in j.plan.steps if isinstance(s, DynamicsStep)]
    assert dyn.method is DynamicsMethod.BUS_COMPRESSION
    assert dyn.expected_lra_lu == pytest.approx(12.0 - (12.0 - 8.0 + 0.5))
    assert dyn.ratio == pytest.approx(12.0 / 7.5, abs=0.01)


# --- the same plan at both acting levels, stored numbers ------------------------------------------


def test_suggestive_and_prescriptive_share_one_plan_worded_differently() -> None:
    o = _overall(integrated_lufs=-5.0, true_peak_dbtp=0.6)
    bands = _bands({"mid": 7.0})
    sug, pre = _rows(Level.SUGGESTIVE, overall=o, bands=bands), _rows(Level.PRESCRIPTIVE, overall=o, bands=bands)
    assert sug.plan == pre.plan and [r.metric for r in sug.recommendations] == [r.metric for r in pre.recommendations]
    assert [r.message for r in sug.recommendations] != [r.message for r in pre.recommendations]
    eq = next(r for r in pre.recommendations if r.metric is Metric.ENERGY_RATIO)
    assert "EQ: bell" in eq.message and "Q " in eq.message


def test_judge_on_stored_numbers_equals_judge_on_the_dataclasses() -> None:
    o, bands = _overall(integrated_lufs=-5.0), _bands({"mid": 7.0})
    stored = (
        {k: getattr(o, k) for k in OverallMetrics.__dataclass_fields__},
        [{k: getattr(b, k) for k in BandMetrics.__dataclass_fields__} for b in bands],
    )
    o2, b2 = metrics_from_dicts(*stored)
    assert o2 == o and b2 == bands
    assert judge(o2, b2, TARGET, level="prescriptive") == judge(o, bands, TARGET, level="prescriptive")
    assert replace(o, clip_events=0) == o


def test_a_middle_band_move_one_bell_cannot_make_is_cut_back_and_the_rest_named() -> None:
    j = _rows(Level.PRESCRIPTIVE, bands=_bands({"mid": -9.0}))
    (step,) = [s for s in j.plan.steps if isinstance(s, EqStep)]
    assert step.filter == "bell" and 0.5 <= step.gain_db < 6.0  # a single bell set to +6 dB spreads too far
    assert step.band_move_db == pytest.approx(step.gain_db, abs=1.0)  # SPEC §5's rule for what is asked
    assert step.left_for_mix_db == pytest.approx(9.0 - step.band_move_db - 4.0, abs=0.15)
    row = next(r for r in j.recommendations if r.metric is Metric.ENERGY_RATIO)
    assert "what the EQ can do here" in row.message and "mix problem" in row.message
