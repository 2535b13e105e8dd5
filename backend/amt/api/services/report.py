"""The parts of a report computed from the figures rather than stored: destinations and sections (SPEC §8).

On ``POST /api/analyze`` they come from the result just measured (:func:`report_extras`, the sections found
once, with the recommendations); on a later read, from the stored numbers (:func:`read_time_extras`). Both
give the same answer: the stored series is the measured one, exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from amt.analysis.sections import Sections, find_sections
from amt.api.services.destinations import destination_previews


def read_time_extras(
    overall: dict[str, Any] | None,
    series: dict[str, Any] | None,
    duration_s: float,
    encoded: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """``destinations``, ``sections`` and ``section_contrast_lu`` for an analysis (``encoded``: its codec
    previews, when they were measured)."""
    return report_extras(overall, find_sections(series or {}, duration_s), encoded)


def report_extras(
    overall: Mapping[str, Any] | None, found: Sections, encoded: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """``destinations``, ``sections`` and ``section_contrast_lu`` from the overall figures and the sections found."""
    overall = overall or {}
    return {
        "destinations": destination_previews(overall.get("integrated_lufs"), overall.get("true_peak_dbtp"), encoded),
        "sections": [asdict(s) for s in found.sections],
        "section_contrast_lu": found.section_contrast_lu,
    }
