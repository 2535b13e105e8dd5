"""Fixed vocabulary of the product: bands, levels, stages (SPEC §4, §5)."""

from __future__ import annotations

import itertools
import math
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


PLR_HALF_RANGE_DB = 1.0


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
    measured_plr_db: tuple[float, float] | None = None
    """Peak-to-loudness ratio range of the genre's references, dB, when it has references."""

    @property
    def plr_db(self) -> tuple[float, float]:
        """Typical peak-to-loudness ratio (true peak − integrated), low … high, dB: the references' range,
        else the true-peak ceiling minus the target loudness ±1 dB (a master at the target peaking at the ceiling)."""
        if self.measured_plr_db is not None:
            return self.measured_plr_db
        centre = self.true_peak_ceiling_dbtp - self.integrated_lufs
        return (centre - PLR_HALF_RANGE_DB, centre + PLR_HALF_RANGE_DB)


LTAS_LOW_SLOPE_DB_PER_OCT = 12.0
"""Fall of the model spectrum below its lower corner ``f_lo``."""
LTAS_AIR_HZ = 12000.0
LTAS_AIR_SLOPE_DB_PER_OCT = 6.0
"""Extra fall above ``LTAS_AIR_HZ`` (air roll-off)."""


def ltas_level_db(freq_hz: float, f_lo_hz: float, f_knee_hz: float, slope_db_per_oct: float) -> float:
    """Power per octave of the long-term-spectrum model at ``freq_hz``, dB relative to its plateau."""
    db = -LTAS_LOW_SLOPE_DB_PER_OCT * max(0.0, math.log2(f_lo_hz / freq_hz))
    db -= slope_db_per_oct * max(0.0, math.log2(freq_hz / f_knee_hz))
    return db - LTAS_AIR_SLOPE_DB_PER_OCT * max(0.0, math.log2(freq_hz / LTAS_AIR_HZ))


TYPICAL_MASTER_LTAS: tuple[float, float, float] = (40.0, 120.0, 3.5)
"""(f_lo Hz, knee Hz, slope dB/oct) of a typical finished master: the middle of the genres' models below."""


def ltas_band_shares(f_lo_hz: float, f_knee_hz: float, slope_db_per_oct: float) -> tuple[float, ...]:
    """Band energy shares (20 Hz–20 kHz, the five bands) of a long-term average spectrum model.

    Power per octave is flat from ``f_lo_hz`` to ``f_knee_hz``, falls 12 dB/oct below
    ``f_lo_hz``, ``slope_db_per_oct`` above ``f_knee_hz`` and 6 dB/oct more above 12 kHz. The
    level is linear in log2 f between breakpoints, so each piece integrates exactly.
    """

    def level_db(octave: float) -> float:
        return ltas_level_db(2.0**octave, f_lo_hz, f_knee_hz, slope_db_per_oct)

    def power(lo_hz: float, hi_hz: float) -> float:
        points = sorted({lo_hz, hi_hz, *(f for f in (f_lo_hz, f_knee_hz, LTAS_AIR_HZ) if lo_hz < f < hi_hz)})
        total = 0.0
        for a, b in itertools.pairwise(points):
            oa, ob = math.log2(a), math.log2(b)
            la, lb = level_db(oa), level_db(ob)
            slope = (lb - la) / (ob - oa)  # dB per octave on this piece
            k = slope * math.log(10.0) / 10.0
            pa, pb = 10.0 ** (la / 10.0), 10.0 ** (lb / 10.0)
            total += (pb - pa) / k if abs(k) > 1e-12 else pa * (ob - oa)
        return total

    parts = [power(b.low_hz, b.high_hz) for b in BANDS]
    return tuple(p / sum(parts) for p in parts)


def _bands(ratios: tuple[float, ...], widths: tuple[float, ...], spread_db: float = 2.0) -> dict:
    corr = tuple(max(-1.0, min(1.0, 1.0 - 2.0 * w)) for w in widths)  # correlation of a mid/side mix with no L/R imbalance
    return {
        name: BandTarget(energy_ratio=r, spread_db=spread_db, stereo_width=w, phase_correlation=c)
        for name, r, w, c in zip(BAND_NAMES, ratios, widths, corr, strict=True)
    }


