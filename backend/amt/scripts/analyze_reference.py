"""Analyse real audio as a user reference track.

    python -m scripts.analyze_reference path/to/track.aif --name "Track" --artist "Artist" --genre Psytrance --year 2020
    python -m scripts.analyze_reference path/to/folder --artist "Various" --genre "My Target" --new-genre

A folder adds every audio file in it (WAV, AIFF, FLAC, MP3, Ogg Vorbis, Opus, AAC or ALAC in M4A; names
from the file names; a line names each file skipped and why), analysed as ``amt analyze FOLDER`` does: on
``--workers N`` local processes (default: the cores) or a Dask cluster (``--scheduler tcp://HOST:8786``),
each reference stored as it finishes. A genre that is not
known is refused unless ``--new-genre`` is given (typo protection); after that the
genre exists, with targets derived from its references.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from amt.api.core.config import get_settings
from amt.api.database import open_database, session_scope
from amt.api.services.catalogue import Failed, Measured, MeasureOptions, open_pool, run_jobs
from amt.api.services.genres import genre_key, known_genres, match_genre
from amt.api.services.references import build_reference_row
from amt.cli import batch
from amt.utils.errors import AppError
from amt.utils.paths import audio_files_or_error
from amt.utils.process import tune_process
from amt.utils.progress import FileProgress


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m scripts.analyze_reference", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="an audio file, or a folder of audio files")
    parser.add_argument("--name", help="track name (default: the file name); ignored for a folder")
    parser.add_argument("--artist", default="Unknown artist", help="artist name")
    parser.add_argument("--genre", required=True, help="genre (case-insensitive; aliases such as 'dnb' work)")
    parser.add_argument("--year", type=int, help="release year")
    parser.add_argument("--new-genre", action="store_true", help="create the genre if it is not known yet")
    batch.add_arguments(parser, store=False)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the script; the process exit code."""
    tune_process()
    args = parse_args(argv)
    files, skipped, problem = audio_files_or_error(args.path)
    for item in skipped:
        print(f"skipped: {item.path.name}: {item.reason}", file=sys.stderr)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    problem = batch.check_workers(args.workers)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if not genre_key(args.genre):
        print(f"error: '{args.genre}' is not a genre name: it needs at least one letter or digit.", file=sys.stderr)
        return 2
    settings = get_settings()
    engine, factory = open_database(settings)
    try:
        with session_scope(factory) as session:
            known = known_genres(session)
        genre = match_genre(args.genre, known)
        if genre is None:
            if not args.new_genre:
                print(
                    f"error: unknown genre '{args.genre}'. Known genres: {', '.join(known)}.\n"
                    "       If it is a new genre (not a typo), add --new-genre.",
                    file=sys.stderr,
                )
                return 2
            genre = " ".join(args.genre.split())
        options = MeasureOptions(target=None, level="", stage="", max_duration_s=settings.max_duration_s, judge=False)
        failures = 0
        files = [p.absolute() for p in files]  # workers on other machines have another working directory
        workers = args.workers or (1 if len(files) == 1 else None)
        with open_pool(workers=workers, scheduler=args.scheduler) as pool, FileProgress(len(files)) as progress:
            for outcome in run_jobs(pool, files, options):
                path = outcome.path
                if isinstance(outcome, Failed):
                    failures += 1
                    progress.file_done(f"error: {path.name}: {outcome.message}")
                    continue
                assert isinstance(outcome, Measured)  # nothing is skipped without a content check
                result = outcome.result
                name = args.name if args.name and len(files) == 1 else path.stem
                row = build_reference_row(
                    result,
                    name=name,
                    artist=args.artist,
                    genre=genre,
                    year=args.year,
                    is_builtin=False,
                    source=path.name,
                )
                with session_scope(factory) as session:
                    session.add(row)
                lufs = result.overall.integrated_lufs
                progress.file_done(
                    f"added {name!r} ({genre}): {result.audio.duration_s:.1f} s, "
                    f"{'—' if lufs is None else f'{lufs:.1f} LUFS'}, id {row.id}"
                )
        return 1 if failures else 0
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
