"""Fixed vocabulary of the product: bands, levels, stages (SPEC §4, §5)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum


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

DEFAULT_RECOMMENDATION_LEVEL = "suggestive"
"""A ``Level`` (api.services.recommend.model), the closed set of levels."""
DEFAULT_STAGE = "master"
"""A ``Stage`` (api.services.recommend.model), the closed set of stages."""

# ---------------------------------------------------------------------------
# Genres and their targets (SPEC §5). Targets are measured on the real reference corpus
# (api.services.corpus); here are the vocabulary and the policies they follow. Case, spacing,
# hyphens and the spelling of "and" ("&", "'n'") do not matter when names are matched
# (api.services.genres.genre_key); the aliases below also match.
# ---------------------------------------------------------------------------


class Family(StrEnum):
    """Families of genres: a genre with few real references borrows its spreads from its family (SPEC §5)."""

    ELECTRONIC = "electronic"
    BAND = "band"
    ACOUSTIC = "acoustic"


MIN_SHAPE_TOLERANCE_DB = 4.0
"""Narrowest tolerance of a band's shape deviation: released masters of one style differ by ±3–5 dB per band."""
MIN_LOUDNESS_TOLERANCE_LU = 1.0
MIN_STEREO_TOLERANCE = 0.08
"""Narrowest tolerance of a band's stereo width and phase correlation."""


@dataclass(frozen=True)
class BandTarget:
    """Target of one band (SPEC §5).

    ``energy_ratio`` is the genre's median share of 20 Hz–20 kHz power; the band's
    deviation is its shape (``api.services.deviation``), and ``spread_db`` is the
    tolerance of that shape deviation, dB (the real spread, at least
    ``MIN_SHAPE_TOLERANCE_DB``). Width and correlation are medians with their own
    tolerances (at least ``MIN_STEREO_TOLERANCE``).
    """

    energy_ratio: float
    spread_db: float
    stereo_width: float
    phase_correlation: float
    width_tolerance: float = MIN_STEREO_TOLERANCE
    correlation_tolerance: float = MIN_STEREO_TOLERANCE


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
    loudness_lufs: tuple[float, float] | None = None
    """Integrated loudness of the genre's masters, 10th … 90th percentile, LUFS (None: the median ± tolerance)."""
    loudness_tolerance_lu: float = MIN_LOUDNESS_TOLERANCE_LU
    """Tolerance of the integrated loudness around its range, LU (the real spread, at least 1 LU)."""
    family: Family | None = None
    track_count: int = 0
    """Real references of the genre itself behind the target (0: documented constants or family only)."""

    @property
    def loudness_range_lufs(self) -> tuple[float, float]:
        """Where a finished master of the genre sits, low … high, LUFS: the 10th–90th percentile, at least the
        median ± the loudness tolerance."""
        tol = self.loudness_tolerance_lu
        low, high = self.loudness_lufs or (self.integrated_lufs, self.integrated_lufs)
        return (min(low, self.integrated_lufs - tol), max(high, self.integrated_lufs + tol))

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
"""(f_lo Hz, knee Hz, slope dB/oct) of the long-term-spectrum model that centres the feature vector's spectral
dimensions (``ml.feature_extraction``, feature version 2). Genre targets no longer use this model: they are
measured on the real corpus."""


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


# Abbreviations and synonyms only: spellings ("Drum&Bass", "drum 'n' bass", "hip hop", "Psy-Trance")
# match without an alias, because names are compared by api.services.genres.genre_key.
GENRE_ALIASES: dict[str, str] = {
    "psy": "Psytrance",
    "goa": "Psytrance",
    "dnb": "Drum & Bass",
    "d&b": "Drum & Bass",
    "rap": "Hip-Hop",
    "rnb": "R&B",
    "rhythm and blues": "R&B",
    "heavy metal": "Metal",
    "rock and roll": "Rock",
    "classic": "Classical",
    "deep house": "House",
    "tech house": "House",
    "brostep": "Dubstep",
}

GENRE_FAMILY: dict[str, Family] = {
    "Psytrance": Family.ELECTRONIC,
    "Trance": Family.ELECTRONIC,
    "Techno": Family.ELECTRONIC,
    "House": Family.ELECTRONIC,
    "Drum & Bass": Family.ELECTRONIC,
    "Dubstep": Family.ELECTRONIC,
    "Hip-Hop": Family.ELECTRONIC,
    "Ambient": Family.ELECTRONIC,
    "Pop": Family.BAND,
    "Rock": Family.BAND,
    "Metal": Family.BAND,
    "R&B": Family.BAND,
    "Country": Family.BAND,
    "Jazz": Family.ACOUSTIC,
    "Classical": Family.ACOUSTIC,
    "Folk": Family.ACOUSTIC,
    "Electronic": Family.ELECTRONIC,
    "Orchestral": Family.ACOUSTIC,
}
"""The family each genre borrows its spreads from when it has fewer than 8 real references (SPEC §5)."""

TRUE_PEAK_CEILING_DBTP = -1.0
"""The ceiling policy, every genre: −1 dBTP leaves lossy encoders and sample-rate converters the headroom they need
(AES TD1004.1.15-10; Spotify for Artists asks for −1 dBTP, and −2 dBTP for masters louder than −14 LUFS, which the
always-flagged true-peak check applies)."""


