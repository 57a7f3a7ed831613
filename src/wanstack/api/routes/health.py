"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.deps import container
from wanstack.metrics import QUEUE_DEPTH, TASKS


async def healthz(request: Request) -> Response:
    return protocol.JSONBytes({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        async with container(request).db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return protocol.JSONBytes(
            {"status": "unavailable", "error": type(exc).__name__}, status_code=503
        )
    return protocol.JSONBytes({"status": "ready"})


async def metrics(request: Request) -> Response:
    counts = await container(request).tasks.counts()
    TASKS.clear()
    pending = 0
    for model, status, n in counts:
        TASKS.labels(model, status).set(n)
        if status == "PENDING":
            pending += n
    QUEUE_DEPTH.set(pending)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
