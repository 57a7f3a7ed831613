"""Where a PENDING task stands in the queue (``output.queue_position``, a wanstack extension).

Workers claim the oldest runnable task first (``submitted_at``, then ``id``); a task's position
is 1 + the PENDING tasks of the same model ahead of it in that order, so 1 means "next to run for
its model". It is a count at the moment of the query: tasks of other models, retries of tasks
whose worker died and per-account limits can still run first. The count reads the
``(status, model, submitted_at)`` index.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.db.tables import task as t
from wanstack.domain import Task, TaskStatus


class QueuePositions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def position(self, task: Task) -> int:
        """1 + the PENDING tasks of ``task``'s model submitted before it."""
        ahead = (
            select(func.count())
            .select_from(t)
            .where(
                t.c.status == TaskStatus.PENDING.value,
                t.c.model == task.model,
                or_(
                    t.c.submitted_at < task.submitted_at,
                    and_(t.c.submitted_at == task.submitted_at, t.c.id < task.id),
                ),
            )
        )
        async with self._engine.connect() as conn:
            count = (await conn.execute(ahead)).scalar_one()
        return int(count) + 1
