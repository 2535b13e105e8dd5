"""Genre names: canonical spelling, aliases, and which genres are known (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from api.repositories.reference_repo import ReferenceRepository
from config.constants import CONSTANT_GENRE_TARGETS, GENRE_ALIASES, REFERENCE_GENRES
from utils.errors import ValidationError


def _key(name: str) -> str:
    return " ".join(name.strip().lower().split())


def builtin_genres() -> list[str]:
    """Genres known without any database: the reference genres and the documented constants."""
    return [*REFERENCE_GENRES, *CONSTANT_GENRE_TARGETS]


def known_genres(session: Session) -> list[str]:
    """Built-in genres plus every genre that user references introduced, sorted case-insensitively."""
    names = {_key(g): g for g in builtin_genres()}
    for genre in ReferenceRepository(session).genres():
        names.setdefault(_key(genre), genre)
    return sorted(names.values(), key=str.lower)


def match_genre(name: str, known: Iterable[str]) -> str | None:
    """The canonical genre for ``name`` (case-insensitive, aliases), or None."""
    key = _key(name)
    if not key:
        return None
    canonical = {_key(g): g for g in known}
    if key in canonical:
        return canonical[key]
    alias = GENRE_ALIASES.get(key)
    if alias is not None and _key(alias) in canonical:
        return canonical[_key(alias)]
    return None


def resolve_genre(session: Session, name: str) -> str:
    """The canonical genre for ``name``; ValidationError naming the known genres otherwise."""
    known = known_genres(session)
    genre = match_genre(name, known)
    if genre is None:
        raise ValidationError(f"Unknown genre '{name.strip()}'. Known genres: {', '.join(known)}.")
    return genre
