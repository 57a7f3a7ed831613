"""The worker pool: claim loop, concurrency slots, lease heartbeats, cancellation, graceful stop.

One loop claims tasks while a slot is free and otherwise sleeps until a wake-up signal (a submit in
this process, or NOTIFY on PostgreSQL) or ``poll_seconds``. Each running task has a heartbeat that
extends its lease; when the heartbeat finds the task cancelled or re-claimed, the engine's cancel
token is set, and the result is never written (every write is guarded by lease owner + attempt).

A pool serves the models of its :class:`ModelSelection`: each claim names the models it has room
for (served, and below their per-model cap), so it never takes another model's task. Once its
engines are loaded it registers in the worker registry and renews its row until it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from wanstack import __version__
from wanstack.clock import Clock
from wanstack.db.engine import is_unavailable
from wanstack.domain import Outcome, Task
from wanstack.engines.base import CancelToken
from wanstack.errors import TaskCanceled
from wanstack.logcontext import task_context
from wanstack.metrics import TASK_DURATION, TASKS_FINISHED
from wanstack.storage.base import Storage
from wanstack.task.repository import TaskRepository
from wanstack.task.wakeup import Wakeup
from wanstack.worker.execute import Executor, result_prefix
from wanstack.worker.registry import WorkerInfo, WorkerRegistry
from wanstack.worker.selection import ModelSelection

log = logging.getLogger(__name__)

#: Storing a result retries through database errors (an outage, a locked SQLite file) with
#: these pauses, doubling, for up to FINISH_RETRY_LIMIT_S: the guarded UPDATE is safe to repeat,
#: and a task whose result is dropped would run again after its lease.
FINISH_RETRY_FIRST_S = 0.1
FINISH_RETRY_MAX_S = 1.0
FINISH_RETRY_LIMIT_S = 600.0


class WorkerPool:
    """Runs up to ``concurrency`` tasks at once until :meth:`stop` is called."""

    def __init__(
        self,
        *,
        repo: TaskRepository,
        executor: Executor,
        storage: Storage,
        wakeup: Wakeup,
        clock: Clock,
        concurrency: int,
        lease_ms: int,
        max_attempts: int,
        account_limit: int,
        poll_seconds: float,
        retention_ms: int,
        selection: ModelSelection | None = None,
        registry: WorkerRegistry | None = None,
        registry_heartbeat_s: float = 5.0,
    ) -> None:
        self._repo = repo
        self._executor = executor
        self._storage = storage
        self._wakeup = wakeup
        self._clock = clock
        self._concurrency = concurrency
        self._lease_ms = lease_ms
        self._max_attempts = max_attempts
        self._account_limit = account_limit
        self._poll_seconds = poll_seconds
        self._retention_ms = retention_ms
        self.selection = selection or ModelSelection()
        self._registry = registry
        self._registry_heartbeat_s = registry_heartbeat_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._started_at = clock.now_ms()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[str, tuple[asyncio.Task[None], CancelToken]] = {}
        #: this pool's running tasks per model (the per-model caps count these)
        self._per_model: Counter[str] = Counter()
        #: set when one of this pool's tasks ends: its model may be below its cap again
        self._freed = asyncio.Event()
        self._outage_logged = False
        self._stopping = asyncio.Event()
        #: set once every engine is loaded; until then the pool claims nothing (/readyz waits)
        self.ready = asyncio.Event()
        wakeup.on_cancel(self._cancel_local)

    @property
    def heartbeat_seconds(self) -> float:
        # Often enough to notice a cancel quickly, and at least three beats per lease.
        return min(self._lease_ms / 3000, 2.0)

    def stop(self) -> None:
        """Stop claiming; :meth:`run` then drains the running tasks."""
        self._stopping.set()
        self._freed.set()
        self._wakeup.notify_submitted()  # wake the loop so it sees the flag

    async def run(self, drain_seconds: float = 60.0) -> None:
        """Claim and run tasks until stopped, then let running ones finish (or give them back)."""
        served = self.selection.served
        log.info(
            "worker %s started (%d slots; models: %s%s)",
            self.owner,
            self._concurrency,
            "all" if served is None else ", ".join(sorted(served)),
            "".join(f"; at most {n} {m} at once" for m, n in sorted(self.selection.caps.items())),
        )
        # Engines load before the first claim: weights, compiled kernels. A first task must not
        # wait for them, and a worker that cannot load one must not take work. Only the models
        # this worker serves: a CPU worker never loads video weights.
        started = time.perf_counter()
        took = await self._executor.load_engines(None if served is None else sorted(served))
        slowest = max(took, key=took.__getitem__) if took else "-"
        log.info(
            "engines loaded in %.2f s (slowest: %s, %.2f s)",
            time.perf_counter() - started,
            slowest,
            took.get(slowest, 0.0),
        )
        self.ready.set()
        announce = asyncio.create_task(self._announce(), name="worker-registry")
        try:
            while not self._stopping.is_set():
                await self._slots.acquire()
                if self._stopping.is_set():
                    self._slots.release()
                    break
                self._freed.clear()  # before reading the counts: a task ending after wakes us
                models = self.selection.claimable(self._per_model)
                if models is not None and not models:
                    # every model this pool serves is at its cap: wait for one of ours to end
                    self._slots.release()
                    await self._freed.wait()
                    continue
                try:
                    task = await self._repo.claim(
                        owner=self.owner,
                        skip_owner=True,
                        now=self._clock.now_ms(),
                        lease_ms=self._lease_ms,
                        max_attempts=self._max_attempts,
                        account_limit=self._account_limit,
                        models=models,
                    )
                except Exception as exc:
                    self._claim_failed(exc)
                    task = None
                    await asyncio.sleep(self._poll_seconds)
                else:
                    self._outage_logged = False
                if task is None:
                    self._slots.release()
                    await self._idle()
                    continue
                token = CancelToken()
                self._per_model[task.model] += 1
                job = asyncio.create_task(self._execute(task, token), name=f"task-{task.id}")
                self._running[task.id] = (job, token)
        finally:
            await self._drain(drain_seconds)
            announce.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await announce
            await self._unregister()
            log.info("worker %s stopped", self.owner)

    def _claim_failed(self, exc: Exception) -> None:
        """Log a failed claim: an outage once (claims retry every poll until it ends), any
        other error every time, with its traceback."""
        if not is_unavailable(exc):
            log.error("claim failed; retrying", exc_info=exc)
        elif not self._outage_logged:
            self._outage_logged = True
            log.warning("claim failed: the database is unavailable; retrying until it is back")

    async def _idle(self) -> None:
        """Wait until work may be waiting: a wake-up signal, ``poll_seconds``, or (with caps)
        one of this pool's tasks ending, since its model may then be claimable again."""
        if not self.selection.caps:
            await self._wakeup.wait(self._poll_seconds)
            return
        waits = {
            asyncio.ensure_future(self._wakeup.wait(self._poll_seconds)),
            asyncio.ensure_future(self._freed.wait()),
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()

    def info(self) -> WorkerInfo:
        """What this pool announces in the worker registry."""
        served = self.selection.served
        return WorkerInfo(
            id=self.owner,
            host=socket.gethostname(),
            pid=os.getpid(),
            models=None if served is None else tuple(sorted(served)),
            engines=self._executor.engine_families(self.selection.models()),
            caps=dict(self.selection.caps),
            concurrency=self._concurrency,
            version=__version__,
            started_at=self._started_at,
        )

    async def _announce(self) -> None:
        """Register, then renew the registry row every heartbeat; a database outage only
        delays it (the row comes back with the next beat that gets through)."""
        if self._registry is None:
            return
        info = self.info()
        heartbeat_ms = round(self._registry_heartbeat_s * 1000)
        failing = False
        while True:
            try:
                await self._registry.beat(info, now=self._clock.now_ms(), heartbeat_ms=heartbeat_ms)
                failing = False
            except Exception as exc:
                if not failing:  # once per outage, not every beat
                    log.warning("worker registry heartbeat failed (%s)", type(exc).__name__)
                failing = True
            await asyncio.sleep(self._registry_heartbeat_s)

    async def _unregister(self) -> None:
        if self._registry is None:
            return
        try:
            await self._registry.remove(self.owner)
        except Exception as exc:  # the row then shows as dead, and is purged later
            log.warning("could not remove this worker from the registry (%s)", type(exc).__name__)

    async def _drain(self, drain_seconds: float) -> None:
        jobs = [job for job, _ in self._running.values()]
        if not jobs:
            return
        log.info("draining %d running task(s), up to %.0f s", len(jobs), drain_seconds)
        _, pending = await asyncio.wait(jobs, timeout=drain_seconds)
        for task_id, (job, token) in list(self._running.items()):
            if job in pending:
                token.cancel()
                log.warning("task %s did not finish in time; giving it back to the queue", task_id)
        if pending:
            await asyncio.wait(pending, timeout=5)

    def _cancel_local(self, task_id: str) -> None:
        entry = self._running.get(task_id)
        if entry is not None:
            entry[1].cancel()

    async def _execute(self, task: Task, token: CancelToken) -> None:
        started = time.perf_counter()
        beat = asyncio.create_task(self._heartbeat(task, token))
        outcome: Outcome | None = None
        try:
            with task_context(task.id):
                log.info("task %s: attempt %d of model %s", task.id, task.attempts, task.model)
                try:
                    await self._clear_earlier_attempts(task)
                    outcome = await self._executor.run(task, token, self._partial_sink(task))
                except TaskCanceled:
                    outcome = None
                except Exception:  # the executor maps errors; this is a last resort
                    log.exception("task %s: unexpected failure", task.id)
                    outcome = None
                finally:
                    beat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await beat
                try:
                    await self._settle(task, token, outcome, time.perf_counter() - started)
                except Exception:
                    # Never let an error escape into an unobserved asyncio task; the lease
                    # guard decides what happens to the task from here.
                    log.exception("task %s: could not settle its outcome", task.id)
        finally:
            self._running.pop(task.id, None)
            self._per_model[task.model] -= 1
            self._freed.set()
            self._slots.release()

    async def _clear_earlier_attempts(self, task: Task) -> None:
        """Delete what earlier attempts stored: a worker killed between storing its files and
        recording them leaves them behind (one that lost its lease alive deletes its own)."""
        for attempt in range(1, task.attempts):
            await self._storage.delete_prefix(result_prefix(task.id, attempt))

    async def _settle(
        self, task: Task, token: CancelToken, outcome: Outcome | None, elapsed: float
    ) -> None:
        if outcome is not None and not token.cancelled:
            stored = await self._finish(task, outcome)
            if stored:
                log.info("task %s: %s in %.2f s", task.id, outcome.status.value, elapsed)
                TASKS_FINISHED.labels(task.model, outcome.status.value).inc()
                TASK_DURATION.labels(task.model, outcome.status.value).observe(elapsed)
                return
            if stored is None:
                log.error("task %s: result discarded: the database stayed unreachable", task.id)
            else:
                log.warning(
                    "task %s: lease lost (cancelled or re-claimed); result discarded", task.id
                )
        elif self._stopping.is_set() and await self._repo.release_if_owner(
            task.id, owner=self.owner, attempt=task.attempts
        ):
            # Shut down before the task finished: it went straight back to the queue.
            log.info("task %s: given back to the queue", task.id)
            return
        # Discarded work must not leave files behind; each attempt writes its own folder.
        await self._storage.delete_prefix(result_prefix(task.id, task.attempts))

    def _partial_sink(self, task: Task) -> Callable[[dict[str, Any]], Awaitable[object]]:
        async def sink(partial: dict[str, Any]) -> object:
            try:
                return await self._repo.set_partial(
                    task.id, owner=self.owner, attempt=task.attempts, partial=partial
                )
            except Exception:  # a streamed answer then waits for the end; the task goes on
                log.warning("task %s: could not record its partial output", task.id)
                return False

        return sink

    async def _finish(self, task: Task, outcome: Outcome) -> bool | None:
        """Store ``outcome`` under the lease guard, retrying through database errors: True
        stored, False the lease is gone (cancelled or re-claimed), None the database stayed
        unreachable for FINISH_RETRY_LIMIT_S (or the worker is stopping)."""
        delay = FINISH_RETRY_FIRST_S
        give_up = time.monotonic() + FINISH_RETRY_LIMIT_S
        while True:
            now = self._clock.now_ms()
            try:
                return await self._repo.finish_if_owner(
                    task.id,
                    owner=self.owner,
                    attempt=task.attempts,
                    outcome=outcome,
                    now=now,
                    expires_at=now + self._retention_ms,
                )
            except Exception as exc:
                if time.monotonic() + delay > give_up:
                    log.exception("task %s: could not store the result; giving up", task.id)
                    return None
                log.warning(
                    "task %s: could not store the result (%s); retrying in %.1f s",
                    task.id,
                    type(exc).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, FINISH_RETRY_MAX_S)

    async def _heartbeat(self, task: Task, token: CancelToken) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                alive = await self._repo.heartbeat(
                    task.id,
                    owner=self.owner,
                    attempt=task.attempts,
                    now=self._clock.now_ms(),
                    lease_ms=self._lease_ms,
                    progress=round(100 * token.progress),
                )
            except Exception:
                log.exception("task %s: heartbeat failed", task.id)
                continue
            if not alive:
                log.info("task %s: cancelled or lease lost; stopping its work", task.id)
                token.cancel()
                return
