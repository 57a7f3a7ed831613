"""The worker registry: which worker processes are alive, what they serve, what they run.

Every worker pool (a ``wanstack worker`` process, or ``wanstack serve``'s embedded workers)
writes its row once its engines are loaded and renews it every
``WANSTACK_WORKER_HEARTBEAT_SECONDS``; each renewal says "live until now + three heartbeats"
(``expires_at``), so a reader needs no setting of its own to tell a live worker from a dead one.
A clean stop removes the row; a killed worker's row stays, shown as dead, until housekeeping
purges it :data:`PURGE_AFTER_MS` after it went silent.

The registry is information, not a lock: claims never read it (a worker's own models are in its
claim). It answers two questions: ``wanstack workers`` (who is there) and which PENDING tasks
no live worker serves (``wanstack_tasks_unserved`` in ``/metrics``): such tasks wait, never
failed by a worker of another model, until a worker that serves their model starts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.dialect import dialect_of
from wanstack.db.tables import task as t
from wanstack.db.tables import worker as w
from wanstack.domain import TaskStatus

#: A worker is dead once it missed this many heartbeats.
DEAD_AFTER_BEATS = 3
#: A dead worker's row is shown this long after it went silent, then purged.
PURGE_AFTER_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a worker announces about itself."""

    id: str  #: the lease owner of the tasks it runs
    host: str
    pid: int
    models: tuple[str, ...] | None  #: model ids it claims; None: every model
    engines: Mapping[str, str]  #: engine family per served model
    caps: Mapping[str, int]  #: most running tasks per model, within ``concurrency``
    concurrency: int
    version: str
    started_at: int


@dataclass(frozen=True, slots=True)
class WorkerState:
    """A registered worker as a reader sees it at ``now``."""

    info: WorkerInfo
    heartbeat_at: int
    expires_at: int
    live: bool
    #: its RUNNING tasks per model (from the task table: tasks leased to it)
    running: dict[str, int] = field(default_factory=dict)

    def serves(self, model: str) -> bool:
        return self.info.models is None or model in self.info.models


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class WorkerRegistry:
    """SQL for the ``worker`` table, on SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = dialect_of(engine)

    async def beat(self, info: WorkerInfo, *, now: int, heartbeat_ms: int) -> None:
        """Register ``info`` or renew its row: live until ``now`` + three heartbeats. An
        upsert, so a row purged while the worker could not reach the database comes back."""
        values = {
            "id": info.id,
            "host": info.host,
            "pid": info.pid,
            "models": None if info.models is None else _json(sorted(info.models)),
            "engines": _json(dict(info.engines)),
            "caps": _json(dict(info.caps)),
            "concurrency": info.concurrency,
            "version": info.version,
            "started_at": info.started_at,
            "heartbeat_at": now,
            "expires_at": now + DEAD_AFTER_BEATS * heartbeat_ms,
        }
        stmt = (
            self._dialect.insert(w)
            .values(values)
            .on_conflict_do_update(
                index_elements=[w.c.id],
                set_={"heartbeat_at": now, "expires_at": values["expires_at"]},
            )
        )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def remove(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(w).where(w.c.id == worker_id))

    async def purge(self, *, now: int) -> int:
        """Delete rows silent for longer than :data:`PURGE_AFTER_MS`; how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(w).where(w.c.expires_at < now - PURGE_AFTER_MS))
            return int(result.rowcount)

    async def workers(self, *, now: int) -> list[WorkerState]:
        """Every registered worker, live ones first, then by host and start time."""
        running_query = (
            select(t.c.lease_owner, t.c.model, func.count())
            .where(t.c.status == TaskStatus.RUNNING.value, t.c.lease_owner.is_not(None))
            .group_by(t.c.lease_owner, t.c.model)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(w))).all()
            running_rows = (await conn.execute(running_query)).all()
        running: dict[str, dict[str, int]] = defaultdict(dict)
        for owner, model, n in running_rows:
            running[owner][model] = int(n)
        states = []
        for row in rows:
            models = None if row.models is None else tuple(json.loads(row.models))
            info = WorkerInfo(
                id=row.id,
                host=row.host,
                pid=row.pid,
                models=models,
                engines=json.loads(row.engines),
                caps=json.loads(row.caps),
                concurrency=row.concurrency,
                version=row.version,
                started_at=row.started_at,
            )
            states.append(
                WorkerState(
                    info=info,
                    heartbeat_at=row.heartbeat_at,
                    expires_at=row.expires_at,
                    live=row.expires_at >= now,
                    running=running.get(row.id, {}),
                )
            )
        states.sort(key=lambda s: (not s.live, s.info.host, s.info.started_at, s.info.id))
        return states

    async def unserved(
        self, *, now: int, workers: list[WorkerState] | None = None
    ) -> dict[str, int]:
        """PENDING tasks per model that no live worker serves (they wait for one to start).
        ``workers``: a list :meth:`workers` just read, to save reading it again."""
        states = await self.workers(now=now) if workers is None else workers
        live = [s for s in states if s.live]
        if any(s.info.models is None for s in live):
            return {}
        served = {model for s in live for model in s.info.models or ()}
        query = (
            select(t.c.model, func.count())
            .where(t.c.status == TaskStatus.PENDING.value)
            .group_by(t.c.model)
        )
        async with self._engine.connect() as conn:
            pending = (await conn.execute(query)).all()
        return {model: int(n) for model, n in pending if model not in served}
