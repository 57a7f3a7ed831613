"""Helpers of the API tier (the fixtures are in ``conftest.py``).

The API tier: the real ASGI app driven in-process through ``httpx.ASGITransport``.

Each test gets a fresh :class:`~wanstack.container.Container` over the ``database_url`` matrix
(SQLite and PostgreSQL), a :class:`FrozenClock`, the ``fake`` engine, and no embedded workers:
tests move tasks through the queue by hand (``claim`` / ``finish_if_owner``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from wanstack.container import Container
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.testing import FrozenClock

SUBMIT = "/api/v1/services/aigc/image2image/image-synthesis"
MODEL = "wanx-x-painting"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def async_headers(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-DashScope-Async": "enable", **extra}


def xpaint_body(**overrides: Any) -> dict[str, Any]:
    """A valid wanx-x-painting submit body (seed 003's example); ``input``/``parameters``
    entries can be replaced with ``input_<key>=`` / ``param_<key>=`` (value ``...`` deletes)."""
    inp: dict[str, Any] = {
        "prompt": "A dog wearing red glasses",
        "base_image_url": "http://example.com/base.png",
        "mask_image_url": "http://example.com/mask.png",
    }
    par: dict[str, Any] = {"size": "1024*1024", "n": 1}
    body: dict[str, Any] = {"model": MODEL, "input": inp, "parameters": par}
    for name, value in overrides.items():
        where, _, key = name.partition("_")
        target = {"input": inp, "param": par}.get(where) if key else None
        if target is None:
            body[name] = value
        elif value is ...:
            target.pop(key, None)
        else:
            target[key] = value
    return body


def check_envelope(resp: httpx.Response) -> dict[str, Any]:
    """Every JSON answer: application/json, a ``request_id`` equal to ``x-request-id``."""
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body, dict), body
    rid = resp.headers.get("x-request-id")
    assert rid, resp.headers
    assert body.get("request_id") == rid, (body, rid)
    assert UUID_RE.match(rid), rid
    if resp.status_code >= 400:
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("message"), str) and body["message"], body
        assert "detail" not in body, body
    else:
        assert not body.get("code"), body  # v2 treats a non-empty top-level code as an error
    return body


def check_error(
    resp: httpx.Response, status: int, code: str, message: str | None = None
) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = check_envelope(resp)
    assert body["code"] == code, body
    if message is not None:
        assert body["message"] == message, body
    return body


@dataclass
class Api:
    """One running app: its container, the ASGI client and the clock."""

    container: Container
    app: FastAPI
    client: httpx.AsyncClient
    clock: FrozenClock

    async def key(self, account: str = "acct", workspace: str | None = None) -> str:
        return await self.container.accounts.create_key(account, workspace=workspace)

    async def submit(
        self, key: str, body: Any | None = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            SUBMIT,
            json=xpaint_body() if body is None else body,
            headers={**async_headers(key), **(headers or {})},
        )

    async def submit_ok(self, key: str, body: Any | None = None, **headers: str) -> str:
        resp = await self.submit(key, body, headers=headers)
        assert resp.status_code == 200, resp.text
        return str(check_envelope(resp)["output"]["task_id"])

    async def query(self, key: str, task_id: str, **headers: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/v1/tasks/{task_id}", headers=auth(key, **headers))
        assert resp.status_code == 200, resp.text
        return check_envelope(resp)

    async def status(self, key: str, task_id: str, **headers: str) -> str:
        return str((await self.query(key, task_id, **headers))["output"]["task_status"])

    async def claim(self, task_id: str) -> Task:
        """Claim the oldest runnable task (the tests make sure it is ``task_id``)."""
        s = self.container.settings
        task = await self.container.tasks.claim(
            owner="test-worker",
            now=self.clock.now_ms(),
            lease_ms=s.lease_ms,
            max_attempts=s.max_attempts,
        )
        assert task is not None and task.id == task_id, task
        return task

    async def finish(self, task: Task, outcome: Outcome) -> None:
        now = self.clock.now_ms()
        done = await self.container.tasks.finish_if_owner(
            task.id,
            owner="test-worker",
            attempt=task.attempts,
            outcome=outcome,
            now=now,
            expires_at=now + self.container.settings.retention_ms,
        )
        assert done


MakeApi = Callable[..., Awaitable[Api]]


def succeeded_outcome(task_id: str) -> Outcome:
    return Outcome(
        status=TaskStatus.SUCCEEDED,
        output={
            "results": [
                {"key": f"results/{task_id}/1/a.png"},
                {
                    "code": "InternalError.Timeout",
                    "message": "An internal timeout error has occured during execution.",
                },
            ],
            "task_metrics": {"TOTAL": 2, "SUCCEEDED": 1, "FAILED": 1},
        },
        usage={"image_count": 1},
    )


def new_id() -> str:
    return str(uuid.uuid4())


async def post_upload(
    api: Api, cert: dict[str, Any], name: str, data: bytes, **override: str
) -> httpx.Response:
    """The multipart POST exactly as the 1.x SDK builds it (contract §8)."""
    fields = {
        "OSSAccessKeyId": cert["oss_access_key_id"],
        "Signature": cert["signature"],
        "policy": cert["policy"],
        "key": f"{cert['upload_dir']}/{name}",
        "x-oss-object-acl": cert["x_oss_object_acl"],
        "x-oss-forbid-overwrite": cert["x_oss_forbid_overwrite"],
        "success_action_status": "200",
        "x-oss-content-type": "image/png",
    }
    fields.update(override)
    return await api.client.post(
        cert["upload_host"], data=fields, files={"file": (name, data, "image/png")}
    )
