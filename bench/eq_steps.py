"""How often one RBJ biquad does what an EQ step says, on the real corpus (SPEC §5 "The plan").

For every corpus track (``backend/amt/data/references/corpus.json``: measured 1/6-octave
spectrum and band shares), every band and every gain ±1…±6 dB, the plan's filter search
(``choose_filter``) picks frequency and Q with ``gain_db`` set to the move; its predicted
effect on the five shape deviations (level change minus the median of the five) is
checked against the rule: the band moves by ``gain_db`` within 1 dB, each neighbour by
less than a third of it. Where it cannot, the search raises the setting (up to ±6 dB) and
the step carries its predicted ``band_move_db``. Printed per (band, gain): the share of
tracks where the rule holds with the setting equal to the move; for the others, the
median setting used, the median and worst |band move − move| and the worst neighbour move
as a fraction of the band's; and the filters chosen. Prints figures; asserts nothing.

Run from the repository root: ``.venv/bin/python bench/eq_steps.py [--corpus PATH]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "backend"
sys.path.insert(0, str(BACKEND))

from amt.api.services.corpus import CORPUS_PATH, load_corpus  # noqa: E402
from amt.api.services.recommend.eq import band_grid, choose_filter  # noqa: E402
from amt.config.constants import BAND_NAMES  # noqa: E402

MOVES_DB = (-6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    args = parser.parse_args()
    tracks = [t for t in load_corpus(args.corpus) if t.get("spectrum")]
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
        f"{'band':9} {'move':>5} {'rule holds':>10} | {'others: setting':>15} {'median miss':>11} "
        f"{'worst miss':>10} {'worst nb/band':>13}  filters"
    )
    started = time.perf_counter()
    held = total = 0
    for band in BAND_NAMES:
        for move in MOVES_DB:
            ok = 0
            knobs, misses, sides = [], [], []
            kinds: Counter[str] = Counter()
            for grid in grids:
                c = choose_filter(band, move, grid)
                kinds[c.filter] += 1
                if c.meets_rule and c.gain_db == move:
                    ok += 1
                    continue
                knobs.append(c.gain_db)
                misses.append(abs(c.band_move_db - move))
                sides.append(c.neighbour_move_db / max(abs(c.band_move_db), 1e-9))
            held += ok
            total += len(grids)
            top = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
            rest = (
                f"{statistics.median(knobs):>+15.1f} {statistics.median(misses):>11.2f} {max(misses):>10.2f} "
                f"{max(sides):>13.2f}"
                if knobs
                else f"{'–':>15} {'–':>11} {'–':>10} {'–':>13}"
            )
            print(f"{band:9} {move:>+5.0f} {100.0 * ok / len(grids):>9.1f}% | {rest}  {top}")
    elapsed = time.perf_counter() - started
    print(
        f"overall: rule holds in {100.0 * held / total:.1f} % of {total} cases "
        f"({elapsed / total * 1e3:.1f} ms a search)"
    )


if __name__ == "__main__":
    main()
