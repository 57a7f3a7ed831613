"""The worker pool on a real database: pickup on wake-up, partial success, cancel, drain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.media import png_data_uri
from wanstack.config import Settings
from wanstack.container import Container
from wanstack.domain import Caller, TaskStatus
from wanstack.testing import MemoryStorage

ENDPOINT = "image2image/image-synthesis"


def body(n: int = 1, size: str = "1024*1024") -> dict[str, Any]:
    return {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "fill",
            "base_image_url": png_data_uri(300, 300),
            "mask_image_url": png_data_uri(300, 300, mask=True),
        },
        "parameters": {"n": n, "size": size},
    }


@pytest.fixture
async def make_container(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Callable[..., Container]]:
    built: list[Container] = []

    def factory(**engine_options: Any) -> Container:
        settings = make_settings(
            database_url=database_url,
            engines={"wanx-x-painting": "fake"},
            engine_options={"fake": engine_options},
            poll_seconds=5.0,  # long: pickup must come from the wake-up signal, not polling
            lease_seconds=3.0,
        )
        container = Container.build(settings, storage=MemoryStorage(), migrate=False)
        built.append(container)
        return container

    yield factory
    for container in built:
        await container.shutdown()


async def caller(container: Container) -> Caller:
    await container.accounts.create_key("acct")
    keys = await container.accounts.keys("acct")
    return Caller(account_id=keys[0].account_id, api_key_id=keys[0].id, workspace=None)


async def wait_status(container: Container, task_id: str, statuses: set[TaskStatus]) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        task = await container.tasks.get(task_id)
        if task is not None and task.status in statuses:
            return task
        await asyncio.sleep(0.01)
    raise TimeoutError(statuses)


async def test_idle_worker_picks_up_on_the_wakeup_signal(
    make_container: Callable[..., Container],
) -> None:
    container = make_container()
    who = await caller(container)
    container.start_background(workers=1)
    await asyncio.sleep(0.3)  # the pool is idle, waiting (poll interval 5 s)
    delays = []
    for _ in range(5):
        task = await container.task_service.submit(
            who, ENDPOINT, body(), oss_resolve=False, request_id="r"
        )
        running = await wait_status(container, task.id, {TaskStatus.RUNNING, TaskStatus.SUCCEEDED})
        assert running.scheduled_at is not None
        delays.append(running.scheduled_at - task.submitted_at)
        await wait_status(container, task.id, {TaskStatus.SUCCEEDED})
    # Far below the 5 s poll interval: the submit woke the worker. (Speed targets live in
    # bench/; this bound only proves the wake-up path is used.)
    assert sorted(delays)[len(delays) // 2] < 1000, delays


async def test_partial_success_counts_only_successes(
    make_container: Callable[..., Container],
) -> None:
    container = make_container(fail_items=[1])
    who = await caller(container)
    container.start_background(workers=1)
    task = await container.task_service.submit(
        who, ENDPOINT, body(n=3), oss_resolve=False, request_id="r"
    )
    done = await wait_status(container, task.id, {TaskStatus.SUCCEEDED, TaskStatus.FAILED})
    assert done.status is TaskStatus.SUCCEEDED
    assert done.output["task_metrics"] == {"TOTAL": 3, "SUCCEEDED": 2, "FAILED": 1}
    assert done.usage == {"image_count": 2}
    results = done.output["results"]
    assert "key" in results[0] and "key" in results[2]
    assert results[1]["code"] == "InternalError.Timeout"
    assert done.engine == {"engine": "fake"}


async def test_all_items_failing_fails_the_task(make_container: Callable[..., Container]) -> None:
    container = make_container(fail_items=[0, 1])
    who = await caller(container)
    container.start_background(workers=1)
    task = await container.task_service.submit(
        who, ENDPOINT, body(n=2), oss_resolve=False, request_id="r"
    )
    done = await wait_status(container, task.id, {TaskStatus.SUCCEEDED, TaskStatus.FAILED})
    assert done.status is TaskStatus.FAILED
    assert done.code == "InternalError.Timeout"
    assert done.output["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 0, "FAILED": 2}


async def test_media_error_fails_with_the_seed_message(
    make_container: Callable[..., Container],
) -> None:
    container = make_container()
    who = await caller(container)
    container.start_background(workers=1)
    task = await container.task_service.submit(
        who, ENDPOINT, body(n=4, size="999*999"), oss_resolve=False, request_id="r"
    )
    done = await wait_status(container, task.id, {TaskStatus.SUCCEEDED, TaskStatus.FAILED})
    assert done.status is TaskStatus.FAILED
    assert done.code == "InvalidParameter"
    assert (
        done.message
        == "The size is not match the allowed size ['1024*1024', '720*1280', '1280*720']"
    )
    assert done.output["task_metrics"] == {"TOTAL": 4, "SUCCEEDED": 0, "FAILED": 4}


async def test_cancel_of_a_running_task_stops_the_engine(
    make_container: Callable[..., Container],
) -> None:
    container = make_container(delay=30)
    who = await caller(container)
    container.start_background(workers=1)
    task = await container.task_service.submit(
        who, ENDPOINT, body(), oss_resolve=False, request_id="r"
    )
    await wait_status(container, task.id, {TaskStatus.RUNNING})
    started = time.monotonic()
    await container.task_service.cancel(who, task.id)
    # The slot frees long before the 30 s engine delay: the engine really stopped.
    second = await container.task_service.submit(
        who, ENDPOINT, body(), oss_resolve=False, request_id="r"
    )
    await wait_status(container, second.id, {TaskStatus.RUNNING})
    assert time.monotonic() - started < 10
    final = await container.tasks.get(task.id)
    assert final is not None and final.status is TaskStatus.CANCELED
    assert not any(k.startswith(f"results/{task.id}/") for k in container.storage.files)  # type: ignore[attr-defined]
    await container.task_service.cancel(who, second.id)


async def test_shutdown_drains_running_tasks(make_container: Callable[..., Container]) -> None:
    container = make_container(delay=1.0)
    who = await caller(container)
    container.start_background(workers=1)
    task = await container.task_service.submit(
        who, ENDPOINT, body(), oss_resolve=False, request_id="r"
    )
    await wait_status(container, task.id, {TaskStatus.RUNNING})
    checker = make_container()
    await container.shutdown()
    done = await checker.tasks.get(task.id)
    assert done is not None and done.status is TaskStatus.SUCCEEDED


async def test_a_reclaimed_task_deletes_what_a_killed_attempt_stored(
    make_container: Callable[..., Container],
) -> None:
    """A worker killed between storing its result and recording it leaves files under its
    attempt's folder; the attempt that re-claims the task deletes them before it runs."""
    container = make_container()
    who = await caller(container)
    task = await container.task_service.submit(
        who, ENDPOINT, body(), oss_resolve=False, request_id="r"
    )
    dead = await container.tasks.claim(owner="killed", now=0, lease_ms=10, max_attempts=3)
    assert dead is not None and dead.id == task.id and dead.attempts == 1
    orphan = f"results/{task.id}/1/left-behind.png"
    await container.storage.put(orphan, b"\x89PNG stored, never recorded", "image/png")
    container.start_background(workers=1)
    done = await wait_status(container, task.id, {TaskStatus.SUCCEEDED})
    assert done.attempts == 2
    files = container.storage.files  # type: ignore[attr-defined]
    assert orphan not in files
    assert {k.split("/")[2] for k in files if k.startswith(f"results/{task.id}/")} == {"2"}
