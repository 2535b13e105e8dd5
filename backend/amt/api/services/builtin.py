"""The built-in reference library (SPEC §6): every real corpus track, and archetypes where the corpus is thin.

The real tracks come from ``data/references/corpus.json`` (numbers measured on freely licensed
music from Debian packages); the synthesised archetypes from ``reference_metadata.json``. Of
the seed's six club genres, each keeps four built-in references: its real corpus tracks
first, archetypes (labelled as such) for the rest.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack
from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.corpus import band_figure_rows, load_corpus
from amt.api.services.series import pack_floats, pack_series
from amt.ml.similarity import vector_to_bytes

METADATA_PATH = Path(__file__).resolve().parents[2] / "data" / "references" / "reference_metadata.json"


ARCHETYPES_PER_GENRE = 4
"""The seed's built-in references per club genre: real corpus tracks where it has them, archetypes for the rest."""


@lru_cache(maxsize=1)
def load_archetypes(path: Path = METADATA_PATH) -> tuple[dict[str, Any], ...]:
    """The synthesised archetype entries (empty when the file has not been rendered)."""
    if not path.exists():
        return ()
    return tuple(json.loads(path.read_text())["references"])


def corpus_entry(track: dict[str, Any]) -> dict[str, Any]:
    """A corpus track as a built-in reference entry."""
    return {
        **{
            k: track[k]
            for k in (
                "id",
                "artist",
                "genre",
                "year",
                "licence",
                "engine_version",
                "feature_version",
                "audio",
                "overall_metrics",
                "band_metrics",
                "spectrum",
                "feature_vector",
            )
        },
        "name": track["title"],
        "is_builtin": True,
        "source": f"{track['package']} {track['package_version']}: {track['path']}",
    }


@lru_cache(maxsize=1)
def load_metadata() -> tuple[dict[str, Any], ...]:
    """The whole built-in library: every corpus track, then the archetypes a club genre still needs."""
    real = [corpus_entry(t) for t in load_corpus()]
    counts: dict[str, int] = {}
    for e in real:
        counts[e["genre"]] = counts.get(e["genre"], 0) + 1
    archetypes = [
        e for e in load_archetypes() if e["synth"]["variant"] <= ARCHETYPES_PER_GENRE - counts.get(e["genre"], 0)
    ]
    return (*real, *archetypes)


def reference_row(entry: dict[str, Any]) -> ReferenceTrack:
    """ORM rows of one built-in reference entry."""
    audio = entry["audio"]
    spectrum = entry.get("spectrum") or {}
    ref = ReferenceTrack(
        id=entry["id"],
        name=entry["name"],
        artist=entry["artist"],
        genre=entry["genre"],
        year=entry.get("year"),
        is_builtin=True,
        source=entry.get("source") or _synth_source(entry["synth"]),
        licence=entry.get("licence"),
        sample_rate=audio["sample_rate"],
        channels=audio["channels"],
        bit_depth=audio.get("bit_depth"),
        duration_s=audio["duration_s"],
        engine_version=entry["engine_version"],
        feature_vector=vector_to_bytes(np.asarray(entry["feature_vector"], dtype=np.float32)),
        feature_version=str(entry["feature_version"]),
        series=pack_series({"spectrum_freqs_hz": spectrum.get("freqs_hz"), "spectrum_db": spectrum.get("db")}),
    )
    ref.overall_metrics = ReferenceOverallMetrics(
        **entry["overall_metrics"],
        spectrum_db=pack_floats(spectrum.get("db")),
        band_figures=pack_floats(band_figure_rows(entry["band_metrics"])),
    )
    ref.band_metrics = [ReferenceBandMetrics(position=i, **b) for i, b in enumerate(entry["band_metrics"])]
    return ref


def _synth_source(spec: dict[str, Any]) -> str:
    return f"synth:{spec['genre']}/{spec['variant']}/seed {spec['seed']}"


def populate(session: Session, *, force: bool = False) -> tuple[int, int]:
    """Load the built-ins (missing ones only; all anew with ``force``). Returns (added, already there)."""
    repo = ReferenceRepository(session)
    entries = load_metadata()
    if force:
        repo.delete_builtin()
        session.flush()
    added = kept = 0
    for entry in entries:
        if not force and repo.get(entry["id"]) is not None:
            kept += 1
            continue
        session.add(reference_row(entry))
        added += 1
    session.flush()
    return added, kept
