"""``amt analyze FOLDER --album [--json] [--report OUT.html] [--csv OUT.csv]``: the album view (SPEC §8) of
every audio file in a folder, in file-name order as the running order; and the HTML/CSV exports of one file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from concurrent.futures import BrokenExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType

from amt.analysis.result import AnalysisResult
from amt.api.services.album import AlbumTrackInput, summarize_album, track_input
from amt.api.services.catalogue import Failed, Measured, MeasureOptions, open_pool, run_jobs
from amt.api.services.export import album_csv, album_dict, album_html, analysis_csv, analysis_html
from amt.cli.report import table
from amt.config.constants import BAND_NAMES
from amt.utils.errors import AppError
from amt.utils.paths import label
from amt.utils.progress import FileProgress, console_for, show


def _num(value: float | None, digits: int = 1, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def album_text(data: Mapping[str, Any]) -> Group:
    """The album as two terminal tables (the album's figures, then one row per track) and the outliers."""
    a = data["album"]
    summary = [
        ("album loudness", f"{_num(a['integrated_lufs'])} LUFS"),
        ("album loudness range", f"{_num(a['loudness_range_lu'])} LU"),
        ("album true peak", f"{_num(a['true_peak_dbtp'], 2)} dBTP"),
        ("album DR", "—" if a["dr_value"] is None else f"DR{a['dr_value']} (mean {_num(a['dynamic_range_db'], 2)})"),
        ("loudness spread", f"{_num(a['loudness_spread_lu'])} LU (SD {_num(a['loudness_sd_lu'])} LU)"),
        ("running time", f"{_num(a['duration_s'])} s"),
    ]
    header = ("#", "track", "LUFS", "offset LU", "dBTP", "DR", *(f"{b} dB" for b in BAND_NAMES))
    rows = [
        (
            str(t["position"]),
            t["name"] + (" *" if t["outlier"] else ""),
            _num(t["integrated_lufs"]),
            _num(t["loudness_offset_lu"], signed=True),
            _num(t["true_peak_dbtp"], 2),
            "—" if t["dr_value"] is None else str(t["dr_value"]),
            *(_num(t["tonal_deviation_db"][b], signed=True) for b in BAND_NAMES),
        )
        for t in data["tracks"]
    ]
    lines: list[RenderableType] = [
        table(f"Album: {a['tracks']} tracks", ("figure", "value"), summary),
        "",
        table("Tracks (band columns: tonal balance against the album's mean)", header, rows),
        "",
    ]
    outliers = [t for t in data["tracks"] if t["outlier"]]
    if not outliers:
        lines.append(
            f"No outliers: every track within ±{a['loudness_tolerance_lu']:g} LU of the album loudness "
            f"and ±{a['tonal_tolerance_db']:g} dB of its tonal balance."
        )
    for t in outliers:
        lines.append(f"* {t['name']}: {'; '.join(str(r) for r in t['reasons'])}")
    return Group(*lines)


def run_album(
    files: list[Path],
    *,
    root: Path,
    max_duration_s: float,
    as_json: bool,
    output: Path | None = None,
    report: Path | None = None,
    csv: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> int:
    """Analyse ``files`` (on ``workers`` local processes or the Dask cluster at ``scheduler``, as ``amt analyze
    FOLDER`` does) and print their album in file order, each named by its path in the folder ``root`` (tables,
    or JSON into ``output`` or stdout); the exit code (1 when a file failed, 2 when fewer than two could be
    read)."""
    options = MeasureOptions(target=None, level="", stage="", max_duration_s=max_duration_s, judge=False)
    measured: dict[Path, AnalysisResult] = {}
    failures = 0
    paths = [p.absolute() for p in files]  # workers on other machines have another working directory
    try:
        with open_pool(workers=workers, scheduler=scheduler) as pool, FileProgress(len(paths)) as bar:
            for outcome in run_jobs(pool, paths, options):
                if isinstance(outcome, Measured):
                    measured[outcome.path] = outcome.result
                    bar.file_done(label(outcome.path, root))
                elif isinstance(outcome, Failed):  # (nothing is skipped without a content check)
                    failures += 1
                    bar.file_done(f"{label(outcome.path, root)}: error: {outcome.message}")
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except BrokenExecutor:
        print("error: a worker process died (out of memory, or killed).", file=sys.stderr)
        return 1
    tracks: list[AlbumTrackInput] = [track_input(measured[p], label(p, root)) for p in paths if p in measured]
    freqs = next((measured[p].series.spectrum_freqs_hz for p in paths if p in measured), [])
    if len(tracks) < 2:
        print(f"error: an album needs at least 2 readable audio files; {len(tracks)} could be read", file=sys.stderr)
        return 2
    album = summarize_album(tracks, spectrum_freqs_hz=freqs)
    data = album_dict(album)
    if report is not None:
        report.write_text(album_html(album))
    if csv is not None:
        csv.write_text(album_csv(album))
    if as_json and output is not None:
        output.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    else:
        if as_json:
            print(json.dumps(data, indent=2, allow_nan=False))
        else:
            show(console_for(sys.stdout), album_text(data))
    return 1 if failures else 0


def write_analysis_exports(
    report_json: Mapping[str, Any], result: AnalysisResult, *, report: Path | None, csv: Path | None
) -> None:
    """Write one file's analysis as a self-contained HTML report and/or CSV."""
    if report is not None:
        report.write_text(analysis_html(report_json, asdict(result.series)))
    if csv is not None:
        csv.write_text(analysis_csv(report_json))
