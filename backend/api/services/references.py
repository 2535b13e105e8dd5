"""Reference library workflow: listing, storing analysed references, similarity ranking (SPEC §6)."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from analysis.result import AnalysisResult
from api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack
from api.repositories.reference_repo import ReferenceRepository
from api.services.analysis import get_analysis
from api.services.genres import known_genres, match_genre
from api.services.rows import audio_columns, band_dicts, overall_dict
from api.services.series import unpack_series
from ml.similarity import SimilarityIndex, vector_from_bytes
from utils.errors import NotFoundError, ValidationError

BAND_DIFFERENCE_FIELDS = ("rms_db", "peak_db", "crest_factor_db", "stereo_width", "phase_correlation")


def reference_out(ref: ReferenceTrack) -> dict[str, Any]:
    """The JSON of a reference (SPEC §7)."""
    return {
        "id": ref.id,
        "name": ref.name,
        "artist": ref.artist,
        "genre": ref.genre,
        "year": ref.year,
        "is_builtin": ref.is_builtin,
        "overall_metrics": overall_dict(ref.overall_metrics),
        "band_metrics": band_dicts(ref.band_metrics),
    }


def reference_series(session: Session, reference_id: str) -> dict[str, Any]:
    """The stored time series of a reference (built-ins keep their long-term spectrum only)."""
    ref = ReferenceRepository(session).get(reference_id)
    if ref is None:
        raise NotFoundError(f"No reference with id {reference_id}.")
    return {"reference_id": ref.id, **(unpack_series(ref.series) or {})}


def canonical_filter_genre(session: Session, genre: str | None) -> str | None:
    """A genre filter resolved case-insensitively with aliases; 422 naming the known genres if unknown."""
    if genre is None or not genre.strip():
        return None
    known = known_genres(session)
    canonical = match_genre(genre, known)
    if canonical is None:
        raise ValidationError(f"Unknown genre '{genre.strip()}'. Known genres: {', '.join(known)}.")
    return canonical


def list_references(session: Session, genre: str | None) -> list[dict[str, Any]]:
    """References, optionally of one genre, as JSON dicts."""
    canonical = canonical_filter_genre(session, genre)
    return [reference_out(r) for r in ReferenceRepository(session).list_full(genre=canonical)]


def build_reference_row(
    result: AnalysisResult,
    *,
    name: str,
    artist: str,
    genre: str,
    year: int | None,
    is_builtin: bool,
    source: str | None,
    id_: str | None = None,
) -> ReferenceTrack:
    """The ORM rows of one reference (not yet added to a session)."""
    ref = ReferenceTrack(
        name=name,
        artist=artist,
        genre=genre,
        year=year,
        is_builtin=is_builtin,
        source=source,
        **audio_columns(result),
    )
    if id_ is not None:
        ref.id = id_
    ref.overall_metrics = ReferenceOverallMetrics(**asdict(result.overall))
    ref.band_metrics = [ReferenceBandMetrics(position=i, **asdict(b)) for i, b in enumerate(result.bands)]
    return ref


@dataclass
class _CachedIndex:
    version: tuple[Any, ...]
    index: SimilarityIndex


class IndexCache:
    """One similarity matrix per worker process, rebuilt when the reference library changes.

    The library version is (count, newest created_at) of ``reference_tracks``: one
    cheap query per similarity request tells a worker that another worker or a
    script added or replaced references.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[str, _CachedIndex] = {}

    def get(self, session: Session) -> SimilarityIndex:
        """The index for the session's database, rebuilt if the library changed."""
        repo = ReferenceRepository(session)
        key = str(session.get_bind().engine.url)
        version = repo.library_version()
        with self._lock:
            cached = self._cached.get(key)
            if cached is not None and cached.version == version:
                return cached.index
            rows = repo.vector_rows()
            index = SimilarityIndex.from_blobs(rows.ids, rows.genres, rows.blobs)
            self._cached[key] = _CachedIndex(version=version, index=index)
            return index


INDEX_CACHE = IndexCache()


def _band_differences(analysis_bands: list[dict[str, Any]], ref_bands: list[dict[str, Any]]) -> dict[str, Any]:
    """Per band: analysis minus reference for levels/width/correlation, and energy share in dB."""
    ref_by_band = {b["band"]: b for b in ref_bands}
    out: dict[str, Any] = {}
    for band in analysis_bands:
        ref = ref_by_band.get(band["band"])
        if ref is None:
            continue
        diff: dict[str, float | None] = {}
        a_ratio, r_ratio = band.get("energy_ratio"), ref.get("energy_ratio")
        diff["energy_ratio_db"] = (
            10 * math.log10(a_ratio / r_ratio) if a_ratio and r_ratio and a_ratio > 0 and r_ratio > 0 else None
        )
        for field in BAND_DIFFERENCE_FIELDS:
            a, r = band.get(field), ref.get(field)
            diff[field] = None if a is None or r is None else a - r
        out[band["band"]] = diff
    return out


def similar_references(session: Session, analysis_id: str, *, genre: str | None, top_k: int) -> dict[str, Any]:
    """The ``top_k`` references most similar to an analysis, best first (cosine similarity)."""
    analysis = get_analysis(session, analysis_id)
    if analysis.feature_vector is None:
        raise NotFoundError(f"The analysis {analysis_id} has no feature vector.")
    canonical = canonical_filter_genre(session, genre)
    index = INDEX_CACHE.get(session)
    matches = index.rank(vector_from_bytes(analysis.feature_vector), top_k=top_k, genre=canonical)
    refs = ReferenceRepository(session).get_many_full([m.id for m in matches])
    bands = band_dicts(analysis.band_metrics)
    results = []
    for match in matches:
        ref = refs.get(match.id)
        if ref is None:  # deleted since the index was built
            continue
        payload = reference_out(ref)
        results.append(
            {
                "reference": payload,
                "similarity": round(match.similarity, 6),
                "band_differences": _band_differences(bands, payload["band_metrics"]),
            }
        )
    return {"analysis_id": analysis.id, "results": results}
