"""Pure ASGI middleware (cheaper than ``BaseHTTPMiddleware`` on every request).

* :class:`BodyLimit`: no request body may pass ``max_bytes``, declared or streamed (routes set
  lower limits of their own while they read).
* Every request gets a ``request_id`` (UUID4): in the log context and as ``x-request-id``;
  every answer carries ``X-Content-Type-Options: nosniff``.
* A trailing ``/`` is dropped before routing, so every route answers with and without it (the
  SDK's aio client polls ``/tasks/{id}/``; the docs post to ``…/generation/``).
* An error escaping a route is a 500 ``InternalError``, or a 503 ``ServiceUnavailable`` when
  the database cannot be reached (an outage the client may retry; nothing was half-stored).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wanstack.api.deps import CONTAINER_KEY
from wanstack.api.handlers import error_bytes
from wanstack.container import Container
from wanstack.errors import InternalError, PayloadTooLarge, ServiceError, ServiceUnavailable
from wanstack.ident import new_uuid
from wanstack.logcontext import request_id_var

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable, please try again later."

#: Browsers must take every answer (results, uploads, JSON) for the type it declares.
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class RequestContext:
    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        scope = dict(scope)
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path.rstrip("/") or "/"
            raw = scope.get("raw_path")
            if raw:
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        scope[CONTAINER_KEY] = self.container
        request_id = new_uuid()
        token = request_id_var.set(request_id)
        extra = [(b"x-request-id", request_id.encode()), _NOSNIFF]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            # Answered here, inside the request context, so the 500 body and the log line
            # carry the request id (Starlette's own error middleware sits outside ours).
            error: ServiceError
            if self.container.database_unavailable(exc):
                # An outage, not a bug: a 503 the SDKs retry, and one log line, no traceback.
                log.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
                error = ServiceUnavailable(DATABASE_UNAVAILABLE)
            else:
                log.exception("unhandled error")
                error = InternalError()
            if started:
                raise
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": error.http_status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send_with_id(
                {"type": "http.response.body", "body": error_bytes(error, request_id)}
            )
        finally:
            request_id_var.reset(token)


class BodyLimit:
    """Refuse bodies over ``max_bytes``: at once when ``Content-Length`` says so (and close the
    connection, the rest is not worth reading), else when the streamed bytes pass it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                # At most 15 digits: int() of a 5,000-digit string raises (a 500, not a 400).
                if len(value) > 15 or not value.isdigit() or int(value) > self.max_bytes:
                    await _refuse(send)
                    return
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        if not has_body:  # no body to count (a GET, say): nothing to wrap
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge()
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send) -> None:
    error = PayloadTooLarge()
    body = error_bytes(error, request_id_var.get())
    await send(
        {
            "type": "http.response.start",
            "status": error.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
