"""Genre targets read one row per reference (SPEC §5, §7 "/api/genres fast with any number of references").

Each reference's overall row carries what targets need beyond its overall figures — its
long-term spectrum and the band figures — written when the reference is added and filled
once for rows from before; deriving targets reads neither series blobs nor band rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import asdict

import numpy as np
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from amt.analysis.audibility import inaudible_bands
from amt.analysis.engine import analyze_array
from amt.analysis.result import AnalysisResult
from amt.api.models import ReferenceBandMetrics, ReferenceOverallMetrics
from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.corpus import ReferenceNumbers, corpus_target
from amt.api.services.deviation import shape_deviations
from amt.api.services.references import build_reference_row
from amt.api.services.series import unpack_floats
from amt.api.services.targets import all_genre_targets, genre_target
from amt.config.constants import BAND_NAMES

GENRE = "Label Sound"


@pytest.fixture(scope="module")
def results() -> list[AnalysisResult]:
    """Three real analyses of 4 s of seeded tone and noise, each with another balance and width."""
    rng = np.random.default_rng(5)
    sr = 44100
    t = np.arange(4 * sr) / sr
    out = []
    for k, (tone, hiss, right) in enumerate(((0.4, 0.05, 0.8), (0.2, 0.2, 0.5), (0.1, 0.4, 0.2))):
        mono = tone * np.sin(2 * np.pi * (60 + 40 * k) * t) + hiss * rng.standard_normal(t.size)
        out.append(analyze_array(np.stack([mono, right * mono], axis=1).astype(np.float32), sr))
    return out


def _store(session: Session, results: list[AnalysisResult], genre: str = GENRE) -> list[str]:
    refs = [
        build_reference_row(result, name=f"T{i}", artist="A", genre=genre, year=None, is_builtin=False, source=None)
        for i, result in enumerate(results)
    ]
    session.add_all(refs)
    session.commit()
    return [ref.id for ref in refs]


def _expected(results: list[AnalysisResult], genre: str = GENRE) -> object:
    """The target from the analyses themselves (their dict form, as the corpus holds references), no database."""
    numbers = [ReferenceNumbers(asdict(r.overall), [asdict(b) for b in r.bands], r.series.spectrum_db) for r in results]
    return corpus_target(genre, numbers)


@pytest.fixture
def statements(db_engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the test runs."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(db_engine, "before_cursor_execute", record)
    yield sent
    event.remove(db_engine, "before_cursor_execute", record)


def test_targets_come_from_the_reference_rows_not_from_series_or_band_rows(
    session: Session, results: list[AnalysisResult], statements: list[str]
) -> None:
    """A reference stored by the service carries its spectrum and band figures: with its series and band rows
    removed behind the ORM's back, the target is still the one its analysis gives, and no band row is read."""
    _store(session, results)
    conn = session.connection()  # plain statements, past the ORM's hooks: the target columns stay as written
    conn.execute(text("UPDATE reference_tracks SET series = NULL"))
    conn.execute(text("DELETE FROM reference_band_metrics"))
    session.commit()
    statements.clear()
    targets = {t.genre: t for t in all_genre_targets(session)}
    assert targets[GENRE] == _expected(results)
    assert targets[GENRE].spectrum_db is not None and targets[GENRE].track_count == 3
    assert not [s for s in statements if "reference_band_metrics" in s]


