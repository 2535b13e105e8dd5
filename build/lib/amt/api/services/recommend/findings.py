"""Findings: each checked figure against its target, with its severity (SPEC §5 "Deviations"). Pure.

Rules are small functions on the engine's dataclasses (:mod:`analysis.result`). A
finding knows whether it is listed at ``informative`` (beyond 0.5 dB, 0.05 for width and
correlation), whether it is acted on at ``suggestive``/``prescriptive`` (beyond its
tolerance) and whether it is always flagged (true peak above the ceiling, clipping,
phase faults, loudness more than 3 LU outside the target's range at the master stage).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from amt.analysis.result import BandMetrics, OverallMetrics
from amt.api.services.deviation import inaudible_bands, shape_deviations
from amt.api.services.recommend.model import Metric, Severity, Stage, Where
from amt.config.constants import BANDS, GenreTarget

LISTED_DB = 0.5
"""Smallest band, loudness or dynamics deviation listed at ``informative``, dB (LU)."""
LISTED_STEREO = 0.05
"""Smallest width or correlation deviation listed at ``informative``."""
LOUDNESS_FLAG_LU = 3.0
"""Loudness further than this outside the target's range is always flagged, and critical."""
TRUE_PEAK_LIMIT_DBTP = -1.0
"""Ceiling without a genre: lossy encoding and sample-rate conversion may clip above it (AES TD1004, EBU R128 s1)."""
MIX_HEADROOM_DBFS = -3.0
"""Sample peak a mix should stay under to leave the mastering engineer headroom."""
NEGATIVE_CORRELATION_PCT = 5.0
"""More of the time than this with L/R correlation below 0 is a phase fault."""
CRITICAL_CLIP_EVENTS = 10


@dataclass(frozen=True)
class Finding:
    """One checked figure: the numbers of a SPEC §5 row, and how the levels treat it."""

    band: Where
    metric: Metric
    current: float | None
    target: float | None
    deviation: float | None
    tolerance: float | None
    severity: Severity
    listed: bool
    """Shown at ``informative``."""
    acts: bool
    """Beyond its tolerance (or always flagged): shown, and acted on, at ``suggestive`` and ``prescriptive``."""
    always: bool = False


def severity_of(deviation: float, tolerance: float) -> Severity:
    """``info`` within the tolerance, ``warning`` beyond it, ``critical`` beyond twice it."""
    if abs(deviation) > 2.0 * tolerance:
        return Severity.CRITICAL
    return Severity.WARNING if abs(deviation) > tolerance else Severity.INFO


def band_levels(bands: Sequence[BandMetrics]) -> dict[str, float | None]:
    """Each band's level (``rms_db``), dBFS."""
    return {b.band: b.rms_db for b in bands}


def silent_bands(bands: Sequence[BandMetrics], lowpass_hz: float | None) -> tuple[frozenset[str], frozenset[str]]:
    """(inaudible bands, bands reported but not advised on because a lossy codec's low-pass cuts into them)."""
    inaudible = inaudible_bands(band_levels(bands))
    if lowpass_hz is None:
        return inaudible, frozenset()
    return inaudible, frozenset(b.band for b in bands if b.freq_high_hz > lowpass_hz and b.band not in inaudible)


def tonal(
    bands: Sequence[BandMetrics], target: GenreTarget, inaudible: frozenset[str], unadvised: frozenset[str]
) -> list[Finding]:
    """Shape deviation of each audible band (dB) against the band's tolerance."""
    shares = {b.band: b.energy_ratio for b in bands}
    deviations = shape_deviations(shares, {n: t.energy_ratio for n, t in target.bands.items()}, inaudible=inaudible)
    out = []
    for b in bands:
        dev = deviations.get(b.band)
        if dev is None or b.band in inaudible:
            continue
        tol = target.bands[b.band].spread_db
        out.append(
            Finding(
                Where(b.band),
                Metric.ENERGY_RATIO,
                b.energy_ratio,
                target.bands[b.band].energy_ratio,
                dev,
                tol,
                severity_of(dev, tol),
                abs(dev) > LISTED_DB,
                abs(dev) > tol and b.band not in unadvised,
            )
        )
    return out


