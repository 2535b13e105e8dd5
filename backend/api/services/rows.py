"""Metric rows (analysis or reference) as plain dicts of SPEC §4 fields."""

from __future__ import annotations

from typing import Any

from api.models import BAND_METRIC_FIELDS, OVERALL_METRIC_FIELDS


def overall_dict(row: Any) -> dict[str, Any] | None:
    """An overall-metrics row as a dict of SPEC §4 fields (None for no row)."""
    if row is None:
        return None
    return {name: getattr(row, name) for name in OVERALL_METRIC_FIELDS}


def band_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """Band-metric rows as dicts of SPEC §4 fields, low to high."""
    return [{name: getattr(b, name) for name in BAND_METRIC_FIELDS} for b in rows]
