"""Faults and security basics, with real uvicorn processes: a kill in mid-analysis, unusable storage, a
locked database, CORS, upload limits, internal errors, and /health staying responsive during an analysis."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from amt.api.database import classify_database_error
from amt.api.models import Base
from helpers import BACKEND_DIR, LiveServer, free_port, run_server, write_wav

GENERIC_500 = {"detail": "Internal server error. The details are in the server log."}


def row_counts(url: str) -> dict[str, int]:
    """Rows in every one of the 8 tables, counted through SQLAlchemy."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


def long_wav(folder: Path, seconds: float) -> Path:
    """``seconds`` of 44.1 kHz stereo 16-bit noise at −20 dBFS RMS (seeded)."""
    rng = np.random.default_rng(11)
    x = (0.1 * rng.standard_normal((round(seconds * 44100), 2))).clip(-1, 1).astype(np.float32)
    return write_wav(folder / f"long-{seconds:.0f}s.wav", x, sr=44100, subtype="PCM_16")


def wait_for_complete_upload(server: LiveServer, size: int, thread: threading.Thread) -> None:
    """Block until the upload's temporary file holds the whole WAV, i.e. the analysis has begun."""
    for _ in range(6000):  # bounded: 60 s at 10 ms
        parts = [p for p in (server.app_home / "tmp").glob("*.part") if p.stat().st_size >= size]
        if parts:
            return
        assert thread.is_alive(), "the upload finished before its analysis could be observed"
        time.sleep(0.01)
    pytest.fail("the upload never reached the server's temporary folder")


class Upload(threading.Thread):
    """``POST /api/analyze`` in the background; keeps the response, or the transport error."""

    def __init__(self, server: LiveServer, path: Path) -> None:
        super().__init__(daemon=True)
        self.server, self.path = server, path
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self.finished_at = 0.0

    def run(self) -> None:
        try:
            with self.server.client(timeout=120) as client, self.path.open("rb") as fh:
                self.response = client.post("/api/analyze", files={"file": (self.path.name, fh, "audio/wav")})
        except httpx.TransportError as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()


@pytest.fixture(scope="module")
def three_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_wav(tmp_path_factory.mktemp("long"), 180.0)


# ── a kill in the middle of an analysis ─────────────────────────────────────


