"""Leave-one-out calibration of the genre targets on the real corpus (SPEC §5, §6).

Each corpus track is judged as a user's master would be: against its genre's target built
without it, at the prescriptive level. Per genre it prints the tracks, the share of their
figures inside the tolerance (band shape, width, correlation, loudness, LRA, DR), the mean
number of critical tonal/dynamics findings per track (the always-flagged true-peak, clipping
and phase alarms are counted apart: a real master may deserve them), and the median summed
EQ the plan asks for (|gain| over its EQ steps, dB). Goals (issue "Judge against real
masters"): ≥ 80 % inside, ≤ 0.5 criticals per track, median summed EQ ≤ 5 dB. Last, the
tracks whose plan would itself move a figure out of its range: DR or loudness inside the
genre's range now and outside it in ``plan.expected`` (a plan that makes its own next finding);
and, with all of a plan's EQ steps applied together on the track's spectrum (RBJ responses on
the measured 1/6-octave spectrum, the deviations worked out again as SPEC §5 defines them), the
corrected bands left outside their tolerance by more than the rest the plan names for the mix,
and the bands without a step pushed out of it.

Run from the repository root: ``.venv/bin/python bench/calibration.py [--corpus PATH]``.
Prints figures only; asserts nothing (the suite's test_corpus.py asserts the share inside).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

import numpy as np

from amt.api.services.calibration import TrackCalibration, leave_one_out, share_inside
from amt.api.services.corpus import CORPUS_PATH, load_corpus
from amt.api.services.deviation import shape_deviations
from amt.api.services.recommend import judge, metrics_from_dicts
from amt.api.services.recommend.eq import band_grid
from amt.api.services.recommend.findings import silent_bands
from amt.api.services.recommend.model import EqStep
from amt.config.constants import BANDS
from amt.mastering.rbj import biquad, power_response_db

ALARMS = {"true_peak_dbtp", "clip_events", "negative_correlation_pct"}
"""Always-flagged checks: a real master may deserve them; they are not judgement of tonal balance or dynamics."""


def _counts(result: TrackCalibration) -> tuple[int, int, float, set[str]]:
    """(critical tonal/dynamics findings, critical alarms, summed |EQ gain| dB, figures the plan moves out of their
    range) of one track at prescriptive."""
    t = result.track
    overall, bands = metrics_from_dicts(t["overall_metrics"], t["band_metrics"])
    spectrum = t.get("spectrum") or {}
    judged = judge(
        overall,
        bands,
        result.target,
        level="prescriptive",
        sample_rate=t["audio"]["sample_rate"],
        spectrum=(spectrum["freqs_hz"], spectrum["db"]) if spectrum.get("db") else None,
    )
    critical = [r for r in judged.recommendations if r.severity == "critical"]
    alarms = sum(
        1
        for r in critical
        if r.metric in ALARMS or (r.metric == "phase_correlation" and r.band == "low" and (r.current or 0.0) < 0)
    )
    eq = sum(abs(s.gain_db) for s in judged.plan.steps if s.kind == "eq")
    expected = judged.plan.expected
    ranges = {
        "dynamic_range_db": (overall.dynamic_range_db, expected.dynamic_range_db, result.target.dr_db),
        "integrated_lufs": (overall.integrated_lufs, expected.integrated_lufs, result.target.loudness_range_lufs),
    }
    made = {
        name
        for name, (now, after, (low, high)) in ranges.items()
        if now is not None and after is not None and low <= now <= high and not low - 0.05 <= after <= high + 0.05
    }
    return len(critical) - alarms, alarms, eq, made


def _eq_together(result: TrackCalibration) -> tuple[int, int, int]:
    """(EQ steps, corrected bands left outside beyond their rest for the mix, bands without a step pushed out)
    when the plan's EQ steps are applied together, predicted on the track's spectrum."""
    t = result.track
    overall, bands = metrics_from_dicts(t["overall_metrics"], t["band_metrics"])
    spectrum = t["spectrum"]
    sr = t["audio"]["sample_rate"]
    judged = judge(
        overall,
        bands,
        result.target,
        level="prescriptive",
        sample_rate=sr,
        spectrum=(spectrum["freqs_hz"], spectrum["db"]),
    )
    eqs = [s for s in judged.plan.steps if isinstance(s, EqStep)]
    if not eqs:
        return 0, 0, 0
    shares = {b.band: b.energy_ratio for b in bands}
    grid = band_grid(shares, sr, (spectrum["freqs_hz"], spectrum["db"]))
    sos = np.array([biquad(s.filter.value, s.frequency_hz, s.gain_db, s.q, sr) for s in eqs])
    gain = 10.0 ** (power_response_db(sos, grid.freqs_hz, sr) / 10.0)
    ratio = {
        b.name: (grid.power * gain)[grid.band == i].sum() / grid.power[grid.band == i].sum()
        for i, b in enumerate(BANDS)
    }
    after_shares = {k: None if v is None else v * ratio[k] for k, v in shares.items()}
    target_shares = {n: b.energy_ratio for n, b in result.target.bands.items()}
    quiet = silent_bands(bands, None)[0]
    before = shape_deviations(shares, target_shares, inaudible=quiet)
    after = shape_deviations(after_shares, target_shares, inaudible=quiet)
    stepped = {s.band: s for s in eqs}
    left = pushed = 0
    for band, d0 in before.items():
        d1 = after.get(band)
        if d0 is None or d1 is None:
            continue
        tol = result.target.bands[band].spread_db
        if band in stepped:
            left += abs(d1) > tol + stepped[band].left_for_mix_db + 0.1
        else:
            pushed += abs(d0) <= tol < abs(d1) - 0.1
    return len(eqs), left, pushed


def main(argv: list[str] | None = None) -> int:
    """Print the calibration table; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    args = parser.parse_args(argv)
    tracks = load_corpus(args.corpus)
    results = leave_one_out(tracks)
    by_genre: dict[str, list[TrackCalibration]] = defaultdict(list)
    for r in results:
        by_genre[r.track["genre"]].append(r)
    print(
        f"{'genre':<12} {'tracks':>6} {'inside':>7} {'crit/track':>10} {'alarms/track':>12} {'EQ median':>9}  "
        "target rests on"
    )
    all_crit: list[int] = []
    all_eq: list[float] = []
    for genre in sorted(by_genre, key=lambda g: -len(by_genre[g])):
        rows = by_genre[genre]
        counts = [_counts(r) for r in rows]
        all_crit += [c[0] for c in counts]
        all_eq += [c[2] for c in counts]
        print(
            f"{genre:<12} {len(rows):>6} {share_inside(rows):>7.1%} "
            f"{statistics.mean(c[0] for c in counts):>10.2f} {statistics.mean(c[1] for c in counts):>12.2f} "
            f"{statistics.median(c[2] for c in counts):>7.1f} dB  {rows[0].target.source[:70]}"
        )
    print(
        f"{'all':<12} {len(results):>6} {share_inside(results):>7.1%} {statistics.mean(all_crit):>10.2f} "
        f"{'':>12} {statistics.median(all_eq):>7.1f} dB"
    )
    per_figure: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        for k, v in r.inside.items():
            per_figure[k.split(".")[-1]].append(v)
    print("inside by figure: " + ", ".join(f"{k} {sum(v) / len(v):.0%}" for k, v in sorted(per_figure.items())))
    made = [m for r in results for m in _counts(r)[3]]
    joint = [_eq_together(r) for r in results]
    print(
        f"EQ steps applied together ({sum(1 for j in joint if j[0])} plans with EQ): corrected bands outside beyond "
        f"the rest named for the mix {sum(j[1] for j in joint)}, bands without a step pushed out "
        f"{sum(j[2] for j in joint)}"
    )
    print(
        f"plans that move a figure out of its range: {len(made)} of {len(results)} tracks"
        + "".join(f", {name} {made.count(name)}" for name in sorted(set(made)))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
