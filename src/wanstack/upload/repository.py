"""Every SQL statement about uploaded files."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.dialect import dialect_of
from wanstack.db.tables import upload


class UploadRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)

    async def insert(
        self,
        *,
        key: str,
        account_id: str,
        model: str,
        size: int,
        now: int,
        expires_at: int,
        policy: str | None = None,
        policy_limit: int = 0,
    ) -> bool:
        """Record an upload; False when the key already exists (uploads never overwrite) or
        ``policy`` already has ``policy_limit`` uploads (0: no limit)."""
        ins = self._dialect.insert
        row = select(
            literal(key, String),
            literal(account_id, String),
            literal(model, String),
            literal(size, BigInteger),
            literal(now, BigInteger),
            literal(expires_at, BigInteger),
            literal(policy, String),
        )
        if policy_limit > 0:
            used = (
                select(func.count()).select_from(upload).where(upload.c.policy == policy)
            ).scalar_subquery()
            row = row.where(used < policy_limit)
        columns = ["key", "account_id", "model", "size", "created_at", "expires_at", "policy"]
        stmt = (
            ins(upload)
            .from_select(columns, row)
            .on_conflict_do_nothing(index_elements=[upload.c.key])
            # rowcount is not reliable for INSERT … ON CONFLICT on psycopg: ask for the row.
            .returning(upload.c.key)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def policy_uses(self, policy: str) -> int:
        query = select(func.count()).select_from(upload).where(upload.c.policy == policy)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def set_size(self, key: str, size: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(upload).where(upload.c.key == key).values(size=size))

    async def bytes_used(self, account_id: str, now: int) -> int:
        """Bytes of the account's live uploads."""
        query = select(func.coalesce(func.sum(upload.c.size), 0)).where(
            upload.c.account_id == account_id, upload.c.expires_at >= now
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def owner(self, key: str, now: int) -> str | None:
        """The account that uploaded ``key``, if it has not expired."""
        query = select(upload.c.account_id).where(upload.c.key == key, upload.c.expires_at >= now)
        async with self._engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return None if value is None else str(value)

    async def expired(self, now: int, limit: int = 500) -> list[str]:
        query = select(upload.c.key).where(upload.c.expires_at < now).limit(limit)
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def delete(self, keys: list[str]) -> None:
        if keys:
            async with self._engine.begin() as conn:
                await conn.execute(delete(upload).where(upload.c.key.in_(keys)))