@pytest.mark.slow
def test_sigkill_during_analysis_leaves_no_rows_and_the_next_start_removes_the_temp_file(
    database_url: str, tmp_path: Path, three_minutes: Path
) -> None:
    home = tmp_path / "home"
    env = {"DATABASE_URL": database_url}
    with run_server(home, env=env) as server:
        baseline = row_counts(database_url)
        upload = Upload(server, three_minutes)
        upload.start()
        wait_for_complete_upload(server, three_minutes.stat().st_size, upload)
        server.process.kill()  # SIGKILL: no shutdown hook, no rollback, no cleanup
        server.process.wait(timeout=10)
        upload.join(timeout=30)
    assert upload.response is None and isinstance(upload.error, httpx.TransportError), upload.response
    assert row_counts(database_url) == baseline
    assert baseline["analysis"] == baseline["band_metrics"] == baseline["overall_metrics"] == 0
    assert baseline["recommendations"] == 0
    leftovers = list((home / "tmp").iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.endswith(".part")  # what the crash left

    with run_server(home, env=env) as server, server.client() as client:
        assert list((home / "tmp").iterdir()) == []
        assert client.get("/api/analyses").json()["total"] == 0
        assert client.get("/health").json()["database"] == "ok"
    assert "Removed 1 temporary upload file(s) left by an earlier crash" in server.log_path.read_text()
    # and in the log file too: the clean-up is reported once logging is set up
    assert "Removed 1 temporary upload file(s) left by an earlier crash" in (home / "logs" / "backend.log").read_text()


# ── storage that cannot be used ─────────────────────────────────────────────


@contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. "64k") mounted at ``where`` (needs root and mount rights; skips otherwise)."""
    where.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@contextmanager
def full_tmpfs(where: Path) -> Iterator[Path]:
    """A 64 kB tmpfs filled to the last byte."""
    with small_tmpfs(where, "64k"):
        fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            for _ in range(1024):  # bounded: 64 kB fills long before 1024 × 4 kB
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass  # no space left: what we wanted
        finally:
            os.close(fd)
        yield where


def test_a_disk_that_fills_during_an_upload_gives_507_and_keeps_nothing(tmp_path: Path) -> None:
    big = write_wav(tmp_path / "big.wav", 0.1 * np.ones((48000 * 30, 2), np.float32), sr=48000, subtype="PCM_16")
    home = tmp_path / "home"
    # the upload folder on a 3 MB disk of its own; the database and the logs elsewhere
    with small_tmpfs(home / "tmp", "3m") as small, run_server(home) as server, server.client() as c:
        with big.open("rb") as fh:  # 5.8 MB into 3 MB
            response = c.post("/api/analyze", files={"file": ("big.wav", fh, "audio/wav")})
        assert response.status_code == 507, response.text
        assert "disk is full" in response.json()["detail"] and str(small) not in response.json()["detail"]
        assert list(small.iterdir()) == []
        assert c.get("/health").json()["database"] == "ok"
        assert c.get("/api/analyses").json()["total"] == 0
    assert "No space left on device" in (home / "logs" / "backend.log").read_text()


def test_database_errors_that_are_not_bugs_map_to_503_and_507(tmp_path: Path) -> None:
    """Real SQLite errors: a write lock held past the busy timeout, and a database that cannot grow."""
    db = tmp_path / "db.sqlite"
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 0.1})
    Base.metadata.create_all(engine)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(OperationalError) as locked, engine.begin() as conn:
        conn.execute(text("INSERT INTO user_settings (key, value, updated_at) VALUES ('k', '1', '2026-01-01')"))
    blocker.execute("ROLLBACK")
    busy = classify_database_error(locked.value)
    assert busy is not None and busy.status_code == 503 and "busy" in busy.message

    with engine.begin() as conn:
        conn.execute(text("PRAGMA max_page_count = 1"))  # this connection's file cannot grow any more
        with pytest.raises(OperationalError) as full:
            conn.execute(
                text("INSERT INTO user_settings (key, value, updated_at) VALUES (:k, :v, '2026-01-01')"),
                [{"k": f"k{i}", "v": "x" * 1000} for i in range(100)],
            )
    disk = classify_database_error(full.value)
    assert "full" in str(full.value.orig) and disk is not None and disk.status_code == 507
    assert classify_database_error(ValueError("a bug")) is None
    engine.dispose()


def start_and_expect_failure(
    app_home: Path, *, preexec: Callable[[], object] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APP_HOME": str(app_home), "PYTHONUNBUFFERED": "1", **(env or {})}
    env["DATABASE_URL"] = ""  # SQLite in APP_HOME, whatever the environment or .env says
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.run(
        cmd,
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec,
    )


def _no_file_writes() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # every write to a regular file fails with EFBIG


@pytest.mark.parametrize("case", ["under_a_file", "disk_full", "no_writes_allowed"])
def test_unusable_app_home_stops_start_up_with_one_clear_line(tmp_path: Path, case: str) -> None:
    if case == "under_a_file":
        (tmp_path / "a-file").write_text("not a directory")
        home, reason = tmp_path / "a-file" / "home", "Not a directory"
        result = start_and_expect_failure(home)
    elif case == "disk_full":
        with full_tmpfs(tmp_path / "full") as full:
            home, reason = full / "home", "No space left on device"
            result = start_and_expect_failure(home)
    else:
        home, reason = tmp_path / "home", "File too large"
        result = start_and_expect_failure(home, preexec=_no_file_writes)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and 'File "' not in output, output
    lines = [line for line in output.splitlines() if "cannot start" in line]
    assert len(lines) == 1, output
    assert f"APP_HOME={home}" in lines[0] and reason in lines[0], lines[0]
    assert "Make it writable, free some disk space, or point APP_HOME elsewhere." in lines[0]


def test_an_unusable_log_file_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs-here"
    log_dir.mkdir()
    result = start_and_expect_failure(tmp_path / "home", env={"LOG_FILE": str(log_dir)})  # a directory, not a file
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and 'File "' not in output, output
    lines = [line for line in output.splitlines() if "cannot start" in line]
    assert len(lines) == 1, output
    assert f"LOG_FILE={log_dir}" in lines[0] and "Is a directory" in lines[0], lines[0]


# ── a database briefly locked by another writer ─────────────────────────────


def test_a_briefly_locked_sqlite_database_makes_the_upload_wait_not_fail(tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.1 * np.ones((44100, 2), np.float32), sr=44100)
    with run_server(tmp_path / "home") as server:
        blocker = sqlite3.connect(server.app_home / "audio_mastering.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the write lock
        upload = Upload(server, short)
        upload.start()
        upload.join(timeout=2.0)  # the analysis of 1 s of audio is done long before: the request waits on the lock
        still_waiting = upload.is_alive()
        blocker.execute("ROLLBACK")
        released_at = time.monotonic()
        blocker.close()
        upload.join(timeout=60)
        with server.client() as client:
            total = client.get("/api/analyses").json()["total"]
    assert still_waiting, "the upload finished while another connection held the write lock"
    assert upload.response is not None and upload.response.status_code == 201, upload.response or upload.error
    assert upload.finished_at > released_at
    assert total == 1
    assert " 500 " not in server.log_path.read_text()


# ── security basics ─────────────────────────────────────────────────────────


def test_cors_allows_configured_origins_only(tmp_path: Path) -> None:
    allowed = "http://studio.example:5173"
    env = {"CORS_ORIGINS": f"{allowed},http://other.example"}
    with run_server(tmp_path / "home", env=env) as server, server.client() as client:
        ok = client.get("/health", headers={"Origin": allowed})
        foreign = client.get("/health", headers={"Origin": "http://evil.example"})
        preflight = client.options("/api/analyze", headers={"Origin": allowed, "Access-Control-Request-Method": "POST"})
        refused = client.options(
            "/api/analyze", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
        )
    assert ok.headers.get("access-control-allow-origin") == allowed
    exposed = ok.headers.get("access-control-expose-headers", "").lower()
    assert {"location", "x-integrated-lufs", "x-true-peak-dbtp"} <= {h.strip() for h in exposed.split(",")}
    assert foreign.status_code == 200 and "access-control-allow-origin" not in foreign.headers
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def _multipart(boundary: str, payload: bytes) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    for start in range(0, len(payload), 256 * 1024):
        yield payload[start : start + 256 * 1024]
    yield f"\r\n--{boundary}--\r\n".encode()


def test_upload_limit_holds_without_content_length_and_duration_limit_holds(tmp_path: Path) -> None:
    """Chunked uploads (no Content-Length) are counted while streaming; MAX_DURATION_S refuses long audio."""
    big = write_wav(tmp_path / "big.wav", np.zeros((600_000, 2), np.float32), sr=48000)  # 3.6 MB of 24-bit
    long = write_wav(tmp_path / "long.wav", np.zeros((11 * 8000, 1), np.float32), sr=8000, subtype="PCM_U8")
    env = {"MAX_UPLOAD_MB": "1", "MAX_DURATION_S": "10"}
    with run_server(tmp_path / "home", env=env) as server, server.client() as client:
        boundary = uuid.uuid4().hex
        chunked = client.post(
            "/api/analyze",
            content=_multipart(boundary, big.read_bytes()),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert chunked.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in chunked.request.headers
        with long.open("rb") as fh:
            too_long = client.post("/api/analyze", files={"file": ("long.wav", fh, "audio/wav")})
        assert client.get("/api/analyses").json()["total"] == 0
        assert list((server.app_home / "tmp").iterdir()) == []
    assert chunked.status_code == 413 and "1 MB upload limit" in chunked.json()["detail"]
    assert too_long.status_code == 400 and "longer than the 10 s limit" in too_long.json()["detail"]


@pytest.mark.parametrize(
    ("damage", "status", "logged"),
    [
        # garbage where the database was: reads fail deep in the driver ("file is not a database"), a bug-like 500
        ("garbage", 500, "Unhandled error on GET"),
        # a folder where the database was: it cannot be opened at all, the database is unavailable (503)
        ("folder", 503, "The database is unavailable right now"),
    ],
)
def test_an_internal_error_answers_without_trace_or_path(tmp_path: Path, damage: str, status: int, logged: str) -> None:
    home = tmp_path / "home"
    with run_server(home) as server, server.client() as client:
        db = home / "audio_mastering.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        if damage == "folder":
            db.mkdir()
        else:
            db.write_bytes(b"these bytes are not an SQLite database " * 200)
        # One keep-alive connection: an error must not cost the client its connection (the next request would fail).
        responses = [
            client.get("/api/analyses"),
            client.get("/api/settings"),
            client.get(f"/api/analysis/{uuid.uuid4()}"),
        ]
    for response in responses:
        assert response.status_code == status, response.text
        if status == 500:
            assert response.json() == GENERIC_500
        else:
            assert response.json() == {"detail": "The database is unavailable right now. Try again later."}
            assert response.headers["retry-after"] == "5"
        assert str(home) not in response.text and "Traceback" not in response.text
    log = (home / "logs" / "backend.log").read_text()
    assert log.count(logged) == len(responses)  # the details are in the log
    if status == 500:
        assert "Unhandled error on GET /api/analyses" in log and "Traceback" in log
    assert "Exception in ASGI application" not in server.log_path.read_text()  # handled, not re-raised


# ── analysis runs off the event loop ────────────────────────────────────────


@pytest.mark.slow
def test_health_answers_promptly_while_a_long_file_is_analysed(tmp_path: Path, three_minutes: Path) -> None:
    path = three_minutes
    with run_server(tmp_path / "home") as server, server.client(timeout=30) as client:
        for _attempt in range(3):  # bounded: a longer file when this machine analyses 3 min in under 1 s
            upload = Upload(server, path)
            upload.start()
            wait_for_complete_upload(server, path.stat().st_size, upload)
            started = time.monotonic()
            latencies: list[float] = []
            while upload.is_alive() and len(latencies) < 10_000:
                t0 = time.monotonic()
                assert client.get("/health").status_code == 200
                latencies.append(time.monotonic() - t0)
                time.sleep(0.02)
            upload.join(timeout=120)
            assert upload.response is not None and upload.response.status_code == 201, upload.error
            analysis_s = upload.finished_at - started
            if analysis_s >= 1.0:
                break
            path = long_wav(tmp_path, upload.response.json()["audio"]["duration_s"] * 2)
    assert analysis_s >= 1.0, f"the analysis took {analysis_s:.2f} s: too short to judge"
    assert len(latencies) >= 3
    assert max(latencies) < 0.25 * analysis_s, (max(latencies), analysis_s)


# ── several workers starting at once ───────────────────────────────────────

_CREATE_TABLES = """
import sys, time
from amt.api.database import init_db, make_engine
engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # every process starts its DDL at the same instant
init_db(engine)
engine.dispose()
"""


def test_workers_starting_together_on_a_fresh_database_all_create_the_tables(database_url: str) -> None:
    """Regression: two uvicorn workers on an empty PostgreSQL raced in CREATE TABLE and one failed to start."""
    start_at = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CREATE_TABLES, database_url, start_at],
            cwd=BACKEND_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), "\n".join(outputs)
    assert row_counts(database_url) == dict.fromkeys(Base.metadata.tables, 0)


def test_a_starting_worker_removes_crash_leftovers_but_not_uploads_other_workers_are_analysing(tmp_path: Path) -> None:
    """Regression: a second worker starting up wiped the shared upload folder, and an upload another worker was
    about to analyse failed with 400 "The file could not be read." (seen in the 2-worker load test)."""
    from amt.api.core.config import Settings
    from amt.api.database import prepare_storage

    settings = Settings(app_home=tmp_path / "home", database_url="", _env_file=None)  # type: ignore[call-arg]
    tmp = settings.upload_dir
    tmp.mkdir(parents=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        names = {
            "busy": f"upload-{live.pid}-abc.part",  # another worker, still running
            "crashed": f"upload-{dead.pid}-def.part",  # its process is gone
            "reused": f"upload-{os.getpid()}-ghi.part",  # our own pid, reused from a crashed run
            "unnamed": "upload-jkl.part",  # written before pids were in the name
        }
        for name in names.values():
            (tmp / name).write_bytes(b"RIFF")
        prepare_storage(settings)
        assert sorted(p.name for p in tmp.iterdir()) == [names["busy"]]
    finally:
        live.kill()
        live.wait()
    prepare_storage(settings)  # once that worker is gone, its upload is a leftover too
    assert list(tmp.iterdir()) == []


# ── a client that goes away ─────────────────────────────────────────────────


def _process_cpu_s(pid: int) -> float:
    """User + system CPU time of a process (all its threads), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc for CPU times")
