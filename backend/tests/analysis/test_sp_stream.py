"""Stream invariance and robustness of the spectral meter."""

from __future__ import annotations

import numpy as np
import pytest
from test_sp_transients import drum_loop
from test_sp_util import all_numbers_finite, band, make_layout, measure, tone

from amt.analysis.spectral import SpectralMeter

FS = 44100


def _close(a, b, rel: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)


def test_one_block_or_many_give_the_same_result() -> None:
    rng = np.random.default_rng(8)
    n = 65 * FS  # three engine blocks, the last partial
    loop = np.tile(drum_loop(seconds=5.0), 13)[:n]
    x = np.stack([loop + 0.3 * tone(110.0, 65.0), 0.8 * loop + 0.02 * rng.standard_normal(n)], axis=1)
    many = measure(x, FS)
    one = measure(x, FS, block_frames=n)
    odd = measure(x, FS, block_frames=777_777)  # blocks that cut frames, envelope steps and decimation
    for other in (one, odd):
        for key, value in many.overall_fields().items():
            assert _close(value, other.overall_fields()[key], 1e-4), key
        for b_many, b_other in zip(many.bands, other.bands, strict=True):
            for field in b_many.__dataclass_fields__:
                if field == "band":
                    continue
                assert _close(getattr(b_many, field), getattr(b_other, field), 1e-4), (b_many.band, field)
        assert many.spectrum_db == pytest.approx(other.spectrum_db, abs=1e-4)
        for name, series in many.band_rms_db.items():
            assert series == pytest.approx(other.band_rms_db[name], abs=1e-4)


def test_silence_is_none_not_nan() -> None:
    s = measure(np.zeros((FS, 2)), FS)
    assert all_numbers_finite(s)
    assert s.spectral_centroid_hz is None and s.spectral_flatness is None and s.sub_20hz_ratio is None
    assert s.thd_percent is None and s.harmonic_ratio is None and s.onset_rate_hz is None
    assert all(b.rms_db is None and b.energy_ratio is None for b in s.bands)
    assert set(s.spectrum_db) == {None}


def test_dc_only() -> None:
    s = measure(np.full(FS, 0.5), FS)
    assert all_numbers_finite(s)
    assert s.sub_20hz_ratio > 0.99  # the rest is the step of switching it on and off


def test_full_scale_square() -> None:
    t = np.arange(2 * FS) / FS
    s = measure(np.sign(np.sin(2 * np.pi * 100.0 * t)), FS)
    assert all_numbers_finite(s)
    assert band(s, "low").energy_ratio > 0.5


@pytest.mark.parametrize(
    ("frames", "rate", "channels"),
    [
        (1, FS, 2),
        (round(0.3 * FS), FS, 2),
        (3 * 8000, 8000, 1),
        (2 * 192000, 192000, 2),
        (FS, FS, 1),
        (2 * 48000, 48000, 6),
        (5, 8000, 6),
        (4410, FS, 3),
    ],
)
def test_odd_inputs_do_not_crash(frames, rate, channels) -> None:
    rng = np.random.default_rng(9)
    x = 0.2 * rng.standard_normal((frames, channels))
    x[:, 0] += 0.3 * np.sin(2 * np.pi * 1000.0 * np.arange(frames) / rate)
    s = measure(x, rate)
    assert all_numbers_finite(s)
    assert len(s.bands) == 5 and len(s.spectrum_db) == 60
    ratios = [b.energy_ratio for b in s.bands if b.energy_ratio is not None]
    assert sum(ratios) == pytest.approx(1.0)
    assert all(len(v) == -(-frames // rate) for v in s.band_rms_db.values())


def test_lfe_is_left_out_of_levels() -> None:
    x = np.zeros((2 * 48000, 6))
    x[:, 3] = tone(50.0, 2.0, sample_rate=48000)  # only the LFE carries signal
    s = measure(x, 48000)
    assert s.spectral_centroid_hz is None and band(s, "low").rms_db is None


def test_51_pools_the_other_five_channels() -> None:
    x = np.zeros((2 * 48000, 6))
    x[:, 2] = tone(1000.0, 2.0, sample_rate=48000)  # centre only: pooled mean square is 1/5 of it
    s = measure(x, 48000)
    mono = measure(tone(1000.0, 2.0, sample_rate=48000), 48000)
    assert band(s, "mid").rms_db == pytest.approx(band(mono, "mid").rms_db - 10 * np.log10(5), abs=0.01)
    assert band(s, "mid").peak_db == pytest.approx(band(mono, "mid").peak_db, abs=0.01)


def test_state_is_compact() -> None:
    layout = make_layout(FS, 2, 7200 * FS)  # two hours
    meter = SpectralMeter(layout)
    block = np.zeros((layout.block_frames, 2), dtype=np.float32)
    for _ in range(3):
        meter.update(block)
    kept = sum(a.nbytes for a in meter._flux + meter._magsum + meter._env_peak + meter._env_ms)
    per_second = kept / (3 * layout.block_frames / FS)
    assert per_second * 7200 < 70e6  # ≈ 9 kB per second of audio
