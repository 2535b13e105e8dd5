"""The command line as a user runs it: a subprocess from backend/ on WAV files written here."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from drums import PATTERNS, render

from helpers import BACKEND_DIR, sine, write_wav


def _env(app_home: Path) -> dict[str, str]:
    env = {**os.environ, "APP_HOME": str(app_home)}
    env["DATABASE_URL"] = ""  # SQLite in APP_HOME, whatever the environment or .env says
    return env


def _run(args: list[str], app_home: Path, module: str = "cli") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=BACKEND_DIR,
        env=_env(app_home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _run_on_terminal(args: list[str], app_home: Path) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on one pseudo-terminal, as in a shell; (exit code, bytes it wrote)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=BACKEND_DIR,
        env=_env(app_home),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return proc.wait(timeout=300), b"".join(chunks).decode()


def _screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: carriage return, newline and "erase line" (ESC [2K) applied, other
    control sequences (colours, cursor visibility) dropped."""
    raw = re.sub(r"\x1b\[(?!2K)[0-9;?]*[A-Za-z]", "", raw)
    lines: list[list[str]] = [[]]
    col = 0
    i = 0
    while i < len(raw):
        if raw.startswith("\x1b[2K", i):
            lines[-1] = [" "] * col
            i += 4
            continue
        c = raw[i]
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append([])
            col = 0
        else:
            line = lines[-1]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = c
            col += 1
        i += 1
    return ["".join(line).rstrip() for line in lines]


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


