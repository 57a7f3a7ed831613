"""The object graph of one process, built from :class:`Settings` (the composition root)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from wanstack.account.repository import AccountRepository
from wanstack.account.service import AccountService
from wanstack.catalog.registry import ALIASES, MODELS, SYNC_ENDPOINTS
from wanstack.clock import Clock, SystemClock
from wanstack.config import Settings
from wanstack.db.engine import connect_timeout, create_async, is_sqlite, is_unavailable, ping
from wanstack.db.migrate import upgrade
from wanstack.db.pg_direct import PgDirect
from wanstack.db.sqlite_direct import SqliteDirect
from wanstack.engines.registry import EngineProvider
from wanstack.fetch import Fetcher
from wanstack.storage.base import Storage
from wanstack.storage.configured import storage_for
from wanstack.storage.signing import Signer
from wanstack.task.idempotency import IdempotencyKeys
from wanstack.task.queue import QueuePositions
from wanstack.task.rate_repository import RateWindowRepository
from wanstack.task.ratelimit import DASHSCOPE_LIMITS, RateLimiter
from wanstack.task.repository import TaskRepository
from wanstack.task.service import TaskService
from wanstack.task.wakeup import Wakeup
from wanstack.upload.repository import UploadRepository
from wanstack.upload.service import UploadService
from wanstack.webhooks.delivery import WebhookDelivery
from wanstack.webhooks.repository import WebhookRepository
from wanstack.webhooks.schedule import RetrySchedule
from wanstack.webhooks.service import TaskWire, WebhookService
from wanstack.worker.execute import Executor
from wanstack.worker.listen import listen
from wanstack.worker.maintenance import Maintenance
from wanstack.worker.registry import WorkerRegistry
from wanstack.worker.runner import WorkerPool
from wanstack.worker.selection import ModelSelection

log = logging.getLogger(__name__)


def _direct(url: str, timeout: float) -> SqliteDirect | PgDirect | None:
    """The driver-level path for hot statements (see TaskRepository)."""
    if not is_sqlite(url):
        if make_url(url).get_backend_name() != "postgresql":
            return None
        return PgDirect(url, connect_timeout=connect_timeout(timeout))
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return SqliteDirect(database)


@dataclass
class Container:
    settings: Settings
    clock: Clock
    db: AsyncEngine
    signer: Signer
    storage: Storage
    wakeup: Wakeup
    tasks: TaskRepository
    task_service: TaskService
    accounts: AccountService
    uploads: UploadService
    limiter: RateLimiter
    fetcher: Fetcher
    engines: EngineProvider
    webhooks: WebhookService
    #: the worker registry: who serves which models (``wanstack workers``, ``/metrics``)
    workers: WorkerRegistry
    direct: SqliteDirect | PgDirect | None = None
    #: set by :meth:`deliver_webhooks`: this process sends the outbox's events
    webhook_delivery: WebhookDelivery | None = None
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _pools: list[WorkerPool] = field(default_factory=list)
    _fatal_listeners: list[Callable[[BaseException], None]] = field(default_factory=list)
    #: why the embedded worker pool died (engines that could not load), if it did
    fatal: BaseException | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        storage: Storage | None = None,
        fetcher: Fetcher | None = None,
        migrate: bool = True,
    ) -> Container:
        """Build everything (and bring the schema up to date unless ``migrate`` is False)."""
        engines = EngineProvider(settings.engines, settings.engine_options)
        engines.check()  # a misconfiguration is refused before anything else happens
        ModelSelection.parse(settings.worker_models, settings.model_concurrency)  # likewise
        url = settings.resolved_database_url()
        clock = clock or SystemClock()
        signer = Signer(settings.resolved_secret())
        storage = storage or storage_for(settings, signer, clock)  # refused here if wrong
        if migrate:
            upgrade(url)
        db = create_async(url, timeout=settings.database_timeout_seconds)
        direct = _direct(url, settings.database_timeout_seconds)
        wakeup = Wakeup()
        tasks = TaskRepository(db, direct)
        uploads = UploadService(
            UploadRepository(db),
            storage,
            signer,
            clock,
            settings.upload_retention_ms,
            quota_bytes=settings.upload_quota_mb * 1024 * 1024,
        )
        limiter = RateLimiter(
            RateWindowRepository(db),
            clock,
            DASHSCOPE_LIMITS if settings.rate_limits == "dashscope" else {},
        )
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            signer=signer,
            storage=storage,
            wakeup=wakeup,
            tasks=tasks,
            task_service=TaskService(
                tasks,
                uploads,
                limiter,
                wakeup,
                clock,
                storage,
                retention_ms=settings.retention_ms,
                min_free_bytes=settings.min_free_disk_mb * 1024 * 1024,
                positions=QueuePositions(db),
                keys=IdempotencyKeys(db),
                engines=settings.engines,
            ),
            accounts=AccountService(
                AccountRepository(db, direct if isinstance(direct, SqliteDirect) else None),
                clock,
                # SQLite deployments share one machine and data folder: a file says "revoked".
                revocation_marker=settings.data_dir / "keys-revoked" if is_sqlite(url) else None,
            ),
            uploads=uploads,
            limiter=limiter,
            fetcher=fetcher or Fetcher(allow_private=settings.allow_private_urls),
            engines=engines,
            webhooks=WebhookService(
                WebhookRepository(db), clock, allow_private=settings.allow_private_urls
            ),
            workers=WorkerRegistry(db),
            direct=direct,
        )

    def database_unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the database cannot be reached now (the HTTP layer answers
        ``503 ServiceUnavailable`` then, not a 500)."""
        return is_unavailable(exc)

    async def readiness(self) -> str | None:
        """Why this process cannot take work now (``None``: ready): the database does not
        answer, or storage's disk is below ``WANSTACK_MIN_FREE_DISK_MB``."""
        try:
            await ping(self.db)
        except Exception as exc:
            return type(exc).__name__
        if self.task_service.disk_full():
            return "DiskFull"
        if not all(pool.ready.is_set() for pool in self._pools):
            return "EnginesLoading"
        return None

    def served_models(self) -> list[dict[str, Any]]:
        """``GET /api/v1/models``: every model, its other names, its endpoints (and whether
        each answers synchronously) and the engine family configured for it."""
        served = []
        for model, spec in MODELS.items():
            sync: frozenset[str] = getattr(spec, "sync_endpoints", frozenset())
            served.append(
                {
                    "model": model,
                    "aliases": sorted(a for a, m in ALIASES.items() if m == model),
                    "endpoints": [
                        {
                            "path": f"/api/v1/services/aigc/{endpoint}",
                            "mode": "sync"
                            if endpoint in SYNC_ENDPOINTS
                            else ("async or sync" if endpoint in sync else "async"),
                        }
                        for endpoint in sorted(spec.endpoints)
                    ],
                    "engine": self.engines.implementation(model),
                }
            )
        return served

    def worker_pool(self, concurrency: int, models: list[str] | None = None) -> WorkerPool:
        """A worker pool of ``concurrency`` slots serving ``models`` (the ``--models`` flag;
        None: ``WANSTACK_WORKER_MODELS``, else every model), with the per-model caps of
        ``WANSTACK_MODEL_CONCURRENCY``. An unknown model raises :class:`ConfigError` naming
        where it came from."""
        s = self.settings
        selection = ModelSelection.parse(
            s.worker_models if models is None else models,
            s.model_concurrency,
            models_setting="WANSTACK_WORKER_MODELS" if models is None else "--models",
        )
        pool = WorkerPool(
            repo=self.tasks,
            executor=Executor(self.engines, self.storage, self.fetcher, self.uploads),
            storage=self.storage,
            wakeup=self.wakeup,
            clock=self.clock,
            concurrency=concurrency,
            lease_ms=s.lease_ms,
            max_attempts=s.max_attempts,
            account_limit=s.effective_account_concurrency,
            poll_seconds=s.poll_seconds,
            retention_ms=s.retention_ms,
            selection=selection,
            registry=self.workers,
            registry_heartbeat_s=s.worker_heartbeat_seconds,
        )
        self._pools.append(pool)
        return pool

    def maintenance(self) -> Maintenance:
        return Maintenance(
            repo=self.tasks,
            uploads=self.uploads,
            limiter=self.limiter,
            storage=self.storage,
            clock=self.clock,
            max_attempts=self.settings.max_attempts,
            retention_ms=self.settings.retention_ms,
            db=self.db,
            workers=self.workers,
        )

    def deliver_webhooks(self, wire: TaskWire, base_url: str | None) -> None:
        """Make this process send webhook events once its background loops start. ``wire`` is
        the task query's wire shape (the HTTP layer's, which this layer cannot import) and
        ``base_url`` the root of the result URLs in events; without one (a ``wanstack worker``
        with no ``WANSTACK_PUBLIC_URL``) this process leaves the events to those that have one."""
        if not base_url:
            log.info(
                "webhook events are left to processes that know the public URL "
                "(set WANSTACK_PUBLIC_URL to send them from this one too)"
            )
            return
        s = self.settings
        self.webhook_delivery = WebhookDelivery(
            repo=WebhookRepository(self.db),
            tasks=self.tasks,
            storage=self.storage,
            wire=wire,
            base_url=base_url,
            clock=self.clock,
            schedule=RetrySchedule(s.webhook_retry_schedule)
            if s.webhook_retry_schedule
            else RetrySchedule(),
            allow_private=s.allow_private_urls,
            timeout_s=s.webhook_timeout_seconds,
            retention_ms=s.retention_ms,
        )

    def start_background(self, *, workers: int) -> None:
        """Start the worker pool (if ``workers`` > 0), housekeeping, and LISTEN on PostgreSQL."""
        if workers > 0:
            pool = self.worker_pool(workers)
            job = asyncio.create_task(pool.run(self.settings.drain_seconds), name="worker-pool")
            job.add_done_callback(self._pool_ended)
            self._background.append(job)
        self._background.append(
            asyncio.create_task(
                self.maintenance().run_forever(max(self.settings.poll_seconds, 2.0), self._stop),
                name="maintenance",
            )
        )
        if self.webhook_delivery is not None:
            self._background.append(
                asyncio.create_task(
                    self.webhook_delivery.run_forever(self._stop, self.settings.poll_seconds),
                    name="webhooks",
                )
            )
        if self.db.dialect.name == "postgresql":
            self._background.append(
                asyncio.create_task(
                    listen(
                        self.settings.resolved_database_url(),
                        self.wakeup,
                        self._stop,
                        self.accounts.forget_keys,
                    ),
                    name="listen",
                )
            )

    def on_fatal(self, listener: Callable[[BaseException], None]) -> None:
        """Call ``listener`` when the embedded worker pool dies (its engines could not load):
        ``serve`` then stops instead of answering without a worker."""
        self._fatal_listeners.append(listener)

    def _pool_ended(self, job: asyncio.Task[None]) -> None:
        if job.cancelled() or job.exception() is None:
            return
        fatal = self.fatal = job.exception()
        assert fatal is not None
        log.error("the worker pool stopped: %s", fatal)
        for listener in self._fatal_listeners:
            listener(fatal)

    async def shutdown(self) -> None:
        """Stop claiming, drain running tasks, stop housekeeping, close connections."""
        for pool in self._pools:
            pool.stop()
        self._stop.set()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.fetcher.aclose()
        await self.storage.aclose()
        await self.db.dispose()
        if isinstance(self.direct, SqliteDirect):
            self.direct.close()
        elif isinstance(self.direct, PgDirect):
            await self.direct.close()

    @contextlib.asynccontextmanager
    async def running(self, *, workers: int) -> AsyncIterator[Container]:
        self.start_background(workers=workers)
        try:
            yield self
        finally:
            await self.shutdown()
