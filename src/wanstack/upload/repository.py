"""Every SQL statement about uploaded files."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.tables import upload


class UploadRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    async def insert(
        self, *, key: str, account_id: str, model: str, size: int, now: int, expires_at: int
    ) -> bool:
        """Record an upload; False when the key already exists (uploads never overwrite)."""
        ins = postgresql.insert if self._postgres else sqlite.insert
        stmt = (
            ins(upload)
            .values(
                key=key,
                account_id=account_id,
                model=model,
                size=size,
                created_at=now,
                expires_at=expires_at,
            )
            .on_conflict_do_nothing(index_elements=[upload.c.key])
            # rowcount is not reliable for INSERT … ON CONFLICT on psycopg: ask for the row.
            .returning(upload.c.key)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

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
