"""Streaming multipart upload: the file part goes straight to a temporary file.

The body is never held in memory: it is parsed chunk by chunk as it arrives,
the bytes of the file part are counted, and the upload is refused with 413 as
soon as it passes ``MAX_UPLOAD_MB`` (before anything is read when the
Content-Length already says so). The temporary file lives in ``$APP_HOME/tmp``
under a random name — the client's file name is only kept, cleaned, as a label.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import anyio
from anyio import CapacityLimiter
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from amt.utils.errors import InsufficientStorageError, PayloadTooLargeError, StorageError, ValidationError, quoted
from amt.utils.logger import get_logger

log = get_logger(__name__)

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS_TOTAL_BYTES = 256 * 1024
"""All the form fields but the file together: a body of many small fields is refused like a large file."""
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
"""Allowance for boundaries and form fields when judging a Content-Length."""
MAX_FILENAME_CHARS = 200
MAX_BOUNDARY_CHARS = 256
"""Longest multipart boundary read (RFC 2046 allows 70; python-multipart reads up to 256)."""
MAX_PART_HEADER_BYTES = 64 * 1024
"""A part's headers together (so a file name of up to ~64 kB is read, then shortened to MAX_FILENAME_CHARS)."""


@dataclass
class Upload:
    """A received upload: the temporary file, the client's (cleaned) file name and the other form fields."""

    path: Path | None = None
    filename: str = "upload.wav"
    size_bytes: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    """SHA-256 of the file part, fed as it arrives."""

    @property
    def content_hash(self) -> str:
        """SHA-256 of the file's bytes, hex (as :func:`amt.api.services.analysis.content_hash` reads it)."""
        return self.digest.hexdigest()

    def discard(self) -> None:
        """Remove the temporary file (idempotent)."""
        if self.path is not None:
            with suppress(FileNotFoundError):
                self.path.unlink()
            self.path = None


