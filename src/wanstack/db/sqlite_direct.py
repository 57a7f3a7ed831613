"""Direct ``sqlite3`` access for the two hot statements of the embedded default.

The async SQLAlchemy/aiosqlite path costs several thread round trips per statement (about 0.5 ms
of CPU for a point read); a task query or submit is otherwise ~0.1 ms of work. So on SQLite:

* **Reads** run on the event loop on one dedicated read-only connection. In WAL mode a reader
  never waits for a writer, and a point read by primary key takes ~10–20 µs, less than a thread
  hop would.
* **Writes** go to one writer thread that commits everything waiting in one transaction (group
  commit), so N concurrent submits cost one lock acquisition and one commit instead of N
  contended ones. A failing statement is retried alone so it cannot fail its neighbours.

Everything else (claims, heartbeats, lists) keeps the portable SQLAlchemy path.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from wanstack.db.engine import WAL_SIZE_LIMIT

_BATCH = 256
_Item = tuple[str, Sequence[Any], asyncio.Future[int], asyncio.AbstractEventLoop]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    # Task ids are random, so inserts touch pages all over the indexes: keep them cached.
    conn.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB
    conn.row_factory = sqlite3.Row
    return conn


class SqliteDirect:
    """One read connection for the event loop and one group-committing writer thread."""

    def __init__(self, path: str) -> None:
        self._reader = _connect(path)
        self._reader.execute("PRAGMA query_only=ON")
        self._writer = _connect(path)
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_loop, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def fetchone(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        """Run a read on the event loop itself (no thread hop); returns the first row."""
        row: sqlite3.Row | None = self._reader.execute(sql, params).fetchone()
        return row

    async def execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run a write in the next group commit; returns its row count once durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put((sql, params, future, loop))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._reader.close()
        self._writer.close()

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            with contextlib.suppress(queue.Empty):
                while len(batch) < _BATCH:
                    nxt = self._queue.get_nowait()
                    if nxt is None:
                        self._queue.put(None)  # finish this batch, then stop
                        break
                    batch.append(nxt)
            results: list[int | BaseException]
            try:
                results = list(self._commit(batch))
            except Exception:
                # Isolate the failure: every statement alone, each answered on its own. Any
                # exception (not only sqlite3.Error: e.g. text that cannot be encoded) must reach
                # its caller; if it escaped, this thread would die and every later write hang.
                results = []
                for single in batch:
                    try:
                        results.extend(self._commit([single]))
                    except Exception as exc:
                        results.append(exc)
            _answer(batch, results)

    def _commit(self, batch: list[_Item]) -> list[int]:
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            counts = [conn.execute(sql, params).rowcount for sql, params, _, _ in batch]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return counts


def _answer(batch: list[_Item], results: list[int | BaseException]) -> None:
    """Settle a batch's futures with one wake-up of each event loop involved."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], Any]]] = {}
    for (_, _, future, loop), result in zip(batch, results, strict=True):
        by_loop.setdefault(loop, []).append((future, result))
    for loop, pairs in by_loop.items():
        loop.call_soon_threadsafe(_settle, pairs)


def _settle(pairs: list[tuple[asyncio.Future[int], Any]]) -> None:
    for future, result in pairs:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
