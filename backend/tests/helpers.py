"""Test helpers: WAV and M4A writers and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
import soundfile as sf

BACKEND_DIR = Path(__file__).resolve().parents[1]


def sine(freq_hz: float, seconds: float, *, sr: int = 48000, amp: float = 0.5, channels: int = 2) -> np.ndarray:
    """A sine of ``amp`` (peak, full scale 1.0), shape (frames, channels), float32."""
    t = np.arange(round(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1)


def write_wav(path: Path, data: np.ndarray, sr: int = 48000, subtype: str = "PCM_24") -> Path:
    """Write ``data`` as a WAV file with soundfile and return its path."""
    sf.write(str(path), data, sr, subtype=subtype, format="WAV")
    return path


def write_m4a(path: Path, x: np.ndarray, sr: int, codec: str, *, bit_rate: int = 256_000, bits: int = 16) -> Path:
    """An M4A written by FFmpeg's own encoders through PyAV ('aac' or 'alac', 16 or 24-bit ALAC)."""
    layout = {1: "mono", 2: "stereo"}[x.shape[1]]
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        if codec == "aac":
            stream.bit_rate = bit_rate
            fmt, planar = "fltp", np.ascontiguousarray(x.T.astype(np.float32))
        else:
            fmt = "s16p" if bits == 16 else "s32p"
            scale = 2.0 ** (bits - 1)
            q = np.clip(np.round(x * scale), -scale, scale - 1).astype(np.int32) << (32 - bits if bits > 16 else 0)
            planar = np.ascontiguousarray(q.T.astype(np.int16 if bits == 16 else np.int32))
            stream.codec_context.format = fmt  # the ALAC encoder stores 16 bits from s16p, 24 from s32p
        for start in range(0, x.shape[0], 4096):
            frame = av.AudioFrame.from_ndarray(planar[:, start : start + 4096], format=fmt, layout=layout)
            frame.sample_rate, frame.pts = sr, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A running uvicorn process."""

    url: str
    app_home: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, timeout: float = 120.0) -> httpx.Client:
        """An HTTP client bound to the server."""
        return httpx.Client(base_url=self.url, timeout=timeout)


@contextmanager
def run_server(
    app_home: Path, *, env: dict[str, str] | None = None, workers: int = 1, startup_timeout_s: float = 60.0
) -> Iterator[LiveServer]:
    """Start ``uvicorn api.main:app`` from ``backend/`` against ``app_home``; stop it afterwards."""
    port = free_port()
    full_env = {
        **os.environ,
        "APP_HOME": str(app_home),
        "API_PORT": str(port),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    if "DATABASE_URL" not in (env or {}):
        full_env["DATABASE_URL"] = ""  # SQLite in app_home: never a developer's own database (nor .env's)
    out_path = app_home.parent / f"uvicorn-{port}.out"
    out = out_path.open("wb")
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=BACKEND_DIR, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout_s
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{out_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{out_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield LiveServer(url=url, app_home=app_home, process=proc, log_path=out_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.close()


DATABASE_KINDS = ("sqlite", "postgresql")
"""Parameters of the fixtures that run a test once per database kind."""


@contextmanager
def database_of_kind(request: pytest.FixtureRequest, sqlite_file: Path) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh database of the kind ``request.param`` names: SQLite at
    ``sqlite_file`` (its folder created), or a new PostgreSQL database, dropped afterwards (skipped
    with the reason when no server can be had)."""
    import pg  # here, not at the top: pg imports this module

    if request.param == "sqlite":
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
        yield f"sqlite:///{sqlite_file}"
        return
    server: pg.PostgresServer | None = request.getfixturevalue("postgres")
    if server is None:
        pytest.skip(f"PostgreSQL: {pg.unavailable()}")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)
