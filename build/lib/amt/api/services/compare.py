"""A/B comparison (SPEC §8): metric by metric and band by band, raw and level-matched."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amt.api.models import BAND_METRIC_FIELDS, OVERALL_METRIC_FIELDS
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.rows import band_dicts, overall_dict
from amt.utils.errors import NotFoundError

LEVEL_FIELDS_OVERALL = frozenset(
    {"integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs"}
)
"""Overall metrics that move one for one with gain (dB / LUFS)."""
LEVEL_FIELDS_BAND = frozenset({"rms_db", "peak_db"})
NOT_COMPARED = frozenset({"band", "freq_low_hz", "freq_high_hz"})


def _side(session: Session, id_: str, *, analysis_only: bool) -> dict[str, Any]:
    analysis = AnalysisRepository(session).get_full(id_)
    if analysis is not None:
        return {
            "kind": "analysis",
            "id": analysis.id,
            "name": analysis.filename,
            "genre": analysis.genre,
            "overall": overall_dict(analysis.overall_metrics) or {},
            "bands": band_dicts(analysis.band_metrics),
        }
    if not analysis_only:
        ref = ReferenceRepository(session).get_full(id_)
        if ref is not None:
            return {
                "kind": "reference",
                "id": ref.id,
                "name": ref.name,
                "genre": ref.genre,
                "overall": overall_dict(ref.overall_metrics) or {},
                "bands": band_dicts(ref.band_metrics),
            }
    raise NotFoundError(f"No {'analysis' if analysis_only else 'analysis or reference'} with id {id_}.")


def _pair(a: Any, b: Any, gain_b: float = 0.0) -> dict[str, Any]:
    b_value = None if b is None else b + gain_b
    difference = None if a is None or b_value is None else a - b_value
    return {"a": a, "b": b_value, "difference": difference}


def _table(a: dict[str, Any], b: dict[str, Any], gain_b: float) -> dict[str, Any]:
    overall = {
        m: _pair(a["overall"].get(m), b["overall"].get(m), gain_b if m in LEVEL_FIELDS_OVERALL else 0.0)
        for m in OVERALL_METRIC_FIELDS
    }
    b_bands = {x["band"]: x for x in b["bands"]}
    bands = {}
    for band in a["bands"]:
        other = b_bands.get(band["band"], {})
        bands[band["band"]] = {
            m: _pair(band.get(m), other.get(m), gain_b if m in LEVEL_FIELDS_BAND else 0.0)
            for m in BAND_METRIC_FIELDS
            if m not in NOT_COMPARED
        }
    return {"overall": overall, "bands": bands}


def compare(session: Session, a_id: str, b_id: str) -> dict[str, Any]:
    """Differences a − b; ``level_matched`` applies the gain that gives b a's integrated loudness."""
    a = _side(session, a_id, analysis_only=True)
    b = _side(session, b_id, analysis_only=False)
    raw = _table(a, b, 0.0)
    a_lufs, b_lufs = a["overall"].get("integrated_lufs"), b["overall"].get("integrated_lufs")
    gain = None if a_lufs is None or b_lufs is None else a_lufs - b_lufs
    matched = _table(a, b, gain or 0.0) if gain is not None else None
    summary = {k: a[k] for k in ("kind", "id", "name", "genre")}
    return {
        "a": summary,
        "b": {k: b[k] for k in ("kind", "id", "name", "genre")},
        "overall": raw["overall"],
        "bands": raw["bands"],
        "level_matched": None if matched is None else {"gain_db": gain, **matched},
    }
