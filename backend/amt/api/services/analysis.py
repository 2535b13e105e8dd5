"""The analysis workflow (SPEC §9): decode → engine → features → recommendations → store.

One direction: the file is probed and checked once (:func:`measure_file`), its sections are
found once and serve both the recommendations and the answer, and :func:`analyze_and_store`
answers from the rows it has just written — nothing is read back. The CLI and the reference
scripts call :func:`measure_file` too; only :func:`analyze_and_store` touches the database,
in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from amt.analysis import decode
from amt.analysis.codec_preview import Codec, Encoding, preview_encodings
from amt.analysis.engine import analyze_blocks
from amt.analysis.result import AnalysisResult
from amt.analysis.sections import Sections, find_sections
from amt.api.database import session_scope
from amt.api.models import Analysis, BandMetrics, OverallMetrics, Recommendation
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.api.services.genres import resolve_genre
from amt.api.services.recommend import Judgement, judge_result
from amt.api.services.report import report_extras
from amt.api.services.rows import audio_columns, overall_dict, overall_for_genre, recommendation_columns
from amt.api.services.series import series_fields
from amt.api.services.settings import check_level, check_stage, read_settings
from amt.api.services.targets import genre_target
from amt.config.constants import DESTINATIONS, GenreTarget
from amt.utils.errors import NotFoundError
from amt.utils.logger import get_logger

log = get_logger(__name__)


class AnalysisCancelledError(Exception):
    """The client that asked for the analysis went away: it was stopped and nothing was stored."""

    def __init__(self, fraction_done: float) -> None:
        super().__init__(f"cancelled after {fraction_done:.0%} of the audio")
        self.fraction_done = fraction_done


def measure_file(
    path: Path,
    *,
    max_duration_s: float | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> AnalysisResult:
    """Decode an audio file (any format of SPEC §4) block by block and run every §4 metric on it.

    The file is probed once: its description goes to the decoder and the engine. When ``cancel`` is set,
    the analysis stops after the block in hand (AnalysisCancelledError).
    """
    info = decode.probe(path, max_duration_s=max_duration_s)
    if cancel is None:
        return analyze_blocks(decode.iter_blocks(path, info=info), info, progress=progress)

    def check(fraction: float) -> None:
        if cancel.is_set():
            raise AnalysisCancelledError(fraction)
        if progress is not None:
            progress(fraction)

    check(0.0)
    return analyze_blocks(decode.iter_blocks(path, info=info), info, progress=check)


def destination_encodings() -> list[Encoding]:
    """Every codec and bit rate a destination of ``config.constants.DESTINATIONS`` streams, once each."""
    found: list[Encoding] = []
    for dest in DESTINATIONS:
        if dest.codec is not None and dest.bitrate_kbps is not None:
            encoding = Encoding(Codec(dest.codec), dest.bitrate_kbps)
            if encoding not in found:
                found.append(encoding)
    return found


def codec_previews(path: Path, result: AnalysisResult) -> list[dict[str, Any]]:
    """SPEC §8 ``codec_preview``: the file encoded with each destination's codec, decoded and measured
    (a second decoding pass, block by block)."""
    audio = result.audio
    blocks = decode.iter_blocks(path, info=audio)
    peaks = preview_encodings(blocks, audio.sample_rate, audio.channels, destination_encodings())
    return [asdict(p) for p in peaks]


def sections_of(result: AnalysisResult) -> Sections:
    """The result's sections (SPEC §8), found once per analysis."""
    return find_sections(series_fields(result.series), result.audio.duration_s)


def recommendations_for(
    result: AnalysisResult, target: GenreTarget | None, *, level: str, stage: str, found: Sections | None = None
) -> Judgement:
    """SPEC §5 recommendations and plan for a fresh result (``found``: its sections, if found already)."""
    return judge_result(result, target, level=level, stage=stage, found=found)


@dataclass(frozen=True)
class StoredAnalysis:
    """An analysis as just stored: its rows as written (id and date set) and the report's computed parts
    (``destinations``, ``sections``, ``section_contrast_lu``) — all the answer needs, without a read-back."""

    row: Analysis
    extras: dict[str, Any]


