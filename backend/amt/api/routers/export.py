"""One analysis as a CSV file or a self-contained HTML report (SPEC §8). HTTP only."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from amt.api.deps import SessionDep
from amt.api.routers.analyze import AnalysisId, analysis_out
from amt.api.services import analysis as service
from amt.api.services.export import analysis_csv, analysis_html, report_csp
from amt.api.services.series import unpack_series

router = APIRouter(prefix="/api", tags=["analysis"])


def _download_name(filename: str, suffix: str) -> str:
    """A safe file name for Content-Disposition: the upload's stem, plain characters only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", filename.rsplit(".", 1)[0])[:80] or "analysis"
    return f"{stem}{suffix}"


@router.get(
    "/analysis/{analysis_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def analysis_report_csv(analysis_id: AnalysisId, session: SessionDep) -> Response:
    """The analysis as CSV (``scope,metric,value,unit``: audio, overall and per-band figures)."""
    row = service.get_analysis(session, str(analysis_id))
    text = analysis_csv(analysis_out(row).model_dump(mode="json"))
    name = _download_name(row.filename, ".csv")
    return Response(
        text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/analysis/{analysis_id}/report.html", response_class=HTMLResponse)
def analysis_report_html(analysis_id: AnalysisId, session: SessionDep) -> HTMLResponse:
    """The analysis as one self-contained HTML page (inline CSS and SVG plots; no script, opens offline)."""
    row = service.get_analysis(session, str(analysis_id))
    page = analysis_html(analysis_out(row).model_dump(mode="json"), unpack_series(row.series))
    return HTMLResponse(page, headers={"Content-Security-Policy": report_csp()})