def test_json_tempo_in_the_genres_octave(tmp_path: Path) -> None:
    """A kick on every beat at 172 BPM analysed as Drum & Bass reports 172 BPM (documented range 160–180)."""
    path = write_wav(
        tmp_path / "dnb.wav", render(PATTERNS["four on the floor"], 172.0, fs=22050), sr=22050, subtype="PCM_16"
    )
    done = _run(["analyze", str(path), "--genre", "dnb", "--json"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["overall_metrics"]["tempo_bpm"] == pytest.approx(172.0, abs=0.5)


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


def test_a_catalogue_of_sub_folders_with_recursive(tmp_path: Path) -> None:
    """A catalogue is folders of folders: without --recursive the command says so; with it every audio file
    below is analysed (hidden folders left out), named by its path in the folder, so equal names stay apart."""
    root = tmp_path / "catalogue"
    amps = {"album a/01.wav": 0.5, "album b/01.wav": 0.25, "album b/cd 2/01.wav": 0.125}
    for rel, amp in amps.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_wav(root / rel, sine(997.0, 2.0, amp=amp))
    (root / ".cache").mkdir()
    write_wav(root / ".cache" / "01.wav", sine(997.0, 2.0, amp=0.9))
    (root / "album a" / "cover.txt").write_text("not audio")
    flat = _run(["analyze", str(root)], tmp_path / "home")
    assert flat.returncode == 2 and "--recursive" in flat.stderr
    out = tmp_path / "catalogue.json"
    done = _run(["analyze", str(root), "-r", "--json", "--output", str(out), "--workers", "2"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "skipped: album a/cover.txt: " in done.stderr
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
    assert bad.returncode == 1 and "not in an audio format" in bad.stderr and "Traceback" not in bad.stderr
    path = write_wav(tmp_path / "ok.wav", sine(440.0, 1.0))
    genre = _run(["analyze", str(path), "--genre", "polka-step"], tmp_path / "home")
    assert genre.returncode == 2 and "Known genres" in genre.stderr


def test_the_progress_bar_keeps_out_of_the_report_on_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "album"
    folder.mkdir()
    for name, amp in {"a.wav": 0.5, "b.wav": 0.25, "c.wav": 0.125}.items():
        write_wav(folder / name, sine(997.0, 3.0, amp=amp))
    code, raw = _run_on_terminal(["analyze", str(folder)], tmp_path / "home")
    assert code == 0, raw
    assert raw.count("\x1b[2K") >= 3  # the bar was drawn in place, and lifted for each report
    screen = _screen(raw)
    bars = [line for line in screen if line.startswith("analysing ")]
    assert len(bars) == 1 and "3/3" in bars[0]  # every earlier state of the bar was erased
    for name in ("a.wav", "b.wav", "c.wav"):
        assert sum(line.startswith(f"{name} — ") for line in screen) == 1, f"no clean header line for {name}"
    assert not any("━" in line and "—" in line for line in screen)


def test_a_pipe_gets_plain_text_and_one_progress_line_per_file(tmp_path: Path) -> None:
    """Into a pipe (or a log) no escape code at all, no redrawn bar: the tables as text, a line per file done."""
    folder = tmp_path / "album"
    folder.mkdir()
    for name in ("a.wav", "b.wav"):
        write_wav(folder / name, sine(997.0, 1.0, amp=0.5))
    (folder / "c.wav").write_text("not audio")
    done = _run(["analyze", str(folder), "--genre", "techno"], tmp_path / "home")
    assert done.returncode == 1  # c.wav failed
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr and "\r" not in done.stderr
    lines = done.stderr.splitlines()  # one line per file as it is done (files run in parallel), then a summary
    assert [line.split(" ")[0] for line in lines[:3]] == ["[1/3]", "[2/3]", "[3/3]"], lines
    assert sorted(line.split(" ")[1] for line in lines[:3]) == ["a.wav:", "b.wav:", "c.wav:"], lines
    failed = next(line for line in lines[:3] if "c.wav" in line)
    assert "error:" in failed and "not in an audio format" in failed
    assert len(lines) == 4 and "1 failed" in lines[3]
    assert done.stdout.splitlines().count("Loudness") == 2  # a table title per report
    assert all(line == line.rstrip() for line in done.stdout.splitlines())


def test_json_of_a_failed_file_is_an_error_object_and_of_a_folder_a_list(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wav"
    fake.write_text("hello")
    done = _run(["analyze", str(fake), "--json"], tmp_path / "home")
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["filename"] == "fake.wav" and "not in an audio format" in error["detail"]

    folder = tmp_path / "mixed"
    folder.mkdir()
    write_wav(folder / "good.wav", sine(997.0, 2.0, amp=0.5))
    (folder / "broken.wav").write_text("hello")
    done = _run(["analyze", str(folder), "--json"], tmp_path / "home")
    assert done.returncode == 1
    items = json.loads(done.stdout)
    assert [item["filename"] for item in items] == ["broken.wav", "good.wav"]
    assert "not in an audio format" in items[0]["detail"] and "overall_metrics" in items[1]


def test_no_negative_zero_in_the_tables(tmp_path: Path) -> None:
    # L = sin, R = cos at full scale (16-bit): the correlation is 0 and the peak 20·log10(32767/32768) dBFS,
    # both measured a hair below zero, which "%.2f" would print as "-0.00".
    sr = 44100
    t = np.arange(4 * sr) / sr
    x = np.stack([np.sin(2 * np.pi * 441 * t), np.cos(2 * np.pi * 441 * t)], axis=1) * (32767 / 32768)
    path = write_wav(tmp_path / "quadrature.wav", x.astype(np.float32), sr=sr, subtype="PCM_16")
    report = json.loads(_run(["analyze", str(path), "--json"], tmp_path / "home").stdout)
    o = report["overall_metrics"]
    assert -0.005 < o["sample_peak_dbfs"] < 0 and -0.005 < o["phase_correlation_min"] < 0  # the case is real
    text = _run(["analyze", str(path)], tmp_path / "home").stdout
    tables = text.split("\n\n 1. ")[0]  # the advice below the tables is the server's own wording
    assert "Sample peak" in tables and "Phase correlation" in tables
    assert re.findall(r"-0\.0+\b", tables) == []


def test_sections_similar_references_and_a_recommendation_table(tmp_path: Path) -> None:
    # 12 s at −30 dBFS-peak, 14 s at −6 dBFS-peak, 12 s at −30 again: a quiet / loud / quiet track.
    amps = [(12.0, 10 ** (-30 / 20)), (14.0, 10 ** (-6 / 20)), (12.0, 10 ** (-30 / 20))]
    x = np.concatenate([sine(997.0, sec, sr=44100, amp=a) for sec, a in amps])
    path = write_wav(tmp_path / "sections.wav", x, sr=44100)
    home = tmp_path / "home"
    report = json.loads(_run(["analyze", str(path), "--genre", "techno", "--json"], home).stdout)
    kinds = [s["kind"] for s in report["sections"]]
    assert len(kinds) == 3 and kinds[1] != kinds[0]
    # The loud part of a stereo 997 Hz sine of peak A reads 20·log10(A) LUFS.
    assert report["sections"][1]["integrated_lufs"] == pytest.approx(-6.0, abs=0.2)
    similar = report["similar_references"]
    assert len(similar) == 5 and all(s["reference"]["is_builtin"] for s in similar)
    assert [s["similarity"] for s in similar] == sorted((s["similarity"] for s in similar), reverse=True)
    text = _run(["analyze", str(path), "--genre", "techno"], home).stdout
    assert "Most similar references" in text and similar[0]["reference"]["name"] in text
    sections = text.split("Sections")[1].split("\n\n")[0]
    rows = sections.splitlines()[3:]
    header = sections.splitlines()[1]
    assert "mid %" in header and len(rows) == 3
    mid_column = [c.strip() for c in re.split(r"\s{2,}", header)].index("mid %")
    for row in rows:
        # a 997 Hz sine's energy is all in the mid band, less the band filters' skirts (as in test_sections)
        assert float(re.split(r"\s{2,}", row.strip())[mid_column]) == pytest.approx(100.0, abs=2.0)
    recs = text.split("Recommendations (")[1]
    header = recs.splitlines()[1].split()
    assert header == ["#", "severity", "where", "what", "now", "target", "deviation", "step"]
    loudness = next(line for line in recs.splitlines() if "integrated loudness" in line)
    lufs = report["overall_metrics"]["integrated_lufs"]
    target = report["target"]["integrated_lufs"]
    assert f"{lufs:.1f} LUFS" in loudness and f"{target:.1f} LUFS" in loudness
    assert f"{lufs - target:+.1f} LU" in loudness


def test_similar_references_come_from_the_database_when_there_is_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    low = write_wav(tmp_path / "low.wav", sine(80.0, 4.0, amp=0.5))
    high = write_wav(tmp_path / "high.wav", sine(5000.0, 4.0, amp=0.1))
    for path in (low, high):
        added = _run([str(path), "--genre", "My Sines", "--new-genre"], home, module="scripts.analyze_reference")
        assert added.returncode == 0, added.stderr
    report = json.loads(_run(["analyze", str(low), "--json"], home).stdout)
    names = [(s["reference"]["name"], s["reference"]["is_builtin"]) for s in report["similar_references"]]
    assert names == [("low", False), ("high", False)]
    assert report["similar_references"][0]["similarity"] == pytest.approx(1.0, abs=1e-5)  # the same file


def test_output_needs_json(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "ok.wav", sine(440.0, 1.0))
    out = tmp_path / "report.json"
    refused = _run(["analyze", str(path), "--output", str(out)], tmp_path / "home")
    assert refused.returncode == 2 and "--output" in refused.stderr and "--json" in refused.stderr
    assert not out.exists()
    written = _run(["analyze", str(path), "--json", "--output", str(out)], tmp_path / "home")
    assert written.returncode == 0 and json.loads(out.read_text())["filename"] == "ok.wav"


def test_a_reader_that_stops_early_ends_the_cli_quietly(tmp_path: Path) -> None:
    """``python -m cli analyze x.wav | head``: the pipe closes before the report is written; no traceback."""
    path = write_wav(tmp_path / "ok.wav", sine(440.0, 1.0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "analyze", str(path)], cwd=BACKEND_DIR, env=_env(tmp_path / "home"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` having read its lines and left
    stderr = proc.stderr.read().decode()
    code = proc.wait(timeout=300)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert code == 141
