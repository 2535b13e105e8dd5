"""File-system helpers for the command line and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from amt.analysis.decode import sniff
from amt.analysis.errors import AudioError

AUDIO_SUFFIXES = frozenset({
    ".wav", ".wave", ".bwf", ".rf64", ".w64", ".aif", ".aiff", ".aifc", ".flac", ".mp3", ".mp2", ".ogg", ".oga",
    ".opus", ".m4a", ".mp4", ".aac",
})  # fmt: skip
"""Names of the formats the decoder reads (SPEC §4). A folder's files with these suffixes are analysed (and fail
clearly when their bytes are something else); other files are analysed when their bytes are audio, else skipped."""
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class Skipped:
    """A file of a folder that was not analysed, and why."""

    path: Path
    reason: str


def _audio_by_bytes(path: Path) -> str | None:
    """None when the file's first bytes are a container the decoder reads, else why it is skipped."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            sniff(f, size)
    except AudioError as exc:
        return exc.message
    except OSError as exc:
        return f"it could not be read ({exc.strerror or exc})"
    return None


def audio_files(path: Path, *, recursive: bool = False) -> tuple[list[Path], list[Skipped]]:
    """``path`` itself, or a folder's audio files sorted by name (with ``recursive``, its sub-folders' too, sorted
    by their path in it) and the files it skips (with the reason).

    Hidden files and folders (``.DS_Store``, ``._track.wav``, ``.git``) are left out silently, and so are
    sub-folders unless ``recursive``.
    """
    if not path.is_dir():
        return [path], []
    files: list[Path] = []
    skipped: list[Skipped] = []
    found = path.rglob("*") if recursive else path.iterdir()
    for p in sorted(found, key=lambda q: q.relative_to(path).parts):
        if any(part.startswith(".") for part in p.relative_to(path).parts) or not p.is_file():
            continue
        if p.suffix.lower() in AUDIO_SUFFIXES:
            files.append(p)
            continue
        reason = _audio_by_bytes(p)
        if reason is None:
            files.append(p)
        else:
            skipped.append(Skipped(p, reason))
    return files, skipped


def audio_files_or_error(path: Path, *, recursive: bool = False) -> tuple[list[Path], list[Skipped], str | None]:
    """:func:`audio_files`, or an error message for the command line when there are none."""
    if not path.exists():
        return [], [], f"{path} does not exist"
    files, skipped = audio_files(path, recursive=recursive)
    if files:
        return files, skipped, None
    if not recursive and any(p.is_dir() and not p.name.startswith(".") for p in path.iterdir()):
        return files, skipped, f"no audio files in {path} itself; add --recursive to include its sub-folders"
    return files, skipped, f"no audio files in {path}"


def label(path: Path, root: Path) -> str:
    """How a file of a run is named to the user: its path inside the folder ``root`` (its name when ``root`` is
    the file itself)."""
    try:
        return path.absolute().relative_to(root.absolute()).as_posix() if root.is_dir() else path.name
    except ValueError:
        return path.name
