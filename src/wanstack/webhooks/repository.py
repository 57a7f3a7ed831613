"""Every SQL statement about webhooks: endpoints, the outbox of deliveries, their attempts.

The outbox follows the task queue's rules (:mod:`wanstack.task.repository`): rows are written by
:func:`enqueue_final` inside the very transaction that makes a task final, so an event exists
exactly when the final state does (a crash loses neither alone); deliveries are claimed under a
lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one atomic ``UPDATE`` on SQLite), and an
attempt is recorded only by the lease holder (``WHERE lease_owner = …``). ``now`` is always a
parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wanstack.db.tables import account
from wanstack.db.tables import task as t
from wanstack.db.tables import webhook_attempt as a
from wanstack.db.tables import webhook_delivery as d
from wanstack.db.tables import webhook_endpoint as e

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
Outcome = Literal["delivered", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A registered endpoint, as lists show it (never its secret)."""

    id: str
    account_id: str
    account_name: str
    workspace: str | None
    url: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery claimed for one attempt, with what sending it needs."""

    id: str
    task_id: str
    endpoint_id: str
    url: str
    secret: str
    attempts: int  #: attempts already made
    payload: str | None  #: the body, once a first attempt fixed it
    created_at: int


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    at: int
    duration_ms: int
    status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint, with every attempt so far."""

    id: str
    endpoint_id: str
    url: str
    task_id: str
    task_status: str
    state: str
    attempts: int
    created_at: int
    next_attempt_at: int | None  #: None unless pending
    delivered_at: int | None
    last_status: int | None
    last_error: str | None
    history: list[Attempt]


def _scope(account_id: str | None, workspace: str | None) -> Any:
    """Endpoints a caller may see: its account's (all of them without a workspace, else only
    that workspace's); ``account_id`` None means every account (the operator's CLI)."""
    conds = []
    if account_id is not None:
        conds.append(e.c.account_id == account_id)
    if workspace is not None:
        conds.append(e.c.workspace == workspace)
    return and_(true(), *conds)


async def enqueue_final(conn: AsyncConnection, task_ids: Sequence[str], now: int) -> None:
    """Inside the caller's transaction: one pending delivery per endpoint of each task's account
    (account-wide endpoints, and those of the task's workspace), due at once. Call it right
    after the update that made the tasks final; it reads their new status and retention."""
    if not task_ids:
        return
    source = (
        select(
            t.c.id + literal(":") + e.c.id,
            e.c.id,
            t.c.account_id,
            t.c.id,
            t.c.status,
            literal(PENDING),
            literal(0),
            literal(now, BigInteger),
            literal(now, BigInteger),
            t.c.expires_at,
        )
        .select_from(
            t.join(
                e,
                and_(
                    e.c.account_id == t.c.account_id,
                    or_(e.c.workspace.is_(None), e.c.workspace == t.c.workspace),
                ),
            )
        )
        .where(t.c.id.in_(list(task_ids)))
    )
    columns = [
        "id", "endpoint_id", "account_id", "task_id", "task_status", "state", "attempts",
        "created_at", "next_attempt_at", "expires_at",
    ]  # fmt: skip
    await conn.execute(insert(d).from_select(columns, source))


