"""Helpers for the spectral-meter tests (and a check of the helpers themselves).

The layout is the engine's own (``analysis.engine.make_layout``).
"""

from __future__ import annotations

import numpy as np

from amt.analysis.engine import make_layout as engine_layout
from amt.analysis.result import StreamLayout
from amt.analysis.spectral import SpectralMeter, SpectralSummary


def make_layout(sample_rate: int, channels: int, total_frames: int) -> StreamLayout:
    """The engine's block geometry for a programme."""
    return engine_layout(sample_rate=sample_rate, channels=channels, total_frames=total_frames)


def measure(samples: np.ndarray, sample_rate: int, *, block_frames: int | None = None, **meter_kw) -> SpectralSummary:
    """Feed ``samples`` ((frames,) or (frames, channels)) in engine-sized blocks; return the summary."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    layout = make_layout(sample_rate, x.shape[1], x.shape[0])
    meter = SpectralMeter(layout, **meter_kw)
    step = block_frames or layout.block_frames
    for start in range(0, x.shape[0], step):
        meter.update(np.ascontiguousarray(x[start : start + step]))
    return meter.finish()


def tone(
    freq_hz: float, seconds: float, sample_rate: int = 44100, amp: float = 1.0, fade_s: float = 0.05
) -> np.ndarray:
    """Sine with raised-cosine fades (so switching it on adds no click), float64 (frames,)."""
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    x = amp * np.sin(2 * np.pi * freq_hz * t)
    if fade_s > 0:
        k = min(n // 2, round(fade_s * sample_rate))
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
        x[:k] *= ramp
        x[n - k :] *= ramp[::-1]
    return x


def band(summary: SpectralSummary, name: str):
    """The BandMetrics row called ``name``."""
    return next(b for b in summary.bands if b.band == name)


def all_numbers_finite(summary: SpectralSummary) -> bool:
    """True when no field anywhere in the summary is NaN or infinite."""
    values: list[object] = list(summary.overall_fields().values())
    for b in summary.bands:
        values += [getattr(b, f) for f in b.__dataclass_fields__ if f != "band"]
    values += [v for v in summary.spectrum_db]
    for series in summary.band_rms_db.values():
        values += series
    return all(v is None or (isinstance(v, (int, float)) and np.isfinite(v)) for v in values)


def test_layout_blocks_are_whole_segments() -> None:
    layout = make_layout(44100, 2, 10)
    assert layout.block_frames == 4410 * 300
    assert make_layout(48000, 6, 10).lfe_index == 3


def test_tone_has_expected_rms() -> None:
    x = tone(1000.0, 2.0, fade_s=0.0)
    assert abs(np.mean(x**2) - 0.5) < 1e-6
