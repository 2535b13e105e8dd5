"""Block-form IIR filters against scipy's sample-by-sample sosfilt in float64.

The filters are built here with scipy.signal.butter / the K-weighting's published
design; the stream is cut into blocks of random sizes (rows of 32 samples never line
up with them), so state carried across calls is exercised everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from amt.analysis.bands import BandSignals
from amt.analysis.blockiir import BlockFilter, BlockForm
from amt.analysis.loudness import k_weighting_sos


def random_blocks(x: np.ndarray, seed: int, largest: int = 70_000) -> list[np.ndarray]:
    """``x`` (channels, n) cut into consecutive blocks of random sizes (some tiny)."""
    rng = np.random.default_rng(seed)
    blocks, start = [], 0
    while start < x.shape[1]:
        size = int(rng.integers(1, 40)) if rng.random() < 0.3 else int(rng.integers(1, largest))
        blocks.append(x[:, start : start + size])
        start += size
    return blocks


def lr4(low: float, high: float, fs: float) -> np.ndarray:
    """LR4 band filter as sos: Butterworth-2 high-pass twice, low-pass twice (left out near Nyquist)."""
    hp = scipy.signal.butter(2, low, "highpass", fs=fs, output="sos")
    sections = [hp, hp]
    if high < 0.95 * fs / 2:
        lp = scipy.signal.butter(2, high, "lowpass", fs=fs, output="sos")
        sections += [lp, lp]
    return np.concatenate(sections)


@pytest.mark.parametrize("fs", [8000, 44100, 192000, 384000])
def test_k_weighting_block_filter_is_sosfilt(fs: int) -> None:
    rng = np.random.default_rng(fs)
    x = (0.3 * rng.standard_normal((2, 3 * fs + 5))).astype(np.float32)
    sos = k_weighting_sos(fs)
    expected = scipy.signal.sosfilt(sos, x.astype(np.float64), axis=1)
    block_filter = BlockFilter(BlockForm.build(sos), 2)
    got = np.concatenate([block_filter.filter(b) for b in random_blocks(x, fs)], axis=1)
    assert got.shape == expected.shape
    # float32 in balanced coordinates: ~1e-7 of the output at every rate
    assert np.abs(got - expected).max() < 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize(("fs", "keep"), [(44100, 8), (96000, 16), (384000, 64)])
def test_band_signals_peaks_and_kept_samples_are_sosfilt(fs: int, keep: int) -> None:
    """``keep``: the low path's decimation at that rate (64 is longer than a row of 32)."""
    rng = np.random.default_rng(3)
    n = 2 * fs + 77
    t = np.arange(n) / fs
    # noise, a loud low tone and a burst: some rows are ruled out by the bound, some not
    x = 0.05 * rng.standard_normal((2, n)) + 0.5 * np.sin(2 * np.pi * 60 * t)
    x[:, fs : fs + 300] += 0.7 * np.sin(2 * np.pi * 5000 * t[:300])
    x = x.astype(np.float32)
    edges = [(20, 200), (200, 500), (500, 2000), (2000, 6000), (6000, 20000)]
    steps: list[int | None] = [keep, keep, None, None, 1]  # 1: every output sample kept
    bank = BandSignals([BlockForm.build(lr4(a, b, fs)) for a, b in edges], steps, 2)
    kept: list[list[np.ndarray]] = [[] for _ in edges]
    for block in random_blocks(x, 4):
        for k, out in zip(kept, bank.push(block), strict=True):
            k.append(out)
    for k, out in zip(kept, bank.flush(), strict=True):
        k.append(out)
    for i, ((low, high), step) in enumerate(zip(edges, steps, strict=True)):
        y = scipy.signal.sosfilt(lr4(low, high, fs), x.astype(np.float64), axis=1)
        assert bank.peaks[i] == pytest.approx(np.abs(y).max(), rel=1e-5), (low, high)
        if step:
            got = np.concatenate(kept[i], axis=1)
            assert got.shape == y[:, ::step].shape
            assert np.abs(got - y[:, ::step]).max() < 1e-5 * np.abs(y).max()
