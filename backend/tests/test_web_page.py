"""The web page at ``/``, driven in headless Chromium against a real uvicorn server.

One browser session: a WAV with quiet and loud sections is uploaded through the page's
own form, and everything the page shows is checked against the API's own JSON — the
progress indicator, the summary cards (PLR coloured against the genre), the sections,
the destinations, the similar references, the genre's target on the spectrum (worked
out here again from the stored spectrum and the genre's band shares), the
recommendations, the A/B picker and its overlay; then the history's pages, a refused
upload shown in words, and deleting from the history.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import browser
import numpy as np
import pytest
import soundfile as sf

from helpers import BACKEND_DIR, run_server, sine, write_wav

pytestmark = pytest.mark.browser

RESULT_TIMEOUT_MS = 60_000
HISTORY_PAGE = 20
"""Analyses per history page (app.js)."""


@pytest.fixture(scope="module")
def chromium_ready() -> None:
    """Skip (saying what is missing) unless Playwright and Chromium can be had."""
    reason = browser.unavailable()
    if reason:
        pytest.skip(reason)


def tone_and_noise(seconds: float = 6.0, sr: int = 44100) -> np.ndarray:
    """A 110 Hz + 440 Hz + 3 kHz chord over pink-ish noise, stereo, about −14 LUFS; seeded."""
    rng = np.random.default_rng(20240611)
    x = sine(110, seconds, sr=sr, amp=0.25) + sine(440, seconds, sr=sr, amp=0.15) + sine(3000, seconds, sr=sr, amp=0.04)
    noise = rng.standard_normal(x.shape).astype(np.float32)
    noise = np.cumsum(noise, axis=0) * 0.002  # a gentle tilt towards the lows
    noise -= noise.mean(axis=0)
    noise = 0.03 * noise / np.abs(noise).max() + 0.02 * rng.standard_normal(x.shape).astype(np.float32)
    return (x + noise).astype(np.float32)


def quiet_loud_quiet(sr: int = 44100) -> np.ndarray:
    """10 s at −20 dB, 14 s at full level, 10 s at −20 dB of :func:`tone_and_noise`: three sections."""
    x = tone_and_noise(34.0, sr)
    gain = np.full(len(x), 0.1, dtype=np.float32)
    gain[10 * sr : 24 * sr] = 1.0
    return x * gain[:, None]


def js_time(seconds: float) -> str:
    """``fmtTime``: m:ss.s (a second part that rounds to 60.0 carries into the minutes)."""
    minutes = math.floor(seconds / 60)
    rest = browser.js_fixed(seconds - 60 * minutes)
    if rest == "60.0":
        minutes, rest = minutes + 1, "0.0"
    return f"{minutes}:{rest.rjust(4, '0')}"


def status_in_range(value: float, low: float, high: float, margin: float) -> str:
    """Inside → ok, within ``margin`` outside → warn, else bad (the page's rule for ranges)."""
    if low <= value <= high:
        return "ok"
    return "warn" if (low - value if value < low else value - high) <= margin else "bad"


def cells(page: Any, row_selector: str) -> list[str]:
    """The texts of a table row's cells (th and td)."""
    return [t.strip() for t in page.locator(f"{row_selector} > *").all_inner_texts()]


def tiny_wav(index: int) -> bytes:
    """0.1 s of a quiet 440 Hz tone, 16-bit stereo, as WAV bytes."""
    buf = io.BytesIO()
    sf.write(buf, sine(440.0, 0.1, sr=44100, amp=0.01 * (index + 1)), 44100, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_the_page_shows_what_the_api_stored(chromium_ready: None, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "sections.wav", quiet_loud_quiet(), sr=44100, subtype="PCM_16")
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("these are not audio samples\n" * 50)

    home = tmp_path / "home"
    subprocess.run(  # the built-in references, for the similar-references list and the A/B picker
        [sys.executable, "-m", "scripts.populate_references"],
        cwd=BACKEND_DIR,
        check=True,
        capture_output=True,
        env={**os.environ, "DATABASE_URL": "", "APP_HOME": str(home)},
    )
    with run_server(home) as server, server.client() as api, browser.chromium_page() as (page, errors):
        genres = api.get("/api/genres").json()
        # a club genre: loudness from published measurements, its spectrum from the corpus tracks at that loudness
        genre = next(g for g in genres if g["name"] == "Techno")
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#genre-select option").count() == len(genres) + 1  # plus "none"

        # ---- upload through the form, recording what the progress indicator shows on the way
        page.evaluate("""() => {
            window.progressLog = [];
            const status = document.getElementById("upload-status");
            const text = document.getElementById("upload-status-text");
            const note = () => window.progressLog.push([status.hidden, text.textContent]);
            const what = { attributes: true, childList: true, subtree: true, characterData: true };
            new MutationObserver(note).observe(status, what);
        }""")
        page.set_input_files("#file-input", str(wav))
        page.select_option("#genre-select", genre["name"])
        page.select_option("#level-select", "prescriptive")
        page.click("#analyse-button")
        page.wait_for_selector("#result[data-state=ready]", timeout=RESULT_TIMEOUT_MS)
        log = page.evaluate("window.progressLog")
        assert any(not hidden and text.startswith("Uploading sections.wav") for hidden, text in log), log
        assert any(not hidden and text == "Analysing sections.wav…" for hidden, text in log), log
        assert page.is_hidden("#upload-status")

        analysis_id = page.get_attribute("#result", "data-analysis-id")
        assert analysis_id
        stored = api.get(f"/api/analysis/{analysis_id}").json()
        assert stored["filename"] == "sections.wav" and stored["genre"] == genre["name"]
        overall = stored["overall_metrics"]

        # ---- summary cards; PLR judged against the 10th–90th percentile of the genre's real masters
        assert page.text_content("#integrated-lufs") == browser.js_fixed(overall["integrated_lufs"])
        assert page.text_content("#true-peak-dbtp") == browser.js_fixed(overall["true_peak_dbtp"])
        assert page.text_content("#loudness-range-lu") == browser.js_fixed(overall["loudness_range_lu"])
        assert page.text_content("#plr-db") == browser.js_fixed(overall["plr_db"])
        expected = status_in_range(overall["plr_db"], genre["plr_db"][0], genre["plr_db"][1], 2)
        assert page.get_attribute(".card[data-metric=plr_db]", "data-status") == expected
        assert "10th–90th percentile" in page.get_attribute(".card[data-metric=plr_db]", "title")
        assert page.locator("#bands-table tbody tr").count() == len(stored["band_metrics"]) == 5

        for chart in ("#loudness-chart", "#spectrum-chart"):
            sizes = page.eval_on_selector_all(f"{chart} canvas", "cs => cs.map(c => [c.width, c.height])")
            assert sizes, f"no canvas in {chart}"
            assert all(w > 0 and h > 0 for w, h in sizes), f"{chart} canvas has no size: {sizes}"

        # ---- sections: one row per section, with its loudness; the contrast in the heading
        sections = stored["sections"]
        assert len(sections) == 3
        assert page.locator("#sections-table tbody tr").count() == len(sections)
        for i, s in enumerate(sections, start=1):
            row = cells(page, f"#sections-table tbody tr:nth-child({i})")
            assert row[:6] == [
                s["kind"],
                js_time(s["start_s"]),
                js_time(s["end_s"]),
                browser.js_fixed(s["end_s"] - s["start_s"]),
                browser.js_fixed(s["integrated_lufs"]),
                browser.js_fixed(100 * s["energy_ratios"]["low"], 0),
            ]
        contrast = browser.js_fixed(stored["section_contrast_lu"])
        assert f"contrast {contrast} LU" in page.text_content("#section-contrast")

        # ---- destinations: gain, loudness and true peak there, and the verdict
        destinations = stored["destinations"]
        assert page.locator("#destinations-table tbody tr").count() == len(destinations) >= 6
        for d in destinations:
            row = cells(page, f'#destinations-table tbody tr[data-destination="{d["name"]}"]')
            reference = "none" if d["reference_lufs"] is None else browser.js_fixed(d["reference_lufs"])
            assert row == [
                d["name"],
                reference,
                browser.js_signed(d["gain_db"]),
                browser.js_fixed(d["resulting_lufs"]),
                browser.js_fixed(d["resulting_true_peak_dbtp"]),
                d["verdict"],
            ]

        # ---- the most similar references, in the API's order with its scores
        similar = api.post(f"/api/similarity/{analysis_id}", params={"top_k": 5}).json()["results"]
        assert len(similar) == 5
        shown = page.eval_on_selector_all(
            "#similar-list li",
            "lis => lis.map(li => [li.dataset.referenceId, li.querySelector('.similar-name').textContent,"
            " li.querySelector('.similar-score').textContent])",
        )
        assert shown == [
            [r["reference"]["id"], r["reference"]["name"], browser.js_fixed(r["similarity"], 2)] for r in similar
        ]

        # ---- the genre's target on the spectrum: the mean spectrum of its real masters, moved to the file's mean
        # level over the bins both have (tonal balance, not loudness); shaded ± each band's tolerance
        series = api.get(f"/api/analysis/{analysis_id}/series").json()
        top_hz = min(20000.0, stored["audio"]["sample_rate"] / 2)
        chart = page.evaluate("""() => { const u = document.getElementById('spectrum-chart').uplot;
            return { x: u.data[0], data: u.data, labels: u.series.map(s => s.label), min: u.scales.x.min,
                     max: u.scales.x.max }; }""")
        assert chart["min"] == pytest.approx(20.0) and chart["max"] == pytest.approx(top_hz)
        target_k = chart["labels"].index(f"{genre['name']} target (dB)")
        pairs = [
            (a, b)
            for a, b in zip(series["spectrum_db"], genre["spectrum_db"], strict=True)
            if a is not None and b is not None
        ]
        shift = sum(a for a, _ in pairs) / len(pairs) - sum(b for _, b in pairs) / len(pairs)
        drawn = [v for v in chart["data"][target_k] if v is not None]
        expected_curve = [b + shift for b in genre["spectrum_db"] if b is not None]
        assert drawn == pytest.approx(expected_curve, abs=1e-6)
        assert "the mean spectrum of the real masters" in page.text_content("#spectrum-legend")

        # ---- recommendations: every one shown, with its figures in units
        recs = stored["recommendations"]
        assert page.locator("#recommendations li.rec").count() == len(recs)
        loudness = next(r for r in recs if r["metric"] == "integrated_lufs")  # > 3 LU off: always flagged
        card = page.locator("#recommendations li.rec[data-metric=integrated_lufs]")
        assert card.locator(".rec-current").text_content() == f"{browser.js_fixed(loudness['current'])} LUFS"
        assert card.locator(".rec-deviation").text_content() == f"{browser.js_signed(loudness['deviation'])} LU"
        assert "integrated_lufs" not in card.locator(".rec-tags").inner_text()

        # ---- the plan: numbered steps in chain order, each naming the findings behind it, before the findings
        steps = stored["plan"]["steps"]
        assert steps, "a prescriptive analysis far below its genre's loudness has a plan"
        items = page.locator("#plan li.step")
        assert items.count() == len(steps)
        for i, step in enumerate(steps):
            item = items.nth(i)
            assert item.get_attribute("data-kind") == step["kind"] and item.get_attribute("data-order") == str(i + 1)
            assert item.locator(".because").text_content().endswith(", ".join(f"#{k + 1}" for k in step["because"]))
        limiter = next(s for s in steps if s["kind"] == "limiter")
        assert card.get_attribute("data-step") == str(limiter["order"])
        assert (
            f"input gain {browser.js_signed(limiter['input_gain_db'])} dB"
            in items.nth(limiter["order"] - 1).text_content()
        )
        assert page.locator("#recommendations > :first-child #plan").count() == 1  # the chain first, then findings

        # ---- A/B: A is this analysis, B the most similar reference; raw, then level-matched with the overlay
        assert page.input_value("#compare-a") == analysis_id
        reference_id = similar[0]["reference"]["id"]
        assert page.input_value("#compare-b") == reference_id
        page.click("#compare-button")
        page.wait_for_function(
            "() => { const u = document.getElementById('compare-chart').uplot; return u && u.series.length === 3; }"
        )
        compared = api.get("/api/compare", params={"a": analysis_id, "b": reference_id}).json()
        pair = compared["overall"]["integrated_lufs"]
        assert cells(page, "#compare-table tr[data-metric=integrated_lufs]")[1:] == [
            browser.js_fixed(pair["a"]),
            browser.js_fixed(pair["b"]),
            f"{browser.js_signed(pair['difference'])} LUFS",
        ]
        gain = compared["level_matched"]["gain_db"]
        page.check("#compare-matched")
        words = f"B turned {'down' if gain < 0 else 'up'} {browser.js_fixed(abs(gain))} dB to match A"
        page.wait_for_function("w => document.getElementById('compare-note').textContent.startsWith(w)", arg=words)
        matched = compared["level_matched"]["overall"]["integrated_lufs"]
        assert cells(page, "#compare-table tr[data-metric=integrated_lufs]")[1:] == [
            browser.js_fixed(matched["a"]),
            browser.js_fixed(matched["b"]),
            "0.0 LUFS",
        ]
        ref_spectrum = api.get(f"/api/references/{reference_id}/series").json()["spectrum_db"]
        first = next(v for v in ref_spectrum if v is not None) + gain
        page.wait_for_function(  # the overlay is redrawn with B moved by the gain
            "w => { const b = document.getElementById('compare-chart').uplot.data[2];"
            " return Math.abs(b.find((v) => v !== null) - w) < 1e-9; }",
            arg=first,
        )
        overlay = page.evaluate(
            "() => { const u = document.getElementById('compare-chart').uplot;"
            " return { labels: u.series.map(s => s.label), b: u.data[2], max: u.scales.x.max }; }"
        )
        assert overlay["labels"][1:] == ["A (dB)", "B (dB)"] and overlay["max"] <= 20000
        assert [v for v in overlay["b"] if v is not None] == pytest.approx(
            [v + gain for v in ref_spectrum if v is not None], abs=1e-9
        )
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        assert (tmp_path / "page.png").stat().st_size > 10_000

        # ---- history pages: 20 more analyses put this one on page 2; the pickers still list every one
        for i in range(HISTORY_PAGE):
            response = api.post("/api/analyze", files={"file": (f"tiny_{i:02d}.wav", tiny_wav(i), "audio/wav")})
            assert response.status_code == 201, response.text
        total = api.get("/api/analyses", params={"limit": 1}).json()["total"]
        assert total == HISTORY_PAGE + 1
        page.reload()
        page.wait_for_selector("#result[data-state=ready]", timeout=RESULT_TIMEOUT_MS)
        assert page.locator("#history-list li").count() == HISTORY_PAGE
        assert page.text_content("#history-total") == f"1–{HISTORY_PAGE} of {total}"
        assert page.is_disabled("#history-newer") and page.is_enabled("#history-older")
        assert page.locator(f'#history-list li[data-id="{analysis_id}"]').count() == 0
        assert page.locator("#compare-a option").count() == total
        page.click("#history-older")
        item = page.locator(f'#history-list li[data-id="{analysis_id}"]')
        item.wait_for()
        assert page.locator("#history-list li").count() == 1
        assert page.text_content("#history-total") == f"{total}–{total} of {total}"
        assert "sections.wav" in item.inner_text()
        assert browser.js_fixed(overall["integrated_lufs"]) in item.inner_text()

        # ---- a refused upload is shown in the server's words, and nothing is added
        page.set_input_files("#file-input", str(not_wav))
        page.click("#analyse-button")
        page.wait_for_selector("#upload-error:not([hidden])", timeout=RESULT_TIMEOUT_MS)
        refused = api.post("/api/analyze", files={"file": ("notes.wav", not_wav.read_bytes())})
        assert refused.status_code == 415
        assert page.text_content("#upload-error") == refused.json()["detail"]
        assert api.get("/api/analyses", params={"limit": 1}).json()["total"] == total

        # ---- delete from the history (confirming the dialog): gone from the page, the pickers and the API
        page.once("dialog", lambda dialog: dialog.accept())
        item.locator(".history-delete").click()
        page.wait_for_selector(f'#history-list li[data-id="{analysis_id}"]', state="detached")
        assert page.is_hidden("#result")
        assert page.text_content("#history-total") == f"{total - 1}"  # back on the one page left
        assert page.locator("#history-list li").count() == total - 1
        assert page.locator(f'#compare-a option[value="{analysis_id}"]').count() == 0
        assert api.get(f"/api/analysis/{analysis_id}").status_code == 404

        assert errors == []


def test_docs_and_time_format_under_the_csp(chromium_ready: None, tmp_path: Path) -> None:
    """/docs renders Swagger UI from local files with no CSP refusal (and no network beyond the server); the
    page's ``fmtTime`` never prints "m:60.0"."""
    with run_server(tmp_path / "home") as server, browser.chromium_page() as (page, errors):
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock", timeout=RESULT_TIMEOUT_MS)
        assert page.locator(".opblock").count() >= 10
        page.goto(server.url)
        times = page.evaluate(
            "async () => { const f = await import('/js/format.js');"
            " return [119.97, 59.94, 59.96, 0.04, 60.0, 3599.99].map(f.fmtTime); }"
        )
        assert errors == [] and outside == []
    assert times == ["2:00.0", "0:59.9", "1:00.0", "0:00.0", "1:00.0", "60:00.0"]
    assert times == [js_time(t) for t in (119.97, 59.94, 59.96, 0.04, 60.0, 3599.99)]
