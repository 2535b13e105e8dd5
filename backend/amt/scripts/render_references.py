"""Render the 24 genre archetypes, analyse them with the engine, write their metadata (SPEC §6).

    python -m scripts.render_references [--jobs N] [--output PATH]

Each reference is a genre archetype from :mod:`synth` (deterministic: same
spec → same samples), analysed by :func:`analysis.engine.analyze_array`; its
metrics, 1/6-octave spectrum and 128-dim feature vector go to
``data/references/reference_metadata.json``, which ``populate_references`` loads.
This is the only step needed after a change to the synthesiser, the engine or
the feature vector. Floats are written at full precision: on the machine and
library builds that wrote the file a re-render gives the same numbers bit for
bit; on another CPU or numpy/scipy build they may differ in the last bits
(``ml/tests/test_reference_library.py`` states the tolerances). At the end a
table says, per archetype, which figures lie outside its genre's real distribution (the corpus target).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from amt.analysis.engine import analyze_array
from amt.analysis.result import ENGINE_VERSION
from amt.api.services.calibration import inside_tolerance
from amt.api.services.corpus import ReferenceNumbers, corpus_target
from amt.ml.feature_extraction import FEATURE_VERSION, extract_features
from amt.synth.archetypes import SAMPLE_RATE, ReferenceSpec, reference_specs, render
from amt.utils.process import tune_process

METADATA_PATH = Path(__file__).resolve().parents[1] / "data" / "references" / "reference_metadata.json"
METADATA_FORMAT = 1
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://audio-mastering-tool.local/builtin-references")
"""uuid5 namespace of the built-in references: a reference's id is uuid5(namespace, name)."""


def reference_id(name: str) -> str:
    """Stable UUID of a built-in reference, derived from its name."""
    return str(uuid.uuid5(ID_NAMESPACE, name))


def render_and_analyse(spec: ReferenceSpec) -> dict[str, Any]:
    """Render one reference, analyse it, and return its metadata entry (plus ``timings_s``)."""
    t0 = time.perf_counter()
    rendered = render(spec.genre, spec.variant, seed=spec.seed, duration_s=spec.duration_s)
    t1 = time.perf_counter()
    result = analyze_array(rendered.samples, rendered.sample_rate)
    t2 = time.perf_counter()
    vector = extract_features(result)
    audio = asdict(result.audio)
    return {
        "id": reference_id(spec.name),
        "name": spec.name,
        "artist": spec.artist,
        "genre": spec.genre,
        "year": spec.year,
        "is_builtin": True,
        "synth": {
            "genre": spec.genre,
            "variant": spec.variant,
            "seed": spec.seed,
            "duration_s": spec.duration_s,
            "sample_rate": rendered.sample_rate,
            "bpm": rendered.variant.bpm,
            "key_midi": rendered.variant.key,
            "arrangement": rendered.variant.arrangement,
            "target_lufs": rendered.variant.target_lufs,
            "ceiling_dbtp": rendered.variant.ceiling_dbtp,
        },
        "engine_version": result.engine_version,
        "feature_version": FEATURE_VERSION,
        "audio": audio,
        "overall_metrics": asdict(result.overall),
        "band_metrics": [asdict(b) for b in result.bands],
        "spectrum": {"freqs_hz": list(result.series.spectrum_freqs_hz), "db": list(result.series.spectrum_db)},
        "feature_vector": [float(v) for v in vector],
        "timings_s": {"render": t1 - t0, "analyse": t2 - t1},
    }


def build_metadata(specs: list[ReferenceSpec], *, jobs: int) -> dict[str, Any]:
    """Render and analyse every spec (in ``jobs`` processes), printing progress; the whole JSON document."""
    entries: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Serial() as pool:
        for i, entry in enumerate(pool.map(render_and_analyse, specs), start=1):
            t = entry.pop("timings_s")
            o = entry["overall_metrics"]
            print(
                f"[{i:2d}/{len(specs)}] {entry['name']:<36} render {t['render']:5.2f} s  analyse {t['analyse']:5.2f} s"
                f"  {_fmt(o['integrated_lufs'])} LUFS  {_fmt(o['true_peak_dbtp'])} dBTP"
                f"  LRA {_fmt(o['loudness_range_lu'])}  DR {o['dr_value']}",
                flush=True,
            )
            entries.append(entry)
    print(f"{len(entries)} references in {time.perf_counter() - t0:.1f} s", flush=True)
    print("\n".join(genre_summary(entries)), flush=True)
    return {
        "format": METADATA_FORMAT,
        "generator": "python -m scripts.render_references",
        "engine_version": ENGINE_VERSION,
        "feature_version": FEATURE_VERSION,
        "sample_rate": SAMPLE_RATE,
        "references": entries,
    }


class _Serial:
    """A stand-in for a process pool that maps in this process."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @staticmethod
    def map(fn: Any, items: list[ReferenceSpec]) -> Any:
        return map(fn, items)


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.1f}"


def genre_summary(entries: list[dict[str, Any]]) -> list[str]:
    """Per archetype, which of its target figures lie inside its genre's real distribution (the corpus target's
    tolerance, as ``api.services.calibration.inside_tolerance`` judges a corpus track): lines of a table for people."""
    lines = ["archetype                              inside  outside"]
    for e in entries:
        target = corpus_target(e["genre"])
        inside = inside_tolerance(ReferenceNumbers(e["overall_metrics"], e["band_metrics"]), target)
        out = [k for k, v in inside.items() if not v]
        lines.append(f"{e['name']:<38} {sum(inside.values()):>3}/{len(inside):<3} {', '.join(out) or '-'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    tune_process()
    parser = argparse.ArgumentParser(prog="python -m scripts.render_references", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    parser.add_argument("--output", type=Path, default=METADATA_PATH, help="where to write the JSON")
    args = parser.parse_args(argv)
    document = build_metadata(reference_specs(), jobs=max(1, args.jobs))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
