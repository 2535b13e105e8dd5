"""The archetype synthesiser is deterministic and renders what the references need."""

from __future__ import annotations

import numpy as np
import pytest

from synth.archetypes import GENRES, STYLES, reference_seed, reference_specs, render, render_archetype

SHORT_S = 6.0


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
    assert not np.array_equal(x[:, 0], x[:, 1])
    # The drive search lands within 0.3 LU of the genre's loudness target (its own quick meter).
    assert r.master.estimated_lufs == pytest.approx(r.variant.target_lufs, abs=0.3)


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
