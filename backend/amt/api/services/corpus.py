"""The real reference corpus (SPEC §6): its shipped numbers, genre labels, and the targets measured on it (§5).

Pure apart from reading the shipped JSON once. A genre's target is measured on real
masters: medians and robust spreads (IQR / 1.349) of the corpus tracks of that genre
(and any user references of it), never tighter than real masters of one style differ.
A genre with fewer than ``MIN_OWN_TRACKS`` tracks borrows its spreads from its family
(electronic, band, acoustic), and with fewer than ``MIN_OWN_CENTRE`` its centres too;
genres the corpus cannot fill take their loudness from published measurements
(``config.constants.DOCUMENTED_LOUDNESS``) and their other centres from the family's tracks
mastered at that loudness. Every target says what it rests on in ``source``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from amt.api.services.deviation import inaudible_rows, shape_deviation_rows
from amt.config.constants import (
    BAND_NAMES,
    DOCUMENTED_LOUDNESS,
    GENRE_FAMILY,
    MIN_LOUDNESS_TOLERANCE_LU,
    MIN_SHAPE_TOLERANCE_DB,
    MIN_STEREO_TOLERANCE,
    TRUE_PEAK_CEILING_DBTP,
    BandTarget,
    Family,
    GenreTarget,
)

CORPUS_PATH = Path(__file__).resolve().parents[2] / "data" / "references" / "corpus.json"
MIN_OWN_TRACKS = 8
"""A genre with fewer real references borrows its spreads from its family (SPEC §5)."""
MIN_OWN_CENTRE = 3
"""A genre with fewer real references takes its centres (medians) from its family too."""
ROBUST_SIGMA = 1.349
"""IQR / 1.349 estimates the standard deviation of a normal distribution, unmoved by outliers."""
CENTRAL_80 = 1.2816
"""Half the 10th–90th percentile range of a normal distribution, in standard deviations: a tolerance of
1.2816 · IQR / 1.349 holds the central 80 % of real masters, as the loudness, LRA, DR and PLR ranges do."""
MIN_HALF_RANGE = 1.0
"""LRA, DR and PLR ranges are at least ±1 around their median."""


@dataclass(frozen=True)
class ReferenceNumbers:
    """What target derivation needs of one real reference: its metrics and long-term spectrum."""

    overall: Mapping[str, Any]
    bands: Sequence[Mapping[str, Any]]
    spectrum_db: Sequence[float | None] | None = None


@lru_cache(maxsize=1)
def load_corpus(path: Path = CORPUS_PATH) -> tuple[dict[str, Any], ...]:
    """The shipped corpus tracks (empty when the file is missing)."""
    if not path.exists():
        return ()
    return tuple(json.loads(path.read_text(encoding="utf-8"))["tracks"])


def numbers_of(track: Mapping[str, Any]) -> ReferenceNumbers:
    """Target inputs of a corpus entry."""
    return ReferenceNumbers(track["overall_metrics"], track["band_metrics"], (track.get("spectrum") or {}).get("db"))


def corpus_numbers(*, genre: str | None = None, family: Family | None = None) -> list[ReferenceNumbers]:
    """Target inputs of the corpus tracks of one genre, or of one family (all tracks when neither is given)."""
    return [
        numbers_of(t)
        for t in load_corpus()
        if (genre is None or t["genre"] == genre) and (family is None or t["family"] == family.value)
    ]


# --- statistics ---------------------------------------------------------------------------------------------


def _percentile(ascending: np.ndarray, percent: float) -> float:
    """``np.percentile(x, percent)`` (its default, linear method, to the last bit) of ``x`` sorted ascending, without
    numpy's per-call overhead: targets take a few thousand of them."""
    at = (len(ascending) - 1) * (percent / 100)
    low = math.floor(at)
    high = min(low + 1, len(ascending) - 1)
    gamma = at - low
    a, b = float(ascending[low]), float(ascending[high])
    return b - (b - a) * (1 - gamma) if gamma >= 0.5 else a + (b - a) * gamma


