"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from wanstack.api import protocol
from wanstack.api.deps import container
from wanstack.metrics import QUEUE_DEPTH, TASKS

router = APIRouter()


@router.get("/healthz")
async def healthz() -> Response:
    return protocol.JSONBytes({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    try:
        async with container(request).db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return protocol.JSONBytes(
            {"status": "unavailable", "error": type(exc).__name__}, status_code=503
        )
    return protocol.JSONBytes({"status": "ready"})


@router.get("/metrics")
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
