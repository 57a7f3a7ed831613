"""``/api/v1/webhooks``: register (secret shown once), list, remove, deliveries; and the event
sent for a finished task carries the task exactly as ``GET /tasks/{id}`` answers it."""

from __future__ import annotations

from tests.api.support import Api, auth, check_envelope, check_error, succeeded_outcome
from tests.support.webhook_receiver import Receiver
from wanstack.api.protocol import task_body
from wanstack.webhooks.service import message_id

HOOKS = "/api/v1/webhooks"


async def register(api: Api, key: str, url: str, **headers: str) -> dict[str, object]:
    resp = await api.client.post(HOOKS, json={"url": url}, headers=auth(key, **headers))
    assert resp.status_code == 200, resp.text
    data: dict[str, object] = check_envelope(resp)["data"]
    return data


async def test_register_list_remove(api: Api, key: str) -> None:
    made = await register(api, key, "http://127.0.0.1:9/in")
    assert str(made["secret"]).startswith("whsec_") and str(made["id"]).startswith("wh_")
    assert made["url"] == "http://127.0.0.1:9/in" and made["workspace"] is None
    listed = await api.client.get(HOOKS, headers=auth(key))
    body = check_envelope(listed)
    assert body["data"] == [{k: v for k, v in made.items() if k != "secret"}]
    assert str(made["secret"]) not in listed.text and "whsec_" not in listed.text
    gone = await api.client.delete(f"{HOOKS}/{made['id']}", headers=auth(key))
    assert gone.status_code == 200 and set(check_envelope(gone)) == {"request_id"}
    check_error(
        await api.client.delete(f"{HOOKS}/{made['id']}", headers=auth(key)), 404, "NotFound"
    )
    assert check_envelope(await api.client.get(HOOKS, headers=auth(key)))["data"] == []


async def test_bad_registrations_get_dashscope_errors_naming_the_field(api: Api, key: str) -> None:
    for body, code, words in (
        ({"url": "ftp://example.com/x"}, "InvalidParameter", "url must use http or https"),
        ({"url": 12}, "InvalidParameter", "url must be a non-empty string"),
        ({}, "InvalidParameter", "url must be a non-empty string"),
        ({"url": "https://a:b@example.com/"}, "InvalidParameter", "credentials"),
        (["https://example.com"], "BadRequest.IllegalInput", "JSON object"),
    ):
        resp = await api.client.post(HOOKS, json=body, headers=auth(key))
        assert words in check_error(resp, 400, code)["message"]
    resp = await api.client.post(HOOKS, content=b"{not json", headers=auth(key))
    check_error(resp, 400, "BadRequest.IllegalInput")
    check_error(await api.client.get(HOOKS), 401, "InvalidApiKey")
    resp = await api.client.get(f"{HOOKS}/deliveries?limit=0", headers=auth(key))
    assert "limit" in check_error(resp, 400, "InvalidParameter")["message"]
    resp = await api.client.get(f"{HOOKS}/deliveries?limit=abc", headers=auth(key))
    check_error(resp, 400, "InvalidParameter")


async def test_endpoints_are_scoped_like_tasks(api: Api, key: str) -> None:
    ws_key = await api.key("acct", workspace="ws-1")
    other = await api.key("other")
    wide = await register(api, key, "http://127.0.0.1:9/all")
    mine = await register(
        api, ws_key, "http://127.0.0.1:9/ws1", **{"X-DashScope-WorkSpace": "ws-1"}
    )
    assert mine["workspace"] == "ws-1"

    async def ids(k: str, **headers: str) -> set[object]:
        resp = await api.client.get(HOOKS, headers=auth(k, **headers))
        return {e["id"] for e in check_envelope(resp)["data"]}

    assert await ids(key) == {wide["id"], mine["id"]}
    assert await ids(key, **{"X-DashScope-WorkSpace": "ws-1"}) == {mine["id"]}
    assert await ids(ws_key, **{"X-DashScope-WorkSpace": "ws-1"}) == {mine["id"]}
    assert await ids(other) == set()
    resp = await api.client.delete(f"{HOOKS}/{wide['id']}", headers=auth(other))
    check_error(resp, 404, "NotFound")
    resp = await api.client.delete(
        f"{HOOKS}/{wide['id']}", headers=auth(ws_key, **{"X-DashScope-WorkSpace": "ws-1"})
    )
    check_error(resp, 404, "NotFound")


async def test_the_event_is_the_task_query_and_the_delivery_is_listed(api: Api, key: str) -> None:
    receiver = Receiver()
    receiver.start()
    try:
        made = await register(api, key, receiver.url)
        task_id = await api.submit_ok(key)
        task = await api.claim(task_id)
        await api.finish(task, succeeded_outcome(task_id))
        api.container.deliver_webhooks(task_body, "http://testserver")
        delivery = api.container.webhook_delivery
        assert delivery is not None
        assert await delivery.run_once() == 1
        await delivery.aclose()
    finally:
        receiver.stop()
    [got] = receiver.snapshot()
    event = got.event
    assert got.headers["webhook-id"] == message_id(task_id)
    queried = await api.query(key, task_id)
    assert event["data"]["output"] == queried["output"]  # signed result URLs included
    assert event["data"]["usage"] == queried["usage"] == {"image_count": 1}
    assert event["data"]["request_id"] != queried["request_id"]  # the submit's, not the query's
    assert event["type"] == "dashscope:System:AsyncTaskFinish"

    resp = await api.client.get(f"{HOOKS}/deliveries", headers=auth(key))
    [item] = check_envelope(resp)["data"]
    assert item["endpoint_id"] == made["id"] and item["task_id"] == task_id
    assert item["state"] == "delivered" and item["attempts"] == 1 and item["last_status"] == 200
    assert item["task_status"] == "SUCCEEDED" and item["next_attempt_at"] is None
    assert [a["status"] for a in item["attempt_log"]] == [200]
    resp = await api.client.get(f"{HOOKS}/deliveries?task_id=nope", headers=auth(key))
    assert check_envelope(resp)["data"] == []
    other = await api.key("other")
    assert (
        check_envelope(await api.client.get(f"{HOOKS}/deliveries", headers=auth(other)))["data"]
        == []
    )
