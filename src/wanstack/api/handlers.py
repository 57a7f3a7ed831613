"""The only place where exceptions become HTTP answers: DashScope error envelopes, always JSON,
or ``event:error`` frames inside an SSE stream.

A client's mistake is a 4xx with a code and a message naming the field; anything unexpected is a
500 ``InternalError`` with the request id (the traceback goes to the log, never to the client).
The HTTP status comes from the exception's class (:mod:`wanstack.errors`), never from patching an
instance.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from wanstack.api.protocol import JSONBytes, error_body, sse_event
from wanstack.errors import (
    BadRequest,
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    Throttled,
)
from wanstack.logcontext import request_id_var


def error_response(exc: ServiceError, headers: dict[str, str] | None = None) -> Response:
    headers = dict(headers or {})
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONBytes(
        error_body(exc.code, exc.message, request_id_var.get()),
        status_code=exc.http_status,
        headers=headers,
    )


def error_bytes(exc: ServiceError, request_id: str) -> bytes:
    """The JSON body of an error, for layers that write raw ASGI messages or raw HTTP."""
    return json.dumps(error_body(exc.code, exc.message, request_id), ensure_ascii=False).encode()


def sse_error(exc: ServiceError, event_id: int) -> bytes:
    """An error inside an SSE answer: an ``event:error`` frame carrying the error's status
    (DashScope's in-band errors, contract §5.5)."""
    payload = error_body(exc.code, exc.message, request_id_var.get())
    return sse_event(event_id, payload, status=exc.http_status)


async def _service_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(NotFound(f"Not found! No route {request.url.path}"))
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        return error_response(
            MethodNotAllowed(f"Method {request.method} is not allowed on {request.url.path}"),
            {"Allow": allow} if allow else None,
        )
    if exc.status_code == 413:
        return error_response(PayloadTooLarge())
    if exc.status_code < 500:
        return error_response(BadRequest(str(exc.detail), code="BadRequest"))
    return error_response(InternalError())


async def _client_gone(_: Request, exc: Exception) -> Response:
    # The client closed the connection (or was cut off for sending too slowly) while its body
    # was being read: nobody will read an answer, and it is not a server error to log.
    return Response(status_code=499)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
    return error_response(InvalidParameter(f"{where}: {first.get('msg', 'invalid value')}"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
