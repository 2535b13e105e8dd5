"""Reference track and similarity endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from amt.api.deps import SessionDep
from amt.api.schemas import ReferenceSummary
from amt.api.services import references as service

router = APIRouter(prefix="/api", tags=["references"])


MAX_LIST_LIMIT = 1000
MAX_OFFSET = 2**31 - 1
"""Largest offset accepted (database drivers overflow past 64 bits)."""


@router.get("/references")
def list_references(
    session: SessionDep,
    response: Response,
    genre: Annotated[str | None, Query(description="Genre (case-insensitive, aliases such as 'dnb')")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="Page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="References to skip")] = 0,
) -> list[ReferenceSummary]:
    """Reference summaries by genre then name, optionally of one genre; the number matching in ``X-Total-Count``."""
    page = service.list_references(session, genre, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    return page.items


@router.get("/references/{reference_id}")
def get_reference(
    reference_id: Annotated[uuid.UUID, Path(description="The reference id (a UUID).")], session: SessionDep
) -> dict[str, Any]:
    """One reference with its overall and band metrics."""
    return service.get_reference(session, str(reference_id))


@router.get("/references/{reference_id}/series")
def reference_series(
    reference_id: Annotated[uuid.UUID, Path(description="The reference id (a UUID).")], session: SessionDep
) -> dict[str, Any]:
    """A reference's stored series: the long-term spectrum (and, for user references, the loudness series)."""
    return service.reference_series(session, str(reference_id))


@router.post("/similarity/{analysis_id}")
def similarity(
    analysis_id: Annotated[uuid.UUID, Path(description="The analysis id (a UUID).")],
    session: SessionDep,
    genre: Annotated[str | None, Query(description="Only references of this genre")] = None,
    top_k: Annotated[int, Query(ge=1, le=100, description="How many references to return")] = 5,
) -> dict[str, Any]:
    """The references most similar to an analysis, by cosine similarity of the 128-dim vectors."""
    return service.similar_references(session, str(analysis_id), genre=genre, top_k=top_k)
