"""The album over HTTP (SPEC §7/§8): ``GET /api/album``, the CSV and HTML exports of an album and of one
analysis, and — in headless Chromium — the HTML report opened offline and the page's album view.

One live server (SQLite); three short WAV files analysed through the API like any upload.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import browser
import numpy as np
import pytest
import soundfile as sf

from amt.analysis.engine import analyze_array
from helpers import LiveServer, run_server, write_wav

SR = 44100
NAMES = ("01 opener.wav", "02 ballad.wav", "03 closer.wav")


def _track(seed: int, seconds: float, level_db: float) -> np.ndarray:
    """Seeded stereo noise with a low tilt, in 1 s sections of alternating level, at ``level_db`` (about −3 dBFS
    peak at 0 dB)."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    x = rng.standard_normal((n, 2))
    x += np.cumsum(rng.standard_normal((n, 2)), axis=0) * 0.02
    x -= x.mean(axis=0)
    x *= np.where((np.arange(n) // SR) % 2 == 1, 0.5, 1.0)[:, None]
    return (0.7 * 10 ** (level_db / 20) * x / np.abs(x).max()).astype(np.float32)


@dataclass
class Album:
    """The server, the files (in running order) and their analysis ids."""

    server: LiveServer
    paths: list[Path]
    ids: list[str]


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Album]:
    """Three tracks (the second 8 dB down: an outlier) uploaded to a live server."""
    folder = tmp_path_factory.mktemp("album")
    signals = (_track(11, 3.2, 0.0), _track(12, 2.1, -8.0), _track(13, 2.6, -1.0))
    paths = [write_wav(folder / name, x, sr=SR, subtype="FLOAT") for name, x in zip(NAMES, signals, strict=True)]
    with run_server(folder / "home") as server, server.client() as client:
        ids = []
        for path in paths:
            with path.open("rb") as fh:
                response = client.post("/api/analyze", files={"file": (path.name, fh, "audio/wav")})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        yield Album(server=server, paths=paths, ids=ids)


def _get(album: Album, path: str) -> Any:
    with album.server.client() as client:
        return client.get(path)


def _album_json(album: Album, ids: list[str] | None = None) -> dict[str, Any]:
    response = _get(album, f"/api/album?ids={','.join(ids or album.ids)}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_album_of_stored_analyses(album: Album) -> None:
    body = _album_json(album)
    a, tracks = body["album"], body["tracks"]
    assert [t["name"] for t in tracks] == list(NAMES) and [t["id"] for t in tracks] == album.ids
    # An independent measurement: the engine on the three files played in a row.
    joined = analyze_array(np.concatenate([sf.read(p, dtype="float32")[0] for p in album.paths]), SR)
    assert joined.overall.integrated_lufs is not None
    assert a["integrated_lufs"] == pytest.approx(joined.overall.integrated_lufs, abs=0.1)
    stored = [_get(album, f"/api/analysis/{i}").json()["overall_metrics"] for i in album.ids]
    assert a["true_peak_dbtp"] == max(s["true_peak_dbtp"] for s in stored)
    dr = [s["dr_value"] for s in stored]
    assert a["dynamic_range_db"] == pytest.approx(sum(dr) / 3) and a["dr_value"] == round(sum(dr) / 3)
    loudness = [s["integrated_lufs"] for s in stored]
    assert a["loudness_spread_lu"] == pytest.approx(max(loudness) - min(loudness))
    for track, lufs in zip(tracks, loudness, strict=True):
        assert track["loudness_offset_lu"] == pytest.approx(lufs - a["integrated_lufs"])
        assert len(track["spectrum_db"]) == len(a["spectrum_freqs_hz"]) > 0
    assert a["outliers"] == ["02 ballad.wav"]
    assert "quieter than the album" in tracks[1]["reasons"][0]
    # The running order is the order of the ids: reversed, the tracks played the other way round.
    backwards = _album_json(album, album.ids[::-1])
    assert [t["name"] for t in backwards["tracks"]] == list(NAMES[::-1])
    assert backwards["album"]["integrated_lufs"] == pytest.approx(a["integrated_lufs"], abs=0.2)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("ids={first}", 422, "at least 2"),
        ("ids={first},not-a-uuid", 422, "is not an analysis id"),
        ("ids={first},{unknown}", 404, "No analysis with id"),
        ("", 422, "ids"),
    ],
)
def test_album_errors(album: Album, query: str, status: int, words: str) -> None:
    path = "/api/album?" + query.format(first=album.ids[0], unknown=uuid.uuid4())
    for suffix in ("", "/report.csv", "/report.html"):
        response = _get(album, path.replace("/api/album", "/api/album" + suffix))
        assert response.status_code == status, response.text
        assert words in str(response.json()["detail"])


