"""Genre archetypes: tempo, drum pattern, bass, leads, pads, arrangement and master per genre.

:func:`render_archetype` renders one archetype deterministically: every random
choice (melodies, hat velocities, noise) comes from ``numpy.random.default_rng(seed)``,
so the same (genre, variant, seed, duration) gives the same samples bit for bit.
Variants 1–4 of each genre are the built-in references (fixed tempo, key,
arrangement, loudness, ceiling and tonal tilt from the tables below); any other
variant number draws those from the genre's typical ranges with the seed.

The master (:mod:`synth.master`) aims at the genre's tonal balance and stereo widths as
measured on the real reference corpus (``api.services.corpus.corpus_target``, tilted a
little per variant), so the archetypes sit inside the real distribution of their genre. The genre shows in the parts:
tempo, drum pattern, bass line, sounds, arrangement and its level contour.

Tonal parts (bass, leads, pads) are rendered at half the sample rate and upsampled
once — they are low-passed well below 11 kHz — which halves the render time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from amt.config.constants import BAND_NAMES
from amt.synth import instruments as ins
from amt.synth.master import BAND_EDGES_HZ, MasterReport, MasterSettings, master

SAMPLE_RATE = 44100
DEFAULT_DURATION_S = 60.0
ARTIST = "Built-in archetype"
YEAR = 2026

GENRES: tuple[str, ...] = ("Psytrance", "Trance", "Techno", "House", "Drum & Bass", "Dubstep")
VARIANTS_PER_GENRE = 4

SECTIONS: tuple[str, ...] = ("intro", "build", "drop", "breakdown", "outro")
_SEC = {name: i for i, name in enumerate(SECTIONS)}

# Arrangement templates: (section, share of the bars). Drops dominate, as in club tracks.
ARRANGEMENTS: tuple[tuple[tuple[str, float], ...], ...] = (
    (("intro", 0.125), ("build", 0.0625), ("drop", 0.3125), ("breakdown", 0.1875), ("build", 0.0625), ("drop", 0.25)),
    (("intro", 0.0625), ("drop", 0.25), ("breakdown", 0.25), ("build", 0.0625), ("drop", 0.3125), ("outro", 0.0625)),
    (("intro", 0.1875), ("drop", 0.25), ("breakdown", 0.1875), ("drop", 0.3125), ("outro", 0.0625)),
    (("drop", 0.125), ("breakdown", 0.125), ("build", 0.0625), ("drop", 0.375), ("breakdown", 0.125), ("drop", 0.1875)),
)

MINOR = np.array([0, 2, 3, 5, 7, 8, 10])
PHRYGIAN = np.array([0, 1, 3, 5, 7, 8, 10])
DORIAN = np.array([0, 2, 3, 5, 7, 9, 10])

INSTRUMENTS: tuple[str, ...] = (
    "kick",
    "snare",
    "clap",
    "hat",
    "open_hat",
    "ride",
    "bass",
    "sub",
    "lead",
    "pad",
    "riser",
)

# Mix automation per section, as a share of the genre's ``section_depth_db`` below the drops.
_SECTION_LEVEL: dict[str, float] = {"intro": 0.5, "build": 0.5, "drop": 0.0, "breakdown": 1.0, "outro": 0.5}

# Per section, how much of each instrument plays (0 … 1); genres scale these with their mix gains.
_ACTIVITY: dict[str, dict[str, float]] = {
    "intro": {
        "kick": 1,
        "snare": 0,
        "clap": 0.5,
        "hat": 0.7,
        "open_hat": 0,
        "ride": 0.5,
        "bass": 0.5,
        "sub": 0.5,
        "lead": 0,
        "pad": 0.3,
        "riser": 0,
    },
    "build": {
        "kick": 1,
        "snare": 1,
        "clap": 1,
        "hat": 1,
        "open_hat": 0.6,
        "ride": 0.5,
        "bass": 0.6,
        "sub": 0.6,
        "lead": 0.4,
        "pad": 0.5,
        "riser": 1,
    },
    "drop": {
        "kick": 1,
        "snare": 1,
        "clap": 1,
        "hat": 1,
        "open_hat": 1,
        "ride": 1,
        "bass": 1,
        "sub": 1,
        "lead": 1,
        "pad": 0.5,
        "riser": 0,
    },
    "breakdown": {
        "kick": 0,
        "snare": 0,
        "clap": 0,
        "hat": 0.3,
        "open_hat": 0,
        "ride": 0,
        "bass": 0,
        "sub": 0.5,
        "lead": 0.5,
        "pad": 1,
        "riser": 0,
    },
    "outro": {
        "kick": 1,
        "snare": 0.5,
        "clap": 0.5,
        "hat": 0.7,
        "open_hat": 0.3,
        "ride": 0.3,
        "bass": 0.4,
        "sub": 0.4,
        "lead": 0,
        "pad": 0.2,
        "riser": 0,
    },
}


@dataclass(frozen=True)
class VariantSpec:
    """The fixed choices of one built-in variant."""

    bpm: float
    key: int
    """Root of the bass line, MIDI note (octave 1–2)."""
    arrangement: int
    """Index into :data:`ARRANGEMENTS`."""
    target_lufs: float
    ceiling_dbtp: float
    tilt_db_per_octave: float = 0.0
    """This variant's tonal tilt against the genre's balance (pivot 1 kHz), dB per octave."""
    width_offset: float = 0.0
    """Added to the genre's width in every band but the (mono) low one."""


