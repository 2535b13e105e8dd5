"""A small text progress bar for the command line (stderr, redrawn in place on a terminal)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """``[#####-----]  3/10  name`` — one line per step when stderr is not a terminal."""

    def __init__(self, total: int, *, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def show(self, done: int, label: str = "") -> None:
        """Draw the bar with ``done`` of ``total`` steps finished."""
        filled = round(BAR_WIDTH * done / self.total)
        line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{self.total}  {label}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            if done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
