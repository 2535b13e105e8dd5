"""Load: many concurrent clients uploading and reading against a real server on loopback.

    python bench/load.py                                  # 32 clients, 128 uploads, 512 reads, 1 worker, SQLite
    python bench/load.py --workers 2 --database postgresql
    python bench/load.py --url http://127.0.0.1:8000      # a server you started (counts checked through the API)

Starts ``uvicorn api.main:app`` on a free 127.0.0.1 port against a fresh APP_HOME (and, with
``--database postgresql``, a throw-away PostgreSQL cluster, see ``backend/tests/pg.py``), then
runs a fixed number of operations from ``--clients`` threads, each with its own keep-alive
connection: uploads of short WAVs (a few seconds, varied level and tone) mixed with reads of
what is already stored (one analysis, its series, the history page, /health). Afterwards every
stored analysis is read back and the rows are counted (every table, through SQLAlchemy, when
the database is known). Prints throughput, p50/p95/p99 latency per kind and the error count.
Figures only; the tests run a small version and assert zero errors and exact counts.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

BACKEND_DIR = Path(__file__).resolve().parents[1] / "backend"
sys.path[:0] = [str(BACKEND_DIR), str(BACKEND_DIR / "tests")]

from sqlalchemy import create_engine, func, select  # noqa: E402

from amt.api.models import Base  # noqa: E402

READ_KINDS = ("analysis", "series", "history", "health")


@dataclass
class LoadReport:
    """What one run measured and found."""

    clients: int
    wall_s: float
    latencies_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    """Analysis id → number of recommendations its upload returned."""
    unreadable: list[str] = field(default_factory=list)
    total_reported: int = -1
    """``GET /api/analyses`` total after the run."""
    row_counts: dict[str, int] | None = None

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies_s.values())

    def expected_rows(self, bands: int = 5) -> dict[str, int]:
        """Exact row counts the stored analyses must have produced (from an empty database)."""
        n = len(self.stored)
        return {"analysis": n, "overall_metrics": n, "band_metrics": bands * n,
                "recommendations": sum(self.stored.values())}  # fmt: skip

    def lines(self) -> list[str]:
        out = [
            f"{self.requests} requests from {self.clients} clients in {self.wall_s:.2f} s: "
            f"{self.requests / self.wall_s:.1f} requests/s, {len(self.stored) / self.wall_s:.1f} uploads/s",
            f"{'kind':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
        ]
        every = [x for v in self.latencies_s.values() for x in v]
        for kind, values in [*sorted(self.latencies_s.items()), ("all", every)]:
            if values:
                p50, p95, p99, top = np.percentile(np.array(values) * 1000, [50, 95, 99, 100])
                out.append(f"{kind:<10} {len(values):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {top:>8.1f}")
        out.append(f"errors: {len(self.errors)}" + (f" (first: {self.errors[0]})" if self.errors else ""))
        out.append(f"stored analyses: {len(self.stored)}, unreadable: {len(self.unreadable)}, "
                   f"history total: {self.total_reported}")  # fmt: skip
        if self.row_counts is not None:
            expected = self.expected_rows()
            wrong = {k: (self.row_counts[k], v) for k, v in expected.items() if self.row_counts[k] != v}
            out.append(f"row counts: {self.row_counts}" + (f"  WRONG (got, expected): {wrong}" if wrong else "  exact"))
        return out


def make_wavs(folder: Path, count: int, *, seconds: float = 3.0, seed: int = 1) -> list[Path]:
    """``count`` short 44.1 kHz stereo WAVs, each a different tone + noise at a different level."""
    rng = np.random.default_rng(seed)
    sr = 44100
    t = np.arange(round(seconds * sr)) / sr
    paths = []
    for i in range(count):
        tone = np.sin(2 * np.pi * (80 + 150 * i) * t)[:, None]
        x = 10 ** ((-24 + 2 * (i % 8)) / 20) * (0.7 * tone + 0.3 * rng.standard_normal((t.size, 2)))
        path = folder / f"load-{i}.wav"
        sf.write(path, np.clip(x, -1, 1).astype(np.float32), sr, subtype="PCM_16")
        paths.append(path)
    return paths


def run_load(url: str, wavs: list[Path], *, clients: int, uploads: int, reads: int, seed: int = 7) -> LoadReport:
    """``uploads`` POSTs (cycling through ``wavs``) and ``reads`` GETs, shuffled, from ``clients`` threads."""
    ops = ["upload"] * uploads + ["read"] * reads
    random.Random(seed).shuffle(ops)
    payloads = [(p.name, p.read_bytes()) for p in wavs]
    report = LoadReport(clients=clients, wall_s=0.0)
    lock = threading.Lock()
    local = threading.local()
    opened: list[httpx.Client] = []
    rng = random.Random(seed + 1)

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=300)
            with lock:
                opened.append(local.client)
        return local.client

    def record(kind: str, started: float, error: str | None) -> None:
        with lock:
            report.latencies_s[kind].append(time.perf_counter() - started)
            if error:
                report.errors.append(f"{kind}: {error}")

    def one(index: int, op: str) -> None:
        started = time.perf_counter()
        try:
            if op == "upload":
                name, data = payloads[index % len(payloads)]
                r = client().post("/api/analyze", files={"file": (name, data, "audio/wav")}, data={"genre": "techno"})
                if r.status_code == 201:
                    with lock:
                        report.stored[r.json()["id"]] = len(r.json()["recommendations"])
                record("upload", started, None if r.status_code == 201 else f"{r.status_code} {r.text[:200]}")
                return
            with lock:
                ids = list(report.stored)
                kind = rng.choice(READ_KINDS if ids else ("history", "health"))
                target = rng.choice(ids) if ids else ""
            path = {"analysis": f"/api/analysis/{target}", "series": f"/api/analysis/{target}/series",
                    "history": "/api/analyses?limit=20", "health": "/health"}[kind]  # fmt: skip
            r = client().get(path)
            record(kind, started, None if r.status_code == 200 else f"{r.status_code} {r.text[:200]}")
        except httpx.HTTPError as exc:
            record(op, started, f"{type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(one, range(len(ops)), ops))
    finally:
        report.wall_s = time.perf_counter() - t0
        for c in opened:
            c.close()

    with httpx.Client(base_url=url, timeout=60) as c:
        for analysis_id in report.stored:
            r = c.get(f"/api/analysis/{analysis_id}")
            if r.status_code != 200 or r.json().get("id") != analysis_id:
                report.unreadable.append(analysis_id)
        report.total_reported = int(c.get("/api/analyses", params={"limit": 1}).json()["total"])
    return report


def count_rows(database_url: str) -> dict[str, int]:
    """Rows in each of the 8 tables."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


