"""File-system helpers for the command line and scripts."""

from __future__ import annotations

from pathlib import Path

WAV_SUFFIXES = frozenset({".wav", ".wave"})


def wav_files(path: Path) -> list[Path]:
    """``path`` itself, or a folder's WAV files sorted by name (by suffix; decoding checks the bytes)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WAV_SUFFIXES)
    return [path]
