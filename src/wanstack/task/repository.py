"""Every SQL statement about tasks. The database is the queue.

Each state change is one guarded ``UPDATE … WHERE status = … [AND lease_owner = …]`` whose row
count says whether it happened; a worker that lost its lease gets 0 rows and must discard its
work (:func:`_held_by` is that guard, written once). ``now`` is always a parameter (see
:mod:`wanstack.clock`), never the database's clock. What differs between PostgreSQL and SQLite
(NOTIFY, the claim lock) is asked of :mod:`wanstack.db.dialect`, where the two sit side by side.
The claim's one statement is built in :mod:`wanstack.task.claims`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from wanstack.db.dialect import CANCEL_CHANNEL, TASK_CHANNEL, dialect_of
from wanstack.db.tables import task as t
from wanstack.domain import FINAL_STATUSES, Outcome, Task, TaskStatus, TaskSummary
from wanstack.task.claims import claim_statement, not_before
from wanstack.webhooks.repository import enqueue_final

_ACTIVE = (TaskStatus.PENDING.value, TaskStatus.RUNNING.value)


def _held_by(owner: str, attempt: int) -> Any:
    """The lease guard: RUNNING, leased to ``owner``, still on ``attempt``."""
    return and_(
        t.c.status == TaskStatus.RUNNING.value,
        t.c.lease_owner == owner,
        t.c.attempts == attempt,
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """Which tasks a caller may see: an account, and optionally one workspace in it."""

    account_id: str
    workspace: str | None = None

    def clause(self) -> Any:
        cond = t.c.account_id == self.account_id
        if self.workspace is not None:
            cond = and_(cond, t.c.workspace == self.workspace)
        return cond


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Filters of ``GET /tasks``; times are epoch ms, bounds inclusive."""

    start_ms: int
    end_ms: int
    model: str | None = None
    status: str | None = None
    api_key_id: str | None = None
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRef:
    """A task named by its id alone."""

    id: str


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _to_task(m: Any) -> Task:
    """A Task from a row mapping (SQLAlchemy ``row._mapping`` or ``sqlite3.Row``)."""
    return Task(
        id=m["id"],
        account_id=m["account_id"],
        api_key_id=m["api_key_id"],
        workspace=m["workspace"],
        model=m["model"],
        request_id=m["request_id"],
        status=TaskStatus(m["status"]),
        input=json.loads(m["input"]),
        parameters=json.loads(m["parameters"]),
        submitted_at=m["submitted_at"],
        expires_at=m["expires_at"],
        attempts=m["attempts"],
        scheduled_at=m["scheduled_at"],
        finished_at=m["finished_at"],
        lease_owner=m["lease_owner"],
        lease_expires_at=m["lease_expires_at"],
        output=_loads(m["output"]),
        usage=_loads(m["usage"]),
        code=m["code"],
        message=m["message"],
        engine=_loads(m["engine"]),
        partial=_loads(m["partial"]),
        progress=m["progress"],
    )


_INSERT_COLUMNS = (
    "id", "account_id", "api_key_id", "workspace", "model", "request_id", "status", "input",
    "parameters", "attempts", "submitted_at", "expires_at",
)  # fmt: skip
_INSERT = insert(t).values({name: bindparam(name) for name in _INSERT_COLUMNS})


def _get_query(by_account: bool, by_workspace: bool) -> Select[Any]:
    query = select(t).where(t.c.id == bindparam("id"))
    if by_account:
        query = query.where(t.c.account_id == bindparam("account_id"))
    if by_workspace:
        query = query.where(t.c.workspace == bindparam("workspace"))
    return query


_SUMMARY_COLUMNS = (
    t.c.id, t.c.account_id, t.c.api_key_id, t.c.workspace, t.c.model, t.c.request_id,
    t.c.status, t.c.submitted_at, t.c.scheduled_at, t.c.finished_at,
)  # fmt: skip


def _bind(order: tuple[str, ...] | None, values: dict[str, Any]) -> Any:
    return values if order is None else [values[name] for name in order]


class DirectAccess(Protocol):
    """A driver-level path for hot statements (:mod:`wanstack.db.sqlite_direct`,
    :mod:`wanstack.db.pg_direct`); parameters are a sequence (qmark) or a mapping (pyformat)."""

    async def fetchone(self, sql: str, params: Any) -> Any: ...

    async def execute(self, sql: str, params: Any) -> int: ...


