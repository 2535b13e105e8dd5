"""Packaging (SPEC §2): ``pip install .`` adds one top-level package, ``amt``, with the page and the corpus
numbers inside, the ``amt`` command, and the runtime dependencies only (the test tools sit in the ``dev`` extra)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {"pytest", "playwright", "mypy", "ruff", "schemathesis", "hypothesis", "httpx"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel ``pip`` builds from the repository (isolated build, no dependencies fetched)."""
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if run.returncode != 0 and "setuptools" in run.stderr and "No matching distribution" in run.stderr:
        pytest.skip("no package index reachable to fetch the build backend (setuptools)")
    assert run.returncode == 0, run.stderr
    return zipfile.ZipFile(next(out.glob("*.whl")))


def _metadata(wheel: zipfile.ZipFile) -> tuple[str, str]:
    info = next(n.split("/")[0] for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return info, wheel.read(f"{info}/METADATA").decode()


def test_one_top_level_package_with_its_data(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    info, _ = _metadata(wheel)
    assert {n.split("/")[0] for n in names} == {"amt", info}
    for needed in ("amt/web/index.html", "amt/data/references/corpus.json", "amt/api/main.py", "amt/py.typed"):
        assert needed in names
    assert not [n for n in names if "/tests/" in n]


def test_amt_command_and_runtime_dependencies_only(wheel: zipfile.ZipFile) -> None:
    info, text = _metadata(wheel)
    entry = wheel.read(f"{info}/entry_points.txt").decode()
    assert "amt = amt.cli.__main__:run" in entry
    requires = Parser().parsestr(text).get_all("Requires-Dist") or []
    runtime = {
        r.split(";")[0].split("<")[0].split(">")[0].split("[")[0].strip().lower()
        for r in requires
        if "extra ==" not in r
    }
    dev = {r.split("<")[0].split(">")[0].strip().lower() for r in requires if 'extra == "dev"' in r}
    assert runtime and not runtime & DEV_TOOLS
    assert DEV_TOOLS <= dev


def test_amt_command_runs() -> None:
    """The installed ``amt`` (``make setup`` installs the project editable) answers ``--help`` with its commands."""
    amt = shutil.which("amt", path=str(Path(sys.executable).parent))
    if amt is None:
        pytest.skip("the project is not installed in this environment (pip install -e .)")
    out = subprocess.run([amt, "--help"], capture_output=True, text=True, check=True, timeout=60).stdout
    for command in ("analyze", "master", "serve", "references"):
        assert command in out
