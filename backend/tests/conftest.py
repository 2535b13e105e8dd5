"""Shared fixtures: a real temporary SQLite file, sessions, and settings per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.core.config import Settings
from api.database import init_db, make_engine, make_sessionmaker


@pytest.fixture
def app_home(tmp_path: Path) -> Path:
    """An empty APP_HOME under the test's temporary folder."""
    return tmp_path / "app_home"


@pytest.fixture
def settings(app_home: Path) -> Settings:
    """Settings pointing at the temporary APP_HOME and its SQLite file."""
    return Settings(app_home=app_home, database_url="", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def db_engine(settings: Settings) -> Iterator[Engine]:
    """A real SQLite database file with every table."""
    settings.app_home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session on the temporary database (rolled back and closed afterwards)."""
    factory = make_sessionmaker(db_engine)
    s = factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
