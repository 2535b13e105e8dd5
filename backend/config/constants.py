"""Fixed vocabulary of the product: bands, levels, stages (SPEC §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """A frequency band of SPEC §4, edges in Hz."""

    name: str
    low_hz: float
    high_hz: float


BANDS: tuple[Band, ...] = (
    Band("low", 20.0, 200.0),
    Band("low_mid", 200.0, 500.0),
    Band("mid", 500.0, 2000.0),
    Band("high_mid", 2000.0, 6000.0),
    Band("high", 6000.0, 20000.0),
)
BAND_NAMES: tuple[str, ...] = tuple(b.name for b in BANDS)
CROSSOVERS_HZ: tuple[float, ...] = (200.0, 500.0, 2000.0, 6000.0)
"""Linkwitz–Riley crossover frequencies between adjacent bands, Hz."""

SPECTRUM_LOW_HZ = 20.0
SPECTRUM_HIGH_HZ = 20000.0
SPECTRUM_BINS_PER_OCTAVE = 6
"""The long-term spectrum series: 1/6-octave bins with edges 20·2^(k/6) Hz, k = 0 … 60."""

RECOMMENDATION_LEVELS: tuple[str, ...] = ("informative", "suggestive", "prescriptive")
STAGES: tuple[str, ...] = ("master", "mix")

DEFAULT_RECOMMENDATION_LEVEL = "suggestive"
DEFAULT_STAGE = "master"

# ---------------------------------------------------------------------------
# Genres (SPEC §5). The six reference genres get their targets from their
# references (built-in archetypes and user-added tracks); the others from the
# documented constants below. Case, spacing, hyphens and the spelling of "and" ("&", "'n'")
# do not matter when names are matched (api.services.genres.genre_key); the aliases below also match.
# ---------------------------------------------------------------------------

REFERENCE_GENRES: tuple[str, ...] = ("Psytrance", "Trance", "Techno", "House", "Drum & Bass", "Dubstep")


@dataclass(frozen=True)
class BandTarget:
    """Target of one band: energy-ratio mean, its spread in dB, stereo width and correlation."""

    energy_ratio: float
    spread_db: float
    stereo_width: float
    phase_correlation: float


@dataclass(frozen=True)
class GenreTarget:
    """What a finished master of a genre typically measures (SPEC §5)."""

    genre: str
    integrated_lufs: float
    true_peak_ceiling_dbtp: float
    lra_lu: tuple[float, float]
    """Typical loudness range, low … high, LU."""
    dr_db: tuple[float, float]
    """Typical TT DR, low … high, dB."""
    bands: dict[str, BandTarget]
    source: str
    """Where the numbers come from: "constants" or "N references"."""
    spectrum_db: tuple[float | None, ...] | None = None
    """Mean long-term 1/6-octave spectrum of the genre's references (dB), when it has references."""


def _bands(ratios: tuple[float, float, float, float, float], widths: tuple[float, ...], spread_db: float = 2.0) -> dict:
    corr = tuple(max(-1.0, min(1.0, 1.0 - 2.0 * w)) for w in widths)  # correlation of a mid/side mix with no L/R imbalance
    return {
        name: BandTarget(energy_ratio=r, spread_db=spread_db, stereo_width=w, phase_correlation=c)
        for name, r, w, c in zip(BAND_NAMES, ratios, widths, corr, strict=True)
    }


