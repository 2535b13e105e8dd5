"""Recommendations (SPEC §5) on hand-built analyses at every level.

Expected numbers are worked out here from the definitions: band deviation
10·log10(share / target share), width w = ΣS² / (ΣM² + ΣS²) (checked against the
engine's own ``stereo_image``), a compressor's gain reduction above its threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from analysis.bands import stereo_image
from api.services.recommend import left_right_difference_db, recommend, side_gain_db, width_after
from api.services.wording import db_range, num
from config.constants import BAND_NAMES, FALLBACK_REFERENCE_TARGETS, BandTarget, GenreTarget

TARGET = GenreTarget(
    genre="Techno",
    integrated_lufs=-8.0,
    true_peak_ceiling_dbtp=-1.0,
    lra_lu=(3.0, 7.0),
    dr_db=(6.0, 9.0),
    bands={
        name: BandTarget(energy_ratio=0.2, spread_db=1.0, stereo_width=0.1, phase_correlation=0.8)
        for name in BAND_NAMES
    },
    source="test",
)
LEVELS = ("informative", "suggestive", "prescriptive")
RANGE = re.compile(r"\d+(\.\d)?–\d+(\.\d)? dB")


def _analysis(ratios: dict[str, float], **overall: float | int | None) -> tuple[dict, list[dict]]:
    base: dict[str, float | int | None] = {
        "integrated_lufs": -8.2,
        "true_peak_dbtp": -1.2,
        "sample_peak_dbfs": -1.5,
        "loudness_range_lu": 5.0,
        "dynamic_range_db": 7.0,
        "clip_events": 0,
        "clipped_samples": 0,
        "negative_correlation_pct": 0.0,
    }
    base.update(overall)
    bands = [
        {"band": n, "energy_ratio": ratios.get(n, 0.2), "stereo_width": 0.1, "phase_correlation": 0.8}
        for n in BAND_NAMES
    ]
    return base, bands


# low band 0.2 → 10·log10(0.3/0.2) = +1.76 dB; high band 10·log10(0.18/0.2) = −0.46 dB;
# mid 10·log10(0.22/0.2)= +0.41 dB; low_mid 10·log10(0.1/0.2) = −3.01 dB; high_mid 0.2 → 0.
RATIOS = {"low": 0.3, "low_mid": 0.1, "mid": 0.22, "high_mid": 0.2, "high": 0.18}


def _energy(items: list) -> dict[str, object]:
    return {i.band: i for i in items if i.metric == "energy_ratio"}


def _busy_analysis() -> tuple[dict, list[dict]]:
    """Every kind of row at once: always-flagged checks, loudness, LRA, DR, EQ and stereo."""
    overall, bands = _analysis(
        RATIOS, integrated_lufs=-4.5, true_peak_dbtp=0.4, clip_events=3, clipped_samples=12,
        loudness_range_lu=11.0, dynamic_range_db=4.0, negative_correlation_pct=8.0,
    )
    bands[0]["phase_correlation"] = -0.3
    bands[1].update(stereo_width=0.42, phase_correlation=0.16)
    bands[2].update(stereo_width=0.18, phase_correlation=0.64)
    return overall, bands


# ---------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------


def test_informative_lists_every_deviation_beyond_half_a_db_without_action() -> None:
    overall, bands = _analysis(RATIOS)
    items = recommend(overall, bands, TARGET, level="informative")
    energy = _energy(items)
    assert set(energy) == {"low", "low_mid"}  # 1.76 and 3.01 dB; 0.41 and 0.46 dB are below 0.5 dB
    assert energy["low"].deviation == pytest.approx(10 * math.log10(1.5), abs=1e-9)
    assert energy["low"].severity == "warning" and energy["low_mid"].severity == "warning"


def test_informative_has_no_action_and_no_change_on_any_row_even_the_always_flagged() -> None:
    overall, bands = _busy_analysis()
    items = recommend(overall, bands, TARGET, level="informative")
    metrics = {(i.band, i.metric) for i in items}
    assert {("overall", "true_peak_dbtp"), ("overall", "clip_events"), ("low", "phase_correlation"),
            ("overall", "negative_correlation_pct"), ("overall", "integrated_lufs")} <= metrics
    assert all(i.action is None and i.suggested_change_db is None for i in items)
    # The problem is stated with its numbers: +0.4 dBTP is 1.4 dB over −1 dBTP.
    tp = next(i for i in items if i.metric == "true_peak_dbtp")
    assert "+0.40 dBTP" in tp.message and "1.40 dB over" in tp.message
    clip = next(i for i in items if i.metric == "clip_events")
    assert "3 clipped passages" in clip.message and "12 samples" in clip.message


def test_the_three_levels_differ_as_spec_section_5_says_on_the_same_analysis() -> None:
    overall, bands = _busy_analysis()
    rows = {level: recommend(overall, bands, TARGET, level=level) for level in LEVELS}
    keys = {level: {(i.band, i.metric) for i in items} for level, items in rows.items()}
    # Informative and prescriptive list the same deviations (beyond 0.5 dB / 0.05); suggestive only those
    # beyond max(1.5 dB, one spread) or 0.1: the 1.76 dB low band (spread 1 dB) stays, nothing is added.
    assert keys["informative"] == keys["prescriptive"]
    assert keys["suggestive"] <= keys["informative"]
    assert ("mid", "stereo_width") in keys["informative"] and ("mid", "stereo_width") not in keys["suggestive"]
    # 0.18 − 0.10 = 0.08: listed, not acted on at suggestive.
    assert not any(i.action for i in rows["suggestive"])
    for item in rows["suggestive"]:
        if item.suggested_change_db is not None and item.metric != "true_peak_dbtp":
            assert RANGE.search(item.message), item.message  # every suggested amount comes as a range
    # Prescriptive: concrete settings on every row except the ones no setting on a master can fix
    # (phase problems in the mix) and correlation rows that point at their band's width row.
    for item in rows["prescriptive"]:
        if item.metric == "negative_correlation_pct" or "follows from the width" in item.message:
            continue
        assert item.action is not None, item.message


def test_suggestive_acts_beyond_max_of_1_5_db_and_one_spread_with_a_range_in_words() -> None:
    overall, bands = _analysis(RATIOS)
    energy = _energy(recommend(overall, bands, TARGET, level="suggestive"))
    assert set(energy) == {"low", "low_mid"}
    # −3.01 dB: boost 3 dB, rounded to 0.5 dB and ±0.5 dB.
    assert "Boost 2.5–3.5 dB around 316 Hz with a wide bell." in energy["low_mid"].message
    assert energy["low_mid"].suggested_change_db == pytest.approx(3.0)
    # +1.76 dB: cut 1.8 dB, which "1.5–2.5 dB" brackets.
    assert "Cut 1.5–2.5 dB around 100 Hz with a low shelf." in energy["low"].message
    assert energy["low"].suggested_change_db == pytest.approx(-1.8)
    wide = GenreTarget(**{**vars(TARGET), "bands": {n: BandTarget(0.2, 2.0, 0.1, 0.8) for n in BAND_NAMES}})
    energy_wide = _energy(recommend(overall, bands, wide, level="suggestive"))
    assert set(energy_wide) == {"low_mid"}  # 1.76 dB is inside a 2 dB spread


def test_prescriptive_gives_concrete_settings_for_every_deviation_beyond_half_a_db() -> None:
    overall, bands = _analysis(RATIOS)
    energy = _energy(recommend(overall, bands, TARGET, level="prescriptive"))
    assert set(energy) == {"low", "low_mid"}
    low = energy["low"].action
    assert low == {"type": "eq", "filter": "low shelf", "frequency_hz": 100.0, "gain_db": -1.8, "q": 0.7}
    assert energy["low_mid"].action["gain_db"] == pytest.approx(3.0)
    assert "Q 1.05" in energy["low_mid"].message and "+3.0 dB" in energy["low_mid"].message


# ---------------------------------------------------------------------------
# EQ amounts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["suggestive", "prescriptive"])
def test_an_eq_move_stops_at_6_db_and_the_rest_is_left_to_the_mix(level: str) -> None:
    # low_mid 0.01 against 0.2: 10·log10(0.05) = −13.01 dB, far beyond a 6 dB mastering move.
    overall, bands = _analysis({"low_mid": 0.01})
    row = _energy(recommend(overall, bands, TARGET, level=level))["low_mid"]
    assert row.deviation == pytest.approx(-13.01, abs=0.01)
    assert row.suggested_change_db == pytest.approx(6.0)
    assert "mix" in row.message
    if level == "suggestive":
        assert "5–6 dB around 316 Hz" in row.message
    else:
        assert row.action["gain_db"] == row.suggested_change_db
        assert row.action["left_for_mix_db"] == pytest.approx(7.0)  # 13.01 − 6
        assert "+6.0 dB" in row.message and "7.0 dB in the mix" in row.message


@pytest.mark.parametrize("level", ["suggestive", "prescriptive"])
def test_suggested_change_is_the_change_in_the_message(level: str) -> None:
    overall, bands = _busy_analysis()
    for item in recommend(overall, bands, TARGET, level=level):
        if item.suggested_change_db is None:
            continue
        amount = abs(item.suggested_change_db)
        if level == "prescriptive":
            # As a signed gain ("−1.9 dB") or as gain reduction / peak reduction ("4.0 dB of gain reduction").
            assert f"{amount:.1f} dB" in item.message or f"{amount:.2f} dB" in item.message, item.message
        else:
            lo, hi = (float(x) for x in RANGE.search(item.message).group(0)[:-3].split("–"))
            assert lo <= round(amount, 1) <= hi, item.message


# ---------------------------------------------------------------------------
# Ranges in words
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "words"), [
    (2.3, "2–3 dB"), (1.6, "1–2 dB"), (3.01, "2.5–3.5 dB"), (1.76, "1.5–2.5 dB"), (1.9, "1.5–2.5 dB"),
    (0.6, "0.5–1 dB"), (4.0, "3.5–4.5 dB"),
])
def test_a_range_is_the_amount_rounded_to_half_a_db_plus_minus_half_a_db(amount: float, words: str) -> None:
    assert db_range(amount) == words


def test_a_minimum_starts_the_range_and_a_cap_ends_it() -> None:
    assert db_range(2.0, at_least=True) == "2–3 dB"
    assert db_range(1.4, at_least=True) == "1.5–2.5 dB"
    assert db_range(6.0, cap_db=6.0) == "5–6 dB"
    assert db_range(5.8, cap_db=6.0) == "5–6 dB"


@pytest.mark.parametrize("amount", [0.55, 0.8, 1.24, 1.25, 1.26, 2.49, 2.75, 3.3, 5.99, 9.4])
def test_a_range_always_contains_its_amount(amount: float) -> None:
    lo, hi = (float(x) for x in db_range(amount)[:-3].split("–"))
    assert lo <= amount <= hi and (hi - lo == pytest.approx(1.0) or (lo, hi) == (0.5, 1.0))


def test_numbers_in_words_have_a_true_minus_and_no_negative_zero() -> None:
    assert num(-0.04) == "0.0" and num(-0.004, 2) == "0.00" and num(0.0, signed=True) == "0.0"
    assert num(-3.0) == "\u22123.0" and num(0.4, signed=True) == "+0.4"


# ---------------------------------------------------------------------------
# Stereo
# ---------------------------------------------------------------------------


def _width_from_mid_side(mid_energy: float, side_energy: float) -> float:
    """Width through the engine's own L/R formula, with L = M + S and R = M − S (M, S uncorrelated)."""
    energy_l = energy_r = mid_energy + side_energy
    return stereo_image(energy_l, energy_r, mid_energy - side_energy).width or 0.0


