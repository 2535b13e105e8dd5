"""Queries over ``user_settings`` (key → JSON value)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from amt.api.models import UserSetting, utcnow
from amt.api.repositories.base import RepositoryBase


class SettingsRepository(RepositoryBase[UserSetting]):
    """Key–value settings stored as JSON text."""

    model = UserSetting

    def all(self) -> dict[str, Any]:
        """Every stored setting, decoded."""
        return {row.key: json.loads(row.value) for row in self.session.scalars(select(UserSetting))}

    def put(self, key: str, value: Any) -> None:
        """Insert or replace one setting."""
        row = self.get(key)
        encoded = json.dumps(value)
        if row is None:
            self.add(UserSetting(key=key, value=encoded, updated_at=utcnow()))
        else:
            row.value = encoded
            row.updated_at = utcnow()
