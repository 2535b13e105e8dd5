"""Health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from amt.analysis.result import ENGINE_VERSION
from amt.api.database import ping

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    ok = ping(request.app.state.engine)
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "error", "version": ENGINE_VERSION}
    return JSONResponse(body, status_code=200 if ok else 503)