@pytest.mark.parametrize(("width", "target"), [(0.42, 0.22), (0.1, 0.3), (0.5, 0.05), (0.02, 0.01)])
def test_side_gain_moves_the_width_exactly_to_the_target(width: float, target: float) -> None:
    gain = side_gain_db(width, target)
    assert gain is not None
    side_after = width * 10 ** (gain / 10)  # ΣM² = 1 − w stays, ΣS² = w scales by g²
    assert _width_from_mid_side(1.0 - width, side_after) == pytest.approx(target, abs=1e-9)
    assert width_after(width, gain) == pytest.approx(target, abs=1e-12)


def test_width_0_42_to_0_22_is_a_side_cut_of_4_1_db() -> None:
    # g² = 0.22·0.58 / (0.42·0.78) = 0.3895 → 10·log10 = −4.09 dB (0.624 in amplitude, a 38 % cut).
    assert side_gain_db(0.42, 0.22) == pytest.approx(10 * math.log10(0.22 * 0.58 / (0.42 * 0.78)))
    assert side_gain_db(0.42, 0.22) == pytest.approx(-4.09, abs=0.01)
    assert side_gain_db(0.0, 0.2) is None  # a mono band has no side to raise


@pytest.mark.parametrize("level", ["suggestive", "prescriptive"])
def test_width_and_correlation_of_one_band_make_one_recommendation(level: str) -> None:
    overall, bands = _analysis({})
    bands[1].update(stereo_width=0.42, phase_correlation=1 - 2 * 0.42)  # balanced channels: ρ = 1 − 2w
    target = replace(TARGET, bands={**TARGET.bands, "low_mid": BandTarget(0.2, 1.0, 0.22, 1 - 2 * 0.22)})
    rows = {i.metric: i for i in recommend(overall, bands, target, level=level) if i.band == "low_mid"}
    width, corr = rows["stereo_width"], rows["phase_correlation"]
    assert width.suggested_change_db == pytest.approx(-4.1)
    assert "%" not in width.message
    if level == "prescriptive":
        assert width.action["side_gain_db"] == pytest.approx(-4.1)
        assert width.action["width_to"] == pytest.approx(0.22, abs=0.005)
        assert "side channel −4.1 dB" in width.message
    else:
        assert "3.5–4.5 dB" in width.message
    # The correlation row points at the width row: no second figure, no second action.
    assert corr.action is None and corr.suggested_change_db is None
    assert "follows from the width" in corr.message and "−4.1 dB" in corr.message
    assert "0.56" in corr.message  # 1 − 2·0.22: where the side cut brings the correlation


