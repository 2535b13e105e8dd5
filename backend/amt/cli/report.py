"""The terminal report: one table per section, units everywhere (the web page's report, as text)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

SEVERITY_ORDER = ("critical", "warning", "info")
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
"""How a severity is shown on a terminal (a pipe gets the word alone)."""
BAND_LABELS = {"low": "low", "low_mid": "low mid", "mid": "mid", "high_mid": "high mid", "high": "high"}
MESSAGE_WIDTH = 100

# SPEC §4/§5 metric → (name, unit of its value, unit of a deviation, decimals); energy shares are shown in %.
METRICS: dict[str, tuple[str, str, str, int]] = {
    "integrated_lufs": ("integrated loudness", "LUFS", "LU", 1),
    "loudness_range_lu": ("loudness range", "LU", "LU", 1),
    "dynamic_range_db": ("dynamic range", "dB", "dB", 1),
    "true_peak_dbtp": ("true peak", "dBTP", "dB", 2),
    "sample_peak_dbfs": ("sample peak", "dBFS", "dB", 1),
    "clip_events": ("clipping", "events", "events", 0),
    "negative_correlation_pct": ("time out of phase", "%", "points", 1),
    "energy_ratio": ("energy share", "%", "dB", 1),
    "stereo_width": ("stereo width", "", "", 2),
    "phase_correlation": ("phase correlation", "", "", 2),
}


def fmt_number(value: float, digits: int, *, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals; never "-0.0" (a value that rounds to zero is shown unsigned)."""
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def _fmt(value: Any, unit: str = "", digits: int = 1, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:+d}" if signed and value else str(value)
    else:
        text = fmt_number(float(value), digits, signed=signed)
    return f"{text} {unit}".strip()


def _pct(ratio: float | None, digits: int = 1) -> str:
    return _fmt(None if ratio is None else 100 * ratio, "%", digits)


def _numeric(cell: str | Text) -> bool:
    text = cell.plain if isinstance(cell, Text) else cell
    return text[:1].isdigit() or text[:1] in "-+—"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str | Text]]) -> Group:
    """A title line, then the table: a header and a rule under it; a column of numbers is right-aligned.

    Plain text into a pipe or a file (columns padded, no box but the header rule), styled on a terminal.
    """
    out = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    for i, name in enumerate(header):
        numbers = i > 0 and bool(rows) and all(_numeric(r[i]) for r in rows)
        out.add_column(name, justify="right" if numbers else "left")
    for row in rows:
        out.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    return Group(Text(title, style="bold"), out)


def _metric_value(metric: str, value: float | None) -> str:
    _, unit, _, digits = METRICS.get(metric, (metric, "", "", 2))
    if metric == "energy_ratio":
        return _pct(value)
    return _fmt(value, unit, digits)


def _target_text(rec: dict[str, Any], target: dict[str, Any] | None) -> str:
    """The target column: the genre's range for LRA and DR (the row's target is its middle)."""
    ranges = {"loudness_range_lu": ("lra_lu", "LU"), "dynamic_range_db": ("dr_db", "dB")}
    if target and rec["metric"] in ranges:
        key, unit = ranges[rec["metric"]]
        low, high = target[key]
        return f"{fmt_number(low, 1)}–{fmt_number(high, 1)} {unit}"
    return _metric_value(rec["metric"], rec["target"])


