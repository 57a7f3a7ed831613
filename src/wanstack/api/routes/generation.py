"""The synchronous endpoint (``multimodal-generation/generation``, wan2.6-image): JSON or SSE.

A sync request is an ordinary task underneath: it is validated and stored like any submit, a
worker (embedded or separate) runs it, and this handler waits for it to finish, so engines
never run on the event loop, the concurrency and account limits apply, and the images are
stored and served at signed URLs like any other result. The task stays listed under
``GET /tasks``. If the client goes away, or no worker finishes it within
:data:`SYNC_TIMEOUT_S`, the task is cancelled.

SSE is on when the client sends ``X-DashScope-SSE: enable``, ``Accept: text/event-stream`` or
``parameters.stream: true`` (contract §4.1); errors are then ``event:error`` frames on a 200
stream, as DashScope sends them (§5.5).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from wanstack.api import protocol
from wanstack.api.deps import base_url, container, header_enabled
from wanstack.api.handlers import error_response
from wanstack.domain import Caller, Task, TaskStatus
from wanstack.errors import InternalError, ServiceError, UnsupportedOperation
from wanstack.logcontext import request_id_var
from wanstack.task.service import scope_of

#: Longest a sync request waits for its task (CPU engines at 1280*1280 with n=4 take a while).
SYNC_TIMEOUT_S = 900.0
#: Task status polling: fast at first (the fake engine answers in milliseconds), then gently.
POLL_FIRST_S = 0.02
POLL_MAX_S = 0.25
TIMEOUT_MESSAGE = (
    "An internal timeout error has occured during execution, please try again later or contact "
    "service support."
)
SSE_MEDIA_TYPE = "text/event-stream;charset=UTF-8"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def wants_stream(request: Request, body: Any) -> bool:
    if header_enabled(request, "x-dashscope-sse"):
        return True
    if "text/event-stream" in request.headers.get("accept", "").lower():
        return True
    parameters = body.get("parameters") if isinstance(body, dict) else None
    return isinstance(parameters, dict) and parameters.get("stream") is True


def _sse(payload_frames: list[bytes]) -> Response:
    return Response(b"".join(payload_frames), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)


def _error(exc: ServiceError, stream: bool) -> Response:
    if not stream:
        return error_response(exc)
    payload = protocol.error_body(exc.code, exc.message, request_id_var.get())
    return _sse([protocol.sse_event(1, payload, status=exc.http_status)])


def _task_error(task: Task) -> ServiceError:
    """The error a FAILED (or cancelled) sync task answers with: a client's mistake (bad media)
    is a 400, anything else a 500, with the task's own code and message."""
    if task.status is TaskStatus.CANCELED:
        return InternalError("The request was cancelled before it finished.")
    error = ServiceError(task.message or None, code=task.code or "InternalError.Algo")
    client_side = error.code.startswith(("InvalidParameter", "BadRequest"))
    error.http_status = 400 if client_side else 500
    return error


async def _finished(request: Request, caller: Caller, task: Task) -> Task | None:
    """Wait until ``task`` is final; None if the client went away (the task is cancelled)."""
    c = container(request)
    scope = scope_of(caller)
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    delay = POLL_FIRST_S
    while True:
        # The repository directly, not TaskService.get: these polls are not the client's
        # queries and must not count against its query rate limit.
        current = await c.tasks.get(task.id, scope)
        if current is None:
            raise InternalError()
        if current.status.is_final:
            return current
        gone = await request.is_disconnected()
        if gone or time.monotonic() > deadline:
            with contextlib.suppress(UnsupportedOperation):  # it finished meanwhile
                await c.task_service.cancel(caller, task.id)
            if gone:
                return None
            raise InternalError(TIMEOUT_MESSAGE, code="InternalError.Timeout")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, POLL_MAX_S)


async def generate(request: Request, caller: Caller, endpoint: str, body: Any) -> Response:
    """Run a sync generation request to the end and answer it as JSON or SSE."""
    stream = wants_stream(request, body)
    c = container(request)
    request_id = request_id_var.get()
    try:
        task = await c.task_service.submit(
            caller,
            endpoint,
            body,
            oss_resolve=header_enabled(request, "x-dashscope-ossresourceresolve"),
            request_id=request_id,
        )
        final = await _finished(request, caller, task)
    except ServiceError as exc:
        return _error(exc, stream)
    if final is None:
        return Response(status_code=499)  # nobody is listening any more
    if final.status is not TaskStatus.SUCCEEDED:
        return _error(_task_error(final), stream)
    root = base_url(request)

    def url_for(key: str, expires_ms: int) -> str:
        return c.storage.url(key, expires_ms=expires_ms, base_url=root)

    answer = protocol.generation_body(final, request_id, url_for)
    if not stream:
        return protocol.JSONBytes(answer)
    chunks = protocol.generation_chunks(answer)
    return _sse([protocol.sse_event(i + 1, chunk) for i, chunk in enumerate(chunks)])
