"""Analysis endpoints: upload, read, list, series, delete. HTTP only; the work is in services."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from amt.api.deps import SessionDep, SettingsDep
from amt.api.models import Analysis
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.api.routers.upload_form import GENRE_FIELD, STAGE_FIELD, upload_form
from amt.api.schemas import (
    AnalysisOut,
    AnalysisPage,
    AnalysisSummary,
    AudioOut,
    DestinationOut,
    SectionOut,
)
from amt.api.services import analysis as service
from amt.api.services.recommend.model import Level
from amt.api.services.report import read_time_extras
from amt.api.services.rows import band_dicts, overall_dict, plan_of, recommendation_of
from amt.api.services.series import unpack_series
from amt.api.uploads import receive_upload, run_until_disconnect
from amt.utils.errors import ValidationError
from amt.utils.logger import get_logger

log = get_logger(__name__)

router = APIRouter(prefix="/api", tags=["analysis"])
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def parse_flag(value: str | None, name: str) -> bool:
    """A boolean form field ('true'/'false', '1'/'0', 'yes'/'no', 'on'/'off'; absent is false)."""
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"'{name}' must be true or false.")


AnalysisId = Annotated[uuid.UUID, Path(description="The analysis id (a UUID).")]
MAX_OFFSET = 2**31 - 1
"""Largest history offset accepted (database drivers overflow past 64 bits)."""
ANALYSIS_SLOTS = anyio.CapacityLimiter(2)
"""At most this many analyses run at once (one per core); further uploads wait their turn."""

UPLOAD_FORM = upload_form(
    genre=GENRE_FIELD,
    recommendation_level={"type": "string", "enum": [level.value for level in Level]},
    stage=STAGE_FIELD,
    codec_preview={
        "type": "boolean",
        "description": "Also encode the master with each streaming destination's codec and measure its true peak "
        "after decoding (slower)",
    },
)


def analysis_out(row: Analysis, extras: dict[str, Any] | None = None) -> AnalysisOut:
    """The JSON of SPEC §7 (with the §8 destinations and sections) for an analysis's rows; ``extras``: its
    destinations and sections when they are at hand (just computed), else computed from the stored numbers."""
    overall = overall_dict(row.overall_metrics)
    if extras is None:
        encoded = json.loads(row.codec_preview) if row.codec_preview else None
        extras = read_time_extras(overall, unpack_series(row.series), row.duration_s, encoded)
    return AnalysisOut(
        id=row.id,
        filename=row.filename,
        genre=row.genre,
        recommendation_level=row.recommendation_level,
        stage=row.stage,
        created_at=row.created_at,
        engine_version=row.engine_version,
        audio=AudioOut(
            sample_rate=row.sample_rate,
            channels=row.channels,
            bit_depth=row.bit_depth,
            duration_s=row.duration_s,
            format=row.file_format,
            codec=row.codec,
            lossy=row.lossy,
            bit_rate_kbps=row.bit_rate_kbps,
            lowpass_hz=row.lowpass_hz,
        ),
        overall_metrics=overall,  # type: ignore[arg-type]
        band_metrics=band_dicts(row.band_metrics),  # type: ignore[arg-type]
        recommendations=[recommendation_of(r) for r in row.recommendations],
        plan=plan_of(row.plan),
        destinations=[DestinationOut(**d) for d in extras["destinations"]],
        sections=[SectionOut(**s) for s in extras["sections"]],
        section_contrast_lu=extras["section_contrast_lu"],
    )


@router.post("/analyze", status_code=201, response_model=AnalysisOut, openapi_extra=UPLOAD_FORM)
async def analyze(request: Request, settings: SettingsDep) -> JSONResponse:
    """Analyse an uploaded audio file (multipart ``file``, ``genre``, ``recommendation_level``, ``stage``,
    ``codec_preview``)."""
    upload = await receive_upload(request, dest_dir=settings.upload_dir, max_bytes=settings.max_upload_bytes)
    factory = request.app.state.sessionmaker
    cancel = threading.Event()
    try:
        assert upload.path is not None
        path = upload.path
        codec_preview = parse_flag(upload.fields.get("codec_preview"), "codec_preview")

        def work() -> service.StoredAnalysis:
            return service.analyze_and_store(
                factory,
                path,
                filename=upload.filename,
                genre=upload.fields.get("genre"),
                level=upload.fields.get("recommendation_level"),
                stage=upload.fields.get("stage"),
                max_duration_s=settings.max_duration_s,
                codec_preview=codec_preview,
                cancel=cancel,
                known_hash=upload.content_hash,
            )

        stored = await run_until_disconnect(request, cancel, work, limiter=ANALYSIS_SLOTS)
    except service.AnalysisCancelledError as exc:
        log.info(
            "Upload of %s cancelled after %.0f %% of its analysis: the client disconnected; nothing stored",
            upload.filename, 100 * exc.fraction_done,
        )  # fmt: skip
        return JSONResponse({"detail": "The client disconnected; nothing was stored."}, status_code=499)
    finally:
        upload.discard()
    body = analysis_out(stored.row, stored.extras).model_dump(mode="json")  # the rows as written: no read-back
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/analysis/{stored.row.id}"})


@router.get("/analyses")
def list_analyses(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AnalysisPage:
    """Earlier analyses, newest first."""
    repo = AnalysisRepository(session)
    items = []
    for row in repo.list_recent(limit=limit, offset=offset):
        om = row.overall_metrics.metrics() if row.overall_metrics else None
        items.append(
            AnalysisSummary(
                id=row.id,
                filename=row.filename,
                genre=row.genre,
                stage=row.stage,
                created_at=row.created_at,
                duration_s=row.duration_s,
                integrated_lufs=om.integrated_lufs if om else None,
                true_peak_dbtp=om.true_peak_dbtp if om else None,
                loudness_range_lu=om.loudness_range_lu if om else None,
                dynamic_range_db=om.dynamic_range_db if om else None,
            )
        )
    return AnalysisPage(items=items, total=repo.count_all(), limit=limit, offset=offset)


@router.get("/analysis/{analysis_id}")
def get_analysis(analysis_id: AnalysisId, session: SessionDep) -> AnalysisOut:
    """One analysis with overall and band metrics and recommendations."""
    return analysis_out(service.get_analysis(session, str(analysis_id)))


@router.get("/analysis/{analysis_id}/series")
def get_series(analysis_id: AnalysisId, session: SessionDep) -> dict[str, Any]:
    """The §4 time series of an analysis: loudness at 10 Hz, spectrum, band RMS, correlation, clip times."""
    row = service.get_analysis(session, str(analysis_id))
    return {"analysis_id": row.id, **(unpack_series(row.series) or {})}


@router.delete("/analysis/{analysis_id}", status_code=204)
def delete_analysis(analysis_id: AnalysisId, session: SessionDep) -> Response:
    """Delete an analysis and its rows in every table."""
    service.delete_analysis(session, str(analysis_id))
    return Response(status_code=204)
