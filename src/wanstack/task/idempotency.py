"""``Idempotency-Key`` on submits (a wanstack extension; DashScope ignores the header): a client
that retries a submit whose answer it never saw (a timeout, a crash between the answer and its
own bookkeeping, as ``wanstack batch`` guards against) gets the same task, not a second one.

The key is claimed with the task id it will stand for *before* the task is inserted, in one
``INSERT … ON CONFLICT DO NOTHING``; whoever comes second reads the first's task id. If the
process dies between the claim and the task insert, a retry finds the key but no task and
inserts the task under the claimed id (the task table's primary key makes concurrent retries
create it once). A key reused with a different request body is refused. Keys live as long as the
task they name (the retention period); expired ones are deleted by later claims, a bounded batch
at a time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.dialect import dialect_of
from wanstack.db.tables import idempotency_key as k

HEADER = "idempotency-key"
MAX_KEY_CHARS = 255


def request_hash(endpoint: str, body: Any) -> str:
    """The request a key was first used for, as a digest of its canonical JSON."""
    canonical = json.dumps([endpoint, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Claimed:
    task_id: str  #: the task the key stands for (maybe not inserted yet)
    body_hash: str  #: the request it was first used for


class IdempotencyKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)

    async def claim(
        self, account_id: str, key: str, *, task_id: str, body_hash: str, now: int, expires_at: int
    ) -> Claimed:
        """Bind ``key`` to ``task_id`` unless it is bound already; the binding that holds."""
        purge = delete(k).where(k.c.expires_at < now)  # (indexed; what expired since the last)
        insert = (
            self._dialect.insert(k)
            .values(
                account_id=account_id,
                key=key,
                task_id=task_id,
                body_hash=body_hash,
                expires_at=expires_at,
            )
            .on_conflict_do_nothing()
        )
        bound = select(k.c.task_id, k.c.body_hash).where(
            k.c.account_id == account_id, k.c.key == key
        )
        async with self._engine.begin() as conn:
            await conn.execute(purge)
            await conn.execute(insert)
            row = (await conn.execute(bound)).one()
        return Claimed(task_id=row.task_id, body_hash=row.body_hash)
