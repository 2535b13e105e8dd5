"""Importing the engine changes nothing in the process; the entry points (``amt``, the API's start) tune it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from amt.utils.process import BLAS_THREAD_VARIABLES, MALLOC_VARIABLES
from helpers import BACKEND_DIR

_STATE = """
import json, os
from threadpoolctl import threadpool_info

def state():
    return {"env": dict(os.environ), "blas": sorted((i["filepath"], i["num_threads"]) for i in threadpool_info())}
"""

_IMPORT_THEN_CLI = (
    _STATE
    + """
import numpy, scipy.signal  # the BLAS libraries load here, with their default thread count
before = state()
import amt.analysis, amt.analysis.engine, amt.analysis.decode, amt.api.services.analysis, amt.cli.__main__
imported = state()
try:
    amt.cli.__main__.main(["analyze", "--help"])
except SystemExit:
    pass
print(json.dumps({"before": before, "imported": imported, "cli": state()}))
"""
)

_TUNE = (
    _STATE
    + """
import numpy
from amt.utils.process import tune_process
before = state()
tune_process()
print(json.dumps({"before": before, "tuned": state()}))
"""
)

_API_START = (
    _STATE
    + """
import numpy
from fastapi.testclient import TestClient
from amt.api.main import create_app
before = state()
with TestClient(create_app()):  # runs the app's start-up (lifespan)
    print(json.dumps({"before": before, "started": state()}))
"""
)


def _run(code: str, app_home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES + MALLOC_VARIABLES}
    env.update(APP_HOME=str(app_home), DATABASE_URL="", **extra)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _threads(state: dict) -> list[int]:
    return [n for _, n in state["blas"]]


def test_importing_the_engine_changes_nothing_and_the_cli_tunes_the_process(tmp_path: Path) -> None:
    out = _run(_IMPORT_THEN_CLI, tmp_path / "home")
    before, imported, cli = out["before"], out["imported"], out["cli"]
    assert before["blas"], "numpy loads a BLAS library"
    assert imported == before  # neither the environment nor any thread pool changed on import
    assert _threads(cli) == [1] * len(cli["blas"])  # `amt` runs the engine single-threaded
    assert all(cli["env"][name] == "1" for name in BLAS_THREAD_VARIABLES)  # and so do its worker processes


def test_the_api_tunes_the_process_when_it_starts(tmp_path: Path) -> None:
    out = _run(_API_START, tmp_path / "home")
    assert not any(name in out["before"]["env"] for name in BLAS_THREAD_VARIABLES)
    assert _threads(out["started"]) == [1] * len(out["started"]["blas"])


def test_an_explicit_thread_count_wins(tmp_path: Path) -> None:
    out = _run(_TUNE, tmp_path / "home", OPENBLAS_NUM_THREADS="2")
    assert out["tuned"] == out["before"] and out["tuned"]["env"]["OPENBLAS_NUM_THREADS"] == "2"
