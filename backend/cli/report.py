"""The terminal report: one table per section, units everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SEVERITY_ORDER = ("critical", "warning", "info")


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else f"{value:.{digits}f}"
    return f"{text} {unit}".strip()


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with a title line; columns padded, numbers right-aligned."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            numeric = i > 0 and (cell[:1].isdigit() or cell[:1] in "-+—")
            out.append(str(cell).rjust(width) if numeric else str(cell).ljust(width))
        return "  ".join(out).rstrip()
    rule = "  ".join("─" * w for w in widths)
    return "\n".join([title, line(header), rule, *(line(r) for r in rows)])


def render(report: dict[str, Any]) -> str:
    """The whole report of one analysis as text."""
    o = report["overall_metrics"]
    a = report["audio"]
    parts = [
        f"{report['filename']} — {a['duration_s']:.1f} s, {a['sample_rate']} Hz, {a['channels']} ch, "
        f"{a['bit_depth'] or '?'}-bit; genre {report['genre'] or '(none)'}, {report['stage']}, "
        f"{report['recommendation_level']}",
    ]
    parts.append(table("Loudness", ("metric", "value"), [
        ("Integrated", _fmt(o["integrated_lufs"], "LUFS")),
        ("Momentary max", _fmt(o["momentary_max_lufs"], "LUFS")),
        ("Short-term max", _fmt(o["short_term_max_lufs"], "LUFS")),
        ("Loudness range", _fmt(o["loudness_range_lu"], "LU")),
        ("True peak", _fmt(o["true_peak_dbtp"], "dBTP", 2)),
        ("PLR", _fmt(o["plr_db"], "dB")),
    ]))
    parts.append(table("Dynamics and levels", ("metric", "value"), [
        ("DR", f"DR{o['dr_value']} ({_fmt(o['dynamic_range_db'], 'dB')})" if o["dr_value"] is not None else "—"),
        ("Crest factor", _fmt(o["crest_factor_db"], "dB")),
        ("RMS", _fmt(o["rms_dbfs"], "dBFS")),
        ("Sample peak", _fmt(o["sample_peak_dbfs"], "dBFS", 2)),
        ("Clipping", f"{o['clip_events']} events, {o['clipped_samples']} samples"),
        ("DC offset", _fmt(o["dc_offset"], "", 5)),
        ("Silence head / tail", f"{_fmt(o['leading_silence_s'], 's', 2)} / {_fmt(o['trailing_silence_s'], 's', 2)}"),
    ]))
    parts.append(table("Stereo", ("metric", "value"), [
        ("Width", _fmt(o["stereo_width"], "", 2)),
        ("Phase correlation", f"{_fmt(o['phase_correlation'], '', 2)} (min {_fmt(o['phase_correlation_min'], '', 2)})"),
        ("Negative correlation", _fmt(o["negative_correlation_pct"], "% of time")),
        ("L/R balance", _fmt(o["lr_balance_db"], "dB", 2)),
        ("Mono compatibility", _fmt(o["mono_compatibility_db"], "dB")),
    ]))
    parts.append(table("Spectrum, harmonics, transients", ("metric", "value"), [
        ("Centroid", _fmt(o["spectral_centroid_hz"], "Hz", 0)),
        ("Roll-off (85 %)", _fmt(o["spectral_rolloff_hz"], "Hz", 0)),
        ("Flatness", _fmt(o["spectral_flatness"], "", 3)),
        ("Below 20 Hz", _fmt(None if o["sub_20hz_ratio"] is None else 100 * o["sub_20hz_ratio"], "%", 2)),
        ("THD / harmonic richness", _fmt(o["thd_percent"], "%", 2)),
        ("Harmonic ratio", _fmt(o["harmonic_ratio"], "", 2)),
        ("Transient preservation", _fmt(o["transient_preservation"], "", 2)),
        ("Attack time", _fmt(o["attack_time_ms"], "ms")),
        ("Onset rate", _fmt(o["onset_rate_hz"], "Hz", 2)),
        ("Tempo", _fmt(o["tempo_bpm"], "BPM")),
        ("Pulse clarity", _fmt(o["pulse_clarity"], "", 2)),
    ]))
    parts.append(table("Bands", ("band", "range", "RMS", "energy", "peak", "crest", "range 3 s", "width", "corr"), [
        (b["band"], f"{b['freq_low_hz']:g}–{b['freq_high_hz']:g} Hz", _fmt(b["rms_db"], "dBFS"),
         _fmt(None if b["energy_ratio"] is None else 100 * b["energy_ratio"], "%"), _fmt(b["peak_db"], "dBFS"),
         _fmt(b["crest_factor_db"], "dB"), _fmt(b["level_range_db"], "dB"), _fmt(b["stereo_width"], "", 2),
         _fmt(b["phase_correlation"], "", 2))
        for b in report["band_metrics"]
    ]))
    if report.get("destinations"):
        parts.append(table("Destinations", ("where", "normalises to", "gain", "plays at", "true peak", "verdict"), [
            (d["name"], _fmt(d["reference_lufs"], "LUFS"), _fmt(d["gain_db"], "dB"), _fmt(d["resulting_lufs"], "LUFS"),
             _fmt(d["resulting_true_peak_dbtp"], "dBTP"), d["verdict"])
            for d in report["destinations"]
        ]))
    if report.get("sections"):
        contrast = report.get("section_contrast_lu")
        title = "Sections" + (f" (drop-to-breakdown contrast {contrast:.1f} LU)" if contrast is not None else "")
        parts.append(table(title, ("kind", "start", "end", "loudness"), [
            (s["kind"], _fmt(s["start_s"], "s"), _fmt(s["end_s"], "s"), _fmt(s["integrated_lufs"], "LUFS"))
            for s in report["sections"]
        ]))
    recs = report["recommendations"]
    lines = ["Recommendations" + ("" if recs else ": none — nothing stands out")]
    for severity in SEVERITY_ORDER:
        for r in (r for r in recs if r["severity"] == severity):
            lines.append(f"  [{severity.upper():8s}] {r['message']}")
    parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