@contextmanager
def local_server(folder: Path, *, workers: int, database: str) -> Iterator[tuple[str, str]]:
    """A fresh server (and database); yields (base URL, SQLAlchemy URL of its database)."""
    import pg

    from helpers import run_server

    home = folder / "home"
    env = {"LOG_LEVEL": "WARNING"}
    with ExitStack() as stack:
        if database == "postgresql":
            server = pg.start()
            if server is None:
                raise SystemExit(f"PostgreSQL unavailable: {pg.unavailable()}")
            stack.callback(server.stop)
            env["DATABASE_URL"] = db_url = server.create_database()
        else:
            db_url = f"sqlite:///{home / 'audio_mastering.db'}"
        live = stack.enter_context(run_server(home, env=env, workers=workers))
        yield live.url, db_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--uploads", type=int, default=128)
    parser.add_argument("--reads", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each uploaded WAV")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the server started here")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amt-load-") as tmp:
        folder = Path(tmp)
        wavs = make_wavs(folder, 16, seconds=args.seconds)
        with ExitStack() as stack:
            if args.url:
                url, db_url, baseline = args.url, None, None
                where = args.url
            else:
                url, db_url = stack.enter_context(local_server(folder, workers=args.workers, database=args.database))
                baseline = count_rows(db_url)
                where = f"{args.workers} worker(s), {args.database}"
            print(f"load: {args.clients} clients, {args.uploads} uploads of {args.seconds:g} s WAVs, "
                  f"{args.reads} reads against {where}")  # fmt: skip
            report = run_load(url, wavs, clients=args.clients, uploads=args.uploads, reads=args.reads)
            if db_url is not None and baseline is not None and baseline["analysis"] == 0:
                report.row_counts = count_rows(db_url)
        print("\n".join(report.lines()))
    if report.errors or report.unreadable:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
