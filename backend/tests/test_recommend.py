"""Recommendations (SPEC §5) on one hand-built analysis at every level."""

from __future__ import annotations

import math

import pytest

from api.services.recommend import recommend
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


def test_informative_lists_every_deviation_beyond_half_a_db_without_action() -> None:
    overall, bands = _analysis(RATIOS)
    items = recommend(overall, bands, TARGET, level="informative")
    energy = _energy(items)
    assert set(energy) == {"low", "low_mid"}  # 1.76 and 3.01 dB; 0.41 and 0.46 dB are below 0.5 dB
    assert energy["low"].deviation == pytest.approx(10 * math.log10(1.5), abs=1e-9)
    assert all(i.suggested_change_db is None and i.action is None for i in energy.values())
    assert energy["low"].severity == "warning" and energy["low_mid"].severity == "warning"


def test_suggestive_acts_beyond_max_of_1_5_db_and_one_spread_with_a_range_in_words() -> None:
    overall, bands = _analysis(RATIOS)
    energy = _energy(recommend(overall, bands, TARGET, level="suggestive"))
    assert set(energy) == {"low", "low_mid"}
    assert "Boost 2.5–3.5 dB around 316 Hz with a wide bell"  # brackets 3.01 in energy["low_mid"].message
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
    assert "Q 1.05" in energy["low_mid"].message


@pytest.mark.parametrize("level", ["informative", "suggestive", "prescriptive"])
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


def test_loudness_severity_uses_lu_thresholds() -> None:
    for lufs, severity in ((-8.6, None), (-9.5, "warning"), (-10.6, "warning"), (-11.5, "critical")):
        overall, bands = _analysis({}, integrated_lufs=lufs)
        items = {i.metric: i for i in recommend(overall, bands, TARGET, level="suggestive")}
        assert (items["integrated_lufs"].severity if "integrated_lufs" in items else None) == severity, lufs


def test_stereo_deviation_thresholds() -> None:
    overall, bands = _analysis({})
    bands[2]["stereo_width"] = 0.18  # +0.08: listed (> 0.05) but no action (< 0.1)
    bands[3]["stereo_width"] = 0.35  # +0.25: acted on
    info = {(i.band, i.metric) for i in recommend(overall, bands, TARGET, level="informative")}
    sugg = {(i.band, i.metric) for i in recommend(overall, bands, TARGET, level="suggestive")}
    assert ("mid", "stereo_width") in info and ("high_mid", "stereo_width") in info
    assert ("mid", "stereo_width") not in sugg and ("high_mid", "stereo_width") in sugg


def test_fallback_targets_have_five_bands_summing_to_one() -> None:
    for target in FALLBACK_REFERENCE_TARGETS.values():
        assert list(target.bands) == list(BAND_NAMES)
        assert sum(b.energy_ratio for b in target.bands.values()) == pytest.approx(1.0)
