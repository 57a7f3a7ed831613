"""``POST /api/v1/services/aigc/{group}/{function}``: every submit endpoint.

Asynchronous endpoints answer with a task id; the sync one (wan2.6-image) is answered by
:mod:`wanstack.api.routes.generation`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.body import parse_json, read_limited
from wanstack.api.deps import caller, container, header_enabled
from wanstack.api.routes.generation import generate
from wanstack.catalog import check_endpoint, endpoint_rule
from wanstack.logcontext import request_id_var

#: Two 10 MB images as base64 data: URIs fit with room to spare.
MAX_SUBMIT_BYTES = 32 * 1024 * 1024


async def submit(request: Request) -> Response:
    endpoint = "{group}/{function}".format_map(request.path_params)
    who = await caller(request)
    check_endpoint(endpoint)
    body = await parse_json(await read_limited(request, MAX_SUBMIT_BYTES))
    model = body.get("model") if isinstance(body, dict) else None
    sync = endpoint_rule(endpoint, model, async_header=header_enabled(request, "x-dashscope-async"))
    if sync:
        return await generate(request, who, endpoint, body)
    request_id = request_id_var.get()
    task = await container(request).task_service.submit(
        who,
        endpoint,
        body,
        oss_resolve=header_enabled(request, "x-dashscope-ossresourceresolve"),
        request_id=request_id,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return protocol.JSONBytes(protocol.submitted(task, request_id))


submit_route = Route("/api/v1/services/aigc/{group}/{function}", submit, methods=["POST"])
routes = [submit_route]
