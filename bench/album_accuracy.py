"""Album loudness and loudness range from the tracks' own series, against the engine on the tracks played in a row.

Seeded tracks of music-like level structure (sections of different level, a quiet interlude track), each analysed
on its own; the album view (pooled gating blocks, junction blocks estimated) is compared with the engine run on the
concatenation, and with what pooling gives when the junction windows are left out. Prints figures; asserts nothing.

    .venv/bin/python bench/album_accuracy.py               # 5 tracks of 60 s
    .venv/bin/python bench/album_accuracy.py --seconds 10  # short tracks: junctions weigh more
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from amt.analysis.engine import analyze_array
from amt.analysis.loudness import integrated_loudness, loudness_range
from amt.api.services.album import lufs_to_power, summarize_album, track_input

SR = 44100
LEVELS_DB = (0.0, -2.0, -9.0, -1.0, -4.0)
"""Each track's level; the third is a quiet interlude."""


def track(seed: int, seconds: float, level_db: float) -> np.ndarray:
    """Stereo noise with a low tilt in 4 s sections whose level moves by up to 12 dB."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    x = rng.standard_normal((n, 2)) + np.cumsum(rng.standard_normal((n, 2)), axis=0) * 0.01
    x -= x.mean(axis=0)
    sections = rng.uniform(-12.0, 0.0, size=n // (4 * SR) + 1)
    x *= (10 ** (sections[np.arange(n) // (4 * SR)] / 20))[:, None]
    return (0.5 * 10 ** (level_db / 20) * x / np.abs(x).max()).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each track (s)")
    args = parser.parse_args()
    signals = [track(100 + i, args.seconds * (0.8 + 0.1 * i), level) for i, level in enumerate(LEVELS_DB)]
    start = time.perf_counter()
    results = [analyze_array(x, SR) for x in signals]
    joined = analyze_array(np.concatenate(signals), SR).overall
    album = summarize_album([track_input(r, f"t{i}") for i, r in enumerate(results)]).album
    # Pooling without the junction estimate: each track's own complete windows only.
    own_blocks = np.concatenate([lufs_to_power(r.series.momentary_lufs)[3:] for r in results])
    own_windows = np.concatenate([lufs_to_power(r.series.short_term_lufs)[29:] for r in results])
    plain_lufs, plain_lra = integrated_loudness(own_blocks), loudness_range(own_windows)
    elapsed = time.perf_counter() - start
    assert joined.integrated_lufs is not None and joined.loudness_range_lu is not None
    assert album.integrated_lufs is not None and album.loudness_range_lu is not None
    assert plain_lufs is not None and plain_lra is not None
    minutes = sum(len(x) for x in signals) / SR / 60
    print(f"{len(signals)} tracks, {minutes:.1f} min in all ({elapsed:.1f} s to analyse)")
    print(f"{'':34}{'integrated LUFS':>16}{'LRA LU':>10}")
    print(f"{'engine on the concatenation':34}{joined.integrated_lufs:16.3f}{joined.loudness_range_lu:10.3f}")
    print(f"{'album view (junctions estimated)':34}{album.integrated_lufs:16.3f}{album.loudness_range_lu:10.3f}")
    print(f"{'tracks pooled, junctions left out':34}{plain_lufs:16.3f}{plain_lra:10.3f}")
    print(
        f"album view − concatenation: {album.integrated_lufs - joined.integrated_lufs:+.3f} LU, "
        f"LRA {album.loudness_range_lu - joined.loudness_range_lu:+.3f} LU"
    )


if __name__ == "__main__":
    main()
