"""Every format through every entrance: the API (with ``codec_preview``), the CLI folder batch, the page's picker.

Files are written by the project's own encoders (libsndfile; FFmpeg through PyAV for M4A).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from amt.api.services.destinations import destination_previews
from amt.config.constants import DESTINATIONS
from amt.utils.paths import AUDIO_SUFFIXES
from helpers import BACKEND_DIR, LiveServer, run_server, sine, write_m4a, write_wav

LOSSY_DESTINATIONS = {d.name for d in DESTINATIONS if d.codec is not None}


def tone_mix(seconds: float = 4.0, sr: int = 44100) -> np.ndarray:
    """Two tones and a little noise, peaks near −3 dBFS."""
    rng = np.random.default_rng(4)
    x = sine(220.0, seconds, sr=sr, amp=0.4) + sine(3000.0, seconds, sr=sr, amp=0.2)
    return (x + 0.02 * rng.standard_normal(x.shape)).astype(np.float32)


def test_the_pages_file_picker_offers_every_format_read() -> None:
    page = (BACKEND_DIR / "amt" / "web" / "index.html").read_text()
    accept = re.search(r'id="file-input"[^>]*accept="([^"]+)"', page)
    assert accept is not None
    offered = set(accept.group(1).split(","))
    assert AUDIO_SUFFIXES <= offered, sorted(AUDIO_SUFFIXES - offered)
    assert 'name="codec_preview"' in page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("formats") / "home"
    with run_server(home, env={"MAX_UPLOAD_MB": "8", "MAX_DURATION_S": "30"}) as live:
        yield live


def _post(server: LiveServer, path: Path, **fields: str) -> tuple[int, dict]:
    with server.client() as client, path.open("rb") as f:
        r = client.post("/api/analyze", files={"file": (path.name, f)}, data={"genre": "", **fields})
    return r.status_code, r.json()


def test_flac_and_aiff_uploads_read_as_their_wav(server: LiveServer, tmp_path: Path) -> None:
    x = np.round(tone_mix() * 2**23) / 2**23
    wav = write_wav(tmp_path / "mix.wav", x, sr=44100, subtype="PCM_24")
    flac, aiff = tmp_path / "mix.flac", tmp_path / "mix.aif"
    sf.write(flac, x, 44100, subtype="PCM_24", format="FLAC")
    sf.write(aiff, x, 44100, subtype="PCM_24", format="AIFF")
    status, reference = _post(server, wav)
    assert status == 201, reference
    for path, fmt in ((flac, "FLAC"), (aiff, "AIFF")):
        status, body = _post(server, path)
        assert status == 201, body
        assert body["audio"] == {**reference["audio"], "format": fmt, "codec": "FLAC" if fmt == "FLAC" else "PCM"}
        assert body["overall_metrics"] == reference["overall_metrics"]
    assert reference["audio"]["lossy"] is False and reference["audio"]["lowpass_hz"] is None


def test_an_mp3_upload_with_codec_preview(server: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "ref.mp3"
    sf.write(path, tone_mix(3.0), 44100, format="MP3", subtype="MPEG_LAYER_III", bitrate_mode="CONSTANT",
             compression_level=0.6)  # fmt: skip
    status, body = _post(server, path, codec_preview="true")
    assert status == 201, body
    audio = body["audio"]
    assert (audio["format"], audio["codec"], audio["lossy"], audio["bit_depth"]) == ("MP3", "MP3", True, None)
    assert 100 < audio["bit_rate_kbps"] < 200 and 15_000 < audio["lowpass_hz"] < 19_000
    encoded = {d["name"]: d.get("encoded") for d in body["destinations"]}
    assert {name for name, e in encoded.items() if e} == LOSSY_DESTINATIONS
    spotify = next(d for d in body["destinations"] if d["name"] == "Spotify")
    assert spotify["encoded"]["codec"] == "Vorbis" and spotify["encoded"]["bitrate_kbps"] == 320
    assert -5.0 < spotify["encoded"]["true_peak_dbtp"] < 0.0 and spotify["encoded"]["clipped_samples"] == 0
    assert "Vorbis 320 kbit/s" in spotify["verdict"] and "clean" in spotify["verdict"]
    with server.client() as client:
        again = client.get(f"/api/analysis/{body['id']}").json()
    assert again["destinations"] == body["destinations"] and again["audio"] == audio
    status, plain = _post(server, path)
    assert status == 201 and all("encoded" not in d or d["encoded"] is None for d in plain["destinations"])


def test_codec_preview_must_be_a_boolean(server: LiveServer, tmp_path: Path) -> None:
    status, body = _post(server, write_wav(tmp_path / "a.wav", tone_mix(1.0), sr=44100), codec_preview="maybe")
    assert status == 422 and "codec_preview" in body["detail"]


def test_a_measured_encode_replaces_the_rule_of_thumb_in_the_verdict() -> None:
    """A −0.5 dBTP master at −9 LUFS: the rule says 'may clip'; a measured clean encode says so instead."""
    encoded = [{"codec": "AAC", "bitrate_kbps": 256, "sample_rate": 44100, "true_peak_dbtp": -0.2,
                "clipped_samples": 0},
               {"codec": "Opus", "bitrate_kbps": 160, "sample_rate": 48000, "true_peak_dbtp": 0.7,
                "clipped_samples": 12}]  # fmt: skip
    by_name = {d["name"]: d for d in destination_previews(-9.0, -0.5, encoded)}
    assert "may clip after lossy encoding" in by_name["Spotify"]["verdict"]  # no Vorbis preview: the rule
    assert by_name["Apple Music"]["verdict"].endswith(
        "after AAC 256 kbit/s encoding the true peak reads −0.2 dBTP (0.3 dB over the master): still clean."
    )
    assert "it will clip (12 decoded samples" in by_name["YouTube"]["verdict"]
    assert by_name["Tidal"].get("encoded") is None and by_name["YouTube"]["encoded"]["true_peak_dbtp"] == 0.7


def test_cli_folder_batch_reads_every_format_and_names_what_it_skips(tmp_path: Path) -> None:
    folder = tmp_path / "album"
    folder.mkdir()
    x = tone_mix(2.0)
    sf.write(folder / "01 bounce.aiff", x, 44100, subtype="PCM_24", format="AIFF")
    sf.write(folder / "02 archive.flac", x, 44100, subtype="PCM_16", format="FLAC")
    sf.write(folder / "03 reference.mp3", x, 44100, format="MP3", subtype="MPEG_LAYER_III")
    sf.write(folder / "04 stream.ogg", x, 44100, format="OGG", subtype="VORBIS")
    write_m4a(folder / "05 store.m4a", x, 44100, "aac")
    write_m4a(folder / "06 lossless.m4a", x, 44100, "alac")
    sf.write(folder / "07 no extension", x, 44100, subtype="PCM_16", format="WAV")  # known by its bytes
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    (folder / "notes.txt").write_text("mix notes\n")
    (folder / "broken.wav").write_text("not audio")
    (folder / ".DS_Store").write_bytes(bytes(16))
    run = subprocess.run(
        [sys.executable, "-m", "cli", "analyze", str(folder), "--json"], cwd=BACKEND_DIR, capture_output=True,
        text=True, timeout=600, env={**os.environ, "APP_HOME": str(tmp_path / "home"), "DATABASE_URL": ""},
    )  # fmt: skip
    assert run.returncode == 1, run.stderr  # broken.wav failed
    items = json.loads(run.stdout)
    assert [i["filename"] for i in items] == [
        "01 bounce.aiff", "02 archive.flac", "03 reference.mp3", "04 stream.ogg", "05 store.m4a",
        "06 lossless.m4a", "07 no extension", "broken.wav",
    ]  # fmt: skip
    codecs = [(i["audio"]["format"], i["audio"]["codec"], i["audio"]["lossy"]) for i in items[:-1]]
    assert codecs == [("AIFF", "PCM", False), ("FLAC", "FLAC", False), ("MP3", "MP3", True), ("OGG", "Vorbis", True),
                      ("MP4", "AAC", True), ("MP4", "ALAC", False), ("WAV", "PCM", False)]  # fmt: skip
    lufs = [i["overall_metrics"]["integrated_lufs"] for i in items[:-1]]
    assert max(lufs) - min(lufs) < 0.5
    assert "not in an audio format" in items[-1]["detail"]
    assert "skipped: cover.jpg: The file is not in an audio format that is read" in run.stderr
    assert "skipped: notes.txt:" in run.stderr and ".DS_Store" not in run.stderr