def _action_text(action: dict[str, Any]) -> str:
    """A prescriptive action's settings in words: "low shelf · frequency 100 Hz · gain +3.1 dB · Q 0.7"."""
    parts = []
    units = (
        ("_dbtp", "dBTP"),
        ("_lufs", "LUFS"),
        ("_lu", "LU"),
        ("_db", "dB"),
        ("_hz", "Hz"),
        ("_ms", "ms"),
        ("_pct", "%"),
    )
    for key, value in action.items():
        if key in ("kind", "order", "because") or value is None or value == []:
            continue
        if key in ("left_for_mix_db", "makeup_gain_db") and not value:
            continue
        if key == "sections":
            parts.append(
                "sections "
                + ", ".join(f"{s['kind']} {fmt_number(s['start_s'], 0)}–{fmt_number(s['end_s'], 0)} s" for s in value)
            )
        elif key in ("note", "filter", "method"):
            parts.append(str(value))
        elif key == "band":
            parts.append(f"{BAND_LABELS.get(value, value)} band")
        elif isinstance(value, bool):
            parts.append(key.replace("_", "-") if value else f"no {key.replace('_', '-')}")
        elif key == "q":
            parts.append(f"Q {value:g}")
        elif isinstance(value, int | float):
            unit = next((u for suffix, u in units if key.endswith(suffix)), "")
            name = key.removesuffix(next((s for s, _ in units if key.endswith(s)), "")).replace("_", " ")
            # a move (gain, change) is signed; an amount of gain reduction is a size, as on the web page
            signed = ("gain" in key or "change" in key) and "reduction" not in key
            digits = 0 if unit == "Hz" else 1 if unit else 2
            parts.append(f"{name} {_fmt(value, unit, digits, signed=signed)}")
        else:
            parts.append(f"{key.replace('_', ' ')} {value}")
    return f"{action.get('kind', 'action')}: " + " · ".join(parts)


def plan_text(plan: dict[str, Any] | None) -> str:
    """The plan as the chain it is: numbered steps in signal order, each with the findings (#) behind it, then what
    the figures should read after it."""
    if not plan or not plan["steps"]:
        return "Plan: no step — nothing beyond its tolerance needs a move on this master"
    lines = ["Plan (signal chain, first to last)"]
    for step in plan["steps"]:
        because = ", ".join(f"#{i + 1}" for i in step["because"])
        lines.append(
            textwrap.fill(
                _action_text(step), MESSAGE_WIDTH, initial_indent=f"{step['order']:>2}. ", subsequent_indent="    "
            )
        )
        if because:
            lines.append(f"    because of finding {because}")
    e = plan["expected"]
    lines.append(
        f"Expected after the plan: {_fmt(e['integrated_lufs'], 'LUFS')}, "
        f"true peak {_fmt(e['true_peak_dbtp'], 'dBTP')}, DR {_fmt(e['dynamic_range_db'], 'dB')}, "
        f"PLR {_fmt(e['plr_db'], 'dB')}"
    )
    return "\n".join(lines)


def _recommendations(recs: list[dict[str, Any]], target: dict[str, Any] | None) -> RenderableType:
    if not recs:
        return Text("Recommendations: none — every checked figure is within its tolerance")
    ordered = recs  # most severe first, numbered as the plan's "because" refers to them
    counts = ", ".join(
        f"{n} {severity}" for severity in SEVERITY_ORDER if (n := sum(r["severity"] == severity for r in recs))
    )
    rows = []
    for i, r in enumerate(ordered, 1):
        name, _, dev_unit, digits = METRICS.get(r["metric"], (r["metric"].replace("_", " "), "", "", 2))
        where = "overall" if r["band"] == "overall" else f"{BAND_LABELS.get(r['band'], r['band'])} band"
        rows.append(
            (
                str(i),
                Text(r["severity"], style=SEVERITY_STYLES.get(r["severity"], "")),
                where,
                name,
                _metric_value(r["metric"], r["current"]),
                _target_text(r, target),
                _fmt(r["deviation"], dev_unit, 1 if r["metric"] == "energy_ratio" else digits, signed=True),
                "—" if r.get("step") is None else str(r["step"]),
            )
        )
    header = ("#", "severity", "where", "what", "now", "target", "deviation", "step")
    advice = [
        textwrap.fill(r["message"], MESSAGE_WIDTH, initial_indent=f"{i:>2}. ", subsequent_indent="    ")
        for i, r in enumerate(ordered, 1)
    ]
    return Group(table(f"Recommendations ({counts})", header, rows), Text(""), Text("\n".join(advice)))


