"""A database that cannot be reached is a quick DashScope-shaped 503, never a hang or an HTML
page: here a PostgreSQL address that accepts connections and never answers (a black-holed or
frozen server), so only the bounded connect timeout ends the wait. The outage of a real server
that stops and comes back is tested with real processes in
``tests/acceptance/test_database_outage.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from tests.api.conftest import BoundedClient
from wanstack.api.app import create_app
from wanstack.config import Settings
from wanstack.container import Container


async def test_a_database_that_never_answers_is_a_quick_503(
    make_settings: Callable[..., Settings],
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # keep the connection open, and say nothing

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    settings = make_settings(
        database_url=f"postgresql+psycopg://wanstack@127.0.0.1:{port}/wanstack",
        database_timeout_seconds=2,
    )
    container = Container.build(settings, migrate=False)
    app = create_app(container, workers=0)
    try:
        async with BoundedClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            started = time.perf_counter()
            resp = await client.get(
                "/api/v1/tasks/7c1b3ac4-3d5c-4bd4-9a58-2f8c1f0e6a11",
                headers={"Authorization": "Bearer sk-0123456789abcdef0123456789abcdef"},
            )
            took = time.perf_counter() - started
    finally:
        listener.close()
        for writer in accepted:
            writer.close()
        await container.shutdown()
    assert accepted, "the app never tried the database"
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == "ServiceUnavailable"
    assert body["message"] == "The database is unavailable, please try again later."
    assert body["request_id"] == resp.headers["x-request-id"]
    assert 1.5 <= took < 4.0, f"answered after {took:.2f} s (connect timeout: 2 s)"
