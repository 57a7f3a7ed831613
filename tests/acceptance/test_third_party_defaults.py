"""The default requests of the third-party DashScope clients the addendum quotes (§3.4 and the
issue's list), sent byte for byte as those clients send them, with raw HTTP, to a real
``wanstack serve``: new-api's video, image and image-edit relays, the Bailian MCP servers, unit2i,
agentscope, and the qwen / z-image defaults of the others. Each must succeed and give what the
client reads back (images at the documented size, an MP4 of the documented length).

Images run on the classic engines; video models on the fake engines (a valid MP4 of the exact
size and frame count): the classic video engines are tested in ``test_sdk_catalog*.py``."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.api.wan26_support import data_uri, image_bytes, mp4_facts
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server
from wanstack.catalog.registry import MODELS
from wanstack.engines.mp4 import encode_mp4

SERVICES = "/services/aigc/"
VIDEO_MODELS = [
    m for m, spec in MODELS.items() if "video-generation/video-synthesis" in spec.endpoints
]


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    env = {
        "WANSTACK_ENGINES": json.dumps(dict.fromkeys(VIDEO_MODELS, "fake")),
        "WANSTACK_WORKERS": "2",
    }
    started = wanstack_module_launcher.start("third-party", env)
    assert started.ready(), started.log_text()[-3000:]
    return started


class Client:
    """What the gateways do: POST with the async header, then poll ``GET /tasks/{id}``."""

    def __init__(self, server: Server) -> None:
        self.base = server.api_base
        self.auth = {"Authorization": f"Bearer {server.api_key}"}

    def submit(self, path: str, body: dict[str, Any], *, asynchronous: bool = True) -> Any:
        headers = {**self.auth, "Content-Type": "application/json"}
        if asynchronous:
            headers["X-DashScope-Async"] = "enable"
        return httpx.post(self.base + SERVICES + path, json=body, headers=headers, timeout=120)

    def task(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.submit(path, body)
        assert answer.status_code == 200, answer.text
        task_id = answer.json()["output"]["task_id"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            polled = httpx.get(f"{self.base}/tasks/{task_id}", headers=self.auth, timeout=30)
            output = polled.json()["output"]
            if output["task_status"] in ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"):
                assert output["task_status"] == "SUCCEEDED", polled.text
                return dict(polled.json())
            time.sleep(0.3)
        raise AssertionError(f"task {task_id} did not finish")


@pytest.fixture(scope="module")
def client(server: Server) -> Client:
    return Client(server)


def image_sizes(urls: list[str]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(httpx.get(u, timeout=30).content)).size for u in urls]


def video(url: str) -> tuple[int, int, int]:
    facts = mp4_facts(httpx.get(url, timeout=60).content)
    return facts.width, facts.height, facts.frames


# ------------------------------------------------------------------------------------ new-api


def new_api_video(model: str, prompt: str, **inputs: str) -> dict[str, Any]:
    """new-api's convertToAliRequest: every video model to video-generation, ``resolution`` and
    ``duration: 5`` always, ``prompt_extend: true``, ``watermark: false``."""
    return {
        "model": model,
        "input": {"prompt": prompt, **inputs},
        "parameters": {
            "resolution": "720P",
            "duration": 5,
            "prompt_extend": True,
            "watermark": False,
        },
    }


def test_new_api_video_relay(client: Client, media_server: MediaServer) -> None:
    first = media_server.put("np-first.jpg", image_bytes(960, 540, "JPEG", seed=1))
    last = media_server.put("np-last.jpg", image_bytes(960, 540, "JPEG", seed=2))
    cases = [
        # text to video with new-api's stray ``resolution`` (ignored; the model's default size)
        (new_api_video("wanx2.1-t2v-turbo", "一只猫在草地上奔跑"), (1280, 720)),
        (new_api_video("wan2.2-i2v-flash", "猫跑起来", img_url=first), (1280, 720)),
        # kf2v sent to video-generation, not image2video
        (
            new_api_video(
                "wan2.2-kf2v-flash", "从白天到黑夜", first_frame_url=first, last_frame_url=last
            ),
            (1280, 720),
        ),
    ]
    for body, (width, height) in cases:
        done = client.task("video-generation/video-synthesis", body)
        got = video(done["output"]["video_url"])
        assert got == (width, height, 150), (body["model"], got)


def test_new_api_image_relays(client: Client, media_server: MediaServer) -> None:
    # image generations: wan models to text2image as a task
    done = client.task(
        "text2image/image-synthesis",
        {"model": "wan2.2-t2i-flash", "input": {"prompt": "a red fox"},
         "parameters": {"size": "1024*1024", "n": 1}},
    )  # fmt: skip
    assert image_sizes([r["url"] for r in done["output"]["results"]]) == [(1024, 1024)]
    # "QWEN image" models to multimodal-generation, synchronously
    answer = client.submit(
        "multimodal-generation/generation",
        {"model": "qwen-image-plus",
         "input": {"messages": [{"role": "user", "content": [{"text": "a poster of a fox"}]}]},
         "parameters": {"size": "1328*1328", "n": 1}},
        asynchronous=False,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    content = answer.json()["output"]["choices"][0]["message"]["content"]
    assert image_sizes([content[0]["image"]]) == [(1328, 1328)]
    # image edits: wan models to image2image (an OpenAI edit with a mask → masked edit; without
    # → description_edit), the others as messages with the uploads as data: URIs
    base_png = image_bytes(768, 512, "PNG", seed=3)
    base = media_server.put("np-edit.png", base_png)
    mask = np.zeros((512, 768), np.uint8)
    mask[100:300, 200:500] = 255
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, "PNG")
    mask_url = media_server.put("np-mask.png", buffer.getvalue())
    for inputs in (
        {"function": "description_edit_with_mask", "mask_image_url": mask_url},
        {"function": "description_edit"},
    ):
        done = client.task(
            "image2image/image-synthesis",
            {"model": "wanx2.1-imageedit",
             "input": {"prompt": "make it warm", "base_image_url": base, **inputs},
             "parameters": {"n": 1}},
        )  # fmt: skip
        assert image_sizes([r["url"] for r in done["output"]["results"]]) == [(768, 512)]
    answer = client.submit(
        "multimodal-generation/generation",
        {"model": "qwen-image-edit-plus",
         "input": {"messages": [{"role": "user", "content": [
             {"image": data_uri(base_png, "image/png")}, {"text": "make it warm"}]}]},
         "parameters": {"n": 1}},
        asynchronous=False,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    content = answer.json()["output"]["choices"][0]["message"]["content"]
    assert len(content) == 1 and "image" in content[0]


# ------------------------------------------------------------------------- MCP servers & SDKs


def test_bailian_image_mcp_and_agentscope(client: Client) -> None:
    """The Bailian image MCP server's wan2.2-t2i-flash, and agentscope's wanx-v1 sizes."""
    done = client.task(
        "text2image/image-synthesis",
        {"model": "wan2.2-t2i-flash", "input": {"prompt": "一只戴着墨镜的狗"},
         "parameters": {"size": "1024*1024", "n": 1}},
    )  # fmt: skip
    assert image_sizes([r["url"] for r in done["output"]["results"]]) == [(1024, 1024)]
    for size in ("1024*1024", "720*1280", "1280*720"):
        done = client.task(
            "text2image/image-synthesis",
            {"model": "wanx-v1", "input": {"prompt": "a lighthouse"},
             "parameters": {"size": size, "n": 1}},
        )  # fmt: skip
        expected = tuple(int(v) for v in size.split("*"))
        assert image_sizes([r["url"] for r in done["output"]["results"]]) == [expected]


def test_unit2i_and_the_chat_image_models(client: Client) -> None:
    """unit2i's wan2.6-t2i, and qwen-image / z-image-turbo with their defaults."""
    for model, expected in (
        ("wan2.6-t2i", (1280, 1280)),
        ("qwen-image", (1664, 928)),
        ("z-image-turbo", (1024, 1536)),
    ):
        body: dict[str, Any] = {
            "model": model,
            "input": {"messages": [{"role": "user", "content": [{"text": "雪山下的湖泊"}]}]},
        }
        if model == "wan2.6-t2i":
            body["parameters"] = {"size": "1280*1280", "n": 1}
        answer = client.submit("multimodal-generation/generation", body, asynchronous=False)
        assert answer.status_code == 200, (model, answer.text)
        content = answer.json()["output"]["choices"][0]["message"]["content"]
        assert image_sizes([content[0]["image"]]) == [expected], model


