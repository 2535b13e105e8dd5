"""A throw-away PostgreSQL server for the tests.

``AMT_TEST_POSTGRES_URL`` (an SQLAlchemy URL with rights to CREATE DATABASE) points
at an existing server. Otherwise the tests start their own cluster on a free
loopback port from Debian's ``postgresql`` binaries, installing the package with
apt when running as root (as CI does). ``unavailable()`` says why PostgreSQL
cannot be used, for the skip message.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from helpers import free_port

ENV_URL = "AMT_TEST_POSTGRES_URL"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _install() -> str | None:
    """Install Debian's postgresql as root; an error message, or None on success."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "PostgreSQL is not installed (apt-get install postgresql, or set AMT_TEST_POSTGRES_URL)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, timeout=300, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"], check=True, capture_output=True, timeout=600, env=env
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return f"installing PostgreSQL with apt-get failed: {exc}"
    return None


@dataclass
class PostgresServer:
    """A running server and how to reach it as a superuser."""

    admin_url: str
    data_dir: Path | None = None
    bin_dir: Path | None = None
    as_user: str | None = None

    def create_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        name = f"amt_test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (connections are closed first)."""
        name = make_url(url).database
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def stop(self) -> None:
        """Stop a server these tests started, and remove its files."""
        if self.data_dir is None or self.bin_dir is None:
            return
        cmd = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]
        _run(cmd, self.as_user, check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _run(cmd: list[str], user: str | None, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, timeout=120)


_REASON: str | None = None


def unavailable() -> str | None:
    """Why no server could be had, once :func:`start` has been tried."""
    return _REASON


def start() -> PostgresServer | None:
    """A server for this test session, or None (see :func:`unavailable`)."""
    global _REASON
    url = os.environ.get(ENV_URL)
    if url:
        return PostgresServer(admin_url=url)
    bin_dir = _bin_dir()
    if bin_dir is None:
        _REASON = _install()
        bin_dir = _bin_dir()
        if bin_dir is None:
            _REASON = _REASON or "PostgreSQL binaries not found after installing"
            return None
    root = Path(tempfile.mkdtemp(prefix="amt-pg-"))
    data = root / "data"
    user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
    if user is not None:
        shutil.chown(root, user)
        root.chmod(0o700)
    port = free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "amt", "--no-sync"], user)
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options, "-w", "start"],
            user,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        stderr = getattr(exc, "stderr", b"") or b""
        _REASON = f"could not start PostgreSQL: {exc} {stderr.decode(errors='replace')} {log[-500:]}"
        shutil.rmtree(root, ignore_errors=True)
        return None
    return PostgresServer(
        admin_url=f"postgresql+psycopg://amt@127.0.0.1:{port}/postgres", data_dir=data, bin_dir=bin_dir, as_user=user
    )
