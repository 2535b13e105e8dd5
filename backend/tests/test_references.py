"""Reference library over real processes: the seed's scripts, /api/references, /api/similarity, /api/compare."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.services.builtin import load_metadata
from helpers import BACKEND_DIR, LiveServer, run_server, sine, write_wav

BUILTIN_COUNT = 24


def _script(name: str, args: list[str], app_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APP_HOME": str(app_home)}
    env["DATABASE_URL"] = ""  # SQLite in APP_HOME, whatever the environment or .env says
    return subprocess.run([sys.executable, "-m", f"scripts.{name}", *args], cwd=BACKEND_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def _count(home: Path, where: str = "1=1") -> int:
    conn = sqlite3.connect(home / "audio_mastering.db")
    try:
        return int(conn.execute(f"SELECT count(*) FROM reference_tracks WHERE {where}").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """An APP_HOME with the built-ins and one user reference, plus that reference's WAV."""
    root = tmp_path_factory.mktemp("refs")
    home = root / "home"
    done = _script("populate_references", [], home)
    assert done.returncode == 0, done.stderr
    wav = write_wav(root / "my_master.wav", sine(110.0, 8.0, sr=44100, amp=0.4) + sine(3000.0, 8.0, sr=44100, amp=0.1),
                    sr=44100)
    added = _script("analyze_reference", [str(wav), "--name", "My Master", "--artist", "Me", "--genre",
                                          "Psytrance", "--year", "2024"], home)
    assert added.returncode == 0, added.stderr
    yield home, wav


def test_populate_is_idempotent_and_force_keeps_user_references(library: tuple[Path, Path]) -> None:
    home, _ = library
    assert _count(home, "is_builtin = 1") == BUILTIN_COUNT == len(load_metadata())
    assert _count(home, "is_builtin = 0") == 1
    again = _script("populate_references", [], home)
    assert again.returncode == 0 and "added 0" in again.stdout
    forced = _script("populate_references", ["--force"], home)
    assert forced.returncode == 0 and f"replaced {BUILTIN_COUNT}" in forced.stdout
    assert _count(home, "is_builtin = 1") == BUILTIN_COUNT and _count(home, "is_builtin = 0") == 1


def test_analyze_reference_refuses_unknown_genres_and_missing_files(library: tuple[Path, Path]) -> None:
    home, wav = library
    typo = _script("analyze_reference", [str(wav), "--name", "X", "--artist", "Y", "--genre", "Psytranse"], home)
    assert typo.returncode == 2 and "--new-genre" in typo.stderr and "Psytrance" in typo.stderr
    missing = _script("analyze_reference", [str(wav.parent / "nope.wav"), "--genre", "Techno"], home)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    before = _count(home)
    created = _script("analyze_reference", [str(wav), "--name", "Mine", "--artist", "Y", "--genre", "Lo-Fi Dub",
                                            "--new-genre"], home)
    assert created.returncode == 0, created.stderr
    assert _count(home) == before + 1


@pytest.fixture(scope="module")
def server(library: tuple[Path, Path]) -> Iterator[LiveServer]:
    home, _ = library
    with run_server(home) as live:
        yield live


def test_references_endpoint_filters_by_genre_with_aliases(server: LiveServer) -> None:
    with server.client() as client:
        everything = client.get("/api/references").json()
        assert len(everything) >= BUILTIN_COUNT + 1
        dnb = client.get("/api/references", params={"genre": "drum and bass"}).json()
        assert len(dnb) == 4 and {r["genre"] for r in dnb} == {"Drum & Bass"}
        assert all(r["is_builtin"] and "archetype" in r["name"].lower() for r in dnb)
        assert [b["band"] for b in dnb[0]["band_metrics"]] == ["low", "low_mid", "mid", "high_mid", "high"]
        psy = client.get("/api/references", params={"genre": "PSYTRANCE"}).json()
        assert any(r["name"] == "My Master" and not r["is_builtin"] for r in psy)
        unknown = client.get("/api/references", params={"genre": "polka-step"})
        assert unknown.status_code == 422 and "Known genres" in unknown.json()["detail"]


def test_similarity_ranks_references_and_validates(server: LiveServer, library: tuple[Path, Path]) -> None:
    _, wav = library
    with server.client() as client, wav.open("rb") as fh:
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


def test_genres_endpoint_lists_targets_from_references(server: LiveServer) -> None:
    with server.client() as client:
        genres = {g["name"]: g for g in client.get("/api/genres").json()}
    assert genres["Techno"]["source"] == "4 references"
    assert genres["Rock"]["source"] == "constants"
    assert "dnb" in genres["Drum & Bass"]["aliases"]
    assert len(genres["Techno"]["spectrum_db"]) == 60
    assert sum(b["energy_ratio"] for b in genres["Rock"]["bands"].values()) == pytest.approx(1.0)


def test_a_folder_of_user_references_becomes_a_genre_target_for_analyze(
    server: LiveServer, library: tuple[Path, Path], tmp_path: Path
) -> None:
    home, _ = library
    folder = tmp_path / "my_refs"
    folder.mkdir()
    # Two references whose energy sits 80 % / 20 % between the low and mid bands (equal-length sines:
    # power ratio = amplitude² ratio = (0.4² : 0.2²) = 0.8 : 0.2).
    for i in range(2):
        write_wav(folder / f"ref{i}.wav", sine(100.0, 6.0, amp=0.4) + sine(1000.0, 6.0, amp=0.2))
    done = _script("analyze_reference", [str(folder), "--artist", "Me", "--genre", "Garage Club Target",
                                         "--new-genre"], home)
    assert done.returncode == 0, done.stderr
    assert "2/2" in done.stderr  # the folder's progress bar
    with server.client() as client:
        genres = {g["name"]: g for g in client.get("/api/genres").json()}
        target = genres["Garage Club Target"]
        assert target["source"] == "2 references"
        assert target["bands"]["low"]["energy_ratio"] == pytest.approx(0.8, abs=0.02)
        track = write_wav(tmp_path / "track.wav", sine(100.0, 6.0, amp=0.2) + sine(1000.0, 6.0, amp=0.4))
        with track.open("rb") as fh:
            response = client.post("/api/analyze", files={"file": ("track.wav", fh, "audio/wav")},
                                   data={"genre": "garage club target", "recommendation_level": "informative"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["genre"] == "Garage Club Target"
    low = next(r for r in body["recommendations"] if r["band"] == "low" and r["metric"] == "energy_ratio")
    # The track's low share is 0.2 against the target's 0.8: 10·log10(0.2/0.8) = −6.02 dB.
    assert low["deviation"] == pytest.approx(-6.02, abs=0.3)