@dataclass(frozen=True)
class GenreStyle:
    """What makes a genre recognisable, and the ranges its variants come from."""

    name: str
    bpm_range: tuple[float, float]
    key_range: tuple[int, int]
    lufs_range: tuple[float, float]
    variants: tuple[VariantSpec, ...]
    scale: np.ndarray
    swing: float
    sidechain: float
    """Depth (0 … 1) of the kick-triggered ducking of bass and pads."""
    mix: dict[str, float]
    """Bus gains, linear."""
    section_depth_db: float
    """How far breakdowns sit below drops in the mix (intros, builds and outros half as far), dB;
    negative lifts them. Mastering squeezes the drops more than the quiet parts, so this sets
    the master's LRA."""


def _v(bpm: float, key: int, arr: int, lufs: float, ceil: float, tilt: float, width: float) -> VariantSpec:
    return VariantSpec(
        bpm=bpm,
        key=key,
        arrangement=arr,
        target_lufs=lufs,
        ceiling_dbtp=ceil,
        tilt_db_per_octave=tilt,
        width_offset=width,
    )


STYLES: dict[str, GenreStyle] = {
    "Psytrance": GenreStyle(
        "Psytrance",
        (140.0, 148.0),
        (28, 33),
        (-9.6, -8.4),
        (
            _v(145, 28, 0, -8.6, -0.3, -0.3, +0.02),
            _v(142, 30, 1, -9.0, -0.5, +0.1, +0.00),
            _v(147, 31, 2, -9.4, -0.2, +0.3, -0.02),
            _v(144, 33, 3, -8.8, -1.0, -0.1, +0.00),
        ),
        PHRYGIAN,
        0.0,
        0.7,
        {
            "kick": 1.0,
            "snare": 0.0,
            "clap": 0.25,
            "hat": 0.22,
            "open_hat": 0.3,
            "ride": 0.15,
            "bass": 0.8,
            "sub": 0.2,
            "lead": 0.35,
            "pad": 0.18,
            "riser": 0.2,
        },
        5.0,
    ),
    "Trance": GenreStyle(
        "Trance",
        (136.0, 140.0),
        (29, 34),
        (-9.6, -8.4),
        (
            _v(138, 29, 1, -9.0, -0.3, +0.1, +0.00),
            _v(136, 33, 0, -8.8, -0.5, -0.3, +0.02),
            _v(140, 31, 3, -9.4, -1.0, -0.1, +0.00),
            _v(137, 34, 2, -9.6, -0.2, +0.3, -0.02),
        ),
        MINOR,
        0.0,
        0.55,
        {
            "kick": 0.9,
            "snare": 0.0,
            "clap": 0.35,
            "hat": 0.2,
            "open_hat": 0.35,
            "ride": 0.1,
            "bass": 0.55,
            "sub": 0.25,
            "lead": 0.45,
            "pad": 0.5,
            "riser": 0.25,
        },
        8.0,
    ),
    "Techno": GenreStyle(
        "Techno",
        (125.0, 135.0),
        (24, 31),
        (-9.6, -8.4),
        (
            _v(130, 26, 2, -8.5, -0.3, +0.3, -0.02),
            _v(128, 24, 0, -9.0, -0.8, -0.1, +0.00),
            _v(133, 29, 3, -9.5, -0.5, -0.3, +0.02),
            _v(126, 27, 1, -8.7, -0.1, +0.1, +0.00),
        ),
        MINOR,
        0.0,
        0.3,
        {
            "kick": 1.15,
            "snare": 0.0,
            "clap": 0.2,
            "hat": 0.28,
            "open_hat": 0.12,
            "ride": 0.2,
            "bass": 0.45,
            "sub": 0.45,
            "lead": 0.2,
            "pad": 0.3,
            "riser": 0.15,
        },
        3.5,
    ),
    "House": GenreStyle(
        "House",
        (120.0, 126.0),
        (31, 38),
        (-9.6, -8.4),
        (
            _v(124, 33, 1, -9.1, -0.5, -0.1, +0.00),
            _v(122, 36, 2, -9.4, -1.0, +0.3, -0.02),
            _v(125, 31, 0, -9.7, -0.3, +0.1, +0.00),
            _v(121, 38, 3, -8.9, -0.8, -0.3, +0.02),
        ),
        DORIAN,
        0.14,
        0.25,
        {
            "kick": 0.9,
            "snare": 0.0,
            "clap": 0.45,
            "hat": 0.3,
            "open_hat": 0.3,
            "ride": 0.08,
            "bass": 0.7,
            "sub": 0.15,
            "lead": 0.45,
            "pad": 0.3,
            "riser": 0.1,
        },
        2.0,
    ),
    "Drum & Bass": GenreStyle(
        "Drum & Bass",
        (170.0, 176.0),
        (26, 31),
        (-9.6, -8.4),
        (
            _v(174, 26, 0, -8.5, -0.3, +0.1, +0.02),
            _v(172, 29, 1, -8.9, -0.5, +0.3, -0.02),
            _v(175, 28, 3, -8.6, -0.2, -0.3, +0.00),
            _v(170, 31, 2, -9.3, -1.0, -0.1, +0.00),
        ),
        MINOR,
        0.0,
        0.0,
        {
            "kick": 0.85,
            "snare": 0.75,
            "clap": 0.0,
            "hat": 0.25,
            "open_hat": 0.1,
            "ride": 0.12,
            "bass": 0.55,
            "sub": 0.6,
            "lead": 0.15,
            "pad": 0.3,
            "riser": 0.2,
        },
        2.0,
    ),
    "Dubstep": GenreStyle(
        "Dubstep",
        (138.0, 142.0),
        (24, 29),
        (-9.6, -8.4),
        (
            _v(140, 26, 3, -8.4, -0.3, -0.3, +0.00),
            _v(140, 24, 0, -8.9, -0.5, -0.1, +0.00),
            _v(140, 29, 1, -8.7, -0.1, +0.1, +0.02),
            _v(142, 27, 2, -9.2, -0.8, +0.3, -0.02),
        ),
        MINOR,
        0.0,
        0.0,
        {
            "kick": 1.0,
            "snare": 0.9,
            "clap": 0.0,
            "hat": 0.15,
            "open_hat": 0.05,
            "ride": 0.0,
            "bass": 0.8,
            "sub": 0.75,
            "lead": 0.1,
            "pad": 0.4,
            "riser": 0.2,
        },
        -1.5,
    ),
}


