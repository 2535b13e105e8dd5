"""Genres and targets for the command line, without a server.

When the service's database exists (``DATABASE_URL`` set, or the SQLite file in
``APP_HOME``), it is used, so user references and user genres count; otherwise the
built-in references shipped in ``data/references`` and the documented constants.
"""

from __future__ import annotations

from api.core.config import Settings
from api.database import open_database, session_scope
from api.services.builtin import builtin_numbers
from api.services.genres import builtin_genres, known_genres, match_genre
from api.services.targets import constant_target, genre_target, target_from_references
from config.constants import GenreTarget
from utils.errors import ValidationError


def _has_database(settings: Settings) -> bool:
    return bool(settings.database_url) or (settings.app_home / "audio_mastering.db").exists()


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