def build_analysis_row(
    result: AnalysisResult,
    judgement: Judgement,
    *,
    filename: str,
    genre: str | None,
    level: str,
    stage: str,
    encoded: list[dict[str, Any]] | None = None,
) -> Analysis:
    """The ORM rows of one analysis (not yet added to a session); ``encoded``: its codec previews, if made."""
    audio = result.audio
    row = Analysis(
        filename=filename,
        file_format=audio.format,
        genre=genre,
        recommendation_level=level,
        stage=stage,
        plan=judgement.plan.model_dump_json(),
        codec=audio.codec,
        lossy=audio.lossy,
        bit_rate_kbps=audio.bit_rate_kbps,
        lowpass_hz=audio.lowpass_hz,
        codec_preview=None if encoded is None else json.dumps(encoded, allow_nan=False),
        **audio_columns(result),
    )
    row.overall_metrics = OverallMetrics(**overall_for_genre(result, genre))
    row.band_metrics = [BandMetrics(position=i, **asdict(b)) for i, b in enumerate(result.bands)]
    row.recommendations = [
        Recommendation(position=i, **recommendation_columns(item)) for i, item in enumerate(judgement.recommendations)
    ]
    return row


def resolve_options(
    session: Session, *, genre: str | None, level: str | None, stage: str | None
) -> tuple[str | None, str, str]:
    """Validate genre, level and stage, filling omitted ones (None) from the user settings.

    An empty genre is a choice, "no genre" (only the always-flagged checks); an omitted one is the default.
    """
    defaults = read_settings(session)
    genre_name = defaults["default_genre"] if genre is None else genre.strip()
    canonical = resolve_genre(session, genre_name) if genre_name else None
    return (
        canonical,
        check_level(level or defaults["default_recommendation_level"]),
        check_stage(stage or defaults["default_stage"]),
    )


HASH_CHUNK_BYTES = 1 << 20


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex (64 characters), read in 1 MB chunks."""
    digest = hashlib.sha256()
    buffer = bytearray(HASH_CHUNK_BYTES)  # one buffer read into again and again: no allocation per chunk
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def analyze_and_store(
    factory: sessionmaker[Session],
    path: Path,
    *,
    filename: str,
    genre: str | None,
    level: str | None,
    stage: str | None,
    max_duration_s: float | None,
    codec_preview: bool = False,
    cancel: threading.Event | None = None,
    known_hash: str | None = None,
) -> StoredAnalysis:
    """Validate options, analyse the file (and, with ``codec_preview``, encode it with each destination's codec)
    and store every row in one transaction; what was stored.

    ``cancel`` set (the client went away) stops the analysis between blocks and stores nothing.
    ``known_hash``: the file's :func:`content_hash` (an upload hashes its bytes as they arrive), stored with
    the row so that a catalogue run with ``--store`` skips the file.
    """
    with session_scope(factory) as session:
        canonical, level_name, stage_name = resolve_options(session, genre=genre, level=level, stage=stage)
        target = genre_target(session, canonical) if canonical else None
    started = time.perf_counter()
    result = measure_file(path, max_duration_s=max_duration_s, cancel=cancel)
    found = sections_of(result)
    judgement = recommendations_for(result, target, level=level_name, stage=stage_name, found=found)
    encoded = codec_previews(path, result) if codec_preview else None
    row = build_analysis_row(
        result, judgement, filename=filename, genre=canonical, level=level_name, stage=stage_name, encoded=encoded
    )
    row.content_hash = known_hash
    if cancel is not None and cancel.is_set():
        raise AnalysisCancelledError(1.0)
    with session_scope(factory) as session:
        AnalysisRepository(session).add(row)
    elapsed = time.perf_counter() - started
    log.info(
        "Analysed %s: %.1f s of audio in %.2f s (%.0f× real time)",
        filename,
        result.audio.duration_s,
        elapsed,
        result.audio.duration_s / max(elapsed, 1e-9),
    )
    return StoredAnalysis(row, report_extras(overall_dict(row.overall_metrics), found, encoded))


def get_analysis(session: Session, analysis_id: str) -> Analysis:
    """A stored analysis with all its rows; NotFoundError if there is none."""
    row = AnalysisRepository(session).get_full(analysis_id)
    if row is None:
        raise NotFoundError(f"No analysis with id {analysis_id}.")
    return row


def delete_analysis(session: Session, analysis_id: str) -> None:
    """Delete an analysis from every table; NotFoundError if there is none."""
    AnalysisRepository(session).delete(get_analysis(session, analysis_id))
