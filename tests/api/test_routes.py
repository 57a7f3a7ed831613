"""Routing: unknown paths and methods answer DashScope JSON, never HTML or ``{"detail": …}``
(contract §5.6, §6.1 "url error", §11.1)."""

from __future__ import annotations

import pytest

from tests.api.support import SUBMIT, Api, async_headers, auth, check_error, xpaint_body


async def test_unknown_paths_are_404_json(api: Api, key: str) -> None:
    for path in ("/nowhere", "/api/v1/nothing", "/api/v2/tasks/x", "/api/v1/services/aigc/foo"):
        resp = await api.client.get(path, headers=auth(key))
        body = check_error(resp, 404, "NotFound")
        assert path.rstrip("/") in body["message"]
    # not authenticated either: still a JSON 404
    check_error(await api.client.post("/api/v1/nothing"), 404, "NotFound")


async def test_wrong_methods_are_405_json(api: Api, key: str) -> None:
    for method, path in (
        ("GET", SUBMIT),
        ("PUT", SUBMIT),
        ("DELETE", "/api/v1/tasks/x"),
        ("POST", "/api/v1/tasks/x"),
        ("GET", "/api/v1/tasks/x/cancel"),
        ("DELETE", "/api/v1/tasks"),
        ("GET", "/oss-upload"),
        ("POST", "/healthz"),
    ):
        resp = await api.client.request(method, path, headers=auth(key))
        body = check_error(resp, 405, "MethodNotAllowed")
        assert method in body["message"], body


async def test_unknown_service_is_url_error(api: Api, key: str) -> None:
    for path in (
        "/api/v1/services/aigc/foo/bar",
        "/api/v1/services/aigc/foo/bar/",
        "/api/v1/services/aigc/image2image/generation",
    ):
        resp = await api.client.post(path, json=xpaint_body(), headers=async_headers(key))
        check_error(resp, 400, "InvalidParameter", "url error, please check url！")


async def test_sync_multimodal_endpoint_refuses_other_models(api: Api, key: str) -> None:
    resp = await api.client.post(
        "/api/v1/services/aigc/multimodal-generation/generation",
        json={"model": "wanx-x-painting", "input": {"messages": []}},
        headers=auth(key),
    )
    check_error(resp, 400, "InvalidParameter", "Model not exist.")


async def test_file_route_refuses_unsigned_requests(api: Api) -> None:
    for url in (
        "/files/results/x/1/a.png",
        "/files/results/x/1/a.png?Expires=abc&Signature=x",
        "/files/results/x/1/a.png?Expires=99999999999&Signature=x",
        "/files/results/x/1/a.png?Expires=99999999999999999999999&Signature=x",
    ):
        resp = await api.client.get(url)
        check_error(resp, 403, "AccessDenied")


async def test_signed_url_of_a_missing_file_is_404(api: Api) -> None:
    key = "results/none/1/a.png"
    url = api.container.storage.url(
        key, expires_ms=api.clock.now_ms() + 60_000, base_url="http://testserver"
    )
    check_error(await api.client.get(url), 404, "NotFound")


async def test_unexpected_errors_are_a_json_500_without_internals(
    api: Api, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(api.container.task_service, "get", broken)
    resp = await api.client.get("/api/v1/tasks/x", headers=auth(key))
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == "InternalError"
    assert body["message"]
    assert body["request_id"] == resp.headers["x-request-id"]
    assert "hunter2" not in resp.text and "Traceback" not in resp.text
    # the app keeps serving
    monkeypatch.undo()
    assert (await api.status(key, "x")) == "UNKNOWN"
