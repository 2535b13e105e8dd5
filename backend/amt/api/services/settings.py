"""User settings workflow: defaults, validation of the known keys (SPEC §3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amt.api.repositories.settings_repo import SettingsRepository
from amt.api.services.genres import resolve_genre
from amt.api.services.recommend.model import Level, Stage
from amt.config.constants import DEFAULT_RECOMMENDATION_LEVEL, DEFAULT_STAGE
from amt.utils.errors import ValidationError, quoted

DEFAULTS: dict[str, Any] = {
    "default_genre": None,
    "default_recommendation_level": Level(DEFAULT_RECOMMENDATION_LEVEL),
    "default_stage": Stage(DEFAULT_STAGE),
}


def read_settings(session: Session) -> dict[str, Any]:
    """Every known setting, stored value or default."""
    stored = SettingsRepository(session).all()
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def check_level(value: str) -> Level:
    """A recommendation level (case and spaces ignored); ValidationError if unknown."""
    try:
        return Level(value.strip().lower())
    except ValueError as exc:
        raise ValidationError(
            f"Unknown recommendation level '{quoted(value)}'. Use one of: {', '.join(Level)}."
        ) from exc


def check_stage(value: str) -> Stage:
    """A stage (case and spaces ignored); ValidationError if unknown."""
    try:
        return Stage(value.strip().lower())
    except ValueError as exc:
        raise ValidationError(f"Unknown stage '{quoted(value)}'. Use one of: {', '.join(Stage)}.") from exc


def update_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store the given settings (null resets one to its default); every setting afterwards."""
    unknown = sorted(set(changes) - set(DEFAULTS))
    if unknown:
        raise ValidationError(f"Unknown setting(s): {quoted(', '.join(unknown))}. Known: {', '.join(DEFAULTS)}.")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None:
            clean[key] = DEFAULTS[key]  # null puts a setting back to its default
        elif key == "default_genre":
            clean[key] = None if value == "" else resolve_genre(session, str(value))
        elif key == "default_recommendation_level":
            clean[key] = check_level(str(value))
        elif key == "default_stage":
            clean[key] = check_stage(str(value))
    repo = SettingsRepository(session)
    for key, value in clean.items():
        repo.put(key, value)
    return read_settings(session)
