"""Per-account rate limits shared by every API process, kept in the database.

Fixed one-second windows: each request increments ``<account>:<kind>:<second>`` with one upsert
and is refused when the count passes the limit. Off unless ``WANSTACK_RATE_LIMITS=dashscope``.
"""

from __future__ import annotations

from wanstack.clock import Clock
from wanstack.errors import Throttled
from wanstack.task.rate_repository import RateWindowRepository

#: DashScope's published limits for these models (per account): submits/s and task queries/s.
DASHSCOPE_LIMITS = {"submit": 2, "query": 20}


class RateLimiter:
    def __init__(self, repo: RateWindowRepository, clock: Clock, limits: dict[str, int]) -> None:
        self._repo = repo
        self._clock = clock
        self._limits = limits

    @property
    def enabled(self) -> bool:
        return bool(self._limits)

    async def hit(self, account_id: str, kind: str) -> None:
        """Count one request; raise :class:`Throttled` (with Retry-After) when over the limit."""
        limit = self._limits.get(kind)
        if not limit:
            return
        second = self._clock.now_ms() // 1000
        bucket = f"{account_id}:{kind}:{second}"
        if await self._repo.count(bucket, expires_at=(second + 2) * 1000) > limit:
            raise Throttled(retry_after=1)

    async def purge(self) -> None:
        await self._repo.purge(self._clock.now_ms())
