"""``create_app``: the FastAPI application, its routes, error handling and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from wanstack import __version__
from wanstack.api import handlers
from wanstack.api.middleware import BodyLimit, RequestContext
from wanstack.api.routes import files, health, services, tasks, uploads, webhooks
from wanstack.container import Container
from wanstack.web import routes as playground

MAX_BODY_BYTES = 128 * 1024 * 1024


def create_app(container: Container, *, workers: int = 0) -> FastAPI:
    """The ASGI app over ``container``; with ``workers`` > 0 it also runs that many embedded
    task slots for its lifetime (``wanstack serve``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with container.running(workers=workers):
            yield

    app = FastAPI(
        title="wanstack",
        version=__version__,
        description="DashScope-compatible image and video generation, self-hosted.",
        lifespan=lifespan,
        # The DashScope routes are plain Starlette routes that parse the wire format themselves
        # (docs/api-compatibility.md is their reference), so a generated schema would be empty.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.container = container
    # RequestContext already answers every route with and without a trailing slash; Starlette's
    # own redirect would send "/files/" to itself forever.
    app.router.redirect_slashes = False
    handlers.install(app)
    # Plain Starlette routes, hot ones first: the handlers parse DashScope's wire format
    # themselves (api/protocol.py), so FastAPI's per-parameter dependency solving would only
    # add cost (measured: about 15 µs of a ~110 µs task query).
    hot = [tasks.get_task_route, services.submit_route]
    app.router.routes.extend(hot)
    for module in (tasks, services, uploads, files, health, webhooks):
        app.router.routes.extend(r for r in module.routes if r not in hot)
    # The browser playground: `/`, `/playground` and its versioned static files.
    app.router.routes.extend(playground.routes())
    # Hard cap on any request body, as JSON (uploads are the largest: 100 MB plus form
    # overhead); routes read with lower limits of their own.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RequestContext, container=container)
    return app
