"""The genre's documented tempo range picks the octave of tempo_bpm in the analysis JSON (SPEC §4)."""

from __future__ import annotations

import math

import pytest

from amt.api.services.rows import genre_tempo_bpm
from amt.config.constants import GENRE_TEMPO_BPM


@pytest.mark.parametrize(
    ("tempo", "genre", "expected"),
    [
        (86.0, "Drum & Bass", 172.0),
        (172.0, "Drum & Bass", 172.0),
        (43.0, "Drum & Bass", 172.0),
        (87.5, "Drum & Bass", 175.0),
        (70.0, "Dubstep", 140.0),
        (140.0, "Dubstep", 140.0),
        (62.0, "House", 124.0),
        (256.0, "Techno", 128.0),
        (86.0, "Rock", 86.0),  # no documented range: the engine's octave
        (86.0, None, 86.0),
        (100.0, "House", 100.0),  # 100 and 200 both outside 115–132: 100 is nearer (0.20 against 0.60 octave)
        (75.0, "Trance", 150.0),  # 75 and 150 outside 128–145: 150 is nearer (0.05 against 0.77 octave)
    ],
)
def test_octave_inside_the_genres_range(tempo: float, genre: str | None, expected: float) -> None:
    assert genre_tempo_bpm(tempo, genre) == pytest.approx(expected)


def test_only_octaves_and_every_range_reachable() -> None:
    for genre, (lo, hi) in GENRE_TEMPO_BPM.items():
        for tempo in (61.3, 70.0, 86.1, 99.9, 128.0, 140.2, 166.7, 179.9):
            out = genre_tempo_bpm(tempo, genre)
            assert out is not None
            assert math.log2(out / tempo) == pytest.approx(round(math.log2(out / tempo)), abs=1e-12)
            inside = [tempo * 2.0**n for n in range(-4, 5) if lo <= tempo * 2.0**n <= hi]
            if inside:
                assert out == pytest.approx(inside[0])
    assert genre_tempo_bpm(None, "Drum & Bass") is None
