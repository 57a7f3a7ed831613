"""Every SQL statement about accounts and API keys (stored as SHA-256 hashes, never in clear)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.dialect import KEYS_CHANNEL, dialect_of
from wanstack.db.sqlite_direct import SqliteDirect
from wanstack.db.tables import account, api_key


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    account_id: str
    account_name: str
    workspace: str | None
    prefix: str
    created_at: int
    revoked_at: int | None


def _record(m: Any) -> ApiKeyRecord:
    """A key record from a row mapping (SQLAlchemy ``row._mapping`` or ``sqlite3.Row``)."""
    return ApiKeyRecord(
        id=m["id"],
        account_id=m["account_id"],
        account_name=m["name"],
        workspace=m["workspace"],
        prefix=m["prefix"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


_KEY_COLUMNS = (
    api_key.c.id,
    api_key.c.account_id,
    account.c.name,
    api_key.c.workspace,
    api_key.c.prefix,
    api_key.c.created_at,
    api_key.c.revoked_at,
)


def _by_hash_query() -> Any:
    return (
        select(*_KEY_COLUMNS)
        .join(account, account.c.id == api_key.c.account_id)
        .where(api_key.c.key_hash == bindparam("key_hash"), api_key.c.revoked_at.is_(None))
    )


class AccountRepository:
    """SQL for accounts and keys. With ``direct`` (SQLite), the key lookup runs on the driver
    directly, on the event loop (a few µs, no thread hop)."""

    def __init__(self, engine: AsyncEngine, direct: SqliteDirect | None = None) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)
        self._direct = direct
        self._by_hash_sql: tuple[str, tuple[str, ...]] | None = None

    async def account_id(self, name: str) -> str | None:
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(select(account.c.id).where(account.c.name == name))
            ).scalar()
        return None if value is None else str(value)

    async def insert_account(self, account_id: str, name: str, now: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(account).values(id=account_id, name=name, created_at=now))

    async def insert_key(
        self,
        *,
        key_id: str,
        account_id: str,
        workspace: str | None,
        key_hash: str,
        prefix: str,
        now: int,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(api_key).values(
                    id=key_id,
                    account_id=account_id,
                    workspace=workspace,
                    key_hash=key_hash,
                    prefix=prefix,
                    created_at=now,
                )
            )

    async def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The live (not revoked) key with this hash."""
        if self._direct is not None:
            if self._by_hash_sql is None:
                compiled = _by_hash_query().compile(dialect=self._engine.dialect)
                self._by_hash_sql = (str(compiled), tuple(compiled.positiontup or ()))
            sql, order = self._by_hash_sql
            found = await self._direct.fetchone(sql, [key_hash for _ in order])
            return None if found is None else _record(found)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_by_hash_query(), {"key_hash": key_hash})).first()
        return None if row is None else _record(row._mapping)

    async def keys(self, account_name: str | None = None) -> list[ApiKeyRecord]:
        query = select(*_KEY_COLUMNS).join(account, account.c.id == api_key.c.account_id)
        if account_name is not None:
            query = query.where(account.c.name == account_name)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(api_key.c.created_at))).all()
        return [_record(r._mapping) for r in rows]

    async def revoke(self, key_id_or_prefix: str, now: int) -> int:
        """Revoke keys by id, or by the visible prefix; returns how many were revoked."""
        stmt = (
            update(api_key)
            .where(
                (api_key.c.id == key_id_or_prefix) | (api_key.c.prefix == key_id_or_prefix),
                api_key.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        async with self._engine.begin() as conn:
            revoked = (await conn.execute(stmt)).rowcount
            if revoked:  # every process drops its cached keys (see wanstack.worker.listen)
                await self._dialect.notify(conn, KEYS_CHANNEL)
            return revoked
