"""End to end: a real uvicorn process on a free loopback port against a temporary APP_HOME, on SQLite (at its
default place in APP_HOME) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg
import pytest
from sqlalchemy import create_engine, inspect

from helpers import DATABASE_KINDS, database_of_kind, run_server

SEED_TABLES = {
    "analysis", "band_metrics", "overall_metrics", "reference_tracks", "reference_band_metrics",
    "reference_overall_metrics", "recommendations", "user_settings",
}  # fmt: skip


@dataclass(frozen=True)
class Database:
    """Where a test's server keeps its data."""

    home: Path
    url: str
    env: dict[str, str]
    """``DATABASE_URL`` for PostgreSQL; empty for SQLite, which the server then creates in APP_HOME."""
    postgres: pg.PostgresServer | None


@pytest.fixture(params=DATABASE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database of each kind that no server has opened yet."""
    home = tmp_path / "home"
    with database_of_kind(request, home / "audio_mastering.db") as url:
        postgres = request.getfixturevalue("postgres") if request.param == "postgresql" else None
        yield Database(home=home, url=url, env={"DATABASE_URL": url}, postgres=postgres)


def test_health_settings_and_files_over_http(database: Database) -> None:
    home = database.home
    leftover_dir = home / "tmp"
    leftover_dir.mkdir(parents=True)
    (leftover_dir / "upload-crashed.wav").write_bytes(b"RIFF")
    with run_server(home, env=database.env) as server, server.client() as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"

        assert client.get("/api/settings").json() == {
            "default_genre": None,
            "default_recommendation_level": "suggestive",
            "default_stage": "master",
        }
        changed = client.put("/api/settings", json={"default_genre": "Drum&Bass", "default_stage": "MIX"})
        assert changed.status_code == 200
        assert changed.json()["default_genre"] == "Drum & Bass"
        assert changed.json()["default_stage"] == "mix"
        assert client.get("/api/settings").json()["default_genre"] == "Drum & Bass"

        bad = client.put("/api/settings", json={"default_recommendation_level": "loud"})
        assert bad.status_code == 422
        assert "informative" in bad.json()["detail"]
        unknown = client.put("/api/settings", json={"colour": "red"})
        assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
        genre = client.put("/api/settings", json={"default_genre": "polka-step"})
        assert genre.status_code == 422 and "Known genres" in genre.json()["detail"]
        missing = client.get("/api/nothing-here")
        assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}

    if not database.env:
        assert (home / "audio_mastering.db").is_file()  # SQLite's default place
    assert not (leftover_dir / "upload-crashed.wav").exists()
    log_text = (home / "logs" / "backend.log").read_text()
    assert "GET /health 200" in log_text and "PUT /api/settings 422" in log_text
    engine = create_engine(database.url)
    try:
        assert set(inspect(engine).get_table_names()) == SEED_TABLES
    finally:
        engine.dispose()


def test_health_reports_an_unreachable_database(database: Database) -> None:
    """With the database gone after start-up (file replaced by a directory, or dropped), /health answers 503."""
    with run_server(database.home, env=database.env) as server, server.client() as client:
        assert client.get("/health").status_code == 200
        if database.postgres is not None:
            database.postgres.drop_database(database.url)  # closes the server's connections too
        else:
            db = database.home / "audio_mastering.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            db.mkdir()
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["database"] == "error"
