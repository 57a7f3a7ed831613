"""Per-account rate limits shared by every API process, kept in the database.

Fixed one-second windows: each request increments ``<account>:<kind>:<second>`` with one upsert
and is refused when the count passes the limit. Off unless ``WANSTACK_RATE_LIMITS=dashscope``.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.clock import Clock
from wanstack.db.tables import rate_window
from wanstack.errors import Throttled

#: DashScope's published limits for these models (per account): submits/s and task queries/s.
DASHSCOPE_LIMITS = {"submit": 2, "query": 20}


class RateLimiter:
    def __init__(self, engine: AsyncEngine, clock: Clock, limits: dict[str, int]) -> None:
        self._engine = engine
        self._clock = clock
        self._limits = limits
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @property
    def enabled(self) -> bool:
        return bool(self._limits)

    async def hit(self, account_id: str, kind: str) -> None:
        """Count one request; raise :class:`Throttled` (with Retry-After) when over the limit."""
        limit = self._limits.get(kind)
        if not limit:
            return
        now = self._clock.now_ms()
        second = now // 1000
        values = self._insert(rate_window).values(
            bucket=f"{account_id}:{kind}:{second}", count=1, expires_at=(second + 2) * 1000
        )
        stmt = values.on_conflict_do_update(
            index_elements=[rate_window.c.bucket], set_={"count": rate_window.c.count + 1}
        ).returning(rate_window.c.count)
        async with self._engine.begin() as conn:
            count = (await conn.execute(stmt)).scalar_one()
        if count > limit:
            raise Throttled(retry_after=1)

    async def purge(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(rate_window).where(rate_window.c.expires_at < self._clock.now_ms())
            )
