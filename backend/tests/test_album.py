"""The album view (SPEC §8): loudness against the tracks played in a row, the DR meters' album value,
loudness offsets and tonal balance against the album, outliers."""

from __future__ import annotations

import csv
import io
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from amt.analysis.engine import analyze_array
from amt.analysis.result import AnalysisResult
from amt.api.services.album import (
    LOUDNESS_TOLERANCE_LU,
    Album,
    AlbumTrackInput,
    album_dr,
    summarize_album,
    track_input,
)
from amt.api.services.export import album_csv, album_dict
from amt.cli.__main__ import main as cli_main
from amt.cli.album import album_text
from amt.config.constants import BAND_NAMES
from amt.utils.errors import ValidationError
from amt.utils.progress import console_for, show
from helpers import write_wav

SR = 48000


def _track(seed: int, seconds: float, *, drive: float, quiet_db: float) -> np.ndarray:
    """Seeded stereo noise in 1 s sections alternating loud and ``quiet_db`` quieter (so the relative gate
    matters), soft-clipped by ``drive`` (more drive, lower DR), peak about −1 dBFS."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    x = rng.standard_normal((n, 2))
    x[:, 1] = 0.6 * x[:, 1] + 0.4 * x[:, 0]
    envelope = np.where((np.arange(n) // SR) % 3 == 2, 10 ** (-quiet_db / 20), 1.0)[:, None]
    y = np.tanh(drive * 0.25 * x * envelope)
    return (0.89 * y / np.abs(y).max()).astype(np.float32)


@cache
def _tracks() -> tuple[np.ndarray, ...]:
    # Lengths that are not whole 100 ms: the concatenation's segments do not line up with the tracks'.
    return (
        _track(1, 4.33, drive=1.0, quiet_db=25.0),
        _track(2, 5.07, drive=6.0, quiet_db=8.0),
        0.3 * _track(3, 3.71, drive=2.5, quiet_db=15.0),
    )


def _dr_meter(x: np.ndarray, sr: int) -> float:
    """The TT DR of one track, written from SPEC §4 independently of the engine."""
    block = 3 * sr
    values = []
    for ch in range(x.shape[1]):
        s = x[:, ch].astype(np.float64)
        blocks = [s[i : i + block] for i in range(0, len(s), block)]
        rms = np.sort([math.sqrt(2 * np.mean(b**2)) for b in blocks])
        peaks = np.sort([np.abs(b).max() for b in blocks])
        top = max(1, math.floor(0.2 * len(blocks)))
        rms_top = math.sqrt(np.mean(rms[-top:] ** 2))
        peak2 = peaks[-2] if len(blocks) >= 2 else peaks[-1]
        values.append(max(0.0, 20 * math.log10(peak2 / rms_top)))
    return float(np.mean(values))


@cache
def _album() -> tuple[list[AnalysisResult], Album]:
    results = [analyze_array(x, SR) for x in _tracks()]
    return results, summarize_album([track_input(r, f"t{i}.wav") for i, r in enumerate(results, 1)])


def test_album_loudness_is_the_tracks_played_in_a_row() -> None:
    results, album = _album()
    joined = analyze_array(np.concatenate(_tracks()), SR)
    assert joined.overall.integrated_lufs is not None
    assert album.album.integrated_lufs == pytest.approx(joined.overall.integrated_lufs, abs=0.1)
    # Not just the mean of the tracks: the gate and the durations weigh in.
    mean_of_tracks = float(np.mean([r.overall.integrated_lufs for r in results]))
    assert abs(mean_of_tracks - joined.overall.integrated_lufs) > 0.5
    assert album.album.true_peak_dbtp == max(r.overall.true_peak_dbtp for r in results)
    assert album.album.duration_s == pytest.approx(sum(len(x) for x in _tracks()) / SR)
    for track, result in zip(album.tracks, results, strict=True):
        assert track.loudness_offset_lu == pytest.approx(result.overall.integrated_lufs - album.album.integrated_lufs)
    loudness = [r.overall.integrated_lufs for r in results]
    assert album.album.loudness_spread_lu == pytest.approx(max(loudness) - min(loudness))
    assert album.album.loudness_sd_lu == pytest.approx(float(np.std(loudness)))


def test_album_dr_is_the_meters_album_value() -> None:
    results, album = _album()
    per_track = [_dr_meter(x, SR) for x in _tracks()]
    assert [r.overall.dr_value for r in results] == [round(v) for v in per_track]
    assert len({round(v) for v in per_track}) > 1  # tracks of different DR, so the rule is exercised
    expected_mean = sum(round(v) for v in per_track) / len(per_track)
    assert album.album.dynamic_range_db == pytest.approx(expected_mean)
    assert album.album.dr_value == round(expected_mean)


def test_album_dr_rounds_the_mean_of_integer_track_values() -> None:
    assert album_dr([8, 9]) == (8.5, 8)  # half to even, as the meters' Python re-implementation prints
    assert album_dr([9, 10, 10]) == (pytest.approx(29 / 3), 10)
    assert album_dr([None, 7]) == (7.0, 7)
    assert album_dr([None, None]) == (None, None)


def test_a_quieter_copy_is_offset_by_its_gain_and_named() -> None:
    """Three copies of one steady 4 s track, the third 6.02 dB down (a quarter of the power), played in a row:
    every 400 ms block passes the gates. Each track holds N = 37 whole blocks; at each junction 3 blocks hold
    4 − j segments of one track and j of the next (j = 1, 2, 3), so the album's mean square is
    (2N + 3 + N/4 + Σ_j ((4 − j) + j/4)/4) / (3N + 6) of the track's; offsets follow; shapes are unchanged."""
    x = _track(7, 4.0, drive=1.0, quiet_db=0.0)
    loud, quiet = analyze_array(x, SR), analyze_array(0.5 * x, SR)
    album = summarize_album([track_input(loud, "a"), track_input(loud, "b"), track_input(quiet, "c")])
    assert loud.overall.integrated_lufs is not None
    n = 37
    ratio = (2 * n + 3 + n / 4 + sum((4 - j) + j / 4 for j in (1, 2, 3)) / 4) / (3 * n + 6)
    expected = loud.overall.integrated_lufs + 10 * math.log10(ratio)
    assert album.album.integrated_lufs == pytest.approx(expected, abs=0.01)
    offsets = [t.loudness_offset_lu for t in album.tracks]
    quiet_offset = 20 * math.log10(0.5) - 10 * math.log10(ratio)
    assert offsets == pytest.approx([-10 * math.log10(ratio)] * 2 + [quiet_offset], abs=0.01)
    assert abs(offsets[2]) > LOUDNESS_TOLERANCE_LU  # type: ignore[arg-type]
    assert album.album.outliers == ["c"]
    assert "quieter than the album" in album.tracks[2].reasons[0]
    for track in album.tracks:
        assert all(abs(v) < 0.01 for v in track.tonal_deviation_db.values() if v is not None)


