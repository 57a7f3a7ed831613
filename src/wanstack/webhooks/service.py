"""Webhook use cases: register, list and remove endpoints, list deliveries; the event body.

An account's endpoints receive one event per task of the account that reaches a final state
(SUCCEEDED, FAILED, CANCELED); an endpoint registered with a workspace (by a key or header
naming it) receives only that workspace's tasks, and only callers in that workspace see it.

The event follows what DashScope's own task events look like when EventBridge delivers them to
an HTTP target ("通过HTTP回调URL或MQ接收异步任务完成通知", help.aliyun.com/zh/model-studio/
async-task-api): a CloudEvents 1.0 envelope with ``source: acs.dashscope`` and ``type:
dashscope:System:AsyncTaskFinish``, whose ``data`` carries ``task_id``, ``task_status``,
``start_time``, ``end_time``, ``region``, ``request_id``, ``api_key_id`` and
``user_api_unique_key``. DashScope's event says ``contain_result: false`` and the receiver then
queries the task; here ``contain_result`` is true and ``data`` also holds ``output`` and
``usage`` exactly as ``GET /api/v1/tasks/{id}`` answers them (signed result URLs included), so
no query is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wanstack.catalog.registry import MODELS
from wanstack.clock import Clock, format_timestamp
from wanstack.domain import Task
from wanstack.errors import InvalidParameter, NotFound
from wanstack.fetch import FetchError
from wanstack.ident import random_bytes
from wanstack.webhooks.repository import Delivery, Endpoint, WebhookRepository
from wanstack.webhooks.signing import new_secret
from wanstack.webhooks.target import Resolver, check_url, resolve, system_resolver

__all__ = [
    "Delivery",
    "Endpoint",
    "NewEndpoint",
    "TaskWire",
    "UrlFor",
    "WebhookService",
    "event_body",
    "message_id",
]

#: endpoints one account may register
MAX_ENDPOINTS = 20
MAX_LISTED = 200
EVENT_SOURCE = "acs.dashscope"
EVENT_TYPE = "dashscope:System:AsyncTaskFinish"

#: Signs a storage key into an absolute URL valid until the given epoch ms.
UrlFor = Callable[[str, int], str]
#: The task as ``GET /tasks/{id}`` answers it, given a request id and a URL signer (the API's
#: wire module; passed in because the HTTP layer sits above this one).
TaskWire = Callable[[Task, str, UrlFor], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    """A registered endpoint and its secret: the only time the secret is shown."""

    endpoint: Endpoint
    secret: str


def message_id(task_id: str) -> str:
    """The event's id and ``webhook-id``: one per task's final state, the same on every retry
    and for every endpoint (receivers deduplicate on it)."""
    return f"msg_{task_id}"


def _rfc3339(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _unique_key(model: str) -> str:
    """DashScope's ``apikey:version:group:task:function-call:model`` for the model's endpoint
    (filters match its ``:<model>`` suffix)."""
    spec = MODELS.get(model)
    endpoint = sorted(spec.endpoints)[0] if spec is not None and spec.endpoints else "task/task"
    task_name, _, function = endpoint.partition("/")
    return f"apikey:v1:aigc:{task_name}:{function}:{model}"


def event_body(task: Task, wire: dict[str, Any], created_at: int) -> dict[str, Any]:
    """The event for a final ``task``; ``wire`` is its ``GET /tasks/{id}`` body (built with the
    task's own request id), ``created_at`` when it became final (epoch ms)."""
    started = task.scheduled_at if task.scheduled_at is not None else task.submitted_at
    ended = task.finished_at if task.finished_at is not None else created_at
    data: dict[str, Any] = {
        "task_id": task.id,
        "task_status": task.status.value,
        "start_time": (format_timestamp(started) or "")[:19],  # DashScope: yyyy-MM-dd HH:mm:ss
        "end_time": (format_timestamp(ended) or "")[:19],
        "region": "local",
        "request_id": task.request_id,
        "api_key_id": task.api_key_id,
        "user_api_unique_key": _unique_key(task.model),
        "contain_result": True,
    }
    data.update(wire)
    return {
        "specversion": "1.0",
        "id": message_id(task.id),
        "source": EVENT_SOURCE,
        "type": EVENT_TYPE,
        "datacontenttype": "application/json;charset=utf-8",
        "time": _rfc3339(ended),
        "data": data,
    }


class WebhookService:
    """Endpoints and deliveries, scoped like tasks: ``account_id`` and an optional workspace
    (``account_id`` None is the operator's view of every account)."""

    def __init__(
        self,
        repo: WebhookRepository,
        clock: Clock,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._allow_private = allow_private
        self._resolver = resolver

    async def add(self, account_id: str, workspace: str | None, url: object) -> NewEndpoint:
        """Register ``url`` for the account (and workspace). The URL must pass the rules of
        :func:`~wanstack.webhooks.target.check_url` and resolve to addresses the server may
        send to; :class:`InvalidParameter` names ``url`` and the rule otherwise."""
        checked = check_url(url)
        try:
            await resolve(checked, allow_private=self._allow_private, resolver=self._resolver)
        except FetchError as exc:
            raise InvalidParameter(f"url: {exc.reason}") from None
        if await self._repo.count_endpoints(account_id) >= MAX_ENDPOINTS:
            raise InvalidParameter(
                f"url: an account may register at most {MAX_ENDPOINTS} webhook endpoints; "
                "remove one first"
            )
        secret = new_secret()
        endpoint_id = "wh_" + random_bytes(10).hex()
        now = self._clock.now_ms()
        await self._repo.insert_endpoint(
            endpoint_id=endpoint_id,
            account_id=account_id,
            workspace=workspace,
            url=checked,
            secret=secret,
            now=now,
        )
        found = [
            ep for ep in await self._repo.endpoints(account_id, workspace) if ep.id == endpoint_id
        ]
        return NewEndpoint(endpoint=found[0], secret=secret)

    async def endpoints(self, account_id: str | None, workspace: str | None) -> list[Endpoint]:
        return await self._repo.endpoints(account_id, workspace)

    async def remove(self, account_id: str | None, workspace: str | None, endpoint_id: str) -> None:
        """Remove an endpoint and its deliveries (pending ones are not sent); :class:`NotFound`
        when the scope has no such endpoint."""
        if not (0 < len(endpoint_id) <= 64 and endpoint_id.isprintable()) or not (
            await self._repo.delete_endpoint(endpoint_id, account_id, workspace)
        ):
            raise NotFound(f"No webhook endpoint {endpoint_id[:80]!r}.")

    async def deliveries(
        self,
        account_id: str | None,
        workspace: str | None,
        *,
        endpoint_id: str | None = None,
        task_id: str | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """The newest deliveries (at most ``limit``, ≤ 200), each with its attempts."""
        if not 1 <= limit <= MAX_LISTED:
            raise InvalidParameter(f"limit must be an integer from 1 to {MAX_LISTED}")
        for name, value in (("endpoint_id", endpoint_id), ("task_id", task_id)):
            if value is not None and not (0 < len(value) <= 128 and value.isprintable()):
                raise InvalidParameter(f"{name} must be printable text of at most 128 characters")
        return await self._repo.deliveries(
            account_id, workspace, endpoint_id=endpoint_id, task_id=task_id, limit=limit
        )
