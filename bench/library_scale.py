"""The reference library at scale (SPEC §7): ``/api/references`` and ``/api/genres`` with 10 000 references.

For each database (a temporary SQLite file; PostgreSQL too when ``backend/tests/pg.py``
can start one), stores ``--references`` references (default 10 000) as a user's
library would hold them — every overall and band metric row and the full §4 time
series of a 60 s analysis, spread over the 16 built-in genres and 4 user genres — then
starts the real server (uvicorn) on it and prints, over HTTP:

- ``GET /api/references`` (default page, 100 summaries) and ``?limit=1000``: bytes and
  the median time of 5 requests;
- ``GET /api/genres``: the first request after start (targets derived from the
  references, then cached per library version) and the median of 5 after it;
- the same after one reference is renamed (the library version changes: targets are derived again);
- ``/api/genres`` once more after every reference's target columns were nulled behind the ORM's back (rows as
  an older release stored them; the first request fills the columns from the series and band rows, once).

The first ``/api/genres`` also prints the CPU time the server spent on it (from ``/proc``): on a busy machine
the wall time includes waiting for a core.

Figures only; nothing is asserted. Run from the repository root:
``.venv/bin/python bench/library_scale.py [--references 10000] [--databases sqlite postgresql]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

BACKEND_DIR = Path(__file__).resolve().parents[1] / "backend"
sys.path[:0] = [str(BACKEND_DIR), str(BACKEND_DIR / "tests")]

from amt.utils.process import tune_process  # noqa: E402  # isort: skip

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import pg  # noqa: E402
from _common import process_cpu_s  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from amt.analysis.engine import analyze_array  # noqa: E402
from amt.api.database import init_db, make_engine  # noqa: E402
from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack, utcnow  # noqa: E402
from amt.api.repositories import reference_repo  # noqa: E402, F401  (its session events bump the library version)
from amt.api.services.corpus import band_figure_rows  # noqa: E402
from amt.api.services.rows import audio_columns  # noqa: E402
from amt.api.services.series import pack_floats  # noqa: E402
from amt.config.constants import GENRE_FAMILY  # noqa: E402
from helpers import LiveServer, run_server  # noqa: E402

USER_GENRES = ("Garage", "Breakbeat", "Synthwave", "Lo-fi")
CHUNK = 1000


def prototype() -> tuple[dict, dict, list[dict]]:
    """Columns of one reference measured from 60 s of seeded noise and tones (metrics, vector, series)."""
    rng = np.random.default_rng(7)
    sr = 44100
    t = np.arange(60 * sr) / sr
    mono = 0.3 * np.sin(2 * np.pi * 55 * t) + 0.1 * rng.standard_normal(t.size)
    result = analyze_array(np.stack([mono, 0.9 * mono], axis=1).astype(np.float32), sr)
    track = audio_columns(result)
    bands = [{"position": i, **asdict(b)} for i, b in enumerate(result.bands)]
    overall = {
        **asdict(result.overall),
        "spectrum_db": pack_floats(result.series.spectrum_db),
        "band_figures": pack_floats(band_figure_rows(bands)),
    }
    return track, overall, bands


def fill(url: str, n: int) -> None:
    """Insert ``n`` references (with metric rows and series) into the database at ``url``."""
    engine = make_engine(url)
    init_db(engine)
    track, overall, bands = prototype()
    genres = [*GENRE_FAMILY, *USER_GENRES]
    try:
        with engine.begin() as conn:
            for start in range(0, n, CHUNK):
                ids = [str(uuid.uuid4()) for _ in range(start, min(n, start + CHUNK))]
                now = utcnow()
                conn.execute(insert(ReferenceTrack), [
                    {**track, "id": id_, "name": f"Track {start + i:05d}", "artist": "Bench",
                     "genre": genres[(start + i) % len(genres)], "year": 2020, "is_builtin": False,
                     "source": "bench", "created_at": now}
                    for i, id_ in enumerate(ids)
                ])  # fmt: skip
                conn.execute(insert(ReferenceOverallMetrics), [
                    {**overall, "id": str(uuid.uuid4()), "reference_id": id_} for id_ in ids
                ])  # fmt: skip
                conn.execute(insert(ReferenceBandMetrics), [
                    {**b, "id": str(uuid.uuid4()), "reference_id": id_} for id_ in ids for b in bands
                ])  # fmt: skip
    finally:
        engine.dispose()


def rename(url: str, reference_id: str) -> None:
    """Change one reference through the ORM: the library version token changes with it (targets are rebuilt)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ref = session.get(ReferenceTrack, reference_id)
            assert ref is not None
            ref.name = "Renamed"
            session.commit()
    finally:
        engine.dispose()


def forget_target_columns(url: str) -> None:
    """Null every reference's target columns behind the ORM's back, as in a database from before they existed."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(ReferenceOverallMetrics).values(spectrum_db=None, band_figures=None))
    finally:
        engine.dispose()


def timed(server: LiveServer, client: httpx.Client, path: str) -> tuple[float, float, int]:
    """Wall seconds, the server's CPU seconds and the body bytes of one GET."""
    cpu = process_cpu_s(server.process.pid)
    start = time.perf_counter()
    response = client.get(path)
    response.raise_for_status()
    return time.perf_counter() - start, process_cpu_s(server.process.pid) - cpu, len(response.content)


def measure(server: LiveServer, client: httpx.Client, label: str, *, lists: bool = True) -> None:
    for path in ("/api/references", "/api/references?limit=1000") if lists else ():
        runs = [timed(server, client, path) for _ in range(5)]
        median = statistics.median(r[0] for r in runs)
        print(f"  {label:<11} GET {path:<28} {runs[-1][2] / 1e6:6.3f} MB   median {median:.3f} s")
    cold, cpu, size = timed(server, client, "/api/genres")
    warm = statistics.median(timed(server, client, "/api/genres")[0] for _ in range(5))
    print(
        f"  {label:<11} GET {'/api/genres':<28} {size / 1e6:6.3f} MB   first {cold:.3f} s (server CPU {cpu:.2f} s), "
        f"then median {warm:.3f} s"
    )


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str | None]:
    """A fresh database URL of ``kind`` (None when PostgreSQL cannot be had)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'library.db'}"
        return
    server = pg.start()
    if server is None:
        print(f"PostgreSQL not measured: {pg.unavailable()}")
        yield None
        return
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)
        server.stop()


def main() -> None:
    tune_process()  # as the entry points `amt` and the API do: one BLAS thread, glibc heap kept
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=10_000)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    args = parser.parse_args()
    for kind in args.databases:
        with tempfile.TemporaryDirectory(prefix="amt-library-") as tmp, database(kind, Path(tmp)) as url:
            if url is None:
                continue
            started = time.perf_counter()
            fill(url, args.references)
            print(f"{kind}: {args.references} references stored in {time.perf_counter() - started:.1f} s")
            with run_server(Path(tmp) / "home", env={"DATABASE_URL": url}) as server, server.client() as client:
                first = client.get("/api/references").json()[0]["id"]
                measure(server, client, "as stored")
                rename(url, first)
                measure(server, client, "after edit")
                forget_target_columns(url)
                rename(url, first)
                measure(server, client, "older rows", lists=False)


if __name__ == "__main__":
    main()
