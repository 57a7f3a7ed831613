"""``/api/v1/tasks``: query, list and cancel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.deps import base_url, caller, container
from wanstack.logcontext import request_id_var


async def get_task(request: Request) -> Response:
    task_id: str = request.path_params["task_id"]
    who = await caller(request)
    c = container(request)
    request_id = request_id_var.get()
    task = await c.task_service.get(who, task_id)
    if task is None:
        return protocol.JSONBytes(protocol.unknown_task(task_id, request_id))

    root: str | None = None

    def url_for(key: str, expires_ms: int) -> str:
        nonlocal root
        root = root or base_url(request)  # only tasks with results pay for it, and once
        return c.storage.url(key, expires_ms=expires_ms, base_url=root)

    return protocol.JSONBytes(protocol.task_body(task, request_id, url_for))


async def list_tasks(request: Request) -> Response:
    who = await caller(request)
    page = await container(request).task_service.list(who, dict(request.query_params))
    return protocol.JSONBytes(
        {
            "request_id": request_id_var.get(),
            "total": page.total,
            "total_page": page.total_page,
            "page_no": page.page_no,
            "page_size": page.page_size,
            "data": [protocol.list_item(t) for t in page.tasks],
        }
    )


async def cancel_task(request: Request) -> Response:
    task_id: str = request.path_params["task_id"]
    who = await caller(request)
    await container(request).task_service.cancel(who, task_id)
    return protocol.JSONBytes({"request_id": request_id_var.get()})


get_task_route = Route("/api/v1/tasks/{task_id}", get_task, methods=["GET"])
routes = [
    get_task_route,
    Route("/api/v1/tasks", list_tasks, methods=["GET"]),
    Route("/api/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
]
