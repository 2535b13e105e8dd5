"""The web page at ``/``, driven in headless Chromium against a real uvicorn server.

Uploads a WAV through the page's own form and checks that what it shows is what the
API stored: the integrated loudness, the plots, the history; then a refused upload
shown in words, and deleting from the history.
"""

from __future__ import annotations

from pathlib import Path

import browser
import numpy as np
import pytest

from helpers import run_server, sine, write_wav

pytestmark = pytest.mark.browser

RESULT_TIMEOUT_MS = 60_000


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


def test_upload_shows_the_stored_analysis(chromium_ready: None, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "tone_and_noise.wav", tone_and_noise(), sr=44100, subtype="PCM_16")
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("these are not audio samples\n" * 50)

    with run_server(tmp_path / "home") as server, server.client() as api, browser.chromium_page() as (page, errors):
        genres = [g["name"] for g in api.get("/api/genres").json()]
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#genre-select option").count() == len(genres) + 1  # plus "none"

        page.set_input_files("#file-input", str(wav))
        if genres:
            page.select_option("#genre-select", genres[0])
        page.select_option("#level-select", "prescriptive")
        page.click("#analyse-button")
        page.wait_for_selector("#result[data-state=ready]", timeout=RESULT_TIMEOUT_MS)

        analysis_id = page.get_attribute("#result", "data-analysis-id")
        assert analysis_id
        stored = api.get(f"/api/analysis/{analysis_id}").json()
        assert stored["filename"] == "tone_and_noise.wav"
        overall = stored["overall_metrics"]
        assert page.text_content("#integrated-lufs") == browser.js_fixed(overall["integrated_lufs"])
        assert page.text_content("#true-peak-dbtp") == browser.js_fixed(overall["true_peak_dbtp"])
        assert page.text_content("#loudness-range-lu") == browser.js_fixed(overall["loudness_range_lu"])
        assert page.locator("#bands-table tbody tr").count() == len(stored["band_metrics"]) == 5

        for chart in ("#loudness-chart", "#spectrum-chart"):
            sizes = page.eval_on_selector_all(f"{chart} canvas", "cs => cs.map(c => [c.width, c.height])")
            assert sizes, f"no canvas in {chart}"
            assert all(w > 0 and h > 0 for w, h in sizes), f"{chart} canvas has no size: {sizes}"

        item = page.locator(f'#history-list li[data-id="{analysis_id}"]')
        assert item.count() == 1
        assert "tone_and_noise.wav" in item.inner_text()
        assert browser.js_fixed(overall["integrated_lufs"]) in item.inner_text()
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        assert (tmp_path / "page.png").stat().st_size > 10_000

        # A refused upload is shown in the server's words, and nothing is added to the history.
        page.set_input_files("#file-input", str(not_wav))
        page.click("#analyse-button")
        page.wait_for_selector("#upload-error:not([hidden])", timeout=RESULT_TIMEOUT_MS)
        refused = api.post("/api/analyze", files={"file": ("notes.wav", not_wav.read_bytes())})
        assert refused.status_code == 415
        assert page.text_content("#upload-error") == refused.json()["detail"]
        assert page.locator("#history-list li").count() == 1

        # Delete from the history (confirming the dialog): gone from the page and from the API.
        page.once("dialog", lambda dialog: dialog.accept())
        item.locator(".history-delete").click()
        page.wait_for_selector(f'#history-list li[data-id="{analysis_id}"]', state="detached")
        assert page.is_hidden("#result")
        assert api.get(f"/api/analysis/{analysis_id}").status_code == 404

        assert errors == []