# Documented starting points for genres without references: integrated loudness and
# true-peak ceilings follow common mastering practice for streaming-era releases
# (loud genres near −8 LUFS, acoustic genres −14 … −20 LUFS with more LRA); band
# energy shares are typical long-term spectra of each style, low band dominant as
# in all music (power falls roughly 3–5 dB per octave). Each can be replaced by
# adding references of the genre with ``scripts.analyze_reference``.
CONSTANT_GENRE_TARGETS: dict[str, GenreTarget] = {
    t.genre: t
    for t in (
        GenreTarget("Pop", -9.0, -1.0, (4.0, 8.0), (6.0, 9.0),
                    _bands((0.45, 0.20, 0.20, 0.10, 0.05), (0.02, 0.10, 0.15, 0.20, 0.25)), "constants"),
        GenreTarget("Rock", -9.0, -1.0, (4.0, 9.0), (6.0, 10.0),
                    _bands((0.36, 0.22, 0.25, 0.11, 0.06), (0.02, 0.12, 0.18, 0.22, 0.25)), "constants"),
        GenreTarget("Metal", -8.0, -1.0, (3.0, 7.0), (5.0, 8.0),
                    _bands((0.32, 0.20, 0.25, 0.15, 0.08), (0.02, 0.15, 0.22, 0.25, 0.25)), "constants"),
        GenreTarget("Hip-Hop", -8.5, -1.0, (4.0, 8.0), (6.0, 9.0),
                    _bands((0.60, 0.15, 0.13, 0.08, 0.04), (0.01, 0.08, 0.12, 0.18, 0.22)), "constants"),
        GenreTarget("R&B", -10.0, -1.0, (5.0, 9.0), (7.0, 10.0),
                    _bands((0.55, 0.17, 0.16, 0.08, 0.04), (0.02, 0.10, 0.15, 0.20, 0.25)), "constants"),
        GenreTarget("Jazz", -16.0, -1.0, (7.0, 14.0), (10.0, 15.0),
                    _bands((0.35, 0.25, 0.25, 0.10, 0.05), (0.05, 0.15, 0.20, 0.22, 0.25)), "constants"),
        GenreTarget("Classical", -20.0, -1.0, (10.0, 20.0), (12.0, 18.0),
                    _bands((0.30, 0.30, 0.27, 0.10, 0.03), (0.10, 0.20, 0.22, 0.25, 0.25)), "constants"),
        GenreTarget("Ambient", -16.0, -1.0, (5.0, 12.0), (9.0, 14.0),
                    _bands((0.40, 0.25, 0.20, 0.10, 0.05), (0.10, 0.20, 0.25, 0.28, 0.30)), "constants"),
        GenreTarget("Country", -10.0, -1.0, (5.0, 9.0), (7.0, 10.0),
                    _bands((0.38, 0.22, 0.24, 0.11, 0.05), (0.02, 0.12, 0.18, 0.22, 0.25)), "constants"),
        GenreTarget("Folk", -14.0, -1.0, (6.0, 11.0), (9.0, 13.0),
                    _bands((0.32, 0.26, 0.26, 0.11, 0.05), (0.04, 0.15, 0.20, 0.22, 0.25)), "constants"),
    )
}

# Fallbacks for the six reference genres, used only while no reference of the genre
# is stored (before ``populate_references``); with references, targets are derived
# from them (api/services/targets.py). The synthesiser's mastering chain drives the
# built-in references to these band shares and widths (synth/master.py), so the
# derived targets land on them too.
#
# Band energy shares come from a long-term average spectrum (LTAS) model of club
# masters, integrated numerically over 20 Hz–20 kHz and split at the band edges:
# power per octave is flat from f_lo to a knee f_k (kick and bass), falls 12 dB per
# octave below f_lo, s dB per octave above f_k, and a further 6 dB per octave above
# 12 kHz (air roll-off). The basis: the LTAS of popular music falls with frequency
# above its bass maximum (Elowsson & Friberg, "Long-term average spectrum in popular
# music and its relation to the level of the percussion", JASA 2017); club music is
# flat per octave over the kick and bass range and falls about 3–5 dB per octave
# above it, the slope this project's feature vector also takes as a typical master
# (ml/feature_extraction.py, 4 dB/oct). A check on the low end: such spectra read
# LC − LA ≈ 8–10 dB, where the reference spectrum for disco music of the Swiss
# guidance "Anleitung für Lärmmessungen und -beurteilungen von Diskotheken und
# Musiklokalen" (May 2015) sits (C − A = 9 dB); in venues it measured 16 dB on
# average, club systems adding bass. Per genre (f_lo Hz, f_k Hz, s dB/oct):
# Psytrance (40, 150, 3.25) rolling bass up to 150 Hz, bright effects; Trance
# (40, 120, 3.0) supersaw leads and pads; Techno (40, 120, 4.0) dark; House
# (40, 150, 3.5) warm; Drum & Bass (32, 100, 3.0) deep sub, bright breaks; Dubstep
# (32, 110, 3.5) sub-heavy. The spread (2 dB) covers the model's uncertainty; a
# genre's stored references replace it with their own.
#
# Loudness: club and DJ masters are delivered at about −6 … −9 LUFS integrated
# (louder than streaming levels; DJs match them by ear). LRA ranges are typical of
# tracks with breakdowns (EBU Tech 3342 LRA). DR ranges are not free: with the
# TT DR definition (SPEC §4) DR ≈ peak₂ − L_top − 0.69 + K, where L_top is the
# loudness of the loudest fifth (≈ integrated + 1 LU for a drop-based track), peak₂
# ≈ −0.5 dBFS and K is the spectrum's K-weighting gain (−1.2 … −1.9 dB for the
# shares above); each range is that estimate ± 1.5 dB (never below DR 2).
# Widths (side / (mid + side) energy) rise from a mono low end (club systems sum the
# bass) to wide highs (pads, reverbs, hats): widest in Trance (supersaw leads and
# pads), narrowest in Techno and in Dubstep's centred mid-range bass; correlation
# follows as 1 − 2·width.
FALLBACK_REFERENCE_TARGETS: dict[str, GenreTarget] = {
    t.genre: t
    for t in (
        GenreTarget("Psytrance", -7.0, -1.0, (3.0, 7.0), (2.0, 5.0),
                    _bands((0.7280, 0.1724, 0.0791, 0.0159, 0.0046), (0.01, 0.08, 0.20, 0.28, 0.32)), "constants"),
        GenreTarget("Trance", -8.0, -1.0, (4.0, 8.0), (3.0, 6.0),
                    _bands((0.7441, 0.1552, 0.0778, 0.0174, 0.0055), (0.01, 0.14, 0.28, 0.32, 0.34)), "constants"),
        GenreTarget("Techno", -8.0, -1.0, (3.0, 7.0), (2.5, 5.5),
                    _bands((0.8172, 0.1291, 0.0456, 0.0066, 0.0015), (0.01, 0.06, 0.12, 0.18, 0.22)), "constants"),
        GenreTarget("House", -9.0, -1.0, (4.0, 8.0), (4.0, 7.0),
                    _bands((0.7463, 0.1674, 0.0703, 0.0127, 0.0033), (0.01, 0.10, 0.18, 0.22, 0.26)), "constants"),
        GenreTarget("Drum & Bass", -7.0, -1.0, (3.0, 7.0), (2.0, 4.5),
                    _bands((0.7884, 0.1284, 0.0643, 0.0144, 0.0045), (0.01, 0.10, 0.20, 0.25, 0.28)), "constants"),
        GenreTarget("Dubstep", -6.5, -1.0, (3.0, 7.0), (2.0, 4.0),
                    _bands((0.8147, 0.1222, 0.0514, 0.0093, 0.0024), (0.01, 0.06, 0.12, 0.20, 0.26)), "constants"),
    )
}