def test_a_correlation_off_target_with_the_width_on_target_points_at_a_left_right_imbalance() -> None:
    # L = x, R = x/2 (fully correlated): ΣL² = 1, ΣR² = 0.25, ΣL·R = 0.5 → width 0.1, correlation 1, 6.02 dB apart.
    image = stereo_image(1.0, 0.25, 0.5)
    assert image.width == pytest.approx(0.1) and image.correlation == pytest.approx(1.0)
    assert left_right_difference_db(0.1, 1.0) == pytest.approx(20 * math.log10(2.0))
    assert left_right_difference_db(0.1, 0.8) == pytest.approx(0.0, abs=1e-9)  # balanced: ρ = 1 − 2w
    overall, bands = _analysis({})
    bands[3].update(stereo_width=image.width, phase_correlation=image.correlation)
    row = next(i for i in recommend(overall, bands, TARGET, level="prescriptive")
               if i.band == "high_mid" and i.metric == "phase_correlation")
    assert row.action == {"type": "balance", "band": "high_mid", "louder_channel_gain_db": -6.0}
    assert "6.0 dB" in row.message


def test_stereo_deviation_thresholds() -> None:
    overall, bands = _analysis({})
    bands[2]["stereo_width"] = 0.18  # +0.08: listed (> 0.05) but no action (< 0.1)
    bands[3]["stereo_width"] = 0.35  # +0.25: acted on
    info = {(i.band, i.metric) for i in recommend(overall, bands, TARGET, level="informative")}
    sugg = {(i.band, i.metric) for i in recommend(overall, bands, TARGET, level="suggestive")}
    assert ("mid", "stereo_width") in info and ("high_mid", "stereo_width") in info
    assert ("mid", "stereo_width") not in sugg and ("high_mid", "stereo_width") in sugg


