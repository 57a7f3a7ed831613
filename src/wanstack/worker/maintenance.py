"""Housekeeping every process may run at once (each step is idempotent):
fail tasks whose attempts are used up, purge expired tasks (results and stored inputs), uploads,
rate windows and long-dead workers' registry rows, and on SQLite checkpoint and truncate the WAL."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.clock import Clock
from wanstack.db.engine import checkpoint
from wanstack.storage.base import Storage
from wanstack.task.inputs import input_prefix
from wanstack.task.ratelimit import RateLimiter
from wanstack.task.repository import TaskRepository
from wanstack.upload.service import UploadService
from wanstack.worker.execute import result_prefix
from wanstack.worker.registry import WorkerRegistry

log = logging.getLogger(__name__)

EXHAUSTED_CODE = "InternalError"


class Maintenance:
    def __init__(
        self,
        *,
        repo: TaskRepository,
        uploads: UploadService,
        limiter: RateLimiter,
        storage: Storage,
        clock: Clock,
        max_attempts: int,
        retention_ms: int,
        db: AsyncEngine | None = None,
        workers: WorkerRegistry | None = None,
    ) -> None:
        self._db = db
        self._workers = workers
        self._repo = repo
        self._uploads = uploads
        self._limiter = limiter
        self._storage = storage
        self._clock = clock
        self._max_attempts = max_attempts
        self._retention_ms = retention_ms

    async def run_once(self) -> None:
        now = self._clock.now_ms()
        failed = await self._repo.fail_exhausted(
            now=now,
            max_attempts=self._max_attempts,
            code=EXHAUSTED_CODE,
            message=(
                f"The task was interrupted {self._max_attempts} times (its worker stopped "
                "responding) and will not be retried."
            ),
            expires_at=now + self._retention_ms,
        )
        for task_id in failed:
            log.warning("task %s: attempts exhausted; FAILED", task_id)
        await self.purge()
        if self._db is not None:
            await checkpoint(self._db)

    async def purge(self) -> int:
        """Delete expired tasks: files first, then rows (a crash in between only repeats work)."""
        purged = 0
        while expired := await self._repo.expired(now=self._clock.now_ms()):
            for task in expired:
                await self._storage.delete_prefix(result_prefix(task.id))
                await self._storage.delete_prefix(input_prefix(task.id))
            purged += await self._repo.delete(t.id for t in expired)
        await self._uploads.purge_expired()
        if self._limiter.enabled:
            await self._limiter.purge()
        if self._workers is not None:
            await self._workers.purge(now=self._clock.now_ms())
        if purged:
            log.info("purged %d expired task(s)", purged)
        return purged

    async def run_forever(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("maintenance failed; will retry")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
