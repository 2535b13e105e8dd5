"""User settings endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from amt.api.deps import SessionDep
from amt.api.schemas import SettingsOut, SettingsUpdate
from amt.api.services.settings import read_settings, update_settings

router = APIRouter(prefix="/api", tags=["settings"])


@router.get("/settings")
def get_settings(session: SessionDep) -> SettingsOut:
    """Every known setting (stored value or default)."""
    return SettingsOut(**read_settings(session))


@router.put("/settings")
def put_settings(body: SettingsUpdate, session: SessionDep) -> SettingsOut:
    """Change some settings; unknown keys and values are refused with 422."""
    return SettingsOut(**update_settings(session, body.model_dump(exclude_unset=True)))