def test_bailian_video_mcp_vace_tools(client: Client, media_server: MediaServer) -> None:
    """The vace tools' documented bodies: the three functions every engine serves succeed;
    repainting is accepted by this server's (fake) engine."""
    picture = media_server.put("mcp-ref.png", image_bytes(640, 640, "PNG", seed=4))
    frames = (np.full((360, 640, 3), 40 + 6 * i, np.uint8) for i in range(30))
    clip = media_server.put(
        "mcp-clip.mp4", encode_mp4(frames, size=(640, 360), fps=15, frame_count=30, audio=None)
    )
    bodies = [
        {"input": {"function": "image_reference", "prompt": "女孩走出森林",
                   "ref_images_url": [picture]},
         "parameters": {"prompt_extend": True, "obj_or_bg": ["obj"], "size": "1280*720"}},
        {"input": {"function": "video_extension", "prompt": "一只狗在街道上滑滑板",
                   "first_clip_url": clip},
         "parameters": {"prompt_extend": False}},
        {"input": {"function": "video_outpainting", "prompt": "一位女士演奏小提琴",
                   "video_url": clip},
         "parameters": {"prompt_extend": False, "top_scale": 1.5, "bottom_scale": 1.5,
                        "left_scale": 1.5, "right_scale": 1.5}},
    ]  # fmt: skip
    for body in bodies:
        done = client.task(
            "video-generation/video-synthesis", {"model": "wanx2.1-vace-plus", **body}
        )
        assert video(done["output"]["video_url"])[2] == 150
        assert done["usage"] == {"video_duration": 5, "video_ratio": "standard", "video_count": 1}
    refused = client.submit(
        "video-generation/video-synthesis",
        {"model": "wanx2.1-vace-plus",
         "input": {"function": "video_repainting", "prompt": "蒸汽朋克汽车", "video_url": clip},
         "parameters": {"prompt_extend": False, "control_condition": "depth"}},
    )  # fmt: skip
    # the fake engine stands in for every function (the classic engine refuses this one by name:
    # test_sdk_catalog_edit.py; the diffusers engine refuses its depth condition by name)
    assert refused.status_code == 200, refused.text
    assert refused.json()["output"]["task_status"] == "PENDING"
