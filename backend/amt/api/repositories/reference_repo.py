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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, selectinload

from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack, UserSetting, utcnow
from amt.api.repositories.base import RepositoryBase

_IDS_PER_QUERY = 500
"""Ids per ``IN (…)`` list: far below every driver's limit on bound parameters."""
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


@dataclass(frozen=True)
class TargetColumns:
    """What target derivation reads of a set of references, column by column (row i is one reference)."""

    genres: list[str]
    """Each reference's stored genre name."""
    overall: dict[str, np.ndarray]
    """Overall figure → shape (n,), NaN where null or the reference has no overall row."""
    spectra: list[bytes | None]
    """Each reference's ``spectrum_db`` column."""
    band_figures: list[bytes | None]
    """Each reference's ``band_figures`` column."""


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

    def list_summaries(
        self, *, fields: Sequence[str], genres: Sequence[str] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """One page of references (by genre, name, id) as ``fields`` → value: columns of the reference, else of its
        overall metrics (no series, no band rows)."""
        om = ReferenceOverallMetrics
        columns = [getattr(ReferenceTrack, f, None) or getattr(om, f) for f in fields]
        stmt = (
            select(*columns)
            .outerjoin(om, om.reference_id == ReferenceTrack.id)
            .order_by(ReferenceTrack.genre, ReferenceTrack.name, ReferenceTrack.id)
            .limit(limit)
            .offset(offset)
        )
        return [dict(zip(fields, row, strict=True)) for row in self.session.execute(self._filtered(stmt, genres))]

    def count(self, *, genres: Sequence[str] | None = None) -> int:
        """Number of references (optionally only those whose genre is one of ``genres``)."""
        stmt = self._filtered(select(func.count(ReferenceTrack.id)), genres)
        return int(self.session.scalar(stmt) or 0)

    def _which(self, genres: Sequence[str] | None, builtin: bool | None) -> ColumnElement[bool]:
        which: ColumnElement[bool] = true() if genres is None else ReferenceTrack.genre.in_(list(genres))
        return which if builtin is None else and_(which, ReferenceTrack.is_builtin == builtin)

    def target_columns(
        self, genres: Sequence[str] | None, *, builtin: bool | None, overall_fields: Sequence[str]
    ) -> TargetColumns:
        """What target derivation reads of each reference of ``genres`` (every genre when None; only built-in or
        only user references when ``builtin`` says so): ``overall_fields``, the spectrum and the band figures of its
        overall row — one query, one row per reference, no series, no band rows, no ORM objects."""
        om = ReferenceOverallMetrics
        stmt = (
            select(ReferenceTrack.genre, om.spectrum_db, om.band_figures, *(getattr(om, f) for f in overall_fields))
            .outerjoin(om, om.reference_id == ReferenceTrack.id)
            .where(self._which(genres, builtin))
        )
        rows = self.session.connection().execute(stmt).all()  # plain rows: no ORM result processing
        overall = np.array([row[3:] for row in rows], dtype=float).reshape(len(rows), len(overall_fields))
        return TargetColumns(
            genres=[row[0] for row in rows],
            overall={f: overall[:, k] for k, f in enumerate(overall_fields)},
            spectra=[row[1] for row in rows],
            band_figures=[row[2] for row in rows],
        )

    def without_target_columns(self) -> list[tuple[str, bytes | None]]:
        """(id, series blob) of each reference whose overall row lacks its spectrum or band figures: rows stored
        before those columns existed (none once they are filled: a scan of the overall rows)."""
        om = ReferenceOverallMetrics
        stmt = (
            select(ReferenceTrack.id, ReferenceTrack.series)
            .join(om, om.reference_id == ReferenceTrack.id)
            .where(or_(om.spectrum_db.is_(None), om.band_figures.is_(None)))
        )
        return [(id_, blob) for id_, blob in self.session.execute(stmt)]

    def band_rows(self, reference_ids: Sequence[str], fields: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """``band`` and ``fields`` of the band rows of each of ``reference_ids``, by reference id."""
        bm = ReferenceBandMetrics
        out: dict[str, list[dict[str, Any]]] = {id_: [] for id_ in reference_ids}
        names = ("band", *fields)
        for start in range(0, len(reference_ids), _IDS_PER_QUERY):
            chunk = list(reference_ids[start : start + _IDS_PER_QUERY])
            stmt = select(bm.reference_id, *(getattr(bm, f) for f in names)).where(bm.reference_id.in_(chunk))
            for row in self.session.execute(stmt):
                out[row[0]].append(dict(zip(names, row[1:], strict=True)))
        return out

    def store_target_columns(self, values: Mapping[str, tuple[bytes | None, bytes | None]]) -> None:
        """Store (spectrum, band figures) on the overall rows of references, by reference id.

        Figures the database already holds, stored once more in the form targets read, not a change of the library:
        written past the session's hooks, so the library version (and every worker's cached targets and similarity
        matrix) stays as it is.
        """
        if not values:
            return
        om = ReferenceOverallMetrics
        stmt = (
            update(om)
            .where(om.reference_id == bindparam("ref_id"))
            .values(spectrum_db=bindparam("spectrum"), band_figures=bindparam("bands"))
        )
        params = [{"ref_id": k, "spectrum": v[0], "bands": v[1]} for k, v in values.items()]
        self.session.connection().execute(stmt, params)

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
        _forget_stale_target_columns(session)


def _forget_stale_target_columns(session: Session) -> None:
    """Null the target columns (spectrum, band figures) that a flush made stale, so they are filled again from the
    series and band rows: a reference whose series changed, whose band rows changed or were deleted."""
    stale_spectrum = {
        obj.id
        for obj in session.dirty
        if isinstance(obj, ReferenceTrack) and inspect(obj).attrs.series.history.has_changes()
    }
    stale_bands = {
        obj.reference_id for obj in (*session.dirty, *session.deleted) if isinstance(obj, ReferenceBandMetrics)
    }
    _null_target_columns(session.connection(), ReferenceOverallMetrics.spectrum_db, stale_spectrum)
    _null_target_columns(session.connection(), ReferenceOverallMetrics.band_figures, stale_bands)


def _null_target_columns(connection: Connection, column: Any, reference_ids: set[str] | None) -> None:
    """Set ``column`` of the overall rows of ``reference_ids`` (every row when None) to null."""
    om = ReferenceOverallMetrics
    if reference_ids is not None and not reference_ids:
        return
    stmt = update(om).values({column.key: None})
    if reference_ids is not None:
        stmt = stmt.where(om.reference_id.in_(sorted(reference_ids)))
    connection.execute(stmt)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_statement(state: ORMExecuteState) -> None:
    """``session.execute(insert|update|delete(ReferenceTrack))`` bypasses the flush: bump the token here."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table: Any = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in _LIBRARY_TABLES:
        _write_token(state.session.connection())
    # A statement may change any band row or series: their target columns are filled again when next read.
    if name == ReferenceBandMetrics.__tablename__ and not state.is_insert:
        _null_target_columns(state.session.connection(), ReferenceOverallMetrics.band_figures, None)
    statement: Any = state.statement
    if name == ReferenceTrack.__tablename__ and state.is_update and "series" in statement.compile().params:
        _null_target_columns(state.session.connection(), ReferenceOverallMetrics.spectrum_db, None)
