"""The command line as a user runs it: a subprocess from backend/ on WAV files written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import BACKEND_DIR, sine, write_wav


def _run(args: list[str], app_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APP_HOME": str(app_home)}
    env["DATABASE_URL"] = ""  # SQLite in APP_HOME, whatever the environment or .env says
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def test_json_report_of_one_file(tmp_path: Path) -> None:
    # −20 dBFS-peak stereo 997 Hz sine: BS.1770 reads −20.0 LUFS; sample peak −20 dBFS; RMS −23.01 dBFS.
    path = write_wav(tmp_path / "tone.wav", sine(997.0, 6.0, sr=44100, amp=0.1), sr=44100, subtype="FLOAT")
    done = _run(["analyze", str(path), "--genre", "dnb", "--level", "prescriptive", "--json"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    o = report["overall_metrics"]
    assert report["genre"] == "Drum & Bass" and report["recommendation_level"] == "prescriptive"
    assert o["integrated_lufs"] == pytest.approx(-20.0, abs=0.1)
    assert o["sample_peak_dbfs"] == pytest.approx(-20.0, abs=0.01)
    assert o["rms_dbfs"] == pytest.approx(-23.01, abs=0.02)
    assert any(r["metric"] == "integrated_lufs" and r["severity"] == "critical" for r in report["recommendations"])
    assert {d["name"] for d in report["destinations"]} >= {"Spotify", "Club / DJ"}
    assert not (tmp_path / "home" / "audio_mastering.db").exists()  # the CLI needs no database


def test_tables_have_units(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tone.wav", sine(440.0, 4.0, amp=0.5))
    done = _run(["analyze", str(path)], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    for expected in ("Integrated", "LUFS", "dBTP", "Bands", "Hz", "Recommendations"):
        assert expected in done.stdout


def test_a_folder_gets_a_progress_bar_and_one_report_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "album"
    folder.mkdir()
    amps = {"a.wav": 0.5, "b.wav": 0.25, "c.wav": 0.125}
    for name, amp in amps.items():
        write_wav(folder / name, sine(997.0, 3.0, amp=amp))
    (folder / "notes.txt").write_text("not audio")
    out = tmp_path / "report.json"
    done = _run(["analyze", str(folder), "--json", "--output", str(out)], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "3/3" in done.stderr
    reports = json.loads(out.read_text())
    assert [r["filename"] for r in reports] == sorted(amps)
    for r in reports:
        assert r["overall_metrics"]["sample_peak_dbfs"] == pytest.approx(20 * np.log10(amps[r["filename"]]), abs=0.01)


def test_errors_are_clear(tmp_path: Path) -> None:
    missing = _run(["analyze", str(tmp_path / "nope.wav")], tmp_path / "home")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    text = tmp_path / "fake.wav"
    text.write_text("hello")
    bad = _run(["analyze", str(text)], tmp_path / "home")
    assert bad.returncode == 1 and "not a WAV" in bad.stderr and "Traceback" not in bad.stderr
    path = write_wav(tmp_path / "ok.wav", sine(440.0, 1.0))
    genre = _run(["analyze", str(path), "--genre", "polka-step"], tmp_path / "home")
    assert genre.returncode == 2 and "Known genres" in genre.stderr
