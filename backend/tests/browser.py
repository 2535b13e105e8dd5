"""Headless Chromium for the web-page tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser downloads are never used (no ``playwright install``): the
tests launch ``/usr/bin/chromium``, installing Debian's package with apt when
running as root (as CI does). ``unavailable()`` says what is missing, for the skip
message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces it often lacks
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _install_chromium() -> str | None:
    """Install Debian's chromium as root; an error message, or None on success."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"Chromium is not installed ({CHROMIUM} is missing; apt-get install chromium, as root)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, timeout=300, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=True, capture_output=True, timeout=900, env=env
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return f"installing Chromium with apt-get failed: {exc}"
    return None if CHROMIUM.exists() else f"apt-get installed chromium but {CHROMIUM} is still missing"


def unavailable() -> str | None:
    """Why the browser tests cannot run (installing Chromium first when root), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is missing (pip install -r backend/requirements.txt)"
    if not CHROMIUM.exists():
        return _install_chromium()
    return None


@contextmanager
def chromium_page(*, width: int = 1280, height: int = 900) -> Iterator[tuple[Any, list[str]]]:
    """A fresh page (new profile) in headless Chromium, and the list its uncaught script errors go to."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # CSP refusals are console errors, not page errors: the page must cause none (SPEC §3).
            page.on("console", lambda msg: _record_policy_error(msg, errors))
            yield page, errors
        finally:
            browser.close()


def _record_policy_error(message: Any, errors: list[str]) -> None:
    """Keep a console error that reports a Content-Security-Policy refusal."""
    if message.type == "error" and "Content Security Policy" in message.text:
        errors.append(message.text)


def js_fixed(value: float | None, digits: int = 1) -> str:
    """A number as the page shows it: ``value.toFixed(digits)`` (ties away from zero on the exact binary value),
    never "-0.0"; None → "—"."""
    if value is None:
        return "—"
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return str(abs(rounded) if rounded == 0 else rounded)


def js_signed(value: float | None, digits: int = 1) -> str:
    """A number as the page's ``fmtSigned`` shows it: "+1.2", "-0.4", "0.0"; None → "—"."""
    text = js_fixed(value, digits)
    return text if text == "—" or text.startswith("-") or Decimal(text) == 0 else f"+{text}"
