"""The DSP engine (SPEC §4): float32 blocks in, :class:`analysis.result.AnalysisResult` out.

The engine's small matrix products run fastest single-threaded: the service runs one
analysis per core already, and a multi-threaded BLAS on top oversubscribes the cores
(several times slower under load). Set before numpy is first imported; an explicit
environment setting wins.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