# Documented starting points for genres without references. Integrated loudness and
# true-peak ceilings follow common mastering practice for streaming-era releases (loud
# genres near −8 … −10 LUFS, acoustic genres −14 … −20 LUFS with more LRA). Band energy
# shares come from the same long-term-spectrum model as the reference genres below
# (``ltas_band_shares``: f_lo, knee, slope above the knee): bass-heavy styles with an
# early knee and a steep slope (Hip-Hop, R&B), guitar styles brighter (Rock 2.5, Metal
# 2.0 dB/oct), acoustic styles with little sub-bass and a late knee (Jazz, Folk, and
# Classical, whose long-term spectrum peaks in the low mids). Their spread is 3 dB, wider
# than the reference genres' 2 dB: a model of a whole style, not a measurement. DR ranges
# follow from loudness as explained below for the reference genres (acoustic genres have
# their loudest fifth 2–4 LU above the integrated loudness and peaks near −1 dBFS). Each
# genre can be replaced by adding references of it with ``scripts.analyze_reference``.
_CONSTANT_SPREAD_DB = 3.0
CONSTANT_GENRE_TARGETS: dict[str, GenreTarget] = {
    t.genre: t
    for t in (
        GenreTarget("Pop", -9.0, -1.0, (4.0, 8.0), (4.0, 7.0),
                    _bands(ltas_band_shares(40, 120, 3.0), (0.02, 0.10, 0.15, 0.20, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Rock", -9.0, -1.0, (4.0, 9.0), (4.5, 7.5),
                    _bands(ltas_band_shares(50, 120, 2.5), (0.02, 0.12, 0.18, 0.22, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Metal", -8.0, -1.0, (3.0, 7.0), (3.5, 6.5),
                    _bands(ltas_band_shares(50, 150, 2.0), (0.02, 0.15, 0.22, 0.25, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Hip-Hop", -8.5, -1.0, (4.0, 8.0), (3.0, 6.0),
                    _bands(ltas_band_shares(30, 100, 3.5), (0.01, 0.08, 0.12, 0.18, 0.22), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("R&B", -10.0, -1.0, (5.0, 9.0), (4.5, 7.5),
                    _bands(ltas_band_shares(35, 110, 3.25), (0.02, 0.10, 0.15, 0.20, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Jazz", -16.0, -1.0, (7.0, 14.0), (9.0, 14.0),
                    _bands(ltas_band_shares(50, 200, 3.0), (0.05, 0.15, 0.20, 0.22, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Classical", -20.0, -1.0, (10.0, 20.0), (11.0, 18.0),
                    _bands(ltas_band_shares(60, 400, 4.5), (0.10, 0.20, 0.22, 0.25, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Ambient", -16.0, -1.0, (5.0, 12.0), (8.0, 13.0),
                    _bands(ltas_band_shares(35, 150, 3.5), (0.10, 0.20, 0.25, 0.28, 0.30), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Country", -10.0, -1.0, (5.0, 9.0), (5.0, 8.0),
                    _bands(ltas_band_shares(50, 150, 2.75), (0.02, 0.12, 0.18, 0.22, 0.25), _CONSTANT_SPREAD_DB), "constants"),
        GenreTarget("Folk", -14.0, -1.0, (6.0, 11.0), (8.0, 12.0),
                    _bands(ltas_band_shares(70, 250, 3.0), (0.04, 0.15, 0.20, 0.22, 0.25), _CONSTANT_SPREAD_DB), "constants"),
    )
}

# Fallbacks for the six reference genres, used only while no reference of the genre
# is stored (before ``populate_references``); with references, targets are derived
# from them (api/services/targets.py). The synthesiser's mastering chain drives the
# built-in references to these band shares and widths (synth/master.py), so the
# derived targets land on them too.
#
# Band energy shares come from a long-term average spectrum (LTAS) model of club
# masters (``ltas_band_shares``), integrated over 20 Hz–20 kHz and split at the band edges:
# power per octave is flat from f_lo to a knee f_k (kick and bass), falls 12 dB per
# octave below f_lo, s dB per octave above f_k, and a further 6 dB per octave above
# 12 kHz (air roll-off). The basis: the LTAS of popular music falls with frequency
# above its bass maximum (Elowsson & Friberg, "Long-term average spectrum in popular
# music and its relation to the level of the percussion", JASA 2017); club music is
# flat per octave over the kick and bass range and falls about 3–5 dB per octave
# above it (the feature vector's typical master, TYPICAL_MASTER_LTAS above, takes
# 3.5 dB/oct). A check on the low end: such spectra read LC − LA ≈ 8–10 dB, where
# the reference spectrum for disco music of the Swiss guidance "Anleitung für Lärmmessungen und -beurteilungen von Diskotheken und
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
                    _bands(ltas_band_shares(40, 150, 3.25), (0.01, 0.08, 0.20, 0.28, 0.32)), "constants"),
        GenreTarget("Trance", -8.0, -1.0, (4.0, 8.0), (3.0, 6.0),
                    _bands(ltas_band_shares(40, 120, 3.0), (0.01, 0.14, 0.28, 0.32, 0.34)), "constants"),
        GenreTarget("Techno", -8.0, -1.0, (3.0, 7.0), (2.5, 5.5),
                    _bands(ltas_band_shares(40, 120, 4.0), (0.01, 0.06, 0.12, 0.18, 0.22)), "constants"),
        GenreTarget("House", -9.0, -1.0, (4.0, 8.0), (4.0, 7.0),
                    _bands(ltas_band_shares(40, 150, 3.5), (0.01, 0.10, 0.18, 0.22, 0.26)), "constants"),
        GenreTarget("Drum & Bass", -7.0, -1.0, (3.0, 7.0), (2.0, 4.5),
                    _bands(ltas_band_shares(32, 100, 3.0), (0.01, 0.10, 0.20, 0.25, 0.28)), "constants"),
        GenreTarget("Dubstep", -6.5, -1.0, (3.0, 7.0), (2.0, 4.0),
                    _bands(ltas_band_shares(32, 110, 3.5), (0.01, 0.06, 0.12, 0.20, 0.26)), "constants"),
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
    codec: str | None = None
    """The lossy codec it streams ('AAC', 'Opus', 'MP3', 'Vorbis'; :class:`analysis.codec_preview.Codec`), None
    when it streams lossless audio or plays the file itself."""
    bitrate_kbps: int | None = None
    """That codec's bit rate, kbit/s."""
    codec_published: str = ""
    """Where the codec and bit rate come from."""


# Only Spotify documents its rule in full; for the others the level and whether quiet
# masters are raised come from measurements and reports by others, and say so.
DESTINATIONS: tuple[Destination, ...] = (
    Destination("Spotify", -14.0, True,
                "Spotify for Artists, 'Loudness normalization': −14 LUFS (ITU-R BS.1770) by default; quieter tracks are raised only as far as 1 dB of true-peak headroom allows (a limiter only in the optional 'Loud' −11 LUFS setting); keep the true peak below −1 dBTP, below −2 dBTP for masters louder than −14 LUFS",
                "Vorbis", 320,
                "Spotify Support, 'Audio quality': the app streams Ogg Vorbis, 'Very high' ≈ 320 kbit/s (Premium; the web player streams AAC 256 kbit/s)"),
    Destination("Apple Music", -16.0, True,
                "Apple publishes no Sound Check level; −16 LUFS is the level reported by Production Expert (2022) and measured by Meterplugs (2016); raising quiet tracks only as far as a −1 dBTP peak allows is assumed, as on Spotify",
                "AAC", 256,
                "Apple, 'Apple Digital Masters' (2019): the catalogue streams as 256 kbit/s AAC (lossless ALAC is opt-in)"),
    Destination("YouTube", -14.0, False,
                "YouTube publishes no level; −14 LUFS, louder uploads turned down and quieter ones left as they are, is what the player's 'Stats for nerds' (content loudness) shows",
                "Opus", 160,
                "YouTube publishes no codec; the formats its player lists ('Stats for nerds', format 251) are Opus at about 160 kbit/s in WebM, and AAC 128 kbit/s (format 140) where Opus is not played"),
    Destination("Tidal", -14.0, False,
                "TIDAL, as told to Meterplugs (2016): −14 LUFS (ITU-R BS.1770), quieter music is not raised; album normalisation by default, after Eelco Grimm's loudness study of 4.2 million albums for TIDAL",
                None, None,
                "TIDAL Support, 'Audio quality': every plan streams lossless FLAC ('High' 16-bit/44.1 kHz, 'Max' up to 24-bit/192 kHz); the 320 kbit/s AAC 'Low' setting is a data saver, so no codec is previewed"),
    Destination("Amazon Music", -14.0, False,
                "Amazon publishes no level; −14 LUFS is a third-party measurement, and whether quiet tracks are raised is not documented (previewed as not raised)",
                "MP3", 320,
                "Amazon Music Help, 'Audio quality': Standard Definition streams 'up to 320 kbit/s' without naming the codec; previewed as MP3 320 kbit/s, the store's download format"),
    Destination("Deezer", -15.0, False,
                "Deezer publishes no level; −15 LUFS is the level reported by Production Expert (2022), and whether quiet tracks are raised is not documented (previewed as not raised)",
                "MP3", 320,
                "Deezer Support, 'Audio quality': 'High Quality' streams MP3 at 320 kbit/s (FLAC for the lossless tier)"),
    Destination("Club / DJ", None, False,
                "No normalisation: DJ software and club systems play the file as it is"),
)
DESTINATION_PEAK_LIMIT_DBTP = -1.0
"""Lossy encoders (AAC, Ogg, Opus) overshoot: above this true peak the decoded file may clip."""
