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

import numpy as np
from sqlalchemy.orm import Session

from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.corpus import (
    TARGET_BAND_FIELDS,
    TARGET_OVERALL_FIELDS,
    ReferenceNumbers,
    ReferenceTable,
    band_figure_rows,
    corpus_target,
)
from amt.api.services.genres import builtin_genres, genre_key, spellings_of, with_builtin
from amt.api.services.series import pack_floats, unpack_floats, unpack_series_field
from amt.config.constants import BAND_NAMES, GenreTarget

__all__ = ["ReferenceNumbers", "all_genre_targets", "builtin_target", "genre_target"]


def load_shipped_targets() -> None:
    """Read the shipped corpus and derive its genres' targets now (at start-up), not in the first request."""
    for genre in builtin_genres():
        builtin_target(genre)


def builtin_target(genre: str) -> GenreTarget:
    """The target of a genre from the shipped corpus alone (no database)."""
    return corpus_target(genre)


def fill_target_columns(repo: ReferenceRepository) -> int:
    """Give references stored before the target columns existed their spectrum (from the series) and band figures
    (from the band rows); how many were filled."""
    missing = repo.without_target_columns()
    if not missing:
        return 0
    bands = repo.band_rows([id_ for id_, _ in missing], TARGET_BAND_FIELDS)
    spectra = {id_: pack_floats(unpack_series_field(series, "spectrum_db")) for id_, series in missing}
    # b"" marks "looked, has none", so a series without a spectrum is not inflated again.
    repo.store_target_columns(
        {id_: (spectra[id_] or b"", pack_floats(band_figure_rows(bands[id_]))) for id_ in spectra}
    )
    return len(missing)


_NO_FIGURES = np.full(len(BAND_NAMES) * len(TARGET_BAND_FIELDS), np.nan).tobytes()


def user_references(repo: ReferenceRepository, genres: Sequence[str] | None) -> tuple[list[str], ReferenceTable]:
    """The user's references stored under ``genres`` (every genre when None): each one's stored genre name, and
    their target inputs, read from one row per reference (rows from before the target columns are filled first)."""
    fill_target_columns(repo)
    columns = repo.target_columns(genres, builtin=False, overall_fields=TARGET_OVERALL_FIELDS)
    blobs = [b if b and len(b) == len(_NO_FIGURES) else _NO_FIGURES for b in columns.band_figures]
    bands = unpack_floats(b"".join(blobs))
    shaped = (np.empty(0) if bands is None else bands).reshape(len(blobs), len(BAND_NAMES), len(TARGET_BAND_FIELDS))
    table = ReferenceTable(
        overall=columns.overall,
        bands={f: shaped[:, :, k] for k, f in enumerate(TARGET_BAND_FIELDS)},
        spectra=[unpack_floats(blob) for blob in columns.spectra],
    )
    return columns.genres, table


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
    users = user_references(repo, spellings)[1] if spellings else ()
    target = corpus_target(genre, users)
    cache[genre] = target
    return target


def all_genre_targets(session: Session) -> list[GenreTarget]:
    """Every known genre's target, sorted by name (the stored genre names read once; when several targets are not
    cached, every user reference read once for all of them)."""
    repo = ReferenceRepository(session)
    stored = repo.genres()
    names = with_builtin(stored)
    cache = _CACHE.targets(session)
    missing = [name for name in names if name not in cache]
    if len(missing) > 1:
        row_genres, table = user_references(repo, None)
        key_of = {g: genre_key(g) for g in set(row_genres)}
        keys = np.array([key_of[g] for g in row_genres], dtype=str)
        for name in missing:
            cache.setdefault(name, corpus_target(name, table.take(keys == genre_key(name))))
    return [cache[name] if name in cache else genre_target(session, name, stored=stored) for name in names]
