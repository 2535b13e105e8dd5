"""Typed results of the analysis engine (SPEC §4).

Field names are the SPEC §4 names, used unchanged from the engine to the
database columns and the JSON. ``None`` means "undefined for this input"
(loudness of silence, LRA of 2 s of audio, THD without tonal frames); no field
is ever NaN or infinite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINE_VERSION = "1.0.0"

SEGMENT_S = 0.1
"""Length of the engine's elementary time segment (100 ms, BS.1770 block step)."""

SEGMENTS_PER_BLOCK = 300
"""Blocks handed to meters hold this many segments (≈ 30 s), except the last."""


@dataclass(frozen=True)
class AudioInfo:
    """What the decoder learned about the input."""

    sample_rate: int
    channels: int
    bit_depth: int | None
    duration_s: float
    frames: int
    format: str = "WAV"
    subtype: str = "FLOAT"


@dataclass(frozen=True)
class StreamLayout:
    """How the engine feeds audio to the meters.

    Blocks are float32, C-contiguous, shape ``(frames, channels)``, in order.
    Every block but the last holds exactly ``block_frames`` frames, which is
    ``SEGMENTS_PER_BLOCK`` whole segments of ``segment_frames`` (100 ms, rounded
    to whole samples) — so 100 ms, 400 ms and 3 s windows never straddle a block
    edge in a way a meter must reassemble, except 3 s windows needing 30
    segments, which also divide ``SEGMENTS_PER_BLOCK``. The last block may be
    shorter (≥ 1 frame).
    """

    sample_rate: int
    channels: int
    total_frames: int
    segment_frames: int
    block_frames: int
    loudness_weights: tuple[float, ...]
    """BS.1770-4 channel weights G_i (L, R, C 1.0; surrounds 1.41; LFE 0)."""
    lfe_index: int | None
    """Index of the LFE channel, excluded from peaks, RMS and DR; None if absent."""

    @property
    def stereo_pair(self) -> tuple[int, int]:
        """Channel indices used as L and R by the stereo metrics (mono: (0, 0))."""
        return (0, 1) if self.channels >= 2 else (0, 0)

    @property
    def duration_s(self) -> float:
        """Length of the programme in seconds."""
        return self.total_frames / self.sample_rate


@dataclass(frozen=True)
class BandMetrics:
    """One ``band_metrics`` row (SPEC §4, Bands). Levels in dBFS/dB, frequencies in Hz."""

    band: str
    freq_low_hz: float
    freq_high_hz: float
    rms_db: float | None
    energy_ratio: float | None
    peak_db: float | None
    crest_factor_db: float | None
    level_range_db: float | None
    spectral_centroid_hz: float | None
    spectral_rolloff_hz: float | None
    spectral_flatness: float | None
    stereo_width: float | None
    phase_correlation: float | None


@dataclass(frozen=True)
class OverallMetrics:
    """One ``overall_metrics`` row (SPEC §4, Overall metrics)."""

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    rms_dbfs: float | None
    crest_factor_db: float | None
    plr_db: float | None
    dynamic_range_db: float | None
    dr_value: int | None
    stereo_width: float | None
    lr_balance_db: float | None
    phase_correlation: float | None
    phase_correlation_min: float | None
    negative_correlation_pct: float | None
    spectral_centroid_hz: float | None
    spectral_rolloff_hz: float | None
    spectral_flatness: float | None
    thd_percent: float | None
    harmonic_ratio: float | None
    transient_preservation: float | None
    attack_time_ms: float | None
    onset_rate_hz: float | None
    spectral_flux: float | None
    tempo_bpm: float | None
    pulse_clarity: float | None
    clipped_samples: int
    clip_events: int
    dc_offset: float | None
    mono_compatibility_db: float | None
    leading_silence_s: float | None
    trailing_silence_s: float | None
    sub_20hz_ratio: float | None


@dataclass(frozen=True)
class TimeSeries:
    """What a person looks at in a meter (SPEC §4, Time series). None marks gated/undefined points."""

    momentary_lufs: list[float | None]
    """400 ms loudness every 100 ms (10 Hz), LUFS."""
    short_term_lufs: list[float | None]
    """3 s loudness every 100 ms (10 Hz), LUFS."""
    loudness_hop_s: float
    spectrum_freqs_hz: list[float]
    """Centres of the 1/6-octave bins of the long-term average spectrum, Hz."""
    spectrum_db: list[float | None]
    """Long-term average power per 1/6-octave bin, dB."""
    band_rms_db: dict[str, list[float | None]]
    """Per band, RMS level of each 1 s window, dBFS."""
    band_rms_hop_s: float
    correlation: list[float | None]
    """Phase correlation of L/R over consecutive 400 ms windows (None when silent)."""
    correlation_hop_s: float
    clip_times_s: list[float]
    """Start times of clip events, seconds."""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the engine measures for one programme."""

    audio: AudioInfo
    overall: OverallMetrics
    bands: tuple[BandMetrics, ...]
    series: TimeSeries
    engine_version: str = field(default=ENGINE_VERSION)
