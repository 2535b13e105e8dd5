"""The 24 built-in references shipped in ``data/references/reference_metadata.json`` (SPEC §6)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from api.models import ReferenceBandMetrics, ReferenceOverallMetrics, ReferenceTrack
from api.repositories.reference_repo import ReferenceRepository
from api.services.series import pack_series
from api.services.targets import ReferenceNumbers
from ml.similarity import vector_to_bytes

METADATA_PATH = Path(__file__).resolve().parents[2] / "data" / "references" / "reference_metadata.json"


@lru_cache(maxsize=1)
def load_metadata(path: Path = METADATA_PATH) -> tuple[dict[str, Any], ...]:
    """The built-in reference entries (empty when the file has not been rendered)."""
    if not path.exists():
        return ()
    return tuple(json.loads(path.read_text())["references"])


def builtin_numbers(genre: str) -> list[ReferenceNumbers]:
    """Target inputs of the built-in references of a genre, straight from the JSON."""
    return [
        ReferenceNumbers(e["overall_metrics"], e["band_metrics"], e.get("spectrum", {}).get("db"))
        for e in load_metadata()
        if e["genre"].lower() == genre.lower()
    ]


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
        source=f"synth:{entry['synth']['genre']}/{entry['synth']['variant']}/seed {entry['synth']['seed']}",
        sample_rate=audio["sample_rate"],
        channels=audio["channels"],
        bit_depth=audio.get("bit_depth"),
        duration_s=audio["duration_s"],
        engine_version=entry["engine_version"],
        feature_vector=vector_to_bytes(np.asarray(entry["feature_vector"], dtype=np.float32)),
        feature_version=str(entry["feature_version"]),
        series=pack_series({"spectrum_freqs_hz": spectrum.get("freqs_hz"), "spectrum_db": spectrum.get("db")}),
    )
    ref.overall_metrics = ReferenceOverallMetrics(**entry["overall_metrics"])
    ref.band_metrics = [ReferenceBandMetrics(position=i, **b) for i, b in enumerate(entry["band_metrics"])]
    return ref


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