# ---------------------------------------------------------------------------
# Loudness, LRA, DR
# ---------------------------------------------------------------------------


def test_lra_above_the_range_gets_a_compressor_that_takes_the_excess_off_the_loudest_sections() -> None:
    overall, bands = _analysis({}, loudness_range_lu=11.0)
    row = next(i for i in recommend(overall, bands, TARGET, level="prescriptive") if i.metric == "loudness_range_lu")
    # Threshold at the quietest sections: the loudest, 11 LU above, come out 11/R above, and 11/R = 7 LU
    # (the top of the 3–7 LU range) gives R = 11/7 = 1.57 and 4 dB of gain reduction.
    assert row.deviation == pytest.approx(4.0)
    assert row.action["type"] == "compressor"
    assert row.action["ratio"] == pytest.approx(round(11 / 7, 1))
    assert row.action["gain_reduction_db"] == pytest.approx(4.0)
    assert row.action["attack_ms"] > 0 and row.action["release_ms"] > 0
    assert row.suggested_change_db == pytest.approx(-4.0)
    sugg = next(i for i in recommend(overall, bands, TARGET, level="suggestive") if i.metric == "loudness_range_lu")
    assert "3.5–4.5 dB" in sugg.message and sugg.action is None
    # The ratio range in words goes with that range: 11/(11 − 3.5) = 1.47 … 11/(11 − 4.5) = 1.69.
    assert "1.5–1.7:1" in sugg.message


