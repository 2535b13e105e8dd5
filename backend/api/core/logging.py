"""Logging set-up (SPEC §3): console at LOG_LEVEL, rotating file of 10 MB × 5 backups."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
ROTATE_BYTES = 10 * 1024 * 1024
ROTATE_BACKUPS = 5
_OWN_HANDLER = "_amt_handler"


def configure_logging(level: str, log_path: Path) -> None:
    """Send the ``amt`` loggers to the console and to ``log_path`` (created if missing)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("amt")
    root.setLevel(level)
    root.propagate = False
    for handler in [h for h in root.handlers if getattr(h, _OWN_HANDLER, False)]:
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(LOG_FORMAT)
    console = logging.StreamHandler()
    file_handler = RotatingFileHandler(log_path, maxBytes=ROTATE_BYTES, backupCount=ROTATE_BACKUPS, encoding="utf-8")
    for handler in (console, file_handler):
        handler.setFormatter(formatter)
        setattr(handler, _OWN_HANDLER, True)
        root.addHandler(handler)
