"""Webhooks on both databases: events written with the final state, leased claims, and the
delivery loop POSTing to a real receiver on 127.0.0.1 (down, failing, then up) on a frozen clock.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webhook_receiver import Receiver
from wanstack.account.repository import AccountRepository
from wanstack.account.service import AccountService
from wanstack.api.protocol import task_body
from wanstack.db.engine import create_async
from wanstack.db.tables import webhook_attempt, webhook_delivery
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.errors import InvalidParameter, NotFound
from wanstack.task.repository import Scope, TaskRepository
from wanstack.testing import FrozenClock, MemoryStorage
from wanstack.webhooks.delivery import BATCH, WebhookDelivery
from wanstack.webhooks.repository import WebhookRepository
from wanstack.webhooks.schedule import RetrySchedule
from wanstack.webhooks.service import MAX_ENDPOINTS, WebhookService, message_id

LEASE = 30_000
DAY_MS = 24 * 3600 * 1000
BASE = "http://gen.example.com"


class Lowest(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return min(a, b)


@dataclass
class World:
    engine: AsyncEngine
    clock: FrozenClock
    tasks: TaskRepository
    hooks: WebhookRepository
    service: WebhookService
    accounts: AccountService
    storage: MemoryStorage

    def delivery(self, schedule: RetrySchedule, **kw: Any) -> WebhookDelivery:
        options: dict[str, Any] = {
            "allow_private": True,
            "timeout_s": 5.0,
            "retention_ms": DAY_MS,
            "rng": Lowest(),
        }
        options.update(kw)
        return WebhookDelivery(
            repo=self.hooks,
            tasks=self.tasks,
            storage=self.storage,
            wire=task_body,
            base_url=BASE,
            clock=self.clock,
            schedule=schedule,
            **options,
        )

    async def account(self, name: str) -> str:
        return await self.accounts.ensure_account(name)

    async def task(self, account_id: str, workspace: str | None = None) -> Task:
        now = self.clock.now_ms()
        task = Task(
            id=str(uuid.uuid4()),
            account_id=account_id,
            api_key_id="key-1",
            workspace=workspace,
            model="wanx-x-painting",
            request_id="req-" + uuid.uuid4().hex[:8],
            status=TaskStatus.PENDING,
            input={"prompt": "p"},
            parameters={"n": 1},
            submitted_at=now,
            expires_at=now + DAY_MS,
        )
        await self.tasks.insert(task)
        self.clock.advance(0.001)  # tasks are claimed in the order they were made
        return task

    async def succeed(self, task: Task, owner: str = "w1") -> bool:
        claimed = await self.tasks.claim(
            owner=owner, now=self.clock.now_ms(), lease_ms=LEASE, max_attempts=3
        )
        assert claimed is not None and claimed.id == task.id
        outcome = Outcome(
            status=TaskStatus.SUCCEEDED,
            output={"results": [{"key": f"results/{task.id}/1/a.png"}]},
            usage={"image_count": 1},
        )
        now = self.clock.now_ms()
        return await self.tasks.finish_if_owner(
            task.id, owner=owner, attempt=1, outcome=outcome, now=now, expires_at=now + DAY_MS
        )

    async def rows(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(webhook_delivery))).all())


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_async(database_url)
    clock = FrozenClock(time.time_ns() // 1_000_000)  # now: signatures stay verifiable
    hooks = WebhookRepository(engine)
    yield World(
        engine=engine,
        clock=clock,
        tasks=TaskRepository(engine),
        hooks=hooks,
        service=WebhookService(hooks, clock, allow_private=True),
        accounts=AccountService(AccountRepository(engine), clock),
        storage=MemoryStorage(),
    )
    await engine.dispose()


async def test_every_final_state_writes_its_events_with_it(world: World) -> None:
    a, b = await world.account("a"), await world.account("b")
    everything = (await world.service.add(a, None, "http://127.0.0.1:9/all")).endpoint
    ws1 = (await world.service.add(a, "ws-1", "http://127.0.0.1:9/ws1")).endpoint
    await world.service.add(b, None, "http://127.0.0.1:9/b")

    done = await world.task(a)
    assert await world.succeed(done)
    canceled = await world.task(a, "ws-1")
    now = world.clock.now_ms()
    assert await world.tasks.cancel(canceled.id, Scope(a), now=now, expires_at=now + DAY_MS)
    exhausted = await world.task(a, "ws-2")
    claimed = await world.tasks.claim(owner="dead", now=now, lease_ms=LEASE, max_attempts=1)
    assert claimed is not None and claimed.id == exhausted.id
    world.clock.advance(LEASE / 1000 + 1)
    failed = await world.tasks.fail_exhausted(
        now=world.clock.now_ms(), max_attempts=1, code="X", message="m", expires_at=now + DAY_MS
    )
    assert failed == [exhausted.id]
    # a worker that lost its lease stores nothing, and so sends nothing
    stale = await world.task(a)
    claimed = await world.tasks.claim(owner="w2", now=now, lease_ms=LEASE, max_attempts=3)
    assert claimed is not None and claimed.id == stale.id
    assert await world.tasks.cancel(stale.id, Scope(a), now=now, expires_at=now + DAY_MS)
    outcome = Outcome(status=TaskStatus.SUCCEEDED)
    assert not await world.tasks.finish_if_owner(
        stale.id, owner="w2", attempt=1, outcome=outcome, now=now, expires_at=now
    )

    got = {(r.task_id, r.endpoint_id): r for r in await world.rows()}
    assert set(got) == {
        (done.id, everything.id),
        (canceled.id, everything.id),
        (canceled.id, ws1.id),  # the workspace endpoint hears its workspace only
        (exhausted.id, everything.id),
        (stale.id, everything.id),  # its cancel is its one final state
    }
    assert got[done.id, everything.id].task_status == "SUCCEEDED"
    assert got[canceled.id, ws1.id].task_status == "CANCELED"
    assert got[exhausted.id, everything.id].task_status == "FAILED"
    assert got[stale.id, everything.id].task_status == "CANCELED"
    for row in got.values():
        assert row.state == "pending" and row.attempts == 0 and row.account_id == a
        assert row.next_attempt_at <= world.clock.now_ms() and row.payload is None


async def test_two_processes_never_claim_the_same_delivery(world: World) -> None:
    a = await world.account("a")
    await world.service.add(a, None, "http://127.0.0.1:9/x")
    for _ in range(24):
        assert await world.succeed(await world.task(a))
    now = world.clock.now_ms()
    first, second = await asyncio.gather(
        world.hooks.claim(owner="p1", now=now, lease_ms=LEASE, limit=BATCH),
        world.hooks.claim(owner="p2", now=now, lease_ms=LEASE, limit=BATCH),
    )
    ids1, ids2 = {d.id for d in first}, {d.id for d in second}
    assert not ids1 & ids2
    assert len(ids1 | ids2) == 24
    assert await world.hooks.claim(owner="p3", now=now + LEASE, lease_ms=LEASE, limit=BATCH) == []
    # a holder that died: its leases expire and another process takes the deliveries over
    again = await world.hooks.claim(owner="p3", now=now + LEASE + 1, lease_ms=LEASE, limit=100)
    assert {d.id for d in again} == ids1 | ids2
    stale = first[0]
    recorded = await world.hooks.record(
        stale.id,
        owner="p1",
        outcome="delivered",
        at=now,
        duration_ms=1,
        status=200,
        error=None,
        payload="{}",
    )
    assert not recorded  # the old holder's answer is not recorded


async def test_a_receiver_that_is_down_gets_the_signed_event_once_it_is_up(world: World) -> None:
    a = await world.account("a")
    receiver = Receiver()
    made = await world.service.add(a, None, receiver.url)
    task = await world.task(a)
    assert await world.succeed(task)
    delivery = world.delivery(RetrySchedule((5.0, 30.0)))
    try:
        assert await delivery.run_once() == 1  # refused: nobody listens yet
        assert await delivery.run_once() == 0  # not due for 5 s (4.5 s at the lowest jitter)
        receiver.start()
        world.clock.advance(4.5)
        assert await delivery.run_once() == 1
    finally:
        receiver.stop()
        await delivery.aclose()
    [got] = receiver.snapshot()
    event = standardwebhooks.Webhook(made.secret).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == message_id(task.id) == event["id"]
    assert got.headers["content-type"] == "application/json"
    stored = await world.tasks.get(task.id)
    assert stored is not None
    expected = task_body(
        stored,
        task.request_id,
        lambda key, exp: world.storage.url(key, expires_ms=exp, base_url=BASE),
    )
    assert {k: event["data"][k] for k in expected} == expected
    assert event["data"]["output"]["results"][0]["url"].startswith(BASE + "/memory/results/")
    [item] = await world.service.deliveries(a, None)
    assert item.state == "delivered" and item.attempts == 2 and item.last_status == 200
    assert [h.status for h in item.history] == [None, 200]
    assert "could not connect to 127.0.0.1" in (item.history[0].error or "")
    assert item.history[1].at - item.history[0].at == 4500


async def test_the_schedule_runs_for_over_a_day_then_fails_the_delivery(world: World) -> None:
    """The default 24 h+ schedule, walked on the frozen clock against a receiver that always
    answers 500: every attempt is made and recorded, with the same id and body each time."""
    a = await world.account("a")
    receiver = Receiver(answers=[500])
    receiver.start()
    await world.service.add(a, None, receiver.url)
    task = await world.task(a)
    assert await world.succeed(task)
    delivery = world.delivery(RetrySchedule())
    start = world.clock.now_ms()
    try:
        while True:
            await delivery.run_once()
            [item] = await world.service.deliveries(a, None)
            if item.state != "pending":
                break
            assert item.next_attempt_at is not None
            world.clock.advance((item.next_attempt_at - world.clock.now_ms()) / 1000)
    finally:
        receiver.stop()
        await delivery.aclose()
    assert item.state == "failed" and item.attempts == RetrySchedule().attempts == 15
    assert [h.status for h in item.history] == [500] * 15
    assert (item.history[-1].at - start) >= DAY_MS
    got = receiver.snapshot()
    assert len(got) == 15
    assert {r.headers["webhook-id"] for r in got} == {message_id(task.id)}
    assert len({r.body for r in got}) == 1
    assert len({r.headers["webhook-signature"] for r in got}) == 15  # each attempt signed anew
    # a failed delivery stays visible for a retention period after its last attempt
    row = (await world.rows())[0]
    assert row.expires_at == item.history[-1].at + DAY_MS


async def test_private_addresses_are_refused_at_delivery_too(world: World) -> None:
    a = await world.account("a")
    receiver = Receiver()
    receiver.start()
    await world.service.add(a, None, receiver.url)  # registered while private URLs were allowed
    assert await world.succeed(await world.task(a))
    delivery = world.delivery(RetrySchedule((60.0,)), allow_private=False)
    try:
        assert await delivery.run_once() == 1
    finally:
        receiver.stop()
        await delivery.aclose()
    assert receiver.snapshot() == []
    [item] = await world.service.deliveries(a, None)
    assert item.state == "pending" and item.attempts == 1
    assert item.last_error == "127.0.0.1 is a loopback address, which this server does not send to."
    with pytest.raises(InvalidParameter, match=r"url: 127\.0\.0\.1 is a loopback address"):
        await WebhookService(world.hooks, world.clock, allow_private=False).add(
            a, None, receiver.url
        )


async def test_an_event_is_built_once_and_survives_its_task(world: World) -> None:
    a = await world.account("a")
    receiver = Receiver(answers=[503, 204])
    receiver.start()
    await world.service.add(a, None, receiver.url)
    kept, purged = await world.task(a), await world.task(a)
    assert await world.succeed(kept)
    now = world.clock.now_ms()
    assert await world.tasks.cancel(purged.id, Scope(a), now=now, expires_at=now)
    await world.tasks.delete([purged.id])  # retention ran before the first attempt
    delivery = world.delivery(RetrySchedule((1.0,)))
    try:
        await delivery.run_once()  # kept: 503; purged: cannot be built
        await world.tasks.delete([kept.id])  # the task goes; its event, built already, stays
        world.clock.advance(1)
        await delivery.run_once()
    finally:
        receiver.stop()
        await delivery.aclose()
    states = {d.task_id: d for d in await world.service.deliveries(a, None)}
    assert states[purged.id].state == "failed"
    assert states[purged.id].last_error == "the task was purged first"
    assert states[kept.id].state == "delivered" and states[kept.id].last_status == 204
    first, second = receiver.snapshot()
    assert first.body == second.body and first.event["data"]["task_id"] == kept.id


async def test_finished_deliveries_are_purged_after_retention(world: World) -> None:
    a = await world.account("a")
    receiver = Receiver()
    receiver.start()
    await world.service.add(a, None, receiver.url)
    assert await world.succeed(await world.task(a))
    delivery = world.delivery(RetrySchedule((1.0,)))
    try:
        await delivery.run_once()
    finally:
        receiver.stop()
        await delivery.aclose()
    assert await world.succeed(await world.task(a))  # a second one, left pending
    assert await world.hooks.purge(now=world.clock.now_ms()) == 0
    world.clock.advance(DAY_MS / 1000 + 1)
    assert await world.hooks.purge(now=world.clock.now_ms()) == 1
    [left] = await world.rows()
    assert left.state == "pending"
    async with world.engine.connect() as conn:
        attempts = (await conn.execute(select(func.count()).select_from(webhook_attempt))).scalar()
    assert attempts == 0


async def test_endpoint_rules_scoping_and_removal(world: World) -> None:
    a, b = await world.account("a"), await world.account("b")
    with pytest.raises(InvalidParameter, match="url must use http or https"):
        await world.service.add(a, None, "ftp://example.com/x")
    with pytest.raises(InvalidParameter, match=r"url: The host name nowhere\.invalid"):
        await world.service.add(a, None, "https://nowhere.invalid/x")
    made = [await world.service.add(a, None, f"http://127.0.0.1:9/{i}") for i in range(3)]
    in_ws = await world.service.add(a, "ws-1", "http://127.0.0.1:9/ws")
    assert {e.id for e in await world.service.endpoints(a, None)} == {
        *(m.endpoint.id for m in made),
        in_ws.endpoint.id,
    }
    assert [e.id for e in await world.service.endpoints(a, "ws-1")] == [in_ws.endpoint.id]
    assert await world.service.endpoints(b, None) == []
    assert not hasattr(made[0].endpoint, "secret")
    # removal: another account cannot; the owner can, and its deliveries go with it
    assert await world.succeed(await world.task(a))
    with pytest.raises(NotFound):
        await world.service.remove(b, None, made[0].endpoint.id)
    with pytest.raises(NotFound):
        await world.service.remove(a, "ws-1", made[0].endpoint.id)  # not in that workspace
    await world.service.remove(a, None, made[0].endpoint.id)
    assert made[0].endpoint.id not in {
        d.endpoint_id for d in await world.service.deliveries(a, None)
    }
    assert len(await world.service.deliveries(a, None)) == 2  # (the workspace one heard none)
    with pytest.raises(NotFound):
        await world.service.remove(a, None, made[0].endpoint.id)
    for i in range(MAX_ENDPOINTS - 3):
        await world.service.add(a, None, f"http://127.0.0.1:9/more{i}")
    with pytest.raises(InvalidParameter, match=f"at most {MAX_ENDPOINTS}"):
        await world.service.add(a, None, "http://127.0.0.1:9/one-too-many")
    assert json.dumps([e.url for e in await world.service.endpoints(None, None)])
