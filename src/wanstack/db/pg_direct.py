"""Direct psycopg access for the two hot statements on PostgreSQL.

SQLAlchemy's asyncio layer costs ~0.7 ms of CPU per statement here (greenlet switches, result
processing); a task query needs one primary-key read. These statements run on a small pool of
native psycopg ``AsyncConnection``s in autocommit mode, with server-side prepared statements:
no thread, no greenlet, one round trip each.

Connecting gives up after ``connect_timeout`` seconds. A connection that fails is dropped, and so
are the idle ones (a server that went away broke them all): after an outage the first request
reconnects instead of each idle connection failing one request in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy.engine import make_url


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgDirect:
    """Up to ``size`` autocommit connections, opened on demand and reused."""

    def __init__(self, url: str, size: int = 8, connect_timeout: int = 5) -> None:
        self._conninfo = conninfo(url)
        self._size = size
        self._connect_timeout = connect_timeout
        self._idle: asyncio.LifoQueue[psycopg.AsyncConnection[dict[str, Any]]] | None = None
        self._opened = 0
        self._all: list[psycopg.AsyncConnection[dict[str, Any]]] = []

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        if self._idle is None:
            self._idle = asyncio.LifoQueue()
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=dict_row,
                    prepare_threshold=0,
                    connect_timeout=self._connect_timeout,
                )
            except BaseException:
                self._opened -= 1
                raise
            self._all.append(conn)
        else:
            conn = await self._idle.get()
        try:
            yield conn
        except psycopg.OperationalError:
            # The connection may be broken: drop it rather than hand it out again, and the idle
            # ones with it (when the server went away, they are all broken).
            self._opened -= 1
            self._all.remove(conn)
            await conn.close()
            await self._drop_idle()
            raise
        self._idle.put_nowait(conn)

    async def fetchone(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        async with self._connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Mapping[str, Any]) -> int:
        async with self._connection() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def _drop_idle(self) -> None:
        while self._idle is not None and not self._idle.empty():
            idle = self._idle.get_nowait()
            self._opened -= 1
            self._all.remove(idle)
            await idle.close()

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._opened = 0
        self._idle = None
