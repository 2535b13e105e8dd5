"""Queries over ``reference_tracks`` and their metric rows, and the library's version token.

The version token lets every worker notice, with one primary-key lookup, that the
reference library changed (SPEC §6). It is a row of ``user_settings`` under a
reserved key that ``/api/settings`` never lists nor accepts, replaced by a new
random token in the same transaction as every insert, update or delete of
``reference_tracks`` or its metric rows: session events below catch ORM adds and deletes and bulk
``insert()``/``update()``/``delete()`` statements alike, so no writer can forget it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, selectinload

from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack, UserSetting, utcnow
from amt.api.repositories.base import RepositoryBase

LIBRARY_VERSION_KEY = "_reference_library_version"
"""Reserved ``user_settings`` key of the library version token (not a user setting)."""


@dataclass(frozen=True)
class VectorRows:
    """All reference vectors as parallel lists, for building a similarity matrix."""

    ids: list[str]
    genres: list[str]
    blobs: list[bytes]
    other_versions: int
    """References left out because their vector has another ``feature_version``."""


class ReferenceSummaryRow(NamedTuple):
    """A reference as the library list shows it."""

    id: str
    name: str
    artist: str
    genre: str
    year: int | None
    is_builtin: bool
    source: str | None
    licence: str | None
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    dynamic_range_db: float | None


TARGET_OVERALL_FIELDS = ("integrated_lufs", "loudness_range_lu", "dynamic_range_db", "plr_db")
"""The overall figures genre targets are derived from."""
TARGET_BAND_FIELDS = ("band", "energy_ratio", "stereo_width", "phase_correlation", "rms_db")
"""The band figures genre targets are derived from."""


@dataclass(frozen=True)
class TargetRow:
    """One reference's figures for target derivation (overall: TARGET_OVERALL_FIELDS; bands: TARGET_BAND_FIELDS)."""

    id: str
    overall: dict[str, Any]
    bands: list[dict[str, Any]]


