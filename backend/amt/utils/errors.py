"""The services' and the API's errors.

Every error the services and the API raise on purpose derives from :class:`AppError`
and carries the HTTP status it maps to (the web edge's domain errors); one handler in
``api.main`` turns them into ``{"detail": message}`` responses. The engine's errors
(:mod:`amt.analysis.errors`) carry no status: ``amt.api.errors`` maps them. Messages
are written for a person: they name the problem, never a server path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

ECHO_LIMIT_CHARS = 100
"""At most this much of what a client sent is quoted back in an error message (SPEC §3)."""


def quoted(value: object) -> str:
    """Client input as an error message quotes it: at most ECHO_LIMIT_CHARS characters, then "…"."""
    text = str(value)
    return text if len(text) <= ECHO_LIMIT_CHARS else text[:ECHO_LIMIT_CHARS] + "…"


class AppError(Exception):
    """Base of all expected errors; ``status_code`` is the HTTP status."""

    status_code: int = 500
    headers: ClassVar[Mapping[str, str] | None] = None
    """Extra response headers (e.g. ``Retry-After``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PayloadTooLargeError(AppError):
    """An upload larger than ``MAX_UPLOAD_MB``."""

    status_code = 413


class NotFoundError(AppError):
    """An id that names nothing stored."""

    status_code = 404


class ValidationError(AppError):
    """A parameter outside what the API accepts (unknown genre, level, key…)."""

    status_code = 422


class ConflictError(AppError):
    """A request that would duplicate or contradict stored state."""

    status_code = 409


class StorageError(AppError):
    """The database or the application directory cannot be used (for now: clients may retry)."""

    status_code = 503
    headers: ClassVar[Mapping[str, str] | None] = {"Retry-After": "5"}


class DatabaseBusyError(StorageError):
    """The database stayed locked by another writer for longer than the wait allowed; try again."""


class InsufficientStorageError(StorageError):
    """The server's disk is full: the upload or its results cannot be written."""

    status_code = 507
    headers = None