# Abbreviations and synonyms only: spellings ("Drum&Bass", "drum 'n' bass", "hip hop", "Psy-Trance")
# match without an alias, because names are compared by api.services.genres.genre_key.
GENRE_ALIASES: dict[str, str] = {
    "psy": "Psytrance", "goa": "Psytrance",
    "dnb": "Drum & Bass", "d&b": "Drum & Bass",
    "rap": "Hip-Hop",
    "rnb": "R&B", "rhythm and blues": "R&B",
    "heavy metal": "Metal", "rock and roll": "Rock", "classic": "Classical",
    "deep house": "House", "tech house": "House", "brostep": "Dubstep",
}

# ---------------------------------------------------------------------------
# Destinations (SPEC §8): what each place does to a master's level.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """A playback destination's loudness rule."""

    name: str
    reference_lufs: float | None
    """Loudness it normalises to (None: no normalisation)."""
    turns_up: bool
    """Whether quieter masters are turned up (never past a −1 dBTP peak)."""
    published: str
    """Where the rule comes from: the service's own words where it published them, else who measured or reported it."""


# Only Spotify documents its rule in full; for the others the level and whether quiet
# masters are raised come from measurements and reports by others, and say so.
DESTINATIONS: tuple[Destination, ...] = (
    Destination("Spotify", -14.0, True,
                "Spotify for Artists, 'Loudness normalization': −14 LUFS (ITU-R BS.1770) by default; quieter tracks are raised only as far as 1 dB of true-peak headroom allows (a limiter only in the optional 'Loud' −11 LUFS setting); keep the true peak below −1 dBTP, below −2 dBTP for masters louder than −14 LUFS"),
    Destination("Apple Music", -16.0, True,
                "Apple publishes no Sound Check level; −16 LUFS is the level reported by Production Expert (2022) and measured by Meterplugs (2016); raising quiet tracks only as far as a −1 dBTP peak allows is assumed, as on Spotify"),
    Destination("YouTube", -14.0, False,
                "YouTube publishes no level; −14 LUFS, louder uploads turned down and quieter ones left as they are, is what the player's 'Stats for nerds' (content loudness) shows"),
    Destination("Tidal", -14.0, False,
                "TIDAL, as told to Meterplugs (2016): −14 LUFS (ITU-R BS.1770), quieter music is not raised; album normalisation by default, after Eelco Grimm's loudness study of 4.2 million albums for TIDAL"),
    Destination("Amazon Music", -14.0, False,
                "Amazon publishes no level; −14 LUFS is a third-party measurement, and whether quiet tracks are raised is not documented (previewed as not raised)"),
    Destination("Deezer", -15.0, False,
                "Deezer publishes no level; −15 LUFS is the level reported by Production Expert (2022), and whether quiet tracks are raised is not documented (previewed as not raised)"),
    Destination("Club / DJ", None, False,
                "No normalisation: DJ software and club systems play the file as it is"),
)
DESTINATION_PEAK_LIMIT_DBTP = -1.0
"""Lossy encoders (AAC, Ogg, Opus) overshoot: above this true peak the decoded file may clip."""
