"""Logging convenience wrapper: every module logs under the ``amt`` hierarchy."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """The project logger for a module, e.g. ``get_logger(__name__)`` → ``amt.api.main``."""
    return logging.getLogger(name if name == "amt" or name.startswith("amt.") else f"amt.{name}")
