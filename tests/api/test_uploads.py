"""The SDK's temporary-file flow (contract §8, C05): getPolicy, the OSS-style form POST to
``upload_host``, then ``oss://`` references with ``X-DashScope-OssResourceResolve``."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.support import Api, auth, check_envelope, check_error, post_upload, xpaint_body

SDK_KEYS = {
    "policy",
    "signature",
    "upload_dir",
    "upload_host",
    "expire_in_seconds",
    "max_file_size_mb",
    "capacity_limit_mb",
    "oss_access_key_id",
    "x_oss_object_acl",
    "x_oss_forbid_overwrite",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
RESOLVE = {"X-DashScope-OssResourceResolve": "enable"}


async def get_policy(api: Api, key: str, model: str = "wanx-x-painting") -> dict[str, Any]:
    resp = await api.client.get(
        f"/api/v1/uploads?action=getPolicy&model={model}", headers=auth(key)
    )
    assert resp.status_code == 200, resp.text
    body = check_envelope(resp)
    data: dict[str, Any] = body["data"]
    return data


async def upload(
    api: Api, cert: dict[str, Any], name: str = "a.png", **override: str
) -> httpx.Response:
    return await post_upload(api, cert, name, PNG, **override)


async def test_get_policy_has_every_key_the_sdk_reads(api: Api, key: str) -> None:
    data = await get_policy(api, key)
    assert set(data) >= SDK_KEYS, SDK_KEYS - set(data)
    assert data["upload_host"] == "http://testserver/oss-upload"
    assert data["upload_dir"] and not data["upload_dir"].endswith("/")
    assert data["expire_in_seconds"] == 300
    assert isinstance(data["max_file_size_mb"], int)
    assert data["x_oss_forbid_overwrite"] == "true"
    # a fresh folder each time
    assert (await get_policy(api, key))["upload_dir"] != data["upload_dir"]


async def test_get_policy_needs_a_key_and_the_action(api: Api, key: str) -> None:
    resp = await api.client.get("/api/v1/uploads?action=getPolicy&model=wanx-x-painting")
    check_error(resp, 401, "InvalidApiKey", "No API-key provided.")
    for query in ("", "?action=upload", "?model=wanx-x-painting"):
        resp = await api.client.get(f"/api/v1/uploads{query}", headers=auth(key))
        body = check_error(resp, 400, "InvalidParameter")
        assert "action" in body["message"]


async def test_upload_then_submit_with_oss_reference(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    resp = await upload(api, policy, "m.png")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    resp = await upload(api, policy, "b.png")
    assert resp.status_code == 200, resp.text
    base = f"oss://{policy['upload_dir']}/b.png"
    mask = f"oss://{policy['upload_dir']}/m.png"
    # the bytes are stored
    assert await api.container.uploads.read("input.base_image_url", base) == PNG
    task_id = await api.submit_ok(
        key, xpaint_body(input_base_image_url=base, input_mask_image_url=mask), **RESOLVE
    )
    task = await api.container.tasks.get(task_id)
    assert task is not None and task.input["base_image_url"] == base
    # without the header the same reference is refused
    resp = await api.submit(key, xpaint_body(input_base_image_url=base))
    check_error(resp, 400, "InvalidParameter")
    # another account cannot use this account's upload
    other = await api.key("other-account")
    resp = await api.submit(other, xpaint_body(input_mask_image_url=mask), headers=RESOLVE)
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"].startswith("input.mask_image_url"), body
    # another key of the same account can
    sibling = await api.key("acct")
    await api.submit_ok(sibling, xpaint_body(input_base_image_url=base), **RESOLVE)


async def test_upload_cannot_overwrite(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    assert (await upload(api, policy)).status_code == 200
    resp = await upload(api, policy)
    assert 400 <= resp.status_code < 500, resp.text
    check_envelope(resp)


async def test_upload_outside_upload_dir_is_403(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    other = await get_policy(api, key)
    for bad_key in (
        "elsewhere/a.png",
        f"{other['upload_dir']}/a.png",  # another policy's folder
        policy["upload_dir"] + "x/a.png",  # a sibling folder sharing the prefix
        f"{policy['upload_dir']}/../../x/a.png",
        policy["upload_dir"],
    ):
        resp = await upload(api, policy, key=bad_key)
        check_error(resp, 403, "AccessDenied")


async def test_upload_with_bad_signature_is_403(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    sig = policy["signature"]
    resp = await upload(api, policy, Signature=("A" if sig[0] != "A" else "B") + sig[1:])
    check_error(resp, 403, "AccessDenied")
    # a policy of another server (or edited) does not verify either
    other = await get_policy(api, key)
    resp = await upload(api, policy, policy=other["policy"])
    check_error(resp, 403, "AccessDenied")
    # nothing missing from the form
    resp = await api.client.post(
        policy["upload_host"], data={"key": "x"}, files={"file": ("a.png", PNG, "image/png")}
    )
    check_error(resp, 403, "AccessDenied")


async def test_expired_policy_is_403(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    api.clock.advance(301)
    resp = await upload(api, policy)
    check_error(resp, 403, "AccessDenied", "Invalid according to Policy: Policy expired.")


async def test_policy_is_valid_until_it_expires(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    api.clock.advance(299)
    assert (await upload(api, policy)).status_code == 200


async def test_expired_upload_cannot_be_referenced(api: Api, key: str) -> None:
    policy = await get_policy(api, key)
    assert (await upload(api, policy)).status_code == 200
    ref = f"oss://{policy['upload_dir']}/a.png"
    api.clock.advance(48 * 3600 + 1)  # upload retention (DashScope: 48 h)
    resp = await api.submit(key, xpaint_body(input_base_image_url=ref), headers=RESOLVE)
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"].startswith("input.base_image_url")


async def test_malformed_object_keys_are_client_errors(api: Api, key: str) -> None:
    """Keys inside ``upload_dir`` that name no file (``dir/``, ``dir/.``) or cannot be a file
    name (NUL) must be refused with a 4xx envelope, never crash with a 500."""
    policy = await get_policy(api, key)
    failures = []
    for suffix in ("/", "/.", "/a\x00.png", "/sub/."):
        resp = await upload(api, policy, key=policy["upload_dir"] + suffix)
        try:
            assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
            check_envelope(resp)
        except AssertionError as exc:
            failures.append(f"{suffix!r}: {exc}")
    assert not failures, "\n".join(failures)


async def test_aliased_keys_cannot_overwrite_an_upload(api: Api, key: str) -> None:
    """``x-oss-forbid-overwrite: true``: ``dir//b.png`` and ``dir/./b.png`` are other spellings
    of ``dir/b.png`` on the local disk and must not replace its bytes."""
    policy = await get_policy(api, key)
    assert (await upload(api, policy, "b.png")).status_code == 200
    ref = f"oss://{policy['upload_dir']}/b.png"
    original = await api.container.uploads.read("input.base_image_url", ref)
    for alias in ("//b.png", "/./b.png"):
        resp = await api.client.post(
            policy["upload_host"],
            data={
                "OSSAccessKeyId": policy["oss_access_key_id"],
                "Signature": policy["signature"],
                "policy": policy["policy"],
                "key": policy["upload_dir"] + alias,
                "x-oss-object-acl": "private",
                "x-oss-forbid-overwrite": "true",
                "success_action_status": "200",
            },
            files={"file": ("b.png", b"REPLACED", "image/png")},
        )
        assert 400 <= resp.status_code < 500, (alias, resp.status_code, resp.text)
        assert await api.container.uploads.read("input.base_image_url", ref) == original


async def test_policy_for_an_overlong_model_name_is_a_client_error(api: Api, key: str) -> None:
    """``upload.model`` is VARCHAR(100) and the ``model`` query parameter is free text: an
    overlong one is refused (at getPolicy, or at the latest by the upload), never a 500."""
    resp = await api.client.get(
        "/api/v1/uploads?action=getPolicy&model=" + "m" * 150, headers=auth(key)
    )
    if resp.status_code == 200:
        resp = await upload(api, check_envelope(resp)["data"])
        assert resp.status_code < 500, (resp.status_code, resp.text)
        check_envelope(resp)
    else:
        body = check_error(resp, 400, "InvalidParameter")
        assert body["message"].startswith("model"), body