class ReferenceRepository(RepositoryBase[ReferenceTrack]):
    """Built-in and user-added references."""

    model = ReferenceTrack

    def _full(self) -> Select[tuple[ReferenceTrack]]:
        return select(ReferenceTrack).options(
            selectinload(ReferenceTrack.overall_metrics), selectinload(ReferenceTrack.band_metrics)
        )

    def get_full(self, reference_id: str) -> ReferenceTrack | None:
        """A reference with its overall and band rows loaded."""
        return self.session.scalars(self._full().where(ReferenceTrack.id == reference_id)).first()

    def list_full(self, *, genres: Sequence[str] | None = None) -> Sequence[ReferenceTrack]:
        """References (optionally only those whose genre is one of ``genres``, exactly), by genre then name."""
        stmt = self._full().order_by(ReferenceTrack.genre, ReferenceTrack.name)
        if genres is not None:
            stmt = stmt.where(ReferenceTrack.genre.in_(list(genres)))
        return self.session.scalars(stmt).all()

    def _filtered(self, stmt: Select[Any], genres: Sequence[str] | None) -> Select[Any]:
        return stmt if genres is None else stmt.where(ReferenceTrack.genre.in_(list(genres)))

    def list_summaries(self, *, genres: Sequence[str] | None, limit: int, offset: int) -> list[ReferenceSummaryRow]:
        """One page of references (by genre, name, id): metadata and headline figures, no series or band rows."""
        om, metric = ReferenceOverallMetrics, ReferenceOverallMetrics.__table__.c
        stmt = (
            select(
                ReferenceTrack.id,
                ReferenceTrack.name,
                ReferenceTrack.artist,
                ReferenceTrack.genre,
                ReferenceTrack.year,
                ReferenceTrack.is_builtin,
                ReferenceTrack.source,
                ReferenceTrack.licence,
                metric.integrated_lufs,
                metric.true_peak_dbtp,
                metric.loudness_range_lu,
                metric.dynamic_range_db,
            )
            .outerjoin(om, om.reference_id == ReferenceTrack.id)
            .order_by(ReferenceTrack.genre, ReferenceTrack.name, ReferenceTrack.id)
            .limit(limit)
            .offset(offset)
        )
        return [ReferenceSummaryRow(*row) for row in self.session.execute(self._filtered(stmt, genres))]

    def count(self, *, genres: Sequence[str] | None = None) -> int:
        """Number of references (optionally only those whose genre is one of ``genres``)."""
        stmt = self._filtered(select(func.count(ReferenceTrack.id)), genres)
        return int(self.session.scalar(stmt) or 0)

    def target_numbers(self, genres: Sequence[str], *, builtin: bool | None = None) -> list[TargetRow]:
        """What target derivation reads of each reference of ``genres`` (only built-in or only user references
        when ``builtin`` says so): a few overall figures and the band rows, in one query each (no series blobs,
        no ORM objects); the spectra come from :meth:`spectra`."""
        om, bm = ReferenceOverallMetrics, ReferenceBandMetrics
        which: ColumnElement[bool] = ReferenceTrack.genre.in_(list(genres))
        if builtin is not None:
            which = and_(which, ReferenceTrack.is_builtin == builtin)
        overall_stmt = (
            select(ReferenceTrack.id, *(getattr(om, f) for f in TARGET_OVERALL_FIELDS))
            .outerjoin(om, om.reference_id == ReferenceTrack.id)
            .where(which)
            .order_by(ReferenceTrack.genre, ReferenceTrack.name)
        )
        rows = {r[0]: TargetRow(r[0], dict(zip(TARGET_OVERALL_FIELDS, r[1:], strict=True)), []) for r in
                self.session.execute(overall_stmt)}  # fmt: skip
        band_stmt = (
            select(bm.reference_id, *(getattr(bm, f) for f in TARGET_BAND_FIELDS))
            .join(ReferenceTrack, ReferenceTrack.id == bm.reference_id)
            .where(which)
            .order_by(bm.reference_id, bm.position)
        )
        for r in self.session.execute(band_stmt):
            rows[r[0]].bands.append(dict(zip(TARGET_BAND_FIELDS, r[1:], strict=True)))
        return list(rows.values())

    def spectra(self, genres: Sequence[str], *, builtin: bool | None = None) -> dict[str, bytes | None]:
        """The stored series blob of each reference of ``genres`` (only built-in or only user references when
        ``builtin`` says so), by id (target derivation reads its spectrum)."""
        which: ColumnElement[bool] = ReferenceTrack.genre.in_(list(genres))
        if builtin is not None:
            which = and_(which, ReferenceTrack.is_builtin == builtin)
        stmt = select(ReferenceTrack.id, ReferenceTrack.series).where(which)
        return {id_: blob for id_, blob in self.session.execute(stmt)}

    def get_many_full(self, ids: Sequence[str]) -> dict[str, ReferenceTrack]:
        """References by id, with their rows loaded."""
        if not ids:
            return {}
        rows = self.session.scalars(self._full().where(ReferenceTrack.id.in_(list(ids)))).all()
        return {r.id: r for r in rows}

    def genres(self) -> list[str]:
        """Distinct genre names of all references, in the database's order.

        A loose index scan (each step: the smallest genre above the last one, one
        seek in the genre index), because ``SELECT DISTINCT`` reads every row's entry:
        at a million references 0.1 ms instead of 100 ms, on every analysis and genre lookup.
        """
        genre = ReferenceTrack.genre
        first = select(func.min(genre).label("genre")).cte("genres", recursive=True)
        following = select(select(func.min(genre)).where(genre > first.c.genre).scalar_subquery())
        walk = first.union_all(following.where(first.c.genre.is_not(None)))
        return list(self.session.scalars(select(walk.c.genre).where(walk.c.genre.is_not(None))))

    def count_builtin(self) -> int:
        """Number of built-in references."""
        stmt = select(func.count(ReferenceTrack.id)).where(ReferenceTrack.is_builtin.is_(True))
        return int(self.session.scalar(stmt) or 0)

    def delete_builtin(self) -> int:
        """Delete every built-in reference (rows cascade); the number deleted."""
        ids = list(self.session.scalars(select(ReferenceTrack.id).where(ReferenceTrack.is_builtin.is_(True))))
        if ids:
            self.session.execute(delete(ReferenceTrack).where(ReferenceTrack.id.in_(ids)))
        return len(ids)

    def library_version(self) -> str | None:
        """The library's version token (one primary-key lookup); None until references were first written."""
        stmt = select(UserSetting.value).where(UserSetting.key == LIBRARY_VERSION_KEY)
        return self.session.execute(stmt).scalar_one_or_none()

    def vector_rows(self, feature_version: str) -> VectorRows:
        """Id, genre and vector blob of every reference whose vector has ``feature_version``.

        Vectors of another version are not comparable (another standardisation table):
        they are counted in ``other_versions``, never returned.
        """
        # One pass over the table (the version column has no index: a second query would scan it again).
        stmt = select(
            ReferenceTrack.id, ReferenceTrack.genre, ReferenceTrack.feature_vector, ReferenceTrack.feature_version
        ).where(ReferenceTrack.feature_vector.is_not(None))
        ids: list[str] = []
        genres: list[str] = []
        blobs: list[bytes] = []
        other = 0
        for id_, genre, blob, version in self.session.execute(stmt):
            if version != feature_version:
                other += 1
                continue
            ids.append(id_)
            genres.append(genre)
            blobs.append(blob)
        return VectorRows(ids=ids, genres=genres, blobs=blobs, other_versions=other)


_LIBRARY_MODELS = (ReferenceTrack, ReferenceOverallMetrics, ReferenceBandMetrics)
"""Rows whose change is a new library version: the vectors (similarity) and the metrics (genre targets)."""
_LIBRARY_TABLES = frozenset(m.__tablename__ for m in _LIBRARY_MODELS)


def _write_token(connection: Connection) -> None:
    """Set the version token to a new random value (insert the row the first time)."""
    values = {"key": LIBRARY_VERSION_KEY, "value": json.dumps(uuid.uuid4().hex), "updated_at": utcnow()}
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        # One atomic upsert: two writers creating the row at once cannot collide on the key.
        stmt = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(UserSetting).values(values)
        connection.execute(
            stmt.on_conflict_do_update(
                index_elements=[UserSetting.key],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
            )
        )
        return
    changed = connection.execute(update(UserSetting).where(UserSetting.key == LIBRARY_VERSION_KEY).values(values))
    if not changed.rowcount:
        connection.execute(insert(UserSetting).values(values))


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _flush: UOWTransaction) -> None:
    """A flush that added, changed or deleted reference rows bumps the token in the same transaction."""
    # In after_flush the new/dirty/deleted sets still describe what was just written.
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _LIBRARY_MODELS) for obj in touched):
        _write_token(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_statement(state: ORMExecuteState) -> None:
    """``session.execute(insert|update|delete(ReferenceTrack))`` bypasses the flush: bump the token here."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table: Any = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _LIBRARY_TABLES:
        _write_token(state.session.connection())
