"""``GET /api/v1/tasks/{id}`` and ``POST /api/v1/tasks/{id}/cancel`` (contract §5.2, §5.4,
§10 C02/C03/C06–C10/C31/C32), result URLs, retention and the purge."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.api.support import (
    Api,
    auth,
    check_envelope,
    check_error,
    new_id,
    succeeded_outcome,
)
from wanstack.domain import Outcome, TaskStatus

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
CANCEL_MESSAGE = "Failed to cancel the task, please confirm if the task is in PENDING status."
PNG = b"\x89PNG\r\n\x1a\n" + b"fake image bytes" * 10


async def test_pending_task_reads_pending(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    body = await api.query(key, task_id)
    assert list(body) == ["request_id", "output"]
    out = body["output"]
    assert out["task_id"] == task_id
    assert out["task_status"] == "PENDING"
    assert TIME_RE.match(out["submit_time"])
    # FrozenClock starts at 2026-01-01 00:00:00 UTC: DashScope shows Beijing time (UTC+8)
    assert out["submit_time"] == "2026-01-01 08:00:00.000"
    assert "end_time" not in out and "scheduled_time" not in out
    assert "results" not in out and "usage" not in body
    assert "code" not in out


async def test_unknown_task_is_200_unknown(api: Api, key: str) -> None:
    for task_id in ("no-such-id", new_id(), "x" * 100):
        body = await api.query(key, task_id)
        assert body["output"] == {"task_id": task_id, "task_status": "UNKNOWN"}


async def test_another_accounts_task_is_unknown_and_not_cancelable(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    intruder = await api.key("other-account")
    body = await api.query(intruder, task_id)
    assert body["output"] == {"task_id": task_id, "task_status": "UNKNOWN"}
    resp = await api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth(intruder))
    check_error(resp, 400, "UnsupportedOperation", CANCEL_MESSAGE)
    assert await api.status(key, task_id) == "PENDING"
    # another key of the owning account sees it (tasks belong to the account, §11.3)
    sibling = await api.key("acct")
    assert await api.status(sibling, task_id) == "PENDING"


async def test_trailing_slash_and_stray_query_are_ignored(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    for path in (
        f"/api/v1/tasks/{task_id}/",
        f"/api/v1/tasks/{task_id}/?size=1024*1024",
        f"/api/v1/tasks/{task_id}?size=1024*1024&model=x&page_no=abc",
    ):
        resp = await api.client.get(path, headers=auth(key))
        assert resp.status_code == 200, resp.text
        out = check_envelope(resp)["output"]
        assert out["task_id"] == task_id and out["task_status"] == "PENDING"


async def test_running_task_reads_running_with_metrics(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key, None)
    api.clock.advance(1.5)
    await api.claim(task_id)
    out = (await api.query(key, task_id))["output"]
    assert out["task_status"] == "RUNNING"
    assert out["scheduled_time"] == "2026-01-01 08:00:01.500"
    assert out["task_metrics"] == {"TOTAL": 1, "SUCCEEDED": 0, "FAILED": 0}
    assert "end_time" not in out


async def test_succeeded_task_with_partial_failure(api: Api, key: str) -> None:
    """Contract C07 / seed 003's partial-failure example, through the file route."""
    task_id = await api.submit_ok(key)
    task = await api.claim(task_id)
    file_key = f"results/{task_id}/1/a.png"
    await api.container.storage.put(file_key, PNG, "image/png")
    api.clock.advance(2.25)
    await api.finish(task, succeeded_outcome(task_id))

    body = await api.query(key, task_id)
    out = body["output"]
    assert out["task_status"] == "SUCCEEDED"
    assert out["end_time"] == "2026-01-01 08:00:02.250"
    assert TIME_RE.match(out["scheduled_time"])
    url = out["results"][0]["url"]
    assert url.startswith("http://testserver/"), url
    assert list(out["results"][0]) == ["url"]
    assert out["results"][1] == {
        "code": "InternalError.Timeout",
        "message": "An internal timeout error has occured during execution.",
    }
    assert out["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 1, "FAILED": 1}
    assert body["usage"] == {"image_count": 1}
    assert "code" not in out and "code" not in body

    # the signed URL serves the bytes, without any Authorization header
    resp = await api.client.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.content == PNG
    assert resp.headers["content-type"] == "image/png"
    assert resp.headers["x-request-id"]

    # a tampered signature, or a moved expiry, is refused with JSON
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    sig = query["Signature"]
    for changed in (
        {**query, "Signature": ("A" if sig[0] != "A" else "B") + sig[1:]},
        {**query, "Signature": ""},
        {**query, "Expires": str(int(query["Expires"]) + 3600)},
    ):
        tampered = parts._replace(query=urlencode(changed)).geturl()
        check_error(await api.client.get(tampered), 403, "AccessDenied")
    # the signature is bound to the key
    other = url.replace("/1/a.png", "/1/b.png")
    check_error(await api.client.get(other), 403, "AccessDenied")

    # the URL lives as long as the task (24 h by default)
    assert int(query["Expires"]) == (task.submitted_at + 2250 + 24 * 3600 * 1000) // 1000
    api.clock.advance(24 * 3600 - 1)
    assert (await api.client.get(url)).status_code == 200
    assert await api.status(key, task_id) == "SUCCEEDED"

    # past retention: the URL is refused and the task reads UNKNOWN ...
    api.clock.advance(2)
    check_error(await api.client.get(url), 403, "AccessDenied")
    assert (await api.query(key, task_id))["output"] == {
        "task_id": task_id,
        "task_status": "UNKNOWN",
    }
    # ... and the purge removes the row and the file
    await api.container.maintenance().run_once()
    assert await api.container.tasks.get(task_id) is None
    path = api.container.storage.local_path(file_key)
    assert path is not None and not path.exists()


async def test_failed_task_reads_failed_with_code(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    task = await api.claim(task_id)
    message = "The size is not match the allowed size ['1024*1024', '720*1280', '1280*720']"
    await api.finish(
        task, Outcome(status=TaskStatus.FAILED, code="InvalidParameter", message=message)
    )
    resp = await api.client.get(f"/api/v1/tasks/{task_id}", headers=auth(key))
    assert resp.status_code == 200  # a failed task is a successful query (C06)
    body = check_envelope(resp)
    out = body["output"]
    assert out["task_status"] == "FAILED"
    assert out["code"] == "InvalidParameter"
    assert out["message"] == message
    assert TIME_RE.match(out["end_time"])
    assert "usage" not in body


# --- cancel ----------------------------------------------------------------------------------


async def test_cancel_pending_task(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    api.clock.advance(3)
    resp = await api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth(key))
    assert resp.status_code == 200, resp.text
    body = check_envelope(resp)
    assert list(body) == ["request_id"]
    out = (await api.query(key, task_id))["output"]
    assert out["task_status"] == "CANCELED"
    assert out["end_time"] == "2026-01-01 08:00:03.000"
    # a second cancel: the DashScope error, verbatim
    resp = await api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth(key))
    check_error(resp, 400, "UnsupportedOperation", CANCEL_MESSAGE)
    # nothing claims a canceled task
    assert (
        await api.container.tasks.claim(
            owner="w", now=api.clock.now_ms(), lease_ms=1000, max_attempts=3
        )
    ) is None


async def test_cancel_like_the_aio_sdk(api: Api, key: str) -> None:
    """C32: trailing slash and a JSON body ``{"model":"","parameters":{},"input":""}``."""
    task_id = await api.submit_ok(key)
    resp = await api.client.post(
        f"/api/v1/tasks/{task_id}/cancel/",
        json={"model": "", "parameters": {}, "input": ""},
        headers=auth(key),
    )
    assert resp.status_code == 200, resp.text
    check_envelope(resp)
    assert await api.status(key, task_id) == "CANCELED"


async def test_cancel_running_task(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    task = await api.claim(task_id)
    resp = await api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth(key))
    assert resp.status_code == 200, resp.text
    check_envelope(resp)
    assert await api.status(key, task_id) == "CANCELED"
    # the worker's late result is discarded
    now = api.clock.now_ms()
    assert not await api.container.tasks.finish_if_owner(
        task_id,
        owner="test-worker",
        attempt=task.attempts,
        outcome=succeeded_outcome(task_id),
        now=now,
        expires_at=now + 1000,
    )
    assert await api.status(key, task_id) == "CANCELED"


async def test_cancel_of_finished_or_unknown_task_is_400(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    task = await api.claim(task_id)
    await api.finish(task, succeeded_outcome(task_id))
    for target in (task_id, "no-such-task"):
        resp = await api.client.post(f"/api/v1/tasks/{target}/cancel", headers=auth(key))
        check_error(resp, 400, "UnsupportedOperation", CANCEL_MESSAGE)
    assert await api.status(key, task_id) == "SUCCEEDED"


async def test_a_pending_task_says_its_place_in_its_models_queue(api: Api, key: str) -> None:
    ids = []
    for _ in range(3):
        ids.append(await api.submit_ok(key))
        api.clock.advance(1)  # (the queue's order is submit time, then id)
    first, second, third = ids
    other = await api.submit_ok(
        key,
        {
            "model": "wanx2.1-imageedit",
            "input": {
                "function": "super_resolution",
                "base_image_url": "https://example.com/a.png",
            },
        },
    )
    for task_id, place in ((first, 1), (second, 2), (third, 3), (other, 1)):
        assert (await api.query(key, task_id))["output"]["queue_position"] == place
    await api.claim(first)
    running = (await api.query(key, first))["output"]
    assert running["task_status"] == "RUNNING" and "queue_position" not in running
    assert (await api.query(key, second))["output"]["queue_position"] == 1
    assert (await api.query(key, third))["output"]["queue_position"] == 2
