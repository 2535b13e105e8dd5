"""One-way data flow (SPEC §9): probe once, check once, sections found once, the POST answered from what it stored."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, event, text

import amt.api.services.analysis as service
import amt.api.services.recommend as recommend
import amt.api.services.report as report
from amt.analysis import decode
from amt.analysis.engine import analyze_array
from amt.analysis.errors import UnreadableAudioError
from amt.api.database import make_sessionmaker
from amt.api.services.rows import overall_dict
from amt.api.services.series import unpack_series
from helpers import BACKEND_DIR, run_server, sine, write_wav


def _quiet_loud_quiet(path: Path) -> Path:
    """12 s at −30 dBFS peak, 14 s at −6, 12 s at −30: three sections (as in test_cli)."""
    amps = [(12.0, 10 ** (-30 / 20)), (14.0, 10 ** (-6 / 20)), (12.0, 10 ** (-30 / 20))]
    return write_wav(path, np.concatenate([sine(997.0, s, sr=22050, amp=a) for s, a in amps]), sr=22050)


def _counting(calls: list[str], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` itself, noting each call in ``calls``."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return fn(*args, **kwargs)

    return counted


def test_one_probe_one_section_pass_and_no_read_back(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _quiet_loud_quiet(tmp_path / "sections.wav")
    calls: list[str] = []
    monkeypatch.setattr(decode, "probe", _counting(calls, "probe", decode.probe))
    for module in (service, recommend, report):  # every module that can find sections
        monkeypatch.setattr(module, "find_sections", _counting(calls, "find_sections", module.find_sections))
    statements: list[str] = []
    event.listen(sqlite_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    stored = service.analyze_and_store(
        make_sessionmaker(sqlite_engine),
        path,
        filename="sections.wav",
        genre="techno",
        level="prescriptive",
        stage=None,
        max_duration_s=None,
    )
    assert calls.count("probe") == 1 and calls.count("find_sections") == 1, calls
    inserted = [i for i, sql in enumerate(statements) if sql.lstrip().upper().startswith("INSERT INTO ANALYSIS ")]
    assert len(inserted) == 1
    assert all(sql.lstrip().upper().startswith("INSERT") for sql in statements[inserted[0] :])  # nothing read back
    assert [s["kind"] for s in stored.extras["sections"]][1] != stored.extras["sections"][0]["kind"]
    # The answer's sections and destinations are those the stored numbers give on a later read.
    with make_sessionmaker(sqlite_engine)() as session:
        row = service.get_analysis(session, stored.row.id)
        again = report.read_time_extras(
            overall_dict(row.overall_metrics), unpack_series(row.series), row.duration_s, None
        )
    assert again == stored.extras


def test_the_post_answer_is_the_later_get(tmp_path: Path) -> None:
    path = _quiet_loud_quiet(tmp_path / "sections.wav")
    with run_server(tmp_path / "home") as server, server.client() as client, path.open("rb") as f:
        posted = client.post(
            "/api/analyze",
            files={"file": ("sections.wav", f, "audio/wav")},
            data={"genre": "techno", "recommendation_level": "prescriptive"},
        )
        assert posted.status_code == 201, posted.text
        body = posted.json()
        assert len(body["sections"]) == 3 and body["recommendations"] and body["plan"]["steps"]  # all compared
        assert client.get(posted.headers["location"]).json() == body


def test_an_upload_is_stored_with_its_content_hash_and_a_catalogue_run_skips_it(tmp_path: Path) -> None:
    """POST /api/analyze stores the SHA-256 of the file's bytes (worked out beside the engine), so
    ``amt analyze FILE --store`` on the same database finds the content stored and analyses nothing."""
    path = _quiet_loud_quiet(tmp_path / "upload.wav")
    home = tmp_path / "home"
    with run_server(home) as server, server.client() as client, path.open("rb") as f:
        posted = client.post("/api/analyze", files={"file": ("upload.wav", f, "audio/wav")}, data={"genre": "techno"})
        assert posted.status_code == 201, posted.text
        analysis_id = posted.json()["id"]
    engine = create_engine(f"sqlite:///{home / 'audio_mastering.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT content_hash FROM analysis WHERE id = :id"), {"id": analysis_id})
        assert stored.scalar_one() == hashlib.sha256(path.read_bytes()).hexdigest()
    engine.dispose()
    env = {**os.environ, "APP_HOME": str(home), "DATABASE_URL": ""}
    run = subprocess.run(
        [sys.executable, "-m", "cli", "analyze", str(path), "--store"],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert f"skipped, already stored as {analysis_id}" in run.stderr, run.stderr
    assert "stored 0, skipped 1" in run.stderr, run.stderr


def test_an_array_with_nan_is_refused_at_the_engines_edge() -> None:
    x = sine(997.0, 1.0)
    x[100, 1] = np.nan
    with pytest.raises(UnreadableAudioError, match="NaN"):
        analyze_array(x, 48000)
