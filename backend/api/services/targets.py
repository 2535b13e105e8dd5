"""Genre targets (SPEC §5): derived from the genre's references when it has any, else the documented constants."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from api.models import ReferenceTrack
from api.repositories.reference_repo import ReferenceRepository
from api.services.genres import spellings_of, with_builtin
from api.services.rows import band_dicts, overall_dict
from api.services.series import unpack_series, unpack_series_field
from config.constants import (
    BAND_NAMES,
    CONSTANT_GENRE_TARGETS,
    FALLBACK_REFERENCE_TARGETS,
    BandTarget,
    GenreTarget,
)
from utils.errors import ValidationError

TRUE_PEAK_CEILING_DBTP = -1.0
"""Ceiling for every genre: streaming encoders need the headroom whatever the genre (AES TD1004)."""
MIN_SPREAD_DB = 1.0
MIN_HALF_RANGE = 1.0
"""Derived LRA/DR ranges are at least ±1 around the references' mean."""


@dataclass(frozen=True)
class ReferenceNumbers:
    """What target derivation needs of one reference: its metrics and long-term spectrum."""

    overall: Mapping[str, Any]
    bands: Sequence[Mapping[str, Any]]
    spectrum_db: Sequence[float | None] | None


def numbers_from_row(ref: ReferenceTrack) -> ReferenceNumbers:
    """The numbers of a stored reference."""
    series = unpack_series(ref.series) or {}
    return ReferenceNumbers(
        overall=overall_dict(ref.overall_metrics) or {},
        bands=band_dicts(ref.band_metrics),
        spectrum_db=series.get("spectrum_db"),
    )


def _values(refs: Sequence[ReferenceNumbers], field: str) -> list[float]:
    values = (r.overall.get(field) for r in refs)
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _range(values: list[float], fallback: tuple[float, float]) -> tuple[float, float]:
    if not values:
        return fallback
    mean = float(np.mean(values))
    return (min(float(np.percentile(values, 10)), mean - MIN_HALF_RANGE),
            max(float(np.percentile(values, 90)), mean + MIN_HALF_RANGE))


def _mean_spectrum(refs: Sequence[ReferenceNumbers]) -> tuple[float | None, ...] | None:
    """Power mean of the references' long-term spectra, per bin, dB."""
    rows = [[np.nan if v is None else v for v in r.spectrum_db] for r in refs if r.spectrum_db]
    if not rows or len({len(r) for r in rows}) != 1:
        return None
    power = 10.0 ** (np.asarray(rows, dtype=float) / 10.0)
    counts = np.isfinite(power).sum(axis=0)
    total = np.nansum(power, axis=0)
    return tuple(
        round(float(10 * np.log10(t / c)), 2) if c > 0 and t > 0 else None
        for t, c in zip(total, counts, strict=True)
    )


def target_from_references(genre: str, refs: Sequence[ReferenceNumbers]) -> GenreTarget:
    """A target from references' measurements: means, spreads and 10th–90th percentile ranges (LRA, DR, PLR)."""
    base = FALLBACK_REFERENCE_TARGETS.get(genre) or CONSTANT_GENRE_TARGETS.get(genre)
    lufs = _values(refs, "integrated_lufs")
    bands: dict[str, BandTarget] = {}
    for name in BAND_NAMES:
        rows = [b for r in refs for b in r.bands if b.get("band") == name]
        ratios = [b["energy_ratio"] for b in rows if b.get("energy_ratio") is not None and b["energy_ratio"] > 0]
        widths = [b["stereo_width"] for b in rows if b.get("stereo_width") is not None]
        corrs = [b["phase_correlation"] for b in rows if b.get("phase_correlation") is not None]
        fallback = base.bands[name] if base else BandTarget(0.2, 2.0, 0.1, 0.8)
        mean_ratio = float(np.mean(ratios)) if ratios else fallback.energy_ratio
        spread = float(np.std(10 * np.log10(np.asarray(ratios) / mean_ratio))) if len(ratios) > 1 else 0.0
        bands[name] = BandTarget(
            energy_ratio=mean_ratio,
            spread_db=max(MIN_SPREAD_DB, spread),
            stereo_width=float(np.mean(widths)) if widths else fallback.stereo_width,
            phase_correlation=float(np.mean(corrs)) if corrs else fallback.phase_correlation,
        )
    return GenreTarget(
        genre=genre,
        integrated_lufs=float(np.mean(lufs)) if lufs else (base.integrated_lufs if base else -14.0),
        true_peak_ceiling_dbtp=TRUE_PEAK_CEILING_DBTP,
        lra_lu=_range(_values(refs, "loudness_range_lu"), base.lra_lu if base else (4.0, 10.0)),
        dr_db=_range(_values(refs, "dynamic_range_db"), base.dr_db if base else (6.0, 10.0)),
        measured_plr_db=_range(_values(refs, "plr_db"), base.plr_db if base else (8.0, 12.0)),
        bands=bands,
        source=f"{len(refs)} reference{'s' if len(refs) != 1 else ''}",
        spectrum_db=_mean_spectrum(refs),
    )


def constant_target(genre: str) -> GenreTarget:
    """The documented target of a genre without references; ValidationError if it has none."""
    target = CONSTANT_GENRE_TARGETS.get(genre) or FALLBACK_REFERENCE_TARGETS.get(genre)
    if target is None:
        raise ValidationError(f"The genre '{genre}' has no references and no documented target.")
    return target


def numbers_of_genres(repo: ReferenceRepository, genres: Sequence[str]) -> list[ReferenceNumbers]:
    """The numbers of every reference stored under ``genres``, reading only the columns targets use."""
    spectra = repo.spectra(genres)
    return [
        ReferenceNumbers(
            overall=row.overall, bands=row.bands, spectrum_db=unpack_series_field(spectra[row.id], "spectrum_db")
        )
        for row in repo.target_numbers(genres)
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
    """The target of a canonical genre name (see services.genres.resolve_genre); ``stored``: the genre names
    stored on references, when the caller has read them already. Cached per library version."""
    cache = _CACHE.targets(session)
    if genre in cache:
        return cache[genre]
    repo = ReferenceRepository(session)
    spellings = spellings_of(genre, repo.genres() if stored is None else stored)
    refs = numbers_of_genres(repo, spellings) if spellings else []
    target = target_from_references(genre, refs) if refs else constant_target(genre)
    cache[genre] = target
    return target


def all_genre_targets(session: Session) -> list[GenreTarget]:
    """Every known genre's target, sorted by name (the stored genre names read once)."""
    stored = ReferenceRepository(session).genres()
    return [genre_target(session, name, stored=stored) for name in with_builtin(stored)]
