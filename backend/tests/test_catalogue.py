"""A catalogue (SPEC §10): a folder on local processes or a Dask cluster, ``--store`` with content hashes.

The cluster is real: ``dask scheduler`` and two ``dask worker`` processes on loopback. The interrupted run
is a real ``amt analyze … --store`` killed with SIGKILL mid-way, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from threadpoolctl import threadpool_limits

from amt.api.core.config import Settings
from amt.api.database import make_engine, make_sessionmaker
from amt.api.models import Analysis
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.cli.__main__ import build_report, main
from amt.cli.targets import load_library, resolve_target
from helpers import BACKEND_DIR, free_port, write_wav

SR = 48000


def _track(i: int, seconds: float) -> np.ndarray:
    """A distinct short stereo track per ``i``: a tone at its own pitch and level over seeded noise."""
    t = np.arange(round(seconds * SR)) / SR
    rng = np.random.default_rng(i)
    x = (0.05 + 0.02 * i) * np.sin(2 * np.pi * (100.0 + 37.0 * i) * t) + 0.01 * rng.standard_normal(t.size)
    return np.stack([x, 0.8 * x], axis=1).astype(np.float32)


def _folder(path: Path, count: int, seconds: float) -> list[Path]:
    path.mkdir()
    return [write_wav(path / f"track{i:02d}.wav", _track(i, seconds), SR, subtype="PCM_16") for i in range(count)]


def _assert_close(got: Any, want: Any, where: str = "") -> None:
    """Equal JSON documents, numbers to 1e-9 (absolute)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for key in want:
            _assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, int | float) and math.isclose(got, want, rel_tol=0, abs_tol=1e-9), where
    else:
        assert got == want, where


@contextmanager
def _dask_cluster(workers: int) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` × ``dask worker --nthreads 1`` on loopback; the scheduler's address.

    The workers import this checkout's ``amt`` (PYTHONPATH), as every node of a real cluster has the package.
    """
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(BACKEND_DIR)}
    dask = [sys.executable, "-m", "dask"]
    quiet = {"env": env, "cwd": BACKEND_DIR, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]], **quiet)
    ]
    try:
        for _ in range(workers):
            worker = [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1"]
            procs.append(subprocess.Popen([*worker, "--no-dashboard"], **quiet))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for proc in procs:  # nothing of theirs is kept: no graceful shutdown to wait for
            proc.kill()
            proc.wait()


def _use_home(monkeypatch: pytest.MonkeyPatch, home: Path, database_url: str = "") -> None:
    monkeypatch.setenv("APP_HOME", str(home))
    monkeypatch.setenv("DATABASE_URL", database_url)


def test_a_dask_cluster_gives_the_results_of_a_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _folder(tmp_path / "music", 4, 1.0)
    _use_home(monkeypatch, tmp_path / "home")
    out = tmp_path / "cluster.json"
    with _dask_cluster(2) as address:
        args = ["analyze", str(tmp_path / "music"), "--scheduler", address, "--genre", "techno"]
        code = main([*args, "--level", "prescriptive", "--json", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"4 files on Dask scheduler {address}" in err
    assert len(set(re.findall(r" on (\S+:\d+)$", err, flags=re.MULTILINE))) == 2  # both workers took jobs

    # The local run: each file through the one-file path in this process, with one BLAS thread as the CLI
    # and the service run the engine (this test process may have loaded a multi-threaded BLAS).
    settings = Settings(app_home=tmp_path / "home", database_url="", _env_file=None)  # type: ignore[call-arg]
    genre, target = resolve_target(settings, "techno")
    library = load_library(settings)
    with threadpool_limits(limits=1):
        local = [
            build_report(
                p,
                genre=genre,
                target=target,
                level="prescriptive",
                stage="master",
                max_duration_s=settings.max_duration_s,
                library=library,
            )
            for p in files
        ]
    _assert_close(json.loads(out.read_text()), local)


def _stored(database_url: str) -> tuple[list[str], dict[str, int]]:
    """Filenames in the history (newest first, as GET /api/analyses lists them) and rows per content hash."""
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            repo = AnalysisRepository(session)
            names = [a.filename for a in repo.list_recent(limit=1000, offset=0)]
            assert repo.count_all() == len(names)
            per_hash = session.execute(select(Analysis.content_hash, func.count()).group_by(Analysis.content_hash))
            return names, {h: n for h, n in per_hash}
    finally:
        engine.dispose()


def test_store_skips_what_is_stored_and_resumes_a_killed_run(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _folder(tmp_path / "catalogue", 24, 1.0)
    home = tmp_path / "home"
    digests = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in files}
    assert len(digests) == 24

    # A run killed with SIGKILL after its third file was stored (one line per file into the pipe). One worker:
    # the killed process is the one measuring and storing; the re-runs below use two worker processes.
    env = {**os.environ, "APP_HOME": str(home), "DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "cli", "analyze", str(tmp_path / "catalogue"), "--workers", "1", "--store"]
    proc = subprocess.Popen(cmd, cwd=BACKEND_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        assert re.match(r"^\[\d+/24\] track\d\d\.wav: ", line), line  # no bar, no escape codes in a pipe
        seen += "stored as" in line
        if seen == 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    names, per_hash = _stored(database_url)
    killed_at = len(names)
    assert 3 <= killed_at < 24
    assert set(per_hash.values()) == {1} and set(per_hash) <= set(digests)  # the SHA-256 of the bytes, once each

    # The re-run stores the rest; a run after it stores nothing.
    _use_home(monkeypatch, home, database_url)
    assert main(["analyze", str(tmp_path / "catalogue"), "--workers", "2", "--store"]) == 0
    assert f"stored {24 - killed_at}, skipped {killed_at} already stored" in capsys.readouterr().err
    names, per_hash = _stored(database_url)
    assert sorted(names) == sorted(p.name for p in files) and per_hash == dict.fromkeys(digests, 1)

    started = time.perf_counter()
    assert main(["analyze", str(tmp_path / "catalogue"), "--workers", "2", "--store"]) == 0
    assert "stored 0, skipped 24 already stored" in capsys.readouterr().err
    assert len(_stored(database_url)[0]) == 24
    print(f"re-run of 24 stored files: {time.perf_counter() - started:.1f} s")
