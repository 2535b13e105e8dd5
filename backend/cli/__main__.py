"""``python -m cli analyze PATH [--genre G] [--level L] [--stage S] [--json [--output FILE]]``.

Analyses a WAV file, or every WAV in a folder (with a progress bar), with the same
engine, targets, recommendations and reference library as the service, and prints the
report as tables (or JSON with ``--json``: one analysis object for a file, a list for a
folder; a file that fails is ``{"filename", "detail"}``). No server is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from api.core.config import get_settings
from api.services.analysis import measure_file, recommendations_for
from api.services.report import read_time_extras
from api.services.settings import check_level, check_stage
from cli.report import render
from cli.targets import ReferenceLibrary, load_library, resolve_target
from config.constants import DEFAULT_RECOMMENDATION_LEVEL, DEFAULT_STAGE, GenreTarget
from ml.feature_extraction import extract_features
from utils.errors import AppError
from utils.paths import wav_files_or_error
from utils.progress import ProgressBar

SIMILAR_TOP_K = 5


def target_summary(target: GenreTarget | None) -> dict[str, Any] | None:
    """The genre target's overall figures (what the report's LRA and DR ranges come from)."""
    if target is None:
        return None
    return {
        "genre": target.genre, "source": target.source, "integrated_lufs": target.integrated_lufs,
        "true_peak_ceiling_dbtp": target.true_peak_ceiling_dbtp, "lra_lu": list(target.lra_lu),
        "dr_db": list(target.dr_db), "plr_db": list(target.plr_db),
    }


def build_report(path: Path, *, genre: str | None, target: GenreTarget | None, level: str, stage: str,
                 max_duration_s: float, library: ReferenceLibrary | None = None) -> dict[str, Any]:
    """The analysis JSON of SPEC §7 (without id and date) for one file, with the §8 extras, the target used
    and the ``SIMILAR_TOP_K`` most similar references of ``library``."""
    result = measure_file(path, max_duration_s=max_duration_s)
    overall = asdict(result.overall)
    series = asdict(result.series)
    return {
        "filename": path.name,
        "genre": genre,
        "recommendation_level": level,
        "stage": stage,
        "engine_version": result.engine_version,
        "audio": {k: getattr(result.audio, k) for k in ("sample_rate", "channels", "bit_depth", "duration_s")},
        "overall_metrics": overall,
        "band_metrics": [asdict(b) for b in result.bands],
        "recommendations": [asdict(item) for item in recommendations_for(result, target, level=level, stage=stage)],
        **read_time_extras(overall, series, result.audio.duration_s),
        "target": target_summary(target),
        "similar_references": library.similar(extract_features(result), SIMILAR_TOP_K) if library else [],
    }


def analyze(args: argparse.Namespace) -> int:
    """The ``analyze`` command; the exit code (1 when any file failed)."""
    files, problem = wav_files_or_error(args.path)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    settings = get_settings()
    try:
        level = check_level(args.level)
        stage = check_stage(args.stage)
        genre, target = resolve_target(settings, args.genre)
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    library = load_library(settings)
    bar = ProgressBar(len(files), enabled=len(files) > 1)
    reports: list[dict[str, Any]] = []
    failures = 0
    for i, path in enumerate(files):
        bar.show(i, path.name)
        try:
            report = build_report(path, genre=genre, target=target, level=level, stage=stage,
                                  max_duration_s=settings.max_duration_s, library=library)
        except AppError as exc:
            failures += 1
            bar.print(f"error: {path.name}: {exc.message}", file=sys.stderr)
            reports.append({"filename": path.name, "detail": exc.message})
            continue
        reports.append(report)
        if not args.json:
            bar.print(render(report))
    bar.show(len(files), "done")
    if args.json:
        document: Any = reports[0] if args.path.is_file() else reports
        text = json.dumps(document, indent=2, allow_nan=False)
        if args.output:
            args.output.write_text(text + "\n")
        else:
            print(text)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m cli", description="Audio Mastering Tool on the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="analyse a WAV file or a folder of them")
    p.add_argument("path", type=Path, help="a WAV file or a folder")
    p.add_argument("--genre", help="genre for targets (e.g. Techno, dnb, rock)")
    p.add_argument("--level", default=DEFAULT_RECOMMENDATION_LEVEL,
                   help="informative, suggestive (default) or prescriptive")
    p.add_argument("--stage", default=DEFAULT_STAGE, help="master (default) or mix")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--output", type=Path, help="with --json: write it to this file")
    args = parser.parse_args(argv)
    if args.output is not None and not args.json:
        parser.error("--output writes the JSON report: use it with --json")  # exit 2
    return analyze(args)


def run() -> int:
    """:func:`main`, ending quietly when the reader of the output goes away (``| head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's last flush cannot fail again, and exit as a
        # process stopped by SIGPIPE reports (128 + 13): no traceback, as other command-line tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code


if __name__ == "__main__":
    sys.exit(run())
