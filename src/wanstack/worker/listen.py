"""PostgreSQL LISTEN: turns NOTIFY from any process into local wake-ups and cancels."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg

from wanstack.db.dialect import CANCEL_CHANNEL, KEYS_CHANNEL, TASK_CHANNEL
from wanstack.db.pg_direct import conninfo
from wanstack.task.wakeup import Wakeup

log = logging.getLogger(__name__)

_STOP_CHECK_SECONDS = 0.25  # how soon a stop request is noticed
_CONNECT_TIMEOUT_S = 5  # an unreachable server must not stall the reconnect loop forever


async def listen(
    url: str,
    wakeup: Wakeup,
    stop: asyncio.Event,
    on_keys_changed: Callable[[], None] = lambda: None,
) -> None:
    """Forward ``wanstack_task``, ``wanstack_cancel`` and ``wanstack_keys`` notifications until
    ``stop`` is set; reconnects after errors (workers still poll meanwhile)."""
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo(url), autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S
            ) as conn:
                await conn.execute(f"LISTEN {TASK_CHANNEL}")
                await conn.execute(f"LISTEN {CANCEL_CHANNEL}")
                await conn.execute(f"LISTEN {KEYS_CHANNEL}")
                on_keys_changed()  # revocations missed while disconnected
                while not stop.is_set():
                    # A bounded wait that ends by itself: the generator then finishes and
                    # releases the connection's lock (an abandoned one would keep it, and the
                    # connection's exit would wait for it forever).
                    async for note in conn.notifies(timeout=_STOP_CHECK_SECONDS):
                        if note.channel == TASK_CHANNEL:
                            wakeup.notify_submitted()
                        elif note.channel == CANCEL_CHANNEL:
                            wakeup.notify_cancelled(note.payload)
                        elif note.channel == KEYS_CHANNEL:
                            on_keys_changed()
        except Exception:
            if stop.is_set():
                return
            log.exception("LISTEN connection failed; reconnecting in 1 s")
            await asyncio.sleep(1)
