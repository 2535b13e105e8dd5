"""The album of stored analyses (SPEC §8): load each analysis and its series, then the pure album view."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from amt.api.services.album import MIN_TRACKS, Album, AlbumTrackInput, summarize_album
from amt.api.services.analysis import get_analysis
from amt.api.services.series import unpack_series
from amt.utils.errors import ValidationError

MAX_TRACKS = 100
"""Most analyses one album request takes."""


def parse_ids(text: str) -> list[str]:
    """The analysis ids of ``ids=a,b,c`` in order; ValidationError for a malformed id or fewer than two."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) < MIN_TRACKS:
        raise ValidationError(f"An album needs at least {MIN_TRACKS} analysis ids, separated by commas.")
    if len(parts) > MAX_TRACKS:
        raise ValidationError(f"An album takes at most {MAX_TRACKS} analyses.")
    ids = []
    for part in parts:
        try:
            ids.append(str(uuid.UUID(part)))
        except ValueError as exc:
            raise ValidationError(f"'{part[:40]}' is not an analysis id (a UUID).") from exc
    return ids


def album_of(session: Session, ids: Sequence[str]) -> Album:
    """The album view of the stored analyses ``ids``, in that running order; NotFoundError for an unknown id."""
    tracks: list[AlbumTrackInput] = []
    freqs: list[float] = []
    for analysis_id in ids:
        row = get_analysis(session, analysis_id)
        series = unpack_series(row.series) or {}
        om = row.overall_metrics.metrics() if row.overall_metrics else None
        bands = [b.metrics() for b in row.band_metrics]
        freqs = freqs or list(series.get("spectrum_freqs_hz") or [])
        tracks.append(
            AlbumTrackInput(
                name=row.filename,
                id=row.id,
                duration_s=row.duration_s,
                integrated_lufs=om.integrated_lufs if om else None,
                true_peak_dbtp=om.true_peak_dbtp if om else None,
                dr_value=om.dr_value if om else None,
                momentary_lufs=series.get("momentary_lufs") or [],
                short_term_lufs=series.get("short_term_lufs") or [],
                energy_ratios={b.band: b.energy_ratio for b in bands},
                band_levels_db={b.band: b.rms_db for b in bands},
                spectrum_db=series.get("spectrum_db") or [],
            )
        )
    return summarize_album(tracks, spectrum_freqs_hz=freqs)
