"""The synchronous endpoint (``multimodal-generation/generation``, wan2.6-image): JSON or SSE.

A sync request is an ordinary task underneath: it is validated and stored like any submit, a
worker (embedded or separate) runs it, and :meth:`TaskService.follow` waits on it, so engines
never run on the event loop, the concurrency and account limits apply, and the images are
stored and served at signed URLs like any other result. The task stays listed under
``GET /tasks``; if the client goes away, or the task is not done within the sync timeout, it is
cancelled.

SSE is on when the client sends ``X-DashScope-SSE: enable``, ``Accept: text/event-stream`` or
``parameters.stream: true`` (contract §4.1). The answer then streams: each image's frame is sent
as soon as the next image exists (the frame that turns out to be the last one says
``finish_reason: "stop"``, so it waits for the task's end), with no ``content-length``, and an
SSE comment every ``WANSTACK_SSE_KEEPALIVE_SECONDS`` (15 s) while nothing is ready, so proxies
and clients with read timeouts do not cut a long generation. Errors are ``event:error`` frames on
the 200 stream, as DashScope sends them (§5.5).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from wanstack.api import protocol
from wanstack.api.deps import base_url, container, header_enabled
from wanstack.api.handlers import error_response, sse_error
from wanstack.catalog import SYNC_ENDPOINTS
from wanstack.domain import Caller, Task, TaskStatus
from wanstack.errors import InternalError, ServiceError, TaskFailed
from wanstack.logcontext import request_id_var

KEEPALIVE = b": keep-alive\n\n"
SSE_MEDIA_TYPE = "text/event-stream;charset=UTF-8"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def wants_stream(request: Request, body: Any) -> bool:
    if header_enabled(request, "x-dashscope-sse"):
        return True
    if "text/event-stream" in request.headers.get("accept", "").lower():
        return True
    parameters = body.get("parameters") if isinstance(body, dict) else None
    return isinstance(parameters, dict) and parameters.get("stream") is True


def _failure(task: Task) -> ServiceError:
    """What a FAILED (or cancelled) sync task answers with."""
    if task.status is TaskStatus.CANCELED:
        return InternalError("The request was cancelled before it finished.")
    return TaskFailed.of(task.code, task.message)


async def generate(request: Request, caller: Caller, endpoint: str, body: Any) -> Response:
    """Run a sync generation request to the end and answer it as JSON or SSE."""
    stream = wants_stream(request, body)
    c = container(request)
    try:
        task = await c.task_service.submit(
            caller,
            endpoint,
            body,
            oss_resolve=header_enabled(request, "x-dashscope-ossresourceresolve"),
            request_id=request_id_var.get(),
        )
    except ServiceError as exc:
        if not stream:
            return error_response(exc)
        return Response(sse_error(exc, 1), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
    if stream:
        frames = _frames(request, caller, task, c.settings.sse_keepalive_seconds)
        return StreamingResponse(frames, media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
    final: Task | None = None
    try:
        async for snapshot in c.task_service.follow(caller, task.id, gone=request.is_disconnected):
            final = snapshot
    except ServiceError as exc:
        return error_response(exc)
    if final is None or not final.status.is_final:
        return Response(status_code=499)  # the client went away; nobody is listening
    if final.status is not TaskStatus.SUCCEEDED:
        return error_response(_failure(final))
    if endpoint not in SYNC_ENDPOINTS:  # an async endpoint's sync mode: the finished task
        return protocol.JSONBytes(protocol.task_body(final, request_id_var.get(), _urls(request)))
    return protocol.JSONBytes(protocol.generation_body(final, request_id_var.get(), _urls(request)))


def _urls(request: Request) -> protocol.UrlFor:
    c = container(request)
    root = base_url(request)

    def url_for(key: str, expires_ms: int) -> str:
        return c.storage.url(key, expires_ms=expires_ms, base_url=root)

    return url_for


async def _frames(
    request: Request, caller: Caller, task: Task, keepalive_s: float
) -> AsyncIterator[bytes]:
    """The SSE answer: a frame per image as the task makes them (each sent once the next one
    exists, the last at the task's end), keep-alive comments between, an error frame on
    failure.

    The task is followed by a separate asyncio task feeding a queue: when the client goes away,
    Starlette cancels this generator, and cancelling the follower then cancels the generation
    (the follower's own cleanup is not subject to the cancelled stream's scope).
    """
    c = container(request)
    url_for = _urls(request)
    request_id = request_id_var.get()
    updates: asyncio.Queue[Task | ServiceError | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for snapshot in c.task_service.follow(caller, task.id, gone=_never):
                updates.put_nowait(snapshot)
        except ServiceError as exc:
            updates.put_nowait(exc)
        updates.put_nowait(None)

    follower = asyncio.create_task(pump(), name=f"follow-{task.id}")
    _FOLLOWERS.add(follower)
    follower.add_done_callback(_FOLLOWERS.discard)
    sent = 0  # image frames sent
    try:
        while True:
            try:
                update = await asyncio.wait_for(updates.get(), keepalive_s)
            except TimeoutError:
                yield KEEPALIVE
                continue
            if update is None:
                return
            if isinstance(update, ServiceError):
                yield sse_error(update, sent + 1)
                return
            if update.status.is_final and update.status is not TaskStatus.SUCCEEDED:
                yield sse_error(_failure(update), sent + 1)
                return
            final = update.status is TaskStatus.SUCCEEDED
            answer = _answer(update, final, request_id, url_for)
            if answer is None:
                continue
            chunks = protocol.generation_chunks(answer, final=final)
            # While running, the newest image waits: only the end says which frame is last.
            for chunk in (chunks if final else chunks[:-1])[sent:]:
                sent += 1
                yield protocol.sse_event(sent, chunk)
            if final:
                return
    finally:
        follower.cancel()  # a no-op once it ended; else it cancels the task


#: Followers of streamed answers (a reference keeps a running asyncio task alive).
_FOLLOWERS: set[asyncio.Task[None]] = set()


async def _never() -> bool:
    return False  # a streamed answer learns of a departed client by being cancelled


def _answer(
    task: Task, final: bool, request_id: str, url_for: protocol.UrlFor
) -> dict[str, Any] | None:
    """The sync answer for the task as it stands: final, or its partial output so far."""
    if final:
        return protocol.generation_body(task, request_id, url_for)
    if task.partial is None:
        return None
    return protocol.partial_generation_body(task, request_id, url_for)
