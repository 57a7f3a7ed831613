"""Crashes and restarts of real processes: no accepted task is ever lost.

Every test runs real ``wanstack serve`` / ``wanstack worker`` processes on one database (SQLite
file, then a real PostgreSQL), kills some with SIGKILL or SIGTERM, and checks the tasks' fates.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Client, Deployment
from wanstack.config import Settings
from wanstack.container import Container


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Iterator[Deployment]:
    dep = Deployment(
        data_dir=tmp_path / "data",
        env_overrides={
            "WANSTACK_SECRET_KEY": "acceptance-secret",
            "WANSTACK_DATABASE_URL": database_url,
            "WANSTACK_ENGINES": json.dumps({"wanx-x-painting": "fake"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": 2.5}}),
            "WANSTACK_LEASE_SECONDS": "2",
            "WANSTACK_POLL_SECONDS": "0.2",
        },
    )
    try:
        yield dep
    except BaseException:
        print(dep.logs())
        raise
    finally:
        dep.kill_all()


def attempts_of(dep: Deployment, task_id: str) -> int:
    """Read the stored attempt counter straight from the database."""

    async def read() -> int:
        settings = Settings(
            data_dir=dep.data_dir, database_url=dep.env_overrides["WANSTACK_DATABASE_URL"]
        )
        container = Container.build(settings, migrate=False)
        try:
            task = await container.tasks.get(task_id)
            assert task is not None
            return task.attempts
        finally:
            await container.db.dispose()

    return asyncio.run(read())


def test_sigkill_of_a_worker_mid_task_loses_nothing(deployment: Deployment) -> None:
    server = deployment.serve("--workers", "0")  # API only
    client = Client(server.base_url, deployment.create_key())
    doomed = deployment.worker("worker-a")
    task_id = client.submit(n=2)
    client.wait_for(task_id, {"RUNNING"}, timeout=20)
    doomed.kill()
    assert client.status(task_id)["task_status"] == "RUNNING"  # nobody knows it died yet
    deployment.worker("worker-b")
    out = client.wait_for(task_id, {"SUCCEEDED", "FAILED"}, timeout=40)
    assert out["task_status"] == "SUCCEEDED", out
    assert out["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 2, "FAILED": 0}
    assert attempts_of(deployment, task_id) == 2
    results = out["results"]
    assert isinstance(results, list)
    for item in results:
        assert httpx.get(item["url"], timeout=10).status_code == 200


def test_server_crash_with_pending_tasks_loses_none(deployment: Deployment) -> None:
    server = deployment.serve("--workers", "0")
    key = deployment.create_key()
    client = Client(server.base_url, key)
    task_ids = [client.submit() for _ in range(5)]
    assert {client.status(t)["task_status"] for t in task_ids} == {"PENDING"}
    server.kill()
    # Restart on the same database, now with workers.
    deployment.env_overrides["WANSTACK_ENGINE_OPTIONS"] = json.dumps({"fake": {"delay": 0.1}})
    client2 = Client(deployment.serve("--workers", "2").base_url, key)
    for task_id in task_ids:
        out = client2.wait_for(task_id, {"SUCCEEDED", "FAILED", "CANCELED"}, timeout=30)
        assert out["task_status"] == "SUCCEEDED", out


def test_sigterm_drains_the_running_task_then_exits(deployment: Deployment) -> None:
    server = deployment.serve("--workers", "1")
    client = Client(server.base_url, deployment.create_key())
    task_id = client.submit()
    client.wait_for(task_id, {"RUNNING"}, timeout=20)
    started = time.monotonic()
    assert server.stop(timeout=30) == 0
    assert time.monotonic() - started >= 0.5  # it waited for the task instead of dropping it
    # The task finished before the process exited: read it through a fresh API process.
    server2 = deployment.serve("--workers", "0")
    out = Client(server2.base_url, deployment.create_key()).status(task_id)
    assert out["task_status"] == "SUCCEEDED", out


def test_worker_sigterm_gives_unfinished_work_back(deployment: Deployment) -> None:
    deployment.env_overrides["WANSTACK_DRAIN_SECONDS"] = "0.5"
    deployment.env_overrides["WANSTACK_ENGINE_OPTIONS"] = json.dumps({"fake": {"delay": 30}})
    server = deployment.serve("--workers", "0")
    client = Client(server.base_url, deployment.create_key())
    worker = deployment.worker("worker-a")
    task_id = client.submit()
    client.wait_for(task_id, {"RUNNING"}, timeout=20)
    assert worker.stop(timeout=30) == 0
    # Drain time ran out, so the task went straight back to the queue (not left to a lease).
    assert client.status(task_id)["task_status"] == "PENDING"


def test_rate_limits_hold_across_api_processes(deployment: Deployment) -> None:
    deployment.env_overrides["WANSTACK_RATE_LIMITS"] = "dashscope"
    servers = [deployment.serve("--workers", "0") for _ in range(2)]
    key = deployment.create_key()
    clients = [httpx.Client(base_url=s.base_url, timeout=10) for s in servers]
    body = {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "x",
            "base_image_url": "https://example.com/a.png",
            "mask_image_url": "https://example.com/b.png",
        },
    }
    headers = {"Authorization": f"Bearer {key}", "X-DashScope-Async": "enable"}
    codes = []
    for i in range(6):  # 6 submits within well under 2 s: some window holds 3 or more
        r = clients[i % 2].post(
            "/api/v1/services/aigc/image2image/image-synthesis", json=body, headers=headers
        )
        codes.append(r.status_code)
        if r.status_code == 429:
            assert r.json()["code"] == "Throttling.RateQuota"
            assert r.headers["retry-after"] == "1"
    assert 429 in codes
    assert codes.count(200) >= 2
