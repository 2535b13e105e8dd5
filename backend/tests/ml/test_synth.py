"""The archetype synthesiser is deterministic and renders what the references need."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import signal

from amt.analysis.engine import analyze_array
from amt.api.services.corpus import corpus_target
from amt.config.constants import BANDS
from amt.synth.archetypes import (
    CHARACTER_DB,
    GENRES,
    STYLES,
    balance_targets,
    reference_seed,
    reference_specs,
    render,
    render_archetype,
)
from amt.synth.master import MasterSettings, master

SHORT_S = 6.0
SR = 44100
TP_OVER_DB = 0.05
"""How far a master's true peak may read above its ceiling: the engine's stated true-peak accuracy (SPEC §4)."""


def _ideal_peak_dbfs(x: np.ndarray, edge_s: float = 0.1) -> float:
    """Band-limited peak by 8× FFT interpolation (scipy.signal.resample), ignoring ``edge_s`` at each end."""
    up = signal.resample(x.astype(np.float64), 8 * x.shape[0], axis=0)
    edge = int(edge_s * SR * 8)
    return float(20 * np.log10(np.abs(up[edge:-edge]).max()))


def _welch_balance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Band shares of the 20 Hz–20 kHz power and widths (side / (mid + side)), from Welch spectra of M and S."""
    f, pm = signal.welch(0.5 * (x[:, 0] + x[:, 1]), fs=SR, nperseg=1 << 15)
    _, ps = signal.welch(0.5 * (x[:, 0] - x[:, 1]), fs=SR, nperseg=1 << 15)
    mid = np.array([pm[(f >= b.low_hz) & (f < b.high_hz)].sum() for b in BANDS])
    side = np.array([ps[(f >= b.low_hz) & (f < b.high_hz)].sum() for b in BANDS])
    return (mid + side) / (mid + side).sum(), side / (mid + side)


@pytest.mark.parametrize("genre", GENRES)
def test_same_seed_gives_identical_samples(genre: str) -> None:
    a = render_archetype(genre, 1, duration_s=SHORT_S)
    b = render_archetype(genre, 1, duration_s=SHORT_S)
    assert a.dtype == np.float32
    assert a.shape == (round(SHORT_S * 44100), 2)
    assert np.array_equal(a, b)


def test_other_variant_or_seed_gives_other_samples() -> None:
    base = render_archetype("Techno", 1, duration_s=SHORT_S)
    assert not np.array_equal(base, render_archetype("Techno", 2, duration_s=SHORT_S))
    assert not np.array_equal(base, render_archetype("Techno", 1, seed=7, duration_s=SHORT_S))


def test_default_seed_is_the_reference_seed() -> None:
    a = render_archetype("House", 3, duration_s=SHORT_S)
    b = render_archetype("House", 3, seed=reference_seed("House", 3), duration_s=SHORT_S)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("genre", ["Psytrance", "Dubstep"])
def test_master_is_finite_stereo_and_under_its_ceiling(genre: str) -> None:
    r = render(genre, 2, duration_s=15.0)
    x = r.samples
    assert np.isfinite(x).all()
    ceiling = 10 ** (r.variant.ceiling_dbtp / 20)
    assert np.abs(x).max() <= ceiling * (1 + 1e-6)
    # The ceiling is in dBTP: the band-limited waveform between the samples stays under it too.
    assert _ideal_peak_dbfs(x) <= r.variant.ceiling_dbtp + TP_OVER_DB
    assert not np.array_equal(x[:, 0], x[:, 1])
    # The drive search lands within 0.3 LU of the genre's loudness target (its own quick meter).
    assert r.master.estimated_lufs == pytest.approx(r.variant.target_lufs, abs=0.3)


def test_master_meets_band_shares_widths_loudness_and_ceiling() -> None:
    """The chain on pulsing, bass-heavy, partly correlated noise, checked with meters it does not use."""
    rng = np.random.default_rng(11)
    n = 12 * SR
    common = rng.standard_normal(n)
    noise = np.stack([common + 0.5 * rng.standard_normal(n), common + 0.5 * rng.standard_normal(n)], axis=1)
    pulses = 0.3 + np.exp(-((np.arange(n) / SR) % 0.5) / 0.08)  # a "kick" every 500 ms
    mix = signal.lfilter([0.05], [1.0, -0.95], noise, axis=0) * pulses[:, None]
    target = corpus_target("Techno")
    shares = tuple(b.energy_ratio for b in target.bands.values())
    widths = (0.02, 0.1, 0.2, 0.3, 0.35)
    settings = MasterSettings(target_lufs=-8.0, ceiling_dbtp=-0.5, band_shares=shares, band_widths=widths)
    out, report = master(mix, settings, SR)
    got_shares, got_widths = _welch_balance(out)
    assert 10 * np.log10(got_shares / np.array(shares)) == pytest.approx(np.zeros(5), abs=0.5)
    assert got_widths == pytest.approx(np.array(widths), abs=0.02)
    assert analyze_array(out, SR).overall.integrated_lufs == pytest.approx(-8.0, abs=0.3)
    assert _ideal_peak_dbfs(out) <= -0.5 + TP_OVER_DB
    assert report.passes >= 2  # limiting moved the balance, and a second pass put it back


def test_balance_targets_are_the_measured_genre_balance_with_its_character_and_the_variants_tilt() -> None:
    spec = replace(STYLES["House"].variants[0], tilt_db_per_octave=0.0, width_offset=0.0)
    documented = corpus_target("House").bands
    shares, widths = balance_targets("House", spec)
    aimed = np.array([b.energy_ratio for b in documented.values()]) * 10 ** (np.array(CHARACTER_DB["House"]) / 10)
    assert shares == pytest.approx(aimed / aimed.sum(), rel=1e-9)
    assert max(abs(v) for c in CHARACTER_DB.values() for v in c) <= 2.0  # half the narrowest band tolerance
    assert widths == pytest.approx([b.stereo_width for b in documented.values()])
    tilted, wider = balance_targets("House", replace(spec, tilt_db_per_octave=0.3, width_offset=0.02))
    # High band centre √(6000·20000) against low band centre √(20·200): 0.3 dB per octave between them.
    octaves = math.log2(math.sqrt(6000 * 20000) / math.sqrt(20 * 200))
    assert 10 * math.log10((tilted[4] / tilted[0]) / (shares[4] / shares[0])) == pytest.approx(0.3 * octaves)
    assert wider[0] == widths[0] and wider[1:] == pytest.approx([w + 0.02 for w in widths[1:]])


def test_new_variant_draws_from_the_genre_ranges() -> None:
    r = render("Drum & Bass", 9, seed=42, duration_s=SHORT_S)
    style = STYLES["Drum & Bass"]
    assert style.bpm_range[0] <= r.variant.bpm <= style.bpm_range[1]
    assert style.lufs_range[0] <= r.variant.target_lufs <= style.lufs_range[1]
    with pytest.raises(ValueError, match="seed"):
        render("Drum & Bass", 9)
    with pytest.raises(ValueError, match="Unknown archetype genre"):
        render("Polka", 1)


def test_reference_specs_are_24_builtin_archetypes() -> None:
    specs = reference_specs()
    assert len(specs) == 24
    assert len({s.name for s in specs}) == 24
    assert len({s.seed for s in specs}) == 24
    for genre in GENRES:
        assert sum(s.genre == genre for s in specs) == 4
    assert all("archetype" in s.name and "(built-in)" in s.name for s in specs)
    assert {s.artist for s in specs} == {"Built-in archetype"}
    assert all(60.0 <= s.duration_s <= 90.0 for s in specs)