def test_album_csv_holds_the_api_numbers(album: Album) -> None:
    body = _album_json(album)
    response = _get(album, f"/api/album/report.csv?ids={','.join(album.ids)}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["name"] for r in rows] == [*NAMES, "3 tracks"]
    for row, track in zip(rows, body["tracks"], strict=False):
        assert float(row["integrated_lufs"]) == track["integrated_lufs"]
        assert float(row["loudness_offset_lu"]) == track["loudness_offset_lu"]
        assert float(row["tonal_deviation_db_low"]) == track["tonal_deviation_db"]["low"]
    assert rows[-1]["position"] == "album" and float(rows[-1]["integrated_lufs"]) == body["album"]["integrated_lufs"]
    assert rows[1]["outlier"] == "True" and "quieter" in rows[1]["reasons"]


def test_analysis_csv_and_report_headers(album: Album) -> None:
    stored = _get(album, f"/api/analysis/{album.ids[0]}").json()
    response = _get(album, f"/api/analysis/{album.ids[0]}/report.csv")
    assert response.status_code == 200
    assert 'filename="01_opener.csv"' in response.headers["content-disposition"]
    rows = {(r["scope"], r["metric"]): r for r in csv.DictReader(io.StringIO(response.text))}
    assert float(rows["overall", "integrated_lufs"]["value"]) == stored["overall_metrics"]["integrated_lufs"]
    assert rows["overall", "integrated_lufs"]["unit"] == "LUFS"
    assert float(rows["low", "energy_ratio"]["value"]) == stored["band_metrics"][0]["energy_ratio"]
    html = _get(album, f"/api/analysis/{album.ids[0]}/report.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    policy = html.headers["content-security-policy"]
    assert "default-src 'none'" in policy and re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "<script" not in html.text and "http://" not in html.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert _get(album, f"/api/analysis/{uuid.uuid4()}/report.html").status_code == 404


def test_openapi_types_the_album(album: Album) -> None:
    spec = _get(album, "/openapi.json").json()
    ok = spec["paths"]["/api/album"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/AlbumOut"}
    schemas = spec["components"]["schemas"]
    assert {"album", "tracks"} <= set(schemas["AlbumOut"]["properties"])
    assert "loudness_offset_lu" in schemas["AlbumTrack"]["properties"]


# --- in Chromium ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium_ready() -> None:
    """Skip (saying what is missing) unless Playwright and Chromium can be had."""
    reason = browser.unavailable()
    if reason:
        pytest.skip(reason)


@pytest.mark.browser
def test_html_reports_open_offline_with_the_api_numbers(chromium_ready: None, album: Album, tmp_path: Path) -> None:
    body = _album_json(album)
    query = ",".join(album.ids)
    album_file = tmp_path / "album.html"
    album_file.write_text(_get(album, f"/api/album/report.html?ids={query}").text)
    single = _get(album, f"/api/analysis/{album.ids[0]}").json()
    single_file = tmp_path / "single.html"
    single_file.write_text(_get(album, f"/api/analysis/{album.ids[0]}/report.html").text)
    with browser.chromium_page() as (page, errors):
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.context.set_offline(True)
        page.goto(album_file.as_uri())
        a = body["album"]
        assert page.text_content("[data-testid=album-integrated_lufs]") == f"{a['integrated_lufs']:.1f}"
        assert page.text_content("[data-testid=album-true_peak_dbtp]") == f"{a['true_peak_dbtp']:.2f}"
        assert page.text_content("[data-testid=album-dr_value]") == str(a["dr_value"])
        assert page.text_content("[data-testid=album-loudness_spread_lu]") == f"{a['loudness_spread_lu']:.1f}"
        for t in body["tracks"]:
            p = t["position"]
            assert page.text_content(f"[data-testid=track-{p}-integrated_lufs]") == f"{t['integrated_lufs']:.1f}"
            offset = f"{t['loudness_offset_lu']:+.1f}"
            assert page.text_content(f"[data-testid=track-{p}-loudness_offset_lu]") == offset
        assert "02 ballad.wav" in page.text_content("[data-testid=album-outliers]")
        assert page.locator("svg polyline").count() >= len(body["tracks"])  # one spectrum per track
        assert page.eval_on_selector("table", "t => getComputedStyle(t).borderCollapse") == "collapse"  # inline CSS

        page.goto(single_file.as_uri())
        overall = single["overall_metrics"]
        assert page.text_content("[data-testid=overall-integrated_lufs]") == f"{overall['integrated_lufs']:.1f}"
        assert page.text_content("[data-testid=overall-true_peak_dbtp]") == f"{overall['true_peak_dbtp']:.2f}"
        assert page.locator("svg").count() == 2  # spectrum and short-term loudness
        assert requests == [album_file.as_uri(), single_file.as_uri()]  # nothing fetched: no network needed

        # Served by the API, the report's own policy admits its style and nothing else.
        page.context.set_offline(False)
        page.goto(f"{album.server.url}/api/album/report.html?ids={query}")
        assert page.eval_on_selector("table", "t => getComputedStyle(t).borderCollapse") == "collapse"
        assert errors == []


@pytest.mark.browser
def test_the_page_analyses_several_files_as_an_album(chromium_ready: None, album: Album) -> None:
    """Two files chosen at once: each analysed through the usual upload, then the album view from the API."""
    chosen = album.paths[:2]
    with browser.chromium_page() as (page, errors):
        page.goto(album.server.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.set_input_files("#file-input", [str(p) for p in chosen])
        page.click("#analyse-button")
        page.wait_for_selector("[data-testid=album-track-2]", timeout=60_000)
        assert page.is_hidden("#result")  # the single-file view is not used for an album
        href = page.get_attribute("#album-links a", "href")
        assert href
        ids = href.split("ids=", 1)[1].split(",")
        assert len(ids) == 2 and not set(ids) & set(album.ids)  # two new analyses, in the history
        page.wait_for_function("document.querySelectorAll('#history-list li').length === 5")
        body = _album_json(album, ids)
        a = body["album"]
        assert page.text_content("[data-testid=album-integrated_lufs]") == browser.js_fixed(a["integrated_lufs"])
        assert page.text_content("[data-testid=album-true_peak_dbtp]") == browser.js_fixed(a["true_peak_dbtp"], 2)
        assert page.text_content("[data-testid=album-dr_value]") == f"DR{a['dr_value']}"
        for t in body["tracks"]:
            p = t["position"]
            assert (
                page.text_content(f"[data-testid=album-track-{p}] td:nth-child(2)") == t["name"] == chosen[p - 1].name
            )
            shown = page.text_content(f"[data-testid=track-{p}-loudness_offset_lu]")
            assert shown == browser.js_signed(t["loudness_offset_lu"])
        assert a["outliers"] == ["02 ballad.wav"]
        assert page.get_attribute("[data-testid=album-track-2]", "class") == "outlier"
        assert "02 ballad.wav" in page.text_content("[data-testid=album-outliers]")
        assert page.get_attribute("#album-spectra", "data-curves") == "2"
        assert page.locator("#album-spectra canvas").count() >= 1
        # Opening one of the tracks from the history shows its analysis; the album steps aside.
        page.click("#history-list li:first-child .history-open")
        page.wait_for_selector("#result[data-state=ready]", timeout=60_000)
        assert page.is_hidden("#album-panel")
        assert errors == []
