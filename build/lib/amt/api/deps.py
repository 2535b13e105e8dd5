"""FastAPI dependencies as ``Annotated`` aliases: one session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from amt.api.core.config import Settings
from amt.api.database import session_scope


def get_db(request: Request) -> Iterator[Session]:
    """A session for this request: committed when the handler returns, rolled back on error."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a client reading right after a write sees it.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
