"""Settings (SPEC §3): ``.env.example`` is complete, and copying it to ``.env`` as the seed says changes nothing."""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import subprocess
import sys
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.orm import Session

from amt.api.core.config import Settings
from amt.api.core.logging import configure_logging
from amt.api.services.settings import update_settings
from amt.config.constants import ltas_band_shares
from amt.utils.errors import ValidationError
from amt.utils.logger import get_logger
from helpers import BACKEND_DIR, free_port

EXAMPLE = BACKEND_DIR / ".env.example"


def _example_keys() -> list[str]:
    return re.findall(r"^([A-Z_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE)


def test_env_example_lists_every_setting_once() -> None:
    keys = _example_keys()
    assert sorted(keys) == sorted(name.upper() for name in Settings.model_fields)
    assert len(keys) == len(set(keys))


def test_env_example_as_env_gives_the_documented_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)  # only the file speaks
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    home = tmp_path / ".audio-mastering-tool"
    assert settings.app_home == home
    assert settings.sqlalchemy_url == f"sqlite:///{home / 'audio_mastering.db'}"
    assert settings.log_path == home / "logs" / "backend.log"  # `LOG_FILE=` is the default, not the cwd
    assert (settings.api_host, settings.api_port, settings.log_level) == ("127.0.0.1", 8000, "INFO")
    assert (settings.max_upload_mb, settings.max_duration_s) == (2048, 7200)
    assert settings.max_upload_bytes == 2048 * 1024 * 1024
    assert settings.cors_origin_list == ["http://127.0.0.1:8000", "http://localhost:8000"]
    assert settings.allowed_host_list == []


def test_default_upload_limit_admits_the_longest_allowed_file() -> None:
    """SPEC §3: MAX_UPLOAD_MB admits a MAX_DURATION_S-long 24-bit stereo 48 kHz WAV (its data + a 44-byte header)."""
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    wav_bytes = 44 + int(defaults["max_duration_s"]) * 48000 * 2 * 3
    assert wav_bytes <= defaults["max_upload_mb"] * 1024 * 1024


def test_environment_outranks_the_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG\nAPI_PORT=9000\nLOG_FILE=/somewhere/else.log\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("LOG_FILE", "")
    monkeypatch.setenv("APP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("API_PORT", raising=False)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.log_level == "WARNING"
    assert settings.api_port == 9000
    assert settings.log_path == tmp_path / "home" / "logs" / "backend.log"


def test_bad_values_are_refused_with_the_setting_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        Settings(log_level="loud", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="api_port"):
        Settings(api_port=70000, _env_file=None)  # type: ignore[call-arg]


def test_python_m_api_serves_on_api_host_and_api_port(tmp_path: Path) -> None:
    """What `make run` starts: uvicorn on the settings' host and port."""
    port = free_port()
    env = {**os.environ, "APP_HOME": str(tmp_path / "home"), "DATABASE_URL": "", "API_PORT": str(port)}
    env["API_HOST"] = "127.0.0.1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "api"], cwd=BACKEND_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else proc.returncode
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "python -m api did not answer on API_PORT"
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_user_settings_null_resets_and_unknown_keys_name_the_known_ones(session: Session) -> None:
    update_settings(session, {"default_recommendation_level": "prescriptive", "default_stage": "mix"})
    after = update_settings(session, {"default_recommendation_level": None, "default_stage": None})
    assert after == {"default_genre": None, "default_recommendation_level": "suggestive", "default_stage": "master"}
    with pytest.raises(ValidationError) as err:
        update_settings(session, {"colour": "red"})
    assert "colour" in err.value.message
    assert all(key in err.value.message for key in ("default_genre", "default_recommendation_level", "default_stage"))


def test_log_file_rotates_at_10_mb_keeping_5_backups(tmp_path: Path) -> None:
    log_path = tmp_path / "logs" / "backend.log"
    configure_logging("INFO", log_path)
    root = logging.getLogger("amt")
    try:
        logger = get_logger("rotation-test")
        line = "x" * 1000
        for _ in range(12 * 1024):  # 12 MB of messages: one rotation at 10 MB
            logger.info(line)
        rotated = log_path.with_name("backend.log.1")
        assert 9 * 1024 * 1024 < rotated.stat().st_size <= 10 * 1024 * 1024
        assert 1 * 1024 * 1024 < log_path.stat().st_size < 3 * 1024 * 1024
        files = [h for h in root.handlers if isinstance(h, RotatingFileHandler)]
        assert [h.backupCount for h in files] == [5]
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()


def test_ltas_model_shares_of_a_flat_spectrum_are_octave_lengths() -> None:
    # flat per octave from 20 Hz to 12 kHz (corner below 20 Hz, knee above 20 kHz), then −6 dB/oct:
    # each band's share is its length in octaves; above 12 kHz ∫ 10^(−0.6·o) do = (1 − 10^(−0.6·O)) / (0.6·ln 10)
    air = (1 - 10 ** (-0.6 * math.log2(20000 / 12000))) / (0.6 * math.log(10))
    lengths = [
        math.log2(200 / 20),
        math.log2(500 / 200),
        math.log2(2000 / 500),
        math.log2(6000 / 2000),
        math.log2(12000 / 6000) + air,
    ]
    expected = [x / sum(lengths) for x in lengths]
    assert ltas_band_shares(10, 40000, 3.0) == pytest.approx(expected, rel=1e-9)


def test_ltas_model_shares_match_numerical_integration() -> None:
    f = np.geomspace(20, 20000, 400_001)
    octave = np.log2(f)
    level = -12 * np.log2(np.maximum(40 / f, 1)) - 4 * np.log2(np.maximum(f / 120, 1))
    level -= 6 * np.log2(np.maximum(f / 12000, 1))
    power = 10 ** (level / 10)
    parts = []
    for a, b in itertools.pairwise([20, 200, 500, 2000, 6000, 20000]):
        inside = (f >= a) & (f <= b)
        p, o = power[inside], octave[inside]
        parts.append(float(np.sum((p[1:] + p[:-1]) / 2 * np.diff(o))))  # trapezoids
    assert ltas_band_shares(40, 120, 4.0) == pytest.approx([p / sum(parts) for p in parts], rel=1e-4)
