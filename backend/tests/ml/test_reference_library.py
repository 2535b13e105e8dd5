"""The built-in archetypes: reproducible, inside their genres' real distribution, and genre-distinct (SPEC §5, §6).

Some tests render and analyse audio (a few seconds each) and are marked slow,
but run by default.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

import numpy as np
import pytest

from amt.analysis.engine import analyze_array
from amt.analysis.result import ENGINE_VERSION
from amt.api.services.builtin import METADATA_PATH
from amt.api.services.calibration import inside_tolerance
from amt.api.services.corpus import ReferenceNumbers, corpus_target
from amt.api.services.recommend import judge, metrics_from_dicts
from amt.ml.feature_extraction import FEATURE_NAMES, FEATURE_VERSION, extract_features, features_from_dicts
from amt.ml.similarity import SimilarityIndex
from amt.synth.archetypes import GENRES, reference_specs, render_archetype

METADATA = METADATA_PATH

# A re-render reproduces the stored numbers bit for bit only where the file was
# rendered: same CPU family and the same numpy/scipy/OpenBLAS builds (the synthesiser
# takes every random number from its seed, and neither it nor the engine depends on
# thread counts). Elsewhere numpy's SIMD sin/exp/tanh and the FFT and BLAS kernels
# picked for the CPU may differ in the last bits, and a limiter or a gate can turn
# that into a slightly larger, still tiny, change. These tolerances cover that, not more.
LUFS_TOL = 0.01
TRUE_PEAK_TOL_DB = 0.01
LRA_DR_TOL = 0.05
RATIO_TOL = 1e-4
WIDTH_TOL = 1e-4
VECTOR_TOL = 1e-3
MIN_LEAVE_ONE_OUT = 20

LOUDNESS_TOL_LU = 0.3
"""How far a reference's integrated loudness may sit from its variant's target."""
TP_OVER_DB = 0.05
"""How far a reference's true peak may read above its variant's ceiling (the engine's stated accuracy)."""


@cache
def _metadata() -> dict[str, Any]:
    return json.loads(METADATA.read_text(encoding="utf-8"))


def _index(exclude: str | None = None) -> SimilarityIndex:
    refs = [r for r in _metadata()["references"] if r["id"] != exclude]
    return SimilarityIndex.from_vectors((r["id"], r["genre"], np.array(r["feature_vector"])) for r in refs)


def test_metadata_describes_24_builtin_archetypes() -> None:
    meta = _metadata()
    refs = meta["references"]
    assert len(refs) == 24 and len({r["id"] for r in refs}) == 24
    assert {r["genre"] for r in refs} == set(GENRES)
    specs = {s.name: s for s in reference_specs()}
    for r in refs:
        assert r["is_builtin"] is True and r["artist"] == "Built-in archetype"
        assert r["feature_version"] == FEATURE_VERSION
        assert len(r["feature_vector"]) == 128
        assert len(r["band_metrics"]) == 5 and len(r["spectrum"]["db"]) == 60
        spec = specs[r["name"]]
        assert (r["synth"]["variant"], r["synth"]["seed"]) == (spec.variant, spec.seed)
        # The stored vector is the one the stored metrics give.
        again = features_from_dicts(r["overall_metrics"], r["band_metrics"], r["spectrum"]["db"])
        assert np.allclose(again, r["feature_vector"], atol=1e-6)


@pytest.mark.slow
def test_rerendering_a_reference_reproduces_its_stored_numbers() -> None:
    ref = next(r for r in _metadata()["references"] if r["name"] == "Techno archetype 2 (built-in)")
    s = ref["synth"]
    samples = render_archetype(s["genre"], s["variant"], seed=s["seed"], duration_s=s["duration_s"])
    result = analyze_array(samples, s["sample_rate"])
    stored = ref["overall_metrics"]
    assert result.overall.integrated_lufs == pytest.approx(stored["integrated_lufs"], abs=LUFS_TOL)
    assert result.overall.true_peak_dbtp == pytest.approx(stored["true_peak_dbtp"], abs=TRUE_PEAK_TOL_DB)
    assert result.overall.loudness_range_lu == pytest.approx(stored["loudness_range_lu"], abs=LRA_DR_TOL)
    assert result.overall.dynamic_range_db == pytest.approx(stored["dynamic_range_db"], abs=LRA_DR_TOL)
    for band, stored_band in zip(result.bands, ref["band_metrics"], strict=True):
        assert band.band == stored_band["band"]
        assert band.energy_ratio == pytest.approx(stored_band["energy_ratio"], abs=RATIO_TOL)
        assert band.stereo_width == pytest.approx(stored_band["stereo_width"], abs=WIDTH_TOL)
    # the archetype's own tempo, whichever engine wrote the metadata
    assert result.overall.tempo_bpm == pytest.approx(s["bpm"], abs=0.5)
    vector, stored_vector = extract_features(result), np.asarray(ref["feature_vector"])
    same = np.ones(vector.size, dtype=bool)
    if ref["engine_version"] != ENGINE_VERSION:
        # metadata written before engine 1.2 re-defined tempo_bpm and pulse_clarity (the tempo is checked above)
        same[[FEATURE_NAMES.index("tempo_bpm"), FEATURE_NAMES.index("pulse_clarity")]] = False
    assert np.allclose(vector[same], stored_vector[same], atol=VECTOR_TOL)
    # The mastering chain's ceiling is a true-peak ceiling.
    assert result.overall.true_peak_dbtp is not None
    assert result.overall.true_peak_dbtp <= s["ceiling_dbtp"] + TP_OVER_DB


def _genre_refs(genre: str) -> list[dict[str, Any]]:
    return [r for r in _metadata()["references"] if r["genre"] == genre]


@pytest.mark.parametrize("genre", GENRES)
def test_archetypes_sit_inside_their_genres_real_distribution(genre: str) -> None:
    """SPEC §6: an archetype standing in for a genre the corpus cannot fill lies inside the genre's measured target
    on every figure: band shape, width and correlation, loudness, LRA and DR."""
    target = corpus_target(genre)
    for r in _genre_refs(genre):
        inside = inside_tolerance(ReferenceNumbers(r["overall_metrics"], r["band_metrics"]), target)
        assert len(inside) >= 15
        assert [k for k, v in inside.items() if not v] == [], r["name"]


@pytest.mark.parametrize("genre", GENRES)
def test_archetypes_meet_their_loudness_and_ceiling(genre: str) -> None:
    refs = _genre_refs(genre)
    for r in refs:
        o, s = r["overall_metrics"], r["synth"]
        assert o["integrated_lufs"] == pytest.approx(s["target_lufs"], abs=LOUDNESS_TOL_LU), r["name"]
        assert o["true_peak_dbtp"] <= s["ceiling_dbtp"] + TP_OVER_DB, r["name"]
    # The four variants are four different tracks, not one track four times.
    vectors = np.array([r["feature_vector"] for r in refs])
    assert all(np.abs(vectors[i] - vectors[j]).max() > 0.1 for i in range(len(refs)) for j in range(i))


@pytest.mark.parametrize("genre", [*GENRES, "Rock", "Classical", "Jazz", "Pop"])
def test_a_master_at_the_centre_of_its_target_gets_no_warning(genre: str) -> None:
    """A master with every figure at its genre's measured centre sits inside its real distribution: no warning, no
    action, an empty plan."""
    target = corpus_target(genre)
    overall = {
        "integrated_lufs": target.integrated_lufs,
        "true_peak_dbtp": target.true_peak_ceiling_dbtp - 0.5,
        "sample_peak_dbfs": target.true_peak_ceiling_dbtp - 0.6,
        "loudness_range_lu": sum(target.lra_lu) / 2,
        "dynamic_range_db": sum(target.dr_db) / 2,
        "plr_db": sum(target.plr_db) / 2,
        "clip_events": 0,
        "negative_correlation_pct": 0.0,
    }
    bands = [
        {
            "band": name,
            "energy_ratio": b.energy_ratio,
            "stereo_width": b.stereo_width,
            "phase_correlation": b.phase_correlation,
            "rms_db": 10.0 * math.log10(b.energy_ratio) - 10.0,
        }
        for name, b in target.bands.items()
    ]
    metrics = metrics_from_dicts(overall, bands)
    listed = judge(*metrics, target, level="informative").recommendations
    assert [(i.band, i.metric, i.severity) for i in listed if i.severity != "info"] == []
    acted = judge(*metrics, target, level="suggestive")
    assert [(i.band, i.metric) for i in acted.recommendations] == []
    assert acted.plan.steps == []


def test_leave_one_out_nearest_reference_has_the_same_genre() -> None:
    refs = _metadata()["references"]
    hits = []
    for r in refs:
        best = _index(exclude=r["id"]).rank(np.array(r["feature_vector"]), top_k=1)[0]
        genre = next(x["genre"] for x in refs if x["id"] == best.id)
        hits.append(genre == r["genre"])
    assert sum(hits) >= MIN_LEAVE_ONE_OUT, f"{sum(hits)}/24 nearest neighbours share the genre"


@pytest.mark.slow
@pytest.mark.parametrize("genre", GENRES)
def test_a_new_track_of_a_genre_ranks_that_genre_first(genre: str) -> None:
    # Variant 5 is not a built-in one: tempo, key, arrangement and loudness are drawn
    # from the genre's ranges with this seed, and every note and hit is new.
    samples = render_archetype(genre, 5, seed=777 + GENRES.index(genre))
    vector = extract_features(analyze_array(samples, 44100))
    best = _index().rank(vector, top_k=1)[0]
    best_genre = next(r["genre"] for r in _metadata()["references"] if r["id"] == best.id)
    assert best_genre == genre
