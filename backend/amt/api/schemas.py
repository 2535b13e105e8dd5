"""Pydantic models of the HTTP API (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from amt.analysis.result import BandMetrics, OverallMetrics
from amt.api.services.album import AlbumSummary, AlbumTrack
from amt.api.services.recommend.model import Plan, Recommendation


class ErrorOut(BaseModel):
    """Every error answer: a sentence a person understands."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Unreadable audio (truncated, empty, NaN/Inf samples, too long)"},
    404: {"model": ErrorOut, "description": "Unknown id"},
    413: {"model": ErrorOut, "description": "Upload larger than MAX_UPLOAD_MB"},
    415: {"model": ErrorOut, "description": "Not an audio format that is read, or a codec that is not read in it"},
    422: {"model": ErrorOut, "description": "Invalid parameter (unknown genre, level or stage; out-of-range value)"},
    503: {"model": ErrorOut, "description": "Database busy (another writer held it too long) or unavailable; retry"},
    507: {"model": ErrorOut, "description": "The server's disk is full; nothing was stored"},
}
"""Documented on every operation (one handler in api.main produces them all)."""


class SettingsOut(BaseModel):
    """The user settings."""

    default_genre: str | None
    default_recommendation_level: str
    default_stage: str


class SettingsUpdate(BaseModel):
    """A partial update of the user settings; null puts a setting back to its default.

    Unknown keys are refused (422, naming the known ones) by the settings service.
    """

    model_config = ConfigDict(extra="allow")

    default_genre: str | None = None
    default_recommendation_level: str | None = None
    default_stage: str | None = None


class AudioOut(BaseModel):
    """What the decoder recorded about the file (SPEC §4, Decoding)."""

    sample_rate: int
    channels: int
    bit_depth: int | None
    """Null for lossy sources."""
    duration_s: float
    format: str | None = None
    """Container recognised from the bytes: WAV, RF64, W64, AIFF, AIFC, FLAC, MP3, OGG or MP4."""
    codec: str | None = None
    """PCM, IEEE float, FLAC, ALAC, MP3, Vorbis, Opus or AAC (null for analyses stored before it was recorded)."""
    lossy: bool | None = None
    bit_rate_kbps: float | None = None
    """Average bit rate of a lossy file, kbit/s."""
    lowpass_hz: float | None = None
    """Estimated low-pass of a lossy codec, Hz: the high band above it is reported, not advised on (null when
    lossless or at/above 20 kHz)."""


RecommendationOut = Recommendation
"""One recommendation (SPEC §5): the row the rule built, with its typed action and plan step."""
PlanOut = Plan
"""The mastering plan (SPEC §5): typed steps in chain order and the figures expected after them."""


class EncodedOut(BaseModel):
    """The master encoded with a destination's codec, decoded and measured (SPEC §8, ``codec_preview``)."""

    codec: str
    bitrate_kbps: int
    sample_rate: int
    """Rate it was encoded at, Hz."""
    true_peak_dbtp: float | None
    clipped_samples: int
    """Decoded samples at or beyond full scale."""


class DestinationOut(BaseModel):
    """What one destination does to this master (SPEC §8)."""

    name: str
    reference_lufs: float | None
    gain_db: float
    resulting_lufs: float
    resulting_true_peak_dbtp: float | None
    verdict: str
    published: str
    encoded: EncodedOut | None = None
    """Only with ``codec_preview=true``, for destinations that stream lossy."""


class SectionOut(BaseModel):
    """One section of the track (SPEC §8); times in s, loudness in LUFS."""

    kind: str
    start_s: float
    end_s: float
    integrated_lufs: float | None
    energy_ratios: dict[str, float | None]


class AnalysisOut(BaseModel):
    """A stored analysis (SPEC §7); the time series are served separately."""

    id: str
    filename: str
    genre: str | None
    recommendation_level: str
    stage: str
    created_at: datetime
    engine_version: str
    audio: AudioOut
    overall_metrics: OverallMetrics
    band_metrics: list[BandMetrics]
    recommendations: list[RecommendationOut]
    plan: PlanOut
    destinations: list[DestinationOut]
    sections: list[SectionOut]
    section_contrast_lu: float | None


class AnalysisSummary(BaseModel):
    """One line of the history list."""

    id: str
    filename: str
    genre: str | None
    stage: str
    created_at: datetime
    duration_s: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    dynamic_range_db: float | None


class AnalysisPage(BaseModel):
    """A page of the history, newest first."""

    items: list[AnalysisSummary]
    total: int
    limit: int
    offset: int


class BandTargetOut(BaseModel):
    """A genre's target for one band: median share, the tolerance of its shape deviation (dB), width and correlation
    medians with their tolerances."""

    energy_ratio: float
    spread_db: float
    stereo_width: float
    phase_correlation: float
    width_tolerance: float
    correlation_tolerance: float


class ReferenceSummary(BaseModel):
    """A reference in the library list (SPEC §7): metadata and headline figures; ``GET /api/references/{id}``
    has its overall and band metrics. The one list of these fields: the repository selects the columns of the same
    names (of the reference, else of its overall metrics)."""

    id: str
    name: str
    artist: str
    genre: str
    year: int | None
    is_builtin: bool
    source: str | None
    licence: str | None
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    dynamic_range_db: float | None


class GenreOut(BaseModel):
    """A known genre and its target (SPEC §5)."""

    name: str
    source: str
    """What the target rests on: the count of real references, what is borrowed from the family, published figures."""
    family: str | None
    track_count: int
    """Real references of the genre itself."""
    integrated_lufs: float
    """Median integrated loudness, LUFS."""
    loudness_lufs: tuple[float, float]
    """Where the genre's masters sit, LUFS: 10th–90th percentile, at least the median ± the loudness tolerance."""
    loudness_tolerance_lu: float
    true_peak_ceiling_dbtp: float
    lra_lu: tuple[float, float]
    dr_db: tuple[float, float]
    plr_db: tuple[float, float]
    """Typical true peak − integrated loudness, dB: the references' 10th–90th percentile (at least ±1 dB around their
    median), or the published figures' range."""
    bands: dict[str, BandTargetOut]
    spectrum_db: list[float | None] | None
    aliases: list[str]


class AlbumOut(BaseModel):
    """An album of stored analyses (SPEC §8): the album's figures and each track against them, in running order."""

    album: AlbumSummary
    tracks: list[AlbumTrack]
