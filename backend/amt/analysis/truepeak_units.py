"""Positions in the true-peak search, named by unit (:mod:`.truepeak`).

Three grids meet in the search, and a bare integer would not say which: indices of
input samples in the meter's buffer, points of the ½-sample screening grid (point q at
q/2 samples) and ⅛-sample positions (e at e/8 samples), the search's finest step.
"""

from __future__ import annotations

from typing import NewType

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
"""Samples or kernel values (float32 audio, float64 kernels and bounds)."""
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

Samples = NewType("Samples", IntArray)
"""Indices of input samples in the buffer being searched (position n is at n samples)."""
HalfPoints = NewType("HalfPoints", IntArray)
"""Points of the ½-sample grid: point q lies at q/2 samples (even q: a sample, odd q: between two)."""
Eighths = NewType("Eighths", IntArray)
"""⅛-sample positions: e lies at e/8 samples (:data:`.truepeak_proof.SUB` steps per sample)."""