def test_lra_below_the_range_gets_automation_of_the_quiet_sections() -> None:
    overall, bands = _analysis({}, loudness_range_lu=1.0)
    row = next(i for i in recommend(overall, bands, TARGET, level="prescriptive") if i.metric == "loudness_range_lu")
    assert row.deviation == pytest.approx(-2.0)  # 1 LU against the bottom of 3–7 LU
    assert row.action == {"type": "automation", "quiet_sections_gain_db": -2.0, "expected_lra_lu": 3.0}


@pytest.mark.parametrize(("dr", "gain", "expected_dr"), [(4.0, -2.0, 6.0), (12.0, 3.0, 9.0)])
def test_dr_outside_the_range_moves_the_limiter_input_by_the_difference(dr: float, gain: float,
                                                                        expected_dr: float) -> None:
    overall, bands = _analysis({}, dynamic_range_db=dr)
    row = next(i for i in recommend(overall, bands, TARGET, level="prescriptive") if i.metric == "dynamic_range_db")
    assert row.action == {"type": "limiter", "gain_db": gain, "expected_dr_db": expected_dr}
    assert row.suggested_change_db == pytest.approx(gain)
    assert f"input gain {num(gain, signed=True)} dB" in row.message


def test_loudness_rows_carry_a_limiter_gain_and_a_ceiling_and_a_range_in_words() -> None:
    overall, bands = _analysis({}, integrated_lufs=-6.1, true_peak_dbtp=-2.5)
    pres = next(i for i in recommend(overall, bands, TARGET, level="prescriptive") if i.metric == "integrated_lufs")
    # 1.9 LU over a −8 LUFS target; a master that ends louder than −14 LUFS gets the −2 dBTP ceiling
    # Spotify asks of loud masters.
    assert pres.action == {"type": "limiter", "gain_db": -1.9, "ceiling_dbtp": -2.0, "true_peak": True}
    sugg = next(i for i in recommend(overall, bands, TARGET, level="suggestive") if i.metric == "integrated_lufs")
    assert "1.5–2.5 dB" in sugg.message and sugg.suggested_change_db == pytest.approx(-1.9)


