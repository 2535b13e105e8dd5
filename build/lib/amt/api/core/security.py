"""Request guards of SPEC §3 for a service that listens on a port.

One ASGI middleware, in front of the routes:

* ``Host`` must name this server (its ``API_HOST``, its machine name, ``localhost``,
  ``127.0.0.1``, ``[::1]``) or be in ``ALLOWED_HOSTS``, else 400 — a page on another
  site that rebinds its DNS name to this address is refused;
* a state-changing request (POST, PUT, DELETE, PATCH) that carries an ``Origin`` must
  come from this server's own origin or one in ``CORS_ORIGINS``, else 403 — CORS only
  stops a browser *reading* the answer of a cross-site form, not sending it; requests
  without ``Origin`` (the CLI, curl) pass;
* bodies other than multipart uploads are capped at 64 kB (413), counted as they
  arrive;
* every response carries ``X-Content-Type-Options: nosniff`` and a
  ``Content-Security-Policy`` that allows only the server's own scripts and styles and
  no framing.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_BODY_LIMIT_BYTES = 64 * 1024
"""Largest non-multipart request body (JSON), bytes."""
STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Only the server's own scripts, styles and data; no inline script or style; never framed."""
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
)


def host_name(host_header: str) -> str:
    """The name in a ``Host`` header, lower-case, without port, brackets or a trailing dot."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def trusted_hosts(api_host: str, allowed: Iterable[str]) -> frozenset[str] | None:
    """Host names this server answers to; None when ``ALLOWED_HOSTS`` holds ``*`` (any)."""
    extra = {host_name(h) for h in allowed if h.strip()}
    if "*" in extra:
        return None
    own = {host_name(api_host)} - _WILDCARD_BINDS
    with suppress(OSError):
        own.add(socket.gethostname().lower())
    return frozenset(LOCAL_HOSTS | own | extra)


class RequestGuard:
    """The checks above, as pure ASGI middleware (the body stays streamed for uploads)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None, origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = hosts
        origin_list = [o.strip().rstrip("/").lower() for o in origins if o.strip()]
        self.any_origin = "*" in origin_list
        self.origins = frozenset(origin_list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        host = headers.get(b"host", b"").decode("latin-1")
        if self.hosts is not None and host_name(host) not in self.hosts:
            await _refuse(send_with_headers, 400, "The Host header does not name this server (see ALLOWED_HOSTS).")
            return
        method = scope["method"].upper()
        origin = headers.get(b"origin")
        if method in STATE_CHANGING_METHODS and origin is not None and not self._origin_ok(origin, scope, host):
            await _refuse(
                send_with_headers, 403, "Requests that change data are only accepted from this server's own page "
                "or an origin in CORS_ORIGINS.",
            )  # fmt: skip
            return
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if method in STATE_CHANGING_METHODS and content_type != b"multipart/form-data":
            body = await _read_capped(receive, headers.get(b"content-length"))
            if body is None:
                await _refuse(
                    send_with_headers, 413, f"The request body is larger than {JSON_BODY_LIMIT_BYTES // 1024} kB."
                )
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)

    def _origin_ok(self, origin: bytes, scope: Scope, host: str) -> bool:
        value = origin.decode("latin-1").strip().rstrip("/").lower()
        own = f"{scope.get('scheme', 'http')}://{host.strip().lower()}"
        return self.any_origin or value == own or value in self.origins


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_capped(receive: Receive, content_length: bytes | None) -> bytes | None:
    """The whole body, or None as soon as it passes JSON_BODY_LIMIT_BYTES (announced or counted)."""
    if content_length is not None and content_length.isdigit() and int(content_length) > JSON_BODY_LIMIT_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: the app will see an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > JSON_BODY_LIMIT_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the read body over once, then waits on the real one (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
