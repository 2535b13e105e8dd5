"""What the recommendations say about the shipped references (SPEC §5), from stored numbers only.

Each reference in ``backend/amt/data/references/reference_metadata.json`` (the rendered
archetypes) is judged, at the ``prescriptive`` level and the master stage, against its
genre's target as the product builds it from the real corpus (``corpus_target``). Printed per
genre: references, findings per severity, critical tonal and dynamics findings per
track, the median summed |EQ| of the plan and the median number of plan steps. Uses
``api.services.recommend.judge`` and ``metrics_from_dicts``; prints figures, asserts nothing.

Run from the repository root: ``.venv/bin/python bench/plan_findings.py [--metadata PATH]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "backend"
sys.path.insert(0, str(BACKEND))

from amt.api.services.corpus import corpus_target  # noqa: E402
from amt.api.services.recommend import count_findings, judge, metrics_from_dicts  # noqa: E402
from amt.api.services.recommend.model import Metric, Severity  # noqa: E402

TONAL_OR_DYNAMICS = {Metric.ENERGY_RATIO, Metric.LOUDNESS_RANGE_LU, Metric.DYNAMIC_RANGE_DB, Metric.INTEGRATED_LUFS}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--metadata", type=Path, default=BACKEND / "amt" / "data" / "references" / "reference_metadata.json"
    )
    args = parser.parse_args()
    refs = json.loads(args.metadata.read_text())["references"]
    by_genre: dict[str, list[dict]] = defaultdict(list)
    for r in refs:
        by_genre[r["genre"]].append(r)
    print(
        f"{'genre':14} {'refs':>4} {'critical':>8} {'warning':>7} {'info':>5} {'crit tonal/dyn per track':>25} "
        f"{'median Σ|EQ| dB':>15} {'median steps':>12}"
    )
    for genre, members in sorted(by_genre.items()):
        counts: dict[str, float] = defaultdict(float)
        eq, steps, critical = [], [], 0
        for r in members:
            target = corpus_target(genre)
            overall, bands = metrics_from_dicts(r["overall_metrics"], r["band_metrics"])
            judged = judge(
                overall,
                bands,
                target,
                level="prescriptive",
                sample_rate=r["audio"]["sample_rate"],
                spectrum=(r["spectrum"]["freqs_hz"], r["spectrum"]["db"]),
            )
            for key, value in count_findings(judged).items():
                counts[key] += value
            eq.append(count_findings(judged)["eq_db"])
            steps.append(len(judged.plan.steps))
            critical += sum(
                x.severity is Severity.CRITICAL and x.metric in TONAL_OR_DYNAMICS for x in judged.recommendations
            )
        n = max(1, len(eq))
        print(
            f"{genre:14} {len(members):>4} {counts['critical']:>8.0f} {counts['warning']:>7.0f} "
            f"{counts['info']:>5.0f} {critical / n:>25.2f} {statistics.median(eq) if eq else 0.0:>15.1f} "
            f"{statistics.median(steps) if steps else 0:>12}"
        )


if __name__ == "__main__":
    main()
