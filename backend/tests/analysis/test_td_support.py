"""Helpers shared by the time-domain meter tests, and the block-feeding / robustness tests.

The layout is the engine's own (``analysis.engine.make_layout``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from amt.analysis.decode import iter_blocks, probe_wav
from amt.analysis.engine import make_layout as engine_layout
from amt.analysis.result import StreamLayout
from amt.analysis.timedomain import TimeDomainMeter, TimeDomainSummary


def make_layout(sample_rate: int, channels: int, total_frames: int, channel_mask: int | None = None) -> StreamLayout:
    """The engine's block geometry for a programme."""
    return engine_layout(
        sample_rate=sample_rate, channels=channels, total_frames=total_frames, channel_mask=channel_mask
    )


def measure(
    samples: np.ndarray,
    sample_rate: int,
    *,
    one_block: bool = False,
    segments_per_block: int | None = None,
    channel_mask: int | None = None,
) -> TimeDomainSummary:
    """Run the meter over ``samples`` (frames,) or (frames, channels) in engine-sized blocks (or one block,
    or blocks of ``segments_per_block`` 100 ms segments)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    layout = make_layout(sample_rate, x.shape[1], x.shape[0], channel_mask)
    if segments_per_block is not None:
        layout = replace(layout, segments_per_block=segments_per_block)
    meter = TimeDomainMeter(layout)
    edges = [0, x.shape[0]] if one_block else layout.block_edges().tolist()
    for start, stop in pairwise(edges):
        meter.update(np.ascontiguousarray(x[start:stop]))
    return meter.finish()


def measure_file(path: Path) -> TimeDomainSummary:
    """Decode a WAV with analysis.decode and meter it, regrouped into engine-sized blocks."""
    info = probe_wav(path)
    data = np.concatenate(list(iter_blocks(path, block_frames=100_000)))
    assert data.shape == (info.frames, info.channels)
    return measure(data, info.sample_rate)


def write(path: Path, samples: np.ndarray, sample_rate: int, subtype: str = "FLOAT") -> Path:
    """Write a WAV with soundfile."""
    sf.write(str(path), samples, sample_rate, subtype=subtype, format="WAV")
    return path


def tone(freq_hz: float, seconds: float, level_dbfs: float, sample_rate: int, *, phase: float = 0.0) -> np.ndarray:
    """A sine whose peak is ``level_dbfs``, float64, shape (frames,)."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * freq_hz * t + phase)


def stereo(x: np.ndarray) -> np.ndarray:
    """The same signal on L and R."""
    return np.stack([x, x], axis=1)


