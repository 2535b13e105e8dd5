"""A small text progress bar for the command line (stderr, redrawn in place on a terminal)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30
CLEAR_LINE = "\r\x1b[2K"
"""Carriage return, then ANSI "erase the whole line" (ECMA-48 EL 2)."""


class ProgressBar:
    """``[#####-----]  3/10  name`` on stderr.

    On a terminal the bar is one line redrawn in place, and :meth:`print` lifts it out
    of the way, so a report printed between steps starts on a clean line and the bar
    comes back under it. Elsewhere (a pipe, a log file) each step is one line of its
    own. A bar made with ``enabled=False`` draws nothing and only prints.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = max(1, total)
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self._line = ""
        self._drawn = False
        """True while the bar is on the terminal's current line (drawn, no newline after it)."""

    def show(self, done: int, label: str = "") -> None:
        """Draw the bar with ``done`` of ``total`` steps finished; the last step ends the line."""
        if not self.enabled:
            return
        filled = round(BAR_WIDTH * done / self.total)
        self._line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{self.total}  {label}"
        if self.tty:
            self.stream.write(CLEAR_LINE + self._line)
            self._drawn = done < self.total
            if not self._drawn:
                self.stream.write("\n")
        else:
            self.stream.write(self._line + "\n")
        self.stream.flush()

    def print(self, text: str, *, file: TextIO | None = None) -> None:
        """Print ``text`` (and a newline) to ``file`` (stdout by default) without mixing it into the bar."""
        out = file or sys.stdout
        if self._drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
        print(text, file=out, flush=True)
        if self._drawn:
            self.stream.write(self._line)
            self.stream.flush()
