"""The claim: one guarded statement that takes the oldest runnable task and leases it.

``UPDATE task SET status = 'RUNNING', … WHERE id = (SELECT id … ORDER BY submitted_at, id LIMIT 1
FOR UPDATE SKIP LOCKED) RETURNING *``. On PostgreSQL ``SKIP LOCKED`` lets many workers claim at
once without waiting on each other's candidate row; on SQLite the single ``UPDATE … RETURNING`` is
atomic by itself (one writer at a time) and SQLAlchemy drops the locking clause. Whatever filters a
claim carries (the models a worker serves and has room for, the per-account limit) sit inside that
one statement, so the decision and the lease are never two steps another worker could split.

Index: ``(status, model, submitted_at)`` serves the model filter (revision 0008), next to
``(status, submitted_at)`` for claims of every model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Update, and_, case, func, literal, or_, select, update

from wanstack.db.tables import task as t
from wanstack.domain import TaskStatus


def not_before(earlier: Any, now: int) -> Any:
    """``now``, or ``earlier`` when the wall clock has stepped back since it was stored.

    A task's times must read submit <= scheduled <= end even when NTP moves the clock (or two
    hosts' clocks disagree by a millisecond); written as CASE so SQLite and PostgreSQL share it.
    """
    at = literal(now, BigInteger)
    return case((earlier > at, earlier), else_=at)


def claim_statement(
    *,
    owner: str,
    now: int,
    lease_ms: int,
    max_attempts: int,
    account_limit: int = 0,
    skip_owner: bool = False,
    models: Sequence[str] | None = None,
) -> Update:
    """The claim, as one ``UPDATE … RETURNING`` of every column (see the module docstring).

    Runnable: PENDING, or RUNNING with an expired lease and attempts left (its worker died).
    With ``models``, only tasks of those models (canonical ids, as stored); the caller passes a
    non-empty list. With ``account_limit`` > 0, accounts already running that many tasks under
    live leases are skipped; the caller serialises such claims (:meth:`serialise_claims` of
    :mod:`wanstack.db.dialect`) so the count and the claim are one decision. With
    ``skip_owner``, tasks still leased to ``owner`` itself are never taken back by it: a worker
    whose lease ran out during a database outage is still running (or storing) that task.
    """
    expired = and_(
        t.c.status == TaskStatus.RUNNING.value,
        t.c.lease_expires_at < now,
        t.c.attempts < max_attempts,
    )
    if skip_owner:
        expired = and_(expired, t.c.lease_owner != owner)
    runnable = or_(t.c.status == TaskStatus.PENDING.value, expired)
    candidate = select(t.c.id).where(runnable)
    if models is not None:
        candidate = candidate.where(t.c.model.in_(sorted(set(models))))
    if account_limit > 0:
        r = t.alias("r")
        running = (
            select(func.count())
            .select_from(r)
            .where(
                r.c.account_id == t.c.account_id,
                r.c.status == TaskStatus.RUNNING.value,
                r.c.lease_expires_at >= now,
            )
            .scalar_subquery()
        )
        candidate = candidate.where(running < account_limit)
    candidate = (
        candidate.order_by(t.c.submitted_at, t.c.id).limit(1).with_for_update(skip_locked=True)
    )
    return (
        update(t)
        .where(t.c.id == candidate.scalar_subquery())
        .values(
            status=TaskStatus.RUNNING.value,
            attempts=t.c.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + lease_ms,
            scheduled_at=func.coalesce(t.c.scheduled_at, not_before(t.c.submitted_at, now)),
            partial=None,  # a previous attempt's partial output named its discarded files
            progress=0,
        )
        .returning(*t.c)
    )
