"""FastAPI application: ``uvicorn api.main:app`` from ``backend/``."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import fastapi_offline
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from amt.analysis.errors import AudioError
from amt.analysis.result import ENGINE_VERSION
from amt.api.core.config import Settings, get_settings
from amt.api.core.logging import configure_logging
from amt.api.core.security import RequestGuard, trusted_hosts
from amt.api.database import classify_database_error, init_db, make_engine, make_sessionmaker, prepare_storage
from amt.api.errors import audio_error_status
from amt.api.routers import album, analyze, compare, export, genres, health, master, references
from amt.api.routers import settings as settings_router
from amt.api.schemas import ERROR_RESPONSES
from amt.api.services.targets import load_shipped_targets
from amt.utils.errors import AppError, StorageError, quoted
from amt.utils.logger import get_logger
from amt.utils.process import tune_process

log = get_logger(__name__)
WEB_DIR = Path(__file__).resolve().parents[1] / "web"
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
"""Swagger UI's bundle and stylesheet as the ``fastapi-offline`` package ships them."""


def _validation_message(exc: RequestValidationError) -> str:
    """One readable sentence per invalid field: ``query parameter 'top_k': …``."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = {"query": "query parameter", "path": "path parameter", "body": "field", "form": "form field"}.get(
            loc[0] if loc else "", "parameter"
        )
        name = quoted(".".join(loc[1:])) or "request"
        parts.append(f"{where} '{name}': {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "Invalid request."


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        return _app_error_response(exc)

    @app.exception_handler(AudioError)
    async def audio_error(_request: Request, exc: AudioError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=audio_error_status(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _internal_error(request, exc)


def _app_error_response(exc: AppError) -> JSONResponse:
    """``{"detail": message}`` with the error's status and headers."""
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=exc.headers)


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected error: 503/507 when the database is busy, full or gone, else a 500; the client learns
    nothing about the server, the log gets the cause (the traceback for a 500)."""
    storage = classify_database_error(exc)
    if storage is not None:
        log.error("%s %s: %s (%s)", request.method, request.url.path, storage.message, exc)
        return _app_error_response(storage)
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "Internal server error. The details are in the server log."}, status_code=500)


def _mount_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the ``fastapi-offline`` package's files and our own page, whose script
    ``/docs/docs.js`` the web mount serves (works offline, passes the CSP: no inline script)."""
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> FileResponse:
        return FileResponse(WEB_DIR / "docs" / "index.html")


STARTUP_FAILURE_EXIT_CODE = 3
"""uvicorn's own exit status for a failed start-up."""


def _exit_at_startup(exc: StorageError | SQLAlchemyError, settings: Settings) -> NoReturn:
    """One line saying what to fix, then exit: uvicorn would print a traceback a person has to decode."""
    if isinstance(exc, StorageError):
        reason = exc.message
    else:
        where = make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        reason = f"The database {where} cannot be used: {cause}"
    print(f"Audio Mastering Tool cannot start: {reason}", file=sys.stderr, flush=True)
    # Not SystemExit: Starlette would turn it into the very traceback this avoids.
    os._exit(STARTUP_FAILURE_EXIT_CODE)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; storage and logging are set up when it starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_process()  # the engine's thread and allocator settings: the app's start, not an import
        try:
            leftovers = prepare_storage(settings)
            configure_logging(settings.log_level, settings.log_path)
            if leftovers:
                log.warning("Removed %d temporary upload file(s) left by an earlier crash", leftovers)
            engine = make_engine(settings.sqlalchemy_url)
            init_db(engine)
        except (StorageError, SQLAlchemyError) as exc:
            _exit_at_startup(exc, settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        load_shipped_targets()
        log.info("Audio Mastering Tool %s started; database %s", ENGINE_VERSION, engine.url.render_as_string())
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="Audio Mastering Tool",
        version=ENGINE_VERSION,
        description="Measures a WAV mix or master against finished masters of its genre.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served below from local files: FastAPI's page loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    _install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["*"],
        expose_headers=["Location", "X-Total-Count", *master.MEASURED_HEADERS],
    )
    app.add_middleware(
        RequestGuard,
        hosts=trusted_hosts(settings.api_host, settings.allowed_host_list),
        origins=settings.cors_origin_list,
    )

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            try:
                response = await call_next(request)
            except Exception as exc:
                # Answered here rather than by the app-wide handler, which Starlette re-raises after sending:
                # uvicorn would then log the trace twice and drop the connection, so a keep-alive client's
                # next request failed with "connection reset".
                response = _internal_error(request, exc)
            status = response.status_code
            return response
        finally:
            ms = (time.perf_counter() - start) * 1000
            log.info("%s %s %d %.1f ms", request.method, request.url.path, status, ms)

    app.include_router(health.router)
    app.include_router(settings_router.router)
    app.include_router(analyze.router)
    app.include_router(master.router)
    app.include_router(genres.router)
    app.include_router(references.router)
    app.include_router(compare.router)
    app.include_router(album.router)
    app.include_router(export.router)
    _mount_docs(app)
    if (WEB_DIR / "index.html").exists():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app


app = create_app()
