"""Vector serialisation and the matrix ranking (SPEC §6)."""

from __future__ import annotations

import numpy as np
import pytest

from amt.ml.feature_extraction import FEATURE_VERSION, VECTOR_DIM
from amt.ml.similarity import (
    FeatureVectorError,
    Match,
    SimilarityIndex,
    matrix_from_bytes,
    vector_from_bytes,
    vector_to_bytes,
)


def _random(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, VECTOR_DIM)).astype(np.float32)


def test_bytes_round_trip() -> None:
    v = _random(1)[0]
    blob = vector_to_bytes(v)
    assert len(blob) == 512
    back = vector_from_bytes(blob, feature_version=FEATURE_VERSION)
    assert np.array_equal(vector_from_bytes(blob, feature_version=str(FEATURE_VERSION)), v)
    assert back.dtype == np.float32 and np.array_equal(back, v)
    assert back.flags.writeable
    m = matrix_from_bytes([blob, vector_to_bytes(-v)])
    assert m.shape == (2, VECTOR_DIM) and np.array_equal(m[1], -v)


def test_serialisation_refuses_bad_input() -> None:
    with pytest.raises(FeatureVectorError, match="128"):
        vector_to_bytes(np.zeros(127))
    with pytest.raises(FeatureVectorError, match="NaN"):
        vector_to_bytes(np.full(VECTOR_DIM, np.nan))
    with pytest.raises(FeatureVectorError, match="bytes"):
        vector_from_bytes(b"\x00" * 511)
    with pytest.raises(FeatureVectorError, match="feature version"):
        vector_from_bytes(b"\x00" * 512, feature_version=FEATURE_VERSION + 1)
    with pytest.raises(FeatureVectorError):
        matrix_from_bytes([b"\x00" * 512, b"\x00" * 4])


@pytest.mark.parametrize("top_k", [1, 5, 37, 1000, 5000])
def test_rank_equals_brute_force_sort(top_k: int) -> None:
    m = _random(1000, seed=1)
    q = _random(1, seed=2)[0]
    ids = [f"r{i}" for i in range(1000)]
    index = SimilarityIndex(ids, ["g"] * 1000, m)
    got = index.rank(q, top_k=top_k)
    cos = [(ids[i], float(m[i] @ q / np.linalg.norm(m[i]) / np.linalg.norm(q))) for i in range(1000)]
    expected = sorted(cos, key=lambda t: -t[1])[: min(top_k, 1000)]
    assert [g.id for g in got] == [e[0] for e in expected]
    assert np.allclose([g.similarity for g in got], [e[1] for e in expected], atol=1e-5)
    assert all(isinstance(g, Match) for g in got)


def test_genre_filter_by_mask() -> None:
    m = _random(300, seed=3)
    genres = ["Techno", "House", "Drum & Bass"] * 100
    ids = [f"r{i}" for i in range(300)]
    index = SimilarityIndex(ids, genres, m)
    q = m[7] * 2.0  # row 7 is "House"
    best = index.rank(q, top_k=10, genre="house")
    assert best[0].id == "r7" and best[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert all(int(b.id[1:]) % 3 == 1 for b in best)
    sims = index.similarities(q)
    house = [i for i in range(300) if genres[i] == "House"]
    expected = sorted(house, key=lambda i: -sims[i])[:10]
    assert [b.id for b in best] == [f"r{i}" for i in expected]
    assert index.rank(q, top_k=3, genre="Polka") == []


def test_degenerate_cases() -> None:
    assert SimilarityIndex([], [], np.zeros((0, VECTOR_DIM))).rank(np.ones(VECTOR_DIM)) == []
    m = _random(3)
    m[1] = 0.0
    index = SimilarityIndex.from_vectors([("a", "X", m[0]), ("b", "X", m[1]), ("c", None, m[2])])
    assert len(index) == 3 and index.ids == ["a", "b", "c"]
    zero_query = index.rank(np.zeros(VECTOR_DIM), top_k=3)
    assert [z.similarity for z in zero_query] == [0.0, 0.0, 0.0]
    ranked = index.rank(m[0], top_k=3)
    assert ranked[0].id == "a" and {r.id for r in ranked} == {"a", "b", "c"}
    with pytest.raises(FeatureVectorError):
        index.rank(np.ones(10))
    with pytest.raises(FeatureVectorError):
        SimilarityIndex(["a"], ["X"], np.zeros((2, VECTOR_DIM)))
    blobs = [vector_to_bytes(v) for v in m]
    from_blobs = SimilarityIndex.from_blobs(["a", "b", "c"], ["X", "X", None], blobs)
    assert np.array_equal(from_blobs.similarities(m[2]), index.similarities(m[2]))