def test_an_upload_abandoned_during_its_analysis_stops_it_and_stores_nothing(
    tmp_path: Path, three_minutes: Path
) -> None:
    """SPEC §3: the client drops the connection once its whole file is on the server (the analysis has begun);
    the analysis stops at the next block (the log says how far it got), no row and no file remain, and the
    server's CPU goes idle."""
    boundary = "cancel-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{three_minutes.name}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    body = head + three_minutes.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    with run_server(tmp_path / "home") as server, server.client() as client:
        port = int(server.url.rsplit(":", 1)[1])
        request = (
            f"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(request + body)
        wait_for_complete_upload(server, three_minutes.stat().st_size, _STILL_WAITING)
        sock.close()
        for _ in range(300):  # bounded: 30 s
            log = server.log_path.read_text(errors="replace")
            if "POST /api/analyze" in log:
                break
            time.sleep(0.1)
        assert "POST /api/analyze 499" in log, log[-2000:]
        done = float(log.split("cancelled after ", 1)[1].split(" %", 1)[0])
        assert done < 100.0  # stopped between blocks, not run to the end and thrown away
        cpu = _process_cpu_s(server.process.pid)
        time.sleep(1.0)
        assert _process_cpu_s(server.process.pid) - cpu < 0.2  # idle: no analysis left running
        assert client.get("/api/analyses").json()["total"] == 0
        assert list((server.app_home / "tmp").iterdir()) == []


class _WaitingClient(threading.Thread):
    """The raw-socket client above: it has sent every byte and waits for the answer until it hangs up."""

    def is_alive(self) -> bool:
        return True


_STILL_WAITING = _WaitingClient()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc for CPU times")
def test_a_master_request_abandoned_during_its_work_stops_it_and_keeps_no_file(
    tmp_path: Path, three_minutes: Path
) -> None:
    """SPEC §5 "Applying the plan", §7: ``POST /api/master`` whose client hangs up once the WAV is on the server
    stops between blocks (the log says how far it got), leaves neither the upload nor a partial output in the
    temporary folder, and the server's CPU goes idle."""
    boundary = "master-cancel-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{three_minutes.name}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    body = head + three_minutes.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    with run_server(tmp_path / "home") as server:
        port = int(server.url.rsplit(":", 1)[1])
        request = (
            f"POST /api/master HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(request + body)
        wait_for_complete_upload(server, three_minutes.stat().st_size, _STILL_WAITING)
        sock.close()
        for _ in range(300):  # bounded: 30 s
            log = server.log_path.read_text(errors="replace")
            if "POST /api/master" in log:
                break
            time.sleep(0.1)
        assert "POST /api/master 499" in log, log[-2000:]
        done = float(log.split("cancelled after ", 1)[1].split(" %", 1)[0])
        assert done < 100.0  # stopped between blocks, not run to the end and thrown away
        cpu = _process_cpu_s(server.process.pid)
        time.sleep(1.0)
        assert _process_cpu_s(server.process.pid) - cpu < 0.2  # idle: no work left running
        assert list((server.app_home / "tmp").iterdir()) == []
