"""``POST /api/master``: the upload with its plan applied (SPEC §5, §7). HTTP only; nothing is stored."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from amt.api.deps import SettingsDep
from amt.api.routers.analyze import ANALYSIS_SLOTS
from amt.api.routers.upload_form import GENRE_FIELD, STAGE_FIELD, upload_form
from amt.api.services import analysis as analysis_service
from amt.api.services.mastering import master_file, parse_only
from amt.api.services.targets import genre_target
from amt.api.uploads import receive_upload

router = APIRouter(prefix="/api", tags=["analysis"])

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
        }
    },
    openapi_extra=MASTER_FORM,
)
async def master(request: Request, settings: SettingsDep) -> FileResponse:
    """Apply the upload's plan with the reference chain (multipart ``file``, ``genre``, ``stage``, ``only``)."""
    upload = await receive_upload(request, dest_dir=settings.upload_dir, max_bytes=settings.max_upload_bytes)
    factory = request.app.state.sessionmaker
    fd, name = tempfile.mkstemp(prefix=f"upload-{os.getpid()}-master-", suffix=".wav", dir=settings.upload_dir)
    os.close(fd)
    out = Path(name)
    try:
        assert upload.path is not None
        src = upload.path

        def work() -> None:
            with factory() as session:
                canonical, _, stage = analysis_service.resolve_options(
                    session, genre=upload.fields.get("genre"), level=None, stage=upload.fields.get("stage")
                )
                target = genre_target(session, canonical) if canonical else None
            only = parse_only(upload.fields.get("only"))
            master_file(src, out, target=target, stage=stage, only=only, max_duration_s=settings.max_duration_s)

        await anyio.to_thread.run_sync(work, limiter=ANALYSIS_SLOTS)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        upload.discard()
    name = Path(upload.filename).stem + "-mastered.wav"
    return FileResponse(out, media_type="audio/wav", filename=name, background=BackgroundTask(out.unlink, True))
