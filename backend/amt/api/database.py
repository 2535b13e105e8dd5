"""Synchronous SQLAlchemy engine and sessions (SPEC §3).

SQLite runs in WAL mode with a busy timeout and foreign keys on, so concurrent
requests wait for each other instead of failing with "database is locked".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from amt.api.core.config import Settings
from amt.api.models import Base
from amt.utils.errors import DatabaseBusyError, InsufficientStorageError, StorageError
from amt.utils.logger import get_logger

log = get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_SWITCH_ATTEMPTS = 250
"""× 20 ms: how long a connection waits for another process to finish switching a new file to WAL."""
SCHEMA_LOCK_KEY = 0x414D545F534348  # "AMT_SCH": the PostgreSQL advisory lock held while creating tables


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _enter_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _enter_wal(cursor: sqlite3.Cursor) -> None:
    # Turning a new file to WAL needs an exclusive lock that SQLite does not wait for (no busy handler), so
    # processes opening a fresh database together (uvicorn workers) retry for a while instead of failing.
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.02)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets its pragmas on every connection."""
    if url.startswith("sqlite"):
        # A fresh connection per session (sub-millisecond for SQLite): a database file that
        # disappears or breaks is noticed at once by /health instead of hidden by a pool.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=NullPool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _upload_in_progress(name: str) -> bool:
    """Whether the process that owns this temporary upload (``upload-<pid>-…``, see api.uploads) still runs.

    Workers share ``$APP_HOME/tmp``: a worker that starts (or is restarted) while another is
    analysing must not delete that upload. Unnamed files and files of dead processes are leftovers.
    """
    parts = name.split("-", 2)
    if len(parts) < 3 or parts[0] != "upload" or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # a pid reused from a crashed run: this process, just starting, has no upload yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_storage(settings: Settings) -> int:
    """Create ``APP_HOME`` and its upload folder; remove uploads left by a crash and return how many.

    Logging is not set up yet when this runs, so the caller reports the count.
    """
    try:
        settings.app_home.mkdir(parents=True, exist_ok=True)
        settings.upload_dir.mkdir(parents=True, exist_ok=True)
        leftovers = [p for p in settings.upload_dir.iterdir() if not _upload_in_progress(p.name)]
        for path in leftovers:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)  # another worker starting at the same time may have removed it
        probe = settings.upload_dir / f"upload-{os.getpid()}-write-test"
        probe.write_bytes(b"ok")
        probe.unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(
            f"The application directory APP_HOME={settings.app_home} cannot be used: {exc.strerror or exc}. "
            "Make it writable, free some disk space, or point APP_HOME elsewhere."
        ) from exc
    return len(leftovers)


def init_db(engine: Engine) -> None:
    """Create every table that does not exist yet, and add the columns a newer release declares.

    One process at a time: uvicorn workers starting together on an empty database would otherwise
    all see no table and all CREATE it, and all but one fail ("already exists").
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, waited for up to the busy timeout
        Base.metadata.create_all(conn)
        add_missing_columns(conn)
        add_missing_indexes(conn)


def add_missing_columns(conn: Connection) -> list[str]:
    """Add the nullable columns a newer release declares to tables created by an older one (ALTER TABLE … ADD
    COLUMN, as in ``database/migrations/``); the ``table.column`` names added."""
    insp = inspect(conn)
    added = []
    for table in Base.metadata.sorted_tables:
        present = {c["name"] for c in insp.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    if added:
        log.info("Database schema upgraded: added %s", ", ".join(added))
    return added


def add_missing_indexes(conn: Connection) -> list[str]:
    """Create the indexes a newer release declares on tables created by an older one; their names."""
    insp = inspect(conn)
    added = []
    for table in Base.metadata.sorted_tables:
        present = {i["name"] for i in insp.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in present:
                index.create(conn)
                added.append(str(index.name))
    if added:
        log.info("Database schema upgraded: added index %s", ", ".join(added))
    return added


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "unreachable" for /health
        log.exception("Database ping failed")
        return False


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for scripts and the CLI: directory and tables created if missing."""
    settings.app_home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    init_db(engine)
    return engine, make_sessionmaker(engine)


def classify_database_error(exc: BaseException) -> StorageError | None:
    """The client-facing error for a database that is busy, full or unreachable; None for anything else.

    SQLite reports these in words, PostgreSQL by SQLSTATE (53100 disk full; 55P03, 40001, 40P01 lock
    and serialisation conflicts).
    """
    if not isinstance(exc, OperationalError):
        return None
    words = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if "database or disk is full" in words or "no space left" in words or sqlstate == "53100":
        return InsufficientStorageError(
            "The server's disk is full, so the request could not be completed. Try again later."
        )
    if "database is locked" in words or "database is busy" in words or sqlstate in ("55P03", "40001", "40P01"):
        return DatabaseBusyError("The database is busy with another writer. Try again in a moment.")
    return StorageError("The database is unavailable right now. Try again later.")
