"""``POST /api/master``: the upload with its plan applied (SPEC §5, §7). HTTP only; nothing is stored."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from amt.api.deps import SettingsDep
from amt.api.routers.analyze import ANALYSIS_SLOTS
from amt.api.routers.upload_form import GENRE_FIELD, STAGE_FIELD, upload_form
from amt.api.services import analysis as analysis_service
from amt.api.services.mastering import Mastered, master_file, parse_only
from amt.api.services.targets import genre_target
from amt.api.uploads import receive_upload, run_until_disconnect
from amt.utils.logger import get_logger

router = APIRouter(prefix="/api", tags=["analysis"])
log = get_logger(__name__)

LOUDNESS_HEADER = "X-Integrated-LUFS"
"""The returned WAV's integrated loudness as measured by the engine, LUFS (absent when undefined: silence)."""
TRUE_PEAK_HEADER = "X-True-Peak-dBTP"
"""The returned WAV's true peak as measured by the engine, dBTP (absent when undefined)."""
MEASURED_HEADERS = (LOUDNESS_HEADER, TRUE_PEAK_HEADER)

MASTER_FORM = upload_form(
    genre=GENRE_FIELD,
    stage=STAGE_FIELD,
    only={
        "type": "string",
        "description": "Step kinds to apply, comma-separated: eq, stereo, dynamics, limiter (default: every step)",
    },
)


@router.post(
    "/master",
    response_class=FileResponse,
    responses={
        200: {
            "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The upload with its prescriptive plan applied, 32-bit float WAV",
            "headers": {
                LOUDNESS_HEADER: {
                    "description": "Integrated loudness of the returned WAV, measured, LUFS (absent: undefined)",
                    "schema": {"type": "number"},
                },
                TRUE_PEAK_HEADER: {
                    "description": "True peak of the returned WAV, measured, dBTP (absent: undefined)",
                    "schema": {"type": "number"},
                },
            },
        }
    },
    openapi_extra=MASTER_FORM,
)
async def master(request: Request, settings: SettingsDep) -> Response:
    """Apply the upload's plan with the reference chain (multipart ``file``, ``genre``, ``stage``, ``only``); stop
    when the client goes away.

    The output's measured integrated loudness and true peak come back as ``X-Integrated-LUFS`` and
    ``X-True-Peak-dBTP``, so the page can play it level-matched against the original.
    """
    upload = await receive_upload(request, dest_dir=settings.upload_dir, max_bytes=settings.max_upload_bytes)
    factory = request.app.state.sessionmaker
    cancel = threading.Event()
    fd, name = tempfile.mkstemp(prefix=f"upload-{os.getpid()}-master-", suffix=".wav", dir=settings.upload_dir)
    os.close(fd)
    out = Path(name)
    try:
        assert upload.path is not None
        src = upload.path

        def work() -> Mastered:
            with factory() as session:
                canonical, _, stage = analysis_service.resolve_options(
                    session, genre=upload.fields.get("genre"), level=None, stage=upload.fields.get("stage")
                )
                target = genre_target(session, canonical) if canonical else None
            only = parse_only(upload.fields.get("only"))
            return master_file(
                src,
                out,
                target=target,
                stage=stage,
                only=only,
                max_duration_s=settings.max_duration_s,
                cancel=cancel,
            )

        done = await run_until_disconnect(request, cancel, work, limiter=ANALYSIS_SLOTS)
    except analysis_service.AnalysisCancelledError as exc:
        out.unlink(missing_ok=True)
        log.info(
            "Mastering of %s cancelled after %.0f %% of its work: the client disconnected; nothing kept",
            upload.filename, 100 * exc.fraction_done,
        )  # fmt: skip
        return JSONResponse({"detail": "The client disconnected; nothing was kept."}, status_code=499)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        upload.discard()
    name = Path(upload.filename).stem + "-mastered.wav"
    return FileResponse(
        out,
        media_type="audio/wav",
        filename=name,
        headers=measured_headers(done),
        background=BackgroundTask(out.unlink, True),
    )


def measured_headers(done: Mastered) -> dict[str, str]:
    """The output's measured integrated loudness and true peak as headers, so a player can level-match it."""
    after = done.after.overall
    figures = {LOUDNESS_HEADER: after.integrated_lufs, TRUE_PEAK_HEADER: after.true_peak_dbtp}
    return {name: f"{value:.2f}" for name, value in figures.items() if value is not None}
