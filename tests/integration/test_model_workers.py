"""Model-aware workers on both databases: the claim's model filter, the worker registry, tasks
no worker serves, and per-model caps measured on real worker pools (fake engines with a delay).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.media import png_data_uri
from wanstack.config import Settings
from wanstack.container import Container
from wanstack.db.engine import create_async
from wanstack.domain import Caller, Task, TaskStatus
from wanstack.task.repository import TaskRepository
from wanstack.testing import MemoryStorage
from wanstack.worker.registry import PURGE_AFTER_MS, WorkerInfo, WorkerRegistry

T0 = 1_767_225_600_000
PAINT, T2V, IMAGE = "wanx-x-painting", "wan2.6-t2v", "wan2.6-image"


def make_task(model: str, at: int) -> Task:
    return Task(
        id=str(uuid.uuid4()),
        account_id="acct",
        api_key_id="key",
        workspace=None,
        model=model,
        request_id="req",
        status=TaskStatus.PENDING,
        input={"prompt": "p"},
        parameters={},
        submitted_at=at,
        expires_at=at + 86_400_000,
    )


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async(database_url)
    yield engine
    await engine.dispose()


async def claim(repo: TaskRepository, models: list[str] | None, now: int = T0) -> Task | None:
    return await repo.claim(owner="w", now=now, lease_ms=1000, max_attempts=3, models=models)


# --- the claim ---------------------------------------------------------------------------------


async def test_a_model_filtered_claim_never_takes_another_models_task(engine: AsyncEngine) -> None:
    repo = TaskRepository(engine)
    tasks = [make_task([PAINT, T2V, IMAGE][i % 3], T0 + i) for i in range(9)]
    for task in tasks:
        await repo.insert(task)
    # only t2v, oldest first, and nothing more once they are taken
    taken = [await claim(repo, [T2V]) for _ in range(3)]
    assert [t.id for t in taken if t] == [t.id for t in tasks if t.model == T2V]
    assert await claim(repo, [T2V]) is None
    assert await claim(repo, []) is None  # no model: nothing, whatever is pending
    # two models: the oldest of either
    both = await claim(repo, [IMAGE, PAINT])
    assert both is not None and both.id == tasks[0].id
    # every lease above has run out (their workers died): re-claims keep to the filter too
    later = T0 + 10_000
    retry = await claim(repo, [PAINT], now=later)
    assert retry is not None and retry.id == tasks[0].id and retry.attempts == 2
    again = await claim(repo, [T2V], now=later)
    assert again is not None and again.id == tasks[1].id and again.attempts == 2


async def test_concurrent_filtered_claims_take_each_task_once_and_only_their_models(
    engine: AsyncEngine,
) -> None:
    repo = TaskRepository(engine)
    tasks = [make_task([PAINT, T2V][i % 2], T0 + i) for i in range(40)]
    for task in tasks:
        await repo.insert(task)
    rng = random.Random(7)
    claimers = [[PAINT], [T2V], [PAINT, T2V], [T2V], [PAINT], [PAINT, T2V]]
    got: list[tuple[list[str], Task]] = []

    async def worker(models: list[str]) -> None:
        while (task := await claim(repo, models)) is not None:
            got.append((models, task))
            await asyncio.sleep(rng.random() / 1000)

    await asyncio.gather(*(worker(m) for m in claimers))
    assert all(task.model in models for models, task in got)
    assert sorted(t.id for _, t in got) == sorted(t.id for t in tasks)  # each once, none left


# --- the registry ------------------------------------------------------------------------------


def info(worker_id: str, models: tuple[str, ...] | None) -> WorkerInfo:
    return WorkerInfo(
        id=worker_id,
        host="gpu-1",
        pid=42,
        models=models,
        engines=dict.fromkeys(models or (PAINT,), "fake"),
        caps={T2V: 1} if models and T2V in models else {},
        concurrency=4,
        version="test",
        started_at=T0,
    )


async def test_the_registry_tells_live_from_dead_and_what_no_live_worker_serves(
    engine: AsyncEngine,
) -> None:
    repo, registry = TaskRepository(engine), WorkerRegistry(engine)
    for model in (T2V, T2V, PAINT, IMAGE):
        await repo.insert(make_task(model, T0))
    assert await registry.unserved(now=T0) == {T2V: 2, PAINT: 1, IMAGE: 1}  # no worker at all
    await registry.beat(info("cpu", (PAINT,)), now=T0, heartbeat_ms=1000)
    await registry.beat(info("gpu", (T2V,)), now=T0, heartbeat_ms=1000)
    assert await claim(repo, [T2V]) is not None  # leased to "w", a worker not registered
    await repo.claim(owner="gpu", now=T0, lease_ms=5000, max_attempts=3, models=[T2V])
    states = {s.info.id: s for s in await registry.workers(now=T0 + 2000)}
    assert states["gpu"].live and states["gpu"].running == {T2V: 1}
    assert states["gpu"].info.caps == {T2V: 1} and states["gpu"].info.models == (T2V,)
    assert await registry.unserved(now=T0 + 2000) == {IMAGE: 1}
    # three heartbeats missed: dead, and its model unserved again (the pending one stays)
    await registry.beat(info("cpu", (PAINT,)), now=T0 + 3000, heartbeat_ms=1000)
    states = {s.info.id: s for s in await registry.workers(now=T0 + 3500)}
    assert states["cpu"].live and not states["gpu"].live
    assert await registry.unserved(now=T0 + 3500) == {IMAGE: 1}  # the other t2v is RUNNING
    await repo.insert(make_task(T2V, T0 + 3500))
    assert await registry.unserved(now=T0 + 3500) == {IMAGE: 1, T2V: 1}
    # a worker of every model serves everything
    await registry.beat(info("all", None), now=T0 + 3500, heartbeat_ms=1000)
    assert await registry.unserved(now=T0 + 3500) == {}
    # a clean stop removes the row; a long-dead one is purged, a recent one is kept
    await registry.remove("all")
    later = T0 + 4000 + PURGE_AFTER_MS
    assert await registry.purge(now=later) == 1  # gpu: dead since T0 + 3000
    assert [s.info.id for s in await registry.workers(now=later)] == ["cpu"]


# --- worker pools ------------------------------------------------------------------------------

PAINT_BODY: dict[str, Any] = {
    "model": PAINT,
    "input": {
        "prompt": "fill",
        "base_image_url": png_data_uri(300, 300),
        "mask_image_url": png_data_uri(300, 300, mask=True),
    },
    "parameters": {"n": 1, "size": "1024*1024"},
}
T2V_BODY: dict[str, Any] = {
    "model": T2V,
    "input": {"prompt": "a cat runs"},
    "parameters": {"size": "960*960", "duration": 2},
}
ENDPOINTS = {PAINT: "image2image/image-synthesis", T2V: "video-generation/video-synthesis"}
DELAY_S = 0.4


@pytest.fixture
async def make_container(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Callable[..., Container]]:
    built: list[Container] = []

    def factory(**overrides: Any) -> Container:
        settings = make_settings(
            database_url=database_url,
            engines={PAINT: "fake", T2V: "fake"},
            engine_options={"fake": {"delay": DELAY_S}},
            poll_seconds=0.1,
            **overrides,
        )
        container = Container.build(settings, storage=MemoryStorage(), migrate=False)
        built.append(container)
        return container

    yield factory
    for container in built:
        await container.shutdown()


async def submit_all(container: Container, models: list[str]) -> list[str]:
    await container.accounts.create_key("acct")
    key = (await container.accounts.keys("acct"))[0]
    who = Caller(account_id=key.account_id, api_key_id=key.id, workspace=None)
    ids = []
    for model in models:
        body = PAINT_BODY if model == PAINT else T2V_BODY
        task = await container.task_service.submit(
            who, ENDPOINTS[model], body, oss_resolve=False, request_id="r"
        )
        ids.append(task.id)
    return ids


async def wait_for(container: Container, ids: list[str], status: TaskStatus) -> list[Task]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tasks = [await container.tasks.get(i) for i in ids]
        if all(t is not None and t.status is status for t in tasks):
            return [t for t in tasks if t is not None]
        wrong = [t for t in tasks if t is not None and t.status.is_final and t.status is not status]
        assert not wrong, f"a task ended {wrong[0].status.value}: {wrong[0].message}"
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{ids} never all reached {status}: {tasks}")


def most_at_once(tasks: list[Task]) -> int:
    """The most of ``tasks`` that ran at the same time (from their claim and finish times)."""
    edges = sorted(
        [(t.scheduled_at, 1) for t in tasks if t.scheduled_at is not None]
        + [(t.finished_at, -1) for t in tasks if t.finished_at is not None]
    )  # a finish sorts before a claim at the same millisecond: touching is not overlapping
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


async def test_a_per_model_cap_holds_within_the_workers_concurrency(
    make_container: Callable[..., Container],
) -> None:
    container = make_container(worker_models=(PAINT, T2V), model_concurrency={T2V: 1})
    ids = await submit_all(container, [T2V, PAINT, T2V, PAINT, T2V, PAINT, PAINT])
    started = time.perf_counter()
    container.start_background(workers=4)
    tasks = await wait_for(container, ids, TaskStatus.SUCCEEDED)
    took = time.perf_counter() - started
    videos = [t for t in tasks if t.model == T2V]
    images = [t for t in tasks if t.model == PAINT]
    assert most_at_once(videos) == 1, "two videos ran at once past their cap of 1"
    assert most_at_once(images) >= 2, "the images should use the other slots meanwhile"
    assert most_at_once(tasks) <= 4
    # three videos one after another bound the time from below; the images ran beside them
    assert took >= 3 * DELAY_S
    assert all(t.attempts == 1 for t in tasks)


async def test_a_task_no_worker_serves_waits_and_runs_when_a_matching_worker_starts(
    make_container: Callable[..., Container],
) -> None:
    painter = make_container(worker_models=(PAINT,))
    video, image = await submit_all(painter, [T2V, PAINT])
    painter.start_background(workers=2)
    await wait_for(painter, [image], TaskStatus.SUCCEEDED)
    await asyncio.sleep(0.5)  # five polls of the painting worker
    waiting = await painter.tasks.get(video)
    assert waiting is not None and waiting.status is TaskStatus.PENDING and waiting.attempts == 0
    now = painter.clock.now_ms()
    assert await painter.workers.unserved(now=now) == {T2V: 1}
    [state] = await painter.workers.workers(now=now)
    assert state.live and state.info.models == (PAINT,) and state.info.engines == {PAINT: "fake"}

    video_worker = make_container(worker_models=("wan2.6-t2v",))
    video_worker.start_background(workers=1)
    [done] = await wait_for(painter, [video], TaskStatus.SUCCEEDED)
    assert done.attempts == 1  # never claimed (and failed) by the painting worker
    assert await painter.workers.unserved(now=painter.clock.now_ms()) == {}
    await video_worker.shutdown()  # a clean stop leaves the registry
    assert [s.info.models for s in await painter.workers.workers(now=now)] == [(PAINT,)]
