"""The album view (SPEC §8 "Album"): how a set of tracks, played in a row, sits together.

Pure functions over the engine's per-track figures and series; nothing here decodes audio.

* **Album loudness** is BS.1770-4 gating (§2.8, eqs. 4–6) over the 400 ms gating blocks of every
  track pooled, as if the tracks were played in a row. Each track's ``momentary_lufs`` series *is*
  its gating blocks (400 ms every 100 ms, 75 % overlap), so the blocks' mean squares are recovered
  exactly by inverting eq. 2. The three blocks that straddle each junction are not in any track's
  series: each is estimated from the last block before the junction and the first after it, weighted by
  how much of each track it holds (:func:`pooled_windows`). The album loudness range pools the 3 s
  short-term windows the same way (Tech 3342), 29 estimated windows per junction.
* **Album true peak** is the highest track true peak.
* **Album DR** follows the Pleasurize Music Foundation's TT DR Offline Meter, as its open
  re-implementation DR14 T.meter (github.com/simon-r/dr14_t.meter, ``compute_dr14`` and the folder
  scan) writes it under "Official DR value": each track's DR is first rounded to an integer
  (``dr_value``, "DR8"), the album value is the mean of those integers, rounded again.
* **Tonal balance against the album** is the SPEC §5 shape deviation (:mod:`api.services.deviation`)
  with the album as target: ``d = 10·log10(share / album share)`` per band minus the median of the
  ``d``, where the album share is the mean of the tracks' energy shares (each track counts once,
  whatever its length); a band inaudible in the track (SPEC §4) reads null and is left out.
* **Outliers**: a track whose loudness is more than :data:`LOUDNESS_TOLERANCE_LU` from the album's,
  or one of whose bands deviates by more than :data:`TONAL_TOLERANCE_DB` from the album's shape, is
  named with the reason.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from amt.analysis.audibility import inaudible_bands
from amt.analysis.loudness import (
    LOUDNESS_OFFSET_LKFS,
    SHORT_TERM_SEGMENTS,
    T_g_segments,
    integrated_loudness,
    loudness_range,
)
from amt.analysis.result import AnalysisResult
from amt.api.services.deviation import shape_deviations
from amt.config.constants import BAND_NAMES
from amt.utils.errors import ValidationError

LOUDNESS_TOLERANCE_LU = 3.0
"""A track further than this from the album loudness is named an outlier, LU. The same 3 LU SPEC §5
always flags between a master and its target: quieter interludes and ballads usually sit within it."""
TONAL_TOLERANCE_DB = 4.0
"""A band whose shape deviation from the album's mean exceeds this is named, dB: SPEC §5's floor for a
band-shape tolerance (released masters of one style differ by ±3–5 dB per band)."""
MIN_TRACKS = 2
"""An album needs at least two tracks."""


@dataclass(frozen=True)
class AlbumTrackInput:
    """One track's figures, as the engine (or the database) holds them.

    ``momentary_lufs``: 400 ms loudness every 100 ms, LUFS (None when silent or incomplete);
    ``short_term_lufs``: 3 s loudness every 100 ms, LUFS; ``energy_ratios``: band name → share of
    20 Hz–20 kHz power (None above Nyquist); ``band_levels_db``: band name → ``rms_db`` (dBFS, what
    decides that a band is inaudible); ``spectrum_db``: the 1/6-octave long-term spectrum, dB.
    """

    name: str
    duration_s: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    dr_value: int | None
    momentary_lufs: Sequence[float | None]
    short_term_lufs: Sequence[float | None]
    energy_ratios: Mapping[str, float | None]
    band_levels_db: Mapping[str, float | None]
    spectrum_db: Sequence[float | None] = ()
    id: str | None = None


@dataclass(frozen=True)
class AlbumTrack:
    """One track seen against its album. Offsets and deviations in LU / dB; None when undefined."""

    position: int
    """1-based place in the running order."""
    name: str
    id: str | None
    duration_s: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    dr_value: int | None
    loudness_offset_lu: float | None
    """Track loudness minus album loudness."""
    energy_ratios: dict[str, float | None]
    tonal_deviation_db: dict[str, float | None]
    """Per band, the SPEC §5 shape deviation from the album's mean shares (null for an inaudible band)."""
    max_tonal_deviation_db: float | None
    """The largest |deviation| over the bands."""
    outlier: bool
    reasons: list[str]
    spectrum_db: list[float | None]


