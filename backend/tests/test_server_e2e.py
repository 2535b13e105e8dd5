"""End to end: a real uvicorn process on a free loopback port against a temporary APP_HOME."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers import run_server


def test_health_settings_and_files_over_http(tmp_path: Path) -> None:
    home = tmp_path / "home"
    leftover_dir = home / "tmp"
    leftover_dir.mkdir(parents=True)
    (leftover_dir / "upload-crashed.wav").write_bytes(b"RIFF")
    with run_server(home) as server, server.client() as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"

        assert client.get("/api/settings").json() == {
            "default_genre": None,
            "default_recommendation_level": "suggestive",
            "default_stage": "master",
        }
        changed = client.put("/api/settings", json={"default_genre": "drum and bass", "default_stage": "MIX"})
        assert changed.status_code == 200
        assert changed.json()["default_genre"] == "Drum & Bass"
        assert changed.json()["default_stage"] == "mix"
        assert client.get("/api/settings").json()["default_genre"] == "Drum & Bass"

        bad = client.put("/api/settings", json={"default_recommendation_level": "loud"})
        assert bad.status_code == 422
        assert "informative" in bad.json()["detail"]
        unknown = client.put("/api/settings", json={"colour": "red"})
        assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
        missing = client.get("/api/nothing-here")
        assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}

    db = home / "audio_mastering.db"
    assert db.is_file()
    assert not (leftover_dir / "upload-crashed.wav").exists()
    log_text = (home / "logs" / "backend.log").read_text()
    assert "GET /health 200" in log_text and "PUT /api/settings 422" in log_text
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "user_settings" in tables and len(tables) == 8


def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    """With the database file replaced by a directory after start-up, /health answers 503."""
    home = tmp_path / "home"
    with run_server(home) as server, server.client() as client:
        db = home / "audio_mastering.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.mkdir()
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["database"] == "error"
