"""Similarity speed from a real database (SPEC §6: 1 000 000 references ranked in under 50 ms).

For each size (default 100 000 and 1 000 000) and each database (a temporary SQLite
file; PostgreSQL too when ``backend/tests/pg.py`` can start one), bulk-inserts that
many reference rows with random 128-float vectors, then prints:

- the library version check a worker makes before every query (one primary-key
  lookup of the version token), beside the (count, newest ``created_at``) scan it replaced,
  and the distinct genre names every genre lookup reads (a loose index scan);
- a worker's cold start: ``ReferenceRepository.vector_rows`` (the SELECT of every
  vector) and the matrix build (``SimilarityIndex.from_blobs``), and the two together
  with the genre keys as ``IndexCache.get`` does them;
- one query once the matrix is loaded (``SimilarityIndex.rank``, top 5, all genres and
  one genre), and a whole warm request without HTTP (``similar_references``: the
  analysis, the version check, the ranking and the 5 references read back);

as median and 95th percentile where repeated, with this thread's CPU time beside the
wall time (on a busy machine the CPU time is what a call costs when it has a core; for
PostgreSQL it leaves out the server's own work). Prints figures only; asserts nothing.
The bulk references have no metric rows (only the 5 returned ones would be read).

Run from the repository root:
``.venv/bin/python bench/similarity_speed.py [--sizes 100000 1000000] [--databases sqlite postgresql]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np

BACKEND_DIR = Path(__file__).resolve().parents[1] / "backend"
sys.path[:0] = [str(BACKEND_DIR), str(BACKEND_DIR / "tests")]

import pg  # noqa: E402
from _common import time_each, time_once, time_repeated  # noqa: E402
from sqlalchemy import Engine, func, insert, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from amt.api.database import init_db, make_engine, make_sessionmaker  # noqa: E402
from amt.api.models import Analysis, BandMetrics, OverallMetrics, ReferenceTrack, utcnow  # noqa: E402
from amt.api.repositories.reference_repo import ReferenceRepository  # noqa: E402
from amt.api.services.references import IndexCache, similar_references  # noqa: E402
from amt.config.constants import BANDS  # noqa: E402
from amt.ml.feature_extraction import FEATURE_VERSION, VECTOR_DIM  # noqa: E402
from amt.ml.similarity import SimilarityIndex  # noqa: E402

GENRES = ("Psytrance", "Trance", "Techno", "House", "Drum & Bass", "Dubstep")
INSERT_CHUNK = 10_000


def insert_references(factory: sessionmaker[Session], n: int, rng: np.random.Generator) -> float:
    """Bulk-insert ``n`` references with random vectors in one transaction; seconds taken."""
    t0 = time.perf_counter()
    with factory() as session:
        for start in range(0, n, INSERT_CHUNK):
            count = min(INSERT_CHUNK, n - start)
            vectors = rng.standard_normal((count, VECTOR_DIM), dtype=np.float32).astype("<f4")
            common = {
                "artist": "Bench", "is_builtin": False, "sample_rate": 44100, "channels": 2, "bit_depth": 24,
                "duration_s": 300.0, "engine_version": "bench", "feature_version": str(FEATURE_VERSION),
                "created_at": utcnow(),
            }  # fmt: skip
            rows = [
                {
                    **common,
                    "id": str(uuid.uuid4()),
                    "name": f"Reference {start + i}",
                    "genre": GENRES[(start + i) % len(GENRES)],
                    "feature_vector": vectors[i].tobytes(),
                }
                for i in range(count)
            ]
            session.execute(insert(ReferenceTrack), rows)  # the session event replaces the version token
        session.commit()
    return time.perf_counter() - t0


def insert_analysis(factory: sessionmaker[Session], rng: np.random.Generator) -> str:
    """One stored analysis with a vector, to query with; its id."""
    with factory() as session:
        a = Analysis(
            filename="query.wav", file_format="WAV", genre="Techno", recommendation_level="suggestive",
            stage="master", sample_rate=44100, channels=2, bit_depth=24, duration_s=300.0, engine_version="bench",
            feature_vector=rng.standard_normal(VECTOR_DIM, dtype=np.float32).astype("<f4").tobytes(),
            feature_version=str(FEATURE_VERSION),
        )  # fmt: skip
        a.overall_metrics = OverallMetrics(integrated_lufs=-9.0, clipped_samples=0, clip_events=0)
        a.band_metrics = [
            BandMetrics(position=i, band=b.name, freq_low_hz=b.low_hz, freq_high_hz=b.high_hz, energy_ratio=0.2)
            for i, b in enumerate(BANDS)
        ]
        session.add(a)
        session.commit()
        return a.id


def bench(engine: Engine, n: int, queries: int, rng: np.random.Generator) -> None:
    """Fill the empty database of ``engine`` with ``n`` references and print the timings."""
    factory = make_sessionmaker(engine)
    insert_s = insert_references(factory, n, rng)
    analysis_id = insert_analysis(factory, rng)
    print(f"{n:>9,d} references ({engine.dialect.name}): bulk insert {insert_s:6.1f} s")

    def in_session(fn: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with factory() as session:  # a fresh session per call, as per request
                return fn(session)

        return run

    token = time_repeated(in_session(lambda s: ReferenceRepository(s).library_version()), 200)
    old_check = select(func.count(ReferenceTrack.id), func.max(ReferenceTrack.created_at))
    scan = time_repeated(in_session(lambda s: s.execute(old_check).one()), 10)
    genres = time_repeated(in_session(lambda s: ReferenceRepository(s).genres()), 50)
    print(f"{'':>9}   version token read        {token}")
    print(f"{'':>9}   (count, max) scan, before {scan}")
    print(f"{'':>9}   distinct genres           {genres}")

    with factory() as session:
        rows, load = time_once(lambda: ReferenceRepository(session).vector_rows(str(FEATURE_VERSION)))
    index, build = time_once(partial(SimilarityIndex.from_blobs, rows.ids, rows.genres, rows.blobs))
    del rows
    with factory() as session:
        _, cold = time_once(lambda: IndexCache().get(session))
    print(f"{'':>9}   load vectors              {load}")
    print(f"{'':>9}   build matrix              {build}")
    print(f"{'':>9}   IndexCache.get, cold      {cold}")

    qs = list(rng.standard_normal((queries, VECTOR_DIM), dtype=np.float32))
    plain = time_each(lambda q: index.rank(q, top_k=5), qs)
    filtered = time_each(lambda q: index.rank(q, top_k=5, genre="Techno"), qs)
    print(f"{'':>9}   query top-5               {plain}")
    print(f"{'':>9}   query top-5, one genre    {filtered}")

    def request(session: Session) -> object:
        # What POST /api/similarity does, less HTTP: the module's INDEX_CACHE is warm after the first call.
        return similar_references(session, analysis_id, genre=None, top_k=5)

    served = time_repeated(in_session(request), queries)
    print(f"{'':>9}   similar_references, warm  {served}")


@contextmanager
def database(kind: str) -> Iterator[Engine | None]:
    """An engine on a fresh, empty database of ``kind`` with every table, or None when none can be had."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="amt-sim-") as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            init_db(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    server = pg.start()
    if server is None:
        print(f"PostgreSQL not measured: {pg.unavailable()}")
        yield None
        return
    url = server.create_database()
    engine = make_engine(url)
    try:
        init_db(engine)
        yield engine
    finally:
        engine.dispose()
        server.drop_database(url)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(20260101)
    for kind in args.databases:
        for n in args.sizes:
            with database(kind) as engine:
                if engine is None:
                    break
                bench(engine, n, args.queries, rng)


if __name__ == "__main__":
    main()
