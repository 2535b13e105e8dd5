"""Queries over an analysis and its rows in ``overall_metrics``, ``band_metrics``, ``recommendations``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from amt.api.models import Analysis
from amt.api.repositories.base import RepositoryBase


class AnalysisRepository(RepositoryBase[Analysis]):
    """Analyses with their child rows; deleting one cascades to every table."""

    model = Analysis

    def get_full(self, analysis_id: str) -> Analysis | None:
        """An analysis with overall, band and recommendation rows loaded."""
        stmt = (
            select(Analysis)
            .where(Analysis.id == analysis_id)
            .options(
                selectinload(Analysis.overall_metrics),
                selectinload(Analysis.band_metrics),
                selectinload(Analysis.recommendations),
            )
        )
        return self.session.scalars(stmt).first()

    def list_recent(self, *, limit: int, offset: int) -> Sequence[Analysis]:
        """Analyses newest first, with their overall metrics."""
        stmt = (
            select(Analysis)
            .options(selectinload(Analysis.overall_metrics))
            .order_by(Analysis.created_at.desc(), Analysis.id)
            .limit(limit)
            .offset(offset)
        )
        return self.session.scalars(stmt).all()

    def count_all(self) -> int:
        """Number of stored analyses."""
        return int(self.session.scalar(select(func.count(Analysis.id))) or 0)

    def find_by_content(self, content_hash: str, engine_version: str) -> str | None:
        """The id of an analysis of the file content ``content_hash`` (SHA-256, hex) by ``engine_version``, or None."""
        stmt = (
            select(Analysis.id)
            .where(Analysis.content_hash == content_hash, Analysis.engine_version == engine_version)
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def delete(self, analysis: Analysis) -> None:
        """Delete an analysis and (by cascade) its rows in every table."""
        self.session.delete(analysis)
        self.session.flush()
