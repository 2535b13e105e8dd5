"""Shared fixtures: real databases (a temporary SQLite file, and PostgreSQL when one can be had), sessions, settings.

Tests that take ``database_url`` (or ``db_engine`` / ``session``) run once per
database: ``sqlite`` always, ``postgresql`` when a server is available (see
``tests/pg.py``), and are skipped for it with the reason otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from amt.api.core.config import Settings
from amt.api.database import init_db, make_engine, make_sessionmaker
from amt.utils.process import tune_process
from helpers import DATABASE_KINDS, database_of_kind


def _pin_settings_to_defaults() -> None:
    """Tests never read a developer's ``backend/.env``: every setting not set in the environment is set to
    its default there, and the environment outranks ``.env`` in this process and every server, CLI and
    script the tests start (a blank value means the default, as in ``.env.example``)."""
    for name, field in Settings.model_fields.items():
        default = "" if field.default in (None, "") else str(field.default)
        os.environ.setdefault(name.upper(), default)


_pin_settings_to_defaults()


def pytest_configure(config: pytest.Config) -> None:
    """The test run is an entry point too: the engine runs here as under `amt` and the API (one BLAS thread,
    glibc heap kept), and so do the servers and commands it starts (they inherit the environment)."""
    tune_process()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.PostgresServer | None]:
    """The session's PostgreSQL server, or None when none can be had."""
    server = pg.start()
    yield server
    if server is not None:
        server.stop()


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind; its SQLAlchemy URL (an SQLite file's folder exists)."""
    with database_of_kind(request, tmp_path / "db" / "audio_mastering.db") as url:
        yield url


@pytest.fixture
def app_home(tmp_path: Path) -> Path:
    """An empty APP_HOME under the test's temporary folder."""
    return tmp_path / "app_home"


@pytest.fixture
def settings(app_home: Path) -> Settings:
    """Settings pointing at the temporary APP_HOME and its SQLite file."""
    return Settings(app_home=app_home, database_url="", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def sqlite_engine(settings: Settings) -> Iterator[Engine]:
    """A real SQLite database file with every table."""
    settings.app_home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    """Every table in a fresh database of each kind."""
    engine = make_engine(database_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session on the fresh database (rolled back and closed afterwards)."""
    factory = make_sessionmaker(db_engine)
    s = factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
