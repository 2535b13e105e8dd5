"""Exports (SPEC §8): an album or one analysis as CSV, and as one self-contained HTML report.

The HTML report is a single file: inline CSS, plots as inline SVG (presentation attributes, no
``style`` attributes), no script, no network — it opens offline and can be mailed. Served over HTTP it
carries its own Content-Security-Policy (:func:`report_csp`) that admits exactly its one style block.
Pure functions: numbers in, text out.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from html import escape
from typing import Any

from amt.api.services.album import Album
from amt.config.constants import BAND_NAMES

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
"""Line colours of overlaid tracks, in running order (repeating)."""

REPORT_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:70rem;color:#222;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.name{white-space:nowrap}
tr.outlier td{background:#fff3f0}
.note{color:#555;font-size:.85rem}
svg{max-width:100%;height:auto}
""".strip()

_UNITS = (
    ("_lufs", "LUFS"),
    ("_lu", "LU"),
    ("_dbtp", "dBTP"),
    ("_dbfs", "dBFS"),
    ("_db", "dB"),
    ("_hz", "Hz"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_pct", "%"),
    ("_bpm", "BPM"),
)


def unit_of(metric: str) -> str:
    """The unit a SPEC §4 metric name ends with ('' for ratios and counts)."""
    return next((unit for suffix, unit in _UNITS if metric.endswith(suffix)), "")


def fmt(value: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals (integers as they are), '—' for null; never '-0.0'."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.{digits}f}"
        return text.lstrip("-") if float(text) == 0 else text
    return str(value)


def digits_of(metric: str, value: Any = None) -> int:
    """Decimals shown for a metric: 2 for peaks and ratios, 1 for levels, none for frequencies of 100 Hz and up."""
    if metric.endswith(("_dbtp", "_dbfs")) or unit_of(metric) == "":
        return 2
    if metric.endswith("_hz"):
        return 0 if isinstance(value, int | float) and abs(value) >= 100 else 1
    return 1


def label_of(metric: str) -> str:
    """A metric's name as a column or row label: words, without the unit its name ends with."""
    unit = next((suffix for suffix, _ in _UNITS if metric.endswith(suffix)), "")
    return (metric[: -len(unit)] if unit else metric).replace("_", " ")


def report_csp() -> str:
    """Content-Security-Policy of a served report: nothing but its own inline style block."""
    digest = base64.b64encode(hashlib.sha256(REPORT_CSS.encode()).digest()).decode()
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src 'sha256-{digest}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


# --- CSV -------------------------------------------------------------------------------------------------------

ALBUM_CSV_FIELDS = (
    "position",
    "name",
    "duration_s",
    "integrated_lufs",
    "loudness_offset_lu",
    "true_peak_dbtp",
    "dr_value",
    *(f"energy_ratio_{b}" for b in BAND_NAMES),
    *(f"tonal_deviation_db_{b}" for b in BAND_NAMES),
    "outlier",
    "reasons",
)
"""One row per track, then an ``album`` row with the album's figures in the same columns."""


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these would be run as a formula by a spreadsheet (CSV injection, OWASP):
such text — a file name, say — is written with a leading apostrophe."""


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue()


def album_csv(album: Album) -> str:
    """The album as CSV: a header, one row per track in running order, then the ``album`` row."""
    rows: list[list[Any]] = [list(ALBUM_CSV_FIELDS)]
    for t in album.tracks:
        rows.append(
            [
                t.position,
                t.name,
                t.duration_s,
                t.integrated_lufs,
                t.loudness_offset_lu,
                t.true_peak_dbtp,
                t.dr_value,
                *(t.energy_ratios.get(b) for b in BAND_NAMES),
                *(t.tonal_deviation_db.get(b) for b in BAND_NAMES),
                t.outlier,
                "; ".join(t.reasons),
            ]
        )
    a = album.album
    rows.append(
        [
            "album",
            f"{a.tracks} tracks",
            a.duration_s,
            a.integrated_lufs,
            None,
            a.true_peak_dbtp,
            a.dr_value,
            *(a.energy_ratios.get(b) for b in BAND_NAMES),
            *([None] * len(BAND_NAMES)),
            bool(a.outliers),
            "; ".join(a.outliers),
        ]
    )
    return _csv(rows)


def analysis_csv(analysis: Mapping[str, Any]) -> str:
    """One analysis as CSV in long form: ``scope,metric,value,unit`` — scope ``audio``, ``overall`` or a band."""
    rows: list[list[Any]] = [["scope", "metric", "value", "unit"], ["file", "filename", analysis["filename"], ""]]
    for key, value in (analysis.get("audio") or {}).items():
        rows.append(["audio", key, value, unit_of(key)])
    for key, value in (analysis.get("overall_metrics") or {}).items():
        rows.append(["overall", key, value, unit_of(key)])
    for band in analysis.get("band_metrics") or []:
        for key, value in band.items():
            if key != "band":
                rows.append([band["band"], key, value, unit_of(key)])
    return _csv(rows)


# --- SVG plots -------------------------------------------------------------------------------------------------

_W, _H = 760, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 14, 40


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values spanning lo … hi."""
    span = hi - lo or 1.0
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    step = next(m * step for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def line_plot(
    lines: Sequence[tuple[str, Sequence[float], Sequence[float | None]]],
    *,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    title: str,
) -> str:
    """An SVG line plot of ``(label, xs, ys)`` lines (a None y breaks the line), with axes, ticks and a legend."""
    points = [(x, y) for _, xs, ys in lines for x, y in zip(xs, ys, strict=False) if y is not None and x > 0]
    if not points:
        return f'<p class="note">{escape(title)}: nothing to plot.</p>'
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    x_lo, x_hi = min(fx(p[0]) for p in points), max(fx(p[0]) for p in points)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    pad = max(1.0, 0.05 * (y_hi - y_lo))
    y_lo, y_hi = y_lo - pad, y_hi + pad
    x_hi = x_hi if x_hi > x_lo else x_lo + 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def sx(v: float) -> float:
        return _LEFT + (fx(v) - x_lo) / (x_hi - x_lo) * plot_w

    def sy(v: float) -> float:
        return _TOP + (y_hi - v) / (y_hi - y_lo) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H + 18 * len(lines)}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#999"/>',
    ]
    x_ticks: list[float]
    if log_x:
        x_ticks = [
            float(f) for f in (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000) if x_lo <= math.log10(f) <= x_hi
        ]
    else:
        x_ticks = _ticks(x_lo, x_hi)
    for t in x_ticks:
        x = sx(t)
        label = f"{t / 1000:g}k" if log_x and t >= 1000 else f"{t:g}"
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + plot_h}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{x:.1f}" y="{_TOP + plot_h + 14}" font-size="11" text-anchor="middle">{label}</text>')
    for t in _ticks(y_lo, y_hi):
        y = sy(t)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{t:g}</text>')
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{_TOP + plot_h + 32}" font-size="12" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text x="14" y="{_TOP + plot_h / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2})">{escape(y_label)}</text>'
    )
    for i, (label, xs, ys) in enumerate(lines):
        colour = PALETTE[i % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for x, value in zip(xs, ys, strict=False):
            if value is None or x <= 0:
                runs.append([])
            else:
                runs[-1].append(f"{sx(x):.1f},{sy(value):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{" ".join(run)}"/>')
        ly = _H + 18 * i + 4
        parts.append(f'<line x1="{_LEFT}" y1="{ly}" x2="{_LEFT + 24}" y2="{ly}" stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text x="{_LEFT + 30}" y="{ly + 4}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- HTML ------------------------------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{REPORT_CSS}</style></head><body>{body}</body></html>\n"
    )


def _cell(value: Any, metric: str = "", *, testid: str = "", signed: bool = False) -> str:
    attr = f' data-testid="{escape(testid)}"' if testid else ""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    css = ' class="num"' if numeric or value is None else ""
    text = fmt(value, digits_of(metric, value))
    if signed and numeric and not text.startswith("-") and float(text) != 0:
        text = "+" + text
    return f"<td{css}{attr}>{escape(text)}</td>"


def album_html(album: Album, *, title: str = "Album report") -> str:
    """The album as one self-contained HTML page: the album's figures, the track table, the spectra overlaid."""
    a = album.album
    summary_rows = [
        ("Album loudness", a.integrated_lufs, "integrated_lufs", "LUFS"),
        ("Album loudness range", a.loudness_range_lu, "loudness_range_lu", "LU"),
        ("Album true peak", a.true_peak_dbtp, "true_peak_dbtp", "dBTP"),
        ("Album DR", a.dr_value, "dr_value", ""),
        ("Mean track DR", a.dynamic_range_db, "dynamic_range_db", "dB"),
        ("Loudness spread (loudest − quietest)", a.loudness_spread_lu, "loudness_spread_lu", "LU"),
        ("Loudness standard deviation", a.loudness_sd_lu, "loudness_sd_lu", "LU"),
        ("Running time", a.duration_s, "duration_s", "s"),
    ]
    body = [f"<h1>{escape(title)}</h1>", f'<p class="note">{a.tracks} tracks, in running order.</p>', "<table>"]
    for label, value, key, unit in summary_rows:
        body.append(f"<tr><th>{escape(label)}</th>{_cell(value, key, testid=f'album-{key}')}<td>{unit}</td></tr>")
    body.append("</table>")
    outliers = ", ".join(a.outliers) if a.outliers else "none"
    body.append(
        f'<p data-testid="album-outliers">Outliers: {escape(outliers)} '
        f'<span class="note">(tolerance: ±{a.loudness_tolerance_lu:g} LU from the album loudness, '
        f"±{a.tonal_tolerance_db:g} dB per band from the album's mean tonal balance)</span></p>"
    )
    head = "".join(f"<th>{escape(b)} dB</th>" for b in BAND_NAMES)
    body.append(
        "<h2>Tracks</h2><table><tr><th>#</th><th>Track</th><th>Loudness LUFS</th><th>Offset LU</th>"
        f"<th>True peak dBTP</th><th>DR</th>{head}<th>Reasons</th></tr>"
    )
    for t in album.tracks:
        css = ' class="outlier"' if t.outlier else ""
        cells = [
            f'<td>{t.position}</td><td class="name">{escape(t.name)}</td>',
            _cell(t.integrated_lufs, "integrated_lufs", testid=f"track-{t.position}-integrated_lufs"),
            _cell(
                t.loudness_offset_lu,
                "loudness_offset_lu",
                testid=f"track-{t.position}-loudness_offset_lu",
                signed=True,
            ),
            _cell(t.true_peak_dbtp, "true_peak_dbtp", testid=f"track-{t.position}-true_peak_dbtp"),
            _cell(t.dr_value, "dr_value"),
            *(_cell(t.tonal_deviation_db.get(b), "deviation_db", signed=True) for b in BAND_NAMES),
            f"<td>{escape('; '.join(t.reasons))}</td>",
        ]
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    body.append(
        "</table><p class=\"note\">Band columns: each track's tonal balance against the album's mean — "
        "the shape deviation of its energy share per band (dB, the median band taken out).</p>"
    )
    lines = [(f"{t.position}. {t.name}", a.spectrum_freqs_hz, t.spectrum_db) for t in album.tracks]
    body.append("<h2>Long-term spectra</h2>")
    body.append(line_plot(lines, x_label="frequency (Hz)", y_label="level (dB)", log_x=True, title="Spectra"))
    return _page(title, "".join(body))


def album_dict(album: Album) -> dict[str, Any]:
    """``{"album": {…}, "tracks": […]}`` (the JSON of SPEC §8)."""
    return {"album": asdict(album.album), "tracks": [asdict(t) for t in album.tracks]}


def analysis_html(analysis: Mapping[str, Any], series: Mapping[str, Any] | None) -> str:
    """One analysis as a self-contained HTML page: audio, overall and band metrics, findings, spectrum and
    short-term loudness plots."""
    name = str(analysis["filename"])
    body = [f"<h1>{escape(name)}</h1>"]
    audio = analysis.get("audio") or {}
    if audio:
        facts = ", ".join(f"{k.replace('_', ' ')} {fmt(v, 2)}" for k, v in audio.items() if v is not None)
        body.append(f'<p class="note">{escape(facts)}</p>')
    body.append("<h2>Overall</h2><table>")
    for key, value in (analysis.get("overall_metrics") or {}).items():
        label = label_of(key)
        body.append(
            f"<tr><th>{escape(label)}</th>{_cell(value, key, testid=f'overall-{key}')}<td>{unit_of(key)}</td></tr>"
        )
    body.append("</table>")
    bands = analysis.get("band_metrics") or []
    if bands:
        keys = [k for k in bands[0] if k != "band"]
        head = "".join(f"<th>{escape(label_of(k))} {unit_of(k)}</th>" for k in keys)
        body.append(f"<h2>Bands</h2><table><tr><th>band</th>{head}</tr>")
        for band in bands:
            cells = "".join(_cell(band.get(k), k, testid=f"band-{band['band']}-{k}") for k in keys)
            body.append(f"<tr><td>{escape(band['band'])}</td>{cells}</tr>")
        body.append("</table>")
    findings = analysis.get("recommendations") or []
    if findings:
        body.append("<h2>Findings</h2><table><tr><th>severity</th><th>band</th><th>finding</th></tr>")
        for f in findings:
            body.append(
                f"<tr><td>{escape(str(f.get('severity', '')))}</td><td>{escape(str(f.get('band', '')))}</td>"
                f"<td>{escape(str(f.get('message', '')))}</td></tr>"
            )
        body.append("</table>")
    if series:
        freqs, spectrum = series.get("spectrum_freqs_hz") or [], series.get("spectrum_db") or []
        body.append("<h2>Long-term spectrum</h2>")
        body.append(
            line_plot(
                [(name, freqs, spectrum)], x_label="frequency (Hz)", y_label="level (dB)", log_x=True, title="Spectrum"
            )
        )
        short_term = series.get("short_term_lufs") or []
        hop = float(series.get("loudness_hop_s") or 0.1)
        times = [(i + 1) * hop for i in range(len(short_term))]
        body.append("<h2>Short-term loudness</h2>")
        body.append(
            line_plot(
                [("short-term (3 s)", times, short_term)],
                x_label="time (s)",
                y_label="loudness (LUFS)",
                title="Short-term loudness",
            )
        )
    return _page(f"{name} — analysis report", "".join(body))
