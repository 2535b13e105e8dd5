"""The real reference corpus (SPEC §6) and the targets measured on it (SPEC §5).

The corpus ships numbers measured on real, freely licensed tracks of Debian packages.
These tests check its schema and attribution, recompute the targets from the shipped
numbers with plain numpy, calibrate them leave-one-out, and (when apt can fetch packages)
rebuild one small package end to end and compare it with what is shipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from amt.analysis.result import ENGINE_VERSION, BandMetrics, OverallMetrics
from amt.api.services.calibration import leave_one_out, share_inside
from amt.api.services.corpus import CORPUS_PATH, MIN_OWN_CENTRE, MIN_OWN_TRACKS, corpus_target, load_corpus
from amt.api.services.deviation import shape_deviations
from amt.api.services.recommend import judge, metrics_from_dicts
from amt.api.services.recommend.model import DynamicsStep, EqStep, LimiterStep, StepKind
from amt.config.constants import (
    BAND_NAMES,
    DOCUMENTED_LOUDNESS,
    GENRE_FAMILY,
    MIN_LOUDNESS_TOLERANCE_LU,
    MIN_SHAPE_TOLERANCE_DB,
    MIN_STEREO_TOLERANCE,
)
from amt.ml.feature_extraction import FEATURE_VERSION
from amt.scripts.build_reference_corpus import MIN_TRACK_S, PACKAGE_NAMES

BACKEND = Path(__file__).resolve().parents[1]
TRACKS = load_corpus()
SMALL_PACKAGE = "lincity-ng-data"
"""A package of three tracks (45 MB): the end-to-end build fetches and analyses it in under a minute."""


def test_the_corpus_is_real_and_large_enough() -> None:
    assert len(TRACKS) >= 150
    assert {t["package"] for t in TRACKS} <= set(PACKAGE_NAMES)
    assert len({t["id"] for t in TRACKS}) == len(TRACKS)


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t["path"].rsplit("/", 1)[-1])
def test_every_track_is_attributed_and_whole(track: dict) -> None:
    for key in ("title", "artist", "package", "package_version", "path", "licence", "genre", "genre_basis"):
        assert isinstance(track[key], str) and track[key].strip(), key
    assert track["genre"] in GENRE_FAMILY
    assert track["family"] == GENRE_FAMILY[track["genre"]].value
    assert track["audio"]["duration_s"] >= MIN_TRACK_S
    assert set(track["overall_metrics"]) == {f.name for f in _fields(OverallMetrics)}
    assert [b["band"] for b in track["band_metrics"]] == list(BAND_NAMES)
    assert all(set(b) == {f.name for f in _fields(BandMetrics)} for b in track["band_metrics"])
    assert len(track["feature_vector"]) == 128
    assert track["feature_version"] == FEATURE_VERSION


def _fields(cls: type) -> tuple:
    import dataclasses

    return dataclasses.fields(cls)


def test_the_attribution_file_names_every_track() -> None:
    text = (CORPUS_PATH.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for t in TRACKS:
        assert t["path"] in text and t["licence"] in text


def test_the_shipped_numbers_come_from_this_engine() -> None:
    document = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))
    assert document["engine_version"] == ENGINE_VERSION
    assert {t["engine_version"] for t in TRACKS} == {ENGINE_VERSION}


def _spread(values: list[float]) -> float:
    """The documented real spread: the larger of IQR/1.349 × 1.2816 and the 80th percentile of |x − median|."""
    x = np.asarray(values)
    q1, q3 = np.percentile(x, [25, 75])
    return max(1.2816 * float(q3 - q1) / 1.349, float(np.percentile(np.abs(x - np.median(x)), 80)))


@pytest.mark.parametrize("genre", sorted({t["genre"] for t in TRACKS}))
def test_targets_recomputed_from_the_shipped_numbers(genre: str) -> None:
    target = corpus_target(genre)
    own = [t for t in TRACKS if t["genre"] == genre]
    family = [t for t in TRACKS if t["family"] == GENRE_FAMILY[genre].value]
    assert target.track_count == len(own)
    centre = own if len(own) >= MIN_OWN_CENTRE else family
    spread = own if len(own) >= MIN_OWN_TRACKS else family
    documented = DOCUMENTED_LOUDNESS.get(genre) if len(own) < MIN_OWN_CENTRE else None
    if documented is not None:
        # Published loudness; the other centres from the family's tracks mastered at it.
        low, high = documented.loudness_lufs
        assert target.integrated_lufs == documented.integrated_lufs
        assert target.loudness_tolerance_lu == pytest.approx(max(MIN_LOUDNESS_TOLERANCE_LU, (high - low) / 2))
        centre = [t for t in family if low <= t["overall_metrics"]["integrated_lufs"] <= high]
        assert "published measurements" in target.source
    else:
        lufs = [t["overall_metrics"]["integrated_lufs"] for t in centre]
        assert target.integrated_lufs == pytest.approx(float(np.median(lufs)), abs=1e-9)
        assert target.loudness_tolerance_lu == pytest.approx(
            max(MIN_LOUDNESS_TOLERANCE_LU, _spread([t["overall_metrics"]["integrated_lufs"] for t in spread]))
        )
    # Band shares: the medians, scaled to sum to 1.
    medians = np.array([np.median([t["band_metrics"][i]["energy_ratio"] for t in centre]) for i in range(5)])
    got = np.array([target.bands[b].energy_ratio for b in BAND_NAMES])
    assert got == pytest.approx(medians / medians.sum(), rel=1e-9)
    for b in BAND_NAMES:
        assert target.bands[b].spread_db >= MIN_SHAPE_TOLERANCE_DB
        assert target.bands[b].width_tolerance >= MIN_STEREO_TOLERANCE
        assert target.bands[b].correlation_tolerance >= MIN_STEREO_TOLERANCE
    assert str(len(own)) in target.source


def test_a_band_cut_reads_as_its_own_shape_deviation_against_a_real_target() -> None:
    target = corpus_target("Rock")
    shares = {b: t.energy_ratio for b, t in target.bands.items()}
    cut = dict(shares, mid=shares["mid"] * 10 ** (-6 / 10))
    dev = shape_deviations(cut, shares)
    assert dev["mid"] == pytest.approx(-6.0, abs=1e-9)


def test_leave_one_out_calibration() -> None:
    """SPEC §5: each real reference, left out of its genre's target, lies inside that target's tolerance on at
    least 80 % of its figures (band shape, width, correlation, loudness, LRA, DR)."""
    results = leave_one_out(TRACKS)
    assert share_inside(results) >= 0.80
    bands_only = [v for r in results for k, v in r.inside.items() if "." in k]
    assert sum(bands_only) / len(bands_only) >= 0.80


@pytest.mark.slow
def test_build_one_package_end_to_end_matches_the_shipped_numbers(tmp_path: Path) -> None:
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("needs apt-get and dpkg-deb (a Debian system) to fetch the package")
    shipped = [t for t in TRACKS if t["package"] == SMALL_PACKAGE]
    if not shipped:
        pytest.fail(f"the corpus has no track of {SMALL_PACKAGE}")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.build_reference_corpus",
            "--packages",
            SMALL_PACKAGE,
            "--jobs",
            "1",
            "--output",
            str(CORPUS_PATH),
            "--check",
        ],
        cwd=BACKEND,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"{len(shipped)} tracks from 1 packages" in run.stdout
    assert "matches" in run.stdout


def test_every_corpus_track_gets_a_coherent_plan() -> None:
    """Issue "One coherent mastering plan", over every real track against its genre's target: at most one limiter
    step and one EQ step per band, in chain order; no step that makes a master already inside its loudness range
    louder; no plan whose expected figures take a loudness or DR inside its range out of it (the plan would make
    its own next finding); no dynamics step naming sections (stored tracks carry none); width and correlation
    never critical."""
    for track in TRACKS:
        target = corpus_target(track["genre"])
        overall, bands = metrics_from_dicts(track["overall_metrics"], track["band_metrics"])
        spectrum = track["spectrum"]
        judged = judge(
            overall,
            bands,
            target,
            level="prescriptive",
            sample_rate=track["audio"]["sample_rate"],
            spectrum=(spectrum["freqs_hz"], spectrum["db"]),
        )
        steps = judged.plan.steps
        kinds = [s.kind for s in steps]
        assert kinds == sorted(kinds, key=list(StepKind).index), track["path"]
        assert kinds.count(StepKind.LIMITER) <= 1, track["path"]
        eq_bands = [s.band for s in steps if isinstance(s, EqStep)]
        assert len(eq_bands) == len(set(eq_bands)), track["path"]
        low, high = target.loudness_range_lufs
        if low <= overall.integrated_lufs <= high:
            assert not any(isinstance(s, LimiterStep) and s.input_gain_db > 0 for s in steps), track["path"]
            after = judged.plan.expected.integrated_lufs
            assert after is None or low - 0.05 <= after <= high + 0.05, (track["path"], after)
        dr_low, dr_high = target.dr_db
        dr_after = judged.plan.expected.dynamic_range_db
        if dr_low <= overall.dynamic_range_db <= dr_high and dr_after is not None:
            assert dr_low - 0.05 <= dr_after <= dr_high + 0.05, (track["path"], overall.dynamic_range_db, dr_after)
        assert not any(isinstance(s, DynamicsStep) and s.sections for s in steps), track["path"]
        for r in judged.recommendations:
            if r.metric in ("stereo_width", "phase_correlation") and not (r.band == "low" and (r.current or 0) < 0):
                assert r.severity != "critical", (track["path"], r)