def _median(ascending: np.ndarray) -> float:
    """``np.median`` of an ascending array."""
    mid = len(ascending) // 2
    return float(ascending[mid]) if len(ascending) % 2 else float((ascending[mid - 1] + ascending[mid]) / 2)


def robust_spread(values: Sequence[float] | np.ndarray) -> float:
    """The real spread of ``values``: how far from their median the central 80 % of them lie — the larger of
    IQR / 1.349 × 1.2816 (a robust standard deviation, scaled to the central 80 % of a normal distribution) and the
    80th percentile of the distances from the median (the same share, for the heavy tails real music has). 0 for
    fewer than two values."""
    if len(values) < 2:
        return 0.0
    x = np.sort(np.asarray(values, dtype=float))
    iqr = _percentile(x, 75) - _percentile(x, 25)
    return max(CENTRAL_80 * iqr / ROBUST_SIGMA, _percentile(np.sort(np.abs(x - _median(x))), 80))


def percentile_range(
    values: Sequence[float] | np.ndarray, *, min_half: float = MIN_HALF_RANGE
) -> tuple[float, float] | None:
    """Where the central 80 % of ``values`` lie: the 10th … 90th percentile, at least the median ± the real spread
    (``robust_spread``, which holds the central 80 % of a normal distribution and is steadier than the percentiles
    of a few values) and at least the median ± ``min_half``; None without values."""
    if len(values) == 0:
        return None
    x = np.sort(np.asarray(values, dtype=float))
    median = _median(x)
    half = max(min_half, robust_spread(x))
    return (min(_percentile(x, 10), median - half), max(_percentile(x, 90), median + half))


TARGET_OVERALL_FIELDS = ("integrated_lufs", "loudness_range_lu", "dynamic_range_db", "plr_db")
"""The overall figures genre targets are derived from."""
TARGET_BAND_FIELDS = ("energy_ratio", "rms_db", "stereo_width", "phase_correlation")
"""The band figures genre targets are derived from."""


@dataclass(frozen=True)
class ReferenceTable:
    """The target inputs of many references as arrays (row i is one reference; NaN where a figure is null):
    derivation computes on whole columns, so a genre of 10 000 references costs a few array operations."""

    overall: Mapping[str, np.ndarray]
    """``TARGET_OVERALL_FIELDS`` → shape (n,)."""
    bands: Mapping[str, np.ndarray]
    """``TARGET_BAND_FIELDS`` → shape (n, 5), columns in ``BAND_NAMES`` order."""
    spectra: Sequence[np.ndarray | None]
    """Each reference's long-term spectrum (dB per 1/6-octave bin, NaN where undefined), or None."""

    def __len__(self) -> int:
        return len(self.spectra)

    def take(self, rows: np.ndarray) -> ReferenceTable:
        """The references where the boolean mask ``rows`` is true."""
        picked = np.flatnonzero(rows)
        return ReferenceTable(
            overall={k: v[picked] for k, v in self.overall.items()},
            bands={k: v[picked] for k, v in self.bands.items()},
            spectra=[self.spectra[int(i)] for i in picked],
        )


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)


def _spectrum(values: Sequence[float | None] | None) -> np.ndarray | None:
    return np.array([_number(v) for v in values], dtype=float) if values else None


