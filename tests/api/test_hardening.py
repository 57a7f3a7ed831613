"""Client input that used to crash or bloat the service (the hardening probe of issue 9), on
SQLite and PostgreSQL: every answer is a DashScope-shaped 4xx (or a correct 200), never a 500.
The HTTP-connection defects (headers, half-open requests, memory) are in
``tests/acceptance/test_hostile_clients.py``, against a real server."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.support import (
    SUBMIT,
    Api,
    MakeApi,
    async_headers,
    auth,
    check_envelope,
    check_error,
    post_upload,
    xpaint_body,
)
from tests.support.media import photo_png, png_data_uri
from wanstack.api.body import MAX_DEPTH, MAX_VALUES
from wanstack.container import Container
from wanstack.task.inputs import INLINE_MAX_CHARS, STORED, input_prefix
from wanstack.upload.service import MAX_FILES_PER_POLICY

BACKGROUND = "/api/v1/services/aigc/background-generation/generation"


def photo_data_uri(width: int, height: int) -> str:
    """A photo-like PNG (tens of kilobytes: stored outside the row)."""
    return "data:image/png;base64," + base64.b64encode(photo_png(width, height)).decode()


async def get_policy(api: Api, key: str) -> dict[str, Any]:
    resp = await api.client.get(
        "/api/v1/uploads?action=getPolicy&model=wanx-x-painting", headers=auth(key)
    )
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = check_envelope(resp)["data"]
    return data


# -- defect 6: client input that answered 500 -----------------------------------------------


async def test_a_lone_surrogate_anywhere_in_the_body_is_invalid_parameter(
    api: Api, key: str
) -> None:
    body = {
        "model": "wanx-background-generation-v2",
        "input": {
            "base_image_url": "http://example.com/a.png",
            "ref_prompt": "flowers",
            "reference_edge": {
                "foreground_edge": ["http://example.com/e.png"],
                "foreground_edge_prompt": ["\ud83d"],
            },
        },
    }
    # json.dumps writes the lone surrogate as the \ud83d escape, exactly as a hostile client would
    resp = await api.client.post(BACKGROUND, content=json.dumps(body), headers=async_headers(key))
    error = check_error(resp, 400, "InvalidParameter")
    assert "input.reference_edge.foreground_edge_prompt[0]" in error["message"], error
    assert "surrogate" in error["message"]


@pytest.mark.parametrize("task_id", ["\x00", "abc\x00def", "x" * 5000])
async def test_a_task_id_that_cannot_exist_reads_unknown(api: Api, key: str, task_id: str) -> None:
    path = quote(task_id)  # %00 in the URL: the route sees a NUL
    resp = await api.client.get(f"/api/v1/tasks/{path}", headers=auth(key))
    assert resp.status_code == 200, resp.text
    assert check_envelope(resp)["output"]["task_status"] == "UNKNOWN"
    resp = await api.client.post(f"/api/v1/tasks/{path}/cancel", headers=auth(key))
    check_error(resp, 400, "UnsupportedOperation")


@pytest.mark.parametrize("name", ["task_id", "model_name", "api_key_id"])
async def test_list_filters_with_nul_are_invalid_parameter(api: Api, key: str, name: str) -> None:
    resp = await api.client.get("/api/v1/tasks", params={name: "a\x00b"}, headers=auth(key))
    error = check_error(resp, 400, "InvalidParameter")
    assert error["message"].startswith(name), error


async def test_an_oss_reference_with_nul_is_invalid_parameter(api: Api, key: str) -> None:
    resp = await api.submit(
        key,
        xpaint_body(input_base_image_url="oss://a\x00b/c.png"),
        headers={"X-DashScope-OssResourceResolve": "enable"},
    )
    error = check_error(resp, 400, "InvalidParameter")
    assert error["message"].startswith("input.base_image_url"), error


@pytest.mark.parametrize("expires", ["9" * 5000, "²", "１２３"])
async def test_a_malformed_expires_is_access_denied(api: Api, expires: str) -> None:
    resp = await api.client.get(
        "/files/results/x/1/a.png", params={"Expires": expires, "Signature": "x"}
    )
    check_error(resp, 403, "AccessDenied")


async def test_upload_names_of_any_length_and_shape_are_stored_apart(api: Api, key: str) -> None:
    """80 CJK characters are 240 bytes of UTF-8 (with a suffix, more than a file name may have);
    ``a`` and ``a/b`` would be a file and a folder of the same path on disk."""
    policy = await get_policy(api, key)
    names = {"狗" * 80 + ".png": b"one", "a": b"two", "a/b": b"three", "a/b/c": b"four"}
    for name, data in names.items():
        resp = await post_upload(api, policy, name, data)
        assert resp.status_code == 200, (name, resp.text)
    for name, data in names.items():
        ref = f"oss://{policy['upload_dir']}/{name}"
        assert await api.container.uploads.read("input.base_image_url", ref) == data


# -- defect 5: the upload host ---------------------------------------------------------------


async def test_a_policy_admits_a_bounded_number_of_files(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    for i in range(MAX_FILES_PER_POLICY):
        resp = await post_upload(api, policy, f"f{i}.png", b"x")
        assert resp.status_code == 200, resp.text
    resp = await post_upload(api, policy, "one-more.png", b"x")
    error = check_error(resp, 403, "AccessDenied")
    assert "new one" in error["message"]


async def test_the_upload_quota_is_per_account(make_api: MakeApi) -> None:
    api = await make_api(upload_quota_mb=1)
    key = await api.key("acct")
    other = await api.key("other")
    half = 512 * 1024
    resp = await post_upload(api, await get_policy(api, key), "a.png", b"x" * half)
    assert resp.status_code == 200, resp.text
    # more than the half left: refused while it streams, and nothing of it is kept
    resp = await post_upload(api, await get_policy(api, key), "b.png", b"x" * (half + 1))
    check_error(resp, 400, "BadRequest.TooLarge")
    resp = await post_upload(api, await get_policy(api, key), "c.png", b"x" * half)
    assert resp.status_code == 200, resp.text
    resp = await post_upload(api, await get_policy(api, key), "d.png", b"x")
    check_error(resp, 429, "Throttling.AllocationQuota")
    # another account has its own space
    resp = await post_upload(api, await get_policy(api, other), "a.png", b"x" * half)
    assert resp.status_code == 200, resp.text


async def test_a_forged_policy_is_refused_before_the_file_is_kept(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    resp = await post_upload(api, policy, "a.png", b"x" * (2 * 1024 * 1024), Signature="forged")
    check_error(resp, 403, "AccessDenied")
    uploads = api.container.settings.data_dir / "files" / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


async def test_a_file_before_the_policy_fields_is_refused(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    boundary = "b0undary"
    parts = [("file", "a.png", b"data"), ("policy", None, policy["policy"].encode())]
    body = (
        b"".join(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                + (f'; filename="{filename}"' if filename else "")
                + "\r\n\r\n"
            ).encode()
            + value
            + b"\r\n"
            for name, filename, value in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    resp = await api.client.post(
        policy["upload_host"],
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    check_error(resp, 403, "AccessDenied")


async def test_an_upload_that_is_not_multipart_is_invalid_parameter(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    resp = await api.client.post(policy["upload_host"], content=b"{}")
    check_error(resp, 400, "InvalidParameter")


# -- defect 2: JSON bounded before it is built ------------------------------------------------


async def test_deep_or_huge_json_is_refused_by_rule(api: Api, key: str) -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    resp = await api.client.post(SUBMIT, content=deep, headers=async_headers(key))
    error = check_error(resp, 400, "BadRequest.IllegalInput")
    assert f"deeper than {MAX_DEPTH}" in error["message"]
    wide = "[" + ",".join(["{}"] * (MAX_VALUES + 1)) + "]"
    resp = await api.client.post(SUBMIT, content=wide, headers=async_headers(key))
    error = check_error(resp, 400, "BadRequest.IllegalInput")
    assert f"more than {MAX_VALUES} values" in error["message"]


async def test_brackets_inside_strings_do_not_count(api: Api, key: str) -> None:
    prompt = "[{" * 40 + ", , ," * 10
    resp = await api.submit(key, xpaint_body(input_prompt=prompt))
    assert resp.status_code == 200, resp.text


async def test_a_chunked_body_over_the_limit_is_refused(api: Api, key: str) -> None:
    from wanstack.api.routes.services import MAX_SUBMIT_BYTES

    async def chunks() -> Any:
        piece = b" " * (1024 * 1024)
        for _ in range(MAX_SUBMIT_BYTES // len(piece) + 2):
            yield piece

    resp = await api.client.post(SUBMIT, content=chunks(), headers=async_headers(key))
    check_error(resp, 400, "BadRequest.TooLarge", "Payload Too Large.")


# -- defect 8: large inline inputs are stored once, outside the row ----------------------------


async def test_large_data_uris_are_stored_outside_the_row(api: Api, key: str) -> None:
    base = photo_data_uri(600, 600)
    assert len(base) > INLINE_MAX_CHARS
    mask = png_data_uri(300, 300, mask=True)
    task_id = await api.submit_ok(
        key, xpaint_body(input_base_image_url=base, input_mask_image_url=mask)
    )
    task = await api.container.tasks.get(task_id)
    assert task is not None
    stored = task.input["base_image_url"]
    assert stored.startswith(STORED) and len(stored) < 200, stored[:200]
    if len(mask) <= INLINE_MAX_CHARS:
        assert task.input["mask_image_url"] == mask  # small ones stay inline
    executor_storage = api.container.storage
    key_ = stored[len(STORED) :]
    assert key_.startswith(input_prefix(task_id))
    assert (await executor_storage.get(key_)).decode() == base


async def test_a_failed_insert_leaves_no_stored_input(make_api: MakeApi) -> None:
    api = await make_api()
    key = await api.key()
    base = photo_data_uri(600, 600)

    async def broken_insert(task: Any) -> None:
        raise RuntimeError("database gone")

    api.container.tasks.insert = broken_insert  # type: ignore[method-assign]
    resp = await api.submit(key, xpaint_body(input_base_image_url=base))
    check_error(resp, 500, "InternalError")
    inputs = api.container.settings.data_dir / "files" / "inputs"
    assert not inputs.exists() or not any(p.is_file() for p in inputs.rglob("*"))


# -- defect 11: a full disk -------------------------------------------------------------------


async def test_a_full_disk_is_not_ready_and_refuses_submits_with_503(make_api: MakeApi) -> None:
    api = await make_api(min_free_disk_mb=1 << 40)  # more than any disk has: "full"
    key = await api.key()
    resp = await api.client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["error"] == "DiskFull", resp.text
    resp = await api.submit(key)
    error = check_error(resp, 503, "ServiceUnavailable")
    assert "disk is full" in error["message"]


async def test_disk_full_while_storing_is_503_and_stores_nothing(
    make_api: MakeApi, database_url: str
) -> None:
    """A real "database or disk is full" (SQLite, a page cap standing in for the disk) or a
    storage write failing with ENOSPC: 503, nothing half-stored."""
    api = await make_api()
    key = await api.key()
    storage = api.container.storage
    real_put = storage.put

    async def full_put(key_: str, data: bytes, content_type: str) -> None:
        raise OSError(28, "No space left on device")

    storage.put = full_put  # type: ignore[method-assign]
    resp = await api.submit(key, xpaint_body(input_base_image_url=photo_data_uri(600, 600)))
    check_error(resp, 503, "ServiceUnavailable")
    storage.put = real_put  # type: ignore[method-assign]
    if database_url.startswith("sqlite"):
        direct = api.container.direct
        assert direct is not None
        writer = direct._writer  # type: ignore[union-attr]
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        writer.execute(f"PRAGMA max_page_count={pages}")
        resp = await api.submit(key, xpaint_body(input_prompt="x" * 70))
        for _ in range(200):  # fill the last free pages until the cap bites
            if resp.status_code != 200:
                break
            resp = await api.submit(key, xpaint_body(input_prompt="y" * 70))
        check_error(resp, 503, "ServiceUnavailable")
    inputs = api.container.settings.data_dir / "files" / "inputs"
    assert not inputs.exists() or not any(p.is_file() for p in inputs.rglob("*"))


# -- defect 12: every answer is DashScope JSON ------------------------------------------------


async def test_405_names_the_allowed_methods(api: Api) -> None:
    resp = await api.client.delete("/healthz")
    check_error(resp, 405, "MethodNotAllowed")
    assert set(resp.headers["allow"].replace(" ", "").split(",")) >= {"GET"}


async def test_the_files_root_is_a_404_not_a_redirect_loop(api: Api) -> None:
    for path in ("/files/", "/files"):
        resp = await api.client.get(path)
        check_error(resp, 404, "NotFound")


async def test_a_declared_body_over_the_app_cap_is_json(api: Api, key: str) -> None:
    from wanstack.api.app import MAX_BODY_BYTES

    resp = await api.client.post(
        "/oss-upload",
        content=b"x",
        headers={"Content-Length": str(MAX_BODY_BYTES + 1)},
    )
    check_error(resp, 400, "BadRequest.TooLarge")


# -- defect 13: revocation and /metrics ------------------------------------------------------


async def test_a_revoked_key_stops_working_at_once_across_processes(
    make_api: MakeApi, database_url: str, make_settings: Any
) -> None:
    api = await make_api()
    key = await api.key("acct")
    assert (await api.client.get("/api/v1/tasks", headers=auth(key))).status_code == 200
    # Another process (the CLI) revokes it.
    other = Container.build(make_settings(database_url=database_url), migrate=False)
    try:
        assert await other.accounts.revoke(key[:10]) == 1
    finally:
        await other.shutdown()
    # SQLite: the next request already fails; PostgreSQL: as soon as NOTIFY arrives (ms).
    for _ in range(50):
        resp = await api.client.get("/api/v1/tasks", headers=auth(key))
        if resp.status_code == 401:
            break
        await asyncio.sleep(0.01)
    check_error(resp, 401, "InvalidApiKey")


async def test_metrics_can_be_put_behind_a_token(make_api: MakeApi) -> None:
    api = await make_api(metrics_token="s3cret")
    check_error(await api.client.get("/metrics"), 401, "InvalidApiKey")
    resp = await api.client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    check_error(resp, 401, "InvalidApiKey")
    resp = await api.client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert resp.status_code == 200 and "wanstack" in resp.text


async def test_metrics_are_open_without_a_token(api: Api) -> None:
    assert (await api.client.get("/metrics")).status_code == 200


async def test_every_answer_forbids_content_sniffing(api: Api, key: str) -> None:
    for resp in (
        await api.client.get("/healthz"),
        await api.client.get("/api/v1/tasks", headers=auth(key)),
        await api.client.get("/nowhere"),
    ):
        assert resp.headers["x-content-type-options"] == "nosniff", resp.headers
