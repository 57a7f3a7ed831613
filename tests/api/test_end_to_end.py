"""Submit → a real worker pool (``fake`` engine) → query → fetch: C04/C05/C06 over HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from tests.api.support import Api, auth, check_envelope, post_upload, xpaint_body

SIZE_MESSAGE = "The size is not match the allowed size ['1024*1024', '720*1280', '1280*720']"


def png(color: tuple[int, int, int], size: tuple[int, int] = (300, 300)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture
async def worker(api: Api) -> AsyncIterator[None]:
    pool = api.container.worker_pool(1)
    job = asyncio.create_task(pool.run(5))
    yield
    pool.stop()
    await asyncio.wait_for(job, 10)


async def wait_final(api: Api, key: str, task_id: str) -> dict[str, Any]:
    for _ in range(400):
        body = await api.query(key, task_id)
        if body["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"task {task_id} did not finish: {body}")


@pytest.mark.usefixtures("worker")
async def test_uploaded_images_are_inpainted(api: Api, key: str) -> None:
    resp = await api.client.get(
        "/api/v1/uploads?action=getPolicy&model=wanx-x-painting", headers=auth(key)
    )
    cert = check_envelope(resp)["data"]
    refs = {}
    for name, data in (("b.png", png((200, 30, 30))), ("m.png", png((255, 255, 255)))):
        resp = await post_upload(api, cert, name, data)
        assert resp.status_code == 200, resp.text
        refs[name] = f"oss://{cert['upload_dir']}/{name}"
    body = xpaint_body(
        input_base_image_url=refs["b.png"],
        input_mask_image_url=refs["m.png"],
        param_n=2,
        param_size="1280*720",
    )
    task_id = await api.submit_ok(key, body, **{"X-DashScope-OssResourceResolve": "enable"})
    final = await wait_final(api, key, task_id)
    out = final["output"]
    assert out["task_status"] == "SUCCEEDED", final
    assert out["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 2, "FAILED": 0}
    assert final["usage"] == {"image_count": 2}
    assert {"submit_time", "scheduled_time", "end_time"} <= set(out)
    assert len(out["results"]) == 2
    for result in out["results"]:
        resp = await api.client.get(result["url"])
        assert resp.status_code == 200
        image = Image.open(io.BytesIO(resp.content))
        assert image.format == "PNG" and image.size == (1280, 720)


@pytest.mark.usefixtures("worker")
async def test_unsupported_size_fails_at_run_time(api: Api, key: str) -> None:
    """C06: accepted at submit, then FAILED with DashScope's code and message."""
    body = xpaint_body(
        input_base_image_url=data_uri(png((0, 0, 200))),
        input_mask_image_url=data_uri(png((255, 255, 255))),
        param_size="999*999",
        param_n=2,
    )
    task_id = await api.submit_ok(key, body)
    final = await wait_final(api, key, task_id)
    out = final["output"]
    assert out["task_status"] == "FAILED", final
    assert out["code"] == "InvalidParameter"
    assert out["message"] == SIZE_MESSAGE
    assert out["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 0, "FAILED": 2}
    assert out.get("results", []) == []
    assert "usage" not in final
