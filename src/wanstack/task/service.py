"""Task use cases: submit, get, list and cancel, with the account rules applied.

Called by the HTTP routes and the CLI; every read and write is scoped to the caller's account
(and workspace), so a key never sees another account's task: it reads as missing (``UNKNOWN``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import DBAPIError

from wanstack.catalog.registry import spec_for
from wanstack.clock import Clock, parse_compact_time
from wanstack.domain import Caller, Task, TaskStatus, TaskSummary
from wanstack.engines.registry import DEFAULT_IMPLEMENTATION, check_served
from wanstack.errors import (
    BadRequest,
    InternalError,
    InvalidParameter,
    ServiceUnavailable,
    StorageUnavailable,
    UnsupportedOperation,
)
from wanstack.ident import new_uuid
from wanstack.storage.base import Storage
from wanstack.task.idempotency import MAX_KEY_CHARS, IdempotencyKeys, request_hash
from wanstack.task.inputs import input_prefix, offload
from wanstack.task.queue import QueuePositions
from wanstack.task.ratelimit import RateLimiter
from wanstack.task.repository import ListFilter, Scope, TaskRepository
from wanstack.task.wakeup import Wakeup
from wanstack.upload.service import UploadService

log = logging.getLogger(__name__)

#: how often the free space of storage is looked at again
DISK_CHECK_SECONDS = 1.0
#: Longest a sync request waits for its task (CPU engines at 1280*1280 with n=4 take a while).
SYNC_TIMEOUT_S = 900.0
#: Polling of a followed task: fast at first (the fake engine answers in milliseconds), then
#: gently; back to fast whenever it changed.
POLL_FIRST_S = 0.02
POLL_MAX_S = 0.25
SYNC_TIMEOUT_MESSAGE = (
    "An internal timeout error has occured during execution, please try again later or contact "
    "service support."
)

_DAY_MS = 24 * 3600 * 1000
MAX_PAGE_SIZE = 100
#: the longest task id, model name or key id a lookup or filter may name (ids are UUIDs)
MAX_ID_CHARS = 128


def _plausible(value: str) -> bool:
    """Could ``value`` name a stored task, model or key? Text that cannot (NUL, control
    characters, huge) never reaches the database: PostgreSQL refuses NUL in text outright."""
    return 0 < len(value) <= MAX_ID_CHARS and value.isprintable()


@dataclass(frozen=True, slots=True)
class TaskPage:
    total: int
    page_no: int
    page_size: int
    tasks: list[TaskSummary]

    @property
    def total_page(self) -> int:
        return (self.total + self.page_size - 1) // self.page_size


def scope_of(caller: Caller) -> Scope:
    return Scope(account_id=caller.account_id, workspace=caller.workspace)


class TaskService:
    def __init__(
        self,
        repo: TaskRepository,
        uploads: UploadService,
        limiter: RateLimiter,
        wakeup: Wakeup,
        clock: Clock,
        storage: Storage,
        *,
        retention_ms: int,
        min_free_bytes: int = 0,
        positions: QueuePositions | None = None,
        keys: IdempotencyKeys | None = None,
        engines: Mapping[str, str] | None = None,
    ) -> None:
        self._repo = repo
        self._engines = dict(engines or {})  # WANSTACK_ENGINES: model → engine family
        self._positions = positions
        self._keys = keys
        self._uploads = uploads
        self._limiter = limiter
        self._wakeup = wakeup
        self._clock = clock
        self._storage = storage
        self._retention_ms = retention_ms
        self._min_free_bytes = min_free_bytes
        self._disk_full = False
        self._disk_checked_at = -DISK_CHECK_SECONDS

    def disk_full(self) -> bool:
        """True when storage has less free space than the configured minimum (asked of the
        storage at most once a second: a submit should not pay a system call for it)."""
        now = time.monotonic()
        if now >= self._disk_checked_at + DISK_CHECK_SECONDS:
            free = self._storage.free_bytes()
            self._disk_full = free is not None and free < self._min_free_bytes
            self._disk_checked_at = now
        return self._disk_full

    async def submit(
        self,
        caller: Caller,
        endpoint: str,
        body: Any,
        *,
        oss_resolve: bool,
        request_id: str,
        idempotency_key: str | None = None,
    ) -> Task:
        """Validate and store a new task; it is durable when this returns. With an
        ``idempotency_key`` already used by the account for the same request, the task it
        created (see :mod:`wanstack.task.idempotency`)."""
        # 1. The envelope: {"model", "input", "parameters"}.
        if not isinstance(body, dict):
            raise BadRequest()
        model = body.get("model")
        if model is None or model == "":
            raise BadRequest(
                'Required parameter "model" missing from request.', code="BadRequest.EmptyModel"
            )
        if not isinstance(model, str):
            raise InvalidParameter(f"model must be a string, got {model!r}"[:200])
        if body.get("input") is None:
            raise BadRequest(
                "Required input parameter missing from request.", code="BadRequest.EmptyInput"
            )
        # 2. The model and its own rules.
        spec = spec_for(endpoint, model)
        # a function this server's engine cannot run is refused first, before its fields
        family = self._engines.get(spec.model, DEFAULT_IMPLEMENTATION)
        asked = body["input"].get("function") if isinstance(body["input"], dict) else None
        if isinstance(asked, str):
            check_served(spec.model, family, asked)
        submission = spec.validate(body["input"], body.get("parameters"))
        if isinstance(function := submission.input.get("function"), str):
            condition = submission.parameters.get("control_condition") or ""
            check_served(spec.model, family, function, str(condition))
        # 3. oss:// references need the resolve header (as on DashScope) and must be ours.
        for field, reference in submission.media:
            if reference[:6].lower() == "oss://":
                if not oss_resolve:
                    raise InvalidParameter(
                        f"{field}: The provided URL does not appear to be valid. oss:// URLs "
                        "need the header X-DashScope-OssResourceResolve: enable."
                    )
                await self._uploads.check_reference(caller.account_id, field, reference)
        # 4. Rate limit, then store: large inline inputs as files, then the row.
        await self._limiter.hit(caller.account_id, "submit")
        if self.disk_full():
            raise _disk_full()
        task_id = new_uuid()
        if idempotency_key is not None:
            task_id, earlier = await self._replayed(
                caller, endpoint, body, idempotency_key, task_id
            )
            if earlier is not None:
                return earlier
        try:
            stored_input = await offload(self._storage, task_id, submission.input, submission.media)
            now = self._clock.now_ms()
            task = Task(
                id=task_id,
                account_id=caller.account_id,
                api_key_id=caller.api_key_id,
                workspace=caller.workspace,
                model=spec.model,
                request_id=request_id,
                status=TaskStatus.PENDING,
                input=stored_input,
                parameters=submission.parameters,
                submitted_at=now,
                expires_at=now + self._retention_ms,
            )
            await self._repo.insert(task)
        except Exception as exc:  # (not on cancellation: the row may be committing still)
            if idempotency_key is not None:  # (a duplicate id: the driver's IntegrityError)
                existing = await self._repo.get(task_id, scope_of(caller))
                if existing is not None:  # a concurrent retry with the same key made it
                    return existing
            if isinstance(exc, StorageUnavailable):
                # Storage is down: a delete would only wait on it again before the 503. At most
                # the inputs stored before it failed remain, under no task (see deploy.md).
                raise
            await self._storage.delete_prefix(input_prefix(task_id))
            if _out_of_space(exc):
                log.error("submit refused: out of disk space (%s)", exc)
                raise _disk_full() from exc
            raise
        self._wakeup.notify_submitted()
        return task

    async def _replayed(
        self, caller: Caller, endpoint: str, body: Any, key: str, task_id: str
    ) -> tuple[str, Task | None]:
        """The task id ``key`` stands for, and that task when it exists already."""
        if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
            raise InvalidParameter(
                f"The Idempotency-Key header must be 1 to {MAX_KEY_CHARS} printable characters"
            )
        if self._keys is None:
            return task_id, None
        now = self._clock.now_ms()
        digest = request_hash(endpoint, body)
        claimed = await self._keys.claim(
            caller.account_id,
            key,
            task_id=task_id,
            body_hash=digest,
            now=now,
            expires_at=now + self._retention_ms,
        )
        if claimed.body_hash != digest:
            raise InvalidParameter(
                "The Idempotency-Key header was already used for a different request"
            )
        return claimed.task_id, await self._repo.get(claimed.task_id, scope_of(caller))

    async def get(self, caller: Caller, task_id: str) -> Task | None:
        """The caller's task, or None (reads as UNKNOWN)."""
        await self._limiter.hit(caller.account_id, "query")
        if not _plausible(task_id):
            return None
        task = await self._repo.get(task_id, scope_of(caller))
        if task is not None and task.status.is_final and task.expires_at < self._clock.now_ms():
            return None  # past retention; the purge will delete it soon
        if task is not None and task.status is TaskStatus.PENDING and self._positions:
            task = replace(task, queue_position=await self._positions.position(task))
        return task

    async def follow(
        self,
        caller: Caller,
        task_id: str,
        *,
        gone: Callable[[], Awaitable[bool]],
        timeout_s: float = SYNC_TIMEOUT_S,
    ) -> AsyncIterator[Task]:
        """The sync use case: wait on a task the caller submitted, yielding it each time its
        state or partial output changes, the last time when it is final.

        The task is cancelled when ``gone()`` says the client left (the iteration then just
        ends), and when it is not final within ``timeout_s`` (then ``InternalError.Timeout``).
        Polls the repository directly: these reads are not the client's queries and do not
        count against its query rate limit.
        """
        scope = scope_of(caller)
        deadline = time.monotonic() + timeout_s
        delay = POLL_FIRST_S
        seen: tuple[TaskStatus, str] | None = None
        finished = False
        try:
            while True:
                current = await self._repo.get(task_id, scope)
                if current is None:
                    raise InternalError()
                state = (current.status, repr(current.partial))
                if state != seen:
                    seen, delay = state, POLL_FIRST_S
                    finished = current.status.is_final
                    yield current
                    if finished:
                        return
                if await gone():
                    return
                if time.monotonic() > deadline:
                    raise InternalError(SYNC_TIMEOUT_MESSAGE, code="InternalError.Timeout")
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, POLL_MAX_S)
        finally:
            if not finished:  # the client left, or time ran out: stop the work
                with contextlib.suppress(UnsupportedOperation):  # it finished meanwhile
                    await asyncio.shield(self.cancel(caller, task_id))

    async def counts(self) -> list[tuple[str, str, int]]:
        """(model, status, count) over every stored task, for metrics."""
        return list(await self._repo.counts())

    async def cancel(self, caller: Caller, task_id: str) -> None:
        """Cancel a PENDING or RUNNING task (a running one stops its work)."""
        now = self._clock.now_ms()
        if not _plausible(task_id) or not await self._repo.cancel(
            task_id, scope_of(caller), now=now, expires_at=now + self._retention_ms
        ):
            raise UnsupportedOperation()
        self._wakeup.notify_cancelled(task_id)

    async def list(self, caller: Caller, query: dict[str, str]) -> TaskPage:
        """One page of the caller's tasks; filters as DashScope's ``GET /tasks``."""
        page_no = _int_param(query, "page_no", 1, lo=1, hi=1_000_000)
        page_size = _int_param(query, "page_size", 10, lo=1, hi=MAX_PAGE_SIZE)
        start = _time_param(query, "start_time")
        end = _time_param(query, "end_time")
        # Without bounds: the last 24 hours; with one bound, the other is 24 hours away from it.
        if start is None and end is None:
            end = self._clock.now_ms()
        if start is None:
            assert end is not None
            start = end - _DAY_MS
        if end is None:
            end = start + _DAY_MS
        status = query.get("status") or None
        if status is not None and status not in {s.value for s in TaskStatus} - {"UNKNOWN"}:
            raise InvalidParameter(
                "status must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, "
                f"got {status!r}"
            )
        for name in ("model_name", "api_key_id", "task_id"):
            value = query.get(name)
            if value and not _plausible(value):
                raise InvalidParameter(
                    f"{name} must be printable text of at most {MAX_ID_CHARS} characters"
                )
        flt = ListFilter(
            start_ms=start,
            end_ms=end,
            model=query.get("model_name") or None,
            status=status,
            api_key_id=query.get("api_key_id") or None,
            task_id=query.get("task_id") or None,
        )
        total, tasks = await self._repo.list_page(
            scope_of(caller), flt, offset=(page_no - 1) * page_size, limit=page_size
        )
        return TaskPage(total=total, page_no=page_no, page_size=page_size, tasks=tasks)


def _int_param(query: dict[str, str], key: str, default: int, *, lo: int, hi: int) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise InvalidParameter(f"{key} must be an integer from {lo} to {hi}, got {raw!r}")
    return value


def _time_param(query: dict[str, str], key: str) -> int | None:
    raw = query.get(key)
    if not raw:
        return None
    try:
        return parse_compact_time(raw)
    except ValueError:
        raise InvalidParameter(
            f"{key} must be a time written YYYYMMDDhhmmss (e.g. 20250101000000), got {raw!r}"
        ) from None


def _disk_full() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The server's disk is full, so it cannot accept new tasks now; nothing was stored. "
        "Please try again later."
    )


def _out_of_space(exc: BaseException) -> bool:
    """Did a write fail because the disk (or the database file's disk) is full?"""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    # PostgreSQL: SQLSTATE 53100 disk_full
    return getattr(getattr(cause, "diag", None), "sqlstate", None) == "53100"
