"""Known genres and their targets."""

from __future__ import annotations

from fastapi import APIRouter

from amt.api.deps import SessionDep
from amt.api.schemas import BandTargetOut, GenreOut
from amt.api.services.targets import all_genre_targets
from amt.config.constants import GENRE_ALIASES

router = APIRouter(prefix="/api", tags=["genres"])


@router.get("/genres")
def list_genres(session: SessionDep) -> list[GenreOut]:
    """Every known genre with its target (measured on real masters; what it rests on in `source`)."""
    out = []
    for t in all_genre_targets(session):
        out.append(
            GenreOut(
                name=t.genre,
                source=t.source,
                family=t.family.value if t.family else None,
                track_count=t.track_count,
                integrated_lufs=t.integrated_lufs,
                loudness_lufs=t.loudness_range_lufs,
                loudness_tolerance_lu=t.loudness_tolerance_lu,
                true_peak_ceiling_dbtp=t.true_peak_ceiling_dbtp,
                lra_lu=t.lra_lu,
                dr_db=t.dr_db,
                plr_db=t.plr_db,
                bands={b: BandTargetOut(**vars(bt)) for b, bt in t.bands.items()},
                spectrum_db=list(t.spectrum_db) if t.spectrum_db else None,
                aliases=sorted(a for a, g in GENRE_ALIASES.items() if g == t.genre),
            )
        )
    return out