@dataclass(frozen=True)
class AlbumSummary:
    """The album's own figures (LUFS, LU, dBTP, dB)."""

    tracks: int
    duration_s: float
    integrated_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    dynamic_range_db: float | None
    """Mean of the tracks' integer DR values."""
    dr_value: int | None
    """That mean rounded half-to-even: the meters' "Official DR value"."""
    loudness_spread_lu: float | None
    """Loudest minus quietest track loudness."""
    loudness_sd_lu: float | None
    """Population standard deviation of the track loudness values."""
    energy_ratios: dict[str, float | None]
    """The album's mean share per band (what each track's tonal balance is measured against)."""
    loudness_tolerance_lu: float
    tonal_tolerance_db: float
    outliers: list[str]
    """Names of the outlying tracks, in running order."""
    spectrum_freqs_hz: list[float]
    """Centres of the 1/6-octave bins of the tracks' ``spectrum_db``, Hz."""


@dataclass(frozen=True)
class Album:
    """The album summary and its tracks in running order."""

    album: AlbumSummary
    tracks: list[AlbumTrack]


def lufs_to_power(values: Sequence[float | None]) -> np.ndarray:
    """Mean squares of windows from their loudness (BS.1770-4 eq. 2 inverted); None → 0 (gated out)."""
    out = np.zeros(len(values))
    for i, value in enumerate(values):
        if value is not None:
            out[i] = 10.0 ** ((value - LOUDNESS_OFFSET_LKFS) / 10.0)
    return out


def pooled_windows(tracks: Sequence[np.ndarray], segments: int) -> np.ndarray:
    """The mean squares of every window of ``segments`` 100 ms segments over the tracks played in a row.

    ``tracks`` holds each track's window series (entry k ends at segment k + 1; the first ``segments − 1``
    entries, incomplete windows, are 0). Windows inside a track are its own; the ``segments − 1`` windows
    straddling each junction hold j segments of the next track and ``segments − j`` of this one, and are
    estimated as the same mix of the last full window before the junction and the first one after it —
    exact when the audio is steady across the junction's edges.
    """
    parts: list[np.ndarray] = []
    for i, powers in enumerate(tracks):
        own = powers[segments - 1 :]
        parts.append(own)
        if i + 1 < len(tracks) and own.size and tracks[i + 1].size >= segments:
            before, after = own[-1], tracks[i + 1][segments - 1]
            j = np.arange(1, segments)
            parts.append(((segments - j) * before + j * after) / segments)
    return np.concatenate(parts) if parts else np.zeros(0)


def album_dr(dr_values: Sequence[int | None]) -> tuple[float | None, int | None]:
    """(mean, rounded) of the tracks' integer DR values, the DR meters' album rule; None without any."""
    known = [v for v in dr_values if v is not None]
    if not known:
        return None, None
    mean = sum(known) / len(known)
    return mean, round(mean)


def _mean_shares(tracks: Sequence[AlbumTrackInput]) -> dict[str, float | None]:
    shares: dict[str, float | None] = {}
    for band in BAND_NAMES:
        values = [t.energy_ratios.get(band) for t in tracks]
        known = [v for v in values if v is not None]
        shares[band] = sum(known) / len(known) if known else None
    return shares


def _reasons(offset: float | None, deviation: Mapping[str, float | None]) -> list[str]:
    reasons: list[str] = []
    if offset is not None and abs(offset) > LOUDNESS_TOLERANCE_LU:
        side = "louder" if offset > 0 else "quieter"
        reasons.append(f"{abs(offset):.1f} LU {side} than the album (tolerance {LOUDNESS_TOLERANCE_LU:.0f} LU)")
    for band, value in deviation.items():
        if value is not None and abs(value) > TONAL_TOLERANCE_DB:
            side = "more" if value > 0 else "less"
            reasons.append(
                f"{band} band {abs(value):.1f} dB {side} than the album's balance "
                f"(tolerance {TONAL_TOLERANCE_DB:.0f} dB)"
            )
    return reasons