@dataclass(frozen=True)
class ReferenceSpec:
    """One built-in reference: which archetype to render, and how it is labelled."""

    name: str
    artist: str
    genre: str
    year: int
    variant: int
    seed: int
    duration_s: float


def reference_seed(genre: str, variant: int) -> int:
    """The fixed seed of a built-in reference: 1000 + 100·(genre index) + variant."""
    return 1000 + 100 * GENRES.index(genre) + variant


def reference_specs(duration_s: float = DEFAULT_DURATION_S) -> list[ReferenceSpec]:
    """The 24 built-in references, 4 per genre, in genre order."""
    return [
        ReferenceSpec(
            name=f"{g} archetype {v} (built-in)",
            artist=ARTIST,
            genre=g,
            year=YEAR,
            variant=v,
            seed=reference_seed(g, v),
            duration_s=duration_s,
        )
        for g in GENRES
        for v in range(1, VARIANTS_PER_GENRE + 1)
    ]


@dataclass(frozen=True)
class Rendered:
    """A rendered archetype: stereo float32 samples and how it was made."""

    samples: np.ndarray
    """Shape (frames, 2), float32, full scale 1.0."""
    sample_rate: int
    variant: VariantSpec
    master: MasterReport


# --- arrangement and note lines -------------------------------------------------------------------


def _section_of_step(n_steps: int, arrangement: int) -> np.ndarray:
    """Section index per 16th step: template shares → whole bars (multiples of 2), last takes the rest."""
    bars = int(np.ceil(n_steps / 16))
    template = ARRANGEMENTS[arrangement]
    counts = [max(2, round(share * bars / 2.0) * 2) for _, share in template[:-1]]
    counts.append(max(1, bars - sum(counts)))
    per_bar = np.concatenate([np.full(c, _SEC[name]) for (name, _), c in zip(template, counts, strict=True)])
    per_bar = np.resize(per_bar, bars) if per_bar.size < bars else per_bar[:bars]
    return np.repeat(per_bar, 16)[:n_steps]


def _activity(section: np.ndarray) -> dict[str, np.ndarray]:
    """Per instrument, its per-step gain from the section table."""
    return {inst: np.array([_ACTIVITY[s][inst] for s in SECTIONS], dtype=np.float64)[section] for inst in INSTRUMENTS}


def _chord_roots(n_steps: int, rng: np.random.Generator, scale: np.ndarray, steps_per_chord: int) -> np.ndarray:
    """Scale-degree index of the chord root per step (a 4-chord loop)."""
    loops = ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 3, 6), (0, 0, 5, 6), (0, 2, 5, 3))
    loop = np.array(loops[int(rng.integers(len(loops)))])
    return np.resize(np.repeat(loop, steps_per_chord), n_steps)


