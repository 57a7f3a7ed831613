"""Oversized request bodies are refused with DashScope's error, before they are parsed."""

from __future__ import annotations

from tests.api.support import SUBMIT, Api, async_headers, check_error
from wanstack.api.app import MAX_BODY_BYTES
from wanstack.api.routes.services import MAX_SUBMIT_BYTES


async def test_submit_over_the_limit_is_payload_too_large(api: Api, key: str) -> None:
    resp = await api.client.post(
        SUBMIT, content=b" " * (MAX_SUBMIT_BYTES + 1), headers=async_headers(key)
    )
    check_error(resp, 400, "BadRequest.TooLarge", "Payload Too Large.")


async def test_a_large_but_allowed_submit_is_parsed(api: Api, key: str) -> None:
    body = b'{"model": "wanx-x-painting", "input": {}}' + b" " * (4 * 1024 * 1024)
    resp = await api.client.post(SUBMIT, content=body, headers=async_headers(key))
    check_error(resp, 400, "InvalidParameter")  # reached validation: input.prompt is required
    assert "input.prompt" in resp.json()["message"]


def test_the_app_cap_admits_the_largest_upload() -> None:
    from wanstack.upload.service import MAX_UPLOAD_MB

    assert MAX_BODY_BYTES > MAX_UPLOAD_MB * 1024 * 1024 > MAX_SUBMIT_BYTES
