"""The built-in reference library: reproducible, and its vectors recognise genres (SPEC §6).

These tests render and analyse audio (a few seconds each) and are marked slow,
but run by default.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.engine import analyze_array
from ml.feature_extraction import FEATURE_VERSION, extract_features, features_from_dicts
from ml.similarity import SimilarityIndex
from synth.archetypes import GENRES, reference_specs, render_archetype

METADATA = Path(__file__).resolve().parents[2] / "data" / "references" / "reference_metadata.json"

# Re-rendering on the same platform reproduces the stored numbers exactly (floats are
# stored at full precision). Across CPUs/numpy builds, vectorised transcendental
# functions may differ in the last bits; these tolerances cover that, not more.
LUFS_TOL = 0.01
TRUE_PEAK_TOL_DB = 0.01
RATIO_TOL = 1e-4
VECTOR_TOL = 1e-3
MIN_LEAVE_ONE_OUT = 20


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
    for band, stored_band in zip(result.bands, ref["band_metrics"], strict=True):
        assert band.band == stored_band["band"]
        assert band.energy_ratio == pytest.approx(stored_band["energy_ratio"], abs=RATIO_TOL)
    assert np.allclose(extract_features(result), ref["feature_vector"], atol=VECTOR_TOL)


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
