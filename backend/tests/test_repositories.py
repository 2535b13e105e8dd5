"""Repositories, the library version token and the similarity index cache, on each real database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from amt.api.database import make_sessionmaker
from amt.api.models import (
    Analysis,
    BandMetrics,
    OverallMetrics,
    Recommendation,
    ReferenceBandMetrics,
    ReferenceOverallMetrics,
    ReferenceTrack,
)
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.api.repositories.reference_repo import LIBRARY_VERSION_KEY, ReferenceRepository
from amt.api.repositories.settings_repo import SettingsRepository
from amt.api.services.corpus import load_corpus
from amt.api.services.genres import genre_key, known_genres
from amt.api.services.references import IndexCache, list_references, similar_references
from amt.api.services.series import pack_series, unpack_series, unpack_series_field
from amt.api.services.settings import DEFAULTS, read_settings, update_settings
from amt.api.services.targets import genre_target
from amt.config.constants import BANDS
from amt.ml.feature_extraction import FEATURE_VERSION, VECTOR_DIM
from amt.utils.errors import NotFoundError, ValidationError


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
        feature_version=str(FEATURE_VERSION),
    )
    r.overall_metrics = ReferenceOverallMetrics(integrated_lufs=-8.0, clipped_samples=0, clip_events=0)
    r.band_metrics = [
        ReferenceBandMetrics(position=i, band=b.name, freq_low_hz=b.low_hz, freq_high_hz=b.high_hz)
        for i, b in enumerate(BANDS)
    ]
    return r


def _reference_values(name: str, genre: str) -> dict[str, object]:
    """Column values of a reference without metric rows, for a bulk ``insert()``."""
    return {
        "name": name, "artist": "Someone", "genre": genre, "is_builtin": False, "sample_rate": 44100,
        "channels": 2, "duration_s": 60.0, "engine_version": "test", "feature_vector": b"\x00" * 512,
        "feature_version": str(FEATURE_VERSION),
    }  # fmt: skip


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
    assert [r.name for r in repo.list_full(genres=["Techno"])] == ["A"]
    assert sorted(r.name for r in repo.list_full(genres=["Techno", "my genre"])) == ["A", "C"]
    assert repo.list_full(genres=[]) == []
    assert repo.genres() == ["House", "Techno", "my genre"]
    assert repo.count_builtin() == 2
    before = repo.library_version()
    assert repo.delete_builtin() == 2
    session.commit()
    assert repo.library_version() != before
    assert [r.name for r in repo.list_full()] == ["C"]
    assert _rows(session, ReferenceBandMetrics) == 5
    rows = repo.vector_rows(str(FEATURE_VERSION))
    assert rows.genres == ["my genre"] and len(rows.blobs[0]) == 512 and rows.other_versions == 0
    other = repo.vector_rows(str(FEATURE_VERSION + 1))
    assert other.ids == [] and other.other_versions == 1


def test_every_write_to_the_library_replaces_its_version_token_in_the_same_transaction(db_engine: Engine) -> None:
    """Another session (as another worker would) sees a new token exactly when reference rows were committed."""
    factory = make_sessionmaker(db_engine)
    with factory() as reader, factory() as writer:
        tokens = [ReferenceRepository(reader).library_version()]
        assert tokens[0] is None  # nothing written yet

        def committed_token() -> str | None:
            reader.rollback()  # a new transaction, so the reader sees what others committed
            return ReferenceRepository(reader).library_version()

        repo = ReferenceRepository(writer)
        repo.add(_reference("A", "Techno", True))
        assert committed_token() is None  # not committed: invisible
        writer.commit()
        tokens.append(committed_token())
        writer.add(_reference("B", "House", False))
        writer.rollback()
        assert committed_token() == tokens[-1]  # a rolled-back write changes nothing
        writer.execute(insert(ReferenceTrack), [_reference_values("C", "House")])  # a bulk statement
        writer.commit()
        tokens.append(committed_token())
        ref = repo.list_full(genres=["House"])[0]
        ref.genre = "Deep House"  # an edit changes what the index holds (its genre)
        writer.commit()
        tokens.append(committed_token())
        assert repo.delete_builtin() == 1
        writer.commit()
        tokens.append(committed_token())
        assert repo.delete_by_id(ref.id)
        writer.commit()
        tokens.append(committed_token())
        SettingsRepository(writer).put("default_stage", "mix")  # other tables leave the token alone
        AnalysisRepository(writer).add(_analysis("a.wav", datetime.now(UTC)))
        writer.commit()
        assert committed_token() == tokens[-1]
    assert None not in tokens[1:] and len(set(tokens)) == len(tokens) == 6


def test_the_version_token_is_not_a_user_setting(session: Session) -> None:
    ReferenceRepository(session).add(_reference("A", "Techno", True))
    session.commit()
    assert ReferenceRepository(session).library_version() is not None
    assert read_settings(session) == DEFAULTS
    with pytest.raises(ValidationError, match="Unknown setting"):
        update_settings(session, {LIBRARY_VERSION_KEY: "forged"})


def _vector(seed: int) -> bytes:
    return np.random.default_rng(seed).standard_normal(VECTOR_DIM).astype("<f4").tobytes()


def test_the_index_is_rebuilt_only_when_the_library_changed_and_holds_current_vectors_only(
    db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    factory = make_sessionmaker(db_engine)
    cache = IndexCache()
    with factory() as worker, factory() as script:
        for i, genre in enumerate(("Techno", "Drum&Bass")):
            ref = _reference(f"R{i}", genre, True)
            ref.feature_vector = _vector(i)
            script.add(ref)
        old = _reference("Old", "Techno", False)
        old.feature_version = str(FEATURE_VERSION + 1)  # another standardisation table: not comparable
        script.add(old)
        script.commit()
        with caplog.at_level(logging.WARNING, logger="amt"):
            first = cache.get(worker)
        current = [r.id for r in ReferenceRepository(script).list_full() if r.name != "Old"]
        assert sorted(first.index.ids) == sorted(current)
        assert "1 reference(s) have feature vectors of another version" in caplog.text
        worker.rollback()
        assert cache.get(worker) is first  # same token: the matrix is not rebuilt

        new = _reference("New", "Drum and Bass", False)
        new.feature_vector = _vector(7)
        script.add(new)
        script.commit()
        worker.rollback()
        second = cache.get(worker)
        assert second is not first and len(second.index) == 3
        # Both spellings of the genre are one genre for the filter; the query is New's own vector.
        query = np.frombuffer(_vector(7), dtype="<f4")
        ranked = second.index.rank(query, top_k=5, genre=genre_key("drum & bass"))
        assert len(ranked) == 2 and ranked[0].id == new.id
        assert ranked[0].similarity == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("value", ["Techno", None, {"nested": [1, 2]}])
def test_settings_store_json_values(session: Session, value: object) -> None:
    repo = SettingsRepository(session)
    repo.put("default_genre", value)
    session.commit()
    assert repo.all() == {"default_genre": value}
    repo.put("default_genre", "House")
    assert repo.all() == {"default_genre": "House"}


def test_similarity_needs_an_analysis_of_the_current_feature_version(session: Session) -> None:
    ref = _reference("R", "Techno", True)
    ref.feature_vector = _vector(1)
    session.add(ref)
    stale = _analysis("old.wav", datetime.now(UTC))
    stale.feature_vector, stale.feature_version = _vector(1), str(FEATURE_VERSION + 1)
    current = _analysis("new.wav", datetime.now(UTC))
    current.feature_vector, current.feature_version = _vector(1), str(FEATURE_VERSION)
    session.add_all([stale, current])
    session.commit()
    with pytest.raises(NotFoundError, match="Analyse the file again"):
        similar_references(session, stale.id, genre=None, top_k=5)
    ranked = similar_references(session, current.id, genre="techno", top_k=5)["results"]
    assert [r["reference"]["name"] for r in ranked] == ["R"] and ranked[0]["similarity"] == pytest.approx(1.0)


def test_references_stored_under_another_spelling_of_a_genre_belong_to_it(session: Session) -> None:
    """A genre created before names were compared by spelling key ("Drum&Bass") is the built-in one."""
    for name, genre in (("A", "Drum & Bass"), ("B", "Drum&Bass"), ("C", "Drum Bass")):
        session.add(_reference(name, genre, False))
    session.commit()
    assert sorted(r.name for r in list_references(session, "dnb", limit=100, offset=0).items) == ["A", "B"]
    assert [r.name for r in list_references(session, "drum bass", limit=100, offset=0).items] == ["C"]
    assert known_genres(session).count("Drum & Bass") == 1 and "Drum&Bass" not in known_genres(session)
    shipped = sum(t["genre"] == "Drum & Bass" for t in load_corpus())
    assert genre_target(session, "Drum & Bass").track_count == shipped + 2


def test_genre_targets_follow_every_change_of_the_library(session: Session) -> None:
    """Targets are cached per library version: adding a reference, editing its metrics or deleting it is seen (a
    genre of the user's own, centred on its references however few)."""
    first = _reference("A", "Label Sound", False)
    session.add(first)
    session.commit()
    assert genre_target(session, "Label Sound").integrated_lufs == -8.0
    second = _reference("B", "Label Sound", False)
    assert second.overall_metrics is not None
    second.overall_metrics.integrated_lufs = -10.0
    session.add(second)
    session.commit()
    assert genre_target(session, "Label Sound").integrated_lufs == -9.0
    assert first.overall_metrics is not None
    first.overall_metrics.integrated_lufs = -6.0  # a metric row alone changes
    session.commit()
    assert genre_target(session, "Label Sound").integrated_lufs == -8.0
    session.execute(update(ReferenceOverallMetrics).values(integrated_lufs=-12.0))  # a bulk statement
    session.commit()
    assert genre_target(session, "Label Sound").integrated_lufs == -12.0
    session.delete(second)
    session.commit()
    assert genre_target(session, "Label Sound").track_count == 1


def test_one_series_field_reads_as_the_whole_series_does() -> None:
    """unpack_series_field (inflating only up to the field) gives what unpack_series gives, for every field,
    with arrays long enough to span several inflate steps."""
    rng = np.random.default_rng(3)
    series = {
        "momentary_lufs": [None, *np.round(rng.normal(-14, 3, 40_000), 3).tolist()],
        "spectrum_db": np.round(rng.normal(-60, 10, 60), 2).tolist(),
        "band_rms_db": [[-20.5, None, -30.25]] * 3000,
        "loudness_hop_s": 0.1,
        "clip_times_s": [],
    }
    blob = pack_series(series)
    whole = unpack_series(blob)
    assert whole is not None
    for name in series:
        assert unpack_series_field(blob, name) == whole[name], name
    assert unpack_series_field(blob, "absent") is None and unpack_series_field(None, "spectrum_db") is None
