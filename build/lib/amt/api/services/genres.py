"""Genre names: canonical spelling, aliases, and which genres are known (SPEC §5).

Names are compared by :func:`genre_key`, so the spellings people type all find the
same genre: "Drum & Bass", "drum and bass", "Drum&Bass", "Drum 'n' Bass",
"drum-n-bass" and "DRUM  AND  BASS" are one genre; so are "Hip-Hop", "hip hop" and
"HipHop". Abbreviations and synonyms ("dnb", "rap") come from ``GENRE_ALIASES``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy.orm import Session

from amt.api.repositories.reference_repo import ReferenceRepository
from amt.config.constants import GENRE_ALIASES, GENRE_FAMILY
from amt.utils.errors import ValidationError, quoted

_APOSTROPHE_N = re.compile(r"['’`]\s*n\b\s*['’`]?|\bn\s*['’`]")
"""'n', 'n and n' as in "drum'n'bass", "rock 'n roll", "rock n' roll"."""
_SEPARATORS = re.compile(r"[\W_]+")
"""Anything but letters and digits: spaces, hyphens, dots, slashes, leftover apostrophes."""


def genre_key(name: str) -> str:
    """The form genre names are compared in: case-folded, "&"/"'n'"/"n" read as "and", only letters and digits.

    Empty for a name with no letter or digit (such a name is not a genre).
    """
    if not any(c.isalnum() for c in name):
        return ""  # "&" alone would read as "and"
    text = _APOSTROPHE_N.sub(" and ", unicodedata.normalize("NFKC", name).casefold()).replace("&", " and ")
    words = [("and" if w == "n" else w) for w in _SEPARATORS.split(text)]
    return "".join(words)


def builtin_genres() -> list[str]:
    """Genres known without any database: every genre with a family (``config.constants.GENRE_FAMILY``)."""
    return list(GENRE_FAMILY)


def _by_key(names: Iterable[str]) -> dict[str, str]:
    """Genre key → the first spelling of it in ``names`` (names without letters or digits are no genre)."""
    out: dict[str, str] = {}
    for name in names:
        key = genre_key(name)
        if key:
            out.setdefault(key, name)
    return out


def with_builtin(stored: Iterable[str]) -> list[str]:
    """The built-in genres plus the stored genre names that are not one of them, sorted case-insensitively."""
    return sorted(_by_key([*builtin_genres(), *stored]).values(), key=str.lower)


def known_genres(session: Session) -> list[str]:
    """Built-in genres plus every genre that user references introduced, sorted case-insensitively."""
    return with_builtin(ReferenceRepository(session).genres())


_ALIASES: dict[str, str] = {genre_key(alias): genre for alias, genre in GENRE_ALIASES.items()}


def match_genre(name: str, known: Iterable[str]) -> str | None:
    """The canonical genre for ``name`` (spelling-insensitive, see :func:`genre_key`; aliases), or None."""
    key = genre_key(name)
    if not key:
        return None
    canonical = _by_key(known)
    if key in canonical:
        return canonical[key]
    alias = _ALIASES.get(key)
    if alias is not None:
        return canonical.get(genre_key(alias))
    return None


def spellings_of(genre: str, stored: Iterable[str]) -> list[str]:
    """The names in ``stored`` that are spellings of ``genre`` (usually just ``genre``)."""
    key = genre_key(genre)
    return [g for g in stored if genre_key(g) == key]


def stored_spellings(session: Session, genre: str) -> list[str]:
    """The genre names stored on references that are spellings of ``genre``."""
    return spellings_of(genre, ReferenceRepository(session).genres())


def resolve_genre(session: Session, name: str) -> str:
    """The canonical genre for ``name``; ValidationError naming the known genres otherwise."""
    known = known_genres(session)
    genre = match_genre(name, known)
    if genre is None:
        raise ValidationError(f"Unknown genre '{quoted(name.strip())}'. Known genres: {', '.join(known)}.")
    return genre
