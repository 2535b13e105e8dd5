"""Schema: 8 tables, SQLite pragmas, cascades; metric columns from the engine; reference SQL rendered from the ORM."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Float, Integer, String, create_engine, inspect, text
from sqlalchemy.engine import Engine

from amt.analysis.result import BandMetrics, OverallMetrics
from amt.api.database import init_db
from amt.api.models import (
    BAND_METRIC_FIELDS,
    OVERALL_METRIC_FIELDS,
    Base,
    ReferenceBandMetrics,
    ReferenceOverallMetrics,
    metric_columns,
    schema_sql,
)
from amt.scripts.render_schema import SCHEMA_PATH

MIGRATIONS = Path(__file__).resolve().parents[1] / "database" / "migrations"
HISTORY = (
    "init_schema.sql",
    "add_reference_overall_metrics.sql",
    "add_reference_licence.sql",
    "add_analysis_codec.sql",
    "add_analysis_content_hash.sql",
    "add_reference_target_inputs.sql",
)
"""The historic migrations, in the order they were released (frozen: the current schema is schema.sql)."""
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


def test_the_reference_schema_file_is_current() -> None:
    """database/schema.sql is what the ORM renders (python -m amt.scripts.render_schema rewrites it)."""
    assert SCHEMA_PATH.read_text() == schema_sql()


def test_the_reference_schema_creates_the_same_schema_as_the_orm(sqlite_engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / "from_sql.db"
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA_PATH.read_text())
    conn.close()
    sql_engine = create_engine(f"sqlite:///{db}")
    try:
        assert _describe(sql_engine) == _describe(sqlite_engine)
    finally:
        sql_engine.dispose()


def test_every_engine_metric_is_a_column_of_both_owners() -> None:
    """By construction (models.metric_columns): the analysis and reference tables carry every engine field."""
    tables = Base.metadata.tables
    for source, names in ((OverallMetrics, ("overall_metrics", "reference_overall_metrics")),
                          (BandMetrics, ("band_metrics", "reference_band_metrics"))):  # fmt: skip
        for f in dataclasses.fields(source):
            for name in names:
                column = tables[name].c[f.name]
                assert column.nullable == ("None" in str(f.type)), (name, f.name)
    assert OVERALL_METRIC_FIELDS == tuple(f.name for f in dataclasses.fields(OverallMetrics))
    assert BAND_METRIC_FIELDS == tuple(f.name for f in dataclasses.fields(BandMetrics))


def test_a_new_engine_field_becomes_a_column_of_its_type() -> None:
    @dataclasses.dataclass(frozen=True)
    class Metrics:
        loudness_lufs: float | None
        count: int
        band: str
        width: float

    columns = metric_columns(Metrics)
    assert list(columns) == ["loudness_lufs", "count", "band", "width"]
    kinds = {name: c.column for name, c in columns.items()}
    assert isinstance(kinds["loudness_lufs"].type, Float) and kinds["loudness_lufs"].nullable
    assert isinstance(kinds["count"].type, Integer) and not kinds["count"].nullable
    assert kinds["count"].default is not None and kinds["count"].default.arg == 0
    assert isinstance(kinds["band"].type, String) and kinds["band"].type.length == 16
    assert isinstance(kinds["width"].type, Float) and not kinds["width"].nullable


def test_a_field_without_a_column_type_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Metrics:
        values: list[float]

    with pytest.raises(TypeError, match=r"Metrics\.values"):
        metric_columns(Metrics)


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.parametrize("applied", [2, 6])
def test_a_database_from_an_older_release_gains_the_new_columns(tmp_path: Path, applied: int) -> None:
    """A database created by the historic migrations (the first two: before the licence, codec and content-hash
    columns; all six): init_db adds what the ORM declares since (columns and indexes), and the schema equals the
    ORM's."""
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    conn = sqlite3.connect(old)
    for name in HISTORY[:applied]:
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
            row = c.execute(text("SELECT filename, codec, lossy, content_hash FROM analysis")).one()
            assert row == ("x.wav", None, None, None)
    finally:
        for engine in engines:
            engine.dispose()


def test_a_metric_row_reads_back_as_the_engine_dataclass() -> None:
    """The typed view of a row (``metrics()``) is the engine dataclass it was made from."""
    names = [f.name for f in dataclasses.fields(OverallMetrics)]
    values = {
        name: (i if name in ("clipped_samples", "clip_events", "dr_value") else i + 0.5) for i, name in enumerate(names)
    }
    overall = OverallMetrics(**values)  # type: ignore[arg-type]
    assert ReferenceOverallMetrics(**dataclasses.asdict(overall)).metrics() == overall
    band = BandMetrics(
        band="low", freq_low_hz=60.0, freq_high_hz=250.0, rms_db=-20.0, energy_ratio=0.3, peak_db=-6.0,
        crest_factor_db=None, level_range_db=None, spectral_centroid_hz=120.0, spectral_rolloff_hz=None,
        spectral_flatness=None, stereo_width=0.1, phase_correlation=0.9,
    )  # fmt: skip
    assert ReferenceBandMetrics(position=0, **dataclasses.asdict(band)).metrics() == band
