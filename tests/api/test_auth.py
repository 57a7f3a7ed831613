"""Authentication (contract §6.1: 401 InvalidApiKey, C23/C24) and the response envelope."""

from __future__ import annotations

from tests.api.support import (
    SUBMIT,
    Api,
    MakeApi,
    async_headers,
    check_envelope,
    check_error,
    xpaint_body,
)
from wanstack.account.repository import AccountRepository
from wanstack.account.service import AccountService

PROTECTED = [
    ("POST", SUBMIT),
    ("GET", "/api/v1/tasks/some-id"),
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks/some-id/cancel"),
    ("GET", "/api/v1/uploads?action=getPolicy&model=wanx-x-painting"),
]


async def test_no_authorization_is_401_no_api_key(api: Api) -> None:
    for method, path in PROTECTED:
        resp = await api.client.request(method, path, headers={"X-DashScope-Async": "enable"})
        check_error(resp, 401, "InvalidApiKey", "No API-key provided.")


async def test_unusable_authorization_is_no_api_key(api: Api) -> None:
    for header in ("", "Bearer", "Bearer ", "Basic abc", "sk-plain", "Token sk-abc"):
        for method, path in PROTECTED:
            resp = await api.client.request(
                method, path, headers={"Authorization": header, "X-DashScope-Async": "enable"}
            )
            check_error(resp, 401, "InvalidApiKey", "No API-key provided.")


async def test_bad_key_is_401_invalid_api_key(api: Api, key: str) -> None:
    resp = await api.client.post(SUBMIT, json={}, headers=async_headers("sk-" + "0" * 48))
    check_error(resp, 401, "InvalidApiKey", "Invalid API-key provided.")
    # the real key with one character changed
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    resp = await api.client.get("/api/v1/tasks/x", headers={"Authorization": f"Bearer {wrong}"})
    check_error(resp, 401, "InvalidApiKey", "Invalid API-key provided.")


async def test_revoked_key_is_401(api: Api) -> None:
    key = await api.key("acct")
    other = await api.key("acct")
    assert await api.status(key, "x") == "UNKNOWN"  # the key works (and is now cached)
    record = next(r for r in await api.container.accounts.keys("acct") if key.startswith(r.prefix))
    assert await api.container.accounts.revoke(record.id) == 1
    resp = await api.client.get("/api/v1/tasks/x", headers={"Authorization": f"Bearer {key}"})
    check_error(resp, 401, "InvalidApiKey", "Invalid API-key provided.")
    # other keys of the account are untouched
    assert await api.status(other, "x") == "UNKNOWN"


async def test_key_revoked_by_another_process_is_refused_by_a_fresh_one(
    make_api: MakeApi,
) -> None:
    first = await make_api()
    key = await first.key("acct")
    task_id = await first.submit_ok(key)
    # "wanstack keys revoke" in another process: its own AccountService over the same database
    cli = AccountService(AccountRepository(first.container.db), first.clock)
    record = next(r for r in await cli.keys("acct") if key.startswith(r.prefix))
    assert await cli.revoke(record.prefix) == 1
    second = await make_api()  # a fresh API process (nothing cached)
    resp = await second.client.get(
        f"/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {key}"}
    )
    check_error(resp, 401, "InvalidApiKey", "Invalid API-key provided.")


async def test_header_names_and_values_are_case_insensitive(api: Api, key: str) -> None:
    for auth_name, async_name, scheme, enable in (
        ("authorization", "x-dashscope-async", "Bearer", "enable"),
        ("AUTHORIZATION", "X-DASHSCOPE-ASYNC", "bearer", "ENABLE"),
        ("Authorization", "X-DashScope-Async", "BEARER", "Enable"),
    ):
        resp = await api.client.post(
            SUBMIT,
            json=xpaint_body(),
            headers={auth_name: f"{scheme} {key}", async_name: enable},
        )
        assert resp.status_code == 200, resp.text
        assert check_envelope(resp)["output"]["task_status"] == "PENDING"
        resp = await api.client.get("/api/v1/tasks/x", headers={auth_name: f"{scheme} {key}"})
        assert check_envelope(resp)["output"]["task_status"] == "UNKNOWN"


async def test_request_ids_are_unique_and_match_the_header(api: Api, key: str) -> None:
    seen = set()
    responses = [
        await api.client.get("/api/v1/tasks/x"),  # 401
        await api.client.get("/api/v1/tasks/x", headers={"Authorization": f"Bearer {key}"}),
        await api.client.get("/nowhere"),  # 404
        await api.submit(key),  # 200
        await api.client.delete("/api/v1/tasks/x"),  # 405
        await api.client.get("/healthz"),
    ]
    for resp in responses:
        rid = resp.headers["x-request-id"]
        assert rid not in seen
        seen.add(rid)
        if resp.url.path != "/healthz":
            check_envelope(resp)