def test_loudness_severity_uses_lu_thresholds() -> None:
    for lufs, severity in ((-8.6, None), (-9.5, "warning"), (-10.6, "warning"), (-11.5, "critical")):
        overall, bands = _analysis({}, integrated_lufs=lufs)
        items = {i.metric: i for i in recommend(overall, bands, TARGET, level="suggestive")}
        assert (items["integrated_lufs"].severity if "integrated_lufs" in items else None) == severity, lufs


# ---------------------------------------------------------------------------
# Always flagged, stage, wording
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_always_flagged_at_every_level(level: str) -> None:
    overall, bands = _analysis(
        {}, true_peak_dbtp=0.4, clip_events=3, clipped_samples=12, integrated_lufs=-12.5, negative_correlation_pct=8.0
    )
    bands[0]["phase_correlation"] = -0.3
    items = recommend(overall, bands, TARGET, level=level)
    metrics = {(i.band, i.metric): i for i in items}
    assert metrics[("overall", "true_peak_dbtp")].severity == "critical"
    assert metrics[("overall", "clip_events")].current == 3
    assert metrics[("low", "phase_correlation")].severity == "critical"
    assert ("overall", "negative_correlation_pct") in metrics
    loud = metrics[("overall", "integrated_lufs")]
    assert loud.deviation == pytest.approx(-4.5) and loud.severity == "critical"
    assert items[0].severity == "critical"


@pytest.mark.parametrize(("lufs", "ceiling"), [(-16.0, -1.0), (-8.2, -2.0)])
def test_the_true_peak_ceiling_follows_the_masters_loudness(lufs: float, ceiling: float) -> None:
    overall, bands = _analysis({}, integrated_lufs=lufs, true_peak_dbtp=0.4)
    row = next(i for i in recommend(overall, bands, None, level="prescriptive") if i.metric == "true_peak_dbtp")
    assert row.action == {"type": "limiter", "ceiling_dbtp": ceiling, "true_peak": True}
    assert row.suggested_change_db == pytest.approx(ceiling - 0.4)


def test_without_genre_only_the_always_flagged_checks() -> None:
    overall, bands = _analysis(RATIOS, true_peak_dbtp=-0.5)
    items = recommend(overall, bands, None, level="prescriptive")
    assert [(i.band, i.metric) for i in items] == [("overall", "true_peak_dbtp")]
    assert items[0].severity == "warning"


def test_mix_stage_checks_headroom_and_keeps_loudness_informational() -> None:
    overall, bands = _analysis({}, integrated_lufs=-14.0, sample_peak_dbfs=-1.0, true_peak_dbtp=-1.1)
    items = recommend(overall, bands, TARGET, level="prescriptive", stage="mix")
    by_metric = {i.metric: i for i in items}
    assert by_metric["integrated_lufs"].severity == "info" and by_metric["integrated_lufs"].action is None
    headroom = by_metric["sample_peak_dbfs"]
    assert headroom.deviation == pytest.approx(2.0) and headroom.suggested_change_db == pytest.approx(-2.0)
    sugg = {i.metric: i for i in recommend(overall, bands, TARGET, level="suggestive", stage="mix")}
    assert "by 2–3 dB" in sugg["sample_peak_dbfs"].message  # at least the 2 dB that −1 dBFS is over −3 dBFS


@pytest.mark.parametrize("level", LEVELS)
def test_messages_carry_units_a_true_minus_and_no_negative_zero(level: str) -> None:
    overall, bands = _busy_analysis()
    bands[4].update(stereo_width=0.0, phase_correlation=-0.001)
    for item in recommend(overall, bands, TARGET, level=level):
        assert not re.search(r"-\d", item.message), item.message  # ASCII hyphen before a number
        assert not re.search(r"[−-]0\.0+(?![0-9])", item.message), item.message  # no "−0.0"
        assert re.search(r"\d", item.message), item.message


def test_fallback_targets_have_five_bands_summing_to_one() -> None:
    for target in FALLBACK_REFERENCE_TARGETS.values():
        assert list(target.bands) == list(BAND_NAMES)
        assert sum(b.energy_ratio for b in target.bands.values()) == pytest.approx(1.0)