def stereo(bands: Sequence[BandMetrics], target: GenreTarget, inaudible: frozenset[str]) -> list[Finding]:
    """Width and correlation per audible band: style, so ``warning`` at most; a low band below 0 is a phase fault."""
    out = []
    for b in bands:
        if b.band in inaudible:
            continue
        bt = target.bands[b.band]
        if b.stereo_width is not None:
            dev = b.stereo_width - bt.stereo_width
            sev = Severity.WARNING if abs(dev) > bt.width_tolerance else Severity.INFO
            out.append(
                Finding(
                    Where(b.band),
                    Metric.STEREO_WIDTH,
                    b.stereo_width,
                    bt.stereo_width,
                    dev,
                    bt.width_tolerance,
                    sev,
                    abs(dev) > LISTED_STEREO,
                    abs(dev) > bt.width_tolerance,
                )
            )
        if b.phase_correlation is not None and not (b.band == "low" and b.phase_correlation < 0):
            dev = b.phase_correlation - bt.phase_correlation
            tol = bt.correlation_tolerance
            sev = Severity.WARNING if abs(dev) > tol else Severity.INFO
            out.append(
                Finding(
                    Where(b.band),
                    Metric.PHASE_CORRELATION,
                    b.phase_correlation,
                    bt.phase_correlation,
                    dev,
                    tol,
                    sev,
                    abs(dev) > LISTED_STEREO,
                    abs(dev) > tol,
                )
            )
    return out


def phase_faults(overall: OverallMetrics, bands: Sequence[BandMetrics], inaudible: frozenset[str]) -> list[Finding]:
    """Always flagged, critical: the low band out of phase, or L/R negatively correlated over 5 % of the time."""
    out = []
    low = next((b for b in bands if b.band == "low"), None)
    if (
        low is not None
        and low.band not in inaudible
        and low.phase_correlation is not None
        and low.phase_correlation < 0
    ):
        out.append(
            Finding(
                Where.LOW,
                Metric.PHASE_CORRELATION,
                low.phase_correlation,
                0.0,
                low.phase_correlation,
                None,
                Severity.CRITICAL,
                True,
                True,
                always=True,
            )
        )
    pct = overall.negative_correlation_pct
    if pct is not None and pct > NEGATIVE_CORRELATION_PCT:
        out.append(
            Finding(
                Where.OVERALL,
                Metric.NEGATIVE_CORRELATION_PCT,
                pct,
                NEGATIVE_CORRELATION_PCT,
                pct - NEGATIVE_CORRELATION_PCT,
                None,
                Severity.CRITICAL,
                True,
                True,
                always=True,
            )
        )
    return out


def ceiling_dbtp(target: GenreTarget | None) -> float:
    """The true-peak ceiling: the genre's documented policy, else −1 dBTP."""
    return TRUE_PEAK_LIMIT_DBTP if target is None else target.true_peak_ceiling_dbtp


def peaks(overall: OverallMetrics, target: GenreTarget | None, stage: Stage) -> list[Finding]:
    """Always flagged: true peak above the ceiling, clipping; for a mix, a sample peak above −3 dBFS."""
    out = []
    ceiling = ceiling_dbtp(target)
    tp = overall.true_peak_dbtp
    if tp is not None and tp > ceiling:
        out.append(
            Finding(
                Where.OVERALL,
                Metric.TRUE_PEAK_DBTP,
                tp,
                ceiling,
                tp - ceiling,
                None,
                Severity.CRITICAL if tp > 0.0 else Severity.WARNING,
                True,
                True,
                always=True,
            )
        )
    if overall.clip_events > 0:
        sev = Severity.CRITICAL if overall.clip_events > CRITICAL_CLIP_EVENTS else Severity.WARNING
        out.append(
            Finding(
                Where.OVERALL,
                Metric.CLIP_EVENTS,
                float(overall.clip_events),
                0.0,
                float(overall.clip_events),
                None,
                sev,
                True,
                True,
                always=True,
            )
        )
    peak = overall.sample_peak_dbfs
    if stage is Stage.MIX and peak is not None and peak > MIX_HEADROOM_DBFS:
        dev = peak - MIX_HEADROOM_DBFS
        out.append(
            Finding(
                Where.OVERALL,
                Metric.SAMPLE_PEAK_DBFS,
                peak,
                MIX_HEADROOM_DBFS,
                dev,
                None,
                Severity.CRITICAL if peak >= 0.0 else Severity.WARNING,
                True,
                True,
            )
        )
    return out


