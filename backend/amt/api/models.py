"""SQLAlchemy 2.0 models of the 8 tables named by the seed (SPEC §3).

The metric columns are not written here: :func:`metric_columns` makes one per field
of the engine's dataclasses (:class:`amt.analysis.result.OverallMetrics`,
:class:`~amt.analysis.result.BandMetrics`), with the SPEC §4 name, and the two metric
mixins carry them to the analysis tables and the reference tables alike. Adding a
metric to the engine's dataclass adds its column; ``database/schema.sql`` is rendered
from this metadata (:func:`schema_sql`, ``python -m amt.scripts.render_schema``).
"""

from __future__ import annotations

import dataclasses
import types
import uuid
from datetime import UTC, datetime
from typing import Any, get_args, get_type_hints

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, declared_attr, mapped_column, relationship
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeDecorator, TypeEngine

from amt.analysis import result as engine


def new_id() -> str:
    """A new random UUID as text (portable across SQLite and PostgreSQL)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone: without this its timestamps come back naive and the JSON
    would carry no offset (a browser reads that as local time), unlike PostgreSQL's.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table."""


_COLUMN_TYPES: dict[type, type[TypeEngine[Any]] | TypeEngine[Any]] = {float: Float, int: Integer, str: String(16)}
"""Column type per field type of the engine's metric dataclasses (their one string is the band name)."""


def metric_columns(source: type) -> dict[str, MappedColumn[Any]]:
    """One column per field of the engine dataclass ``source``, in its order, named as the field.

    ``float`` → FLOAT, ``int`` → INTEGER, ``str`` → VARCHAR(16); nullable exactly when the field
    may be None (an undefined metric); an ``int`` that is never None (a count) defaults to 0.
    """
    hints = get_type_hints(source)
    columns: dict[str, MappedColumn[Any]] = {}
    for f in dataclasses.fields(source):
        hint = hints[f.name]
        kinds = [k for k in get_args(hint) if k is not types.NoneType] if isinstance(hint, types.UnionType) else [hint]
        if len(kinds) != 1 or kinds[0] not in _COLUMN_TYPES:
            raise TypeError(f"{source.__name__}.{f.name}: no column type for {hint!r}")
        nullable = isinstance(hint, types.UnionType)
        default = 0 if kinds[0] is int and not nullable else None
        columns[f.name] = mapped_column(_COLUMN_TYPES[kinds[0]], nullable=nullable, default=default)
    return columns


class OverallMetricsColumns:
    """The SPEC §4 overall metrics, one column per field of :class:`amt.analysis.result.OverallMetrics`.

    The columns are typed for the type checker through :meth:`metrics` (the row as the engine's dataclass)
    and, in queries, through the table's columns (``ReferenceOverallMetrics.__table__.c.integrated_lufs``).
    """

    def metrics(self) -> engine.OverallMetrics:
        """This row's figures as the engine's dataclass."""
        return engine.OverallMetrics(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(engine.OverallMetrics)}
        )


class BandMetricsColumns:
    """The SPEC §4 band metrics, one column per field of :class:`amt.analysis.result.BandMetrics`."""

    def metrics(self) -> engine.BandMetrics:
        """This row's figures as the engine's dataclass."""
        return engine.BandMetrics(**{f.name: getattr(self, f.name) for f in dataclasses.fields(engine.BandMetrics)})


for _mixin, _source in ((OverallMetricsColumns, engine.OverallMetrics), (BandMetricsColumns, engine.BandMetrics)):
    for _name, _column in metric_columns(_source).items():
        setattr(_mixin, _name, _column)


class AudioColumns:
    """What the decoder recorded, the engine version and the feature vector."""

    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    bit_depth: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    engine_version: Mapped[str] = mapped_column(String(32))
    feature_vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    """128 float32, little-endian (ml.similarity)."""
    feature_version: Mapped[str | None] = mapped_column(String(32))
    series: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The §4 time series as zlib-compressed JSON."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Analysis(AudioColumns, Base):
    """One analysed upload (the audio itself is never stored)."""

    __tablename__ = "analysis"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(16))
    genre: Mapped[str | None] = mapped_column(String(64), index=True)
    recommendation_level: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16), default="master")
    plan: Mapped[str | None] = mapped_column(Text)
    """JSON of the mastering plan (``api.services.recommend.model.Plan``)."""
    # What the decoder recorded about the codec (SPEC §4); null in rows from before lossy formats were read.
    codec: Mapped[str | None] = mapped_column(String(16))
    lossy: Mapped[bool | None] = mapped_column(Boolean)
    bit_rate_kbps: Mapped[float | None] = mapped_column(Float)
    lowpass_hz: Mapped[float | None] = mapped_column(Float)
    codec_preview: Mapped[str | None] = mapped_column(Text)
    """JSON list of the §8 codec previews (``analysis.codec_preview``), when they were asked for."""
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    """SHA-256 of the analysed file's bytes, hex, when a catalogue run stored it (``amt analyze … --store``)."""

    overall_metrics: Mapped[OverallMetrics | None] = relationship(
        back_populates="analysis", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    band_metrics: Mapped[list[BandMetrics]] = relationship(
        back_populates="analysis", cascade="all, delete-orphan", passive_deletes=True, order_by="BandMetrics.position"
    )
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="analysis",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Recommendation.position",
    )


