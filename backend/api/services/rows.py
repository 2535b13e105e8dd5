"""Metric rows (analysis or reference) as plain dicts of SPEC §4 fields."""

from __future__ import annotations

from typing import Any

from analysis.result import AnalysisResult
from api.models import BAND_METRIC_FIELDS, OVERALL_METRIC_FIELDS
from api.services.series import pack_series
from ml.feature_extraction import FEATURE_VERSION, extract_features
from ml.similarity import vector_to_bytes


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


def overall_dict(row: Any) -> dict[str, Any] | None:
    """An overall-metrics row as a dict of SPEC §4 fields (None for no row)."""
    if row is None:
        return None
    return {name: getattr(row, name) for name in OVERALL_METRIC_FIELDS}


def band_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """Band-metric rows as dicts of SPEC §4 fields, low to high."""
    return [{name: getattr(b, name) for name in BAND_METRIC_FIELDS} for b in rows]
