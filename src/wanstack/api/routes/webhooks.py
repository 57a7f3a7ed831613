"""``/api/v1/webhooks`` (a wanstack extension): an account's endpoints and their deliveries.

Routes only translate: the rules (URL checks, scoping, limits) are in
:mod:`wanstack.webhooks.service`. Endpoints are scoped like tasks: a caller in a workspace sees
and registers that workspace's endpoints only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.body import parse_json, read_limited
from wanstack.api.deps import caller, container
from wanstack.errors import BadRequest, InvalidParameter
from wanstack.logcontext import request_id_var
from wanstack.webhooks.service import Delivery, Endpoint

MAX_BODY_BYTES = 16 * 1024


def _endpoint(ep: Endpoint) -> dict[str, Any]:
    return {"id": ep.id, "url": ep.url, "workspace": ep.workspace, "created_at": ep.created_at}


def _delivery(item: Delivery) -> dict[str, Any]:
    body = asdict(item)
    body["attempt_log"] = body.pop("history")
    return body


async def create(request: Request) -> Response:
    who = await caller(request)
    body = await parse_json(await read_limited(request, MAX_BODY_BYTES))
    if not isinstance(body, dict):
        raise BadRequest('The body must be a JSON object: {"url": "https://…"}.')
    made = await container(request).webhooks.add(who.account_id, who.workspace, body.get("url"))
    data = {**_endpoint(made.endpoint), "secret": made.secret}
    return protocol.JSONBytes({"request_id": request_id_var.get(), "data": data})


async def list_endpoints(request: Request) -> Response:
    who = await caller(request)
    found = await container(request).webhooks.endpoints(who.account_id, who.workspace)
    return protocol.JSONBytes(
        {"request_id": request_id_var.get(), "data": [_endpoint(ep) for ep in found]}
    )


async def remove(request: Request) -> Response:
    who = await caller(request)
    endpoint_id: str = request.path_params["endpoint_id"]
    await container(request).webhooks.remove(who.account_id, who.workspace, endpoint_id)
    return protocol.JSONBytes({"request_id": request_id_var.get()})


async def deliveries(request: Request) -> Response:
    who = await caller(request)
    query = request.query_params
    raw_limit = query.get("limit") or "50"
    if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 4):
        raise InvalidParameter(f"limit must be an integer from 1 to 200, got {raw_limit[:20]!r}")
    found = await container(request).webhooks.deliveries(
        who.account_id,
        who.workspace,
        endpoint_id=query.get("endpoint_id") or None,
        task_id=query.get("task_id") or None,
        limit=int(raw_limit),
    )
    return protocol.JSONBytes(
        {"request_id": request_id_var.get(), "data": [_delivery(d) for d in found]}
    )


routes = [
    Route("/api/v1/webhooks", create, methods=["POST"]),
    Route("/api/v1/webhooks", list_endpoints, methods=["GET"]),
    Route("/api/v1/webhooks/deliveries", deliveries, methods=["GET"]),
    Route("/api/v1/webhooks/{endpoint_id}", remove, methods=["DELETE"]),
]
