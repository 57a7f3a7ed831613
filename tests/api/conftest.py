"""Fixtures of the API tier: a running app per test, over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.support import MODEL, Api, MakeApi
from wanstack.api.app import create_app
from wanstack.clock import Clock
from wanstack.container import Container
from wanstack.testing import FrozenClock

#: No request may take longer than this: a hung app fails its test instead of the whole run.
REQUEST_TIMEOUT = 5.0


class BoundedClient(httpx.AsyncClient):
    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return await asyncio.wait_for(super().send(request, **kwargs), REQUEST_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"{request.method} {request.url} got no answer in {REQUEST_TIMEOUT} s: the app hung"
            ) from None


#: Stopping an app (lifespan exit: background tasks, connections) must not take longer.
SHUTDOWN_TIMEOUT = 20.0


def _describe_tasks() -> str:
    lines = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task():
            continue
        out = io.StringIO()
        task.print_stack(limit=6, file=out)
        lines.append(out.getvalue())
    return "\n".join(lines)


@pytest.fixture
async def make_api(database_url: str, make_settings: Any) -> AsyncIterator[MakeApi]:
    """Factory of running apps over this test's database; ``make_api(rate_limits=...)``."""
    stack = contextlib.AsyncExitStack()

    async def factory(clock: Clock | None = None, **overrides: Any) -> Api:
        settings = make_settings(database_url=database_url, engines={MODEL: "fake"}, **overrides)
        clock = clock or FrozenClock()
        assert isinstance(clock, FrozenClock)
        # database_url is migrated already (and PostgreSQL copies a migrated template)
        container = Container.build(settings, clock=clock, migrate=False)
        app = create_app(container, workers=0)
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = BoundedClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await stack.enter_async_context(client)
        return Api(container=container, app=app, client=client, clock=clock)

    yield factory
    closing = asyncio.ensure_future(stack.aclose())
    done, _ = await asyncio.wait({closing}, timeout=SHUTDOWN_TIMEOUT)
    if not done:
        dump = _describe_tasks()
        closing.cancel()
        pytest.fail(f"the app did not shut down in {SHUTDOWN_TIMEOUT} s; tasks:\n{dump}")
    closing.result()


@pytest.fixture
async def api(make_api: MakeApi) -> Api:
    return await make_api()


@pytest.fixture
async def key(api: Api) -> str:
    return await api.key("acct")
