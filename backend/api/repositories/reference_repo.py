"""Queries over ``reference_tracks`` and their metric rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import selectinload

from api.models import ReferenceTrack
from api.repositories.base import RepositoryBase


@dataclass(frozen=True)
class VectorRows:
    """All reference vectors as parallel lists, for building a similarity matrix."""

    ids: list[str]
    genres: list[str]
    blobs: list[bytes]


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

    def list_full(self, *, genre: str | None = None) -> Sequence[ReferenceTrack]:
        """References (optionally of one genre, exact canonical name), by genre then name."""
        stmt = self._full().order_by(ReferenceTrack.genre, ReferenceTrack.name)
        if genre is not None:
            stmt = stmt.where(func.lower(ReferenceTrack.genre) == genre.lower())
        return self.session.scalars(stmt).all()

    def get_many_full(self, ids: Sequence[str]) -> dict[str, ReferenceTrack]:
        """References by id, with their rows loaded."""
        if not ids:
            return {}
        rows = self.session.scalars(self._full().where(ReferenceTrack.id.in_(list(ids)))).all()
        return {r.id: r for r in rows}

    def genres(self) -> list[str]:
        """Distinct genre names of all references."""
        return list(self.session.scalars(select(ReferenceTrack.genre).distinct().order_by(ReferenceTrack.genre)))

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

    def library_version(self) -> tuple[int, datetime | None]:
        """(count, newest created_at): changes whenever references are added, replaced or removed."""
        row = self.session.execute(select(func.count(ReferenceTrack.id), func.max(ReferenceTrack.created_at))).one()
        return int(row[0]), row[1]

    def vector_rows(self) -> VectorRows:
        """Every reference's id, genre and feature-vector blob (references without a vector are skipped)."""
        stmt = select(ReferenceTrack.id, ReferenceTrack.genre, ReferenceTrack.feature_vector).where(
            ReferenceTrack.feature_vector.is_not(None)
        )
        ids: list[str] = []
        genres: list[str] = []
        blobs: list[bytes] = []
        for id_, genre, blob in self.session.execute(stmt):
            ids.append(id_)
            genres.append(genre)
            blobs.append(blob)
        return VectorRows(ids=ids, genres=genres, blobs=blobs)