def _degree_to_semitones(scale: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Semitones above the root of (possibly negative or > 6) scale degrees."""
    degree = np.asarray(degree)
    return scale[degree % 7] + 12 * (degree // 7)


def _line(pitch: np.ndarray, note_on: np.ndarray, velocity: np.ndarray) -> ins.NoteSteps:
    return ins.NoteSteps(pitch=pitch.astype(np.float64), note_on=note_on.astype(bool), velocity=velocity)


def _pattern(steps: int, bar_pattern: list[float] | np.ndarray) -> np.ndarray:
    return np.resize(np.asarray(bar_pattern, dtype=np.float64), steps)


# --- genre parts ----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """Everything the part builders share for one render."""

    style: GenreStyle
    spec: VariantSpec
    rng: np.random.Generator
    grid: ins.Grid
    tgrid: ins.Grid
    """The grid at the tonal (half) rate."""
    section: np.ndarray
    """Section index per step."""
    act: dict[str, np.ndarray]
    chord: np.ndarray
    """Chord-root scale degree per step."""


def _drums(c: _Ctx) -> np.ndarray:
    """All drums at the full rate, (frames, 2)."""
    sr, g, rng, name = c.grid.sample_rate, c.grid, c.rng, c.style.name
    n = g.steps
    out = np.zeros((g.frames, 2))
    mono = {k: np.zeros(g.frames) for k in ("kick", "snare", "hat", "open_hat", "ride")}

    kick_kw = {
        "Psytrance": {"pitch_hi_hz": 180, "pitch_lo_hz": 50, "decay_s": 0.12, "sweep_s": 0.02, "click": 0.6},
        "Trance": {"pitch_hi_hz": 150, "pitch_lo_hz": 48, "decay_s": 0.2, "sweep_s": 0.03, "click": 0.35},
        "Techno": {"pitch_hi_hz": 130, "pitch_lo_hz": 44, "decay_s": 0.3, "sweep_s": 0.04, "click": 0.25, "drive": 3.0},
        "House": {"pitch_hi_hz": 140, "pitch_lo_hz": 52, "decay_s": 0.18, "sweep_s": 0.035, "click": 0.3},
        "Drum & Bass": {"pitch_hi_hz": 170, "pitch_lo_hz": 55, "decay_s": 0.12, "sweep_s": 0.02, "click": 0.5},
        "Dubstep": {"pitch_hi_hz": 160, "pitch_lo_hz": 48, "decay_s": 0.2, "sweep_s": 0.03, "click": 0.5},
    }[name]
    k = ins.kick(sr, rng=rng, **kick_kw)
    if name == "Drum & Bass":
        kick_pat: list[float] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
        snare_pat = [0, 0, 0, 0, 1, 0, 0, 0.25, 0, 0, 0, 0, 1, 0, 0, 0.2]
        hat_pat = [0.8, 0.3, 0.6, 0.3] * 4
    elif name == "Dubstep":
        kick_pat = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.6 * float(rng.random() < 0.5), 0]
        snare_pat = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        hat_pat = [0.7, 0, 0.4, 0, 0.7, 0, 0.4, 0.3] * 2
    else:
        kick_pat = [1, 0, 0, 0] * 4
        snare_pat = [0.0] * 16
        hat_pat = [0.5, 0.35, 0.8, 0.35] * 4 if name != "House" else [0.4, 0.0, 0.9, 0.3] * 4
    starts, gains = ins.hits(g, np.array(kick_pat, dtype=float), c.act["kick"])
    ins.place(mono["kick"], k, starts, gains)

    if c.style.mix["snare"] > 0:
        tone = 200.0 if name == "Drum & Bass" else 180.0
        s = ins.snare(sr, tone_hz=tone, decay_s=0.09 if name == "Drum & Bass" else 0.13, noise_mix=0.6, rng=rng)
        starts, gains = ins.hits(g, np.array(snare_pat, dtype=float), c.act["snare"])
        ins.place(mono["snare"], s, starts, gains * c.style.mix["snare"])
    if c.style.mix["clap"] > 0:
        cl = ins.clap(sr, decay_s=0.06, rng=rng)
        clap_pat = np.zeros(16)
        clap_pat[[4, 12]] = 1.0
        starts, gains = ins.hits(g, clap_pat, c.act["clap"])
        ins.place(mono["snare"], cl, starts, gains * c.style.mix["clap"])

    h = ins.hat(sr, decay_s=0.025, cutoff_hz=7000.0, rng=rng)
    vel = _pattern(n, hat_pat) * rng.uniform(0.8, 1.0, n)
    starts, gains = ins.hits(g, vel, c.act["hat"])
    ins.place(mono["hat"], h, starts, gains * c.style.mix["hat"])
    oh = ins.hat(sr, decay_s=0.12, cutoff_hz=6000.0, rng=rng)
    oh_pat = np.zeros(16)
    oh_pat[[2, 6, 10, 14]] = 1.0
    starts, gains = ins.hits(g, oh_pat, c.act["open_hat"])
    ins.place(mono["open_hat"], oh, starts, gains * c.style.mix["open_hat"])
    if c.style.mix["ride"] > 0:
        ride = ins.hat(sr, decay_s=0.3, cutoff_hz=4000.0, rng=rng)
        ride_pat = np.zeros(16)
        ride_pat[[2, 6, 10, 14] if name != "Drum & Bass" else [0, 4, 8, 12]] = 1.0
        starts, gains = ins.hits(g, ride_pat, c.act["ride"])
        ins.place(mono["ride"], ride, starts, gains * c.style.mix["ride"])

    ins.add_panned(out, mono["kick"] * c.style.mix["kick"], 0.0)
    out += ins.haas(mono["snare"], 0.008, sr, width=0.4) * np.sqrt(2.0)
    ins.add_panned(out, mono["hat"], 0.35)
    ins.add_panned(out, mono["open_hat"], -0.3)
    ins.add_panned(out, mono["ride"], 0.5)
    if name == "Techno":
        # Rumble: the kick through a dark, echoing tail — the techno low-end signature.
        rumble = ins.lowpass(mono["kick"], 120.0, sr, order=4)
        tail = ins.echo(np.stack([rumble, rumble], axis=1), 60.0 / c.spec.bpm / 4.0, 0.6, sr, repeats=3)
        out += 0.5 * tail * c.style.mix["kick"]
    return out


def _section_gain(c: _Ctx) -> np.ndarray:
    """Per-sample mix gain from the arrangement (full rate), gliding over ~0.3 s between sections."""
    depth = np.array([_SECTION_LEVEL[s] for s in SECTIONS]) * c.style.section_depth_db
    gain_db = -depth[c.section[c.grid.step_of_sample]]
    return 10.0 ** (ins.one_pole(gain_db, 0.1, c.grid.sample_rate) / 20.0)


def _sidechain(c: _Ctx) -> np.ndarray:
    """Per-sample gain ducking after every beat (tonal rate), 1 where there is no kick."""
    g = c.tgrid
    beat_start = g.step_starts[(g.step_of_sample // 4) * 4]
    t = (np.arange(g.frames) - beat_start) / g.sample_rate
    kick_on = c.act["kick"][g.step_of_sample] > 0
    return 1.0 - c.style.sidechain * kick_on * np.exp(-t / 0.08)


def _bass(c: _Ctx) -> np.ndarray:
    """Bass and sub at the tonal rate, mono."""
    g, rng, name, n = c.tgrid, c.rng, c.style.name, c.tgrid.steps
    root = c.spec.key + _degree_to_semitones(c.style.scale, c.chord)
    root = np.where(root > c.spec.key + 7, root - 12, root).astype(float)
    act_b, act_s = c.act["bass"], c.act["sub"]
    steps = np.arange(n)
    if name == "Psytrance":
        on = _pattern(n, [0, 1, 1, 1])
        pitch = np.where(on > 0, root + 12 * (rng.random(n) < 0.08), np.nan)
        line = _line(pitch, on > 0, act_b)
        bass = ins.filtered_voice(
            g,
            line,
            shape="saw",
            detune_cents=(0.0,),
            attack_s=0.002,
            decay_s=0.06,
            sustain=0.0,
            dark_hz=150.0,
            bright_hz=1800.0,
            filter_decay_s=0.03,
            rng=rng,
        )
        sub = np.zeros(g.frames)
    elif name == "Trance":
        on = _pattern(n, [0, 0, 1, 0])
        pitch = np.where(_pattern(n, [0, 0, 1, 1]) > 0, root + 12, np.nan)
        line = _line(pitch, on > 0, act_b)
        bass = ins.filtered_voice(
            g,
            line,
            shape="saw",
            detune_cents=(-8.0, 8.0),
            attack_s=0.003,
            decay_s=0.12,
            sustain=0.3,
            dark_hz=250.0,
            bright_hz=2500.0,
            filter_decay_s=0.06,
            rng=rng,
        )
        sub = _sine_line(c, _line(pitch - 12, on > 0, act_s), decay_s=0.15)
    elif name == "Techno":
        on = _pattern(n, [0, 0, 1, 1]) * (rng.random(n) < 0.8)
        pitch = np.where(on > 0, root + 12 * (rng.random(n) < 0.15), np.nan)
        line = _line(pitch, on > 0, act_b * rng.uniform(0.7, 1.0, n))
        bass = ins.filtered_voice(
            g,
            line,
            shape="square",
            detune_cents=(0.0,),
            attack_s=0.002,
            decay_s=0.1,
            sustain=0.1,
            dark_hz=120.0,
            bright_hz=700.0,
            filter_decay_s=0.04,
            rng=rng,
        )
        sub = _sine_line(c, _line(pitch, on > 0, act_s), decay_s=0.12)
    elif name == "House":
        groove = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0], dtype=float)
        on = _pattern(n, groove * (rng.random(16) < 0.9))
        octave = np.resize(np.where(rng.random(16) < 0.3, 12, 0), n)
        held = np.maximum.accumulate(np.where(on > 0, steps, 0))
        pitch = np.where((steps - held) < 2, (root + 12 + octave)[held], np.nan)
        line = _line(pitch, on > 0, act_b)
        bass = ins.filtered_voice(
            g,
            line,
            shape="saw",
            detune_cents=(-5.0, 5.0),
            attack_s=0.004,
            decay_s=0.2,
            sustain=0.4,
            dark_hz=300.0,
            bright_hz=1200.0,
            filter_decay_s=0.08,
            rng=rng,
        )
        sub = _sine_line(c, _line(pitch - 12, on > 0, act_s), decay_s=0.2)
    elif name == "Drum & Bass":
        on = (steps % 32 == 0) | ((steps % 32 == 22) & (rng.random(n) < 0.5))
        pitch = root + 12
        line = _line(pitch, on, act_b)
        freq, _, gate = ins.voice_time(g, line)
        osc = ins.oscillator(freq, g.sample_rate, shape="saw", detune_cents=(-18.0, 0.0, 17.0), phase0=rng.random(3))
        lfo = 0.5 + 0.5 * np.sin(2 * np.pi * (c.spec.bpm / 60.0 / 8.0) * np.arange(g.frames) / g.sample_rate)
        dark, bright = ins.lowpass(osc, 250.0, g.sample_rate), ins.lowpass(osc, 1400.0, g.sample_rate)
        bass = (dark + 0.8 * lfo * (bright - dark)) * ins.one_pole(gate, 0.02, g.sample_rate)
        sub = _sine_line(c, _line(pitch - 12, on, act_s), decay_s=10.0, sustain=1.0)
    else:  # Dubstep: sub plus an LFO wobble whose rate changes every bar
        on = steps % 16 == 0
        pitch = root + 12
        line = _line(pitch, on, act_b)
        freq, _, gate = ins.voice_time(g, line)
        osc = 0.6 * ins.oscillator(
            freq, g.sample_rate, shape="saw", detune_cents=(-10.0, 10.0), phase0=rng.random(2)
        ) + 0.4 * ins.oscillator(freq * 2.0, g.sample_rate, shape="square", phase0=rng.random(1))
        rates = np.array([1.0, 2.0, 3.0, 4.0])[rng.integers(0, 4, int(np.ceil(n / 16)))]
        rate_hz = np.repeat(rates, 16)[:n][g.step_of_sample] * c.spec.bpm / 60.0 / 2.0
        lfo = 0.5 - 0.5 * np.cos(2 * np.pi * np.cumsum(rate_hz) / g.sample_rate)
        dark, bright = ins.lowpass(osc, 200.0, g.sample_rate), ins.lowpass(osc, 3500.0, g.sample_rate)
        growl = np.tanh(2.5 * (dark + lfo * (bright - dark)))
        bass = growl * ins.one_pole(gate, 0.01, g.sample_rate)
        sub = _sine_line(c, _line(pitch - 12, on, act_s), decay_s=10.0, sustain=1.0)
    return c.style.mix["bass"] * bass + c.style.mix["sub"] * sub


def _sine_line(c: _Ctx, line: ins.NoteSteps, *, decay_s: float, sustain: float = 0.0) -> np.ndarray:
    """A sine sub following ``line`` (tonal rate, mono)."""
    g = c.tgrid
    freq, t, gate = ins.voice_time(g, line)
    osc = np.sin(2 * np.pi * np.cumsum(freq) / g.sample_rate)
    return osc * ins.adsr(t, gate, attack_s=0.003, decay_s=decay_s, sustain=sustain, sample_rate=g.sample_rate)


def _lead_and_pad(c: _Ctx) -> np.ndarray:
    """Leads and pads at the tonal rate, (frames, 2)."""
    g, rng, name, n = c.tgrid, c.rng, c.style.name, c.tgrid.steps
    sr = g.sample_rate
    steps = np.arange(n)
    key = c.spec.key + 36  # leads 3 octaves above the bass root
    # A seeded 2-bar motif on the scale, repeated and following the chords.
    density = {"Psytrance": 0.85, "Trance": 0.6, "Techno": 0.3, "House": 0.35, "Drum & Bass": 0.25, "Dubstep": 0.3}[
        name
    ]
    motif_deg = rng.integers(0, 8, 32)
    motif_on = rng.random(32) < density
    motif_on[0] = True
    deg = np.resize(motif_deg, n) + c.chord
    lead_on = np.resize(motif_on, n)
    held = np.maximum.accumulate(np.where(lead_on, steps, 0))
    hold_steps = {"Psytrance": 1, "Trance": 2, "Techno": 1, "House": 2, "Drum & Bass": 4, "Dubstep": 2}[name]
    pitch = np.where((steps - held) < hold_steps, (key + _degree_to_semitones(c.style.scale, deg))[held], np.nan)
    line = _line(pitch, lead_on, c.act["lead"])
    if name == "Psytrance":
        lead = ins.filtered_voice(
            g,
            line,
            shape="saw",
            detune_cents=(0.0,),
            attack_s=0.002,
            decay_s=0.1,
            sustain=0.2,
            dark_hz=500.0,
            bright_hz=6000.0,
            filter_decay_s=0.05,
            rng=rng,
        )
    elif name in ("Trance", "Dubstep"):
        lead = ins.filtered_voice(
            g,
            line,
            shape="saw",
            detune_cents=(-14.0, 0.0, 13.0),
            attack_s=0.005,
            decay_s=0.3,
            sustain=0.6,
            dark_hz=2500.0,
            bright_hz=7000.0,
            filter_decay_s=0.2,
            rng=rng,
        )
    elif name == "House":
        # Organ-like chord stab on the lead line: root + third + fifth, sine-rich.
        lead = np.sum(
            [
                ins.filtered_voice(
                    g,
                    _line(pitch + iv, lead_on, c.act["lead"]),
                    shape="square",
                    detune_cents=(0.0,),
                    attack_s=0.003,
                    decay_s=0.15,
                    sustain=0.2,
                    dark_hz=900.0,
                    bright_hz=3500.0,
                    filter_decay_s=0.05,
                    rng=rng,
                )
                for iv in (0, 3, 7)
            ],
            axis=0,
        )
    else:
        lead = ins.filtered_voice(
            g,
            line,
            shape="square",
            detune_cents=(0.0, 7.0),
            attack_s=0.01,
            decay_s=0.2,
            sustain=0.3,
            dark_hz=600.0,
            bright_hz=2500.0,
            filter_decay_s=0.1,
            rng=rng,
        )
    lead_st = ins.haas(lead, 0.012, sr, width=0.6)
    if name in ("Trance", "Psytrance", "Dubstep"):
        lead_st = lead_st + ins.echo(lead_st, 3 * 60.0 / c.spec.bpm / 4.0, 0.45, sr, repeats=3)

    # Pads: three chord voices, supersaw-ish, slow attack, spread across the stereo field.
    pad = np.zeros((g.frames, 2))
    chord_change = np.concatenate([[True], np.diff(c.chord) != 0])
    pad_dark = {"Techno": 600.0, "Drum & Bass": 1200.0}.get(name, 2000.0)
    for i, interval in enumerate((0, 2, 4)):
        semis = _degree_to_semitones(c.style.scale, c.chord + interval) + c.spec.key + 36 - 12
        voice = ins.filtered_voice(
            g,
            _line(semis.astype(float), chord_change, c.act["pad"]),
            shape="saw",
            detune_cents=(-10.0, 9.0),
            attack_s=0.4,
            decay_s=2.0,
            sustain=0.8,
            dark_hz=pad_dark,
            bright_hz=pad_dark * 1.5,
            filter_decay_s=1.0,
            release_s=0.2,
            rng=rng,
        )
        pad += ins.pan(voice, (-0.7, 0.0, 0.7)[i])
    pad = pad + 0.5 * ins.haas(pad[:, 0] - pad[:, 1], 0.017, sr)
    return c.style.mix["lead"] * lead_st + c.style.mix["pad"] * pad


def _riser(c: _Ctx) -> np.ndarray:
    """Noise riser over build sections: louder and brighter towards the drop (full rate, (frames, 2))."""
    g = c.grid
    act = c.act["riser"][g.step_of_sample]
    if not act.any():
        return np.zeros((g.frames, 2))
    in_build = np.concatenate([[0.0], act])
    starts = np.flatnonzero(np.diff(in_build) > 0)
    ramp = np.zeros(g.frames)
    for s in starts:
        e = s + int(np.argmin(act[s:] > 0)) if (act[s:] == 0).any() else g.frames
        ramp[s:e] = np.linspace(0.0, 1.0, e - s) ** 2
    out = np.zeros((g.frames, 2))
    first, last = int(np.argmax(ramp > 0)), g.frames - int(np.argmax(ramp[::-1] > 0))
    noise = c.rng.standard_normal((last - first, 2))
    out[first:last] = ins.highpass(noise, 2000.0, g.sample_rate) * ramp[first:last, None]
    return c.style.mix["riser"] * 0.3 * out


# --- public entry points --------------------------------------------------------------------------


def variant_spec(genre: str, variant: int, rng: np.random.Generator) -> VariantSpec:
    """Variants 1–4: the built-in table; any other number: drawn from the genre's ranges with ``rng``."""
    style = STYLES[genre]
    if 1 <= variant <= len(style.variants):
        return style.variants[variant - 1]
    bpm = float(np.round(rng.uniform(*style.bpm_range)))
    if genre == "Dubstep":
        bpm = float(rng.choice([138.0, 140.0, 142.0]))
    return VariantSpec(
        bpm=bpm,
        key=int(rng.integers(style.key_range[0], style.key_range[1] + 1)),
        arrangement=int(rng.integers(len(ARRANGEMENTS))),
        target_lufs=float(np.round(rng.uniform(*style.lufs_range), 1)),
        ceiling_dbtp=float(np.round(rng.uniform(-1.0, -0.1), 1)),
        tilt_db_per_octave=float(np.round(rng.uniform(-0.3, 0.3), 2)),
        width_offset=float(np.round(rng.uniform(-0.02, 0.02), 3)),
    )


CHARACTER_DB: dict[str, tuple[float, float, float, float, float]] = {
    "Psytrance": (0.5, 1.0, -0.5, 0.0, 1.5),  # rolling bass up to 150 Hz, bright effects
    "Trance": (-1.0, 0.0, 1.0, 1.0, 1.0),  # supersaw leads and pads
    "Techno": (1.0, 0.0, 0.0, -1.5, -2.0),  # dark
    "House": (0.0, 1.0, 0.5, -0.5, -1.0),  # warm
    "Drum & Bass": (1.5, -1.0, -1.0, 0.5, 1.5),  # deep sub, bright breaks
    "Dubstep": (2.0, 0.5, -0.5, -1.0, -0.5),  # sub-heavy, centred mid-range bass
}
"""Each genre's tonal character on top of its measured balance, dB per band (low … high). The club genres share
one measured target (the corpus cannot tell them apart); the archetypes keep a sound of their own, at most 2 dB
from it — half the narrowest band tolerance, so they stay inside their genre's real distribution."""


def balance_targets(genre: str, spec: VariantSpec) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Band shares and widths the master aims at: the genre's balance measured on the real corpus, with the
    genre's character (``CHARACTER_DB``) and the variant's tilt."""
    from amt.api.services.corpus import corpus_target  # the measured targets; imported late, synth stays light

    target = corpus_target(genre)
    centres_oct = np.log2(np.sqrt(BAND_EDGES_HZ[:-1] * BAND_EDGES_HZ[1:]) / 1000.0)
    shares = np.array([target.bands[b].energy_ratio for b in BAND_NAMES])
    shares = shares * 10.0 ** ((np.array(CHARACTER_DB[genre]) + spec.tilt_db_per_octave * centres_oct) / 10.0)
    widths = np.array([target.bands[b].stereo_width for b in BAND_NAMES])
    widths[1:] += spec.width_offset
    return tuple(float(v) for v in shares / shares.sum()), tuple(float(v) for v in widths)


def render(
    genre: str,
    variant: int,
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> Rendered:
    """Render one archetype; see :func:`render_archetype`."""
    if genre not in STYLES:
        raise ValueError(f"Unknown archetype genre {genre!r}; known: {', '.join(GENRES)}")
    if sample_rate % 2:
        raise ValueError("The sample rate must be even (tonal parts render at half rate).")
    style = STYLES[genre]
    seed = reference_seed(genre, variant) if seed is None and 1 <= variant <= 4 else seed
    if seed is None:
        raise ValueError("Variants beyond the built-in four need a seed.")
    rng = np.random.default_rng(seed)
    spec = variant_spec(genre, variant, rng)
    duration = DEFAULT_DURATION_S if duration_s is None else float(duration_s)
    frames = round(duration * sample_rate)
    grid = ins.make_grid(bpm=spec.bpm, frames=frames, sample_rate=sample_rate, swing=style.swing)
    tgrid = ins.make_grid(bpm=spec.bpm, frames=frames // 2, sample_rate=sample_rate // 2, swing=style.swing)
    steps = max(grid.steps, tgrid.steps)
    section = _section_of_step(steps, spec.arrangement)
    act = _activity(section)
    steps_per_chord = 32 if genre in ("Trance", "Drum & Bass", "Dubstep") else 16
    chord = _chord_roots(steps, rng, style.scale, steps_per_chord)
    c = _Ctx(style=style, spec=spec, rng=rng, grid=grid, tgrid=tgrid, section=section, act=act, chord=chord)

    duck = _sidechain(c)
    tonal = (_lead_and_pad(c) + _bass(c)[:, None]) * duck[:, None]
    up = signal.resample_poly(tonal, 2, 1, axis=0)
    mix = _drums(c) + _riser(c)
    mix[: min(frames, up.shape[0])] += up[:frames]
    mix *= _section_gain(c)[:, None]
    shares, widths = balance_targets(genre, spec)
    settings = MasterSettings(
        target_lufs=spec.target_lufs, ceiling_dbtp=spec.ceiling_dbtp, band_shares=shares, band_widths=widths
    )
    out, report = master(mix, settings, sample_rate)
    fade = min(frames, int(0.05 * sample_rate))
    out[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    return Rendered(
        samples=np.ascontiguousarray(out, dtype=np.float32), sample_rate=sample_rate, variant=spec, master=report
    )


def render_archetype(
    genre: str, variant: int, *, seed: int | None = None, duration_s: float | None = None
) -> np.ndarray:
    """Render a genre archetype at 44.1 kHz: stereo float32, shape (frames, 2), full scale 1.0.

    ``variant`` 1–4 are the built-in references (seed defaults to :func:`reference_seed`);
    other variants, or other seeds, are new tracks of the same genre.
    """
    return render(genre, variant, seed=seed, duration_s=duration_s).samples