def loudness(overall: OverallMetrics, target: GenreTarget, stage: Stage) -> list[Finding]:
    """Integrated loudness against the genre's range (LU); for a mix, information only."""
    lufs = overall.integrated_lufs
    if lufs is None:
        return []
    low, high = target.loudness_range_lufs
    outside = max(low - lufs, lufs - high, 0.0)
    dev = lufs - target.integrated_lufs
    if stage is Stage.MIX:
        return [
            Finding(
                Where.OVERALL,
                Metric.INTEGRATED_LUFS,
                lufs,
                target.integrated_lufs,
                dev,
                target.loudness_tolerance_lu,
                Severity.INFO,
                abs(dev) > LISTED_DB,
                False,
            )
        ]
    sev = Severity.WARNING if outside > 0.0 else Severity.INFO
    if outside > LOUDNESS_FLAG_LU:
        sev = Severity.CRITICAL
    return [
        Finding(
            Where.OVERALL,
            Metric.INTEGRATED_LUFS,
            lufs,
            target.integrated_lufs,
            dev,
            target.loudness_tolerance_lu,
            sev,
            abs(dev) > LISTED_DB or outside > 0,
            outside > 0.0,
            always=outside > LOUDNESS_FLAG_LU,
        )
    ]


def ranges(overall: OverallMetrics, target: GenreTarget) -> list[Finding]:
    """LRA (LU) and DR (dB) against the genre's range: ``warning`` outside it, ``critical`` beyond it by more than
    the range's half-width. Target is the range's centre, tolerance its half-width."""
    out = []
    for metric, value, (low, high) in (
        (Metric.LOUDNESS_RANGE_LU, overall.loudness_range_lu, target.lra_lu),
        (Metric.DYNAMIC_RANGE_DB, overall.dynamic_range_db, target.dr_db),
    ):
        if value is None:
            continue
        centre, half = (low + high) / 2.0, (high - low) / 2.0
        dev = value - centre
        out.append(
            Finding(
                Where.OVERALL,
                metric,
                value,
                centre,
                dev,
                half,
                severity_of(dev, half),
                abs(dev) > LISTED_DB,
                abs(dev) > half,
            )
        )
    return out


def all_findings(
    overall: OverallMetrics,
    bands: Sequence[BandMetrics],
    target: GenreTarget | None,
    stage: Stage,
    *,
    lowpass_hz: float | None = None,
) -> list[Finding]:
    """Every finding of one analysis, unordered."""
    inaudible, unadvised = silent_bands(bands, lowpass_hz)
    found = peaks(overall, target, stage) + phase_faults(overall, bands, inaudible)
    if target is not None:
        found += loudness(overall, target, stage) + ranges(overall, target)
        found += tonal(bands, target, inaudible, unadvised) + stereo(bands, target, inaudible)
    return [f for f in found if f.current is not None and math.isfinite(f.current)]


def by_band(bands: Sequence[BandMetrics]) -> Mapping[str, BandMetrics]:
    """The bands by name."""
    return {b.band: b for b in bands}


BAND_LABELS: dict[str, str] = {
    b.name: f"{b.name.replace('_', '-')} band ({b.low_hz:g}–{b.high_hz:g} Hz)" for b in BANDS
}
