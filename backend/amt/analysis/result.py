"""Typed results of the analysis engine (SPEC §4).

Field names are the SPEC §4 names, used unchanged from the engine to the
database columns and the JSON. ``None`` means "undefined for this input"
(loudness of silence, LRA of 2 s of audio, THD without tonal frames); no field
is ever NaN or infinite.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

ENGINE_VERSION = "1.2.0"
"""Changes when a metric can read differently for the same audio (1.1: exact band peaks and true peak, BS.1770
channel weights by speaker position, exact 100 ms segments at any rate; 1.2: tempo_bpm is the beat period scored
over its metrical levels, never a 3:4 or 5:8 multiple of it, its octave in 70–180 BPM, and pulse_clarity that
beat's autocorrelation peak)."""

SEGMENT_S = 0.1
"""Length of the engine's elementary time segment (100 ms, BS.1770 block step)."""

SEGMENTS_PER_BLOCK = 300
"""Blocks handed to meters hold at most this many segments (30 s), fewer when the
programme has many channels or a high rate (see :data:`BLOCK_SAMPLE_BUDGET`)."""

BLOCK_SAMPLE_BUDGET = 1 << 22
"""Largest frames × channels of a block handed to the meters or read by the decoder
(16 MB of float32). The meters' temporaries are a few tens of bytes per block sample,
so this — not the channel count or the rate — bounds the engine's peak memory. One
100 ms segment always fits: 64 channels at 384 kHz are 2.46 M samples."""


@dataclass(frozen=True)
class AudioInfo:
    """What the decoder learned about the input."""

    sample_rate: int
    channels: int
    bit_depth: int | None
    duration_s: float
    frames: int
    format: str = "WAV"
    """The container, recognised by its bytes: 'WAV', 'RF64', 'W64', 'AIFF', 'AIFC', 'FLAC', 'MP3', 'OGG', 'MP4'."""
    subtype: str = "FLOAT"
    """The decoder's own name for the encoding (libsndfile's subtype: 'PCM_24', 'VORBIS', …)."""
    channel_mask: int | None = None
    """WAVE_FORMAT_EXTENSIBLE dwChannelMask (speaker positions), None when the file has none or it is 0."""
    codec: str = "PCM"
    """What the audio is encoded with: 'PCM', 'IEEE float', 'FLAC', 'ALAC', 'MP3', 'Vorbis', 'Opus', 'AAC'."""
    lossy: bool = False
    """Whether the codec discards audio (MP3, Vorbis, Opus, AAC): ``bit_depth`` is then None."""
    bit_rate_kbps: float | None = None
    """Average bit rate of a lossy file, kbit/s (file size over duration); None for lossless audio."""
    lowpass_hz: float | None = None
    """Estimated low-pass of a lossy codec (:func:`analysis.lossy.codec_lowpass_hz`), Hz: above it the file holds
    little of the master, so the high band is reported, not advised on. None for lossless audio and for
    low-passes at or above 20 kHz."""


@dataclass(frozen=True)
class StreamLayout:
    """How the engine feeds audio to the meters.

    The programme is cut into 100 ms *segments*: segment k starts at frame
    ``round(k·fs/10)`` (halves up), so at rates such as 11 025 Hz segments alternate
    1102 and 1103 frames and 4 or 30 of them last exactly 400 ms or 3 s — nothing
    drifts over an hour. Blocks are float32, C-contiguous, shape ``(frames,
    channels)``, in order; block i holds segments ``[i·B, (i+1)·B)`` with
    ``B = segments_per_block`` (frames ``block_edges()[i]`` to ``block_edges()[i+1]``),
    the last one fewer. A meter may also be given any run of whole segments.
    """

    sample_rate: int
    channels: int
    total_frames: int
    segments_per_block: int
    loudness_weights: tuple[float, ...]
    """BS.1770-4 channel weights G_i by speaker position (see :mod:`analysis.channels`); LFE 0."""
    lfe_index: int | None
    """Index of the LFE channel, excluded from peaks, RMS and DR; None if absent."""
    stereo_pair: tuple[int, int]
    """Channel indices used as L and R by the stereo metrics (mono: (0, 0))."""

    @property
    def duration_s(self) -> float:
        """Length of the programme in seconds."""
        return self.total_frames / self.sample_rate

    @property
    def mean_segment_frames(self) -> float:
        """Exact mean segment length, fs/10 frames (what 400 ms and 3 s windows are divided by)."""
        return self.sample_rate / 10

    def segment_start(self, k: np.ndarray | int) -> np.ndarray:
        """First frame of segment(s) ``k``: round(k·fs/10), halves up, in exact integer arithmetic."""
        return (np.asarray(k, dtype=np.int64) * self.sample_rate + 5) // 10

    def segment_of(self, frame: np.ndarray | int) -> np.ndarray:
        """Index of the segment holding frame(s) ``frame`` (inverse of :meth:`segment_start`)."""
        return (10 * np.asarray(frame, dtype=np.int64) + 4) // self.sample_rate

    @property
    def segment_count(self) -> int:
        """Number of segments, the last possibly partial."""
        return int(self.segment_of(self.total_frames - 1)) + 1 if self.total_frames > 0 else 0

    @property
    def block_frames(self) -> int:
        """Frames of a full block starting at frame 0 (of every full block when B·fs/10 is whole, as at
        all common rates)."""
        return int(self.segment_start(self.segments_per_block))

    def block_edges(self) -> np.ndarray:
        """Frame where each block starts, then ``total_frames``: shape (blocks + 1,), int64."""
        starts = self.segment_start(np.arange(0, self.segment_count, self.segments_per_block))
        return np.append(starts, self.total_frames)


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
class TimeDomainMetrics:
    """The overall metrics the time-domain meter measures (:mod:`analysis.timedomain`; SPEC §4 names and units)."""

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
    clipped_samples: int
    clip_events: int
    dc_offset: float | None
    mono_compatibility_db: float | None
    leading_silence_s: float | None
    trailing_silence_s: float | None


@dataclass(frozen=True)
class SpectralMetrics:
    """The overall metrics the spectral meter measures (:mod:`analysis.spectral`; SPEC §4 names and units)."""

    spectral_centroid_hz: float | None
    spectral_rolloff_hz: float | None
    spectral_flatness: float | None
    sub_20hz_ratio: float | None
    thd_percent: float | None
    harmonic_ratio: float | None
    transient_preservation: float | None
    attack_time_ms: float | None
    onset_rate_hz: float | None
    spectral_flux: float | None
    tempo_bpm: float | None
    pulse_clarity: float | None


@dataclass(frozen=True)
class OverallMetrics(SpectralMetrics, TimeDomainMetrics):
    """One ``overall_metrics`` row (SPEC §4, Overall metrics): the fields of :class:`TimeDomainMetrics`, then
    those of :class:`SpectralMetrics`. These dataclasses are the one list of metric fields: the database
    columns (``api.models.metric_columns``) and the meters' summaries are made from them."""

    @classmethod
    def from_parts(cls, time_domain: TimeDomainMetrics, spectral: SpectralMetrics) -> OverallMetrics:
        """The row made of the two meters' parts (their summaries, which subclass the parts, are accepted)."""
        values = {f.name: getattr(time_domain, f.name) for f in fields(TimeDomainMetrics)}
        values.update({f.name: getattr(spectral, f.name) for f in fields(SpectralMetrics)})
        return cls(**values)


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
