"""The parts of a report computed at read time from stored numbers: destinations and sections (SPEC §8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from amt.analysis.sections import find_sections
from amt.api.services.destinations import destination_previews


def read_time_extras(
    overall: dict[str, Any] | None,
    series: dict[str, Any] | None,
    duration_s: float,
    encoded: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """``destinations``, ``sections`` and ``section_contrast_lu`` for an analysis (``encoded``: its codec
    previews, when they were measured)."""
    overall = overall or {}
    found = find_sections(series or {}, duration_s)
    return {
        "destinations": destination_previews(overall.get("integrated_lufs"), overall.get("true_peak_dbtp"), encoded),
        "sections": [asdict(s) for s in found.sections],
        "section_contrast_lu": found.section_contrast_lu,
    }
