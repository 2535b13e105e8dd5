"""Reference library workflow: listing, storing analysed references, similarity ranking (SPEC §6)."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from amt.analysis.result import AnalysisResult
from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack
from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.schemas import ReferenceSummary
from amt.api.services.analysis import get_analysis
from amt.api.services.corpus import band_figure_rows
from amt.api.services.genres import genre_key, known_genres, match_genre, stored_spellings
from amt.api.services.rows import audio_columns, band_dicts, overall_dict
from amt.api.services.series import pack_floats, unpack_series
from amt.ml.feature_extraction import FEATURE_VERSION
from amt.ml.similarity import SimilarityIndex, vector_from_bytes
from amt.utils.errors import NotFoundError, ValidationError, quoted
from amt.utils.logger import get_logger

log = get_logger(__name__)

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
        "source": ref.source,
        "licence": ref.licence,
        "overall_metrics": overall_dict(ref.overall_metrics),
        "band_metrics": band_dicts(ref.band_metrics),
    }


@dataclass(frozen=True)
class ReferencePage:
    """One page of the library list and the number of references that match."""

    items: list[ReferenceSummary]
    total: int


def get_reference(session: Session, reference_id: str) -> dict[str, Any]:
    """The full JSON of one reference; NotFoundError if there is none."""
    ref = ReferenceRepository(session).get_full(reference_id)
    if ref is None:
        raise NotFoundError(f"No reference with id {reference_id}.")
    return reference_out(ref)


def reference_series(session: Session, reference_id: str) -> dict[str, Any]:
    """The stored time series of a reference (built-ins keep their long-term spectrum only)."""
    ref = ReferenceRepository(session).get(reference_id)
    if ref is None:
        raise NotFoundError(f"No reference with id {reference_id}.")
    return {"reference_id": ref.id, **(unpack_series(ref.series) or {})}


def canonical_filter_genre(genre: str | None, known: list[str]) -> str | None:
    """A genre filter resolved by spelling and aliases; 422 naming the known genres if unknown."""
    if genre is None or not genre.strip():
        return None
    canonical = match_genre(genre, known)
    if canonical is None:
        raise ValidationError(f"Unknown genre '{quoted(genre.strip())}'. Known genres: {', '.join(known)}.")
    return canonical


def list_references(session: Session, genre: str | None, *, limit: int, offset: int) -> ReferencePage:
    """A page of reference summaries (by genre, then name), optionally of one genre, and how many match."""
    canonical = canonical_filter_genre(genre, known_genres(session))
    spellings = None if canonical is None else stored_spellings(session, canonical)
    repo = ReferenceRepository(session)
    rows = repo.list_summaries(
        fields=tuple(ReferenceSummary.model_fields), genres=spellings, limit=limit, offset=offset
    )
    items = [ReferenceSummary.model_validate(row) for row in rows]
    return ReferencePage(items=items, total=repo.count(genres=spellings))


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
    ref.overall_metrics = ReferenceOverallMetrics(
        **asdict(result.overall),
        spectrum_db=pack_floats(result.series.spectrum_db),
        band_figures=pack_floats(band_figure_rows([asdict(b) for b in result.bands])),
    )
    ref.band_metrics = [ReferenceBandMetrics(position=i, **asdict(b)) for i, b in enumerate(result.bands)]
    return ref


@dataclass(frozen=True)
class LibraryIndex:
    """The similarity matrix of one library version."""

    version: str | None
    index: SimilarityIndex


class IndexCache:
    """One similarity matrix per worker process and database, rebuilt when the reference library changes.

    Before each query the library's version token is read (one primary-key lookup,
    see ``api.repositories.reference_repo``); every write to ``reference_tracks``,
    by any worker, replica or script, replaces it in the same transaction. Only
    vectors of the current ``FEATURE_VERSION`` are indexed: others are not comparable.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[str, LibraryIndex] = {}

    def get(self, session: Session) -> LibraryIndex:
        """The index for the session's database, rebuilt if the library changed."""
        repo = ReferenceRepository(session)
        key = str(session.get_bind().engine.url)
        version = repo.library_version()
        with self._lock:
            cached = self._cached.get(key)
            if cached is not None and cached.version == version:
                return cached
            rows = repo.vector_rows(str(FEATURE_VERSION))
            if rows.other_versions:
                log.warning(
                    "%d reference(s) have feature vectors of another version than %s and are left out of "
                    "similarity ranking: run populate_references --force and add user references again",
                    rows.other_versions,
                    FEATURE_VERSION,
                )
            # Keys compared per distinct name: a million references have a handful of genres.
            keys = {g: genre_key(g) for g in set(rows.genres)}
            index = SimilarityIndex.from_blobs(rows.ids, [keys[g] for g in rows.genres], rows.blobs)
            cached = LibraryIndex(version=version, index=index)
            self._cached[key] = cached
            return cached


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


def rank_references(
    session: Session, query: np.ndarray, *, genre: str | None, top_k: int
) -> list[tuple[ReferenceTrack, float]]:
    """The ``top_k`` references most similar to a feature vector of the current version, best first, with
    their cosine similarity; ``genre`` (any spelling or alias) keeps that genre only."""
    library = INDEX_CACHE.get(session)
    canonical = canonical_filter_genre(genre, known_genres(session))
    matches = library.index.rank(query, top_k=top_k, genre=None if canonical is None else genre_key(canonical))
    refs = ReferenceRepository(session).get_many_full([m.id for m in matches])
    return [(refs[m.id], m.similarity) for m in matches if m.id in refs]  # absent: deleted since the index was built


def similar_references(session: Session, analysis_id: str, *, genre: str | None, top_k: int) -> dict[str, Any]:
    """The ``top_k`` references most similar to an analysis, best first (cosine similarity)."""
    analysis = get_analysis(session, analysis_id)
    if analysis.feature_vector is None:
        raise NotFoundError(f"The analysis {analysis_id} has no feature vector.")
    if analysis.feature_version != str(FEATURE_VERSION):
        raise NotFoundError(
            f"The analysis {analysis_id} has a feature vector of version {analysis.feature_version}, which cannot "
            f"be compared with the references' version {FEATURE_VERSION}. Analyse the file again."
        )
    ranked = rank_references(session, vector_from_bytes(analysis.feature_vector), genre=genre, top_k=top_k)
    bands = band_dicts(analysis.band_metrics)
    results = []
    for ref, similarity in ranked:
        payload = reference_out(ref)
        results.append(
            {
                "reference": payload,
                "similarity": round(similarity, 6),
                "band_differences": _band_differences(bands, payload["band_metrics"]),
            }
        )
    return {"analysis_id": analysis.id, "results": results}