@dataclass(frozen=True)
class DocumentedLoudness:
    """Integrated loudness of a genre the corpus cannot fill, from published measurements of released masters."""

    integrated_lufs: float
    """Median, LUFS."""
    loudness_lufs: tuple[float, float]
    """10th … 90th percentile, LUFS."""
    basis: str


_CLUB = DocumentedLoudness(
    -8.0,
    (-10.0, -6.5),
    "dance and electronic releases measure about −8 LUFS integrated, drops −6 … −7 LUFS short-term (iZotope, 'A "
    "LUFS and tonal analysis of 10 top-charting dance and electronic songs', 2025; Flume, 'Skin', −7.9 LUFS album "
    "mean, measured on r/edmproduction, 2017)",
)
_CHART = DocumentedLoudness(
    -8.3,
    (-10.0, -7.0),
    "commercial chart releases measure about −8.3 LUFS ±1 LU integrated (iZotope's LUFS and tonal analyses of "
    "Billboard chart songs, 2024–2025)",
)
DOCUMENTED_LOUDNESS: dict[str, DocumentedLoudness] = {
    "Psytrance": _CLUB,
    "Trance": _CLUB,
    "Techno": _CLUB,
    "House": _CLUB,
    "Drum & Bass": _CLUB,
    "Dubstep": _CLUB,
    "Pop": _CHART,
    "Hip-Hop": _CHART,
    "R&B": _CHART,
    "Country": _CHART,
    "Metal": _CHART,
}
"""Loudness of the genres with too few corpus tracks for their own centres (``api.services.corpus``): their other
figures — tonal balance, stereo image, LRA, DR, PLR — are measured on their family's corpus tracks mastered at that
loudness, their spreads on the whole family. Genres not listed here (Jazz, Folk, …) take everything from their
family."""


GENRE_TEMPO_BPM: dict[str, tuple[float, float]] = {
    "Psytrance": (136.0, 150.0),
    "Trance": (128.0, 145.0),
    "Techno": (120.0, 150.0),
    "House": (115.0, 132.0),
    "Drum & Bass": (160.0, 180.0),
    "Dubstep": (135.0, 150.0),
}
"""Documented tempo range of beat-driven genres, BPM: the octave of ``tempo_bpm`` the JSON reports for an analysis
with that genre (SPEC §4). Dubstep is counted at its 140 BPM grid, not its half-time feel."""


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
    Destination(
        "Spotify",
        -14.0,
        True,
        "Spotify for Artists, 'Loudness normalization': −14 LUFS (ITU-R BS.1770) by default; quieter tracks are raised only as far as 1 dB of true-peak headroom allows (a limiter only in the optional 'Loud' −11 LUFS setting); keep the true peak below −1 dBTP, below −2 dBTP for masters louder than −14 LUFS",
        "Vorbis",
        320,
        "Spotify Support, 'Audio quality': the app streams Ogg Vorbis, 'Very high' ≈ 320 kbit/s (Premium; the web player streams AAC 256 kbit/s)",
    ),
    Destination(
        "Apple Music",
        -16.0,
        True,
        "Apple publishes no Sound Check level; −16 LUFS is the level reported by Production Expert (2022) and measured by Meterplugs (2016); raising quiet tracks only as far as a −1 dBTP peak allows is assumed, as on Spotify",
        "AAC",
        256,
        "Apple, 'Apple Digital Masters' (2019): the catalogue streams as 256 kbit/s AAC (lossless ALAC is opt-in)",
    ),
    Destination(
        "YouTube",
        -14.0,
        False,
        "YouTube publishes no level; −14 LUFS, louder uploads turned down and quieter ones left as they are, is what the player's 'Stats for nerds' (content loudness) shows",
        "Opus",
        160,
        "YouTube publishes no codec; the formats its player lists ('Stats for nerds', format 251) are Opus at about 160 kbit/s in WebM, and AAC 128 kbit/s (format 140) where Opus is not played",
    ),
    Destination(
        "Tidal",
        -14.0,
        False,
        "TIDAL, as told to Meterplugs (2016): −14 LUFS (ITU-R BS.1770), quieter music is not raised; album normalisation by default, after Eelco Grimm's loudness study of 4.2 million albums for TIDAL",
        None,
        None,
        "TIDAL Support, 'Audio quality': every plan streams lossless FLAC ('High' 16-bit/44.1 kHz, 'Max' up to 24-bit/192 kHz); the 320 kbit/s AAC 'Low' setting is a data saver, so no codec is previewed",
    ),
    Destination(
        "Amazon Music",
        -14.0,
        False,
        "Amazon publishes no level; −14 LUFS is a third-party measurement, and whether quiet tracks are raised is not documented (previewed as not raised)",
        "MP3",
        320,
        "Amazon Music Help, 'Audio quality': Standard Definition streams 'up to 320 kbit/s' without naming the codec; previewed as MP3 320 kbit/s, the store's download format",
    ),
    Destination(
        "Deezer",
        -15.0,
        False,
        "Deezer publishes no level; −15 LUFS is the level reported by Production Expert (2022), and whether quiet tracks are raised is not documented (previewed as not raised)",
        "MP3",
        320,
        "Deezer Support, 'Audio quality': 'High Quality' streams MP3 at 320 kbit/s (FLAC for the lossless tier)",
    ),
    Destination("Club / DJ", None, False, "No normalisation: DJ software and club systems play the file as it is"),
)
DESTINATION_PEAK_LIMIT_DBTP = -1.0
"""Lossy encoders (AAC, Ogg, Opus) overshoot: above this true peak the decoded file may clip."""
