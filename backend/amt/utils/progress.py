"""Files done of N, on ``rich``: a live bar on a terminal, one plain line per file anywhere else.

On a terminal (stderr) the bar is drawn and redrawn in place by :class:`rich.progress.Progress`; what
:meth:`FileProgress.print` prints appears above it, so a report printed between files never mixes with
the bar. Into a pipe or a log no escape code is written and nothing is redrawn: each finished file is one
line ``[2/5] name: how it went`` on stderr. Files may finish in any order (a pool of workers), only the count matters.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_WIDTH = 240
"""Characters per line of a report written to a pipe or a file (no terminal to fit: tables are not squeezed)."""


def console_for(stream: TextIO) -> Console:
    """A console writing to ``stream``: colours and the terminal's width on a terminal, plain wide text elsewhere.

    ``NO_COLOR`` is honoured on a terminal as well (rich reads it).
    """
    console = Console(file=stream, highlight=False, emoji=False)
    if console.is_terminal:
        return console
    return Console(file=stream, highlight=False, emoji=False, width=PLAIN_WIDTH, no_color=True, soft_wrap=True)


def show(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable`` (a string is not read as markup); plain text without trailing blanks off a terminal."""
    if console.is_terminal:
        console.print(renderable, markup=False)
        return
    with console.capture() as captured:
        console.print(renderable, markup=False)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    console.file.flush()


class FileProgress:
    """``with FileProgress(n) as bar:`` … ``bar.working_on(name)`` … ``bar.file_done(line)``.

    Every finished file gets one line ``[2/5] line`` on stderr: above the live bar on a terminal, plain
    elsewhere. ``enabled=False`` (one file) shows no progress at all and only prints. ``out`` and ``err``
    are the report's and the progress's streams (stdout and stderr by default, looked up when the object
    is made).
    """

    def __init__(
        self, total: int, *, enabled: bool = True, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.total = max(1, total)
        self.done = 0
        self.enabled = enabled
        self.out = console_for(out or sys.stdout)
        self.err = console_for(err or sys.stderr)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled and self.err.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[current]}", markup=False),
                console=self.err,
                redirect_stdout=False,  # the report goes to stdout itself: see print()
                redirect_stderr=False,
            )
            self._task = self._progress.add_task("analysing", total=self.total, current="")

    def __enter__(self) -> FileProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def working_on(self, name: str) -> None:
        """Name the file in hand next to the bar (a terminal only: a log gets a line when it is done)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, current=name)

    def file_done(self, line: str) -> None:
        """Count one more file done (whether it succeeded or failed); ``line`` says which and how it went."""
        self.done += 1
        if not self.enabled:
            return
        text = f"[{self.done}/{self.total}] {line}"
        if self._progress is not None and self._task is not None:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
            self._progress.update(self._task, completed=self.done, current="")
        else:
            show(self.err, text)

    def print(self, renderable: RenderableType, *, error: bool = False) -> None:
        """Print a report (stdout) or, with ``error``, a message (stderr) without mixing it into the bar.

        While the bar is live on a terminal that also shows stdout, the report is printed through the
        bar's console, above the bar (the same screen); stdout into a pipe or a file gets it directly.
        """
        live = self._progress is not None and self._progress.live.is_started
        show(self.err if error or (live and self.out.is_terminal) else self.out, renderable)
