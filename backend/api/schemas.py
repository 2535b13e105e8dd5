"""Pydantic models of the HTTP API (SPEC §7)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SettingsOut(BaseModel):
    """The user settings."""

    default_genre: str | None
    default_recommendation_level: str
    default_stage: str


class SettingsUpdate(BaseModel):
    """A partial update of the user settings; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    default_genre: str | None = None
    default_recommendation_level: str | None = None
    default_stage: str | None = None
