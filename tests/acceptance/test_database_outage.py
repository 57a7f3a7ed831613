"""A PostgreSQL outage under real processes: ``wanstack serve --workers 0`` and a ``wanstack
worker`` on a private PostgreSQL server that the test stops (immediately, like a crash) while
tasks run, and starts again.

While it is down the API answers every request with a DashScope-shaped ``503
ServiceUnavailable`` at once (no hang, no HTML) and ``/readyz`` says not ready; when it is back
both processes recover by themselves; the worker keeps its running tasks' leases (the outage is
shorter than a lease) and stores their results; every accepted task SUCCEEDS, each run once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI
from tests.support.media import png_data_uri
from tests.support.postgres import PostgresServer, find_bindir
from tests.support.processes import Client, Deployment
from wanstack.config import Settings
from wanstack.container import Container
from wanstack.domain import Task

pytestmark = pytest.mark.postgres

OUTAGE_S = 3.0
TASK_S = 2.0  # each task outlives the outage's start, and its results are stored after it


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is stopped and restarted, which the shared one must not."""
    if find_bindir() is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries are required in CI (install postgresql)")
        pytest.skip("PostgreSQL binaries not found; the postgres tier runs in CI")
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


def tasks_of(dep: Deployment, ids: list[str]) -> list[Task]:
    async def read() -> list[Task]:
        settings = Settings(
            data_dir=dep.data_dir, database_url=dep.env_overrides["WANSTACK_DATABASE_URL"]
        )
        container = Container.build(settings, migrate=False)
        try:
            found = [await container.tasks.get(i) for i in ids]
            return [t for t in found if t is not None]
        finally:
            await container.db.dispose()

    return asyncio.run(read())


def timed(call: httpx.Client, method: str, path: str, **kw: object) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    resp = call.request(method, path, **kw)  # type: ignore[arg-type]
    return resp, time.perf_counter() - started


def test_an_outage_is_503_at_once_then_heals_and_loses_nothing(
    tmp_path: Path, private_postgres: PostgresServer
) -> None:
    dep = Deployment(
        data_dir=tmp_path / "data",
        env_overrides={
            "WANSTACK_SECRET_KEY": "acceptance-secret",
            "WANSTACK_DATABASE_URL": private_postgres.create_database(),
            "WANSTACK_ENGINES": json.dumps({"wanx-x-painting": "fake"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": TASK_S}}),
            "WANSTACK_POLL_SECONDS": "0.2",
            "WANSTACK_DATABASE_TIMEOUT_SECONDS": "2",
        },
    )
    try:
        worker = dep.worker("worker", "--concurrency", "4")
        server = dep.serve("--workers", "0")
        client = Client(server.base_url, server.api_key)
        ids = [client.submit() for _ in range(4)]
        deadline = time.monotonic() + 30
        while any(client.status(i)["task_status"] != "RUNNING" for i in ids):
            assert time.monotonic() < deadline, "the worker never took all four tasks"
            time.sleep(0.05)

        private_postgres.pause()
        down = time.monotonic()
        answers = [
            timed(client.http, "GET", f"/api/v1/tasks/{ids[0]}"),
            timed(client.http, "GET", "/api/v1/tasks"),
            timed(
                client.http,
                "POST",
                "/api/v1/services/aigc/image2image/image-synthesis",
                json={
                    "model": "wanx-x-painting",
                    "input": {
                        "prompt": "fill it",
                        "base_image_url": png_data_uri(300, 300),
                        "mask_image_url": png_data_uri(300, 300, mask=True),
                    },
                },
                headers={"X-DashScope-Async": "enable"},
            ),
        ]
        ready = httpx.get(server.base_url + "/readyz", timeout=10)
        for resp, took in answers:
            assert resp.status_code == 503, resp.text
            assert resp.headers["content-type"].startswith("application/json")
            body = resp.json()
            assert body["code"] == "ServiceUnavailable", body
            assert "database is unavailable" in body["message"]
            assert body["request_id"] == resp.headers["x-request-id"]
            assert took < 1.0, f"{resp.request.url.path} took {took:.2f} s during the outage"
        assert ready.status_code == 503
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
        private_postgres.resume()

        # both processes heal by themselves: the first 200 comes within seconds
        back = time.monotonic()
        while True:
            resp = client.http.get(f"/api/v1/tasks/{ids[0]}")
            if resp.status_code == 200:
                break
            assert resp.status_code == 503, resp.text
            assert time.monotonic() - back < 10, "the API did not recover within 10 s"
            time.sleep(0.1)
        healed = time.monotonic() - back
        for _ in range(10):  # and stays healed: no stale pooled connection fails a request
            assert client.http.get(f"/api/v1/tasks/{ids[0]}").status_code == 200
        ids.append(client.submit())  # submits are accepted again
        for task_id in ids:
            assert client.wait_for(task_id, {"SUCCEEDED", "FAILED"})["task_status"] == "SUCCEEDED"
        assert [t.attempts for t in tasks_of(dep, ids)] == [1] * 5, "a task ran twice"
        print(f"outage {OUTAGE_S:.0f} s: 503s in {max(t for _, t in answers) * 1000:.0f} ms "
              f"at most; first 200 {healed * 1000:.0f} ms after the server was back")  # fmt: skip
        assert server.stop() == 0 and worker.stop() == 0
    except BaseException:
        print(dep.logs())
        raise
    finally:
        dep.kill_all()
