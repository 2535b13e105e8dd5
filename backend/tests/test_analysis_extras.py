"""``destinations`` and ``sections`` in the analysis JSON (SPEC §8), over real HTTP.

A real uvicorn process on each database kind; WAV files written here whose loudness is
known without measuring it: a stereo 997 Hz sine of peak amplitude A reads
20·log10(A) LUFS (BS.1770-4 is calibrated that way) and its true peak is A. The
destinations' rules are the published ones, written out again below.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import DATABASE_KINDS, LiveServer, database_of_kind, run_server, sine, write_wav

# Published normalisation levels (LUFS) and whether quieter masters are raised (SPEC §8 sources):
# Spotify −14 (raised, up to a −1 dBTP peak), Apple Music −16 (Sound Check, raised), YouTube −14,
# Tidal −14, Amazon Music −14, Deezer −15 (turned down only), club/DJ use: no normalisation.
PUBLISHED = {
    "Spotify": (-14.0, True),
    "Apple Music": (-16.0, True),
    "YouTube": (-14.0, False),
    "Tidal": (-14.0, False),
    "Amazon Music": (-14.0, False),
    "Deezer": (-15.0, False),
    "Club / DJ": (None, False),
}
PEAK_LIMIT_DBTP = -1.0
LU_TOL = 0.1
"""BS.1770 reading of a steady sine, and so of every gain derived from it."""


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per database kind: SQLite in APP_HOME, and a fresh PostgreSQL database when one can be had."""
    home = tmp_path_factory.mktemp(f"extras-{request.param}") / "home"
    with (
        database_of_kind(request, home / "audio_mastering.db") as url,
        run_server(home, env={"MAX_UPLOAD_MB": "40", "DATABASE_URL": url}) as live,
    ):
        yield live


def _upload(server: LiveServer, path: Path) -> dict[str, Any]:
    """POST the file; check that GET gives the same destinations and sections (computed again at read time)."""
    with server.client() as client, path.open("rb") as fh:
        response = client.post("/api/analyze", files={"file": (path.name, fh, "audio/wav")})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        again = client.get(f"/api/analysis/{body['id']}").json()
    for key in ("destinations", "sections", "section_contrast_lu"):
        assert again[key] == body[key]
    return body


def _expected_gain(name: str, lufs: float, true_peak: float) -> float:
    """The gain a destination applies, by its published rule."""
    reference, raises = PUBLISHED[name]
    if reference is None:
        return 0.0
    gain = reference - lufs
    if gain > 0:
        gain = min(gain, max(0.0, PEAK_LIMIT_DBTP - true_peak)) if raises else 0.0
    return gain


def _check_destinations(body: dict[str, Any], lufs: float, true_peak: float, tol: float) -> dict[str, Any]:
    by_name = {d["name"]: d for d in body["destinations"]}
    assert set(by_name) == set(PUBLISHED)
    for name, (reference, _) in PUBLISHED.items():
        d = by_name[name]
        gain = _expected_gain(name, lufs, true_peak)
        assert d["reference_lufs"] == reference
        assert d["gain_db"] == pytest.approx(gain, abs=tol), name
        assert d["resulting_lufs"] == pytest.approx(lufs + gain, abs=tol), name
        assert d["resulting_true_peak_dbtp"] == pytest.approx(true_peak + gain, abs=tol), name
        assert d["published"]
    return by_name


def test_a_loud_master_is_turned_down_by_every_service_but_not_in_the_club(server: LiveServer, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "loud.wav", sine(997.0, 5.0, amp=10 ** (-6 / 20)), sr=48000)
    body = _upload(server, path)
    d = _check_destinations(body, -6.0, -6.0, LU_TOL)
    assert d["Spotify"]["gain_db"] == pytest.approx(-8.0, abs=LU_TOL)
    assert d["Apple Music"]["gain_db"] == pytest.approx(-10.0, abs=LU_TOL)
    for name in ("Spotify", "Apple Music", "YouTube", "Tidal", "Amazon Music", "Deezer"):
        assert "turned down" in d[name]["verdict"]
    assert d["Club / DJ"]["gain_db"] == 0.0 and "no normalisation" in d["Club / DJ"]["verdict"]