class _AnalysisChild:
    @declared_attr
    def analysis_id(cls) -> Mapped[str]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(String(36), ForeignKey("analysis.id", ondelete="CASCADE"), index=True)


class OverallMetrics(OverallMetricsColumns, _AnalysisChild, Base):
    """The overall metrics of one analysis."""

    __tablename__ = "overall_metrics"
    __table_args__ = (UniqueConstraint("analysis_id", name="uq_overall_metrics_analysis"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    analysis: Mapped[Analysis] = relationship(back_populates="overall_metrics")


class BandMetrics(BandMetricsColumns, _AnalysisChild, Base):
    """The metrics of one band of one analysis."""

    __tablename__ = "band_metrics"
    __table_args__ = (UniqueConstraint("analysis_id", "band", name="uq_band_metrics_band"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    position: Mapped[int] = mapped_column(Integer)
    analysis: Mapped[Analysis] = relationship(back_populates="band_metrics")


class Recommendation(_AnalysisChild, Base):
    """One mastering recommendation (SPEC §5)."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    position: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(16))
    """A band name or ``overall``."""
    metric: Mapped[str] = mapped_column(String(64))
    current: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    deviation: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    tolerance: Mapped[float | None] = mapped_column(Float)
    suggested_change_db: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str | None] = mapped_column(Text)
    """JSON of the typed action (``api.services.recommend.model.Action``) of the plan step the row belongs to."""
    step: Mapped[int | None] = mapped_column(Integer)
    """``order`` of that plan step."""
    analysis: Mapped[Analysis] = relationship(back_populates="recommendations")


class ReferenceTrack(AudioColumns, Base):
    """A reference: a real corpus track or archetype (built-in), or a user-added reference."""

    __tablename__ = "reference_tracks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    artist: Mapped[str] = mapped_column(String(255))
    genre: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    source: Mapped[str | None] = mapped_column(String(255))
    """Where it comes from: the file it was analysed from, a corpus track's Debian package and path, or the
    synthesiser spec of an archetype."""
    licence: Mapped[str | None] = mapped_column(String(64))
    """The licence of a corpus track (from its package's copyright file); None for user references and archetypes."""

    overall_metrics: Mapped[ReferenceOverallMetrics | None] = relationship(
        back_populates="reference", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    band_metrics: Mapped[list[ReferenceBandMetrics]] = relationship(
        back_populates="reference",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReferenceBandMetrics.position",
    )


class _ReferenceChild:
    @declared_attr
    def reference_id(cls) -> Mapped[str]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(String(36), ForeignKey("reference_tracks.id", ondelete="CASCADE"), index=True)


class ReferenceBandMetrics(BandMetricsColumns, _ReferenceChild, Base):
    """The metrics of one band of one reference."""

    __tablename__ = "reference_band_metrics"
    __table_args__ = (UniqueConstraint("reference_id", "band", name="uq_reference_band_metrics_band"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    position: Mapped[int] = mapped_column(Integer)
    reference: Mapped[ReferenceTrack] = relationship(back_populates="band_metrics")


class ReferenceOverallMetrics(OverallMetricsColumns, _ReferenceChild, Base):
    """The overall metrics of one reference."""

    __tablename__ = "reference_overall_metrics"
    __table_args__ = (UniqueConstraint("reference_id", name="uq_reference_overall_metrics_reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # What genre targets read of a reference besides the overall figures (SPEC §5), one row per reference, so that
    # deriving them reads no series and no band rows. Null in rows stored before these columns existed: the first
    # target derivation that reads such a row fills them (api.services.targets).
    spectrum_db: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The long-term average spectrum of the series (SPEC §4): dB per 1/6-octave bin, float64 little-endian, NaN where
    a bin is undefined (``api.services.series.pack_floats``)."""
    band_figures: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Of each band row, low to high, the figures targets read (``api.services.corpus.TARGET_BAND_FIELDS``): 5 × 4
    float64 little-endian, NaN where null."""
    reference: Mapped[ReferenceTrack] = relationship(back_populates="overall_metrics")


class UserSetting(Base):
    """A key–value setting; the API validates the known keys."""

    __tablename__ = "user_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    """JSON."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


OVERALL_METRIC_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(engine.OverallMetrics))
"""The overall metric columns, in the engine's order."""
BAND_METRIC_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(engine.BandMetrics))
"""The band metric columns, in the engine's order."""


def schema_sql() -> str:
    """The reference schema (SQLite dialect) of every table, rendered from this metadata: ``database/schema.sql``."""
    dialect = sqlite.dialect()
    parts = [
        "-- Audio Mastering Tool: reference schema (SQLite dialect), rendered from backend/amt/api/models.py.\n"
        "-- Do not edit: python -m amt.scripts.render_schema rewrites it (a test checks it is current).",
        "PRAGMA foreign_keys = ON;",
    ]
    for table in Base.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";")
    text = "\n\n".join(parts) + "\n"
    return "\n".join(line.rstrip() for line in text.split("\n"))
