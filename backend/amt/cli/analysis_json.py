"""The analysis JSON the command line prints for one file: SPEC §7 without id and date, with the §8 extras,
the target used and the most similar references. Shared by the one-file path and the catalogue
(``amt.cli.batch``), which measures on workers and assembles this on the client."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from amt.analysis.result import AnalysisResult
from amt.analysis.sections import Sections
from amt.api.services.analysis import sections_of
from amt.api.services.recommend import Judgement
from amt.api.services.report import report_extras
from amt.api.services.rows import overall_for_genre
from amt.cli.targets import ReferenceLibrary
from amt.config.constants import GenreTarget
from amt.ml.feature_extraction import extract_features

SIMILAR_TOP_K = 5

AUDIO_FIELDS = (
    "sample_rate",
    "channels",
    "bit_depth",
    "duration_s",
    "format",
    "codec",
    "lossy",
    "bit_rate_kbps",
    "lowpass_hz",
)
"""The ``audio`` object of the analysis JSON (SPEC §7)."""


def target_summary(target: GenreTarget | None) -> dict[str, Any] | None:
    """The genre target's overall figures (what the report's LRA and DR ranges come from)."""
    if target is None:
        return None
    return {
        "genre": target.genre,
        "source": target.source,
        "integrated_lufs": target.integrated_lufs,
        "true_peak_ceiling_dbtp": target.true_peak_ceiling_dbtp,
        "lra_lu": list(target.lra_lu),
        "dr_db": list(target.dr_db),
        "plr_db": list(target.plr_db),
    }


def report_json(
    result: AnalysisResult,
    judgement: Judgement,
    encoded: list[dict[str, Any]] | None,
    *,
    filename: str,
    genre: str | None,
    target: GenreTarget | None,
    level: str,
    stage: str,
    library: ReferenceLibrary | None = None,
    found: Sections | None = None,
) -> dict[str, Any]:
    """The analysis JSON of one measured file; ``encoded``: its codec previews, if made; the ``SIMILAR_TOP_K``
    most similar references of ``library``; ``found``: its sections, when the caller has found them already."""
    overall = overall_for_genre(result, genre)
    found = found if found is not None else sections_of(result)
    return {
        "filename": filename,
        "genre": genre,
        "recommendation_level": level,
        "stage": stage,
        "engine_version": result.engine_version,
        "audio": {k: getattr(result.audio, k) for k in AUDIO_FIELDS},
        "overall_metrics": overall,
        "band_metrics": [asdict(b) for b in result.bands],
        "recommendations": [r.model_dump(mode="json") for r in judgement.recommendations],
        "plan": judgement.plan.model_dump(mode="json"),
        **report_extras(overall, found, encoded),
        "target": target_summary(target),
        "similar_references": library.similar(extract_features(result), SIMILAR_TOP_K) if library else [],
    }
