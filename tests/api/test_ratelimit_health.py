"""Rate limits (contract §7.3, C26/C27) and the operational endpoints."""

from __future__ import annotations

from tests.api.support import Api, MakeApi, auth, check_envelope, check_error

THROTTLED = "Requests rate limit exceeded, please try again later."


async def test_dashscope_submit_limit_is_two_per_second(make_api: MakeApi) -> None:
    api = await make_api(rate_limits="dashscope")
    key = await api.key("acct")
    await api.submit_ok(key)
    await api.submit_ok(key)
    resp = await api.submit(key)
    check_error(resp, 429, "Throttling.RateQuota", THROTTLED)
    assert resp.headers["Retry-After"] == "1"
    # a refused submit stored nothing
    listed = await api.client.get("/api/v1/tasks", headers=auth(key))
    assert check_envelope(listed)["total"] == 2
    # the limit is per account
    other = await api.key("other-account")
    await api.submit_ok(other)
    # the next second
    api.clock.advance(1)
    await api.submit_ok(key)
    await api.submit_ok(key)
    check_error(await api.submit(key), 429, "Throttling.RateQuota", THROTTLED)


async def test_dashscope_query_limit_is_twenty_per_second(make_api: MakeApi) -> None:
    api = await make_api(rate_limits="dashscope")
    key = await api.key("acct")
    task_id = await api.submit_ok(key)
    api.clock.advance(1)
    for _ in range(20):
        assert await api.status(key, task_id) == "PENDING"
    resp = await api.client.get(f"/api/v1/tasks/{task_id}", headers=auth(key))
    check_error(resp, 429, "Throttling.RateQuota", THROTTLED)
    assert resp.headers["Retry-After"] == "1"
    api.clock.advance(1)
    assert await api.status(key, task_id) == "PENDING"  # one query a second never trips (C27)


async def test_default_settings_do_not_throttle(api: Api, key: str) -> None:
    for _ in range(50):
        await api.submit_ok(key)
    listed = await api.client.get("/api/v1/tasks?page_size=100", headers=auth(key))
    assert check_envelope(listed)["total"] == 50


async def test_health_ready_and_metrics(api: Api, key: str) -> None:
    resp = await api.client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    resp = await api.client.get("/readyz")
    assert resp.status_code == 200 and resp.json() == {"status": "ready"}
    await api.submit_ok(key)
    await api.submit_ok(key)
    resp = await api.client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert 'wanstack_tasks{model="wanx-x-painting",status="PENDING"} 2.0' in text, text
    assert "wanstack_queue_depth 2.0" in text
