"""The queue under hostile load and faults (the hardening probe of issue 9), on real databases:

* a database outage while tasks finish loses no result and runs no task twice (SQLite: another
  process holds the write lock past the busy timeout; PostgreSQL: the server stops and restarts);
* the retention purge reads ids, not rows that may hold megabytes of input;
* large ``data:`` inputs do not bloat the SQLite file or its WAL;
* a worker never re-claims a task it still holds.
"""

from __future__ import annotations

import asyncio
import base64
import io
import sqlite3
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import update

from tests.conftest import IN_CI
from tests.support.media import png_data_uri
from tests.support.postgres import PostgresServer, find_bindir
from wanstack.config import Settings
from wanstack.container import Container
from wanstack.db.migrate import upgrade
from wanstack.db.tables import task as task_table
from wanstack.domain import Caller, Task, TaskStatus
from wanstack.ident import new_uuid
from wanstack.testing import MemoryStorage

ENDPOINT = "image2image/image-synthesis"


def noise_png_uri(side: int, seed: int) -> str:
    """A PNG that does not compress (about 3 bytes a pixel), as a data: URI."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def body(base: str | None = None, side: int = 300) -> dict[str, Any]:
    return {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "fill",
            "base_image_url": base or png_data_uri(side, side),
            "mask_image_url": png_data_uri(side, side, mask=True),
        },
        "parameters": {"n": 1, "size": "1024*1024"},
    }


async def caller(container: Container) -> Caller:
    await container.accounts.create_key("acct")
    keys = await container.accounts.keys("acct")
    return Caller(account_id=keys[0].account_id, api_key_id=keys[0].id, workspace=None)


async def wait_all(container: Container, ids: list[str], statuses: set[TaskStatus]) -> list[Task]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            tasks = [await container.tasks.get(i) for i in ids]
        except Exception:  # the database is still coming back
            tasks = []
        if tasks and all(t is not None and t.status in statuses for t in tasks):
            return [t for t in tasks if t is not None]
        await asyncio.sleep(0.1)
    raise TimeoutError(statuses)


def outage_settings(make_settings: Callable[..., Settings], url: str) -> Settings:
    return make_settings(
        database_url=url,
        engines={"wanx-x-painting": "fake"},
        engine_options={"fake": {"delay": 1.0}},
        lease_seconds=3.0,  # shorter than the outage: every running lease expires during it
        poll_seconds=0.2,
    )


async def run_through_outage(container: Container, outage: Callable[[], Any]) -> list[Task]:
    """Eight tasks on four slots; ``outage()`` runs while the first four are running."""
    who = await caller(container)
    ids = [
        (
            await container.task_service.submit(
                who, ENDPOINT, body(), oss_resolve=False, request_id="r"
            )
        ).id
        for _ in range(8)
    ]
    container.start_background(workers=4)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = [
            t
            for t in [await container.tasks.get(i) for i in ids]
            if t and t.status is TaskStatus.RUNNING
        ]
        if len(running) == 4:
            break
        await asyncio.sleep(0.05)
    await outage()
    return await wait_all(container, ids, {TaskStatus.SUCCEEDED, TaskStatus.FAILED})


async def test_a_sqlite_write_lock_at_task_end_loses_nothing_and_runs_nothing_twice(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    path = tmp_path / "outage.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    container = Container.build(
        outage_settings(make_settings, url), storage=MemoryStorage(), migrate=False
    )

    async def outage() -> None:
        # Another process holds the write lock longer than the 10 s busy timeout: every write
        # (heartbeats, claims, and the finishes of the running tasks) fails meanwhile.
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN EXCLUSIVE")
        await asyncio.sleep(12)
        blocker.execute("COMMIT")
        blocker.close()

    try:
        tasks = await run_through_outage(container, outage)
    finally:
        await container.shutdown()
    assert [t.status for t in tasks] == [TaskStatus.SUCCEEDED] * 8
    assert [t.attempts for t in tasks] == [1] * 8, "a task ran twice"


@pytest.mark.postgres
async def test_a_postgres_outage_at_task_end_loses_nothing_and_runs_nothing_twice(
    make_settings: Callable[..., Settings],
) -> None:
    if find_bindir() is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries are required in CI (install postgresql)")
        pytest.skip("PostgreSQL binaries not found; the postgres tier runs in CI")
    server = PostgresServer.start()  # its own server: this test stops it
    try:
        url = server.create_database()
        upgrade(url)
        container = Container.build(
            outage_settings(make_settings, url), storage=MemoryStorage(), migrate=False
        )

        async def outage() -> None:
            await asyncio.to_thread(server.pause)
            await asyncio.sleep(6)
            await asyncio.to_thread(server.resume)

        try:
            tasks = await run_through_outage(container, outage)
        finally:
            await container.shutdown()
    finally:
        server.stop()
    assert [t.status for t in tasks] == [TaskStatus.SUCCEEDED] * 8
    assert [t.attempts for t in tasks] == [1] * 8, "a task ran twice"


async def test_a_worker_never_reclaims_a_task_it_still_holds(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    container = Container.build(make_settings(database_url=database_url), migrate=False)
    try:
        who = await caller(container)
        task = await container.task_service.submit(
            who, ENDPOINT, body(), oss_resolve=False, request_id="r"
        )
        repo = container.tasks
        claimed = await repo.claim(owner="w1", now=0, lease_ms=10, max_attempts=3)
        assert claimed is not None and claimed.id == task.id
        # the lease has run out (its worker cannot reach the database, say)
        assert (
            await repo.claim(owner="w1", now=1000, lease_ms=10, max_attempts=3, skip_owner=True)
            is None
        )
        again = await repo.claim(owner="w2", now=1000, lease_ms=10, max_attempts=3, skip_owner=True)
        assert again is not None and again.id == task.id and again.attempts == 2
    finally:
        await container.shutdown()


async def test_the_purge_reads_ids_not_rows(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    """Rows written before inputs moved to storage (or by a client of the repository) can hold
    megabytes of input: the purge must not load them."""
    container = Container.build(
        make_settings(database_url=database_url), storage=MemoryStorage(), migrate=False
    )
    try:
        big = "data:image/png;base64," + "A" * (2 * 1024 * 1024)
        ids = []
        for _ in range(20):
            task = Task(
                id=new_uuid(),
                account_id="acct",
                api_key_id="key",
                workspace=None,
                model="wanx-x-painting",
                request_id="r",
                status=TaskStatus.PENDING,
                input={"base_image_url": big, "mask_image_url": big},
                parameters={},
                submitted_at=0,
                expires_at=1,
            )
            await container.tasks.insert(task)
            ids.append(task.id)
        async with container.db.begin() as conn:
            await conn.execute(update(task_table).values(status=TaskStatus.SUCCEEDED.value))
        tracemalloc.start()
        try:
            purged = await container.maintenance().purge()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert purged == 20
        assert all([await container.tasks.get(i) is None for i in ids])
        # 80 MB of input sat in those rows; reading ids costs next to nothing.
        print(f"\n  purge of 20 rows holding 4 MB each: {peak / 2**20:.2f} MB allocated")
        assert peak < 8 * 1024 * 1024, f"the purge allocated {peak / 2**20:.1f} MB"
    finally:
        await container.shutdown()


async def test_large_inputs_do_not_bloat_the_sqlite_file_or_its_wal(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    path = tmp_path / "size.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = make_settings(database_url=url, engines={"wanx-x-painting": "fake"})
    container = Container.build(settings, migrate=False)
    try:
        who = await caller(container)
        uris = [noise_png_uri(560, seed) for seed in range(20)]  # about 1.2 MB each
        ids = [
            (
                await container.task_service.submit(
                    who, ENDPOINT, body(u, 560), oss_resolve=False, request_id="r"
                )
            ).id
            for u in uris
        ]
        container.start_background(workers=2)
        tasks = await wait_all(container, ids, {TaskStatus.SUCCEEDED, TaskStatus.FAILED})
        assert [t.status for t in tasks] == [TaskStatus.SUCCEEDED] * 20, tasks[0].message
        await container.maintenance().run_once()  # checkpoints the WAL
        inputs = sum(len(u) for u in uris)
        wal = path.with_name(path.name + "-wal")
        on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        assert on_disk < 1.5 * inputs, (on_disk, inputs)
        assert on_disk < inputs / 10, (on_disk, inputs)  # the rows hold references, not data
    finally:
        await container.shutdown()
