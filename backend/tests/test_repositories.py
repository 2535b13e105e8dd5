"""Repositories on a real temporary SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import (
    Analysis,
    BandMetrics,
    OverallMetrics,
    Recommendation,
    ReferenceBandMetrics,
    ReferenceOverallMetrics,
    ReferenceTrack,
)
from api.repositories.analysis_repo import AnalysisRepository
from api.repositories.reference_repo import ReferenceRepository
from api.repositories.settings_repo import SettingsRepository
from config.constants import BANDS


def _analysis(name: str, created: datetime) -> Analysis:
    a = Analysis(
        filename=name,
        file_format="WAV",
        genre="Techno",
        recommendation_level="suggestive",
        stage="master",
        sample_rate=48000,
        channels=2,
        bit_depth=24,
        duration_s=10.0,
        engine_version="test",
        created_at=created,
    )
    a.overall_metrics = OverallMetrics(integrated_lufs=-9.0, clipped_samples=0, clip_events=0)
    a.band_metrics = [
        BandMetrics(position=i, band=b.name, freq_low_hz=b.low_hz, freq_high_hz=b.high_hz, energy_ratio=0.2)
        for i, b in enumerate(BANDS)
    ]
    a.recommendations = [
        Recommendation(position=0, band="overall", metric="true_peak_dbtp", severity="critical", message="m")
    ]
    return a


def _reference(name: str, genre: str, builtin: bool) -> ReferenceTrack:
    r = ReferenceTrack(
        name=name,
        artist="Built-in archetype",
        genre=genre,
        year=2026,
        is_builtin=builtin,
        sample_rate=44100,
        channels=2,
        bit_depth=32,
        duration_s=60.0,
        engine_version="test",
        feature_vector=b"\x00" * 512,
        feature_version="1",
    )
    r.overall_metrics = ReferenceOverallMetrics(integrated_lufs=-8.0, clipped_samples=0, clip_events=0)
    r.band_metrics = [
        ReferenceBandMetrics(position=i, band=b.name, freq_low_hz=b.low_hz, freq_high_hz=b.high_hz)
        for i, b in enumerate(BANDS)
    ]
    return r


def _rows(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_analysis_round_trip_and_cascading_delete(session: Session) -> None:
    repo = AnalysisRepository(session)
    a = repo.add(_analysis("a.wav", datetime.now(UTC)))
    session.commit()
    session.expunge_all()
    loaded = repo.get_full(a.id)
    assert loaded is not None
    assert loaded.overall_metrics is not None and loaded.overall_metrics.integrated_lufs == -9.0
    assert [b.band for b in loaded.band_metrics] == [b.name for b in BANDS]
    assert len(loaded.recommendations) == 1
    repo.delete(loaded)
    session.commit()
    for model in (Analysis, OverallMetrics, BandMetrics, Recommendation):
        assert _rows(session, model) == 0


def test_database_cascade_without_the_orm(session: Session) -> None:
    """ON DELETE CASCADE holds in the database itself (foreign keys on)."""
    repo = AnalysisRepository(session)
    a = repo.add(_analysis("a.wav", datetime.now(UTC)))
    session.commit()
    assert repo.delete_by_id(a.id)
    session.commit()
    assert _rows(session, BandMetrics) == 0 and _rows(session, OverallMetrics) == 0


def test_list_recent_is_newest_first_and_paged(session: Session) -> None:
    repo = AnalysisRepository(session)
    now = datetime.now(UTC)
    for i in range(5):
        repo.add(_analysis(f"{i}.wav", now + timedelta(seconds=i)))
    session.commit()
    assert [a.filename for a in repo.list_recent(limit=2, offset=0)] == ["4.wav", "3.wav"]
    assert [a.filename for a in repo.list_recent(limit=2, offset=4)] == ["0.wav"]
    assert repo.count_all() == 5


def test_reference_queries(session: Session) -> None:
    repo = ReferenceRepository(session)
    repo.add(_reference("A", "Techno", True))
    repo.add(_reference("B", "House", True))
    repo.add(_reference("C", "my genre", False))
    session.commit()
    assert [r.name for r in repo.list_full(genre="techno")] == ["A"]
    assert repo.genres() == ["House", "Techno", "my genre"]
    assert repo.count_builtin() == 2
    before = repo.library_version()
    assert repo.delete_builtin() == 2
    session.commit()
    assert repo.library_version() != before
    assert [r.name for r in repo.list_full()] == ["C"]
    assert _rows(session, ReferenceBandMetrics) == 5
    rows = repo.vector_rows()
    assert rows.genres == ["my genre"] and len(rows.blobs[0]) == 512


@pytest.mark.parametrize("value", ["Techno", None, {"nested": [1, 2]}])
def test_settings_store_json_values(session: Session, value: object) -> None:
    repo = SettingsRepository(session)
    repo.put("default_genre", value)
    session.commit()
    assert repo.all() == {"default_genre": value}
    repo.put("default_genre", "House")
    assert repo.all() == {"default_genre": "House"}
