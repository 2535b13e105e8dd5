"""Application settings (SPEC §3), read from the environment and ``.env`` in the working directory."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of SPEC §3; ``.env.example`` lists them with their defaults."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    app_home: Path = Field(default=Path("~/.audio-mastering-tool"))
    database_url: str = ""
    """Empty means SQLite at ``$APP_HOME/audio_mastering.db``."""
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    log_file: Path | None = None
    """None means ``$APP_HOME/logs/backend.log``."""
    max_upload_mb: float = Field(default=2048, gt=0)
    """2048 MiB admits a MAX_DURATION_S-long (2 h) 24-bit stereo 48 kHz WAV (1978 MiB)."""
    max_duration_s: float = Field(default=7200, gt=0)
    cors_origins: str = "http://127.0.0.1:8000,http://localhost:8000"
    """Comma-separated origins allowed by CORS ("*" for any); state-changing requests from others get 403."""
    allowed_hosts: str = ""
    """Comma-separated extra host names the server answers to ("*" for any); 400 for others (SPEC §3)."""

    @field_validator("log_file", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        # ``LOG_FILE=`` in .env (as in .env.example) means the default, not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("app_home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database URL actually used."""
        return self.database_url or f"sqlite:///{self.app_home / 'audio_mastering.db'}"

    @cached_property
    def log_path(self) -> Path:
        """The log file actually used."""
        return (self.log_file or self.app_home / "logs" / "backend.log").expanduser()

    @cached_property
    def upload_dir(self) -> Path:
        """Where uploads are streamed while they are analysed; emptied at start-up."""
        return self.app_home / "tmp"

    @property
    def max_upload_bytes(self) -> int:
        """``MAX_UPLOAD_MB`` in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def cors_origin_list(self) -> list[str]:
        """``CORS_ORIGINS`` split into a list."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        """``ALLOWED_HOSTS`` split into a list."""
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]


def get_settings() -> Settings:
    """A fresh Settings from the current environment."""
    return Settings()
