"""Tempo of the spectral meter on drum patterns whose beat is known: the beat or its octave, never a
3:4, 5:8 or 2:3 multiple of it (SPEC §4)."""

from __future__ import annotations

import numpy as np
import pytest
from drums import PATTERNS, render
from test_sp_util import measure

from amt.analysis.transients import TEMPO_RANGE_BPM, tempo_from_strength

FS = 11025
TEMPOS = (70.0, 78.0, 86.0, 95.0, 105.0, 118.0, 128.0, 140.0, 150.0, 165.0, 172.0, 179.0)
CASES = [(name, TEMPOS[(i + 4 * j) % len(TEMPOS)]) for i, name in enumerate(PATTERNS) for j in range(3)]
"""Each pattern at three tempos, the eleven patterns together covering all twelve."""
CROSS_RATIOS = (3 / 4, 4 / 3, 2 / 3, 3 / 2, 5 / 8, 8 / 5, 5 / 4, 4 / 5)


def _octave_of(bpm: float, beat: float) -> float:
    """``bpm`` ÷ the octave of ``beat`` nearest it (1.0 when bpm is an octave of the beat)."""
    return float(bpm / (beat * 2.0 ** np.round(np.log2(bpm / beat))))


@pytest.mark.parametrize(("name", "bpm"), CASES)
def test_tempo_is_the_beat_or_its_octave(name: str, bpm: float) -> None:
    s = measure(render(PATTERNS[name], bpm, fs=FS), FS, harmonic_excerpts=0)
    assert s.tempo_bpm is not None and s.pulse_clarity is not None
    assert TEMPO_RANGE_BPM[0] <= s.tempo_bpm < TEMPO_RANGE_BPM[1]
    assert _octave_of(s.tempo_bpm, bpm) == pytest.approx(1.0, abs=0.005), (name, bpm, s.tempo_bpm)
    # spelled out: not a cross-rhythm's period in any octave
    for ratio in CROSS_RATIOS:
        assert abs(_octave_of(s.tempo_bpm, bpm * ratio) - 1.0) > 0.02
    assert 0.0 < s.pulse_clarity <= 1.0


def test_the_beat_wins_over_a_louder_dotted_eighth_stab() -> None:
    """The stab stream every three sixteenths is the signal's highest autocorrelation peak (at the dotted
    quarter, 6 sixteenths, where stabs and hats coincide): the former estimator read 2:3 of the beat."""
    pattern = PATTERNS["dotted-eighth stabs (3:4)"]
    s = measure(render(pattern, 128.0, fs=FS), FS, harmonic_excerpts=0)
    assert s.tempo_bpm == pytest.approx(128.0, abs=0.5)


def test_octave_prior_picks_the_octave_nearest_120() -> None:
    """Click trains (one frame every P frames): at 60 BPM the only octave in 70–180 is 120; at 160 and 172 BPM
    two octaves are inside with (nearly) equal autocorrelation peaks, and the prior picks the one nearer
    120 BPM: 160 (log2 distance 0.42 against 0.58 for 80), and 86 for 172 (0.48 against 0.52)."""
    hop_s = 0.01
    for frames, octave in ((100, 2.0), (38, 1.0), (35, 0.5)):
        strength = np.zeros(3000)
        strength[np.arange(50, 3000, frames)] = 1.0
        tempo = tempo_from_strength(strength, hop_s)
        assert tempo is not None
        assert tempo.bpm == pytest.approx(60.0 / (frames * hop_s) * octave, rel=1e-3)
        assert tempo.pulse_clarity > 0.9


def test_no_tempo_without_a_pulse() -> None:
    assert tempo_from_strength(np.zeros(1000), 0.01) is None
    assert tempo_from_strength(np.ones(10), 0.01) is None
