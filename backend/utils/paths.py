"""File-system helpers for the command line and scripts."""

from __future__ import annotations

from pathlib import Path

WAV_SUFFIXES = frozenset({".wav", ".wave"})


def wav_files_or_error(path: Path) -> tuple[list[Path], str | None]:
    """:func:`wav_files`, or an error message for the command line when there are none."""
    if not path.exists():
        return [], f"{path} does not exist"
    files = wav_files(path)
    return files, None if files else f"no .wav files in {path}"


def wav_files(path: Path) -> list[Path]:
    """``path`` itself, or a folder's WAV files sorted by name (by suffix; decoding checks the bytes)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WAV_SUFFIXES)
    return [path]
