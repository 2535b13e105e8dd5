"""A small run of ``bench/load.py``: concurrent uploads and reads against real servers, 1 and 2 uvicorn
workers, SQLite and PostgreSQL. Zero errors, every stored analysis readable, row counts exact."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from helpers import run_server

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return bench.make_wavs(tmp_path_factory.mktemp("load-wavs"), 6, seconds=2.0)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_uploads_and_reads_without_errors(
    database_url: str, tmp_path: Path, wavs: list[Path], workers: int
) -> None:
    home = tmp_path / "home"
    with run_server(home, env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}, workers=workers) as server:
        report = bench.run_load(server.url, wavs, clients=8, uploads=24, reads=72)
        leftovers = list((home / "tmp").iterdir())
        log = server.log_path.read_text(errors="replace")
    report.row_counts = bench.count_rows(database_url)
    print("\n".join(report.lines()))
    assert report.errors == []
    assert len(report.stored) == 24 and report.unreadable == []
    assert report.total_reported == 24
    assert {k: report.row_counts[k] for k in report.expected_rows()} == report.expected_rows()
    assert report.requests == 24 + 72
    assert leftovers == []
    assert "Traceback" not in log and "database is locked" not in log
    if workers == 2:  # both workers really served: uvicorn names each worker process at start-up
        assert log.count("Application startup complete.") == 2
