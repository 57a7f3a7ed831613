"""``X-DashScope-WorkSpace`` (contract §6.1 401 NOT AUTHORIZED, §10 C30, §11.3)."""

from __future__ import annotations

from tests.api.support import Api, auth, check_envelope, check_error

WS = "X-DashScope-WorkSpace"
DENIED = (
    "Access denied: Either you are not authorized to access this workspace, "
    "or the workspace does not exist."
)


async def test_workspace_key_must_name_its_workspace(api: Api) -> None:
    key = await api.key("acct", workspace="ws-1")
    for headers in ({}, {WS: "ws-2"}, {WS: ""}, {WS: "WS-1"}):
        resp = await api.submit(key, headers=headers)
        check_error(resp, 401, "NOT AUTHORIZED", DENIED)
        resp = await api.client.get("/api/v1/tasks/x", headers=auth(key, **headers))
        check_error(resp, 401, "NOT AUTHORIZED", DENIED)
    task_id = await api.submit_ok(key, None, **{WS: "ws-1"})
    assert await api.status(key, task_id, **{WS: "ws-1"}) == "PENDING"
    assert await api.status(key, task_id, **{WS: " ws-1 "}) == "PENDING"  # header whitespace
    task = await api.container.tasks.get(task_id)
    assert task is not None and task.workspace == "ws-1"


async def test_account_wide_key_scopes_tasks_by_header(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key, None, **{WS: "ws-9"})
    assert await api.status(key, task_id, **{WS: "ws-9"}) == "PENDING"
    assert await api.status(key, task_id, **{WS: "ws-8"}) == "UNKNOWN"
    assert await api.status(key, task_id) == "PENDING"  # the whole account, no header
    # the list is scoped the same way
    for headers, expected in (({WS: "ws-9"}, 1), ({WS: "ws-8"}, 0), ({}, 1)):
        resp = await api.client.get("/api/v1/tasks", headers=auth(key, **headers))
        assert check_envelope(resp)["total"] == expected, headers
    # and so is cancel: not from another workspace ...
    resp = await api.client.post(
        f"/api/v1/tasks/{task_id}/cancel", headers=auth(key, **{WS: "ws-8"})
    )
    check_error(resp, 400, "UnsupportedOperation")
    assert await api.status(key, task_id) == "PENDING"
    # ... but from its own
    resp = await api.client.post(
        f"/api/v1/tasks/{task_id}/cancel", headers=auth(key, **{WS: "ws-9"})
    )
    assert resp.status_code == 200, resp.text
    assert await api.status(key, task_id) == "CANCELED"


async def test_workspace_key_sees_only_its_workspace(api: Api, key: str) -> None:
    scoped = await api.key("acct", workspace="ws-1")
    elsewhere = await api.submit_ok(key, None, **{WS: "ws-2"})
    unscoped = await api.submit_ok(key)
    for task_id in (elsewhere, unscoped):
        assert await api.status(scoped, task_id, **{WS: "ws-1"}) == "UNKNOWN"


async def test_overlong_workspace_header_is_a_client_error(api: Api, key: str) -> None:
    """The header is stored with the task (``task.workspace`` is VARCHAR(200)): an overlong
    value must be refused as a client error on both databases, never a 500."""
    resp = await api.submit(key, headers={WS: "w" * 300})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    check_envelope(resp)