def clean_filename(raw: str) -> str:
    """A display-safe file name: no directories, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".") or "upload.wav"
    if len(name) > MAX_FILENAME_CHARS:  # shorten the stem, keep the extension
        stem, dot, suffix = name.rpartition(".")
        keep = dot + suffix if stem and len(suffix) <= 10 else ""
        name = name[: MAX_FILENAME_CHARS - len(keep)].rstrip() + keep
    return name


FILE_FIELD_HINT = "The form field 'file' must carry the audio as a file upload (with curl: -F \"file=@track.wav\")."


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The file is larger than the {max_bytes / (1024 * 1024):g} MB upload limit (MAX_UPLOAD_MB)."
    )


class _Receiver:
    """python-multipart callbacks writing the ``file`` part to disk and keeping small fields."""

    def __init__(self, upload: Upload, dest_dir: Path, max_bytes: int) -> None:
        self.upload = upload
        self.dest_dir = dest_dir
        self.max_bytes = max_bytes
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.part_name = ""
        self.is_file = False
        self.field_buf = bytearray()
        self.fields_bytes = 0
        self.fd: int | None = None

    def _cannot_store(self, exc: OSError) -> StorageError:
        """The client learns that the server cannot take the file now; the log says why."""
        log.error("Cannot write an upload to %s: %s", self.dest_dir, exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return InsufficientStorageError(
                "The server has no room to receive this upload right now (its disk is full). "
                "Try again later; nothing was stored."
            )
        return StorageError("The server cannot store uploads right now. Try again later; nothing was stored.")

    def on_part_begin(self) -> None:
        self.headers = {}
        self.part_name = ""
        self.is_file = False
        self.field_buf = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.part_name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.part_name != "file" or self.fd is not None:
                raise ValidationError("Send exactly one file, in the form field 'file'.")
            self.is_file = True
            self.upload.filename = clean_filename(options[b"filename"].decode("utf-8", "replace"))
            # The pid in the name tells a worker starting up that this upload is not a crash leftover.
            try:
                fd, name = tempfile.mkstemp(prefix=f"upload-{os.getpid()}-", suffix=".part", dir=self.dest_dir)
            except OSError as exc:
                raise self._cannot_store(exc) from exc
            self.fd = fd
            self.upload.path = Path(name)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.is_file:
            self.upload.size_bytes += end - start
            if self.upload.size_bytes > self.max_bytes:
                raise _too_large(self.max_bytes)
            assert self.fd is not None
            view = memoryview(data)[start:end]  # written as it lies in the received chunk, never copied
            self.upload.digest.update(view)
            try:
                while view:
                    written = os.write(self.fd, view)
                    view = view[written:]
            except OSError as exc:
                raise self._cannot_store(exc) from exc
        else:
            if self.part_name == "file":
                raise ValidationError(FILE_FIELD_HINT)
            self.field_buf += data[start:end]
            self.fields_bytes += end - start
            if len(self.field_buf) > MAX_FIELD_BYTES:
                raise ValidationError(f"The form field '{quoted(self.part_name)}' is too long.")
            if self.fields_bytes > MAX_FIELDS_TOTAL_BYTES:
                raise PayloadTooLargeError(
                    f"The form fields besides the file exceed {MAX_FIELDS_TOTAL_BYTES // 1024} kB in total."
                )

    def on_part_end(self) -> None:
        if not self.is_file and self.part_name == "file":
            raise ValidationError(FILE_FIELD_HINT)  # an empty plain field named 'file'
        if not self.is_file and self.part_name:
            self.upload.fields[self.part_name] = self.field_buf.decode("utf-8", "replace")

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


async def receive_upload(request: Request, *, dest_dir: Path, max_bytes: int) -> Upload:
    """Stream a ``multipart/form-data`` body into ``dest_dir``; the caller must ``discard()`` the result."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise ValidationError("Send the audio as multipart/form-data with the file in the field 'file'.")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(max_bytes)
    boundary = params[b"boundary"]
    if not 0 < len(boundary) <= MAX_BOUNDARY_CHARS:
        raise ValidationError(f"The multipart boundary must be 1 to {MAX_BOUNDARY_CHARS} characters long.")
    upload = Upload()
    receiver = _Receiver(upload, dest_dir, max_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
        },
        max_header_size=MAX_PART_HEADER_BYTES,
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (ValidationError, PayloadTooLargeError, StorageError):
        receiver.close()
        upload.discard()
        raise
    except MultipartParseError as exc:
        receiver.close()
        upload.discard()
        if "header size" in str(exc):
            raise ValidationError(
                f"A part's headers (its file name) exceed {MAX_PART_HEADER_BYTES // 1024} kB: use a shorter file name."
            ) from exc
        raise ValidationError("The multipart form data could not be parsed.") from exc
    except Exception as exc:  # a malformed body: python-multipart raises its own errors
        receiver.close()
        upload.discard()
        raise ValidationError("The multipart form data could not be parsed.") from exc
    receiver.close()
    if upload.path is None:
        raise ValidationError("No file was sent: put the audio file in the form field 'file'.")
    return upload


T = TypeVar("T")


async def _set_on_disconnect(request: Request, cancel: threading.Event) -> None:
    """Set ``cancel`` when the client goes away (the body is read by now: the next message is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.set()
            return


async def run_until_disconnect(
    request: Request, cancel: threading.Event, work: Callable[[], T], *, limiter: CapacityLimiter
) -> T:
    """Run ``work`` in a worker thread (one of ``limiter``'s slots) while watching for the client going away:
    ``cancel`` is set when it does, and ``work`` is expected to stop between blocks when it sees that."""
    outcome: T | Exception
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_set_on_disconnect, request, cancel)
        try:
            outcome = await anyio.to_thread.run_sync(work, limiter=limiter)
        except Exception as exc:  # raised below, outside the group (which would wrap it in an ExceptionGroup)
            outcome = exc
        finally:
            tasks.cancel_scope.cancel()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
