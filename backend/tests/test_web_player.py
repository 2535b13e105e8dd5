"""The "Hear it" player (SPEC §8) in headless Chromium against a real server: the level-matched A/B player and
the meter views beside it.

A hot, partly clipped file is uploaded through the page; the player fetches its plan applied from
``/api/master`` and states the gain it gives each side. The expected gains are worked out here from the
engine's own measurement of both files (the upload, and the WAV the page received), so the
page's Web Audio gain is checked against the measured loudness difference. PLR over time is recomputed with
numpy from the samples and the stored short-term loudness.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import browser
import numpy as np
import pytest
from test_web_page import RESULT_TIMEOUT_MS, tone_and_noise

from amt.api.services.mastering import measure
from helpers import run_server, write_wav

pytestmark = pytest.mark.browser

SR = 44100
GENRE = "Techno"
GAIN_TEXT = re.compile(r"A ([+\-−]?\d+\.\d) dB · B ([+\-−]?\d+\.\d) dB, level-matched")


@pytest.fixture(scope="module")
def chromium_ready() -> None:
    """Skip (saying what is missing) unless Playwright and Chromium can be had."""
    reason = browser.unavailable()
    if reason:
        pytest.skip(reason)


def hot_and_clipped(seconds: float = 8.0) -> np.ndarray:
    """:func:`tone_and_noise` pushed 4 dB past full scale and hard-clipped: clip events, true peak over 0 dBTP."""
    x = tone_and_noise(seconds, SR)
    x = x * (10 ** (4 / 20) / np.abs(x).max())
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def stated_gains(page: Any) -> tuple[float, float]:
    """The gains the player states for A and B, dB, parsed from its text."""
    text = page.text_content("#player-gain") or ""
    found = GAIN_TEXT.fullmatch(text.strip())
    assert found, text
    a, b = (float(g.replace("−", "-")) for g in found.groups())
    return a, b


def plr_expected(x: np.ndarray, short_term_lufs: list[float | None], hop_s: float) -> list[float | None]:
    """Each 3 s window's sample peak (dBFS, louder channel) minus its short-term loudness (window k ends at
    (k + 1)·hop)."""
    peak = np.abs(x).max(axis=1)
    seg = round(hop_s * SR)
    out: list[float | None] = []
    for k, lufs in enumerate(short_term_lufs):
        end = (k + 1) * seg
        window = peak[max(0, end - 30 * seg) : end]
        out.append(None if lufs is None or not window.size or window.max() == 0 else 20 * np.log10(window.max()) - lufs)
    return out


def test_the_player_level_matches_the_plan_and_the_meters_show_it(chromium_ready: None, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "hot.wav", hot_and_clipped(), sr=SR, subtype="PCM_16")
    with run_server(tmp_path / "home") as server, server.client() as api, browser.chromium_page() as (page, errors):
        console_errors: list[str] = []
        page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.set_input_files("#file-input", str(wav))
        page.select_option("#genre-select", GENRE)
        page.click("#analyse-button")
        page.wait_for_selector("#result[data-state=ready]", timeout=RESULT_TIMEOUT_MS)
        analysis_id = page.get_attribute("#result", "data-analysis-id")
        stored = api.get(f"/api/analysis/{analysis_id}").json()
        series = api.get(f"/api/analysis/{analysis_id}/series").json()

        # ---- the player: A is the upload; B the plan applied, fetched with one click
        player = page.locator("[data-testid=ab-player]")
        assert player.is_visible() and page.is_visible("#player-body")
        page.wait_for_selector("#player-play:not([disabled])")
        with page.expect_response(lambda r: r.url.endswith("/api/master")) as answer:
            page.click("#player-plan")
        page.wait_for_selector("[data-testid=ab-player][data-b-ready=true]", timeout=RESULT_TIMEOUT_MS)

        # The WAV the page received, and the upload, measured by the engine.
        done = answer.value
        assert done.status == 200
        (tmp_path / "b.wav").write_bytes(done.body())
        lufs_a = measure(wav).overall.integrated_lufs
        after = measure(tmp_path / "b.wav").overall
        assert lufs_a is not None and after.integrated_lufs is not None and after.true_peak_dbtp is not None
        assert float(done.headers["x-integrated-lufs"]) == pytest.approx(after.integrated_lufs, abs=0.005)
        assert float(done.headers["x-true-peak-dbtp"]) == pytest.approx(after.true_peak_dbtp, abs=0.005)
        difference = lufs_a - after.integrated_lufs
        assert abs(difference) > 1.0  # the plan changes the loudness, so the match has something to do
        gain_a, gain_b = stated_gains(page)
        # The louder side is turned down by the difference, the quieter one left alone.
        assert gain_b - gain_a == pytest.approx(difference, abs=0.1)
        assert max(gain_a, gain_b) == 0.0 and min(gain_a, gain_b) == pytest.approx(-abs(difference), abs=0.1)
        assert stored["overall_metrics"]["integrated_lufs"] == pytest.approx(lufs_a, abs=0.01)

        # ---- keys: B and A switch sides while playing, the position carries on; L needs a loop region first
        page.locator("#result-filename").click()  # focus out of the form
        page.keyboard.press("Space")
        page.wait_for_selector("[data-testid=ab-player][data-playing=true]")
        before = 0.0
        for _ in range(100):  # the page's CSP refuses wait_for_function's eval: poll from here
            before = float(player.get_attribute("data-position-s") or "nan")
            if before > 0.3:
                break
            page.wait_for_timeout(50)
        page.keyboard.press("b")
        assert player.get_attribute("data-side") == "b"
        assert page.get_attribute("#player-b", "aria-pressed") == "true"
        page.wait_for_timeout(300)
        page.keyboard.press("a")
        assert player.get_attribute("data-side") == "a"
        page.keyboard.press("Space")
        page.wait_for_selector("[data-testid=ab-player][data-playing=false]")
        paused = float(player.get_attribute("data-position-s") or "nan")
        assert paused >= before + 0.1  # kept going through the switch, never back to the start
        assert stated_gains(page) == (gain_a, gain_b)

        # ---- a loop region dragged on the loudness plot; L toggles it
        page.locator("#loudness-chart").scroll_into_view_if_needed()
        box = page.evaluate("""() => {
            const u = document.getElementById('loudness-chart').uplot;
            const r = u.over.getBoundingClientRect();
            return [r.left + u.valToPos(2, 'x'), r.left + u.valToPos(4, 'x'), r.top + r.height / 2];
        }""")
        page.mouse.move(box[0], box[2])
        page.mouse.down()
        page.mouse.move(box[1], box[2], steps=5)
        page.mouse.up()
        assert player.get_attribute("data-loop") == "on"
        assert "Loop 0:02.0–0:04.0" in (page.text_content("#player-loop-note") or "")
        page.keyboard.press("l")
        assert player.get_attribute("data-loop") == "off"
        page.keyboard.press("l")
        assert player.get_attribute("data-loop") == "on"

        # ---- clip events marked on the loudness plot
        clips = series["clip_times_s"]
        assert clips and stored["overall_metrics"]["clip_events"] == len(clips)
        assert f"the {len(clips)} clip event" in (page.text_content("#loudness-note") or "")

        # ---- PLR over time: the page's curve against numpy on the same samples and the stored short-term loudness
        page.wait_for_selector("#plr-block:not([hidden])")
        shown = page.evaluate("document.getElementById('plr-chart').uplot.data[1]")
        x = hot_and_clipped()  # PCM_16 rounding moves a peak by < 0.001 dB
        want = plr_expected(x, series["short_term_lufs"], series["loudness_hop_s"])
        assert len(shown) == len(want)
        pairs = [(s, w) for s, w in zip(shown, want, strict=True) if w is not None]
        assert len(pairs) > 40 and all(s is not None and abs(s - w) < 0.01 for s, w in pairs)

        # ---- the spectrum's difference from the target: the file's curve minus the target's, bin by bin
        spectrum = page.evaluate("document.getElementById('spectrum-chart').uplot.data")
        diff = page.evaluate("document.getElementById('spectrum-diff-chart').uplot.data")
        assert diff[0] == spectrum[0]
        expected = [None if f is None or t is None else f - t for f, t in zip(spectrum[1], spectrum[2], strict=True)]
        assert sum(v is not None for v in expected) > 20
        assert all(d is None if e is None else abs(d - e) < 1e-9 for e, d in zip(expected, diff[2], strict=True))

        # ---- per-step toggles: only the ticked steps are sent, and B says which
        for kind in ("stereo", "dynamics", "limiter"):
            page.uncheck(f"#player-steps input[value={kind}]")
        page.click("#player-plan")
        page.locator("#player-names", has_text="(eq)").wait_for(timeout=RESULT_TIMEOUT_MS)
        with wav.open("rb") as fh:
            data = {"genre": GENRE, "stage": "master", "only": "eq"}
            eq_only = api.post("/api/master", files={"file": ("hot.wav", fh, "audio/wav")}, data=data)
        lufs_eq = float(eq_only.headers["X-Integrated-LUFS"])
        assert abs(lufs_eq - after.integrated_lufs) > 1.0  # a different B (no gain, no limiter): a new gain
        gain_a, gain_b = stated_gains(page)
        assert gain_b - gain_a == pytest.approx(lufs_a - lufs_eq, abs=0.1)
        for kind in ("eq", "stereo", "dynamics", "limiter"):
            page.uncheck(f"#player-steps input[value={kind}]")
        assert page.is_disabled("#player-plan")

        # ---- B = a second file: analysed by the server for its loudness, decoded in the page
        quiet = write_wav(tmp_path / "quiet.wav", tone_and_noise(6.0, SR) * 0.3, sr=SR, subtype="PCM_16")
        page.set_input_files("#player-file", str(quiet))
        page.locator("#player-names", has_text="quiet.wav").wait_for(timeout=RESULT_TIMEOUT_MS)
        lufs_quiet = measure(quiet).overall.integrated_lufs
        assert lufs_quiet is not None
        gain_a, gain_b = stated_gains(page)
        assert gain_b - gain_a == pytest.approx(lufs_a - lufs_quiet, abs=0.1)
        assert gain_b == 0.0 and gain_a < -3.0  # the quieter side is left alone

        # ---- the genre is remembered between visits
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        assert page.input_value("#genre-select") == GENRE
        assert errors == [] and console_errors == []