class WebhookRepository:
    """SQL for endpoints and deliveries, on SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- endpoints ---------------------------------------------------------------------------

    async def insert_endpoint(
        self,
        *,
        endpoint_id: str,
        account_id: str,
        workspace: str | None,
        url: str,
        secret: str,
        now: int,
    ) -> None:
        values = {
            "id": endpoint_id,
            "account_id": account_id,
            "workspace": workspace,
            "url": url,
            "secret": secret,
            "created_at": now,
        }
        async with self._engine.begin() as conn:
            await conn.execute(insert(e).values(values))

    async def count_endpoints(self, account_id: str) -> int:
        query = select(func.count()).select_from(e).where(e.c.account_id == account_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def endpoints(self, account_id: str | None, workspace: str | None) -> list[Endpoint]:
        query = (
            select(e.c.id, e.c.account_id, account.c.name, e.c.workspace, e.c.url, e.c.created_at)
            .join(account, account.c.id == e.c.account_id)
            .where(_scope(account_id, workspace))
            .order_by(e.c.created_at, e.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Endpoint(r.id, r.account_id, r.name, r.workspace, r.url, r.created_at) for r in rows
        ]

    async def delete_endpoint(
        self, endpoint_id: str, account_id: str | None, workspace: str | None
    ) -> bool:
        """Remove an endpoint visible in the scope, with its deliveries (pending ones stop) and
        their attempts; False when there is no such endpoint."""
        async with self._engine.begin() as conn:
            gone = await conn.execute(
                delete(e).where(e.c.id == endpoint_id, _scope(account_id, workspace))
            )
            if gone.rowcount != 1:
                return False
            ids = select(d.c.id).where(d.c.endpoint_id == endpoint_id)
            await conn.execute(delete(a).where(a.c.delivery_id.in_(ids)))
            await conn.execute(delete(d).where(d.c.endpoint_id == endpoint_id))
        return True

    # --- deliveries --------------------------------------------------------------------------

    async def deliveries(
        self,
        account_id: str | None,
        workspace: str | None,
        *,
        endpoint_id: str | None = None,
        task_id: str | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """The newest deliveries in the scope, each with its attempts, oldest attempt first."""
        conds = [_scope(account_id, workspace)]
        if endpoint_id is not None:
            conds.append(d.c.endpoint_id == endpoint_id)
        if task_id is not None:
            conds.append(d.c.task_id == task_id)
        query = (
            select(d, e.c.url)
            .join(e, e.c.id == d.c.endpoint_id)
            .where(*conds)
            .order_by(d.c.created_at.desc(), d.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            ids = [r.id for r in rows]
            history: dict[str, list[Attempt]] = {i: [] for i in ids}
            if ids:
                found = await conn.execute(
                    select(a).where(a.c.delivery_id.in_(ids)).order_by(a.c.attempt)
                )
                for r in found:
                    history[r.delivery_id].append(
                        Attempt(r.attempt, r.at, r.duration_ms, r.status, r.error)
                    )
        return [
            Delivery(
                id=r.id,
                endpoint_id=r.endpoint_id,
                url=r.url,
                task_id=r.task_id,
                task_status=r.task_status,
                state=r.state,
                attempts=r.attempts,
                created_at=r.created_at,
                next_attempt_at=r.next_attempt_at if r.state == PENDING else None,
                delivered_at=r.delivered_at,
                last_status=r.last_status,
                last_error=r.last_error,
                history=history[r.id],
            )
            for r in rows
        ]

    async def claim(self, *, owner: str, now: int, lease_ms: int, limit: int) -> list[Due]:
        """Lease up to ``limit`` due deliveries (pending, time come, no live lease) to
        ``owner``, oldest due first. Two processes never hold the same delivery at once."""
        due = (
            select(d.c.id)
            .where(
                d.c.state == PENDING,
                d.c.next_attempt_at <= now,
                or_(d.c.lease_expires_at.is_(None), d.c.lease_expires_at < now),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        lease = (
            update(d)
            .where(d.c.id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=now + lease_ms)
            .returning(d.c.id)
        )
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(lease)).scalars())
            if not ids:
                return []
            rows = (
                await conn.execute(
                    select(
                        d.c.id,
                        d.c.task_id,
                        d.c.endpoint_id,
                        d.c.attempts,
                        d.c.payload,
                        d.c.created_at,
                        e.c.url,
                        e.c.secret,
                    )
                    .join(e, e.c.id == d.c.endpoint_id)
                    .where(d.c.id.in_(ids))
                    .order_by(d.c.next_attempt_at, d.c.id)
                )
            ).all()
        return [
            Due(
                r.id, r.task_id, r.endpoint_id, r.url, r.secret, r.attempts, r.payload, r.created_at
            )
            for r in rows
        ]

    async def record(
        self,
        delivery_id: str,
        *,
        owner: str,
        outcome: Outcome,
        at: int,
        duration_ms: int,
        status: int | None,
        error: str | None,
        payload: str | None,
        next_attempt_at: int | None = None,
        expires_at: int | None = None,
    ) -> bool:
        """Record one attempt by the lease holder and release the lease: delivered, due again
        at ``next_attempt_at``, or failed for good (kept until ``expires_at``). False when the
        lease was lost (the attempt is then not recorded; the new holder sends again)."""
        values: dict[str, Any] = {
            "attempts": d.c.attempts + 1,
            "last_status": status,
            "last_error": error,
            "payload": func.coalesce(d.c.payload, payload),
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if outcome == "delivered":
            values.update(state=DELIVERED, delivered_at=at)
        elif outcome == "retry":
            assert next_attempt_at is not None
            values.update(next_attempt_at=next_attempt_at)
        else:
            values.update(state=FAILED)
            if expires_at is not None:  # the later of the two, written as CASE for both dialects
                later = literal(expires_at, BigInteger)
                values.update(
                    expires_at=case((d.c.expires_at > later, d.c.expires_at), else_=later)
                )
        stmt = (
            update(d)
            .where(d.c.id == delivery_id, d.c.state == PENDING, d.c.lease_owner == owner)
            .values(values)
            .returning(d.c.attempts)
        )
        async with self._engine.begin() as conn:
            number = (await conn.execute(stmt)).scalar()
            if number is None:
                return False
            await conn.execute(
                insert(a).values(
                    delivery_id=delivery_id,
                    attempt=number,
                    at=at,
                    duration_ms=duration_ms,
                    status=status,
                    error=error,
                )
            )
        return True

    async def purge(self, *, now: int) -> int:
        """Delete finished deliveries (delivered, or failed for good) past their retention, and
        their attempts; pending ones stay until they finish."""
        done = and_(d.c.state.in_([DELIVERED, FAILED]), d.c.expires_at < now)
        async with self._engine.begin() as conn:
            ids = select(d.c.id).where(done)
            await conn.execute(delete(a).where(a.c.delivery_id.in_(ids)))
            return int((await conn.execute(delete(d).where(done))).rowcount)
