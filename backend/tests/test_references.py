"""Reference library over real processes: the seed's scripts, /api/references, /api/similarity, /api/compare,
/api/genres — on SQLite and on PostgreSQL (one library and one server per database kind)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from amt.api.services.builtin import ARCHETYPES_PER_GENRE, load_metadata
from amt.api.services.corpus import corpus_target, load_corpus
from amt.api.services.genres import builtin_genres, genre_key, match_genre
from amt.config.constants import GENRE_ALIASES
from helpers import BACKEND_DIR, DATABASE_KINDS, LiveServer, database_of_kind, run_server, sine, write_wav

BUILTIN_COUNT = len(load_metadata())


@dataclass(frozen=True)
class Library:
    """An APP_HOME and the database its scripts and server use, plus the WAV of its one user reference."""

    home: Path
    database_url: str
    env: dict[str, str]
    """``DATABASE_URL`` for PostgreSQL; empty for SQLite, which then lives at its default place in APP_HOME."""
    wav: Path

    def script(self, name: str, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run ``python -m scripts.<name>`` from ``backend/`` as the seed documents it."""
        env = {**os.environ, "DATABASE_URL": ""}  # SQLite in APP_HOME unless self.env names PostgreSQL
        env.update(APP_HOME=str(self.home), **self.env)
        return subprocess.run(
            [sys.executable, "-m", f"scripts.{name}", *args],
            cwd=BACKEND_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def count(self, where: str = "true") -> int:
        """Reference rows matching ``where`` (SQL), counted behind the scripts' back."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM reference_tracks WHERE {where}")).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def library(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """An APP_HOME with the built-ins and one user reference, on each database kind."""
    root = tmp_path_factory.mktemp(f"refs-{request.param}")
    home = root / "home"
    wav = write_wav(
        root / "my_master.wav", sine(110.0, 8.0, sr=44100, amp=0.4) + sine(3000.0, 8.0, sr=44100, amp=0.1), sr=44100
    )
    with database_of_kind(request, home / "audio_mastering.db") as url:
        lib = Library(home=home, database_url=url, env={"DATABASE_URL": url}, wav=wav)
        done = lib.script("populate_references", [])
        assert done.returncode == 0, done.stderr
        added = lib.script(
            "analyze_reference",
            [str(wav), "--name", "My Master", "--artist", "Me", "--genre", "Psytrance", "--year", "2024"],
        )
        assert added.returncode == 0, added.stderr
        yield lib


def test_populate_is_idempotent_and_force_keeps_user_references(library: Library) -> None:
    assert library.count("is_builtin") == BUILTIN_COUNT == len(load_metadata())
    assert library.count("NOT is_builtin") == 1
    again = library.script("populate_references", [])
    assert again.returncode == 0 and "added 0" in again.stdout
    forced = library.script("populate_references", ["--force"])
    assert forced.returncode == 0 and f"replaced {BUILTIN_COUNT}" in forced.stdout
    assert library.count("is_builtin") == BUILTIN_COUNT and library.count("NOT is_builtin") == 1


def test_analyze_reference_refuses_unknown_genres_and_missing_files(library: Library) -> None:
    wav = library.wav
    typo = library.script("analyze_reference", [str(wav), "--name", "X", "--artist", "Y", "--genre", "Psytranse"])
    assert typo.returncode == 2 and "--new-genre" in typo.stderr and "Psytrance" in typo.stderr
    missing = library.script("analyze_reference", [str(wav.parent / "nope.wav"), "--genre", "Techno"])
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    before = library.count()
    created = library.script(
        "analyze_reference", [str(wav), "--name", "Mine", "--artist", "Y", "--genre", "Lo-Fi Dub", "--new-genre"]
    )
    assert created.returncode == 0, created.stderr
    assert library.count() == before + 1


def test_analyze_reference_refuses_a_genre_name_without_letters(tmp_path: Path) -> None:
    """Refused before any database is opened (so no database kind to repeat it on)."""
    wav = write_wav(tmp_path / "track.wav", sine(440.0, 1.0))
    lib = Library(home=tmp_path / "home", database_url="", env={}, wav=wav)
    for blank in ("   ", "&", "-- !"):
        done = lib.script("analyze_reference", [str(wav), "--genre", blank, "--new-genre"])
        assert done.returncode == 2 and "not a genre name" in done.stderr and "letter or digit" in done.stderr
    assert not lib.home.exists()


@pytest.fixture(scope="module")
def server(library: Library) -> Iterator[LiveServer]:
    """The API on the library's database (one server per database kind)."""
    with run_server(library.home, env=library.env) as live:
        yield live


def test_references_endpoint_filters_by_genre_with_aliases(server: LiveServer) -> None:
    with server.client() as client:
        everything = client.get("/api/references")
        assert int(everything.headers["X-Total-Count"]) >= BUILTIN_COUNT + 1
        dnb = client.get("/api/references", params={"genre": "drum and bass"}).json()
        assert len(dnb) == ARCHETYPES_PER_GENRE and {r["genre"] for r in dnb} == {"Drum & Bass"}
        for spelling in ("Drum&Bass", "drum 'n' bass", "DNB"):
            assert client.get("/api/references", params={"genre": spelling}).json() == dnb, spelling
        # Real corpus tracks of the genre first (with their licence), archetypes for the rest.
        assert all(r["is_builtin"] and ("archetype" in r["name"].lower()) == (r["licence"] is None) for r in dnb)
        assert sum(r["licence"] is not None for r in dnb) == sum(t["genre"] == "Drum & Bass" for t in load_corpus())
        full = client.get(f"/api/references/{dnb[0]['id']}").json()
        assert [b["band"] for b in full["band_metrics"]] == ["low", "low_mid", "mid", "high_mid", "high"]
        psy = client.get("/api/references", params={"genre": "PSYTRANCE"}).json()
        assert any(r["name"] == "My Master" and not r["is_builtin"] for r in psy)
        unknown = client.get("/api/references", params={"genre": "polka-step"})
        assert unknown.status_code == 422 and "Known genres" in unknown.json()["detail"]


def test_references_are_paged_summaries_and_one_reference_is_whole(server: LiveServer) -> None:
    """SPEC §7: at most ``limit`` summaries (default 100, 1–1000), the number matching in X-Total-Count; the
    pages put together are the whole ordered list; ``GET /api/references/{id}`` has the metrics."""
    with server.client() as client:
        first = client.get("/api/references")
        total = int(first.headers["X-Total-Count"])
        assert total >= BUILTIN_COUNT + 1 and len(first.json()) == min(total, 100)
        pages = [client.get("/api/references", params={"limit": 7, "offset": o}) for o in range(0, total, 7)]
        assert all(int(p.headers["X-Total-Count"]) == total for p in pages)
        ids = [r["id"] for p in pages for r in p.json()]
        assert ids[: len(first.json())] == [r["id"] for r in first.json()] and len(ids) == total == len(set(ids))
        keys = ("genre", "name")
        listed = [tuple(r[k] for k in keys) for p in pages for r in p.json()]
        assert listed == sorted(listed)
        summary = first.json()[0]
        assert set(summary) == {
            "id", "name", "artist", "genre", "year", "is_builtin", "source", "licence",
            "integrated_lufs", "true_peak_dbtp", "loudness_range_lu", "dynamic_range_db",
        }  # fmt: skip
        full = client.get(f"/api/references/{summary['id']}").json()
        assert {k: full[k] for k in ("id", "name", "artist", "genre", "year", "is_builtin", "source", "licence")} == {
            k: summary[k] for k in ("id", "name", "artist", "genre", "year", "is_builtin", "source", "licence")
        }
        for field in ("integrated_lufs", "true_peak_dbtp", "loudness_range_lu", "dynamic_range_db"):
            assert full["overall_metrics"][field] == summary[field]
        assert len(full["band_metrics"]) == 5
        dnb = client.get("/api/references", params={"genre": "dnb", "limit": 2})
        assert dnb.headers["X-Total-Count"] == "4" and len(dnb.json()) == 2
        for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
            assert client.get("/api/references", params=bad).status_code == 422, bad
        assert client.get("/api/references/00000000-0000-4000-8000-000000000000").status_code == 404


def test_similarity_ranks_references_and_validates(server: LiveServer, library: Library) -> None:
    with server.client() as client, library.wav.open("rb") as fh:
        analysis = client.post("/api/analyze", files={"file": ("same.wav", fh, "audio/wav")}).json()
        url = f"/api/similarity/{analysis['id']}"
        ranked = client.post(url, params={"top_k": 3}).json()
        assert ranked["analysis_id"] == analysis["id"] and len(ranked["results"]) == 3
        sims = [r["similarity"] for r in ranked["results"]]
        assert sims == sorted(sims, reverse=True)
        # The same audio, stored as a user reference (twice: "Mine" is the same file), is its nearest neighbour.
        assert ranked["results"][0]["reference"]["name"] in {"My Master", "Mine"}
        assert ranked["results"][0]["similarity"] == pytest.approx(1.0, abs=1e-5)
        diff = ranked["results"][0]["band_differences"]["mid"]
        assert diff["rms_db"] == pytest.approx(0.0, abs=1e-6)
        assert diff["energy_ratio_db"] == pytest.approx(0.0, abs=1e-6)
        techno = client.post(url, params={"genre": "techno", "top_k": 10}).json()["results"]
        assert len(techno) == 4 and {r["reference"]["genre"] for r in techno} == {"Techno"}
        assert client.post(url, params={"top_k": 0}).status_code == 422
        assert client.post(url, params={"top_k": 101}).status_code == 422
        assert client.post("/api/similarity/nope").status_code == 422
        assert client.post("/api/similarity/00000000-0000-4000-8000-000000000000").status_code == 404


def test_a_reference_added_by_another_process_is_ranked_by_the_next_query(server: LiveServer, library: Library) -> None:
    """The server's matrix is cached; the script's write changes the library version, so the next query rebuilds."""
    with server.client() as client, library.wav.open("rb") as fh:
        analysis_id = client.post("/api/analyze", files={"file": ("again.wav", fh, "audio/wav")}).json()["id"]
        url = f"/api/similarity/{analysis_id}"
        assert client.post(url, params={"top_k": 1}).status_code == 200  # the matrix is now built
        before = client.post(url, params={"genre": "late addition"})
        assert before.status_code == 422  # no such genre yet
        added = library.script(
            "analyze_reference", [str(library.wav), "--name", "Late", "--genre", "Late Addition", "--new-genre"]
        )
        assert added.returncode == 0, added.stderr
        after = client.post(url, params={"genre": "LATE-ADDITION", "top_k": 5}).json()["results"]
    assert [r["reference"]["name"] for r in after] == ["Late"]
    assert after[0]["similarity"] == pytest.approx(1.0, abs=1e-5)  # the same audio


def test_compare_raw_and_level_matched(server: LiveServer, tmp_path: Path) -> None:
    loud = write_wav(tmp_path / "loud.wav", sine(997.0, 5.0, amp=0.5))
    quiet = write_wav(tmp_path / "quiet.wav", sine(997.0, 5.0, amp=0.125))
    with server.client() as client:
        ids = []
        for path in (loud, quiet):
            with path.open("rb") as fh:
                ids.append(client.post("/api/analyze", files={"file": (path.name, fh, "audio/wav")}).json()["id"])
        result = client.get("/api/compare", params={"a": ids[0], "b": ids[1]}).json()
        # 20·log10(0.5/0.125) = 12.04 dB apart, in every level metric; identical once level-matched.
        assert result["overall"]["integrated_lufs"]["difference"] == pytest.approx(12.04, abs=0.1)
        assert result["bands"]["mid"]["rms_db"]["difference"] == pytest.approx(12.04, abs=0.1)
        matched = result["level_matched"]
        assert matched["gain_db"] == pytest.approx(12.04, abs=0.1)
        assert matched["overall"]["sample_peak_dbfs"]["difference"] == pytest.approx(0.0, abs=0.1)
        assert matched["bands"]["mid"]["rms_db"]["difference"] == pytest.approx(0.0, abs=0.1)
        assert matched["overall"]["crest_factor_db"]["difference"] == pytest.approx(0.0, abs=0.05)
        ref_id = client.get("/api/references", params={"genre": "house"}).json()[0]["id"]
        vs_ref = client.get("/api/compare", params={"a": ids[0], "b": ref_id}).json()
        assert vs_ref["b"]["kind"] == "reference"
        ref_series = client.get(f"/api/references/{ref_id}/series").json()
        assert ref_series["reference_id"] == ref_id and len(ref_series["spectrum_db"]) == 60
        assert client.get("/api/references/00000000-0000-4000-8000-000000000000/series").status_code == 404
        assert client.get("/api/compare", params={"a": ref_id, "b": ids[0]}).status_code == 404
        assert client.get("/api/compare", params={"a": "x", "b": ids[0]}).status_code == 422


def test_genres_endpoint_says_what_each_target_rests_on(server: LiveServer) -> None:
    with server.client() as client:
        genres = {g["name"]: g for g in client.get("/api/genres").json()}
    rock_tracks = sum(t["genre"] == "Rock" for t in load_corpus())
    rock = genres["Rock"]
    assert rock["track_count"] == rock_tracks and rock["source"].startswith(f"{rock_tracks} real reference")
    assert rock["family"] == "band"
    techno = genres["Techno"]
    assert techno["track_count"] == 0 and "published measurements" in techno["source"]
    assert "electronic" in techno["source"]
    assert "dnb" in genres["Drum & Bass"]["aliases"]
    assert len(rock["spectrum_db"]) == 60
    assert sum(b["energy_ratio"] for b in rock["bands"].values()) == pytest.approx(1.0)
    # The served figures are the measured target's (recomputed here from the shipped corpus).
    measured = corpus_target("Rock")
    assert rock["integrated_lufs"] == pytest.approx(measured.integrated_lufs)
    assert rock["plr_db"] == pytest.approx(list(measured.plr_db))
    assert rock["loudness_lufs"] == pytest.approx(list(measured.loudness_range_lufs))
    assert all(b["spread_db"] >= 4.0 and b["width_tolerance"] >= 0.08 for b in rock["bands"].values())


def test_a_folder_of_user_references_becomes_a_genre_target_for_analyze(
    server: LiveServer, library: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "my_refs"
    folder.mkdir()
    # Two references whose energy sits 80 % / 20 % between the low and mid bands (equal-length sines:
    # power ratio = amplitude² ratio = (0.4² : 0.2²) = 0.8 : 0.2).
    for i in range(2):
        write_wav(folder / f"ref{i}.wav", sine(100.0, 6.0, amp=0.4) + sine(1000.0, 6.0, amp=0.2))
    done = library.script(
        "analyze_reference", [str(folder), "--artist", "Me", "--genre", "Garage Club Target", "--new-genre"]
    )
    assert done.returncode == 0, done.stderr
    assert "2/2" in done.stderr  # the folder's progress bar
    with server.client() as client:
        genres = {g["name"]: g for g in client.get("/api/genres").json()}
        target = genres["Garage Club Target"]
        assert target["track_count"] == 2 and target["source"].startswith("2 real references")
        assert target["bands"]["low"]["energy_ratio"] == pytest.approx(0.8, abs=0.02)
        track = write_wav(tmp_path / "track.wav", sine(100.0, 6.0, amp=0.2) + sine(1000.0, 6.0, amp=0.4))
        with track.open("rb") as fh:
            response = client.post(
                "/api/analyze",
                files={"file": ("track.wav", fh, "audio/wav")},
                data={"genre": "garage club target", "recommendation_level": "informative"},
            )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["genre"] == "Garage Club Target"
    low = next(r for r in body["recommendations"] if r["band"] == "low" and r["metric"] == "energy_ratio")
    # The track's low share is 0.2 against the target's 0.8 (−6.02 dB) and its mid share 0.8 against 0.2 (+6.02 dB):
    # the shape (SPEC §5) is each audible band's dB difference minus their median, worked out here from the served
    # shares; the sines' spectral skirts leave the other bands a few tenths of a dB of say.
    shares = {b["band"]: b["energy_ratio"] for b in body["band_metrics"]}
    levels = {b["band"]: b["rms_db"] for b in body["band_metrics"]}
    loudest = max(v for v in levels.values() if v is not None)
    audible = [b for b, v in levels.items() if v is not None and v >= max(-80.0, loudest - 50.0)]
    d = {b: 10 * np.log10(shares[b] / target["bands"][b]["energy_ratio"]) for b in audible}
    assert low["deviation"] == pytest.approx(d["low"] - float(np.median(list(d.values()))), abs=1e-6)
    assert low["deviation"] == pytest.approx(-6.02, abs=0.5)


# Spellings a person types, and what they must resolve to among the built-in genres (None: no genre).
SPELLINGS = [
    ("Drum & Bass", "Drum & Bass"), ("Drum&Bass", "Drum & Bass"), ("drum and bass", "Drum & Bass"),
    ("DRUM  AND   BASS", "Drum & Bass"), ("  drum & bass ", "Drum & Bass"), ("Drum 'n' Bass", "Drum & Bass"),
    ("Drum'n'Bass", "Drum & Bass"), ("drum n bass", "Drum & Bass"), ("drum n' bass", "Drum & Bass"),
    ("Drum-and-Bass", "Drum & Bass"), ("drum-n-bass", "Drum & Bass"), ("drumandbass", "Drum & Bass"),
    ("Drum’n’Bass", "Drum & Bass"), ("dnb", "Drum & Bass"), ("DnB", "Drum & Bass"), ("d&b", "Drum & Bass"),
    ("D'n'B", "Drum & Bass"), ("d and b", "Drum & Bass"),
    ("hip hop", "Hip-Hop"), ("HipHop", "Hip-Hop"), ("hip-hop", "Hip-Hop"), ("rap", "Hip-Hop"),
    ("r&b", "R&B"), ("R and B", "R&B"), ("r'n'b", "R&B"), ("RnB", "R&B"), ("rhythm & blues", "R&B"),
    ("psy-trance", "Psytrance"), ("Psy Trance", "Psytrance"), ("PSYTRANCE", "Psytrance"), ("goa", "Psytrance"),
    ("trance", "Trance"), ("tech house", "House"), ("rock 'n' roll", "Rock"), ("Rock&Roll", "Rock"),
    ("Psy", "Psytrance"),
    # Distinct genres stay distinct, and near misses are not guessed.
    ("Drum Bass", None), ("Drum+Bass", None), ("Trance Psy", None), ("R B", None),
    ("House music", None), ("Dub", None), ("Step", None),
    # Not genre names at all.
    ("", None), ("   ", None), ("&", None), ("'n'", None), ("--", None),
]  # fmt: skip


@pytest.mark.parametrize(("spelling", "genre"), SPELLINGS)
def test_genre_spellings(spelling: str, genre: str | None) -> None:
    assert match_genre(spelling, builtin_genres()) == genre


def test_genre_keys_keep_every_genre_and_alias_apart() -> None:
    keys = [genre_key(g) for g in builtin_genres()]
    assert all(keys) and len(set(keys)) == len(keys)
    for alias, genre in GENRE_ALIASES.items():
        assert genre in builtin_genres(), alias
        # An alias never spells another genre (it would shadow it), and is not a mere spelling of its own.
        assert genre_key(alias) not in keys, alias
