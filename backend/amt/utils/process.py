"""Process-wide tuning, done by the entry points (``amt``, the API's start, the scripts), never by an import.

The engine's small matrix products run fastest single-threaded: the service runs one
analysis per core already, and a multi-threaded BLAS on top oversubscribes the cores
(several times slower under load). An explicit environment setting wins.

Large temporaries stay in the heap (glibc): by default every array over 128 kB–32 MB
is a fresh mmap, returned to the system when freed, and its pages fault in again on
first use — per minute of stereo some 20 000 page faults, ≈ 15 % of the analysis
time. With the mmap threshold at its maximum (32 MB) and trimming only above 1 GB
free, each block reuses the pages of the one before. The peak resident set is the
same; what the process keeps after an analysis is that peak's heap, reused by the
next one. These settings hold for the main arena; a thread of its own (the API runs each
analysis in a worker thread) would get a secondary arena, whose heaps give their pages
back all the same — measured: some 56 000 page faults per 5-minute analysis in the
server against none in the main thread, ≈ 0.3 s of 1.9 s. So every thread allocates from
the main arena (M_ARENA_MAX 1): the engine allocates few, large blocks, so threads hardly
wait for its lock. Only on glibc, and only when the environment does not set these tunables.
"""

from __future__ import annotations

import ctypes
import os
import sys

from threadpoolctl import threadpool_limits

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")
MMAP_THRESHOLD_BYTES = 32 << 20
"""glibc's largest M_MMAP_THRESHOLD (32 MB on 64-bit)."""
TRIM_THRESHOLD_BYTES = 1 << 30


def single_threaded_blas() -> None:
    """One BLAS/OpenMP thread: for the libraries loaded already and, through the environment, for those loaded
    later and for child processes (workers). Nothing changes when the environment names a thread count."""
    if any(name in os.environ for name in BLAS_THREAD_VARIABLES):
        return
    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"
    threadpool_limits(limits=1)


def keep_heap_pages() -> None:
    """mallopt(M_MMAP_THRESHOLD, 32 MB), mallopt(M_TRIM_THRESHOLD, 1 GB) and mallopt(M_ARENA_MAX, 1) on glibc;
    nothing elsewhere."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in MALLOC_VARIABLES):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, …): its allocator's own policy stands
        return
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8  # glibc's malloc.h
    mallopt(m_mmap_threshold, MMAP_THRESHOLD_BYTES)
    mallopt(m_trim_threshold, TRIM_THRESHOLD_BYTES)
    mallopt(m_arena_max, 1)


def tune_process() -> None:
    """Both of the above: what an entry point calls first (calling it again changes nothing more)."""
    single_threaded_blas()
    keep_heap_pages()
