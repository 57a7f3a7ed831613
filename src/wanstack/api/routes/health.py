"""Liveness, readiness and Prometheus metrics.

``/readyz`` is ready when the database answers and storage has more free space than
``WANSTACK_MIN_FREE_DISK_MB`` (a full disk refuses every submit, so a balancer should stop
sending them). ``/metrics`` carries per-model task counts, the live and dead workers of the
registry and ``wanstack_tasks_unserved{model}``: PENDING tasks no live worker serves;
``WANSTACK_METRICS_TOKEN`` puts it behind ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.deps import caller, container
from wanstack.errors import InvalidApiKey
from wanstack.metrics import QUEUE_DEPTH, TASKS, TASKS_UNSERVED, WORKERS


async def models(request: Request) -> Response:
    """``GET /api/v1/models`` (a wanstack extension): what this server serves, by model."""
    await caller(request)
    return protocol.JSONBytes({"models": container(request).served_models()})


async def healthz(request: Request) -> Response:
    return protocol.JSONBytes({"status": "ok"})


async def readyz(request: Request) -> Response:
    reason = await container(request).readiness()
    if reason is not None:
        return protocol.JSONBytes({"status": "unavailable", "error": reason}, status_code=503)
    return protocol.JSONBytes({"status": "ready"})


async def metrics(request: Request) -> Response:
    token = container(request).settings.metrics_token
    if token is not None:
        expected = "Bearer " + token.get_secret_value()
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise InvalidApiKey("/metrics needs Authorization: Bearer <WANSTACK_METRICS_TOKEN>.")
    counts = await container(request).task_service.counts()
    TASKS.clear()
    pending = 0
    for model, status, n in counts:
        TASKS.labels(model, status).set(n)
        if status == "PENDING":
            pending += n
    QUEUE_DEPTH.set(pending)
    c = container(request)
    workers = await c.workers.workers(now=c.clock.now_ms())
    live = sum(w.live for w in workers)
    WORKERS.labels("live").set(live)
    WORKERS.labels("dead").set(len(workers) - live)
    TASKS_UNSERVED.clear()
    for model, n in (await c.workers.unserved(now=c.clock.now_ms(), workers=workers)).items():
        TASKS_UNSERVED.labels(model).set(n)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/api/v1/models", models, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
