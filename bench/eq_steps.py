"""How often one RBJ biquad does what an EQ step says, on the real corpus (SPEC §5 "The plan").

For every corpus track (``backend/amt/data/references/corpus.json``: measured 1/6-octave
spectrum and band shares), every band and every gain ±1…±6 dB, the plan's filter search
(``choose_filter``) picks frequency and Q with ``gain_db`` set to the move; its predicted
effect on the five shape deviations (level change minus the median of the five) is
checked against the rule: the band moves by ``gain_db`` within 1 dB, each neighbour by
less than a third of it. Where it cannot, the search cuts the move back (0.5 dB steps) to the
largest one a single biquad makes and the plan names the rest for the mix. Printed per
(band, gain): the share of tracks where the whole move is made; the share where it is cut
back, with the median and smallest move made; the share where not even 0.5 dB meets the
rule; and the filters chosen. Prints figures; asserts nothing.

With ``--archetypes``, instead, the moves are re-measured on audio: each synthesiser archetype
(20 s) is judged against every genre's target, each EQ step of its plan is applied alone
(``mastering.rbj`` biquad) and the engine measures the result again; the move is the change
of the band's shape deviation against that target (SPEC §5, the median taken over the
deviations after the move); printed: how many steps moved their band within 1 dB of
``band_move_db`` (and of ``gain_db``) and kept each neighbour under a third of the band's move.

Run from the repository root: ``.venv/bin/python bench/eq_steps.py [--corpus PATH] [--archetypes]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import signal

BACKEND = Path(__file__).resolve().parents[1] / "backend"
sys.path.insert(0, str(BACKEND))

from amt.analysis.engine import analyze_array  # noqa: E402
from amt.analysis.result import AnalysisResult  # noqa: E402
from amt.api.services.corpus import CORPUS_PATH, corpus_target, load_corpus  # noqa: E402
from amt.api.services.deviation import shape_deviations  # noqa: E402
from amt.api.services.recommend import judge_result  # noqa: E402
from amt.api.services.recommend.eq import band_grid, choose_filter  # noqa: E402
from amt.api.services.recommend.findings import silent_bands  # noqa: E402
from amt.api.services.recommend.model import EqStep  # noqa: E402
from amt.config.constants import BAND_NAMES, GENRE_FAMILY, GenreTarget  # noqa: E402
from amt.mastering.rbj import biquad  # noqa: E402
from amt.synth import GENRES, render  # noqa: E402

MOVES_DB = (-6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    parser.add_argument("--archetypes", action="store_true", help="also re-measure the steps on rendered archetypes")
    parser.add_argument("--tracks", type=int, default=0, help="only every k-th track, for this many (0: all)")
    args = parser.parse_args()
    if args.archetypes:
        remeasure()
        return
    tracks = [t for t in load_corpus(args.corpus) if t.get("spectrum")]
    if args.tracks:
        tracks = tracks[:: max(1, len(tracks) // args.tracks)][: args.tracks]
    grids = [
        band_grid(
            {b["band"]: b["energy_ratio"] for b in t["band_metrics"]},
            t["audio"]["sample_rate"],
            (t["spectrum"]["freqs_hz"], t["spectrum"]["db"]),
        )
        for t in tracks
    ]
    print(f"{len(tracks)} corpus tracks; rule: |band move − gain| ≤ 1 dB and each neighbour < gain/3")
    print(
        f"{'band':9} {'move':>5} {'whole move':>10} {'cut back':>9} {'made (median, least)':>21} {'missed':>7}  filters"
    )
    started = time.perf_counter()
    held = cut = total = 0
    for band in BAND_NAMES:
        for move in MOVES_DB:
            whole = missed = 0
            made: list[float] = []
            kinds: Counter[str] = Counter()
            for grid in grids:
                c = choose_filter(band, move, grid)
                kinds[c.filter] += 1
                if c.meets_rule and c.gain_db == move:
                    whole += 1
                elif c.meets_rule:
                    made.append(abs(c.gain_db))
                else:
                    missed += 1
            held += whole
            cut += len(made)
            total += len(grids)
            top = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
            share = 100.0 / len(grids)
            span = f"{statistics.median(made):.1f}, {min(made):.1f} dB" if made else "–"
            print(
                f"{band:9} {move:>+5.0f} {whole * share:>9.1f}% {len(made) * share:>8.1f}% {span:>21} "
                f"{missed * share:>6.1f}%  {top}"
            )
    elapsed = time.perf_counter() - started
    print(
        f"overall: the whole move in {100.0 * held / total:.1f} %, cut back in {100.0 * cut / total:.1f} % of "
        f"{total} cases (the rule holds for what is asked in both) "
        f"({elapsed / total * 1e3:.1f} ms a search)"
    )


def _deviations_db(result: AnalysisResult, target: GenreTarget) -> dict[str, float | None]:
    """SPEC §5's shape deviations of ``result`` against ``target``, dB (inaudible bands None)."""
    shares = {b.band: b.energy_ratio for b in result.bands}
    quiet = silent_bands(result.bands, None)[0]
    return shape_deviations(shares, {n: t.energy_ratio for n, t in target.bands.items()}, inaudible=quiet)


def remeasure() -> None:
    """Each archetype's EQ steps against every genre's target, applied alone and measured again."""
    steps = within_move = within_gain = rule_steps = neighbours_ok = 0
    worst = 0.0
    for genre in GENRES:
        r = render(genre, 1, duration_s=20.0)
        x = r.samples.astype(np.float64)
        before = analyze_array(r.samples, r.sample_rate)
        seen: set[tuple[str, str, float, float, float, str]] = set()
        for target_genre in sorted(GENRE_FAMILY):
            target = corpus_target(target_genre)
            judged = judge_result(before, target, level="prescriptive")
            base = _deviations_db(before, target)
            for step in judged.plan.steps:
                if not isinstance(step, EqStep):
                    continue
                key = (step.band, step.filter.value, step.frequency_hz, step.gain_db, step.q, target_genre)
                if key in seen:
                    continue
                seen.add(key)
                sos = biquad(step.filter.value, step.frequency_hz, step.gain_db, step.q, r.sample_rate)[None, :]
                filtered = analyze_array(signal.sosfilt(sos, x, axis=0).astype(np.float32), r.sample_rate)
                after = _deviations_db(filtered, target)
                shape = {b: after[b] - base[b] for b in base if after[b] is not None and base[b] is not None}
                moved = shape[step.band]
                steps += 1
                within_move += abs(moved - step.band_move_db) <= 1.0
                worst = max(worst, abs(moved - step.band_move_db))
                i = BAND_NAMES.index(step.band)
                near = [BAND_NAMES[j] for j in (i - 1, i + 1) if 0 <= j < len(BAND_NAMES)]
                neighbours_ok += all(abs(shape[n]) < abs(moved) / 3.0 for n in near if n in shape)
                if abs(step.band_move_db - step.gain_db) <= 1.0:
                    rule_steps += 1
                    within_gain += abs(moved - step.gain_db) <= 1.0
        print(f"{genre}: {len(seen)} EQ steps against {len(GENRE_FAMILY)} genre targets")
    print(
        f"re-measured: {within_move}/{steps} steps moved their band within 1 dB of band_move_db (worst "
        f"{worst:.2f} dB); {within_gain}/{rule_steps} of those set to their move within 1 dB of gain_db; "
        f"{neighbours_ok}/{steps} kept each neighbour under a third of the band's move"
    )


if __name__ == "__main__":
    main()
