"""Schema: 8 tables, SQLite pragmas, cascades, and SQL migrations equal to the ORM."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from amt.analysis.result import BandMetrics, OverallMetrics
from amt.api.database import init_db
from amt.api.models import BAND_METRIC_FIELDS, OVERALL_METRIC_FIELDS

MIGRATIONS = Path(__file__).resolve().parents[1] / "database" / "migrations"
SEED_TABLES = {
    "analysis",
    "band_metrics",
    "overall_metrics",
    "reference_tracks",
    "reference_band_metrics",
    "reference_overall_metrics",
    "recommendations",
    "user_settings",
}


def _describe(engine: Engine) -> dict[str, dict[str, object]]:
    """Tables → columns (type affinity, nullability), primary and foreign keys, as SQLite reports them."""
    insp = inspect(engine)
    out: dict[str, dict[str, object]] = {}
    for table in insp.get_table_names():
        cols = {c["name"]: (str(c["type"]).upper(), c["nullable"]) for c in insp.get_columns(table)}
        fks = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], fk.get("options", {}).get("ondelete"))
            for fk in insp.get_foreign_keys(table)
        )
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table))
        indexes = sorted(tuple(i["column_names"]) for i in insp.get_indexes(table))
        out[table] = {
            "columns": cols,
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "fks": fks,
            "uniques": uniques,
            "indexes": indexes,
        }
    return out


def test_exactly_the_eight_seed_tables(db_engine: Engine) -> None:
    assert set(inspect(db_engine).get_table_names()) == SEED_TABLES


def test_sql_migrations_create_the_same_schema_as_the_orm(sqlite_engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / "from_sql.db"
    conn = sqlite3.connect(db)
    for name in (
        "init_schema.sql",
        "add_reference_overall_metrics.sql",
        "add_reference_licence.sql",
        "add_analysis_codec.sql",
        "add_reference_target_inputs.sql",
    ):
        conn.executescript((MIGRATIONS / name).read_text())
    conn.close()
    sql_engine = create_engine(f"sqlite:///{db}")
    try:
        assert _describe(sql_engine) == _describe(sqlite_engine)
    finally:
        sql_engine.dispose()


def test_metric_columns_are_the_engine_fields() -> None:
    assert OVERALL_METRIC_FIELDS == tuple(f.name for f in dataclasses.fields(OverallMetrics))
    assert BAND_METRIC_FIELDS == tuple(f.name for f in dataclasses.fields(BandMetrics))


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_database_from_an_older_release_gains_the_new_columns(tmp_path: Path) -> None:
    """A database created before the codec columns: init_db adds them, and the schema equals the ORM's."""
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    conn = sqlite3.connect(old)
    for name in ("init_schema.sql", "add_reference_overall_metrics.sql"):
        conn.executescript((MIGRATIONS / name).read_text())
    conn.execute(
        "INSERT INTO analysis (id, filename, file_format, recommendation_level, stage, sample_rate, channels,"
        " duration_s, engine_version, created_at) VALUES ('a', 'x.wav', 'WAV', 'suggestive', 'master', 48000, 2,"
        " 1.0, '1.0', '2026-01-01 00:00:00')"
    )
    conn.commit()
    conn.close()
    engines = [create_engine(f"sqlite:///{old}"), create_engine(f"sqlite:///{fresh}")]
    try:
        for engine in engines:
            init_db(engine)
        assert _describe(engines[0]) == _describe(engines[1])
        with engines[0].connect() as c:
            assert c.execute(text("SELECT filename, codec, lossy FROM analysis")).one() == ("x.wav", None, None)
    finally:
        for engine in engines:
            engine.dispose()