def test_a_quiet_master_is_raised_only_where_the_rule_says_so(server: LiveServer, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "quiet.wav", sine(997.0, 5.0, amp=0.1), sr=48000)
    d = _check_destinations(_upload(server, path), -20.0, -20.0, LU_TOL)
    assert d["Spotify"]["gain_db"] == pytest.approx(6.0, abs=LU_TOL)
    assert d["Apple Music"]["gain_db"] == pytest.approx(4.0, abs=LU_TOL)
    for name in ("YouTube", "Tidal", "Amazon Music", "Deezer"):
        assert d[name]["gain_db"] == 0.0 and "not turned up" in d[name]["verdict"]


def test_raising_stops_at_a_minus_one_dbtp_peak(server: LiveServer, tmp_path: Path) -> None:
    # A −20 LUFS sine with one −4 dBFS click: the loudness barely moves, but the peak leaves only ~3 dB of room,
    # so Spotify and Apple Music raise it by that much instead of by 6 and 4 dB.
    x = sine(997.0, 5.0, amp=0.1)
    x[120_000, :] = 10 ** (-4 / 20)
    body = _upload(server, write_wav(tmp_path / "click.wav", x, sr=48000, subtype="FLOAT"))
    o = body["overall_metrics"]
    assert o["integrated_lufs"] == pytest.approx(-20.0, abs=LU_TOL)
    assert -4.5 < o["true_peak_dbtp"] < -3.5
    d = _check_destinations(body, o["integrated_lufs"], o["true_peak_dbtp"], 0.011)  # the API rounds to 0.01
    room = PEAK_LIMIT_DBTP - o["true_peak_dbtp"]
    assert room < 4.0  # less than Apple Music's 4 dB and Spotify's 6 dB: the peak is what limits both
    assert d["Spotify"]["gain_db"] == pytest.approx(room, abs=0.011)
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(PEAK_LIMIT_DBTP, abs=0.011)
    assert d["Apple Music"]["gain_db"] == pytest.approx(min(room, -16.0 - o["integrated_lufs"]), abs=0.011)


def test_sections_of_a_rendered_track_within_a_second_and_a_fifth_of_a_lu(server: LiveServer, tmp_path: Path) -> None:
    plan = [
        ("intro", 12.0, 0.05),
        ("drop", 20.0, 0.5),
        ("breakdown", 14.0, 0.08),
        ("drop", 20.0, 0.45),
        ("outro", 10.0, 0.04),
    ]
    sr = 44100
    x = np.concatenate([sine(997.0, seconds, sr=sr, amp=amp) for _, seconds, amp in plan])
    body = _upload(server, write_wav(tmp_path / "arranged.wav", x, sr=sr, subtype="PCM_16"))
    sections = body["sections"]
    assert [s["kind"] for s in sections] == [kind for kind, _, _ in plan]
    edges = np.cumsum([0.0] + [seconds for _, seconds, _ in plan])
    for s, start, end, (_, _, amp) in zip(sections, edges[:-1], edges[1:], plan, strict=True):
        assert s["start_s"] == pytest.approx(start, abs=1.0)
        assert s["end_s"] == pytest.approx(end, abs=1.0)
        assert s["integrated_lufs"] == pytest.approx(20 * math.log10(amp), abs=0.2)
        assert set(s["energy_ratios"]) == {"low", "low_mid", "mid", "high_mid", "high"}
        assert s["energy_ratios"]["mid"] == pytest.approx(1.0, abs=0.02)  # all of a 997 Hz sine
    # Contrast: the drops pooled (power mean of 20 s at 0.5² and 20 s at 0.45²) minus the quiet parts pooled.
    loud = 10 * math.log10((20 * 0.5**2 + 20 * 0.45**2) / 40)
    quiet = 10 * math.log10((12 * 0.05**2 + 14 * 0.08**2 + 10 * 0.04**2) / 36)
    assert body["section_contrast_lu"] == pytest.approx(loud - quiet, abs=0.2)


def test_silence_has_no_destinations_and_one_section_without_loudness(server: LiveServer, tmp_path: Path) -> None:
    body = _upload(server, write_wav(tmp_path / "silence.wav", np.zeros((48000 * 4, 2), dtype=np.float32)))
    assert body["overall_metrics"]["integrated_lufs"] is None
    assert body["destinations"] == []
    assert len(body["sections"]) == 1 and body["sections"][0]["integrated_lufs"] is None
    assert body["section_contrast_lu"] is None
