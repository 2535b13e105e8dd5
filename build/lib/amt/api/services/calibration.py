"""Leave-one-out calibration of the targets on the real corpus (SPEC §5 "Calibration is a test"). Pure.

Each real reference is judged against its genre's target built without it: how many of its
figures — the five bands' shape, width and correlation, its loudness, LRA and DR — fall
inside the target's tolerance. A target that calls real finished masters broken fails here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from amt.api.services.corpus import ReferenceNumbers, derive_target, numbers_of
from amt.api.services.deviation import inaudible_bands, shape_deviations
from amt.config.constants import BAND_NAMES, GENRE_FAMILY, GenreTarget

FIGURES: tuple[str, ...] = (
    *(f"{b}.shape" for b in BAND_NAMES),
    *(f"{b}.width" for b in BAND_NAMES),
    *(f"{b}.correlation" for b in BAND_NAMES),
    "integrated_lufs",
    "loudness_range_lu",
    "dynamic_range_db",
)


def inside_tolerance(ref: ReferenceNumbers, target: GenreTarget) -> dict[str, bool]:
    """Each of ``FIGURES`` the reference has (audible bands only) → whether it lies inside the target's tolerance."""
    bands = {b["band"]: b for b in ref.bands}
    quiet = inaudible_bands({b: bands.get(b, {}).get("rms_db") for b in BAND_NAMES})
    shares = {b: bands.get(b, {}).get("energy_ratio") for b in BAND_NAMES}
    shape = shape_deviations(shares, {b: t.energy_ratio for b, t in target.bands.items()}, inaudible=quiet)
    out: dict[str, bool] = {}
    for name, t in target.bands.items():
        if name in quiet:
            continue
        dev = shape[name]
        if dev is not None:
            out[f"{name}.shape"] = abs(dev) <= t.spread_db
        w, c = bands[name].get("stereo_width"), bands[name].get("phase_correlation")
        if w is not None:
            out[f"{name}.width"] = abs(w - t.stereo_width) <= t.width_tolerance
        if c is not None:
            out[f"{name}.correlation"] = abs(c - t.phase_correlation) <= t.correlation_tolerance
    o = ref.overall
    for field, (low, high) in (
        ("integrated_lufs", target.loudness_range_lufs),
        ("loudness_range_lu", target.lra_lu),
        ("dynamic_range_db", target.dr_db),
    ):
        value = o.get(field)
        if value is not None:
            out[field] = low <= value <= high
    return out


@dataclass(frozen=True)
class TrackCalibration:
    """One corpus track against its genre's target built without it."""

    track: Mapping[str, Any]
    target: GenreTarget
    inside: dict[str, bool]


def leave_one_out(tracks: Sequence[Mapping[str, Any]]) -> list[TrackCalibration]:
    """Every track judged against its genre's target derived from the other tracks (its family pool without it)."""
    numbers = [numbers_of(t) for t in tracks]
    out: list[TrackCalibration] = []
    for i, track in enumerate(tracks):
        genre = track["genre"]
        family = GENRE_FAMILY.get(genre)
        own = [n for j, (t, n) in enumerate(zip(tracks, numbers, strict=True)) if j != i and t["genre"] == genre]
        pool = [
            n
            for j, (t, n) in enumerate(zip(tracks, numbers, strict=True))
            if j != i and (family is None or t["family"] == family.value)
        ]
        target = derive_target(genre, own, pool, family)
        out.append(TrackCalibration(track, target, inside_tolerance(numbers[i], target)))
    return out


def share_inside(results: Sequence[TrackCalibration]) -> float:
    """Share of all judged figures that lie inside their tolerance, 0 … 1."""
    flags = [v for r in results for v in r.inside.values()]
    return sum(flags) / len(flags) if flags else 1.0
