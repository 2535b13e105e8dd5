"""Logging set-up (SPEC §3): console at LOG_LEVEL, rotating file of 10 MB × 5 backups."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from amt.utils.errors import StorageError

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
ROTATE_BYTES = 10 * 1024 * 1024
ROTATE_BACKUPS = 5
_OWN_HANDLER = "_amt_handler"


def configure_logging(level: str, log_path: Path) -> None:
    """Send the ``amt`` loggers to the console and to ``log_path`` (created if missing).

    Raises StorageError, naming ``LOG_FILE``, when the file cannot be opened for writing.
    """
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            log_path, maxBytes=ROTATE_BYTES, backupCount=ROTATE_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        raise StorageError(
            f"The log file LOG_FILE={log_path} cannot be written: {exc.strerror or exc}. "
            "Point LOG_FILE at a writable file, or leave it empty for $APP_HOME/logs/backend.log."
        ) from exc
    root = logging.getLogger("amt")
    root.setLevel(level)
    root.propagate = False
    for handler in [h for h in root.handlers if getattr(h, _OWN_HANDLER, False)]:
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(LOG_FORMAT)
    console = logging.StreamHandler()
    for handler in (console, file_handler):
        handler.setFormatter(formatter)
        setattr(handler, _OWN_HANDLER, True)
        root.addHandler(handler)
