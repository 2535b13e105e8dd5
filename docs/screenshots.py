"""Take the README's screenshots with Playwright and headless Chromium.

Starts ``uvicorn api.main:app`` on a fresh APP_HOME, uploads a rendered techno track (its lows cut 6 dB, pushed
over full scale in a few places so it has clip events) through the page, loads the plan applied as B, chooses a
loop on the loudness plot, plays a moment and saves:

* ``docs/screenshot.png``: the README's first picture, the top of the page with the analysis;
* ``docs/hear-it.png``: the level-matched A/B player above the loudness plot (loop shaded, clip events ticked);
* ``docs/hear-it-plr.png``: PLR over time;
* ``docs/hear-it-spectrum.png``: the tonal balance with the difference from the target below it.

Run from the repository root: ``.venv/bin/python docs/screenshots.py`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

DOCS = Path(__file__).resolve().parent
BACKEND_DIR = DOCS.parent / "backend"
sys.path[:0] = [str(BACKEND_DIR), str(BACKEND_DIR / "tests")]

import browser  # noqa: E402

from amt.mastering.rbj import biquad  # noqa: E402
from amt.synth.archetypes import render_archetype  # noqa: E402
from helpers import run_server  # noqa: E402

SR = 44100
SECONDS = 40.0
MAIN_CLIP = {"x": 0, "y": 0, "width": 1280, "height": 1640}
"""The README's first picture: the top of the page with an analysis (px)."""


def track() -> np.ndarray:
    """A techno archetype with a 6 dB low-shelf cut at 150 Hz, its loudest peaks 0.5 dB over full scale, clipped."""
    x = render_archetype("Techno", 2, duration_s=SECONDS).astype(np.float64)
    x = signal.sosfilt(biquad("low shelf", 150.0, -6.0, 0.7, SR), x, axis=0)
    x *= 10 ** (0.5 / 20) / np.abs(x).max()
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def main() -> None:
    reason = browser.unavailable()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "techno-mixdown.wav"
        sf.write(wav, track(), SR, subtype="PCM_24")
        with run_server(Path(tmp) / "home") as server, browser.chromium_page(width=1280, height=1000) as (page, errors):
            page.goto(server.url + "/")
            page.wait_for_selector("body[data-ready=true]")
            page.set_input_files("#file-input", str(wav))
            page.select_option("#genre-select", "Techno")
            page.click("#analyse-button")
            page.wait_for_selector("#result[data-state=ready]", timeout=120_000)
            page.wait_for_selector("#player-play:not([disabled])")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(DOCS / "screenshot.png"), full_page=True, clip=MAIN_CLIP)
            page.click("#player-plan")
            page.wait_for_selector("[data-testid=ab-player][data-b-ready=true]", timeout=120_000)
            page.locator("#loudness-chart").scroll_into_view_if_needed()
            x0, x1, y = page.evaluate("""() => {
                const u = document.getElementById('loudness-chart').uplot;
                const r = u.over.getBoundingClientRect();
                return [r.left + u.valToPos(16, 'x'), r.left + u.valToPos(24, 'x'), r.top + r.height / 2];
            }""")
            page.mouse.move(x0, y)
            page.mouse.down()
            page.mouse.move(x1, y, steps=8)
            page.mouse.up()
            page.locator("#result-filename").click()
            page.keyboard.press("Space")
            page.wait_for_timeout(1500)
            page.keyboard.press("b")
            page.wait_for_timeout(500)
            page.keyboard.press("Space")
            page.mouse.move(0, 0)
            player = page.locator("#ab-player").bounding_box()
            loudness = page.locator("#loudness-title").locator("xpath=ancestor::section[1]").bounding_box()
            assert player and loudness
            top = player["y"]
            bottom = loudness["y"] + loudness["height"]
            page.screenshot(
                path=str(DOCS / "hear-it.png"),
                full_page=True,
                clip={"x": player["x"], "y": top, "width": player["width"], "height": bottom - top},
            )
            page.locator("#plr-block").screenshot(path=str(DOCS / "hear-it-plr.png"))
            page.locator("#spectrum-title").locator("xpath=ancestor::section[1]").screenshot(
                path=str(DOCS / "hear-it-spectrum.png")
            )
            print(page.text_content("#player-gain"))
            if errors:
                sys.exit(f"the page reported errors: {errors}")
    names = ("screenshot.png", "hear-it.png", "hear-it-plr.png", "hear-it-spectrum.png")
    print("wrote", ", ".join(f"docs/{n}" for n in names))


if __name__ == "__main__":
    main()
