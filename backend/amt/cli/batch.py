"""Many files at once from the command line (SPEC §10): ``amt analyze FOLDER [--workers N | --scheduler
tcp://HOST:8786] [--store]``, and the reference script's folders.

The jobs run in ``amt.api.services.catalogue`` (local processes or a Dask cluster, one code path); this
module turns the outcomes, as they finish, into progress (a bar on a terminal, one line per file into a
pipe or a log), the reports (tables, or JSON in the folder's order) and, with ``--store``, rows in the
service's database (``DATABASE_URL``), skipping files whose content is stored already.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import BrokenExecutor
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from amt.api.core.config import Settings
from amt.api.database import open_database
from amt.api.services.catalogue import (
    Failed,
    Measured,
    MeasureOptions,
    Skipped,
    local_workers,
    open_pool,
    run_jobs,
    store_measured,
    stored_analysis_id,
)
from amt.cli.analysis_json import report_json
from amt.cli.report import render
from amt.cli.targets import ReferenceLibrary
from amt.config.constants import GenreTarget
from amt.utils.errors import AppError
from amt.utils.paths import label
from amt.utils.progress import FileProgress


def add_arguments(parser: argparse.ArgumentParser, *, store: bool = True) -> None:
    """The catalogue options, for ``amt analyze`` (with ``--store``) and the reference script."""
    if store:
        parser.add_argument(
            "--store",
            action="store_true",
            help="store every analysis in the service's database (DATABASE_URL), skipping files stored already",
        )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"analyse a folder's files in N local processes (default: the cores, {local_workers()} here)",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="run the jobs on this Dask scheduler's workers (files at the same path on every worker)",
    )


def wants_batch(args: argparse.Namespace) -> bool:
    """Whether ``amt analyze`` takes the catalogue path: a folder, or any catalogue option."""
    return bool(args.path.is_dir() or args.store or args.workers is not None or args.scheduler)


def check_workers(workers: int | None) -> str | None:
    """An error message for a ``--workers`` value below 1, else None."""
    return "--workers must be at least 1" if workers is not None and workers < 1 else None


def analyze_many(
    args: argparse.Namespace,
    files: list[Path],
    *,
    settings: Settings,
    genre: str | None,
    target: GenreTarget | None,
    level: str,
    stage: str,
    library: ReferenceLibrary | None,
) -> int:
    """``amt analyze`` on a folder (or with a catalogue option); the exit code (1 when any file failed)."""
    problem = check_workers(args.workers)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    options = MeasureOptions(
        target=target,
        level=level,
        stage=stage,
        max_duration_s=settings.max_duration_s,
        codec_preview=args.codec_preview,
    )
    files = [p.absolute() for p in files]  # workers on other machines have another working directory
    try:
        engine, factory = open_database(settings) if args.store else (None, None)
    except SQLAlchemyError as exc:
        print(f"error: the database ({settings.sqlalchemy_url.split('@')[-1]}) cannot be used: {exc}", file=sys.stderr)
        return 2
    reports: dict[Path, dict[str, Any]] = {}
    counts = {"stored": 0, "skipped": 0, "failed": 0}
    started = time.perf_counter()
    audio_s = 0.0
    try:
        workers = args.workers or (1 if len(files) == 1 else None)
        with open_pool(workers=workers, scheduler=args.scheduler) as pool, FileProgress(len(files)) as progress:
            stored = None if factory is None else partial(stored_analysis_id, factory)
            for outcome in run_jobs(pool, files, options, stored=stored):
                name = label(outcome.path, args.path)
                if isinstance(outcome, Failed):
                    counts["failed"] += 1
                    reports[outcome.path] = {"filename": name, "detail": outcome.message}
                    progress.file_done(f"{name}: error: {outcome.message}")
                    continue
                if isinstance(outcome, Skipped):
                    counts["skipped"] += 1
                    reports[outcome.path] = {"filename": name, "id": outcome.analysis_id, "skipped": outcome.reason}
                    stored_as = f" as {outcome.analysis_id}" if outcome.analysis_id else ""
                    progress.file_done(f"{name}: skipped, {outcome.reason}{stored_as}")
                    continue
                audio_s += outcome.result.audio.duration_s
                report: dict[str, Any] = {}
                if args.json or not args.store:
                    report = _report(
                        outcome, name, genre=genre, target=target, level=level, stage=stage, library=library
                    )
                line = f"{name}: {outcome.result.audio.duration_s:.1f} s in {outcome.seconds:.2f} s on {outcome.worker}"
                if factory is not None:
                    saved = store_measured(factory, outcome, genre=genre, level=level, stage=stage)
                    report = {"id": saved.id, **report}
                    if saved.created:
                        counts["stored"] += 1
                        line += f", stored as {saved.id}"
                    else:
                        counts["skipped"] += 1
                        line += f", skipped: stored meanwhile as {saved.id}"
                reports[outcome.path] = report
                progress.file_done(line)
                if not args.json and not args.store:
                    progress.print(render(report))
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except BrokenExecutor:
        stored_note = " What was stored is kept: run the same command again to resume." if args.store else ""
        print(f"error: a worker process died (out of memory, or killed).{stored_note}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    elapsed = time.perf_counter() - started
    summary = f"{len(files)} files on {pool.where} in {elapsed:.1f} s"
    if audio_s:
        speed = audio_s / elapsed
        summary += f" ({speed:.0f}× real time)" if speed >= 10 else f" ({speed:.1f}× real time)"
    if args.store:
        summary += f"; stored {counts['stored']}, skipped {counts['skipped']} already stored"
    if counts["failed"]:
        summary += f"; {counts['failed']} failed"
    print(summary, file=sys.stderr)
    if args.json:
        ordered = [reports[p] for p in files if p in reports]
        document: Any = ordered[0] if args.path.is_file() else ordered
        text = json.dumps(document, indent=2, allow_nan=False)
        if args.output:
            args.output.write_text(text + "\n")
        else:
            print(text)
    return 1 if counts["failed"] else 0


def _report(
    measured: Measured,
    name: str,
    *,
    genre: str | None,
    target: GenreTarget | None,
    level: str,
    stage: str,
    library: ReferenceLibrary | None,
) -> dict[str, Any]:
    assert measured.judgement is not None  # analyses are measured with judge=True
    return report_json(
        measured.result,
        measured.judgement,
        measured.encoded,
        filename=name,
        genre=genre,
        target=target,
        level=level,
        stage=stage,
        library=library,
    )
