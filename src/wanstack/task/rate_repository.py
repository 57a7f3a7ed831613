"""Every SQL statement about rate windows (``rate_window``): one upserted counter per account,
kind of request and second."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.dialect import dialect_of
from wanstack.db.tables import rate_window


class RateWindowRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)

    async def count(self, bucket: str, *, expires_at: int) -> int:
        """Add one to ``bucket`` (created at 1) and return its count."""
        stmt = (
            self._dialect.insert(rate_window)
            .values(bucket=bucket, count=1, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=[rate_window.c.bucket], set_={"count": rate_window.c.count + 1}
            )
            .returning(rate_window.c.count)
        )
        async with self._engine.begin() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def purge(self, now: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(rate_window).where(rate_window.c.expires_at < now))
