"""The queue's SQL on both dialects: claims, leases, guarded finishes, cancel, purge, lists."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.engine import create_async
from wanstack.db.pg_direct import PgDirect
from wanstack.db.sqlite_direct import SqliteDirect
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.task.repository import ListFilter, Scope, TaskRepository

T0 = 1_767_225_600_000
LEASE = 30_000


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def repo(engine: AsyncEngine, database_url: str) -> AsyncIterator[TaskRepository]:
    """The repository the service uses: hot statements on the driver-level path."""
    if database_url.startswith("sqlite"):
        direct = SqliteDirect(database_url.split("///", 1)[1])
        yield TaskRepository(engine, direct)
        direct.close()
    else:
        pg = PgDirect(database_url)
        yield TaskRepository(engine, pg)
        await pg.close()


def make_task(
    account: str = "acct-a", at: int = T0, workspace: str | None = None, **kw: object
) -> Task:
    return Task(
        id=str(uuid.uuid4()),
        account_id=account,
        api_key_id="key-1",
        workspace=workspace,
        model=str(kw.get("model", "wanx-x-painting")),
        request_id="req",
        status=TaskStatus.PENDING,
        input={"prompt": "p"},
        parameters={"n": 2},
        submitted_at=at,
        expires_at=at + 86_400_000,
    )


async def claim(
    repo: TaskRepository, owner: str = "w1", now: int = T0, limit: int = 0
) -> Task | None:
    return await repo.claim(
        owner=owner, now=now, lease_ms=LEASE, max_attempts=3, account_limit=limit
    )


async def test_insert_get_roundtrip_and_scope(repo: TaskRepository) -> None:
    task = make_task(workspace="ws-1")
    await repo.insert(task)
    got = await repo.get(task.id, Scope("acct-a"))
    assert got is not None
    assert got.status is TaskStatus.PENDING
    assert got.input == {"prompt": "p"}
    assert await repo.get(task.id, Scope("acct-b")) is None
    assert await repo.get(task.id, Scope("acct-a", "ws-2")) is None
    assert await repo.get(task.id, Scope("acct-a", "ws-1")) is not None


async def test_claim_takes_oldest_first_and_sets_lease(repo: TaskRepository) -> None:
    old, new = make_task(at=T0), make_task(at=T0 + 10)
    await repo.insert(new)
    await repo.insert(old)
    got = await claim(repo, now=T0 + 100)
    assert got is not None and got.id == old.id
    assert got.status is TaskStatus.RUNNING
    assert got.attempts == 1
    assert got.lease_owner == "w1"
    assert got.lease_expires_at == T0 + 100 + LEASE
    assert got.scheduled_at == T0 + 100


async def test_concurrent_claims_never_take_the_same_task(repo: TaskRepository) -> None:
    tasks = [make_task(at=T0 + i) for i in range(20)]
    for task in tasks:
        await repo.insert(task)
    results = await asyncio.gather(*(claim(repo, owner=f"w{i}") for i in range(30)))
    claimed = [r.id for r in results if r is not None]
    assert len(claimed) == 20
    assert len(set(claimed)) == 20


async def test_account_limit_is_part_of_the_claim(repo: TaskRepository) -> None:
    a1, a2, b1 = make_task("a", T0), make_task("a", T0 + 1), make_task("b", T0 + 2)
    for task in (a1, a2, b1):
        await repo.insert(task)
    first = await claim(repo, limit=1)
    second = await claim(repo, limit=1)
    third = await claim(repo, limit=1)
    assert first is not None and first.id == a1.id
    assert second is not None and second.id == b1.id  # a2 skipped: account a is at its limit
    assert third is None
    # Concurrent claims for one account still respect the limit.
    for i in range(5):
        await repo.insert(make_task("c", T0 + 10 + i))
    got = await asyncio.gather(*(claim(repo, owner=f"x{i}", limit=1) for i in range(5)))
    assert sum(1 for g in got if g is not None and g.account_id == "c") == 1


async def test_expired_lease_is_reclaimed_and_old_owner_cannot_finish(repo: TaskRepository) -> None:
    task = make_task()
    await repo.insert(task)
    first = await claim(repo, owner="dead")
    assert first is not None
    assert await claim(repo, owner="w2", now=T0 + LEASE - 1) is None  # lease still live
    second = await claim(repo, owner="w2", now=T0 + LEASE + 1)
    assert second is not None and second.id == task.id and second.attempts == 2
    outcome = Outcome(status=TaskStatus.SUCCEEDED, output={"results": []})
    assert not await repo.finish_if_owner(
        task.id, owner="dead", attempt=1, outcome=outcome, now=T0 + LEASE + 5, expires_at=0
    )
    assert not await repo.heartbeat(task.id, owner="dead", attempt=1, now=T0, lease_ms=LEASE)
    assert await repo.finish_if_owner(
        task.id, owner="w2", attempt=2, outcome=outcome, now=T0 + LEASE + 5, expires_at=T0 * 2
    )
    stored = await repo.get(task.id)
    assert stored is not None and stored.status is TaskStatus.SUCCEEDED
    assert stored.lease_owner is None


async def test_attempts_are_bounded(repo: TaskRepository) -> None:
    task = make_task()
    await repo.insert(task)
    now = T0
    for attempt in range(1, 4):
        got = await claim(repo, owner=f"w{attempt}", now=now)
        assert got is not None and got.attempts == attempt
        now += LEASE + 1
    assert await claim(repo, now=now) is None  # third lease expired; no attempts left
    failed = await repo.fail_exhausted(
        now=now, max_attempts=3, code="InternalError", message="gone", expires_at=now + 1000
    )
    assert failed == [task.id]
    stored = await repo.get(task.id)
    assert (
        stored is not None and stored.status is TaskStatus.FAILED and stored.code == "InternalError"
    )


async def test_heartbeat_extends_the_lease(repo: TaskRepository) -> None:
    await repo.insert(make_task())
    got = await claim(repo)
    assert got is not None
    assert await repo.heartbeat(got.id, owner="w1", attempt=1, now=T0 + 20_000, lease_ms=LEASE)
    assert await claim(repo, owner="w2", now=T0 + LEASE + 1) is None  # extended to T0+50s


async def test_cancel_pending_and_running_but_not_finished(repo: TaskRepository) -> None:
    pending, running = make_task(at=T0 + 5), make_task(at=T0)
    await repo.insert(pending)
    await repo.insert(running)
    got = await claim(repo)
    assert got is not None and got.id == running.id
    scope = Scope("acct-a")
    assert not await repo.cancel(pending.id, Scope("acct-b"), now=T0, expires_at=T0)
    assert await repo.cancel(pending.id, scope, now=T0, expires_at=T0 + 1)
    assert await repo.cancel(running.id, scope, now=T0, expires_at=T0 + 1)
    assert not await repo.cancel(running.id, scope, now=T0, expires_at=T0 + 1)
    # The worker that held the running task notices on its next heartbeat and cannot finish.
    assert not await repo.heartbeat(running.id, owner="w1", attempt=1, now=T0, lease_ms=LEASE)
    outcome = Outcome(status=TaskStatus.SUCCEEDED)
    assert not await repo.finish_if_owner(
        running.id, owner="w1", attempt=1, outcome=outcome, now=T0, expires_at=T0
    )
    stored = await repo.get(running.id)
    assert stored is not None and stored.status is TaskStatus.CANCELED
    assert await claim(repo) is None


async def test_times_never_run_backwards_when_the_clock_steps_back(repo: TaskRepository) -> None:
    """A wall clock stepped back (NTP, or a worker host a millisecond behind the API host) must
    still give submit <= scheduled <= end, for finishes and cancels alike."""
    done, canceled = make_task(at=T0 + 10), make_task(at=T0 + 20)
    await repo.insert(done)
    await repo.insert(canceled)
    got = await claim(repo, now=T0 + 5)
    assert got is not None and got.id == done.id
    assert got.scheduled_at == T0 + 10
    outcome = Outcome(status=TaskStatus.SUCCEEDED)
    assert await repo.finish_if_owner(
        done.id, owner="w1", attempt=1, outcome=outcome, now=T0 + 1, expires_at=T0 + 9
    )
    assert await repo.cancel(canceled.id, Scope("acct-a"), now=T0, expires_at=T0 + 9)
    a, b = await repo.get(done.id), await repo.get(canceled.id)
    assert a is not None and (a.submitted_at, a.scheduled_at, a.finished_at) == (T0 + 10,) * 3
    assert b is not None and (b.scheduled_at, b.finished_at) == (None, T0 + 20)
    # A clock that runs forwards is recorded as is.
    late = make_task(at=T0)
    await repo.insert(late)
    got = await claim(repo, now=T0 + 50)
    assert got is not None and got.scheduled_at == T0 + 50


async def test_release_puts_the_task_back(repo: TaskRepository) -> None:
    await repo.insert(make_task())
    got = await claim(repo)
    assert got is not None
    assert await repo.release_if_owner(got.id, owner="w1", attempt=1)
    again = await claim(repo, owner="w2")
    assert again is not None and again.id == got.id and again.attempts == 2


async def test_expired_only_lists_finished_tasks(repo: TaskRepository) -> None:
    done, pending = make_task(), make_task(at=T0 + 1)
    await repo.insert(done)
    await repo.insert(pending)
    got = await claim(repo)
    assert got is not None
    await repo.finish_if_owner(
        done.id,
        owner="w1",
        attempt=1,
        outcome=Outcome(status=TaskStatus.FAILED),
        now=T0,
        expires_at=T0 + 10,
    )
    expired = await repo.expired(now=T0 + 10**12)
    assert [t.id for t in expired] == [done.id]
    assert await repo.delete([done.id]) == 1
    assert await repo.get(done.id) is None


async def test_list_filters_and_pages(repo: TaskRepository) -> None:
    for i in range(7):
        await repo.insert(make_task(at=T0 + i * 1000, model="m1" if i % 2 else "m2"))
    await repo.insert(make_task("other", T0))
    scope = Scope("acct-a")
    flt = ListFilter(start_ms=T0, end_ms=T0 + 10_000)
    total, page = await repo.list_page(scope, flt, offset=0, limit=5)
    assert total == 7
    assert len(page) == 5
    assert page[0].submitted_at > page[-1].submitted_at  # newest first
    total, page = await repo.list_page(
        scope, ListFilter(T0, T0 + 10_000, model="m1"), offset=0, limit=10
    )
    assert total == 3 and {t.model for t in page} == {"m1"}
    total, _ = await repo.list_page(scope, ListFilter(T0 + 2000, T0 + 4000), offset=0, limit=10)
    assert total == 3
    total, _ = await repo.list_page(
        scope, ListFilter(T0, T0 + 10_000, status="RUNNING"), offset=0, limit=10
    )
    assert total == 0