def _shares(low: float) -> dict[str, float | None]:
    raw = dict(zip(BAND_NAMES, (low, 0.2, 0.2, 0.1, 0.05), strict=True))
    total = sum(raw.values())
    return {b: v / total for b, v in raw.items()}


def _given(
    name: str, lufs: float, shares: dict[str, float | None], levels: dict[str, float | None] | None = None
) -> AlbumTrackInput:
    blocks = [lufs] * 50
    return AlbumTrackInput(
        name=name,
        duration_s=5.0,
        integrated_lufs=lufs,
        true_peak_dbtp=-1.0,
        dr_value=8,
        momentary_lufs=blocks,
        short_term_lufs=blocks,
        energy_ratios=shares,
        band_levels_db=levels or dict.fromkeys(BAND_NAMES, -20.0),
    )


def test_a_bass_heavy_track_is_named_with_its_band() -> None:
    tracks = [_given("a", -10.0, _shares(0.4)), _given("b", -10.0, _shares(0.4)), _given("c", -10.0, _shares(4.0))]
    album = summarize_album(tracks)
    mean_low = (2 * _shares(0.4)["low"] + _shares(4.0)["low"]) / 3  # type: ignore[operator]
    mean = {b: (2 * _shares(0.4)[b] + _shares(4.0)[b]) / 3 for b in BAND_NAMES}  # type: ignore[operator]
    d = {b: 10 * math.log10(_shares(4.0)[b] / mean[b]) for b in BAND_NAMES}  # type: ignore[operator]
    expected_low = d["low"] - float(np.median(list(d.values())))
    assert album.album.energy_ratios["low"] == pytest.approx(mean_low)
    assert album.tracks[2].tonal_deviation_db["low"] == pytest.approx(expected_low)
    assert expected_low > 4.0
    assert album.album.outliers == ["c"]
    assert len(album.tracks[2].reasons) == 1
    assert album.tracks[2].reasons[0].startswith("low band")
    assert album.album.integrated_lufs == pytest.approx(-10.0)
    assert album.album.dr_value == 8


