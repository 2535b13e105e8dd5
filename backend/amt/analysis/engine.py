"""The analysis pipeline: float32 blocks in, one :class:`AnalysisResult` out.

Two meter families read every block once, in order:

* :class:`analysis.timedomain.TimeDomainMeter` — loudness (BS.1770-4, Tech 3342),
  true peak, sample peak, RMS, DR, clipping, DC, silence, overall stereo image;
* :class:`analysis.spectral.SpectralMeter` — spectrum, bands, transients,
  harmonics.

Both keep only compact running state, so a two-hour file is analysed in bounded
memory. This module never touches files: :mod:`analysis.decode` yields the blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any

import numpy as np

from amt.analysis.channels import channel_layout
from amt.analysis.errors import UnreadableAudioError
from amt.analysis.result import (
    BLOCK_SAMPLE_BUDGET,
    SEGMENT_S,
    SEGMENTS_PER_BLOCK,
    AnalysisResult,
    AudioInfo,
    OverallMetrics,
    StreamLayout,
    TimeSeries,
)
from amt.analysis.spectral import SpectralMeter
from amt.analysis.timedomain import TimeDomainMeter

ProgressFn = Callable[[float], None]
"""Called with the fraction of frames analysed so far, 0 … 1."""


def segments_per_block(sample_rate: int, channels: int) -> int:
    """Segments per block: 300 (30 s), or as many as keep frames × channels within BLOCK_SAMPLE_BUDGET (≥ 1)."""
    fit = int(BLOCK_SAMPLE_BUDGET // (channels * sample_rate * SEGMENT_S))
    return max(1, min(SEGMENTS_PER_BLOCK, fit))


def make_layout(*, sample_rate: int, channels: int, total_frames: int, channel_mask: int | None = None) -> StreamLayout:
    """Block geometry and channel roles (weights, LFE, stereo pair) for a programme."""
    roles = channel_layout(channels, channel_mask)
    return StreamLayout(
        sample_rate=sample_rate,
        channels=channels,
        total_frames=total_frames,
        segments_per_block=segments_per_block(sample_rate, channels),
        loudness_weights=roles.weights,
        lfe_index=roles.lfe_index,
        stereo_pair=roles.stereo_pair,
    )


def _rechunk(blocks: Iterable[np.ndarray], edges: np.ndarray, channels: int) -> Iterator[np.ndarray]:
    """Regroup arbitrary (frames, channels) blocks into blocks spanning ``edges[i]`` … ``edges[i+1]``."""
    sizes = iter(np.diff(edges).tolist())
    size = next(sizes, 0)
    pending: list[np.ndarray] = []
    held = 0
    for block in blocks:
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[:, None]
        if block.shape[1] != channels:
            raise UnreadableAudioError("The audio changes its channel count part-way through.")
        while block.shape[0]:
            if size == 0:
                raise UnreadableAudioError("The audio holds more frames than its header announces.")
            take = min(size - held, block.shape[0])
            pending.append(block[:take])
            held += take
            block = block[take:]
            if held == size:
                yield np.ascontiguousarray(pending[0] if len(pending) == 1 else np.concatenate(pending))
                pending, held = [], 0
                size = next(sizes, 0)
    if held:
        yield np.ascontiguousarray(np.concatenate(pending))


def analyze_blocks(
    blocks: Iterable[np.ndarray],
    info: AudioInfo,
    *,
    progress: ProgressFn | None = None,
) -> AnalysisResult:
    """Analyse a programme given as consecutive float32 ``(frames, channels)`` blocks.

    The blocks are trusted, as :func:`amt.analysis.decode.iter_blocks` and :func:`analyze_array`
    check them (once, at the edge): finite samples, ``info.frames`` frames in all. A block with
    more frames than that is refused (UnreadableAudioError: the engine cannot lay it out); fewer
    is a caller's error (ValueError), since the decoder raises first on a truncated file.
    """
    if info.frames < 1:
        raise UnreadableAudioError("The file holds no audio frames.")
    layout = make_layout(
        sample_rate=info.sample_rate, channels=info.channels, total_frames=info.frames, channel_mask=info.channel_mask
    )
    time_meter = TimeDomainMeter(layout)
    spectral_meter = SpectralMeter(layout)
    seen = 0
    for block in _rechunk(blocks, layout.block_edges(), layout.channels):
        time_meter.update(block)
        spectral_meter.update(block)
        seen += block.shape[0]
        if progress is not None:
            progress(min(1.0, seen / info.frames))
    if seen != info.frames:
        raise ValueError(f"analyze_blocks: the blocks hold {seen} frames, info.frames says {info.frames}")
    td = time_meter.finish()
    sp = spectral_meter.finish()
    overall = OverallMetrics.from_parts(td, sp)
    series = TimeSeries(
        momentary_lufs=td.momentary_lufs,
        short_term_lufs=td.short_term_lufs,
        loudness_hop_s=SEGMENT_S,
        spectrum_freqs_hz=sp.spectrum_freqs_hz,
        spectrum_db=sp.spectrum_db,
        band_rms_db=sp.band_rms_db,
        band_rms_hop_s=sp.band_rms_hop_s,
        correlation=td.correlation,
        correlation_hop_s=td.correlation_hop_s,
        clip_times_s=td.clip_times_s,
    )
    return AnalysisResult(audio=info, overall=overall, bands=tuple(sp.bands), series=series)


def analyze_array(
    samples: np.ndarray, sample_rate: int, *, bit_depth: int | None = 32, channel_mask: int | None = None
) -> AnalysisResult:
    """Analyse an in-memory programme, shape ``(frames,)`` or ``(frames, channels)``, full scale 1.0.

    ``channel_mask``: speaker positions as a WAVE_FORMAT_EXTENSIBLE dwChannelMask (see :mod:`analysis.channels`).
    """
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] < 1:
        raise UnreadableAudioError("Audio must be a (frames, channels) array.")
    if not np.isfinite(data).all():
        raise UnreadableAudioError("The audio contains NaN or infinite sample values.")
    info = AudioInfo(
        sample_rate=int(sample_rate),
        channels=int(data.shape[1]),
        bit_depth=bit_depth,
        duration_s=data.shape[0] / sample_rate,
        frames=int(data.shape[0]),
        channel_mask=channel_mask or None,
    )
    return analyze_blocks([data], info)


def result_to_dict(result: AnalysisResult) -> dict[str, Any]:
    """Plain-dict form of a result (for JSON and the reference metadata)."""
    return asdict(result)
