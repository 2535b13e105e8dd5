"""Metric rows (analysis or reference) as plain dicts of SPEC §4 fields."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from amt.analysis.result import AnalysisResult
from amt.api.models import BAND_METRIC_FIELDS, OVERALL_METRIC_FIELDS
from amt.api.services.recommend.model import Plan, Recommendation
from amt.api.services.series import pack_series
from amt.config.constants import GENRE_TEMPO_BPM
from amt.ml.feature_extraction import FEATURE_VERSION, extract_features
from amt.ml.similarity import vector_to_bytes


def audio_columns(result: AnalysisResult) -> dict[str, Any]:
    """The ``AudioColumns`` values of a result: audio info, engine version, feature vector, packed series."""
    return {
        "sample_rate": result.audio.sample_rate,
        "channels": result.audio.channels,
        "bit_depth": result.audio.bit_depth,
        "duration_s": result.audio.duration_s,
        "engine_version": result.engine_version,
        "feature_vector": vector_to_bytes(extract_features(result)),
        "feature_version": str(FEATURE_VERSION),
        "series": pack_series(result.series),
    }


def genre_tempo_bpm(tempo_bpm: float | None, genre: str | None) -> float | None:
    """The octave of ``tempo_bpm`` (× 2ⁿ, never another ratio) inside ``genre``'s documented tempo range
    (``GENRE_TEMPO_BPM``, SPEC §4), or the octave nearest that range (in octaves) when none falls inside;
    unchanged for a genre without a documented range, or without a tempo."""
    if tempo_bpm is None or genre not in GENRE_TEMPO_BPM:
        return tempo_bpm
    lo, hi = GENRE_TEMPO_BPM[genre]
    octaves = [tempo_bpm * 2.0**n for n in range(-4, 5)]
    return min(octaves, key=lambda bpm: max(math.log2(lo / bpm), math.log2(bpm / hi), 0.0))


def overall_for_genre(result: AnalysisResult, genre: str | None) -> dict[str, Any]:
    """The overall metrics of ``result`` as an analysis in ``genre`` stores and reports them: the engine's
    figures, with ``tempo_bpm`` in the genre's documented octave (:func:`genre_tempo_bpm`)."""
    overall = asdict(result.overall)
    overall["tempo_bpm"] = genre_tempo_bpm(overall["tempo_bpm"], genre)
    return overall


def overall_dict(row: Any) -> dict[str, Any] | None:
    """An overall-metrics row as a dict of SPEC §4 fields (None for no row)."""
    if row is None:
        return None
    return {name: getattr(row, name) for name in OVERALL_METRIC_FIELDS}


def band_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """Band-metric rows as dicts of SPEC §4 fields, low to high."""
    return [{name: getattr(b, name) for name in BAND_METRIC_FIELDS} for b in rows]


def recommendation_columns(row: Recommendation) -> dict[str, Any]:
    """A row's ``recommendations`` columns: its fields, the action as JSON text."""
    data = row.model_dump(mode="json", exclude={"action"})
    data["action"] = None if row.action is None else row.action.model_dump_json()
    return data


def recommendation_of(stored: Any) -> Recommendation:
    """A stored ``recommendations`` row as the typed row (the same model the rule built)."""
    return Recommendation.model_validate(
        {
            "band": stored.band,
            "metric": stored.metric,
            "current": stored.current,
            "target": stored.target,
            "deviation": stored.deviation,
            "tolerance": stored.tolerance,
            "severity": stored.severity,
            "message": stored.message,
            "suggested_change_db": stored.suggested_change_db,
            "action": None if stored.action is None else json.loads(stored.action),
            "step": stored.step,
        }
    )


def plan_of(stored: str | None) -> Plan:
    """A stored plan (JSON text); an empty plan with nothing expected for rows stored before plans existed."""
    if stored is None:
        return Plan.model_validate(
            {
                "steps": [],
                "expected": {"integrated_lufs": None, "true_peak_dbtp": None, "dynamic_range_db": None, "plr_db": None},
            }
        )
    return Plan.model_validate_json(stored)
