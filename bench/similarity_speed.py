"""Similarity ranking speed (SPEC §6: 1 000 000 references in under 50 ms).

Prints, for 100 000 and 1 000 000 random references: the time to build the
index from 512-byte float32 blobs (as read from the database), and the median and
95th-percentile time of one query (top 5, all genres and one genre) once the
matrix is loaded. Prints figures only; asserts nothing.

Run from the repository root: ``.venv/bin/python bench/similarity_speed.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from ml.feature_extraction import VECTOR_DIM
from ml.similarity import SimilarityIndex

GENRES = ("Psytrance", "Trance", "Techno", "House", "Drum & Bass", "Dubstep")


def _percentiles_ms(times_s: list[float]) -> str:
    t = np.array(times_s) * 1e3
    return f"median {np.median(t):7.2f} ms   p95 {np.percentile(t, 95):7.2f} ms"


def bench(n: int, queries: int, rng: np.random.Generator) -> None:
    """Build an index of ``n`` random references from bytes and time queries against it."""
    vectors = rng.standard_normal((n, VECTOR_DIM), dtype=np.float32)
    blobs = [row.tobytes() for row in vectors]
    ids = [f"ref-{i:07d}" for i in range(n)]
    genres = [GENRES[i % len(GENRES)] for i in range(n)]
    del vectors

    t0 = time.perf_counter()
    index = SimilarityIndex.from_blobs(ids, genres, blobs)
    build_s = time.perf_counter() - t0
    del blobs

    qs = rng.standard_normal((queries, VECTOR_DIM), dtype=np.float32)
    index.rank(qs[0], top_k=5)  # warm-up
    plain, filtered = [], []
    for q in qs:
        t = time.perf_counter()
        index.rank(q, top_k=5)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.rank(q, top_k=5, genre="Techno")
        filtered.append(time.perf_counter() - t)
    print(f"{n:>9,d} references: build from bytes {build_s * 1e3:8.1f} ms")
    print(f"{'':>9}   query top-5             {_percentiles_ms(plain)}")
    print(f"{'':>9}   query top-5, one genre  {_percentiles_ms(filtered)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(20260101)
    for n in args.sizes:
        bench(n, args.queries, rng)


if __name__ == "__main__":
    main()
