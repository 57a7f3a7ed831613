"""``POST /api/v1/services/aigc/{group}/{function}`` (contract §5.1, §6.1, §10 C01/C04/C25,
§11.2) and every wanx-x-painting field rule of seed 003."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.support import (
    MODEL,
    SUBMIT,
    UUID_RE,
    Api,
    async_headers,
    auth,
    check_envelope,
    check_error,
    xpaint_body,
)
from wanstack.catalog.x_painting import STYLES


async def test_missing_async_header_is_403_access_denied(api: Api, key: str) -> None:
    resp = await api.client.post(
        SUBMIT, json=xpaint_body(), headers={"Authorization": f"Bearer {key}"}
    )
    check_error(resp, 403, "AccessDenied", "current user api does not support synchronous calls.")
    resp = await api.client.post(
        SUBMIT,
        json=xpaint_body(),
        headers={"Authorization": f"Bearer {key}", "X-DashScope-Async": "disable"},
    )
    check_error(resp, 403, "AccessDenied", "current user api does not support synchronous calls.")


async def test_submit_succeeds_with_the_exact_shape(api: Api, key: str) -> None:
    resp = await api.submit(key)
    assert resp.status_code == 200  # never 201/202 (C42)
    body = check_envelope(resp)
    assert list(body) == ["output", "request_id"]
    assert list(body["output"]) == ["task_status", "task_id"]
    assert body["output"]["task_status"] == "PENDING"
    assert UUID_RE.match(body["output"]["task_id"])
    stored = await api.container.tasks.get(body["output"]["task_id"])
    assert stored is not None
    assert stored.model == MODEL
    assert stored.request_id == body["request_id"]
    assert stored.input["base_image_url"] == "http://example.com/base.png"
    assert stored.parameters["n"] == 1


async def test_trailing_slash_and_v2_route(api: Api, key: str) -> None:
    for path in (
        SUBMIT + "/",
        "/api/v1/services/aigc/text2image/image-synthesis",  # contract §11.5: the v2 route
        "/api/v1/services/aigc/text2image/image-synthesis/",
    ):
        resp = await api.client.post(path, json=xpaint_body(), headers=async_headers(key))
        assert resp.status_code == 200, (path, resp.text)
        assert check_envelope(resp)["output"]["task_status"] == "PENDING"


async def test_unknown_input_and_parameter_keys_are_ignored(api: Api, key: str) -> None:
    body = xpaint_body(
        input_extend_prompt=True,
        input_function="image-synthesis",
        param_is_async=True,
        param_prompt_extend=True,
        param_watermark=False,
        resources=[],
    )
    resp = await api.submit(
        key, body, headers={"X-DashScope-DataInspection": "enable", "User-Agent": "dashscope/2"}
    )
    assert resp.status_code == 200, resp.text
    task = await api.container.tasks.get(check_envelope(resp)["output"]["task_id"])
    assert task is not None
    assert "extend_prompt" not in task.input and "function" not in task.input
    assert "is_async" not in task.parameters


async def test_parameters_may_be_omitted(api: Api, key: str) -> None:
    body = xpaint_body()
    del body["parameters"]
    task_id = await api.submit_ok(key, body)
    task = await api.container.tasks.get(task_id)
    assert task is not None
    assert task.parameters["n"] == 1
    assert task.parameters["size"] == "1024*1024"
    assert task.parameters["style"] == "<auto>"


async def test_invalid_json_is_illegal_input(api: Api, key: str) -> None:
    for raw in (b"{not json", b"", b"\xff\xfe", b'{"model": ', b"[1, 2]", b'"text"', b"3", b"null"):
        resp = await api.client.post(
            SUBMIT,
            content=raw,
            headers={**async_headers(key), "Content-Type": "application/json"},
        )
        check_error(
            resp, 400, "BadRequest.IllegalInput", "The input parameter requires json format."
        )


async def test_missing_model_is_empty_model(api: Api, key: str) -> None:
    for model in (..., None, ""):
        body = xpaint_body()
        if model is ...:
            del body["model"]
        else:
            body["model"] = model
        resp = await api.submit(key, body)
        check_error(
            resp, 400, "BadRequest.EmptyModel", 'Required parameter "model" missing from request.'
        )


async def test_missing_input_is_empty_input(api: Api, key: str) -> None:
    for value in (..., None):
        body = xpaint_body()
        if value is ...:
            del body["input"]
        else:
            body["input"] = value
        resp = await api.submit(key, body)
        check_error(
            resp, 400, "BadRequest.EmptyInput", "Required input parameter missing from request."
        )


async def test_unknown_model_is_model_not_exist(api: Api, key: str) -> None:
    for model in ("wanx-v1", "WANX-X-PAINTING", "wanx-x-painting ", "wan2.6-t2v"):
        resp = await api.submit(key, xpaint_body(model=model))
        check_error(resp, 400, "InvalidParameter", "Model not exist.")


async def test_model_of_wrong_type_is_invalid_parameter(api: Api, key: str) -> None:
    resp = await api.submit(key, xpaint_body(model=["wanx-x-painting"]))
    check_error(resp, 400, "InvalidParameter")


async def test_background_generation_is_accepted_with_and_without_trailing_slash(
    api: Api, key: str
) -> None:
    body = {
        "model": "wanx-background-generation-v2",
        "input": {"base_image_url": "http://example.com/a.png", "ref_prompt": "山脉和晚霞"},
        "parameters": {"n": 2, "model_version": "v3"},
    }
    for path in (
        "/api/v1/services/aigc/background-generation/generation",
        "/api/v1/services/aigc/background-generation/generation/",
    ):
        resp = await api.client.post(path, json=body, headers=async_headers(key))
        assert resp.status_code == 200, resp.text
        assert check_envelope(resp)["output"]["task_status"] == "PENDING"
    body["model"] = "wanx-background-generation-v3"
    resp = await api.client.post(path, json=body, headers=async_headers(key))
    check_error(resp, 400, "InvalidParameter", "Model not exist.")


async def test_x_painting_on_a_video_route_is_model_not_exist(api: Api, key: str) -> None:
    resp = await api.client.post(
        "/api/v1/services/aigc/video-generation/video-synthesis",
        json=xpaint_body(),
        headers=async_headers(key),
    )
    check_error(resp, 400, "InvalidParameter", "Model not exist.")


# --- wanx-x-painting field rules (seed 003) -------------------------------------------------

BAD_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("prompt missing", {"input_prompt": ...}, "input.prompt"),
    ("prompt null", {"input_prompt": None}, "input.prompt"),
    ("prompt not a string", {"input_prompt": 42}, "input.prompt"),
    ("prompt a list", {"input_prompt": ["a"]}, "input.prompt"),
    ("prompt empty", {"input_prompt": ""}, "input.prompt"),
    ("prompt blank", {"input_prompt": "   "}, "input.prompt"),
    ("base missing", {"input_base_image_url": ...}, "input.base_image_url"),
    ("base empty", {"input_base_image_url": ""}, "input.base_image_url"),
    ("base ftp", {"input_base_image_url": "ftp://example.com/a.png"}, "input.base_image_url"),
    ("base file", {"input_base_image_url": "file:///tmp/a.png"}, "input.base_image_url"),
    ("base path", {"input_base_image_url": "/tmp/a.png"}, "input.base_image_url"),
    ("base number", {"input_base_image_url": 7}, "input.base_image_url"),
    ("mask missing", {"input_mask_image_url": ...}, "input.mask_image_url"),
    ("mask ftp", {"input_mask_image_url": "ftp://example.com/m.png"}, "input.mask_image_url"),
    ("style unknown", {"param_style": "<pixel art>"}, "parameters.style"),
    ("style bare", {"param_style": "anime"}, "parameters.style"),
    ("style number", {"param_style": 1}, "parameters.style"),
    ("n zero", {"param_n": 0}, "parameters.n"),
    ("n five", {"param_n": 5}, "parameters.n"),
    ("n negative", {"param_n": -1}, "parameters.n"),
    ("n fraction", {"param_n": 2.5}, "parameters.n"),
    ("n string", {"param_n": "2"}, "parameters.n"),
    ("n true", {"param_n": True}, "parameters.n"),
    ("n false", {"param_n": False}, "parameters.n"),
    ("n list", {"param_n": [1]}, "parameters.n"),
    ("mask_color flat", {"param_mask_color": [0, 0, 0]}, "parameters.mask_color"),
    ("mask_color pair", {"param_mask_color": [[0, 0]]}, "parameters.mask_color"),
    ("mask_color 256", {"param_mask_color": [[0, 0, 256]]}, "parameters.mask_color"),
    ("mask_color negative", {"param_mask_color": [[-1, 0, 0]]}, "parameters.mask_color"),
    ("mask_color string", {"param_mask_color": "[[0,0,0]]"}, "parameters.mask_color"),
    ("mask_color bools", {"param_mask_color": [[True, False, True]]}, "parameters.mask_color"),
    ("mask_color floats", {"param_mask_color": [[0.5, 0, 0]]}, "parameters.mask_color"),
    ("seed negative", {"param_seed": -1}, "parameters.seed"),
    ("seed too big", {"param_seed": 2147483648}, "parameters.seed"),
    ("seed string", {"param_seed": "1"}, "parameters.seed"),
    ("size number", {"param_size": 1024}, "parameters.size"),
    ("input a list", {"input": ["prompt"]}, "input"),
    ("input a string", {"input": "a dog"}, "input"),
    ("parameters a list", {"parameters": [1]}, "parameters"),
    ("parameters a string", {"parameters": "n=1"}, "parameters"),
]


async def test_every_x_painting_field_rule(api: Api, key: str) -> None:
    """One request per broken rule: 400 InvalidParameter naming the field by its full path."""
    failures = []
    for label, overrides, field in BAD_FIELDS:
        resp = await api.submit(key, xpaint_body(**overrides))
        try:
            body = check_error(resp, 400, "InvalidParameter")
            assert body["message"].startswith(field), body["message"]
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert not failures, "\n".join(failures)
    # nothing was stored
    page = await api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {key}"})
    assert check_envelope(page)["total"] == 0


async def test_field_messages_show_rule_and_value(api: Api, key: str) -> None:
    resp = await api.submit(key, xpaint_body(param_n=7))
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"] == "parameters.n must be an integer from 1 to 4, got 7"
    resp = await api.submit(key, xpaint_body(input_prompt=...))
    check_error(resp, 400, "InvalidParameter", "input.prompt is required")


NUMBERS = [
    ("1e999", "InvalidParameter"),  # Python's json reads it as inf
    ("-1e999", "InvalidParameter"),
    ("1e308", "InvalidParameter"),
    ("NaN", "BadRequest.IllegalInput"),  # not JSON at all
    ("Infinity", "BadRequest.IllegalInput"),
]


async def test_non_finite_or_huge_numbers_are_400_not_500(api: Api, key: str) -> None:
    failures = []
    for field in ("n", "seed"):
        for value, code in NUMBERS:
            raw = (
                '{"model":"wanx-x-painting","input":{"prompt":"p",'
                '"base_image_url":"http://e.com/b.png","mask_image_url":"http://e.com/m.png"},'
                '"parameters":{"' + field + '":' + value + "}}"
            )
            resp = await api.client.post(
                SUBMIT,
                content=raw.encode(),
                headers={**async_headers(key), "Content-Type": "application/json"},
            )
            try:
                body = check_error(resp, 400, code)
                if code == "InvalidParameter":
                    assert body["message"].startswith(f"parameters.{field}"), body
            except AssertionError as exc:
                failures.append(f"{field}={value}: {exc}")
    assert not failures, "\n".join(failures)


async def test_valid_edge_values_are_accepted(api: Api, key: str) -> None:
    for overrides in (
        {"param_n": 4},
        {"param_n": 2.0},  # JSON has one number type: 2.0 is 2
        {"param_seed": 0},
        {"param_seed": 2147483647},
        {"param_mask_color": []},
        {"param_mask_color": [[0, 0, 0], [134, 134, 134]]},
        {"input_base_image_url": "HTTPS://EXAMPLE.COM/a.png"},
        {"input_base_image_url": "data:image/png;base64,iVBORw0KGgo="},
        {"param_n": None},  # null means "not given"
    ):
        resp = await api.submit(key, xpaint_body(**overrides))
        assert resp.status_code == 200, (overrides, resp.text)
    for style in STYLES:
        resp = await api.submit(key, xpaint_body(param_style=style))
        assert resp.status_code == 200, (style, resp.text)
        task = await api.container.tasks.get(check_envelope(resp)["output"]["task_id"])
        assert task is not None and task.parameters["style"] == style


async def test_n_as_float_is_stored_as_int(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key, xpaint_body(param_n=3.0, param_seed=12))
    task = await api.container.tasks.get(task_id)
    assert task is not None
    assert task.parameters["n"] == 3 and isinstance(task.parameters["n"], int)
    assert task.parameters["seed"] == 12


async def test_long_prompt_is_accepted_and_truncated_to_75(api: Api, key: str) -> None:
    prompt = "".join(chr(ord("a") + i % 26) for i in range(100))
    task_id = await api.submit_ok(key, xpaint_body(input_prompt=prompt))
    task = await api.container.tasks.get(task_id)
    assert task is not None
    assert task.input["prompt"] == prompt[:75]
    # characters, not bytes
    chinese = "一只戴红眼镜的狗" * 12
    task_id = await api.submit_ok(key, xpaint_body(input_prompt=chinese))
    task = await api.container.tasks.get(task_id)
    assert task is not None and task.input["prompt"] == chinese[:75]


async def test_unsupported_size_is_accepted_at_submit(api: Api, key: str) -> None:
    """Like DashScope, the size is checked when the task runs (contract C06)."""
    task_id = await api.submit_ok(key, xpaint_body(param_size="999*999"))
    task = await api.container.tasks.get(task_id)
    assert task is not None and task.parameters["size"] == "999*999"
    assert await api.status(key, task_id) == "PENDING"


async def test_oss_url_without_resolve_header_is_400(api: Api, key: str) -> None:
    resp = await api.submit(key, xpaint_body(input_base_image_url="oss://dir/a.png"))
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"].startswith("input.base_image_url"), body
    assert "X-DashScope-OssResourceResolve" in body["message"]
    resp = await api.submit(
        key,
        xpaint_body(input_mask_image_url="oss://dir/m.png"),
        headers={"X-DashScope-OssResourceResolve": "disable"},
    )
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"].startswith("input.mask_image_url"), body


async def test_oss_url_never_uploaded_is_400_naming_the_field(api: Api, key: str) -> None:
    resp = await api.submit(
        key,
        xpaint_body(input_mask_image_url="oss://wanstack-instant/x/never.png"),
        headers={"X-DashScope-OssResourceResolve": "enable"},
    )
    body = check_error(resp, 400, "InvalidParameter")
    assert body["message"].startswith("input.mask_image_url"), body
    assert "oss://wanstack-instant/x/never.png" in body["message"]


async def test_resolve_header_without_oss_urls_is_harmless(api: Api, key: str) -> None:
    resp = await api.submit(key, headers={"X-DashScope-OssResourceResolve": "enable"})
    assert resp.status_code == 200, resp.text


async def test_stored_task_belongs_to_the_caller(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key)
    task = await api.container.tasks.get(task_id)
    record = next(r for r in await api.container.accounts.keys("acct") if key.startswith(r.prefix))
    assert task is not None
    assert task.api_key_id == record.id
    assert task.account_id == record.account_id
    assert task.workspace is None
    assert task.submitted_at == api.clock.now_ms()
    assert task.expires_at == api.clock.now_ms() + api.container.settings.retention_ms


async def test_an_idempotency_key_makes_a_retried_submit_the_same_task(api: Api, key: str) -> None:
    """A client that never saw its submit's answer retries with the same key: one task."""
    headers = {"Idempotency-Key": "batch-7f3a:line-12"}
    first = await api.submit_ok(key, **headers)
    again = await api.submit_ok(key, **headers)
    assert again == first
    racing = await asyncio.gather(
        *(api.submit_ok(key, **{"Idempotency-Key": "race"}) for _ in range(4))
    )
    assert len(set(racing)) == 1 and racing[0] != first
    listed = await api.client.get("/api/v1/tasks", headers=auth(key))
    assert listed.json()["total"] == 2  # not six
    # the same key with another request is refused; another account has its own keys
    other = await api.submit(key, xpaint_body(input_prompt="other"), headers=headers)
    check_error(other, 400, "InvalidParameter")
    assert "Idempotency-Key" in other.json()["message"]
    stranger = await api.key("another-account")
    assert await api.submit_ok(stranger, **headers) != first
    # a key without a header value, or absurd, is refused by name
    long = await api.submit(key, headers={"Idempotency-Key": "k" * 300})
    check_error(long, 400, "InvalidParameter")
