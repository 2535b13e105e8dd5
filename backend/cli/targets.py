"""Genres, targets and the reference library for the command line, without a server.

When the service's database exists (``DATABASE_URL`` set, or the SQLite file in
``APP_HOME``), it is used, so user references and user genres count; otherwise the
built-in references shipped in ``data/references`` and the documented constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from api.core.config import Settings
from api.database import open_database, session_scope
from api.repositories.reference_repo import ReferenceRepository
from api.services.builtin import builtin_numbers, load_metadata
from api.services.genres import builtin_genres, known_genres, match_genre
from api.services.targets import constant_target, genre_target, target_from_references
from config.constants import GenreTarget
from ml.feature_extraction import FEATURE_VERSION
from ml.similarity import SimilarityIndex, vector_from_bytes
from utils.errors import ValidationError

SUMMARY_FIELDS = ("id", "name", "artist", "genre", "year", "is_builtin")


@dataclass(frozen=True)
class ReferenceLibrary:
    """The references' vectors as one similarity index, and who each one is."""

    index: SimilarityIndex
    summaries: dict[str, dict[str, Any]]
    """Reference id → its id, name, artist, genre, year, is_builtin and integrated loudness (LUFS)."""

    def similar(self, vector: np.ndarray, top_k: int = 5) -> list[dict[str, Any]]:
        """The ``top_k`` most similar references, best first: ``[{"reference", "similarity"}]`` (cosine, −1…1)."""
        return [
            {"reference": self.summaries[m.id], "similarity": round(m.similarity, 6)}
            for m in self.index.rank(vector, top_k=top_k)
        ]


def _has_database(settings: Settings) -> bool:
    return bool(settings.database_url) or (settings.app_home / "audio_mastering.db").exists()


def load_library(settings: Settings) -> ReferenceLibrary:
    """Every reference with a current feature vector: the database's when there is one, else the built-ins."""
    rows: list[tuple[dict[str, Any], np.ndarray]] = []
    if _has_database(settings):
        engine, factory = open_database(settings)
        try:
            with session_scope(factory) as session:
                for ref in ReferenceRepository(session).list_full():
                    if ref.feature_vector is None or str(ref.feature_version) != str(FEATURE_VERSION):
                        continue  # a vector from another feature version is not comparable
                    summary = {f: getattr(ref, f) for f in SUMMARY_FIELDS}
                    summary["integrated_lufs"] = ref.overall_metrics.integrated_lufs if ref.overall_metrics else None
                    rows.append((summary, vector_from_bytes(ref.feature_vector)))
        finally:
            engine.dispose()
    else:
        for entry in load_metadata():
            if str(entry.get("feature_version")) != str(FEATURE_VERSION):
                continue
            summary = {f: entry.get(f) for f in SUMMARY_FIELDS}
            summary["is_builtin"] = True
            summary["integrated_lufs"] = entry["overall_metrics"].get("integrated_lufs")
            rows.append((summary, np.asarray(entry["feature_vector"], dtype=np.float32)))
    index = SimilarityIndex.from_vectors((s["id"], s["genre"], v) for s, v in rows)
    return ReferenceLibrary(index=index, summaries={s["id"]: s for s, _ in rows})


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
            refs = builtin_numbers(canonical)
            return canonical, target_from_references(canonical, refs) if refs else constant_target(canonical)
    raise ValidationError(f"Unknown genre '{genre}'. Known genres: {', '.join(sorted(known, key=str.lower))}.")
