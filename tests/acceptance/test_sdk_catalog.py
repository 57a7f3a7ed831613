"""The wider catalogue through the unmodified ``dashscope`` SDK against a real ``wanstack serve``
on the classic engines: the Wan text-to-image family on ``text2image/image-synthesis`` (every
model and alias, sizes and counts decoded from the PNGs, the SDK's ``sync_call``, the rules the
model decides), and ``GET /api/v1/models``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import cv2
import dashscope
import httpx
import numpy as np
import pytest
from dashscope import ImageSynthesis, MultiModalConversation, VideoSynthesis
from dashscope.aigc.image_generation import ImageGeneration
from PIL import Image

from tests.api.wan26_support import Mp4Facts, image_bytes, mp4_facts, wav_bytes
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server
from wanstack.engines.framing import cover

T2I = "/services/aigc/text2image/image-synthesis"
#: (model, size sent or None, size expected)
FAMILY = [
    ("wan2.5-t2i-preview", None, (1280, 1280)),
    ("wan2.2-t2i-flash", "768*512", (768, 512)),
    ("wan2.2-t2i-plus", None, (1024, 1024)),
    ("wanx2.1-t2i-turbo", "512*640", (512, 640)),
    ("wanx2.1-t2i-plus", "1440*512", (1440, 512)),
    ("wanx2.0-t2i-turbo", "640*640", (640, 640)),
    ("wan2.1-t2i-turbo", "512*512", (512, 512)),  # the international name
]


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Iterator[Server]:
    started = wanstack_module_launcher.start("catalog", {"WANSTACK_WORKERS": "2"})
    assert started.ready(), started.log_text()[-3000:]
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = started.api_base
    yield started
    dashscope.base_http_api_url = saved


def sizes(rsp: Any) -> list[tuple[int, int]]:
    out = []
    for result in rsp.output.results:
        answer = httpx.get(result.url, timeout=30)
        assert answer.status_code == 200
        out.append(Image.open(io.BytesIO(answer.content)).size)
    return out


@pytest.mark.parametrize(("model", "size", "expected"), FAMILY)
def test_every_text_to_image_model(
    server: Server, model: str, size: str | None, expected: tuple[int, int]
) -> None:
    args: dict[str, Any] = {"model": model, "prompt": "雪地，白色小教堂，极光", "n": 1}
    if size:
        args["size"] = size
    rsp = ImageSynthesis.call(api_key=server.api_key, negative_prompt="人物", **args)
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [expected]
    result = rsp.output.results[0]
    assert result.orig_prompt == "雪地，白色小教堂，极光" == result.actual_prompt
    assert dict(rsp.usage) == {"image_count": 1}


def test_n_defaults_to_four_and_prompts_are_cut(server: Server) -> None:
    rsp = ImageSynthesis.call(
        model="wan2.2-t2i-flash",
        prompt="猫" * 600,
        size="512*512",
        prompt_extend=False,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(512, 512)] * 4  # n defaults to 4
    assert dict(rsp.output.task_metrics) == {"TOTAL": 4, "SUCCEEDED": 4, "FAILED": 0}
    assert all(len(r.orig_prompt) == 500 for r in rsp.output.results)  # cut at wan2.2's 500
    assert all("actual_prompt" not in r for r in rsp.output.results)  # prompt_extend off


def test_sync_call_of_wan22(server: Server) -> None:
    rsp = ImageSynthesis.sync_call(
        model="wan2.2-t2i-plus", prompt="a red bicycle", n=1, size="512*512", api_key=server.api_key
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED"
    assert sizes(rsp) == [(512, 512)]


def test_the_model_decides_the_rules(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.api_key}"}
    url = server.api_base + T2I
    body = {"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a cat"}}
    answer = httpx.post(url, json=body, headers=auth)  # no async header: async-only model
    assert answer.status_code == 403 and answer.json()["code"] == "AccessDenied"
    unknown = {"model": "wan9-t2i", "input": {"prompt": "a cat"}}
    answer = httpx.post(url, json=unknown, headers=auth)  # unknown: never AccessDenied
    assert answer.status_code == 400
    assert answer.json()["message"] == "Model not exist."
    for model, size, rule in (
        ("wan2.2-t2i-flash", "1500*1024", "each side from 512 to 1440"),
        ("wan2.5-t2i-preview", "1024*1024", "total pixels from 1625088 to 2073600"),
    ):
        rsp = ImageSynthesis.async_call(
            model=model, prompt="a cat", size=size, api_key=server.api_key
        )
        assert rsp.status_code == 400 and rsp.code == "InvalidParameter", rsp
        assert "parameters.size" in rsp.message and rule in rsp.message


def test_models_lists_what_is_served(server: Server) -> None:
    answer = httpx.get(
        server.api_base + "/models", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.status_code == 200
    served = {m["model"]: m for m in answer.json()["models"]}
    assert {"wanx-x-painting", "wan2.6-image", "wan2.2-t2i-flash", "wanx2.1-t2i-turbo"} <= set(
        served
    )
    assert served["wanx2.1-t2i-turbo"]["aliases"] == ["wan2.1-t2i-turbo"]
    assert served["wan2.2-t2i-flash"]["endpoints"] == [
        {"path": "/api/v1/services/aigc/text2image/image-synthesis", "mode": "async or sync"}
    ]
    assert all(m["engine"] == "classic" for m in served.values())
    assert httpx.get(server.api_base + "/models").status_code == 401


# --------------------------------------------------------------- text to image through messages


def image_size(url: str) -> tuple[int, int]:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200
    return Image.open(io.BytesIO(answer.content)).size


def ask(server: Server, model: str, text: str = "一只猫在窗台上", **params: Any) -> Any:
    rsp = MultiModalConversation.call(  # type: ignore[call-overload]
        model=model,
        messages=[{"role": "user", "content": [{"text": text}]}],
        api_key=server.api_key,
        **params,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    return rsp


def test_wan26_t2i_sync_and_async(server: Server) -> None:
    rsp = ImageGeneration.call(
        model="wan2.6-t2i",
        messages=[{"role": "user", "content": [{"text": "a lighthouse at dusk"}]}],
        n=1,
        size="1104*1472",
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    content = rsp.output.choices[0].message.content
    assert [c["type"] for c in content] == ["image"]
    assert image_size(content[0]["image"]) == (1104, 1472)
    assert rsp.usage["size"] == "1104*1472" and rsp.output.finished
    task = ImageGeneration.async_call(
        model="wan2.6-t2i",
        messages=[{"role": "user", "content": [{"text": "a lighthouse"}]}],
        n=2,
        api_key=server.api_key,
    )
    done = ImageGeneration.wait(task, api_key=server.api_key)
    assert done.output.task_status == "SUCCEEDED", done
    images = done.output.choices[0]["message"]["content"]
    assert [image_size(c["image"]) for c in images] == [(1280, 1280)] * 2


def test_qwen_image_family(server: Server) -> None:
    rsp = ask(server, "qwen-image-max", negative_prompt="blurry", result_format="message")
    content = rsp.output.choices[0].message.content
    assert list(content[0]) == ["image"] and image_size(content[0]["image"]) == (1664, 928)
    usage = dict(rsp.usage)  # (the SDK adds zero token counts of its own)
    assert {k: usage[k] for k in ("height", "image_count", "width")} == {
        "height": 928,
        "image_count": 1,
        "width": 1664,
    }
    assert rsp.output.task_metric == {"FAILED": 0, "SUCCEEDED": 1, "TOTAL": 1}
    two = ask(server, "qwen-image-2.0", n=2, size="1024*768")
    images = two.output.choices[0].message.content
    assert [image_size(c["image"]) for c in images] == [(1024, 768)] * 2
    assert "task_metric" not in two.output
    dated = ask(server, "qwen-image-plus-2026-01-09", size="928*1664")
    assert image_size(dated.output.choices[0].message.content[0]["image"]) == (928, 1664)
    flat = ImageSynthesis.call(
        model="qwen-image-plus", prompt="一副对联", negative_prompt=" ", n=1,
        size="1328*1328", api_key=server.api_key,
    )  # fmt: skip
    assert flat.output.task_status == "SUCCEEDED", flat
    assert flat.output.results[0].orig_prompt == "一副对联"
    assert sizes(flat) == [(1328, 1328)]
    bad = MultiModalConversation.call(  # type: ignore[call-overload]
        model="qwen-image-max",
        messages=[{"role": "user", "content": [{"text": "a"}]}],
        n=2,
        api_key=server.api_key,
    )
    assert bad.status_code == 400 and "parameters.n" in bad.message
    bad = ask_raw(server, "qwen-image", size="1024*1024")
    assert bad.status_code == 400 and "1664*928" in bad.message


def ask_raw(server: Server, model: str, **params: Any) -> Any:
    return MultiModalConversation.call(  # type: ignore[call-overload]
        model=model,
        messages=[{"role": "user", "content": [{"text": "a"}]}],
        api_key=server.api_key,
        **params,
    )


def test_z_image_turbo(server: Server) -> None:
    rsp = ask(server, "z-image-turbo", text="film grain, a lake", prompt_extend=False)
    message = rsp.output.choices[0].message
    assert image_size(message.content[0]["image"]) == (1024, 1536)  # its default size
    assert message.content[1] == {"text": "film grain, a lake"}
    assert message.reasoning_content == ""
    assert rsp.usage["width"] == 1024 and rsp.usage["height"] == 1536


# --------------------------------------------------------------------------- older video models

VIDEO_T2V = [  # (model, size sent, duration sent, usage expected)
    ("wan2.5-t2v-preview", "832*480", 10, {"video_duration": 10, "video_ratio": "832*480"}),
    ("wan2.2-t2v-plus", None, None, {"video_duration": 5, "video_ratio": "1920*1080"}),
    ("wanx2.1-t2v-turbo", "480*832", None, {"video_duration": 5, "video_ratio": "480*832"}),
    ("wanx2.1-t2v-plus", "960*960", None, {"video_duration": 5, "video_ratio": "960*960"}),
    ("wan2.1-t2v-turbo", None, None, {"video_duration": 5, "video_ratio": "1280*720"}),
]
VIDEO_I2V = [  # (model, resolution, duration, (width, height) of a 4:3 input, usage expected)
    ("wan2.5-i2v-preview", "480P", 10, (736, 544), {"duration": 10, "SR": 480}),
    ("wan2.2-i2v-flash", None, None, (1104, 832), {"duration": 5, "SR": 720}),
    ("wan2.2-i2v-plus", "480P", None, (736, 544), {"duration": 5, "SR": 480}),
    ("wanx2.1-i2v-turbo", "720P", 3, (1104, 832), {"video_duration": 3, "video_ratio": "standard"}),
    ("wanx2.1-i2v-plus", None, None, (1104, 832), {"video_duration": 5, "video_ratio": "standard"}),
]


@pytest.fixture(scope="module")
def video_server(wanstack_module_launcher: Launcher) -> Server:
    models = [m for m, *_ in VIDEO_T2V + VIDEO_I2V if not m.startswith("wan2.1-")]
    env = {
        "WANSTACK_ENGINES": json.dumps(dict.fromkeys(models, "fake")),
        "WANSTACK_WORKERS": "2",
    }
    started = wanstack_module_launcher.start("catalog-video", env)
    assert started.ready(), started.log_text()[-3000:]
    return started


@pytest.fixture
def videos(video_server: Server) -> Iterator[Server]:
    """The SDK talks to the video server during the test."""
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = video_server.api_base
    yield video_server
    dashscope.base_http_api_url = saved


def video_facts(url: str) -> Mp4Facts:
    answer = httpx.get(url, timeout=60)
    assert answer.status_code == 200
    return mp4_facts(answer.content)


@pytest.mark.parametrize(("model", "size", "duration", "usage"), VIDEO_T2V)
def test_older_text_to_video(
    videos: Server, model: str, size: str | None, duration: int | None, usage: dict[str, Any]
) -> None:
    args: dict[str, Any] = {"model": model, "prompt": "一只小猫在月光下奔跑"}
    args |= {k: v for k, v in (("size", size), ("duration", duration)) if v is not None}
    rsp = VideoSynthesis.call(api_key=videos.api_key, **args)
    assert rsp.output.task_status == "SUCCEEDED", rsp
    facts = video_facts(rsp.output.video_url)
    width, height = (int(v) for v in usage["video_ratio"].split("*"))
    assert (facts.width, facts.height, facts.frames) == (
        width,
        height,
        usage["video_duration"] * 30,
    )
    got = dict(rsp.usage)  # (the SDK adds zero defaults for fields a model does not send)
    assert {k: got[k] for k in usage} == usage and got["video_count"] == 1


@pytest.mark.parametrize(("model", "resolution", "duration", "size", "usage"), VIDEO_I2V)
def test_older_image_to_video(
    videos: Server,
    media_server: MediaServer,
    model: str,
    resolution: str | None,
    duration: int | None,
    size: tuple[int, int],
    usage: dict[str, Any],
) -> None:
    img_url = media_server.put("cat-i2v.jpg", image_bytes(640, 480, "JPEG", seed=2))
    args: dict[str, Any] = {"model": model, "img_url": img_url, "prompt": "a cat runs"}
    args |= {k: v for k, v in (("resolution", resolution), ("duration", duration)) if v}
    rsp = VideoSynthesis.call(api_key=videos.api_key, **args)
    assert rsp.output.task_status == "SUCCEEDED", rsp
    facts = video_facts(rsp.output.video_url)
    seconds = usage.get("duration") or usage["video_duration"]
    assert (facts.width, facts.height, facts.frames) == (*size, seconds * 30)
    got = dict(rsp.usage)
    assert {k: got[k] for k in usage} == usage and got["video_count"] == 1


def test_older_video_rules(videos: Server, media_server: MediaServer) -> None:
    def submit(**args: Any) -> Any:
        return VideoSynthesis.async_call(api_key=videos.api_key, prompt="a cat", **args)

    rsp = submit(model="wanx2.1-t2v-plus", size="832*480")
    assert (
        rsp.status_code == 400 and "480P sizes are not supported by wanx2.1-t2v-plus" in rsp.message
    )
    rsp = submit(model="wan2.5-t2v-preview", duration=7)
    assert rsp.status_code == 400 and "5, 10 seconds" in rsp.message
    audio = media_server.put("old-tone.wav", wav_bytes(3.5))
    rsp = submit(model="wan2.2-t2v-plus", audio_url=audio)
    assert rsp.status_code == 400 and "makes silent videos" in rsp.message
    # a fixed duration set to another value is accepted, and the task fails when it runs
    rsp = submit(model="wan2.2-t2v-plus", duration=10)
    assert rsp.status_code == HTTPStatus.OK, rsp
    done = VideoSynthesis.wait(rsp, api_key=videos.api_key)
    assert done.output.task_status == "FAILED"
    assert done.output.message == "duration customization is not supported"


# --------------------------------------------------------------------- first-and-last-frame video


def keyframe(shift: int) -> bytes:
    """A 640×480 picture: a gradient with a disc and a bar, moved by ``shift`` pixels."""
    y, x = np.mgrid[0:480, 0:640]
    pixels = np.stack([x * 255 // 640, y * 255 // 480, np.full_like(x, 90)], -1).astype(np.uint8)
    cv2.circle(pixels, (200 + shift, 240), 70, (240, 220, 40), -1)
    cv2.rectangle(pixels, (400 - shift, 100), (460 - shift, 380), (30, 40, 200), -1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def mp4_frames(url: str) -> list[np.ndarray]:
    import av

    data = httpx.get(url, timeout=60).content
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.mark.parametrize("model", ["wan2.2-kf2v-flash", "wanx2.1-kf2v-plus"])
def test_first_and_last_frame_video(server: Server, media_server: MediaServer, model: str) -> None:
    first, last = keyframe(0), keyframe(120)
    first_url = media_server.put("kf-first.png", first)
    last_url = media_server.put("kf-last.png", last)
    resolution = "480P" if model == "wan2.2-kf2v-flash" else "720P"
    rsp = VideoSynthesis.call(
        model=model,
        prompt="the disc rolls to the right",
        first_frame_url=first_url,
        last_frame_url=last_url,
        resolution=resolution,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    frames = mp4_frames(rsp.output.video_url)
    height, width = frames[0].shape[:2]
    assert len(frames) == 150 and (width, height) == (
        (736, 544) if resolution == "480P" else (1104, 832)
    )

    def mad(frame: np.ndarray, png: bytes) -> float:
        image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        fitted = cover(image, (width, height))
        return float(np.abs(frame.astype(int) - fitted.astype(int)).mean())

    start, end = mad(frames[0], first), mad(frames[-1], last)
    middle = min(mad(frames[75], first), mad(frames[75], last))
    print(
        f"\n  {model}: first frame MAD {start:.2f}, last frame MAD {end:.2f}, middle {middle:.2f}"
    )
    assert start < 3.0 and end < 3.0  # the video starts on the first image and ends on the last
    assert middle > 2 * max(start, end)  # and moves in between
    usage = dict(rsp.usage)
    assert usage["video_duration"] == 5 and usage["video_count"] == 1
    if model == "wan2.2-kf2v-flash":
        assert usage["SR"] == 480
    else:
        assert usage["video_ratio"] == "standard"


def test_wanx_v1(server: Server, media_server: MediaServer) -> None:
    rsp = ImageSynthesis.call(
        model="wanx-v1", prompt="有一只黑色的小猫", style="<watercolor>", size="768*1152", n=1,
        api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(768, 1152)]
    assert list(rsp.output.results[0]) == ["url"]
    ref = media_server.put("v1-ref.jpg", image_bytes(640, 480, "JPEG", seed=5))
    rsp = ImageSynthesis.call(
        model="wanx-v1", prompt="a house at night", ref_img=ref, ref_mode="refonly",
        ref_strength=0.7, n=2, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(1024, 1024)] * 2
    bad = ImageSynthesis.async_call(
        model="wanx-v1", prompt="a cat", size="512*512", api_key=server.api_key
    )
    assert bad.status_code == 400 and "1024*1024, 720*1280, 768*1152, 1280*720" in bad.message


def test_style_repaint(server: Server, media_server: MediaServer) -> None:
    from dashscope.client.base_api import BaseAsyncApi

    image = media_server.put("portrait.jpg", image_bytes(800, 600, "JPEG", seed=8))

    def repaint(**inp: Any) -> Any:
        return BaseAsyncApi.async_call(
            model="wanx-style-repaint-v1", input=inp, task_group="aigc",
            task="image-generation", function="generation", api_key=server.api_key,
        )  # fmt: skip

    task = repaint(image_url=image, style_index=3)
    done = BaseAsyncApi.wait(task, api_key=server.api_key)
    assert done.output["task_status"] == "SUCCEEDED", done
    output = done.output
    assert (output["style_index"], output["error_code"], output["error_message"]) == (
        3,
        0,
        "Success",
    )
    url = output["results"][0]["url"]
    assert image_size(url) == (2048, 1536)  # the aspect kept, the short side 1536
    bad = repaint(image_url=image, style_index=-1, style_ref_url=image)
    assert bad.status_code == 400 and "style_index -1" in bad.message
    bad = repaint(image_url=image, style_index=12)
    assert bad.status_code == 400 and "input.style_index must be one of" in bad.message


def test_qwen_image_edit_family(server: Server, media_server: MediaServer) -> None:
    one = media_server.put("qe-1.jpg", image_bytes(640, 480, "JPEG", seed=1))
    two = media_server.put("qe-2.jpg", image_bytes(480, 640, "JPEG", seed=2))

    def edit(model: str, images: list[str], **params: Any) -> Any:
        content: list[dict[str, str]] = [{"image": u} for u in images]
        content.append({"text": "图1中的猫坐在图2的沙发上"})
        return MultiModalConversation.call(  # type: ignore[call-overload]
            model=model, messages=[{"role": "user", "content": content}],
            api_key=server.api_key, **params,
        )  # fmt: skip

    rsp = edit("qwen-image-edit-plus", [one, two], n=2, size="1024*1536")
    assert rsp.status_code == HTTPStatus.OK, rsp
    images = rsp.output.choices[0].message.content
    assert [image_size(c["image"]) for c in images] == [(1024, 1536)] * 2
    assert rsp.usage["width"] == 1024 and rsp.usage["image_count"] == 2
    rsp = edit("qwen-image-edit", [two])  # the last image's aspect, about 1024×1024
    assert image_size(rsp.output.choices[0].message.content[0]["image"]) == (880, 1184)
    rsp = edit("qwen-image-edit-max-2026-01-16", [one])
    assert image_size(rsp.output.choices[0].message.content[0]["image"]) == (1184, 880)
    bad = edit("qwen-image-edit", [one], n=2)
    assert bad.status_code == 400 and "parameters.n" in bad.message
    bad = edit("qwen-image-edit-plus", [one, one, one, one])
    assert bad.status_code == 400 and "1 to 3 image items" in bad.message


def test_wan25_image_edit(server: Server, media_server: MediaServer) -> None:
    clock = media_server.put("i2i-1.jpg", image_bytes(640, 480, "JPEG", seed=3))
    table = media_server.put("i2i-2.jpg", image_bytes(960, 540, "JPEG", seed=4))
    rsp = ImageSynthesis.call(
        model="wan2.5-i2i-preview", prompt="将图1中的闹钟放置到图2的餐桌上",
        images=[clock, table], n=1, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(1696, 960)]  # the last image's 16:9 at about 1280×1280 pixels
    assert rsp.output.results[0].orig_prompt == "将图1中的闹钟放置到图2的餐桌上"
    rsp = ImageSynthesis.call(
        model="wan2.5-i2i-preview", prompt="watercolour", images=[clock], size="1024*1024",
        n=2, api_key=server.api_key,
    )  # fmt: skip
    assert sizes(rsp) == [(1024, 1024)] * 2


def test_the_v2_clients_routes(server: Server, media_server: MediaServer) -> None:
    """The v2 ``Client`` sends every image model but wan2.6's to text2image as a task, and kf2v
    to video-generation: they are served there."""
    from dashscope import Client

    client = Client(api_key=server.api_key, base_url=server.api_base)
    for model, size in (("qwen-image-plus", "1664x928"), ("z-image-turbo", "1024*1024")):
        job = client.images.jobs.create(model=model, prompt="a lake at dawn", size=size)
        done = client.images.jobs.wait(job, poll_interval=0.2)
        body = done.model_dump() if hasattr(done, "model_dump") else vars(done)
        text = json.dumps(body, default=str)
        assert "SUCCEEDED" in text, text
    first = media_server.put("v2-first.png", image_bytes(640, 480, "PNG", seed=6))
    job = client.videos.jobs.create(
        model="wan2.2-kf2v-flash", prompt="cat", resolution="480P",
        extra_input={"first_frame_url": first, "last_frame_url": first},
    )  # fmt: skip
    done = client.videos.jobs.wait(job, poll_interval=0.2)
    text = json.dumps(done.model_dump() if hasattr(done, "model_dump") else vars(done), default=str)
    assert "SUCCEEDED" in text and ".mp4" in text, text
    # an edit model whose images the v2 client dropped is refused at submit, by name
    answer = httpx.post(
        server.api_base + T2I,
        json={"model": "wan2.5-i2i-preview", "input": {"prompt": "merge"}, "parameters": {"n": 1}},
        headers={"Authorization": f"Bearer {server.api_key}", "X-DashScope-Async": "enable"},
    )
    assert answer.status_code == 400 and "input.images" in answer.json()["message"]