def test_an_inaudible_band_is_not_judged() -> None:
    """A band 60 dB under the track's loudest (SPEC §4: inaudible) reads null and names nothing, however far its share
    is from the album's; the track's other bands are judged without it."""
    quiet_high = dict.fromkeys(BAND_NAMES, -20.0) | {"high": -80.5}
    odd = _shares(0.4) | {"high": 1e-9}
    tracks = [_given("a", -10.0, _shares(0.4)), _given("b", -10.0, _shares(0.4)), _given("c", -10.0, odd, quiet_high)]
    album = summarize_album(tracks)
    assert album.tracks[2].tonal_deviation_db["high"] is None
    assert album.album.outliers == []
    assert all(v is not None for b, v in album.tracks[2].tonal_deviation_db.items() if b != "high")


def test_a_silent_track_reads_null_not_nan() -> None:
    silent = AlbumTrackInput(
        name="silence",
        duration_s=2.0,
        integrated_lufs=None,
        true_peak_dbtp=None,
        dr_value=None,
        momentary_lufs=[None] * 20,
        short_term_lufs=[None] * 20,
        energy_ratios=dict.fromkeys(BAND_NAMES),
        band_levels_db=dict.fromkeys(BAND_NAMES),
    )
    album = summarize_album([_given("a", -10.0, _shares(0.4)), silent, _given("b", -12.0, _shares(0.4))])
    assert album.album.integrated_lufs is not None and album.album.dr_value == 8
    assert album.album.loudness_spread_lu == pytest.approx(2.0)
    track = album.tracks[1]
    assert track.loudness_offset_lu is None and track.max_tonal_deviation_db is None and not track.outlier
    assert set(track.tonal_deviation_db.values()) == {None}
    json.dumps(album_dict(album), allow_nan=False)  # null, never NaN


def test_csv_never_hands_a_spreadsheet_a_formula() -> None:
    tracks = [_given('=HYPERLINK("http://x")', -10.0, _shares(0.4)), _given("b.wav", -10.0, _shares(0.4))]
    rows = list(csv.DictReader(io.StringIO(album_csv(summarize_album(tracks)))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")' and rows[1]["name"] == "b.wav"
    assert float(rows[0]["integrated_lufs"]) == -10.0  # numbers stay numbers


def test_an_album_needs_two_tracks() -> None:
    with pytest.raises(ValidationError, match="at least 2"):
        summarize_album([_given("a", -10.0, _shares(0.4))])


def test_the_command_line_album_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``amt analyze FOLDER --album``: the same album as the module on the files, as JSON, tables, HTML and CSV."""
    monkeypatch.setenv("APP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", "")
    folder = tmp_path / "album"
    folder.mkdir()
    for i, x in enumerate(_tracks(), 1):
        write_wav(folder / f"t{i}.wav", x, sr=SR, subtype="FLOAT")  # float WAV: decoded bit for bit
    out = tmp_path / "album.json"
    report, table = tmp_path / "album.html", tmp_path / "album.csv"
    args = ["analyze", str(folder), "--album", "--json", "--output", str(out), "--report", str(report)]
    assert cli_main([*args, "--csv", str(table), "--workers", "2"]) == 0  # two worker processes, in any order
    data = json.loads(out.read_text())
    expected = _album()[1]
    assert data["album"]["integrated_lufs"] == pytest.approx(expected.album.integrated_lufs, abs=1e-9)
    assert data["album"]["dr_value"] == expected.album.dr_value
    assert [t["name"] for t in data["tracks"]] == ["t1.wav", "t2.wav", "t3.wav"]
    assert f"{data['album']['integrated_lufs']:.1f}" in report.read_text()
    rows = list(csv.DictReader(table.open()))
    assert float(rows[0]["loudness_offset_lu"]) == data["tracks"][0]["loudness_offset_lu"]

    piped = io.StringIO()
    show(console_for(piped), album_text(data))  # what a pipe gets without --json
    text = piped.getvalue()
    assert f"{data['album']['integrated_lufs']:.1f} LUFS" in text and f"DR{data['album']['dr_value']}" in text
    assert data["album"]["outliers"]
    for name in data["album"]["outliers"]:
        assert f"* {name}: " in text

    capsys.readouterr()
    assert cli_main(["analyze", str(folder), "--report", str(report)]) == 2
    assert "--album" in capsys.readouterr().err
    assert cli_main(["analyze", str(folder), "--album", "--genre", "techno", "--store"]) == 2
    refused = capsys.readouterr().err
    assert "--genre, --store" in refused and "analysed alone" in refused
    single = tmp_path / "one.html"
    assert cli_main(["analyze", str(folder / "t1.wav"), "--report", str(single), "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert f">{one['overall_metrics']['integrated_lufs']:.1f}<" in single.read_text()