def band_figure_rows(bands: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """``TARGET_BAND_FIELDS`` of one reference's band rows (dicts with ``band``), shape (5, 4) in ``BAND_NAMES``
    order, NaN where a figure is null or a band row is missing."""
    out = np.full((len(BAND_NAMES), len(TARGET_BAND_FIELDS)), np.nan)
    by_band = {b["band"]: b for b in bands}
    for j, band in enumerate(BAND_NAMES):
        row = by_band.get(band)
        if row is not None:
            out[j] = [_number(row.get(f)) for f in TARGET_BAND_FIELDS]
    return out


def as_table(refs: Sequence[ReferenceNumbers] | ReferenceTable) -> ReferenceTable:
    """``refs`` as a :class:`ReferenceTable` (unchanged when it is one)."""
    if isinstance(refs, ReferenceTable):
        return refs
    bands = np.full((len(refs), len(BAND_NAMES), len(TARGET_BAND_FIELDS)), np.nan)
    for i, ref in enumerate(refs):
        bands[i] = band_figure_rows(ref.bands)
    return ReferenceTable(
        overall={f: np.array([_number(r.overall.get(f)) for r in refs], dtype=float) for f in TARGET_OVERALL_FIELDS},
        bands={f: bands[:, :, k] for k, f in enumerate(TARGET_BAND_FIELDS)},
        spectra=[_spectrum(r.spectrum_db) for r in refs],
    )


def join_tables(*tables: ReferenceTable) -> ReferenceTable:
    """The references of every table, in order."""
    return ReferenceTable(
        overall={f: np.concatenate([t.overall[f] for t in tables]) for f in TARGET_OVERALL_FIELDS},
        bands={f: np.concatenate([t.bands[f] for t in tables]) for f in TARGET_BAND_FIELDS},
        spectra=[s for t in tables for s in t.spectra],
    )


def _overall(refs: ReferenceTable, field: str) -> np.ndarray:
    values = refs.overall[field]
    return values[np.isfinite(values)]


def median_shares(refs: ReferenceTable) -> dict[str, float]:
    """Per band the median energy share, the five scaled to sum to 1 (only the shape matters)."""
    medians = {}
    for j, band in enumerate(BAND_NAMES):
        column = refs.bands["energy_ratio"][:, j]
        shares = column[column > 0]  # NaN (no figure) compares false
        medians[band] = float(np.median(shares)) if shares.size else 1e-6
    total = sum(medians.values())
    return {b: v / total for b, v in medians.items()}


@dataclass(frozen=True)
class BandStats:
    """The real spread of one band's figures over a set of references."""

    shape_spread_db: float
    width: float | None
    width_spread: float
    correlation: float | None
    correlation_spread: float


def band_stats(refs: ReferenceTable, shares: Mapping[str, float]) -> dict[str, BandStats]:
    """Per band: the robust spread of the references' shape deviations from ``shares``, and the medians and robust
    spreads of width and correlation over the references in which the band is audible."""
    quiet = inaudible_rows(refs.bands["rms_db"])
    shapes = shape_deviation_rows(refs.bands["energy_ratio"], np.array([shares[b] for b in BAND_NAMES]), quiet)
    out = {}
    for j, band in enumerate(BAND_NAMES):
        shape = shapes[:, j]
        width, corr = refs.bands["stereo_width"][:, j], refs.bands["phase_correlation"][:, j]
        widths = width[~quiet[:, j] & np.isfinite(width)]
        corrs = corr[~quiet[:, j] & np.isfinite(corr)]
        out[band] = BandStats(
            shape_spread_db=robust_spread(shape[np.isfinite(shape)]),
            width=float(np.median(widths)) if widths.size else None,
            width_spread=robust_spread(widths),
            correlation=float(np.median(corrs)) if corrs.size else None,
            correlation_spread=robust_spread(corrs),
        )
    return out


def mean_spectrum(refs: ReferenceTable) -> tuple[float | None, ...] | None:
    """Power mean of the references' long-term spectra, per bin, each first moved to 0 dB mean level (dB)."""
    rows = [s for s in refs.spectra if s is not None and s.size]
    if not rows or len({r.size for r in rows}) != 1:
        return None
    db = np.array(rows, dtype=float)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a spectrum with no defined bin has no mean level
        db -= np.nanmean(db, axis=1, keepdims=True)
    power = 10.0 ** (db / 10.0)
    counts = np.isfinite(power).sum(axis=0)
    total = np.nansum(power, axis=0)
    return tuple(
        round(float(10 * np.log10(t / c)), 2) if c > 0 and t > 0 else None for t, c in zip(total, counts, strict=True)
    )


# --- targets ------------------------------------------------------------------------------------------------


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def derive_target(
    genre: str,
    own: Sequence[ReferenceNumbers] | ReferenceTable,
    family_refs: Sequence[ReferenceNumbers] | ReferenceTable,
    family: Family | None,
) -> GenreTarget:
    """A genre's target from its own real references and its family's (SPEC §5).

    With ``MIN_OWN_TRACKS`` or more own references, every centre and spread is theirs. With
    fewer, spreads come from the family (the whole corpus for a genre of the user's own, which
    keeps its own centres however few its references); with fewer than ``MIN_OWN_CENTRE``,
    centres too —
    and for a genre with documented loudness (club and chart genres the corpus cannot fill),
    the loudness is the published one and the other centres come from the family's tracks
    mastered at that loudness (when it has at least ``MIN_OWN_CENTRE`` of them). Tolerances
    never go below the floors of ``config.constants``.
    """
    own, family_refs = as_table(own), as_table(family_refs)
    n = len(own)
    # A genre of the user's own (no family) is centred on its own references, however few.
    min_centre = MIN_OWN_CENTRE if family is not None else 1
    spread_refs = own if n >= MIN_OWN_TRACKS or not len(family_refs) else family_refs
    centre_refs = own if n >= min_centre or not len(family_refs) else family_refs
    documented = DOCUMENTED_LOUDNESS.get(genre) if centre_refs is not own else None
    parts = [_count(n, "real reference")]
    if documented is not None:
        low, high = documented.loudness_lufs
        lufs = family_refs.overall["integrated_lufs"]
        with np.errstate(invalid="ignore"):
            at_level = family_refs.take((low <= lufs) & (lufs <= high))
        if len(at_level) >= MIN_OWN_CENTRE:
            centre_refs = at_level
        parts.append(f"loudness from published measurements ({documented.basis})")
    if centre_refs is not own:
        what = (
            "the family's tracks mastered at that loudness"
            if documented and centre_refs is not family_refs
            else f"the {family.value if family else 'whole'} corpus"
        )
        parts.append(f"centres from {what} ({_count(len(centre_refs), 'track')})")
    if spread_refs is not own:
        parts.append(
            f"spreads from the {family.value if family else 'whole'} corpus ({_count(len(spread_refs), 'track')})"
        )
    shares = median_shares(centre_refs)
    centre_stats = band_stats(centre_refs, shares)
    spread_stats = centre_stats if spread_refs is centre_refs else band_stats(spread_refs, median_shares(spread_refs))
    bands = {
        b: BandTarget(
            energy_ratio=shares[b],
            spread_db=max(MIN_SHAPE_TOLERANCE_DB, spread_stats[b].shape_spread_db),
            stereo_width=_or(centre_stats[b].width, spread_stats[b].width, 0.1),
            phase_correlation=_or(centre_stats[b].correlation, spread_stats[b].correlation, 0.8),
            width_tolerance=max(MIN_STEREO_TOLERANCE, spread_stats[b].width_spread),
            correlation_tolerance=max(MIN_STEREO_TOLERANCE, spread_stats[b].correlation_spread),
        )
        for b in BAND_NAMES
    }
    if documented is not None:
        integrated = documented.integrated_lufs
        loud_range: tuple[float, float] | None = documented.loudness_lufs
        loud_tol = max(MIN_LOUDNESS_TOLERANCE_LU, (documented.loudness_lufs[1] - documented.loudness_lufs[0]) / 2)
    else:
        lufs = _overall(centre_refs, "integrated_lufs")
        integrated = float(np.median(lufs)) if lufs.size else -14.0
        loud_range = percentile_range(lufs, min_half=0.0)
        loud_tol = max(MIN_LOUDNESS_TOLERANCE_LU, robust_spread(_overall(spread_refs, "integrated_lufs")))
    lra = _shifted_range(centre_refs, spread_refs, "loudness_range_lu", (4.0, 10.0))
    dr = _shifted_range(centre_refs, spread_refs, "dynamic_range_db", (6.0, 10.0))
    plr = _shifted_range(centre_refs, spread_refs, "plr_db", (8.0, 12.0))
    if documented is not None and centre_refs is family_refs:
        # The family has too few tracks at the published loudness to centre DR and PLR on: with peaks where they
        # were, each LU of extra loudness takes about 1 dB off both (limiting), so their ranges move by as much.
        family_lufs = _overall(family_refs, "integrated_lufs")
        louder = integrated - float(np.median(family_lufs)) if family_lufs.size else 0.0
        dr, plr = (max(0.0, dr[0] - louder), dr[1] - louder), (max(0.0, plr[0] - louder), plr[1] - louder)
        parts.append(f"DR and PLR moved {louder:.1f} dB for that loudness")
    return GenreTarget(
        genre=genre,
        integrated_lufs=integrated,
        true_peak_ceiling_dbtp=TRUE_PEAK_CEILING_DBTP,
        lra_lu=lra,
        dr_db=dr,
        bands=bands,
        source="; ".join(parts),
        spectrum_db=mean_spectrum(centre_refs),
        measured_plr_db=plr,
        loudness_lufs=loud_range,
        loudness_tolerance_lu=loud_tol,
        family=family,
        track_count=n,
    )


def _or(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _shifted_range(
    centre_refs: ReferenceTable,
    spread_refs: ReferenceTable,
    field: str,
    fallback: tuple[float, float],
) -> tuple[float, float]:
    """The 10th–90th percentile range of ``field``: the spread references' range moved to the centre references'
    median (the two are the same references when a genre has enough of its own)."""
    centre = _overall(centre_refs, field)
    spread = _overall(spread_refs, field)
    rng = percentile_range(spread)
    if rng is None or not centre.size:
        return fallback
    shift = float(np.median(centre)) - float(np.median(spread))
    return (max(0.0, rng[0] + shift), rng[1] + shift)  # LRA, DR and PLR are never negative


def corpus_target(genre: str, extra: Sequence[ReferenceNumbers] | ReferenceTable = ()) -> GenreTarget:
    """The target of ``genre`` from the shipped corpus, plus ``extra`` real references of it (user references)."""
    return _target(genre, as_table(extra)) if len(extra) else _shipped_target(genre)


@lru_cache(maxsize=64)
def _shipped_target(genre: str) -> GenreTarget:
    return _target(genre, None)


@lru_cache(maxsize=1)
def _whole_corpus() -> tuple[ReferenceTable, np.ndarray, np.ndarray]:
    """The corpus as one table, with each track's genre and family."""
    tracks = load_corpus()
    genres = np.array([t["genre"] for t in tracks], dtype=object)
    families = np.array([t["family"] for t in tracks], dtype=object)
    return as_table([numbers_of(t) for t in tracks]), genres, families


@lru_cache(maxsize=64)
def _corpus_table(genre: str | None = None, family: Family | None = None) -> ReferenceTable:
    """``corpus_numbers(genre=, family=)`` as a table."""
    table, genres, families = _whole_corpus()
    rows = np.ones(len(table), dtype=bool)
    if genre is not None:
        rows &= genres == genre
    if family is not None:
        rows &= families == family.value
    return table.take(rows)


def _target(genre: str, extra: ReferenceTable | None) -> GenreTarget:
    family = GENRE_FAMILY.get(genre)
    own = _corpus_table(genre=genre)
    if extra is not None:
        own = join_tables(own, extra)
    return derive_target(genre, own, _corpus_table(family=family), family)


# --- genre labels -------------------------------------------------------------------------------------------

TAG_GENRES: dict[str, str] = {
    "death metal": "Metal",
    "metal": "Metal",
    "heavy metal": "Metal",
    "rock": "Rock",
    "house": "House",
    "dnb": "Drum & Bass",
    "drum and bass": "Drum & Bass",
    "drum & bass": "Drum & Bass",
    "psychedelic": "Psytrance",
    "psytrance": "Psytrance",
    "psychedelic trance": "Psytrance",
    "goa": "Psytrance",
    "trance": "Trance",
    "techno": "Techno",
    "dubstep": "Dubstep",
    "electronic": "Electronic",
    "electronica": "Electronic",
    "ambient": "Ambient",
    "classical": "Classical",
    "romantic classical": "Classical",
    "orchestral": "Orchestral",
}
"""GENRE tags (case-folded) that name a genre of the product. Tags such as "Soundtrack", "Game" or "Other" say
nothing about the music, and the track is labelled from its features instead."""

FAMILY_GENRE: dict[Family, str] = {
    Family.ELECTRONIC: "Electronic",
    Family.BAND: "Rock",
    Family.ACOUSTIC: "Orchestral",
}
"""The genre a track without a usable tag is filed under, by the family its features put it in."""

LABEL_FEATURES: tuple[str, ...] = (
    "pulse_clarity",
    "harmonic_ratio",
    "onset_rate_hz",
    "spectral_flatness",
    "crest_factor_db",
    "loudness_range_lu",
)
"""Overall metrics the feature-based label compares (with the low and high bands' energy shares in dB)."""


@dataclass(frozen=True)
class GenreLabel:
    """A corpus track's genre, its family, and what the label rests on."""

    genre: str
    family: Family
    basis: str


def label_from_tag(tag: str | None) -> GenreLabel | None:
    """The label a GENRE tag gives, or None when the tag names no genre of the product."""
    genre = TAG_GENRES.get((tag or "").strip().casefold())
    if genre is None:
        return None
    return GenreLabel(genre, GENRE_FAMILY[genre], f"GENRE tag '{tag}'")


def _label_vector(entry: Mapping[str, Any]) -> list[float]:
    o = entry["overall_metrics"]
    bands = {b["band"]: b for b in entry["band_metrics"]}
    shares = [10.0 * math.log10(max(bands[b]["energy_ratio"] or 0.0, 1e-9)) for b in ("low", "high")]
    return [float(o.get(k) or 0.0) for k in LABEL_FEATURES] + shares


def label_corpus(entries: Sequence[Mapping[str, Any]], known: Sequence[Mapping[str, Any]] = ()) -> list[GenreLabel]:
    """Labels for corpus entries (each with ``genre_tag`` and its metrics): from the GENRE tag where it names a
    genre; otherwise the family whose tag-labelled tracks' centroid is nearest in standardised features
    (``LABEL_FEATURES`` and the low/high shares), filed under that family's genre, with the figures in the basis.
    ``known``: further entries (an earlier corpus) whose tags join the centroids, for a build of a few packages."""
    pool = [*entries, *(k for k in known if label_from_tag(k.get("genre_tag")) is not None)]
    tagged = [label_from_tag(e.get("genre_tag")) for e in pool]
    x = np.array([_label_vector(e) for e in pool])
    scale = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    centroids = {
        fam: z[[i for i, t in enumerate(tagged) if t is not None and t.family == fam]].mean(axis=0)
        for fam in Family
        if any(t is not None and t.family == fam for t in tagged)
    }
    if not centroids:
        raise ValueError("no track with a usable GENRE tag to label the others by")
    labels: list[GenreLabel] = []
    for i, (entry, tag_label) in enumerate(zip(entries, tagged[: len(entries)], strict=True)):
        if tag_label is not None:
            labels.append(tag_label)
            continue
        distances = {fam: float(np.linalg.norm(z[i] - c)) for fam, c in centroids.items()}
        family = min(distances, key=lambda f: distances[f])
        o = entry["overall_metrics"]
        tag = entry.get("genre_tag")
        told = f"GENRE tag '{tag}' names no genre here; " if tag and tag.strip() else "no GENRE tag; "
        basis = (
            f"{told}features nearest the {family.value} tracks' (tempo {o.get('tempo_bpm') or 0:.0f} BPM, "
            f"pulse clarity {o.get('pulse_clarity') or 0:.2f}, harmonic ratio {o.get('harmonic_ratio') or 0:.2f}, "
            f"onsets {o.get('onset_rate_hz') or 0:.1f}/s)"
        )
        labels.append(GenreLabel(FAMILY_GENRE[family], family, basis))
    return labels
