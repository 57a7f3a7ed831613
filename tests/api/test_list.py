"""``GET /api/v1/tasks`` (contract §5.3, C11/C12): flat body, filters, paging, isolation."""

from __future__ import annotations

from typing import Any

from tests.api.support import Api, auth, check_envelope, check_error

LIST_KEYS = {"request_id", "total", "total_page", "page_no", "page_size", "data"}


async def list_tasks(api: Api, key: str, query: str = "", **headers: str) -> dict[str, Any]:
    resp = await api.client.get(f"/api/v1/tasks{query}", headers=auth(key, **headers))
    assert resp.status_code == 200, resp.text
    body = check_envelope(resp)
    assert set(body) == LIST_KEYS, body
    return body


async def test_list_shape_and_paging(api: Api, key: str) -> None:
    ids = []
    for _ in range(3):
        ids.append(await api.submit_ok(key))
        api.clock.advance(1)
    body = await list_tasks(api, key, "?page_no=1&page_size=2")
    assert body["total"] == 3
    assert body["total_page"] == 2
    assert body["page_no"] == 1 and body["page_size"] == 2
    assert [item["task_id"] for item in body["data"]] == [ids[2], ids[1]]  # newest first
    item = body["data"][0]
    assert item["status"] == "PENDING"
    assert "task_status" not in item
    assert item["model_name"] == "wanx-x-painting"
    assert isinstance(item["gmt_create"], int)
    task = await api.container.tasks.get(ids[2])
    assert task is not None and item["gmt_create"] == task.submitted_at  # epoch ms
    assert item["request_id"] == task.request_id
    page2 = await list_tasks(api, key, "?page_no=2&page_size=2")
    assert [i["task_id"] for i in page2["data"]] == [ids[0]]
    assert page2["total"] == 3
    # the SDK's defaults (C12), a trailing slash, and unknown params
    default = await list_tasks(api, key, "/?page_no=1&page_size=10&region=cn-beijing&foo=1")
    assert default["page_size"] == 10 and len(default["data"]) == 3
    bare = await list_tasks(api, key)
    assert bare["page_no"] == 1 and bare["page_size"] == 10 and bare["total"] == 3


async def test_list_times_of_finished_task(api: Api, key: str) -> None:
    from tests.api.support import succeeded_outcome

    task_id = await api.submit_ok(key)
    api.clock.advance(1)
    task = await api.claim(task_id)
    api.clock.advance(1)
    await api.finish(task, succeeded_outcome(task_id))
    item = (await list_tasks(api, key))["data"][0]
    assert item["status"] == "SUCCEEDED"
    assert item["start_time"] == task.submitted_at + 1000
    assert item["end_time"] == task.submitted_at + 2000


async def test_list_filters(api: Api, key: str) -> None:
    pending = await api.submit_ok(key)
    canceled = await api.submit_ok(key)
    resp = await api.client.post(f"/api/v1/tasks/{canceled}/cancel", headers=auth(key))
    assert resp.status_code == 200
    by_status = await list_tasks(api, key, "?page_no=1&page_size=10&status=CANCELED")
    assert [i["task_id"] for i in by_status["data"]] == [canceled]
    assert by_status["total"] == 1
    by_status = await list_tasks(api, key, "?status=PENDING")
    assert [i["task_id"] for i in by_status["data"]] == [pending]
    assert (await list_tasks(api, key, "?status=SUCCEEDED"))["total"] == 0
    assert (await list_tasks(api, key, "?model_name=wanx-x-painting"))["total"] == 2
    assert (await list_tasks(api, key, "?model_name=wanx-v1"))["total"] == 0
    # empty values are "not set"
    assert (await list_tasks(api, key, "?status=&model_name="))["total"] == 2


async def test_list_time_window_is_beijing_time(api: Api, key: str) -> None:
    """The clock stands at 2026-01-01 00:00:00 UTC = 2026-01-01 08:00:00 in Beijing."""
    task_id = await api.submit_ok(key)
    window = "?start_time=20260101080000&end_time=20260101080001"
    assert [i["task_id"] for i in (await list_tasks(api, key, window))["data"]] == [task_id]
    # read as UTC this window would contain the task; in Beijing time it ends 1 s before it
    before = "?start_time=20260101000000&end_time=20260101075959"
    assert (await list_tasks(api, key, before))["total"] == 0
    after = "?start_time=20260101080001&end_time=20260101230000"
    assert (await list_tasks(api, key, after))["total"] == 0
    # one bound alone: the other is 24 hours away from it
    assert (await list_tasks(api, key, "?start_time=20251231080001"))["total"] == 1
    assert (await list_tasks(api, key, "?start_time=20251231075959"))["total"] == 0
    assert (await list_tasks(api, key, "?end_time=20260102075959"))["total"] == 1
    assert (await list_tasks(api, key, "?end_time=20260102080001"))["total"] == 0


async def test_list_without_bounds_shows_the_last_24_hours(api: Api, key: str) -> None:
    old = await api.submit_ok(key)
    api.clock.advance(25 * 3600)
    new = await api.submit_ok(key)
    assert [i["task_id"] for i in (await list_tasks(api, key))["data"]] == [new]
    # the old (still pending) task is there when asked for
    assert await api.status(key, old) == "PENDING"


async def test_list_bad_parameters_are_400_naming_them(api: Api, key: str) -> None:
    for query, name in (
        ("?page_size=0", "page_size"),
        ("?page_size=-1", "page_size"),
        ("?page_size=abc", "page_size"),
        ("?page_size=101", "page_size"),
        ("?page_no=0", "page_no"),
        ("?page_no=1.5", "page_no"),
        ("?start_time=bad", "start_time"),
        ("?start_time=2026-01-01", "start_time"),
        ("?end_time=20261399000000", "end_time"),
        ("?status=DONE", "status"),
        ("?status=UNKNOWN", "status"),
    ):
        resp = await api.client.get(f"/api/v1/tasks{query}", headers=auth(key))
        body = check_error(resp, 400, "InvalidParameter")
        assert body["message"].startswith(name), (query, body)


async def test_other_accounts_tasks_are_never_listed(api: Api, key: str) -> None:
    mine = await api.submit_ok(key)
    other = await api.key("other-account")
    theirs = await api.submit_ok(other)
    assert [i["task_id"] for i in (await list_tasks(api, key))["data"]] == [mine]
    assert [i["task_id"] for i in (await list_tasks(api, other))["data"]] == [theirs]
    assert (await list_tasks(api, other, f"?task_id={mine}"))["total"] == 0
    # every key of the account sees the account's tasks
    sibling = await api.key("acct")
    assert [i["task_id"] for i in (await list_tasks(api, sibling))["data"]] == [mine]