def music(seconds: float, sample_rate: int = 44100, seed: int = 0) -> np.ndarray:
    """Music-like stereo content: kick, noise snare, bass, band-passed noise pad; peak ≈ 0.9."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    beat = 0.5
    tk = np.arange(round(0.25 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-tk * 30)) * tk) * np.exp(-tk * 12)
    out = np.zeros((n, 2))
    for start in (np.arange(0.0, seconds, beat) * sample_rate).astype(int):
        m = min(kick.size, n - start)
        out[start : start + m] += 0.8 * kick[:m, None]
    bass_hz = 55.0 * 2.0 ** (rng.integers(0, 5, size=int(seconds / beat) + 1) / 12.0)
    phase = 2 * np.pi * np.cumsum(bass_hz[(t / beat).astype(int)]) / sample_rate
    out += 0.3 * np.tanh(2 * np.sin(phase))[:, None]
    out += 0.05 * rng.standard_normal((n, 2)) * (1.0 + np.sin(2 * np.pi * 0.1 * t))[:, None]
    return (0.9 * out / np.abs(out).max()).astype(np.float32)


def assert_all_finite_or_none(summary: TimeDomainSummary) -> None:
    """Every figure and series value is a finite number or None."""
    for name, value in summary.as_dict().items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            assert v is None or (isinstance(v, int | float) and math.isfinite(v)), (name, v)


# ----------------------------------------------------------------------------- tests


def assert_same_summary(a: TimeDomainSummary, b: TimeDomainSummary) -> None:
    """Every figure and series value equal to 1e-9 (None where the other is None)."""
    da, db = a.as_dict(), b.as_dict()
    assert da.keys() == db.keys()
    for key in da:
        left = da[key] if isinstance(da[key], list) else [da[key]]
        right = db[key] if isinstance(db[key], list) else [db[key]]
        assert len(left) == len(right), key
        assert [v is None for v in left] == [v is None for v in right], key
        pairs = [(u, v) for u, v in zip(left, right, strict=True) if u is not None]
        # float32 block filtering rounds a little differently when the stream is cut elsewhere (~1e-7 relative;
        # figures near 0 dB such as the L/R balance differ by a few 1e-9 dB)
        assert [u for u, _ in pairs] == pytest.approx([v for _, v in pairs], rel=1e-6, abs=1e-6), key


@pytest.mark.parametrize("sample_rate", [44100, 11025])
def test_one_block_or_many_gives_the_same_result(sample_rate: int) -> None:
    """Engine blocks, one block, and 0.7 s blocks (DR blocks and, at 11 025 Hz, 1102/1103-frame segments
    straddling block edges) read the same."""
    x = music(65.3, sample_rate, seed=3)
    x[1000:1010, 0] = 0.95  # a clip event straddling nothing in particular
    many = measure(x, sample_rate)
    assert_same_summary(many, measure(x, sample_rate, one_block=True))
    assert_same_summary(many, measure(x, sample_rate, segments_per_block=7))
    assert many.clip_events == 1


@pytest.mark.parametrize(
    ("name", "sample_rate", "samples"),
    [
        ("single sample", 48000, np.array([[0.5, -0.5]])),
        ("0.3 s", 48000, stereo(tone(1000, 0.3, -6, 48000))),
        ("DC only", 44100, np.full((44100 * 4, 2), 0.25)),
        ("full-scale square", 44100, stereo(np.sign(tone(441, 5, 0, 44100) + 1e-9))),
        ("8 kHz", 8000, stereo(tone(440, 4, -12, 8000))),
        ("192 kHz", 192000, stereo(tone(1000, 3.5, -12, 192000))),
        ("mono", 44100, tone(1000, 5, -12, 44100)),
        ("5.1", 48000, np.tile(tone(1000, 4, -20, 48000)[:, None], (1, 6))),
        ("silence", 48000, np.zeros((48000 * 4, 2))),
        ("near-silence", 48000, stereo(tone(1000, 4, -120, 48000))),
    ],
)
def test_robust_inputs_give_finite_or_none(name: str, sample_rate: int, samples: np.ndarray) -> None:
    summary = measure(samples, sample_rate)
    assert_all_finite_or_none(summary)
    assert isinstance(summary.clipped_samples, int)
    assert isinstance(summary.clip_events, int)
    assert set(summary.overall_fields()) == {
        "integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "loudness_range_lu", "true_peak_dbtp",
        "sample_peak_dbfs", "rms_dbfs", "crest_factor_db", "plr_db", "dynamic_range_db", "dr_value",
        "stereo_width", "lr_balance_db", "phase_correlation", "phase_correlation_min",
        "negative_correlation_pct", "clipped_samples", "clip_events", "dc_offset", "mono_compatibility_db",
        "leading_silence_s", "trailing_silence_s",
    }  # fmt: skip


def test_silence_is_undefined_not_infinite() -> None:
    s = measure(np.zeros((48000 * 5, 2)), 48000)
    assert s.integrated_lufs is None
    assert s.momentary_max_lufs is None
    assert s.loudness_range_lu is None
    assert s.true_peak_dbtp is None
    assert s.sample_peak_dbfs is None
    assert s.rms_dbfs is None
    assert s.dynamic_range_db is None and s.dr_value is None
    assert s.phase_correlation is None and s.stereo_width is None
    assert s.leading_silence_s == pytest.approx(5.0)


def test_short_programmes_have_no_lra_or_loudness() -> None:
    short = measure(stereo(tone(1000, 0.3, -20, 48000)), 48000)
    assert short.integrated_lufs is None  # no complete 400 ms gating block
    assert short.sample_peak_dbfs == pytest.approx(-20, abs=0.01)
    two_s = measure(stereo(tone(1000, 2.0, -20, 48000)), 48000)
    assert two_s.integrated_lufs is not None
    assert two_s.loudness_range_lu is None  # no complete 3 s window
    assert two_s.short_term_max_lufs is None
