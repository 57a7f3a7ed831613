"""The delivery loop: every process that runs workers sends the outbox's due events.

Each round claims up to :data:`BATCH` due deliveries under a lease (so processes sharing a
database never hold the same one), sends them at once, and records each attempt: a 2xx marks
the delivery delivered; anything else (another status, a refused address, no connection, no
answer within ``timeout_s``) schedules the next attempt by the :class:`RetrySchedule`, or fails
the delivery for good after its last one. Delivery is at least once: a process that dies after
sending and before recording leaves the lease to expire, and the event is sent again with the
same ``webhook-id``, which receivers deduplicate on.

The body is built at the first attempt (the task as ``GET /tasks/{id}`` shows it, signed URLs
included) and stored with it, so every retry sends the same bytes, even after the task itself
is purged; each attempt is signed anew with its own timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
import time
import uuid

import httpx

from wanstack.clock import Clock
from wanstack.fetch import FetchError
from wanstack.storage.base import Storage
from wanstack.task.repository import TaskRepository
from wanstack.webhooks.repository import Due, Outcome, WebhookRepository
from wanstack.webhooks.schedule import RetrySchedule
from wanstack.webhooks.service import TaskWire, event_body, message_id
from wanstack.webhooks.signing import signed_headers
from wanstack.webhooks.target import Resolver, resolve, system_resolver

log = logging.getLogger(__name__)

#: deliveries claimed (and sent concurrently) per round
BATCH = 16
#: how often finished deliveries past retention are purged
PURGE_EVERY_S = 60.0
MAX_ERROR_CHARS = 500
USER_AGENT = "wanstack-webhooks"


class TaskGone(Exception):
    """The task of a never-attempted delivery was purged first (its event cannot be built)."""


class WebhookDelivery:
    """Sends due deliveries until stopped (see the module docstring).

    ``wire`` renders a task as ``GET /tasks/{id}`` does and ``base_url`` roots its signed result
    URLs (``WANSTACK_PUBLIC_URL``, or the address ``serve`` listens on).
    """

    def __init__(
        self,
        *,
        repo: WebhookRepository,
        tasks: TaskRepository,
        storage: Storage,
        wire: TaskWire,
        base_url: str,
        clock: Clock,
        schedule: RetrySchedule,
        allow_private: bool,
        timeout_s: float,
        retention_ms: int,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._repo = repo
        self._tasks = tasks
        self._storage = storage
        self._wire = wire
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._schedule = schedule
        self._allow_private = allow_private
        self._timeout_s = timeout_s
        self._retention_ms = retention_ms
        self._resolver = resolver
        # No keep-alive (and "Connection: close"): connections go to checked IPs, and a pooled
        # TLS connection verified for one name must never carry another name's request.
        self._transport = transport or httpx.AsyncHTTPTransport(
            retries=0, limits=httpx.Limits(max_keepalive_connections=0)
        )
        self._rng = rng or random.Random()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        #: a claim outlives the slowest attempt of its batch several times over
        self.lease_ms = round(max(60.0, 3 * timeout_s) * 1000)
        self._purged_at = -PURGE_EVERY_S

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def run_once(self) -> int:
        """One round: claim what is due, send it, record each attempt; returns how many
        attempts were made. Purges finished deliveries past retention now and then."""
        now = self._clock.now_ms()
        if time.monotonic() >= self._purged_at + PURGE_EVERY_S:
            self._purged_at = time.monotonic()
            if purged := await self._repo.purge(now=now):
                log.info("purged %d finished webhook deliveries", purged)
        due = await self._repo.claim(owner=self.owner, now=now, lease_ms=self.lease_ms, limit=BATCH)
        await asyncio.gather(*(self._attempt(item) for item in due))
        return len(due)

    async def run_forever(self, stop: asyncio.Event, interval: float) -> None:
        """Rounds until ``stop`` is set, sleeping ``interval`` s when nothing was due. A round
        in flight when ``stop`` is set is abandoned: its leases expire and the events are sent
        again later (at least once), so shutdown never waits for a slow receiver."""
        try:
            while not stop.is_set():
                sent = 0
                round_ = asyncio.ensure_future(self.run_once())
                halt = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({round_, halt}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    halt.cancel()
                if not round_.done():
                    round_.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await round_
                    break
                try:
                    sent = round_.result()
                except Exception:
                    log.exception("webhook delivery round failed; will retry")
                if sent < BATCH:  # a full batch means more may be due now
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), interval)
        finally:
            await self.aclose()

    async def _attempt(self, due: Due) -> None:
        started = self._clock.now_ms()
        clock_start = time.monotonic()
        payload = due.payload
        try:
            if payload is None:
                payload = await self._render(due)
        except TaskGone:
            await self._record(due, "failed", started, 0, None, "the task was purged first", None)
            return
        except Exception:
            log.exception("webhook %s: could not build the event; will retry", due.id)
            return  # the lease expires and the next round tries again
        status, error = await self._post(due, payload.encode("utf-8"))
        duration_ms = round((time.monotonic() - clock_start) * 1000)
        if status is not None and 200 <= status < 300:
            await self._record(due, "delivered", started, duration_ms, status, None, payload)
            return
        if error is None:
            error = f"HTTP {status}"
        delay = self._schedule.next_delay_ms(due.attempts + 1, self._rng)
        if delay is None:
            log.warning(
                "webhook %s (endpoint %s): attempt %d failed (%s); no attempts left",
                due.id,
                due.endpoint_id,
                due.attempts + 1,
                error,
            )
            await self._record(due, "failed", started, duration_ms, status, error, payload)
            return
        log.info(
            "webhook %s (endpoint %s): attempt %d failed (%s); next in %.1f s",
            due.id,
            due.endpoint_id,
            due.attempts + 1,
            error,
            delay / 1000,
        )
        await self._record(
            due, "retry", started, duration_ms, status, error, payload, next_at=started + delay
        )

    async def _record(
        self,
        due: Due,
        outcome: Outcome,
        at: int,
        duration_ms: int,
        status: int | None,
        error: str | None,
        payload: str | None,
        *,
        next_at: int | None = None,
    ) -> None:
        try:
            kept = await self._repo.record(
                due.id,
                owner=self.owner,
                outcome=outcome,
                at=at,
                duration_ms=duration_ms,
                status=status,
                error=None if error is None else error[:MAX_ERROR_CHARS],
                payload=payload,
                next_attempt_at=next_at,
                expires_at=at + self._retention_ms,
            )
        except Exception:
            # The lease runs out and the delivery is tried again: possibly a second send of a
            # delivered event (at least once), never a lost one.
            log.exception("webhook %s: could not record attempt %d", due.id, due.attempts + 1)
            return
        if not kept:
            log.warning("webhook %s: lease lost before its attempt was recorded", due.id)

    async def _render(self, due: Due) -> str:
        task = await self._tasks.get(due.task_id)
        if task is None:
            raise TaskGone(due.task_id)

        def url_for(key: str, expires_ms: int) -> str:
            return self._storage.url(key, expires_ms=expires_ms, base_url=self._base_url)

        body = event_body(task, self._wire(task, task.request_id, url_for), due.created_at)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    async def _post(self, due: Due, body: bytes) -> tuple[int | None, str | None]:
        """POST ``body`` to the endpoint: (HTTP status, None) when it answered, else (None,
        why). The address is checked again here (see :mod:`wanstack.webhooks.target`)."""
        try:
            target = await resolve(
                due.url, allow_private=self._allow_private, resolver=self._resolver
            )
        except FetchError as exc:
            return None, exc.reason
        timestamp = self._clock.now_ms() // 1000
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Connection": "close",
            **signed_headers(due.secret, message_id(due.task_id), timestamp, body),
        }
        timeout = httpx.Timeout(self._timeout_s, connect=min(self._timeout_s, 5.0))
        extensions: dict[str, object] = {"timeout": timeout.as_dict()}
        if target.urls[0].startswith("https:"):
            extensions["sni_hostname"] = target.name
        for i, url in enumerate(target.urls):
            request = httpx.Request(
                "POST", url, headers=headers, content=body, extensions=extensions
            )
            try:
                async with asyncio.timeout(self._timeout_s):
                    response = await self._transport.handle_async_request(request)
                    await response.aclose()  # the status is the answer; the body is not read
                return response.status_code, None
            except httpx.ConnectError as exc:
                if i + 1 < len(target.urls):
                    continue  # another checked address of the same host may answer
                return None, f"could not connect to {target.name} ({exc})"
            except (TimeoutError, httpx.TimeoutException):
                return None, f"{target.name} did not answer within {self._timeout_s:g} s"
            except httpx.HTTPError as exc:
                return None, f"sending to {target.name} failed ({type(exc).__name__}: {exc})"
        raise AssertionError("unreachable")  # pragma: no cover
