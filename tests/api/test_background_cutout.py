"""``parameters.cutout: "auto"`` on wanx-background-generation-v2 (extension): an RGB product
photo is cut out before the scene is made. Without it an RGB base image still FAILS as DashScope
fails it. Real app over HTTP (ASGI), real worker pool, the classic engine."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from bench.cutout_data import PHOTOS, make_photo
from PIL import Image

from tests.api.support import Api, async_headers, check_envelope, check_error
from wanstack.engines.cutout import cut_out

BACKGROUND = "/api/v1/services/aigc/background-generation/generation"
RGBA_MESSAGE = (
    "Base image require RGBA format, but is RGB, modes concept see "
    "https://pillow.readthedocs.io/en/stable/handbook/concepts.html#concept-modes"
)


def encoded(rgb: np.ndarray, format: str) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=format, quality=92)
    mime = "image/png" if format == "PNG" else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode()


def body(base: str, **parameters: Any) -> dict[str, Any]:
    return {
        "model": "wanx-background-generation-v2",
        "input": {"base_image_url": base, "ref_prompt": "白色大理石台面，柔和的光线"},
        "parameters": {"n": 1, "seed": 7, **parameters},
    }


@pytest.fixture(scope="module")
def product() -> np.ndarray:
    """A seller's photo: a blue bottle on white paper with its shadow (RGB, 320 px)."""
    rgb, _ = make_photo(next(p for p in PHOTOS if p.name == "blue bottle on white"), 320)
    return rgb


@pytest.fixture
async def worker(api: Api) -> AsyncIterator[None]:
    pool = api.container.worker_pool(1)
    job = asyncio.create_task(pool.run(5))
    yield
    pool.stop()
    await asyncio.wait_for(job, 30)


async def submit(api: Api, key: str, request: dict[str, Any]) -> str:
    resp = await api.client.post(BACKGROUND, json=request, headers=async_headers(key))
    assert resp.status_code == 200, resp.text
    return str(check_envelope(resp)["output"]["task_id"])


async def final(api: Api, key: str, task_id: str) -> dict[str, Any]:
    for _ in range(1200):  # the classic engine at 320 px: well under a second per image
        answer = await api.query(key, task_id)
        if answer["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish: {answer}")


@pytest.mark.usefixtures("worker")
async def test_an_rgb_base_image_still_fails_as_on_dashscope(
    api: Api, key: str, product: np.ndarray
) -> None:
    task_id = await submit(api, key, body(encoded(product, "PNG")))
    answer = await final(api, key, task_id)
    out = answer["output"]
    assert out["task_status"] == "FAILED", answer
    assert out["code"] == "BadRequest.UnsupportedFileFormat"
    assert out["message"] == RGBA_MESSAGE


@pytest.mark.usefixtures("worker")
async def test_cutout_auto_cuts_a_jpeg_photo_out_and_keeps_the_product(
    api: Api, key: str, product: np.ndarray
) -> None:
    base = encoded(product, "JPEG")
    task_id = await submit(api, key, body(base, cutout="auto"))
    answer = await final(api, key, task_id)
    out = answer["output"]
    assert out["task_status"] == "SUCCEEDED", answer
    assert answer["usage"] == {"image_count": 1}
    resp = await api.client.get(out["results"][0]["url"])
    assert resp.status_code == 200
    result = np.asarray(Image.open(io.BytesIO(resp.content)).convert("RGB"))
    # the server decoded the same JPEG; its cutout is the one cut_out makes (deterministic)
    photo = np.asarray(Image.open(io.BytesIO(base64.b64decode(base.split(",", 1)[1]))))
    assert result.shape == photo.shape
    alpha = cut_out(photo)[..., 3]
    opaque = alpha == 255
    assert opaque.sum() > 0.08 * opaque.size  # the bottle is most of the middle of the photo
    assert np.array_equal(result[opaque], photo[opaque])  # every product pixel kept exactly
    # ... and the paper and its shadow were replaced by a scene
    backdrop = alpha == 0
    changed = np.abs(result.astype(int) - photo.astype(int)).sum(axis=2) > 30
    assert changed[backdrop].mean() > 0.5


@pytest.mark.usefixtures("worker")
async def test_cutout_auto_uses_an_rgba_cutout_as_it_is(
    api: Api, key: str, product: np.ndarray
) -> None:
    rgba = np.dstack([product, np.zeros(product.shape[:2], np.uint8)])
    rgba[100:220, 120:200, 3] = 255
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    base = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    answer = await final(api, key, await submit(api, key, body(base, cutout="auto")))
    assert answer["output"]["task_status"] == "SUCCEEDED", answer
    resp = await api.client.get(answer["output"]["results"][0]["url"])
    result = np.asarray(Image.open(io.BytesIO(resp.content)).convert("RGB"))
    assert np.array_equal(result[100:220, 120:200], product[100:220, 120:200])


@pytest.mark.usefixtures("worker")
async def test_cutout_auto_on_an_empty_photo_fails_naming_the_field(api: Api, key: str) -> None:
    wall = np.full((240, 320, 3), 228, np.uint8)
    task_id = await submit(api, key, body(encoded(wall, "JPEG"), cutout="auto"))
    answer = await final(api, key, task_id)
    out = answer["output"]
    assert out["task_status"] == "FAILED", answer
    assert out["code"] == "InvalidParameter"
    assert out["message"].startswith("base_image_url: parameters.cutout found no product")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("manual", "parameters.cutout must be one of 'auto', got 'manual'"),
        (True, "parameters.cutout must be a string, got True"),
        ("", "parameters.cutout must be one of 'auto', got ''"),
    ],
)
async def test_other_cutout_values_are_refused_naming_the_field(
    api: Api, key: str, value: Any, message: str
) -> None:
    resp = await api.client.post(
        BACKGROUND,
        json=body("http://example.com/photo.jpg", cutout=value),
        headers=async_headers(key),
    )
    check_error(resp, 400, "InvalidParameter", message)