def test_references_from_before_the_columns_are_filled_once_and_the_library_version_stays(
    session: Session, results: list[AnalysisResult], statements: list[str]
) -> None:
    """Rows without the target columns (an older database) give the same target: the first derivation fills the
    columns from each series and its band rows, without a new library version; the next one reads no series."""
    ids = _store(session, results)
    session.connection().execute(text("UPDATE reference_overall_metrics SET spectrum_db = NULL, band_figures = NULL"))
    session.commit()
    repo = ReferenceRepository(session)
    version = repo.library_version()
    assert genre_target(session, GENRE) == _expected(results)
    session.commit()
    assert repo.library_version() == version
    stored = {
        r.reference_id: r
        for r in session.scalars(select(ReferenceOverallMetrics).execution_options(populate_existing=True))
    }
    for id_, result in zip(ids, results, strict=True):
        spectrum = unpack_floats(stored[id_].spectrum_db)
        assert spectrum is not None
        np.testing.assert_array_equal(spectrum, [np.nan if v is None else v for v in result.series.spectrum_db])
        figures = unpack_floats(stored[id_].band_figures)
        assert figures is not None
        np.testing.assert_array_equal(figures.reshape(5, 4)[:, 0], [b.energy_ratio for b in result.bands])
    assert repo.without_target_columns() == []


def test_a_changed_band_row_is_read_again(session: Session, results: list[AnalysisResult]) -> None:
    """Editing a band row through the ORM forgets the stored band figures of its reference: the target follows."""
    ids = _store(session, results)
    before = genre_target(session, GENRE)
    row = session.scalars(
        select(ReferenceBandMetrics).where(
            ReferenceBandMetrics.reference_id == ids[0], ReferenceBandMetrics.band == "low"
        )
    ).one()
    row.stereo_width = 0.9  # the narrowest of three: the median of the low band's width moves to the next one
    session.commit()
    widths = [r.bands[0].stereo_width or 0.0 for r in results]
    assert widths[0] < widths[1] < widths[2] < 0.9
    assert before.bands["low"].stereo_width == pytest.approx(widths[1])
    assert genre_target(session, GENRE).bands["low"].stereo_width == pytest.approx(widths[2])


def _inaudible_by_definition(levels: dict[str, float | None]) -> frozenset[str]:
    """SPEC §4 read literally: unknown, below −80 dBFS, or more than 50 dB under the loudest band."""
    known = {b: v for b, v in levels.items() if v is not None and np.isfinite(v)}
    loudest = max(known.values(), default=None)
    return frozenset(
        b for b in levels if b not in known or known[b] < -80.0 or (loudest is not None and known[b] < loudest - 50.0)
    )


def _shape_by_definition(shares: dict[str, float | None], target: dict[str, float], quiet: frozenset[str]) -> dict:
    """services.deviation's definition read literally: dB difference minus the median over the usable bands."""
    d = {
        b: 10 * np.log10(share / target[b])
        for b in target
        if b not in quiet and (share := shares.get(b)) is not None and share > 0 and target[b] > 0
    }
    centre = statistics.median(d.values()) if d else 0.0
    return {b: (d[b] - centre if b in d else None) for b in target}


def test_the_array_forms_of_audibility_and_shape_agree_with_their_definitions() -> None:
    """Targets compute audibility and shape deviations on arrays of many references: on random rows with gaps,
    silent and very quiet bands, both read as the definitions do."""
    rng = np.random.default_rng(9)
    for _ in range(300):
        levels: dict[str, float | None] = {
            b: None if rng.random() < 0.15 else float(rng.choice([rng.uniform(-120, 0), rng.uniform(-60, -20)]))
            for b in BAND_NAMES
        }
        shares: dict[str, float | None] = {
            b: None if rng.random() < 0.1 else float(rng.choice([0.0, rng.uniform(1e-6, 1)])) for b in BAND_NAMES
        }
        target = dict(zip(BAND_NAMES, rng.dirichlet(np.ones(5)).tolist(), strict=True))
        quiet = _inaudible_by_definition(levels)
        assert inaudible_bands(levels) == quiet
        got, want = shape_deviations(shares, target, inaudible=quiet), _shape_by_definition(shares, target, quiet)
        assert got.keys() == want.keys()
        for band in BAND_NAMES:
            assert (got[band] is None) == (want[band] is None)
            if want[band] is not None:
                assert got[band] == pytest.approx(want[band], abs=1e-9)
