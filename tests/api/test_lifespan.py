"""The app's lifespan: background work starts with it and stops promptly with it."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest

from tests.api.support import Api, MakeApi
from tests.support.postgres import PostgresServer
from wanstack.db.pg_direct import conninfo
from wanstack.task.wakeup import Wakeup
from wanstack.worker.listen import listen


async def test_shutdown_right_after_submits_is_prompt(make_api: MakeApi) -> None:
    """Submits (NOTIFY on PostgreSQL) immediately followed by shutdown, a few times over."""
    for _ in range(3):
        api: Api = await make_api()
        key = await api.key("acct")
        await api.submit_ok(key)
        await api.submit_ok(key)
        # the fixture would stop it at teardown; stop it now, under a deadline
        await asyncio.wait_for(api.container.shutdown(), 10)


class StopOnWakeup(Wakeup):
    """A wake-up that asks LISTEN to stop while it handles a notification: the moment a
    ``wanstack serve`` is told to shut down just as a NOTIFY arrives."""

    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__()
        self.stop = stop
        self.woken = 0

    def notify_submitted(self) -> None:
        self.woken += 1
        self.stop.set()


@pytest.mark.postgres
async def test_listen_stops_when_stopped_while_handling_a_notification(
    postgres_server: PostgresServer, postgres_template: str
) -> None:
    """LISTEN/NOTIFY is PostgreSQL only."""
    database_url = postgres_server.create_database(template=postgres_template)
    stop = asyncio.Event()
    wakeup = StopOnWakeup(stop)
    task = asyncio.create_task(listen(database_url, wakeup, stop))
    try:
        async with await psycopg.AsyncConnection.connect(
            conninfo(database_url), autocommit=True
        ) as conn:
            for _ in range(200):  # until LISTEN is up and the notification got through
                await conn.execute("NOTIFY wanstack_task")
                await asyncio.sleep(0.02)
                if wakeup.woken:
                    break
        assert wakeup.woken, "no notification was delivered"
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "listen() did not return after stop was set (it is stuck)"
        task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
