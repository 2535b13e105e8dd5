"""A catalogue: many files analysed at once on local processes or a Dask cluster (SPEC §10).

One code path for both: the jobs go to a :class:`concurrent.futures.Executor`, either a
``ProcessPoolExecutor`` (``workers`` local processes) or a Dask ``distributed.Client``'s
executor (``scheduler``, a ``tcp://HOST:8786`` address). A worker only needs the files
(at the same path) and the package: it decodes and measures a file block by block
(bounded memory) and returns the engine's result and the recommendations; the client
stores each result as it arrives (one transaction per file), so a run that is killed
keeps what it finished, and a re-run skips every file whose content (SHA-256 of its
bytes) is already stored with the current engine version.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import forkserver, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from amt.analysis.errors import AudioError
from amt.analysis.result import ENGINE_VERSION, AnalysisResult
from amt.api.database import session_scope
from amt.api.repositories.analysis_repo import AnalysisRepository
from amt.api.services.analysis import (
    build_analysis_row,
    codec_previews,
    content_hash,
    measure_file,
    recommendations_for,
)
from amt.api.services.recommend import Judgement
from amt.config.constants import GenreTarget
from amt.utils.errors import AppError, ValidationError
from amt.utils.logger import get_logger

log = get_logger(__name__)

IN_FLIGHT_PER_SLOT = 2
"""Jobs submitted ahead per worker thread: enough to keep every worker busy, few enough that the client holds
only a handful of results (and a re-run's skip checks stay close behind the analyses)."""
CONNECT_TIMEOUT_S = 30.0
CLIENT_WATCH_S = 1.0
"""How often a local worker checks that its client still runs, s."""


@dataclass(frozen=True)
class MeasureOptions:
    """What every job of a run is asked (validated by the client before any job is sent)."""

    target: GenreTarget | None
    level: str
    stage: str
    max_duration_s: float | None
    codec_preview: bool = False
    judge: bool = True
    """False for references, which store no recommendations."""


@dataclass(frozen=True)
class Measured:
    """One file measured by a worker."""

    path: Path
    result: AnalysisResult
    judgement: Judgement | None
    encoded: list[dict[str, Any]] | None
    """The §8 codec previews, when asked for."""
    seconds: float
    """Wall time the job took on its worker, s."""
    cpu_s: float
    """CPU time of the job's thread, s (what it costs whatever else runs on the machine)."""
    worker: str
    """``host:pid`` of the process that ran it."""
    peak_rss_mb: float
    """That process's peak resident set so far, MB (getrusage)."""
    content_hash: str | None = None
    """Set by :func:`run_jobs` when the run checks what is stored."""


@dataclass(frozen=True)
class Failed:
    """A file that could not be read or analysed, and why (in words for a person)."""

    path: Path
    message: str


@dataclass(frozen=True)
class Skipped:
    """A file not analysed because its content is already stored (or was met earlier in this run)."""

    path: Path
    content_hash: str
    reason: str
    analysis_id: str | None = None
    """The stored analysis with that content, when there is one."""


Outcome = Measured | Failed | Skipped


@dataclass(frozen=True)
class _Hashed:
    path: Path
    content_hash: str


def _peak_rss_mb() -> float:
    # ru_maxrss is in kB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def measure_job(path: Path, options: MeasureOptions) -> Measured | Failed:
    """The worker's side of one file: decode → engine (→ codec previews) → recommendations.

    Expected problems with the file come back as :class:`Failed` (exceptions of the project's own
    family need not travel between processes).
    """
    started, started_cpu = time.perf_counter(), time.thread_time()
    try:
        # One BLAS thread, as the service and the CLI run the engine: a multi-threaded BLAS sums in another
        # order (≈ 1e-8 LU apart), and a Dask worker's BLAS threads are its deployment's choice.
        with threadpool_limits(limits=1):
            result = measure_file(path, max_duration_s=options.max_duration_s)
            encoded = codec_previews(path, result) if options.codec_preview else None
            judgement = (
                recommendations_for(result, options.target, level=options.level, stage=options.stage)
                if options.judge
                else None
            )
    except (AppError, AudioError) as exc:
        return Failed(path, exc.message)
    except OSError as exc:
        return Failed(path, f"it could not be read ({exc.strerror or exc})")
    return Measured(
        path=path,
        result=result,
        judgement=judgement,
        encoded=encoded,
        seconds=time.perf_counter() - started,
        cpu_s=time.thread_time() - started_cpu,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss_mb=_peak_rss_mb(),
    )


def hash_job(path: Path) -> _Hashed | Failed:
    """The worker's side of a skip check: the file's :func:`content_hash`."""
    try:
        return _Hashed(path, content_hash(path))
    except OSError as exc:
        return Failed(path, f"it could not be read ({exc.strerror or exc})")


@dataclass(frozen=True)
class Pool:
    """Where the jobs run: an executor, how many jobs it runs at once, and its name for people."""

    executor: Executor
    slots: int
    where: str
    hash_in_client: bool = False
    """Whether the client hashes the files itself (local processes: the same disks, and no process is
    started for a re-run that finds everything stored)."""


class InlineExecutor(Executor):
    """One worker without a process to start: each job runs at once, in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def local_workers() -> int:
    """The default number of local worker processes: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def open_pool(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """``workers`` local processes (default :func:`local_workers`; one is this process), or the Dask cluster
    at ``scheduler``.

    Local processes are never forked from the client, which may run threads (a progress display, a database
    pool) that a fork would copy mid-lock. ValidationError when the scheduler cannot be reached.
    """
    if scheduler:
        from distributed import Client  # imported only for a cluster run: it starts an event loop thread

        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise ValidationError(f"No Dask scheduler answers at {scheduler}: {exc}") from exc
        try:
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError as exc:
                raise ValidationError(f"The Dask scheduler at {scheduler} has no workers.") from exc
            threads = sum(client.nthreads().values())
            yield Pool(client.get_executor(pure=False), slots=max(1, threads), where=f"Dask scheduler {scheduler}")
        finally:
            client.close()
        return
    count = workers or local_workers()
    if count < 1:
        raise ValidationError("--workers must be at least 1.")
    if count == 1:
        yield Pool(InlineExecutor(), slots=1, where="1 local process", hash_in_client=True)
        return
    executor = ProcessPoolExecutor(
        max_workers=count, mp_context=_worker_context(), initializer=_end_with_client, initargs=(os.getpid(),)
    )
    try:
        yield Pool(
            executor, slots=count, where=f"{count} local process{'es' if count > 1 else ''}", hash_in_client=True
        )
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the jobs in flight
        raise
    executor.shutdown(wait=True)


def _end_with_client(client_pid: int) -> None:
    """Initializer of a local worker: end it when the client that started it is gone (killed), instead of
    waiting for jobs that will never come."""

    def watch() -> None:
        while True:
            time.sleep(CLIENT_WATCH_S)
            try:
                os.kill(client_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # a pid taken over by another user's process: the client is gone too
                os._exit(1)

    threading.Thread(target=watch, name="client-watch", daemon=True).start()


def _worker_context() -> BaseContext:
    """Processes forked from a fork server that imported the engine once (it is started by exec, before any
    job, so no thread of the client is copied), or spawned where there is none (macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload([__name__])
    # The fork server imports the preload before it takes the client's sys.path (CPython 3.11–3.13): point
    # it at the folder this package came from, so it imports the same code as the client.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[3]), saved) if p)
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return context


def run_jobs(
    pool: Pool,
    paths: Sequence[Path],
    options: MeasureOptions,
    *,
    stored: Callable[[str], str | None] | None = None,
) -> Iterator[Outcome]:
    """Measure every file on ``pool``; outcomes in the order they finish.

    With ``stored`` (content hash → id of a stored analysis, or None), each file is hashed first (by the
    client for local processes, which read the same disks; by the workers on a cluster, where the files
    may be far from the client) and measured only when its content is neither stored nor met earlier in
    this run. At most ``IN_FLIGHT_PER_SLOT × slots`` jobs are out at a time.
    """
    queue = deque(paths)
    pending: dict[Future[Any], Path] = {}
    hashes: dict[Path, str] = {}
    seen: dict[str, Path] = {}
    limit = IN_FLIGHT_PER_SLOT * pool.slots

    def admit(path: Path, digest: str) -> Skipped | None:
        """Skip a content stored or met already; else send the file to be measured."""
        earlier = seen.get(digest)
        if earlier is not None:
            return Skipped(path, digest, f"same content as {earlier.name}")
        existing = stored(digest) if stored is not None else None
        if existing is not None:
            return Skipped(path, digest, "already stored", existing)
        seen[digest] = path
        hashes[path] = digest
        pending[pool.executor.submit(measure_job, path, options)] = path
        return None

    while queue or pending:
        while queue and len(pending) < limit:
            path = queue.popleft()
            if stored is None:
                pending[pool.executor.submit(measure_job, path, options)] = path
            elif pool.hash_in_client:
                hashed = hash_job(path)
                early = hashed if isinstance(hashed, Failed) else admit(path, hashed.content_hash)
                if early is not None:
                    yield early
            else:
                pending[pool.executor.submit(hash_job, path)] = path
        if not pending:
            continue
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            path = pending.pop(future)
            try:
                outcome = future.result()
            except BrokenExecutor:
                raise
            except Exception as exc:  # the job's worker failed (a cluster gives up on a file after retries)
                yield Failed(path, f"its worker failed ({type(exc).__name__}: {exc})")
                continue
            if isinstance(outcome, _Hashed):
                skipped = admit(path, outcome.content_hash)
                if skipped is not None:
                    yield skipped
                continue
            if isinstance(outcome, Measured) and path in hashes:
                outcome = replace(outcome, content_hash=hashes.pop(path))
            yield outcome


def stored_analysis_id(factory: sessionmaker[Session], digest: str) -> str | None:
    """The id of an analysis stored from content ``digest`` by this engine version, or None."""
    with session_scope(factory) as session:
        return AnalysisRepository(session).find_by_content(digest, ENGINE_VERSION)


@dataclass(frozen=True)
class StoredAnalysis:
    """Where :func:`store_measured` put a result: its id, and False when that content was stored already."""

    id: str
    created: bool


def store_measured(
    factory: sessionmaker[Session], measured: Measured, *, genre: str | None, level: str, stage: str
) -> StoredAnalysis:
    """Store one measured file as ``POST /api/analyze`` stores an upload (the same rows), with its content hash,
    in one transaction; a content stored meanwhile (another run) is not stored twice."""
    if measured.judgement is None:
        raise ValueError("store_measured needs a result measured with judge=True")
    row = build_analysis_row(
        measured.result,
        measured.judgement,
        filename=measured.path.name,
        genre=genre,
        level=level,
        stage=stage,
        encoded=measured.encoded,
    )
    row.content_hash = measured.content_hash
    with session_scope(factory) as session:
        repo = AnalysisRepository(session)
        if measured.content_hash is not None:
            existing = repo.find_by_content(measured.content_hash, measured.result.engine_version)
            if existing is not None:
                return StoredAnalysis(existing, created=False)
        repo.add(row)
    log.info(
        "Stored %s: %.1f s of audio measured in %.2f s on %s",
        measured.path.name,
        measured.result.audio.duration_s,
        measured.seconds,
        measured.worker,
    )
    return StoredAnalysis(row.id, created=True)
