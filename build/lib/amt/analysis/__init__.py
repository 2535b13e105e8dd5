"""The DSP engine (SPEC §4): float32 blocks in, :class:`analysis.result.AnalysisResult` out.

The engine's small matrix products run fastest single-threaded: the service runs one
analysis per core already, and a multi-threaded BLAS on top oversubscribes the cores
(several times slower under load). Set before numpy is first imported; an explicit
environment setting wins.

Large temporaries stay in the heap (glibc): by default every array over 128 kB–32 MB
is a fresh mmap, returned to the system when freed, and its pages fault in again on
first use — per minute of stereo some 20 000 page faults, ≈ 15 % of the analysis
time. With the mmap threshold at its maximum (32 MB) and trimming only above 1 GB
free, each block reuses the pages of the one before. The peak resident set is the
same; what the process keeps after an analysis is that peak's heap, reused by the
next one. Only on glibc, and only when the environment does not set these tunables.
"""

import ctypes
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _keep_heap_pages() -> None:
    """mallopt(M_MMAP_THRESHOLD, 32 MB) and mallopt(M_TRIM_THRESHOLD, 1 GB) on glibc; nothing elsewhere."""
    if not sys.platform.startswith("linux") or any(
        v in os.environ for v in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
    ):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, …): its allocator's own policy stands
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


_keep_heap_pages()
