"""Album endpoints (SPEC §8): the album of stored analyses, and its CSV and HTML exports. HTTP only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from amt.api.deps import SessionDep
from amt.api.schemas import AlbumOut
from amt.api.services.export import album_csv, album_html, report_csp
from amt.api.services.stored_album import album_of, parse_ids

router = APIRouter(prefix="/api", tags=["album"])

Ids = Annotated[
    str,
    Query(
        max_length=4000,
        description="Analysis ids (UUIDs) in running order, separated by commas: at least 2, at most 100",
        examples=["0b7c…,5e21…"],
    ),
]


@router.get("/album")
def get_album(session: SessionDep, ids: Ids) -> AlbumOut:
    """Album loudness, true peak and DR, loudness spread, each track's offset and tonal balance, outliers."""
    album = album_of(session, parse_ids(ids))
    return AlbumOut(album=album.album, tracks=album.tracks)


@router.get(
    "/album/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def album_report_csv(session: SessionDep, ids: Ids) -> Response:
    """The album as CSV: one row per track in running order, then the album's row."""
    text = album_csv(album_of(session, parse_ids(ids)))
    return Response(
        text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="album.csv"'}
    )


@router.get("/album/report.html", response_class=HTMLResponse)
def album_report_html(session: SessionDep, ids: Ids) -> HTMLResponse:
    """The album as one self-contained HTML page (inline CSS and SVG plots; no script, opens offline)."""
    page = album_html(album_of(session, parse_ids(ids)))
    return HTMLResponse(page, headers={"Content-Security-Policy": report_csp()})