class TaskRepository:
    """SQL for the ``task`` table, on SQLite or PostgreSQL.

    With ``direct``, the two hot statements — insert at submit and the point read of a task
    query — run on the driver directly: the same SQL, compiled once from the statements here,
    without the async adapter's per-statement overhead (see ``docs/performance.md``).
    """

    def __init__(self, engine: AsyncEngine, direct: DirectAccess | None = None) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)
        self._direct = direct
        self._compiled: dict[object, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(
        self, key: object, build: Callable[[], ClauseElement]
    ) -> tuple[str, tuple[str, ...] | None]:
        """The statement ``build()`` makes, compiled once for this dialect: its SQL text and,
        for positional parameter styles, the parameter order (None: named parameters)."""
        found = self._compiled.get(key)
        if found is None:
            compiled = build().compile(dialect=self._engine.dialect)
            assert isinstance(compiled, SQLCompiler)
            sql = str(compiled)
            if key == "insert":
                sql = self._dialect.insert_and_notify(sql)
            order = tuple(compiled.positiontup) if compiled.positiontup else None
            found = (sql, order)
            self._compiled[key] = found
        return found

    async def insert(self, task: Task) -> None:
        """Store a new PENDING task; durable when this returns. On PostgreSQL the same
        transaction sends a NOTIFY so idle workers elsewhere wake up at once."""
        values = {
            "id": task.id,
            "account_id": task.account_id,
            "api_key_id": task.api_key_id,
            "workspace": task.workspace,
            "model": task.model,
            "request_id": task.request_id,
            "status": task.status.value,
            "input": _dumps(task.input),
            "parameters": _dumps(task.parameters),
            "attempts": 0,
            "submitted_at": task.submitted_at,
            "expires_at": task.expires_at,
        }
        if self._direct is not None:
            sql, order = self._sql("insert", lambda: _INSERT)
            await self._direct.execute(sql, _bind(order, values))
            return
        async with self._engine.begin() as conn:
            await conn.execute(_INSERT, values)
            await self._dialect.notify(conn, TASK_CHANNEL)

    async def get(self, task_id: str, scope: Scope | None = None) -> Task | None:
        """The task, or None when it does not exist within ``scope``."""
        by_account = scope is not None
        by_workspace = scope is not None and scope.workspace is not None
        params = {
            "id": task_id,
            "account_id": scope.account_id if scope else None,
            "workspace": scope.workspace if scope else None,
        }
        if self._direct is not None:
            sql, order = self._sql(
                ("get", by_account, by_workspace), lambda: _get_query(by_account, by_workspace)
            )
            found = await self._direct.fetchone(sql, _bind(order, params))
            return None if found is None else _to_task(found)
        query = _get_query(by_account, by_workspace)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query, params)).first()
        return None if row is None else _to_task(row._mapping)

    async def list_page(
        self, scope: Scope, flt: ListFilter, *, offset: int, limit: int
    ) -> tuple[int, list[TaskSummary]]:
        """One page of the caller's tasks, newest first, and the total that match."""
        conds = [
            scope.clause(),
            t.c.submitted_at >= flt.start_ms,
            t.c.submitted_at <= flt.end_ms,
        ]
        if flt.model:
            conds.append(t.c.model == flt.model)
        if flt.status:
            conds.append(t.c.status == flt.status)
        if flt.api_key_id:
            conds.append(t.c.api_key_id == flt.api_key_id)
        if flt.task_id:
            conds.append(t.c.id == flt.task_id)
        where = and_(*conds)
        async with self._engine.connect() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(t).where(where))
            ).scalar_one()
            rows = (
                await conn.execute(
                    select(*_SUMMARY_COLUMNS)
                    .where(where)
                    .order_by(t.c.submitted_at.desc(), t.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return total, [TaskSummary(**{**r._mapping, "status": TaskStatus(r.status)}) for r in rows]

    async def claim(
        self,
        *,
        owner: str,
        now: int,
        lease_ms: int,
        max_attempts: int,
        account_limit: int = 0,
        skip_owner: bool = False,
        models: Sequence[str] | None = None,
    ) -> Task | None:
        """Atomically take the oldest runnable task and lease it to ``owner``; None when there
        is none. The statement and its filters (``models``, ``account_limit``,
        ``skip_owner``) are :func:`wanstack.task.claims.claim_statement`'s."""
        if models is not None and not models:
            return None  # no model to take: nothing can match
        stmt = claim_statement(
            owner=owner,
            now=now,
            lease_ms=lease_ms,
            max_attempts=max_attempts,
            account_limit=account_limit,
            skip_owner=skip_owner,
            models=models,
        )
        async with self._engine.begin() as conn:
            if account_limit > 0:
                # The per-account count and the claim must be one decision: serialise claims
                # (they are rare next to generation times) so two workers cannot both see
                # "below the limit" for the same account.
                await self._dialect.serialise_claims(conn)
            row = (await conn.execute(stmt)).first()
        return None if row is None else _to_task(row._mapping)

    async def heartbeat(
        self,
        task_id: str,
        *,
        owner: str,
        attempt: int,
        now: int,
        lease_ms: int,
        progress: int | None = None,
    ) -> bool:
        """Extend the lease (and record ``progress``, 0–100); False means the task was cancelled
        or re-claimed: stop working."""
        values: dict[str, Any] = {"lease_expires_at": now + lease_ms}
        if progress is not None:
            values["progress"] = progress
        stmt = update(t).where(t.c.id == task_id, _held_by(owner, attempt)).values(values)
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def finish_if_owner(
        self, task_id: str, *, owner: str, attempt: int, outcome: Outcome, now: int, expires_at: int
    ) -> bool:
        """Store the outcome if ``owner`` still holds this attempt; False means discard it."""
        stmt = (
            update(t)
            .where(t.c.id == task_id, _held_by(owner, attempt))
            .values(
                status=outcome.status.value,
                output=_dumps(outcome.output),
                usage=_dumps(outcome.usage),
                code=outcome.code,
                message=outcome.message,
                engine=_dumps(outcome.engine),
                finished_at=not_before(func.coalesce(t.c.scheduled_at, t.c.submitted_at), now),
                expires_at=expires_at,
                lease_owner=None,
                lease_expires_at=None,
                partial=None,
            )
        )
        async with self._engine.begin() as conn:
            done = (await conn.execute(stmt)).rowcount == 1
            if done:  # its webhook events commit with the final state, or neither does
                await enqueue_final(conn, [task_id], now)
            return done

    async def set_partial(
        self, task_id: str, *, owner: str, attempt: int, partial: dict[str, Any]
    ) -> bool:
        """Record what a running attempt has made so far (a streamed answer reads it); False
        means the attempt no longer holds the task."""
        stmt = (
            update(t)
            .where(t.c.id == task_id, _held_by(owner, attempt))
            .values(partial=_dumps(partial))
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def cancel(self, task_id: str, scope: Scope, *, now: int, expires_at: int) -> bool:
        """Cancel a PENDING or RUNNING task; False when it is in another state or not visible."""
        stmt = (
            update(t)
            .where(t.c.id == task_id, scope.clause(), t.c.status.in_(_ACTIVE))
            .values(
                status=TaskStatus.CANCELED.value,
                finished_at=not_before(func.coalesce(t.c.scheduled_at, t.c.submitted_at), now),
                expires_at=expires_at,
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        async with self._engine.begin() as conn:
            done = (await conn.execute(stmt)).rowcount == 1
            if done:  # tell the worker running it, wherever it is, to stop now
                await self._dialect.notify(conn, CANCEL_CHANNEL, task_id)
                await enqueue_final(conn, [task_id], now)
            return done

    async def release_if_owner(self, task_id: str, *, owner: str, attempt: int) -> bool:
        """Give a claimed task back to the queue (worker shutting down before it finished)."""
        stmt = (
            update(t)
            .where(t.c.id == task_id, _held_by(owner, attempt))
            .values(
                status=TaskStatus.PENDING.value,
                lease_owner=None,
                lease_expires_at=None,
                partial=None,
            )
        )
        async with self._engine.begin() as conn:
            done = (await conn.execute(stmt)).rowcount == 1
            if done:
                await self._dialect.notify(conn, TASK_CHANNEL)
            return done

    async def fail_exhausted(
        self, *, now: int, max_attempts: int, code: str, message: str, expires_at: int
    ) -> list[str]:
        """FAIL tasks whose lease expired on their last allowed attempt; returns their ids."""
        cond = and_(
            t.c.status == TaskStatus.RUNNING.value,
            t.c.lease_expires_at < now,
            t.c.attempts >= max_attempts,
        )
        stmt = (
            update(t)
            .where(cond)
            .values(
                status=TaskStatus.FAILED.value,
                code=code,
                message=message,
                finished_at=not_before(func.coalesce(t.c.scheduled_at, t.c.submitted_at), now),
                expires_at=expires_at,
                lease_owner=None,
                lease_expires_at=None,
            )
            .returning(t.c.id)
        )
        async with self._engine.begin() as conn:
            # The ids this UPDATE changed (not another process's): their events commit with it.
            ids = list((await conn.execute(stmt)).scalars())
            await enqueue_final(conn, ids, now)
        return ids

    async def expired(self, *, now: int, limit: int = 100) -> list[TaskRef]:
        """Finished tasks past their retention, oldest first: their ids only (a row can hold
        megabytes of input; the purge needs none of it)."""
        query = (
            select(t.c.id)
            .where(t.c.status.in_([s.value for s in FINAL_STATUSES]), t.c.expires_at < now)
            .order_by(t.c.expires_at)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [TaskRef(task_id) for task_id in (await conn.execute(query)).scalars()]

    async def delete(self, task_ids: Iterable[str]) -> int:
        ids = list(task_ids)
        if not ids:
            return 0
        async with self._engine.begin() as conn:
            return (await conn.execute(delete(t).where(t.c.id.in_(ids)))).rowcount

    async def counts(self) -> Sequence[tuple[str, str, int]]:
        """(model, status, count) over every stored task, for metrics."""
        query = select(t.c.model, t.c.status, func.count()).group_by(t.c.model, t.c.status)
        async with self._engine.connect() as conn:
            return [(m, s, n) for m, s, n in (await conn.execute(query)).all()]
