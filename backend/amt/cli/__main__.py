"""``amt analyze PATH [--genre G] [--level L] [--stage S] [--json [--output FILE]] [--workers N | --scheduler
tcp://HOST:8786] [--store]``,
``amt master IN --genre G --output OUT [--only eq,stereo,dynamics,limiter]``, ``amt serve`` and
``amt references populate|add|build-corpus|render-archetypes …`` (``python -m cli …`` from ``backend/``).

Analyses an audio file (WAV, AIFF, FLAC, MP3, Ogg Vorbis, Opus, AAC or ALAC in M4A), or every audio
file in a folder (with a progress bar; a line names each file skipped and why), with the same
engine, targets, recommendations and reference library as the service, and prints the
report as tables (or JSON with ``--json``: one analysis object for a file, a list for a
folder; a file that fails is ``{"filename", "detail"}``). ``--codec-preview`` also encodes each file with
every streaming destination's codec and measures its true peak after decoding (SPEC §8). No server is needed.
``--album`` treats a folder as an album in file-name order (``{"album", "tracks"}`` with ``--json``; see
:mod:`cli.album`); ``--report OUT.html`` / ``--csv OUT.csv`` also export a file's analysis, or the album.
A folder's files are analysed in parallel, ``--store`` keeps them in the service's database (``amt.cli.batch``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.text import Text

from amt.analysis.errors import AudioError
from amt.analysis.result import AnalysisResult
from amt.api.core.config import get_settings
from amt.api.services.analysis import codec_previews, measure_file, recommendations_for, sections_of
from amt.api.services.mastering import master_file, parse_only
from amt.api.services.settings import check_level, check_stage
from amt.cli import batch
from amt.cli.album import run_album, write_analysis_exports
from amt.cli.analysis_json import report_json
from amt.cli.report import fmt_number, plan_text, render, table
from amt.cli.targets import ReferenceLibrary, load_library, resolve_target
from amt.config.constants import DEFAULT_RECOMMENDATION_LEVEL, DEFAULT_STAGE, GenreTarget
from amt.scripts import analyze_reference, build_reference_corpus, populate_references, render_references
from amt.utils.errors import AppError
from amt.utils.paths import audio_files_or_error, label
from amt.utils.process import tune_process
from amt.utils.progress import FileProgress, console_for, show

USER_ERRORS = (AppError, AudioError)
"""What a command reports as ``error: message`` (the audio's or the options' fault), not as a traceback."""


def build_report(
    path: Path,
    *,
    genre: str | None,
    target: GenreTarget | None,
    level: str,
    stage: str,
    max_duration_s: float,
    library: ReferenceLibrary | None = None,
    codec_preview: bool = False,
    result: AnalysisResult | None = None,
) -> dict[str, Any]:
    """The analysis JSON of SPEC §7 (without id and date) for one file, with the §8 extras, the target used
    and the ``SIMILAR_TOP_K`` most similar references of ``library``; ``result``: the file's measurement when
    the caller has it already."""
    result = result or measure_file(path, max_duration_s=max_duration_s)
    found = sections_of(result)
    judgement = recommendations_for(result, target, level=level, stage=stage, found=found)
    encoded = codec_previews(path, result) if codec_preview else None
    return report_json(
        result,
        judgement,
        encoded,
        filename=path.name,
        genre=genre,
        target=target,
        level=level,
        stage=stage,
        library=library,
        found=found,
    )


_ALONE_FLAGS = {"--genre": "genre", "--store": "store", "--codec-preview": "codec_preview"}
"""Options of ``amt analyze`` that judge or store one file at a time: refused with ``--album``."""


def analyze(args: argparse.Namespace) -> int:
    """The ``analyze`` command; the exit code (1 when any file failed)."""
    files, skipped, problem = audio_files_or_error(args.path, recursive=args.recursive)
    for item in skipped:
        print(f"skipped: {label(item.path, args.path)}: {item.reason}", file=sys.stderr)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    settings = get_settings()
    exports = {"report": args.report, "csv": args.csv}
    if args.album:
        alone = [flag for flag, given in _ALONE_FLAGS.items() if getattr(args, given)]
        problem = batch.check_workers(args.workers) or (
            f"{', '.join(alone)}: for files analysed alone; --album measures the tracks against each other"
            if alone
            else None
        )
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        return run_album(
            files,
            root=args.path,
            max_duration_s=settings.max_duration_s,
            as_json=args.json,
            output=args.output,
            workers=args.workers,
            scheduler=args.scheduler,
            **exports,
        )
    if args.path.is_dir() and (args.report or args.csv):
        print("error: --report and --csv export one file, or a folder with --album", file=sys.stderr)
        return 2
    try:
        level = check_level(args.level)
        stage = check_stage(args.stage)
        genre, target = resolve_target(settings, args.genre)
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    library = load_library(settings)
    if batch.wants_batch(args):
        return batch.analyze_many(
            args, files, settings=settings, genre=genre, target=target, level=level, stage=stage, library=library
        )
    with FileProgress(len(files), enabled=len(files) > 1) as bar:
        reports, failures = _analyze_files(
            files,
            bar,
            args,
            genre=genre,
            target=target,
            level=level,
            stage=stage,
            max_duration_s=settings.max_duration_s,
            library=library,
        )
    if args.json:
        document: Any = reports[0] if args.path.is_file() else reports
        text = json.dumps(document, indent=2, allow_nan=False)
        if args.output:
            args.output.write_text(text + "\n")
        else:
            print(text)
    return 1 if failures else 0


def _analyze_files(
    files: list[Path],
    bar: FileProgress,
    args: argparse.Namespace,
    *,
    genre: str | None,
    target: GenreTarget | None,
    level: str,
    stage: str,
    max_duration_s: float,
    library: ReferenceLibrary | None,
) -> tuple[list[dict[str, Any]], int]:
    """Analyse ``files`` one after the other, printing each report (unless ``--json``); (reports, failures)."""
    reports: list[dict[str, Any]] = []
    failures = 0
    for path in files:
        bar.working_on(path.name)
        try:
            exporting = bool(args.report or args.csv)
            measured = measure_file(path, max_duration_s=max_duration_s) if exporting else None
            report = build_report(
                path,
                genre=genre,
                target=target,
                level=level,
                stage=stage,
                max_duration_s=max_duration_s,
                library=library,
                codec_preview=args.codec_preview,
                result=measured,
            )
            if measured is not None:
                write_analysis_exports(report, measured, report=args.report, csv=args.csv)
        except USER_ERRORS as exc:
            failures += 1
            bar.print(f"error: {path.name}: {exc.message}", error=True)
            reports.append({"filename": path.name, "detail": exc.message})
        else:
            reports.append(report)
            if not args.json:
                bar.print(render(report))
        bar.file_done(path.name)
    return reports, failures


def _figures(result: Any) -> dict[str, float | None]:
    o = result.overall
    return {
        "integrated_lufs": o.integrated_lufs,
        "true_peak_dbtp": o.true_peak_dbtp,
        "loudness_range_lu": o.loudness_range_lu,
        "dynamic_range_db": o.dynamic_range_db,
        "plr_db": o.plr_db,
    }


def master(args: argparse.Namespace) -> int:
    """The ``master`` command: render the prescriptive plan into ``--output`` and print the figures before and
    after; the exit code."""
    settings = get_settings()
    try:
        stage = check_stage(args.stage)
        genre, target = resolve_target(settings, args.genre)
        only = parse_only(args.only)
        done = master_file(
            args.path, args.output, target=target, stage=stage, only=only, max_duration_s=settings.max_duration_s
        )
    except USER_ERRORS as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    plan = done.judgement.plan.model_dump(mode="json")
    if only is not None:
        plan["steps"] = [s for s in plan["steps"] if s["kind"] in only]
    before, after = _figures(done.before), _figures(done.after)
    if args.json:
        print(
            json.dumps(
                {
                    "genre": genre,
                    "plan": plan,
                    "before": before,
                    "after": after,
                    "bands_before": [asdict(b) for b in done.before.bands],
                    "bands_after": [asdict(b) for b in done.after.bands],
                },
                indent=2,
                allow_nan=False,
            )
        )
        return 0
    rows = [
        (
            name,
            fmt_value(before[name]),
            fmt_value(after[name]),
            fmt_value(plan["expected"].get(name)) if only is None else "—",
        )
        for name in before
    ]
    figures = table(f"{args.path.name} → {args.output.name}", ("figure", "before", "after", "expected"), rows)
    show(console_for(sys.stdout), Group(Text(plan_text(plan)), Text(""), figures))
    return 0


def fmt_value(value: float | None) -> str:
    """A figure with one decimal (never "-0.0"), or a dash."""
    return "—" if value is None else fmt_number(value, 1)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it (after tuning the process for the engine)."""
    tune_process()
    parser = argparse.ArgumentParser(prog="amt", description="Audio Mastering Tool on the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="analyse an audio file or a folder of them")
    p.add_argument("path", type=Path, help="an audio file (WAV, AIFF, FLAC, MP3, Ogg, Opus, M4A) or a folder")
    p.add_argument("--genre", help="genre for targets (e.g. Techno, dnb, rock)")
    p.add_argument(
        "--level", default=DEFAULT_RECOMMENDATION_LEVEL, help="informative, suggestive (default) or prescriptive"
    )
    p.add_argument("--stage", default=DEFAULT_STAGE, help="master (default) or mix")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--output", type=Path, help="with --json: write it to this file")
    p.add_argument(
        "--album",
        action="store_true",
        help="a folder as an album (file-name order): album loudness, true peak and DR, each track against it",
    )
    p.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="a folder's sub-folders too (a catalogue); files are named by their path in the folder",
    )
    p.add_argument("--report", type=Path, help="also write a self-contained HTML report (a file, or --album)")
    p.add_argument("--csv", type=Path, help="also write the figures as CSV (a file, or --album)")
    p.add_argument(
        "--codec-preview",
        action="store_true",
        help="also encode with each streaming destination's codec and measure the true peak after it",
    )
    batch.add_arguments(p)
    m = sub.add_parser("master", help="apply the plan to a WAV file and measure the result")
    m.add_argument("path", type=Path, help="the WAV file to master")
    m.add_argument("--genre", help="genre for targets (e.g. Techno, dnb, rock)")
    m.add_argument("--stage", default=DEFAULT_STAGE, help="master (default) or mix")
    m.add_argument("--output", type=Path, required=True, help="where to write the result (32-bit float WAV)")
    m.add_argument("--only", help="apply only these step kinds: eq, stereo, dynamics, limiter (comma-separated)")
    m.add_argument("--json", action="store_true", help="print the plan and the figures as JSON")
    s = sub.add_parser("serve", help="serve the API and the web page (API_HOST:API_PORT unless given)")
    s.add_argument("--host", help="address to listen on (default: API_HOST, 127.0.0.1)")
    s.add_argument("--port", type=int, help="port to listen on (default: API_PORT, 8000)")
    r = sub.add_parser("references", help="manage the reference library (run 'amt references ACTION --help')")
    r.add_argument("action", choices=sorted(REFERENCE_ACTIONS), help=REFERENCE_HELP)
    r.add_argument("args", nargs=argparse.REMAINDER, help="the action's own arguments")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port)
    if args.command == "references":
        return REFERENCE_ACTIONS[args.action](args.args)
    if args.command != "master" and args.output is not None and not args.json:
        parser.error("--output writes the JSON report: use it with --json")  # exit 2
    return master(args) if args.command == "master" else analyze(args)


def serve(host: str | None, port: int | None) -> int:
    """The ``serve`` command: uvicorn on the given address, or the settings' ``API_HOST``:``API_PORT``."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("amt.api.main:app", host=host or settings.api_host, port=port or settings.api_port)
    return 0


REFERENCE_ACTIONS: dict[str, Callable[[list[str]], int]] = {
    "populate": populate_references.main,
    "add": analyze_reference.main,
    "build-corpus": build_reference_corpus.main,
    "render-archetypes": render_references.main,
}
REFERENCE_HELP = (
    "populate: load the built-in library (--force replaces it); add: analyse a file as a user reference; "
    "build-corpus: rebuild the real corpus from Debian packages; render-archetypes: re-render the archetypes"
)


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
