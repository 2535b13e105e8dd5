"""A/B comparison endpoint."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from amt.api.deps import SessionDep
from amt.api.services.compare import compare

router = APIRouter(prefix="/api", tags=["compare"])


@router.get("/compare")
def compare_endpoint(
    session: SessionDep,
    a: Annotated[uuid.UUID, Query(description="An analysis id")],
    b: Annotated[uuid.UUID, Query(description="An analysis id or a reference id")],
) -> dict[str, Any]:
    """Metric-by-metric and band-by-band differences a − b, raw and level-matched (b gained to a's loudness)."""
    return compare(session, str(a), str(b))
