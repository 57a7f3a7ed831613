"""Database engines for the two supported dialects.

The async engine serves the API and workers; a sync engine runs migrations. SQLite gets WAL
(readers never block the writer), a busy timeout (API and workers share one file) and
``synchronous=NORMAL`` (durable across process crashes; only an OS crash may lose the last
commits, the usual WAL trade-off).

PostgreSQL connections are bounded in time: connecting gives up after ``timeout`` seconds
(``connect_timeout``), and so does waiting for a free connection of the pool, so a request
during a database outage fails fast (:func:`is_unavailable` says it was the database) instead
of hanging; pooled connections are checked before use, so the pool heals by itself when the
server comes back.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


#: After a checkpoint the WAL file is cut back to this size (SQLite keeps it at its largest
#: otherwise: a burst of big writes left a 2.8 GB WAL behind).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


async def checkpoint(engine: AsyncEngine) -> None:
    """On SQLite, copy the WAL into the database and truncate it (housekeeping; a no-op on
    PostgreSQL). Busy readers only make it partial; the next run finishes the job."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def sync_url(url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite").render_as_string(hide_password=False)
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def async_url(url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def create_sync(url: str) -> Engine:
    engine = create_engine(sync_url(url))
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


#: Longest wait for a connection (connecting, or a free one in the pool), in seconds.
DEFAULT_TIMEOUT_S = 5.0


def connect_timeout(timeout: float) -> int:
    """libpq's ``connect_timeout``: whole seconds, and at least 2 (libpq's own minimum)."""
    return max(2, round(timeout))


def create_async(
    url: str, *, pool_size: int = 10, timeout: float = DEFAULT_TIMEOUT_S
) -> AsyncEngine:
    """The async engine of ``url``; on PostgreSQL ``timeout`` bounds connecting and waiting
    for a pooled connection (SQLite has its busy timeout instead)."""
    if is_sqlite(url):
        engine = create_async_engine(async_url(url), pool_size=pool_size, max_overflow=10)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=timeout,
        connect_args={"connect_timeout": connect_timeout(timeout)},
    )


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached or used right now (PostgreSQL down,
    restarting or unreachable; no pooled connection free in time; a SQLite file locked past its
    busy timeout) rather than a fault of the statement: the caller may retry later."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection became free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, psycopg.OperationalError):  # connection refused, lost, shut down
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc) for word in ("locked", "busy"))
    return False


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database; raises when it cannot be reached."""
    async with engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")
