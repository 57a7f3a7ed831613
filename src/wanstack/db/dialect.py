"""Where PostgreSQL and SQLite differ, side by side. Every repository asks :func:`dialect_of`.

Statements are written once in SQLAlchemy Core and compiled for either database; what differs
is only what one of them has and the other has not:

========================  ======================================  ==============================
                          PostgreSQL                              SQLite
========================  ======================================  ==============================
``insert`` (upserts)      ``postgresql.insert`` (ON CONFLICT)     ``sqlite.insert`` (ON CONFLICT)
``notify``                ``pg_notify`` in the same transaction   nothing (one process, or poll)
``serialise_claims``      a transaction-scoped advisory lock      nothing (writes are serialised)
``insert_and_notify``     the insert and NOTIFY in one statement  the insert alone
========================  ======================================  ==============================

The claim's ``FOR UPDATE SKIP LOCKED`` needs no entry: SQLAlchemy compiles it on PostgreSQL and
drops it on SQLite, where a single ``UPDATE … RETURNING`` is already atomic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

#: Channels every process LISTENs to on PostgreSQL (see :mod:`wanstack.worker.listen`).
TASK_CHANNEL = "wanstack_task"
CANCEL_CHANNEL = "wanstack_cancel"
KEYS_CHANNEL = "wanstack_keys"

#: Advisory lock serialising claims with a per-account limit (any constant; ours).
CLAIM_LOCK = 728374612


class Postgres:
    name = "postgresql"

    @staticmethod
    def insert(table: Table) -> Any:
        return postgresql.insert(table)

    @staticmethod
    async def notify(conn: AsyncConnection, channel: str, payload: str = "") -> None:
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )

    @staticmethod
    async def serialise_claims(conn: AsyncConnection) -> None:
        await conn.execute(text(f"SELECT pg_advisory_xact_lock({CLAIM_LOCK})"))

    @staticmethod
    def insert_and_notify(insert_sql: str) -> str:
        """One statement, one round trip: the row and the wake-up commit together."""
        notify = f"SELECT pg_notify('{TASK_CHANNEL}', '') FROM ins"
        return f"WITH ins AS ({insert_sql} RETURNING id) {notify}"


class Sqlite:
    name = "sqlite"

    @staticmethod
    def insert(table: Table) -> Any:
        return sqlite.insert(table)

    @staticmethod
    async def notify(conn: AsyncConnection, channel: str, payload: str = "") -> None:
        pass  # no LISTEN on SQLite: the same process is woken in memory, others poll

    @staticmethod
    async def serialise_claims(conn: AsyncConnection) -> None:
        pass  # SQLite runs one write transaction at a time

    @staticmethod
    def insert_and_notify(insert_sql: str) -> str:
        return insert_sql


Dialect = Postgres | Sqlite


def dialect_of(engine: AsyncEngine) -> Dialect:
    return Postgres() if engine.dialect.name == "postgresql" else Sqlite()
