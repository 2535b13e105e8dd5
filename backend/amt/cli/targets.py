"""Genres, targets and the reference library for the command line, without a server.

When the service's database exists (``DATABASE_URL`` set, or the SQLite file in
``APP_HOME``), it is used, so user references and user genres count; otherwise the
built-in references and the real corpus shipped in ``data/references``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from amt.api.core.config import Settings
from amt.api.database import open_database, session_scope
from amt.api.models import ReferenceTrack
from amt.api.services.builtin import load_metadata
from amt.api.services.genres import builtin_genres, known_genres, match_genre
from amt.api.services.references import rank_references
from amt.api.services.targets import builtin_target, genre_target
from amt.config.constants import GenreTarget
from amt.ml.feature_extraction import FEATURE_VERSION
from amt.ml.similarity import SimilarityIndex
from amt.utils.errors import ValidationError

SUMMARY_FIELDS = ("id", "name", "artist", "genre", "year", "is_builtin")


class ReferenceLibrary(Protocol):
    """Where the report's similar references come from."""

    def similar(self, vector: np.ndarray, top_k: int = 5) -> list[dict[str, Any]]:
        """The ``top_k`` most similar references, best first: ``[{"reference", "similarity"}]`` (cosine, −1…1)."""
        ...


@dataclass(frozen=True)
class BuiltinLibrary:
    """The built-in references shipped in ``data/references``, as one similarity index (no database)."""

    index: SimilarityIndex
    summaries: dict[str, dict[str, Any]]
    """Reference id → its id, name, artist, genre, year, is_builtin and integrated loudness (LUFS)."""

    def similar(self, vector: np.ndarray, top_k: int = 5) -> list[dict[str, Any]]:
        return [
            {"reference": self.summaries[m.id], "similarity": round(m.similarity, 6)}
            for m in self.index.rank(vector, top_k=top_k)
        ]


@dataclass(frozen=True)
class DatabaseLibrary:
    """The service's reference library, ranked by the service itself (``POST /api/similarity``'s ranking)."""

    settings: Settings

    def similar(self, vector: np.ndarray, top_k: int = 5) -> list[dict[str, Any]]:
        engine, factory = open_database(self.settings)
        try:
            with session_scope(factory) as session:
                return [
                    {"reference": _summary(ref), "similarity": round(similarity, 6)}
                    for ref, similarity in rank_references(session, vector, genre=None, top_k=top_k)
                ]
        finally:
            engine.dispose()


def _summary(ref: ReferenceTrack) -> dict[str, Any]:
    summary = {f: getattr(ref, f) for f in SUMMARY_FIELDS}
    summary["integrated_lufs"] = ref.overall_metrics.metrics().integrated_lufs if ref.overall_metrics else None
    return summary


def _has_database(settings: Settings) -> bool:
    return bool(settings.database_url) or (settings.app_home / "audio_mastering.db").exists()


def load_library(settings: Settings) -> ReferenceLibrary:
    """The database's references when there is a database, else the built-ins (current feature version only)."""
    if _has_database(settings):
        return DatabaseLibrary(settings)
    rows: list[tuple[dict[str, Any], np.ndarray]] = []
    for entry in load_metadata():
        if str(entry.get("feature_version")) != str(FEATURE_VERSION):
            continue  # a vector from another feature version is not comparable
        summary = {f: entry.get(f) for f in SUMMARY_FIELDS}
        summary["is_builtin"] = True
        summary["integrated_lufs"] = entry["overall_metrics"].get("integrated_lufs")
        rows.append((summary, np.asarray(entry["feature_vector"], dtype=np.float32)))
    index = SimilarityIndex.from_vectors((s["id"], s["genre"], v) for s, v in rows)
    return BuiltinLibrary(index=index, summaries={s["id"]: s for s, _ in rows})


def resolve_target(settings: Settings, genre: str | None) -> tuple[str | None, GenreTarget | None]:
    """(canonical genre, its target), or (None, None) without a genre; ValidationError if unknown."""
    if not genre:
        return None, None
    if _has_database(settings):
        engine, factory = open_database(settings)
        try:
            with session_scope(factory) as session:
                known = known_genres(session)
                canonical = match_genre(genre, known)
                if canonical is not None:
                    return canonical, genre_target(session, canonical)
        finally:
            engine.dispose()
    else:
        known = builtin_genres()
        canonical = match_genre(genre, known)
        if canonical is not None:
            return canonical, builtin_target(canonical)
    raise ValidationError(f"Unknown genre '{genre}'. Known genres: {', '.join(sorted(known, key=str.lower))}.")
