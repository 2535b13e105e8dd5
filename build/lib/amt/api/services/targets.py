"""Genre targets (SPEC §5): measured on real masters — the shipped corpus plus the user's own references.

The built-in real tracks are read from the shipped corpus numbers (``api.services.corpus``),
whether or not ``populate_references`` has copied them into the database; the database adds
the user's references of the genre (``is_builtin`` false). Synthesised archetypes never
count: they are stand-ins for listening and similarity, not measurements of music. Targets
are cached per database and library version, so a large library is read once per change.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy.orm import Session

from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.corpus import ReferenceNumbers, corpus_target
from amt.api.services.genres import spellings_of, with_builtin
from amt.api.services.series import unpack_series_field
from amt.config.constants import GenreTarget

__all__ = ["ReferenceNumbers", "all_genre_targets", "builtin_target", "genre_target"]


def builtin_target(genre: str) -> GenreTarget:
    """The target of a genre from the shipped corpus alone (no database)."""
    return corpus_target(genre)


def user_numbers(repo: ReferenceRepository, genres: Sequence[str]) -> list[ReferenceNumbers]:
    """The numbers of the user's references stored under ``genres``, reading only the columns targets use."""
    spectra = repo.spectra(genres, builtin=False)
    return [
        ReferenceNumbers(
            overall=row.overall, bands=row.bands, spectrum_db=unpack_series_field(spectra[row.id], "spectrum_db")
        )
        for row in repo.target_numbers(genres, builtin=False)
    ]


class _TargetCache:
    """Derived targets per database and library version token: rebuilt only when references change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_database: dict[str, tuple[str | None, dict[str, GenreTarget]]] = {}

    def targets(self, session: Session) -> dict[str, GenreTarget]:
        """The (mutable, shared) genre → target dict of the session's database at its current library version."""
        database = str(session.get_bind().engine.url)
        version = ReferenceRepository(session).library_version()
        with self._lock:
            cached = self._by_database.get(database)
            if cached is None or cached[0] != version:
                cached = (version, {})
                self._by_database[database] = cached
            return cached[1]


_CACHE = _TargetCache()


def genre_target(session: Session, genre: str, *, stored: Sequence[str] | None = None) -> GenreTarget:
    """The target of a canonical genre name (see services.genres.resolve_genre): the corpus tracks of the genre plus
    the user's references of it; ``stored``: the genre names stored on references, when the caller has read them.
    Cached per library version."""
    cache = _CACHE.targets(session)
    if genre in cache:
        return cache[genre]
    repo = ReferenceRepository(session)
    spellings = spellings_of(genre, repo.genres() if stored is None else stored)
    users = user_numbers(repo, spellings) if spellings else []
    target = corpus_target(genre, tuple(users))
    cache[genre] = target
    return target


def all_genre_targets(session: Session) -> list[GenreTarget]:
    """Every known genre's target, sorted by name (the stored genre names read once)."""
    stored = ReferenceRepository(session).genres()
    return [genre_target(session, name, stored=stored) for name in with_builtin(stored)]
