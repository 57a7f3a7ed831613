"""wanx-background-generation-v2 through the unmodified dashscope SDK (contract C35) against a
real ``wanstack serve`` process with the classic engine: the seeds' request shapes succeed, and
the documented errors come back with their codes and messages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import dashscope
import httpx
import numpy as np
import pytest
from dashscope.client.base_api import BaseAsyncApi
from PIL import Image

from tests.support.media import MediaServer, encode, photo_array, photo_png
from tests.support.processes import Launcher, Server
from wanstack.engines.titles import render_layers

MODEL = "wanx-background-generation-v2"


def subject_png(width: int = 384, height: int = 320) -> bytes:
    """A bottle-like product cutout: opaque body, soft antialiased rim, transparent elsewhere."""
    yy, xx = np.mgrid[0:height, 0:width]
    cx, cy = width / 2, height * 0.55
    d = np.sqrt(((xx - cx) / (width * 0.18)) ** 2 + ((yy - cy) / (height * 0.35)) ** 2)
    alpha = np.clip((1.0 - d) * 12.0, 0.0, 1.0)
    rgb = np.stack([40 + 150 * (xx / width), 90 + 0 * xx, 160 - 80 * (yy / height)], axis=2)
    rgba = np.dstack([rgb, alpha * 255]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    return wanstack_module_launcher.start("classic-bg")


@pytest.fixture
def sdk(server: Server) -> Iterator[None]:
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = server.api_base
    yield
    dashscope.base_http_api_url = saved


def call(server: Server, input: dict[str, Any], **parameters: Any) -> Any:
    submitted = BaseAsyncApi.async_call(
        model=MODEL,
        input=input,
        task_group="aigc",
        task="background-generation",
        function="generation",
        api_key=server.api_key,
        **parameters,
    )
    assert submitted.status_code == HTTPStatus.OK, submitted
    return BaseAsyncApi.wait(submitted, api_key=server.api_key)


def download(url: str) -> Image.Image:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def test_text_guided_n4_v3_keeps_the_product(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    product = subject_png()
    base = media_server.put("bg-subject.png", product)
    done = call(
        server, {"base_image_url": base, "ref_prompt": "山脉和晚霞"}, n=4, model_version="v3"
    )
    assert done.output["task_status"] == "SUCCEEDED", done
    assert done.output["task_metrics"] == {"TOTAL": 4, "SUCCEEDED": 4, "FAILED": 0}
    assert done.usage["image_count"] == 4
    original = np.asarray(Image.open(io.BytesIO(product)))
    opaque = original[..., 3] == 255
    images = [np.asarray(download(r["url"]).convert("RGB")) for r in done.output["results"]]
    for image in images:
        assert image.shape == (*original.shape[:2], 3)
        assert np.array_equal(image[opaque], original[..., :3][opaque])
    assert len({im.tobytes() for im in images}) == 4  # the n results differ


def test_reference_image_and_edges(server: Server, sdk: None, media_server: MediaServer) -> None:
    base = media_server.put("bg-subject2.png", subject_png())
    ref = media_server.put("bg-ref.png", subject_png(200, 150))
    edges = media_server.put("bg-edge.png", subject_png())
    done = call(
        server,
        {
            "base_image_url": base,
            "ref_image_url": ref,
            "ref_prompt": "在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线",
            "reference_edge": {
                "foreground_edge": [edges],
                "background_edge": [edges],
                "foreground_edge_prompt": ["粉色桃花"],
                "background_edge_prompt": ["树叶"],
            },
        },
        n=2,
        noise_level=500,
        ref_prompt_weight=0.6,
    )
    assert done.output["task_status"] == "SUCCEEDED", done
    assert len(done.output["results"]) == 2


def test_seed_001_request_example(server: Server, sdk: None, media_server: MediaServer) -> None:
    """Seed 001's own request: a JPEG reference, ref_prompt 山脉和晚霞, two foreground edges with
    粉色桃花 / 可爱小狗, one background edge with 树叶, n = 4, ref_prompt_weight 0.5, v3."""
    base = media_server.put("seed1-a.png", subject_png(400, 400))
    ref = media_server.put("seed1-ref.jpg", encode(photo_array(640, 480, seed=3), "JPEG"))
    edge = [
        media_server.put(f"seed1-edge{i}.png", subject_png(300 + 40 * i, 300)) for i in range(3)
    ]
    done = call(
        server,
        {
            "base_image_url": base,
            "ref_image_url": ref,
            "ref_prompt": "山脉和晚霞",
            "reference_edge": {
                "foreground_edge": edge[:2],
                "background_edge": edge[2:],
                "foreground_edge_prompt": ["粉色桃花", "可爱小狗"],
                "background_edge_prompt": ["树叶"],
            },
        },
        n=4,
        ref_prompt_weight=0.5,
        model_version="v3",
    )
    assert done.output["task_status"] == "SUCCEEDED", done
    assert done.usage["image_count"] == 4
    sizes = {download(r["url"]).size for r in done.output["results"]}
    assert sizes == {(400, 400)}


def test_reference_image_alone(server: Server, sdk: None, media_server: MediaServer) -> None:
    base = media_server.put("ref-only-base.png", subject_png())
    ref = media_server.put("ref-only.png", photo_png(300, 200, seed=5))
    done = call(server, {"base_image_url": base, "ref_image_url": ref}, noise_level=0)
    assert done.output["task_status"] == "SUCCEEDED", done
    assert len(done.output["results"]) == 1


def test_title_and_subtitle_return_editable_layers(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    """Seed 002: with a title, ``text_results`` carries the text-free images and their layers;
    drawing the layers onto a text-free image gives back the titled result, pixel for pixel."""
    product = subject_png(480, 640)
    base = media_server.put("bg-titled.png", product)
    done = call(
        server,
        {
            "base_image_url": base,
            "ref_prompt": "粉色桃花",
            "title": "分享好时光",
            "sub_title": "只为不一样的你",
        },
        n=2,
    )
    assert done.output["task_status"] == "SUCCEEDED", done
    text = done.output["text_results"]
    assert len(text["urls"]) == 2 and [p["sample_idx"] for p in text["params"]] == [0, 1]
    original = np.asarray(Image.open(io.BytesIO(product)))
    for result, plain_url, params in zip(
        done.output["results"], text["urls"], text["params"], strict=True
    ):
        titled = np.asarray(download(result["url"]).convert("RGB"))
        plain = np.asarray(download(plain_url["url"]).convert("RGB"))
        assert titled.shape == plain.shape == (640, 480, 3)
        assert not np.array_equal(titled, plain)
        contents = [(x["sub_type"], x["content"]) for x in params["layers"] if x["type"] == "text"]
        assert contents == [("Title", "分享好时光"), ("SubTitle", "只为不一样的你")]
        assert np.array_equal(render_layers(plain, params["layers"]), titled)
        opaque = original[..., 3] == 255  # the title keeps clear of the product
        assert np.array_equal(titled[opaque], original[..., :3][opaque])


def test_v3_model_name_does_not_exist(server: Server, sdk: None) -> None:
    rsp = BaseAsyncApi.async_call(
        model="wanx-background-generation-v3",
        input={"base_image_url": "https://example.com/a.png", "ref_prompt": "x"},
        task_group="aigc",
        task="background-generation",
        function="generation",
        api_key=server.api_key,
    )
    assert rsp.status_code == 400
    assert (rsp.code, rsp.message) == ("InvalidParameter", "Model not exist.")


def test_an_rgb_base_image_fails_with_the_seed_message(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 20, 30)).save(buf, format="PNG")
    base = media_server.put("bg-rgb.png", buf.getvalue())
    done = call(server, {"base_image_url": base, "ref_prompt": "x"})
    assert done.output["task_status"] == "FAILED"
    assert done.output["code"] == "BadRequest.UnsupportedFileFormat"
    assert done.output["message"].startswith("Base image require RGBA format, but is RGB, ")


def test_missing_guides_and_trailing_slash(server: Server) -> None:
    headers = {
        "Authorization": f"Bearer {server.api_key}",
        "X-DashScope-Async": "enable",
    }
    body = {"model": MODEL, "input": {"base_image_url": "https://example.com/a.png"}}
    url = f"{server.api_base}/services/aigc/background-generation/generation/"
    r = httpx.post(url, json=body, headers=headers, timeout=10)
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidParameter"
    assert "input.ref_prompt" in r.json()["message"]
