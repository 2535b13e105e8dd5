"""The analysis API over real HTTP: a real uvicorn process, WAV files written by the tests."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from drums import PATTERNS, render
from scipy import signal
from sqlalchemy import create_engine, text

from amt.api.services.corpus import corpus_target
from amt.mastering.rbj import biquad
from amt.synth.archetypes import render_archetype
from helpers import DATABASE_KINDS, LiveServer, database_of_kind, run_server, sine, write_wav

TABLES = ("analysis", "band_metrics", "overall_metrics", "recommendations")
DATABASE_URLS: dict[str, str] = {}
"""The database each live server (by its URL) writes to, for counting rows behind its back."""


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per database kind: SQLite in APP_HOME, and a fresh PostgreSQL database when one can be had."""
    home = tmp_path_factory.mktemp(f"api-{request.param}") / "home"
    with (
        database_of_kind(request, home / "audio_mastering.db") as url,
        run_server(home, env={"MAX_UPLOAD_MB": "2", "MAX_DURATION_S": "30", "DATABASE_URL": url}) as live,
    ):
        DATABASE_URLS[live.url] = url
        yield live


def _count(server: LiveServer, sql: str, **params: str) -> int:
    """One ``SELECT count(*)`` through SQLAlchemy against the server's own database."""
    engine = create_engine(DATABASE_URLS[server.url])
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 s of a 997 Hz stereo sine at −20 dBFS peak in each channel, 24-bit."""
    path = tmp_path_factory.mktemp("wav") / "tone.wav"
    return write_wav(path, sine(997.0, 5.0, sr=48000, amp=10 ** (-20 / 20)), sr=48000, subtype="PCM_24")


def _counts(server: LiveServer) -> dict[str, int]:
    return {t: _count(server, f"SELECT count(*) FROM {t}") for t in TABLES}


def _temp_files(server: LiveServer) -> list[Path]:
    return list((server.app_home / "tmp").iterdir())


def _post(server: LiveServer, path: Path, name: str | None = None, **fields: str):  # type: ignore[no-untyped-def]
    with server.client() as client, path.open("rb") as fh:
        return client.post("/api/analyze", files={"file": (name or path.name, fh, "audio/wav")}, data=fields)


def test_full_flow_upload_read_series_list_delete(server: LiveServer, tone_wav: Path) -> None:
    # The seed README's curl line: -F file=@track.wav -F genre=rock -F recommendation_level=suggestive
    response = _post(server, tone_wav, genre="rock", recommendation_level="suggestive")
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/analysis/{body['id']}"
    assert body["genre"] == "Rock" and body["recommendation_level"] == "suggestive" and body["stage"] == "master"
    assert body["audio"] == {"sample_rate": 48000, "channels": 2, "bit_depth": 24, "duration_s": 5.0,
                             "format": "WAV", "codec": "PCM", "lossy": False, "bit_rate_kbps": None,
                             "lowpass_hz": None}  # fmt: skip
    created = datetime.fromisoformat(body["created_at"])  # with its UTC offset on both databases
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)
    # A stereo sine of peak A reads 20·log10(A) − 3.01 + 3.01 (two channels) LUFS at 997 Hz (BS.1770 is
    # calibrated so that a 0 dBFS-peak 1 kHz sine in one channel reads −3.01 LUFS).
    assert body["overall_metrics"]["integrated_lufs"] == pytest.approx(-20.0, abs=0.1)
    assert body["overall_metrics"]["rms_dbfs"] == pytest.approx(-23.01, abs=0.02)
    assert [b["band"] for b in body["band_metrics"]] == ["low", "low_mid", "mid", "high_mid", "high"]
    assert body["band_metrics"][2]["energy_ratio"] > 0.99
    # Rock's real masters (the corpus) span its loudness range; the tone's −20 LUFS is judged against that range.
    low, high = corpus_target("Rock").loudness_range_lufs
    loudness = [r for r in body["recommendations"] if r["metric"] == "integrated_lufs"]
    assert low <= -20.0 <= high  # quiet game masters are among Rock's real references
    assert loudness == []

    with server.client() as client:
        again = client.get(response.headers["location"])
        assert again.status_code == 200 and again.json() == body
        series = client.get(f"/api/analysis/{body['id']}/series").json()
        assert len(series["short_term_lufs"]) == pytest.approx(50, abs=1)
        assert len(series["spectrum_db"]) == 60
        assert set(series["band_rms_db"]) == {b["band"] for b in body["band_metrics"]}
        page = client.get("/api/analyses", params={"limit": 5}).json()
        assert page["items"][0]["id"] == body["id"] and page["total"] >= 1 and page["limit"] == 5
        assert client.delete(f"/api/analysis/{body['id']}").status_code == 204
        assert client.get(f"/api/analysis/{body['id']}").status_code == 404
        assert client.delete(f"/api/analysis/{body['id']}").status_code == 404
    for table in ("band_metrics", "overall_metrics", "recommendations"):
        assert _count(server, f"SELECT count(*) FROM {table} WHERE analysis_id = :id", id=body["id"]) == 0
    log_text = (server.app_home / "logs" / "backend.log").read_text()
    assert re.search(r"Analysed tone\.wav: 5\.0 s of audio in \d+\.\d\d s", log_text)  # file, duration, time
    assert re.search(r"POST /api/analyze 201 \d+\.\d ms", log_text)  # method, path, status, duration


def test_defaults_come_from_user_settings(server: LiveServer, tone_wav: Path) -> None:
    with server.client() as client:
        client.put("/api/settings", json={"default_genre": "dnb", "default_recommendation_level": "prescriptive"})
        try:
            body = _post(server, tone_wav).json()
        finally:
            client.put("/api/settings", json={"default_genre": None, "default_recommendation_level": "suggestive"})
    assert body["genre"] == "Drum & Bass" and body["recommendation_level"] == "prescriptive"


def test_default_stage_and_an_explicitly_empty_genre(server: LiveServer, tone_wav: Path) -> None:
    with server.client() as client:
        client.put("/api/settings", json={"default_genre": "Techno", "default_stage": "mix"})
        try:
            defaulted = _post(server, tone_wav).json()
            no_genre = _post(server, tone_wav, genre="", stage="master").json()  # "no genre", not "the default"
        finally:
            client.put("/api/settings", json={"default_genre": None, "default_stage": "master"})
    assert defaulted["genre"] == "Techno" and defaulted["stage"] == "mix"
    assert no_genre["genre"] is None and no_genre["stage"] == "master"
    # without a genre only the always-flagged checks run: this clean −20 dBFS tone raises none
    assert no_genre["recommendations"] == []


def _adpcm_wav(path: Path) -> Path:
    sf.write(str(path), np.zeros((4800, 1), dtype=np.float32), 48000, subtype="IMA_ADPCM", format="WAV")
    return path


def _truncated_wav(path: Path, tmp: Path) -> Path:
    full = write_wav(tmp / "full.wav", sine(440.0, 2.0), subtype="PCM_16")
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def _zero_frames_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
    return path


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("text", 415, "not in an audio format"),
        ("adpcm", 415, "ADPCM"),
        ("truncated", 400, "truncated"),
        ("zero_frames", 400, "no audio"),
        ("too_long", 400, "longer than the 30 s limit"),
        ("too_large", 413, "MAX_UPLOAD_MB"),
        ("bad_genre", 422, "Known genres"),
        ("bad_level", 422, "prescriptive"),
        ("bad_stage", 422, "master"),
    ],
)
def test_refused_uploads_leave_no_row_and_no_temp_file(
    server: LiveServer, tmp_path: Path, case: str, status: int, words: str
) -> None:
    fields: dict[str, str] = {}
    if case == "text":
        path = tmp_path / "notes.wav"
        path.write_text("these are my mixing notes, not audio\n" * 20)
    elif case == "adpcm":
        path = _adpcm_wav(tmp_path / "adpcm.wav")
    elif case == "truncated":
        path = _truncated_wav(tmp_path / "cut.wav", tmp_path)
    elif case == "zero_frames":
        path = _zero_frames_wav(tmp_path / "empty.wav")
    elif case == "too_long":
        path = write_wav(tmp_path / "long.wav", np.zeros((31 * 8000, 1), np.float32), sr=8000, subtype="PCM_U8")
    elif case == "too_large":
        path = write_wav(tmp_path / "big.wav", np.zeros((3 * 1024 * 1024 // 4, 2), np.float32), subtype="PCM_16")
    else:
        path = write_wav(tmp_path / "ok.wav", sine(440.0, 1.0), subtype="PCM_16")
        fields = {
            "bad_genre": {"genre": "polka-step"},
            "bad_level": {"recommendation_level": "loud"},
            "bad_stage": {"stage": "demo"},
        }[case]
    before = _counts(server)
    response = _post(server, path, **fields)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert words.lower() in detail.lower()
    assert "Traceback" not in detail and str(server.app_home) not in detail and "/tmp" not in detail
    assert _counts(server) == before
    assert _temp_files(server) == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/analysis/not-a-uuid", 422),
        ("/api/analysis/00000000-0000-4000-8000-000000000000", 404),
        ("/api/analysis/00000000-0000-4000-8000-000000000000/series", 404),
        ("/api/analyses?limit=0", 422),
        ("/api/analyses?offset=-1", 422),
    ],
)
def test_read_errors(server: LiveServer, url: str, status: int) -> None:
    with server.client() as client:
        response = client.get(url)
    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)


def test_missing_file_field_is_422(server: LiveServer) -> None:
    with server.client() as client:
        response = client.post("/api/analyze", data={"genre": "rock"}, files={"other": ("x.txt", b"hi", "text/plain")})
    assert response.status_code == 422 and "file" in response.json()["detail"]


def test_a_file_sent_as_a_plain_field_is_explained(server: LiveServer) -> None:
    # curl -F "file=<track.wav" sends the bytes as text: say how to send a file instead
    with server.client() as client:
        for text_value in ("RIFF" + "x" * 100_000, ""):
            response = client.post("/api/analyze", data={"file": text_value}, files={"x": ("x", b"", "text/plain")})
            assert response.status_code == 422
            assert "file=@track.wav" in response.json()["detail"]
    assert _temp_files(server) == []


def test_many_form_fields_are_refused_like_a_large_file(server: LiveServer, tone_wav: Path) -> None:
    fields = {f"field{i}": "x" * 60_000 for i in range(8)}  # 480 kB of fields: each allowed, together too many
    before = _counts(server)
    response = _post(server, tone_wav, **fields)
    assert response.status_code == 413 and "form fields" in response.json()["detail"]
    assert _counts(server) == before and _temp_files(server) == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.wav", "passwd.wav"),
        ("..\\..\\boot.ini.wav", "boot.ini.wav"),
        (".hidden.wav", "hidden.wav"),
        ("x" * 300 + ".wav", "x" * 196 + ".wav"),  # at most 200 characters, the extension kept
    ],
)
def test_path_traversal_filename_is_stored_as_a_plain_name(
    server: LiveServer, tone_wav: Path, sent: str, stored: str
) -> None:
    body = _post(server, tone_wav, name=sent).json()
    assert body["filename"] == stored
    assert not (server.app_home / stored).exists()


def test_ten_concurrent_uploads_all_succeed_and_read_back(server: LiveServer, tmp_path: Path) -> None:
    paths = [
        write_wav(tmp_path / f"c{i}.wav", sine(200.0 + 100 * i, 3.0, sr=44100, amp=0.1 + 0.05 * i), sr=44100)
        for i in range(10)
    ]
    before = _counts(server)["analysis"]
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda p: _post(server, p, genre="techno"), paths))
    assert [r.status_code for r in responses] == [201] * 10
    with server.client() as client:
        for path, r in zip(paths, responses, strict=True):
            got = client.get(r.headers["location"]).json()
            assert got["filename"] == path.name
            amp = 0.1 + 0.05 * paths.index(path)
            assert got["overall_metrics"]["sample_peak_dbfs"] == pytest.approx(20 * np.log10(amp), abs=0.01)
    assert _counts(server)["analysis"] == before + 10
    assert _temp_files(server) == []


def test_master_returns_the_upload_with_its_plan_applied_and_stores_nothing(server: LiveServer, tmp_path: Path) -> None:
    # A sine 3 dB over full scale in float: true peak +3 dBTP, so the plan's limiter brings it under −1 dBTP.
    hot = write_wav(tmp_path / "hot.wav", sine(997.0, 4.0, sr=48000, amp=10 ** (3 / 20)), sr=48000, subtype="FLOAT")
    before = _counts(server)
    with server.client() as client, hot.open("rb") as fh:
        done = client.post("/api/master", files={"file": ("hot.wav", fh, "audio/wav")}, data={"only": "limiter"})
    assert done.status_code == 200, done.text
    assert done.headers["content-type"] == "audio/wav"
    out = tmp_path / "out.wav"
    out.write_bytes(done.content)
    y, sr = sf.read(out, dtype="float32")
    assert sr == 48000 and y.shape == (4 * 48000, 2)
    # A sine's true peak is its amplitude: under the ceiling once the limiter has settled.
    assert 20 * np.log10(np.abs(y[48000:]).max()) <= -1.0 + 0.1
    assert _counts(server) == before and _temp_files(server) == []
    with server.client() as client, hot.open("rb") as fh:
        bad = client.post("/api/master", files={"file": ("hot.wav", fh, "audio/wav")}, data={"only": "reverb"})
    assert bad.status_code == 422 and "reverb" in bad.json()["detail"]
    silent = write_wav(tmp_path / "silent.wav", np.zeros((48000, 2), np.float32), sr=48000, subtype="PCM_16")
    with server.client() as client:
        with silent.open("rb") as fh:
            quiet = client.post("/api/master", files={"file": ("silent.wav", fh, "audio/wav")})
        junk = client.post("/api/master", files={"file": ("x.wav", b"not audio at all", "audio/wav")})
    assert junk.status_code in (400, 415)
    # Silence has no integrated loudness or true peak: the headers are left out, never "nan".
    assert quiet.status_code == 200 and "X-Integrated-LUFS" not in quiet.headers
    assert "X-True-Peak-dBTP" not in quiet.headers
    assert _temp_files(server) == []


def _shape_deviations_db(bands: list[dict], targets: dict[str, dict]) -> dict[str, float]:
    """SPEC §5 tonal deviation, worked out here: each audible band's share in dB against the target share, minus
    the median over those bands (the spectrum's shape, not its level)."""
    levels = {b["band"]: b["rms_db"] for b in bands}
    loudest = max(v for v in levels.values() if v is not None)
    audible = [b for b in bands if b["rms_db"] is not None and b["rms_db"] >= max(-80.0, loudest - 50.0)]
    share_db = {b["band"]: 10 * np.log10(b["energy_ratio"] / targets[b["band"]]["energy_ratio"]) for b in audible}
    median = float(np.median(list(share_db.values())))
    return {band: d - median for band, d in share_db.items()}


def test_master_output_reanalysed_is_on_target(server: LiveServer, tmp_path: Path) -> None:
    """A Techno track with its lows cut 8 dB and peaks over 0 dBTP, through ``/api/master`` and analysed again:
    every band within its tolerance (plus what the plan leaves to the mix), the true peak under the plan's ceiling,
    and the measured-loudness headers equal to the re-analysis."""
    x = render_archetype("Techno", 1, duration_s=5.0).astype(np.float64)
    x = signal.sosfilt(biquad("low shelf", 150.0, -8.0, 0.7, 44100), x, axis=0)
    x *= 10 ** (-0.05 / 20) / np.abs(x).max()  # sample peak −0.05 dBFS: inter-sample peaks over the −1 dBTP ceiling
    src = write_wav(tmp_path / "dull.wav", x.astype(np.float32), sr=44100, subtype="PCM_24")
    form = {"genre": "Techno", "stage": "master"}
    with server.client() as client:
        targets = next(g for g in client.get("/api/genres").json() if g["name"] == "Techno")["bands"]
        with src.open("rb") as fh:
            files = {"file": ("dull.wav", fh, "audio/wav")}
            before = client.post("/api/analyze", files=files, data={**form, "recommendation_level": "prescriptive"})
        with src.open("rb") as fh:
            done = client.post("/api/master", files={"file": ("dull.wav", fh, "audio/wav")}, data=form)
        assert done.status_code == 200, done.text
        with io.BytesIO(done.content) as fh:
            again = client.post("/api/analyze", files={"file": ("out.wav", fh, "audio/wav")}, data=form)
    assert before.status_code == again.status_code == 201
    plan = before.json()["plan"]["steps"]
    ceiling = next(s["ceiling_dbtp"] for s in plan if s["kind"] == "limiter")
    left = {s["band"]: s["left_for_mix_db"] for s in plan if s["kind"] == "eq"}
    assert before.json()["overall_metrics"]["true_peak_dbtp"] > ceiling
    assert _shape_deviations_db(before.json()["band_metrics"], targets)["low"] < -4.0  # off target before
    after = again.json()
    overall = after["overall_metrics"]
    assert overall["true_peak_dbtp"] <= ceiling + 0.1
    for band, d in _shape_deviations_db(after["band_metrics"], targets).items():
        assert abs(d) <= max(targets[band]["spread_db"], 4.0) + left.get(band, 0.0) + 0.1, (band, d)
    assert float(done.headers["X-Integrated-LUFS"]) == pytest.approx(overall["integrated_lufs"], abs=0.005)
    assert float(done.headers["X-True-Peak-dBTP"]) == pytest.approx(overall["true_peak_dbtp"], abs=0.005)


def test_drum_and_bass_reads_its_documented_octave(server: LiveServer, tmp_path: Path) -> None:
    """A kick on every beat at 172 BPM: the engine's octave prior reads it at 86 or 172; as Drum & Bass the JSON
    (fresh and read back) reports 172, the octave inside the genre's documented 160–180 BPM (SPEC §4)."""
    path = write_wav(
        tmp_path / "dnb.wav", render(PATTERNS["four on the floor"], 172.0, fs=22050), sr=22050, subtype="PCM_16"
    )
    plain = _post(server, path, genre="")
    dnb = _post(server, path, genre="dnb")
    assert plain.status_code == 201 and dnb.status_code == 201, (plain.text, dnb.text)
    engine_bpm = plain.json()["overall_metrics"]["tempo_bpm"]
    assert min(abs(engine_bpm - 86.0), abs(engine_bpm - 172.0)) < 0.5
    assert dnb.json()["genre"] == "Drum & Bass"
    assert dnb.json()["overall_metrics"]["tempo_bpm"] == pytest.approx(172.0, abs=0.5)
    with server.client() as client:
        stored = client.get(f"/api/analysis/{dnb.json()['id']}").json()
    assert stored["overall_metrics"]["tempo_bpm"] == dnb.json()["overall_metrics"]["tempo_bpm"]
    # everything else is the engine's own reading, whatever the genre
    assert stored["overall_metrics"]["pulse_clarity"] == plain.json()["overall_metrics"]["pulse_clarity"]