def _encoding(a: dict[str, Any]) -> str:
    """'24-bit FLAC', 'MP3 320 kbit/s (lossy, low-pass ≈ 16.4 kHz)'."""
    codec = a.get("codec") or "PCM"
    if not a.get("lossy"):
        return f"{a['bit_depth'] or '?'}-bit {codec}"
    rate = f" {a['bit_rate_kbps']:.0f} kbit/s" if a.get("bit_rate_kbps") else ""
    lowpass = f", low-pass ≈ {a['lowpass_hz'] / 1000:.1f} kHz" if a.get("lowpass_hz") else ""
    return f"{codec}{rate} (lossy{lowpass})"


def render(report: dict[str, Any]) -> Group:
    """The whole report of one analysis: a header, then one table per section, the plan and the advice."""
    o = report["overall_metrics"]
    a = report["audio"]
    target = report.get("target")
    head = (
        f"{report['filename']} — {a['duration_s']:.1f} s, {a['sample_rate']} Hz, {a['channels']} ch, "
        f"{_encoding(a)}; genre {report['genre'] or '(none)'}, {report['stage']}, "
        f"{report['recommendation_level']}"
    )
    if target:
        head += (
            f"\nTarget: {target['genre']} ({target['source']}): {_fmt(target['integrated_lufs'], 'LUFS')}, "
            f"true peak ≤ {_fmt(target['true_peak_ceiling_dbtp'], 'dBTP')}, "
            f"LRA {fmt_number(target['lra_lu'][0], 1)}–{fmt_number(target['lra_lu'][1], 1)} LU, "
            f"DR {fmt_number(target['dr_db'][0], 1)}–{fmt_number(target['dr_db'][1], 1)} dB"
        )
    parts: list[RenderableType] = [Text(head, style="bold")]
    parts.append(
        table(
            "Loudness",
            ("metric", "value"),
            [
                ("Integrated", _fmt(o["integrated_lufs"], "LUFS")),
                ("Momentary max", _fmt(o["momentary_max_lufs"], "LUFS")),
                ("Short-term max", _fmt(o["short_term_max_lufs"], "LUFS")),
                ("Loudness range", _fmt(o["loudness_range_lu"], "LU")),
                ("True peak", _fmt(o["true_peak_dbtp"], "dBTP", 2)),
                ("PLR", _fmt(o["plr_db"], "dB")),
            ],
        )
    )
    parts.append(
        table(
            "Dynamics and levels",
            ("metric", "value"),
            [
                (
                    "DR",
                    f"DR{o['dr_value']} ({_fmt(o['dynamic_range_db'], 'dB')})" if o["dr_value"] is not None else "—",
                ),
                ("Crest factor", _fmt(o["crest_factor_db"], "dB")),
                ("RMS", _fmt(o["rms_dbfs"], "dBFS")),
                ("Sample peak", _fmt(o["sample_peak_dbfs"], "dBFS", 2)),
                ("Clipping", f"{o['clip_events']} events, {o['clipped_samples']} samples"),
                ("DC offset", _fmt(o["dc_offset"], "", 5)),
                (
                    "Silence head / tail",
                    f"{_fmt(o['leading_silence_s'], 's', 2)} / {_fmt(o['trailing_silence_s'], 's', 2)}",
                ),
            ],
        )
    )
    parts.append(
        table(
            "Stereo",
            ("metric", "value"),
            [
                ("Width", _fmt(o["stereo_width"], "", 2)),
                (
                    "Phase correlation",
                    f"{_fmt(o['phase_correlation'], '', 2)} (min {_fmt(o['phase_correlation_min'], '', 2)})",
                ),
                ("Negative correlation", _fmt(o["negative_correlation_pct"], "% of time")),
                ("L/R balance", _fmt(o["lr_balance_db"], "dB", 2)),
                ("Mono compatibility", _fmt(o["mono_compatibility_db"], "dB")),
            ],
        )
    )
    parts.append(
        table(
            "Spectrum, harmonics, transients",
            ("metric", "value"),
            [
                ("Centroid", _fmt(o["spectral_centroid_hz"], "Hz", 0)),
                ("Roll-off (85 %)", _fmt(o["spectral_rolloff_hz"], "Hz", 0)),
                ("Flatness", _fmt(o["spectral_flatness"], "", 3)),
                ("Below 20 Hz", _pct(o["sub_20hz_ratio"], 2)),
                ("THD / harmonic richness", _fmt(o["thd_percent"], "%", 2)),
                ("Harmonic ratio", _fmt(o["harmonic_ratio"], "", 2)),
                ("Transient preservation", _fmt(o["transient_preservation"], "", 2)),
                ("Attack time", _fmt(o["attack_time_ms"], "ms")),
                ("Onset rate", _fmt(o["onset_rate_hz"], "Hz", 2)),
                ("Tempo", _fmt(o["tempo_bpm"], "BPM")),
                ("Pulse clarity", _fmt(o["pulse_clarity"], "", 2)),
            ],
        )
    )
    parts.append(
        table(
            "Bands",
            ("band", "range", "RMS", "energy", "peak", "crest", "range 3 s", "width", "corr"),
            [
                (
                    BAND_LABELS.get(b["band"], b["band"]),
                    f"{b['freq_low_hz']:g}–{b['freq_high_hz']:g} Hz",
                    _fmt(b["rms_db"], "dBFS"),
                    _pct(b["energy_ratio"]),
                    _fmt(b["peak_db"], "dBFS"),
                    _fmt(b["crest_factor_db"], "dB"),
                    _fmt(b["level_range_db"], "dB"),
                    _fmt(b["stereo_width"], "", 2),
                    _fmt(b["phase_correlation"], "", 2),
                )
                for b in report["band_metrics"]
            ],
        )
    )
    if report.get("sections"):
        contrast = report.get("section_contrast_lu")
        title = "Sections" + (f" (drop-to-breakdown contrast {_fmt(contrast, 'LU')})" if contrast is not None else "")
        bands = [b["band"] for b in report["band_metrics"]]
        header = ("kind", "start", "end", "loudness", *(f"{BAND_LABELS.get(b, b)} %" for b in bands))
        parts.append(
            table(
                title,
                header,
                [
                    (
                        s["kind"],
                        _fmt(s["start_s"], "s"),
                        _fmt(s["end_s"], "s"),
                        _fmt(s["integrated_lufs"], "LUFS"),
                        *(_fmt(None if (r := s["energy_ratios"].get(b)) is None else 100 * r, "", 1) for b in bands),
                    )
                    for s in report["sections"]
                ],
            )
        )
    if report.get("destinations"):
        parts.append(
            table(
                "Destinations",
                ("where", "normalises to", "gain", "plays at", "true peak", "verdict"),
                [
                    (
                        d["name"],
                        _fmt(d["reference_lufs"], "LUFS") if d["reference_lufs"] is not None else "none",
                        _fmt(d["gain_db"], "dB", signed=True),
                        _fmt(d["resulting_lufs"], "LUFS"),
                        _fmt(d["resulting_true_peak_dbtp"], "dBTP"),
                        d["verdict"],
                    )
                    for d in report["destinations"]
                ],
            )
        )
    similar = report.get("similar_references")
    if similar is not None:
        if similar:
            parts.append(
                table(
                    "Most similar references (cosine similarity of the 128-dim feature vectors)",
                    ("#", "reference", "genre", "loudness", "similarity"),
                    [
                        (
                            str(i),
                            s["reference"]["name"],
                            s["reference"]["genre"],
                            _fmt(s["reference"].get("integrated_lufs"), "LUFS"),
                            _fmt(s["similarity"], "", 3),
                        )
                        for i, s in enumerate(similar, 1)
                    ],
                )
            )
        else:
            parts.append(Text("Most similar references: none — the reference library is empty"))
    parts.append(Text(plan_text(report.get("plan"))))
    parts.append(_recommendations(report["recommendations"], target))
    return Group(*_spaced(parts))


def _spaced(parts: Sequence[RenderableType]) -> list[RenderableType]:
    """``parts`` with an empty line between each two and after the last."""
    out: list[RenderableType] = []
    for part in parts:
        out += [part, Text("")]
    return out