def summarize_album(tracks: Sequence[AlbumTrackInput], *, spectrum_freqs_hz: Sequence[float] = ()) -> Album:
    """The album view of ``tracks`` in running order (at least :data:`MIN_TRACKS`); ``spectrum_freqs_hz``: the
    bin centres of the tracks' spectra (Hz), passed through for plots."""
    if len(tracks) < MIN_TRACKS:
        raise ValidationError(f"An album needs at least {MIN_TRACKS} tracks; {len(tracks)} given.")
    blocks = pooled_windows([lufs_to_power(t.momentary_lufs) for t in tracks], T_g_segments)
    windows = pooled_windows([lufs_to_power(t.short_term_lufs) for t in tracks], SHORT_TERM_SEGMENTS)
    album_lufs = integrated_loudness(blocks)
    peaks = [t.true_peak_dbtp for t in tracks if t.true_peak_dbtp is not None]
    dr_mean, dr_rounded = album_dr([t.dr_value for t in tracks])
    loudness = [t.integrated_lufs for t in tracks if t.integrated_lufs is not None]
    mean_shares = _mean_shares(tracks)
    album_shares = {b: v for b, v in mean_shares.items() if v is not None}

    rows: list[AlbumTrack] = []
    for position, t in enumerate(tracks, start=1):
        offset = None if t.integrated_lufs is None or album_lufs is None else t.integrated_lufs - album_lufs
        quiet = inaudible_bands({b: t.band_levels_db.get(b) for b in BAND_NAMES})
        deviation = shape_deviations(t.energy_ratios, album_shares, inaudible=quiet)
        deviation = {b: deviation.get(b) for b in BAND_NAMES}
        judged = [abs(v) for v in deviation.values() if v is not None]
        reasons = _reasons(offset, deviation)
        rows.append(
            AlbumTrack(
                position=position,
                name=t.name,
                id=t.id,
                duration_s=t.duration_s,
                integrated_lufs=t.integrated_lufs,
                true_peak_dbtp=t.true_peak_dbtp,
                dr_value=t.dr_value,
                loudness_offset_lu=offset,
                energy_ratios={b: t.energy_ratios.get(b) for b in BAND_NAMES},
                tonal_deviation_db=deviation,
                max_tonal_deviation_db=max(judged) if judged else None,
                outlier=bool(reasons),
                reasons=reasons,
                spectrum_db=list(t.spectrum_db),
            )
        )
    summary = AlbumSummary(
        tracks=len(tracks),
        duration_s=sum(t.duration_s for t in tracks),
        integrated_lufs=album_lufs,
        loudness_range_lu=loudness_range(windows),
        true_peak_dbtp=max(peaks) if peaks else None,
        dynamic_range_db=dr_mean,
        dr_value=dr_rounded,
        loudness_spread_lu=max(loudness) - min(loudness) if loudness else None,
        loudness_sd_lu=statistics.pstdev(loudness) if loudness else None,
        energy_ratios=mean_shares,
        loudness_tolerance_lu=LOUDNESS_TOLERANCE_LU,
        tonal_tolerance_db=TONAL_TOLERANCE_DB,
        outliers=[r.name for r in rows if r.outlier],
        spectrum_freqs_hz=list(spectrum_freqs_hz),
    )
    return Album(album=summary, tracks=rows)


def track_input(result: AnalysisResult, name: str, *, id: str | None = None) -> AlbumTrackInput:
    """The album module's view of one engine result."""
    return AlbumTrackInput(
        name=name,
        id=id,
        duration_s=result.audio.duration_s,
        integrated_lufs=result.overall.integrated_lufs,
        true_peak_dbtp=result.overall.true_peak_dbtp,
        dr_value=result.overall.dr_value,
        momentary_lufs=result.series.momentary_lufs,
        short_term_lufs=result.series.short_term_lufs,
        energy_ratios={b.band: b.energy_ratio for b in result.bands},
        band_levels_db={b.band: b.rms_db for b in result.bands},
        spectrum_db=result.series.spectrum_db,
    )
