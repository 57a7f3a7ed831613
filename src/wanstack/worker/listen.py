"""PostgreSQL LISTEN: turns NOTIFY from any process into local wake-ups and cancels."""

from __future__ import annotations

import asyncio
import logging

import psycopg
from sqlalchemy.engine import make_url

from wanstack.task.wakeup import Wakeup

log = logging.getLogger(__name__)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: str, wakeup: Wakeup, stop: asyncio.Event) -> None:
    """Forward ``wanstack_task`` and ``wanstack_cancel`` notifications until ``stop`` is set;
    reconnects after errors (workers still poll meanwhile)."""
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(
                _conninfo(url), autocommit=True
            ) as conn:
                await conn.execute("LISTEN wanstack_task")
                await conn.execute("LISTEN wanstack_cancel")
                gen = conn.notifies()
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    while not stop.is_set():
                        nxt = asyncio.ensure_future(anext(gen))
                        done, _ = await asyncio.wait(
                            {nxt, stopper}, return_when=asyncio.FIRST_COMPLETED
                        )
                        if nxt not in done:
                            nxt.cancel()
                            break
                        note = nxt.result()
                        if note.channel == "wanstack_task":
                            wakeup.notify_submitted()
                        elif note.channel == "wanstack_cancel":
                            wakeup.notify_cancelled(note.payload)
                finally:
                    stopper.cancel()
        except Exception:
            if stop.is_set():
                return
            log.exception("LISTEN connection failed; reconnecting in 1 s")
            await asyncio.sleep(1)
