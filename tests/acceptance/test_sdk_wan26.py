"""Wan 2.6 through the unmodified dashscope SDK (contract C13–C17, C19–C22) against a REAL
``wanstack serve`` process with the fake engines (fast; the MP4s are real H.264 files, decoded
here with PyAV). Slow tests run the classic engines end to end.

Inputs (images, a WAV soundtrack) come from a real HTTP server on 127.0.0.1 (``media_server``);
the deployment allows loopback URLs (``WANSTACK_ALLOW_PRIVATE_URLS=1``, set by the launcher).
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import dashscope
import httpx
import pytest
from dashscope import MultiModalConversation, VideoSynthesis
from dashscope.aigc.image_generation import ImageGeneration
from PIL import Image

from tests.api.wan26_support import (
    FAKE_ENGINES,
    Mp4Facts,
    image_bytes,
    image_source,
    mp4_facts,
    wav_bytes,
)
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server

PROMPT = "a cat runs through a sunny garden"


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    env = {"WANSTACK_ENGINES": json.dumps(FAKE_ENGINES), "WANSTACK_WORKERS": "2"}
    return wanstack_module_launcher.start("wan26-fake", env)


@pytest.fixture
def sdk(server: Server) -> Iterator[None]:
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = server.api_base
    yield
    dashscope.base_http_api_url = saved


def video(url: str) -> Mp4Facts:
    resp = httpx.get(url, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "video/mp4"
    return mp4_facts(resp.content)


def image_size(url: str) -> tuple[int, int]:
    resp = httpx.get(url, timeout=30)
    assert resp.status_code == 200
    return Image.open(io.BytesIO(resp.content)).size


def test_t2v_with_audio_url(server: Server, sdk: None, media_server: MediaServer) -> None:
    """C13: the SDK adds input.extend_prompt / input.function; the soundtrack is muxed."""
    audio = media_server.put("wan26-tone.wav", wav_bytes(3.5))
    rsp = VideoSynthesis.call(
        model="wan2.6-t2v",
        prompt=PROMPT,
        size="1280*720",
        duration=3,
        prompt_extend=True,
        audio_url=audio,
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert rsp.output.orig_prompt == PROMPT
    usage = dict(rsp.usage)
    assert {k: usage[k] for k in ("duration", "size", "input_video_duration")} == {
        "duration": 3,
        "size": "1280*720",
        "input_video_duration": 0,
    }
    assert (usage["output_video_duration"], usage["video_count"], usage["SR"]) == (3, 1, 720)
    facts = video(rsp.output.video_url)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height, facts.frames, facts.fps) == (1280, 720, 90, 30.0)
    assert facts.audio_seconds is not None and abs(facts.audio_seconds - 3.0) < 0.05


def test_t2v_480p_is_refused(server: Server, sdk: None) -> None:
    """C14: 480P sizes are not wan2.6-t2v sizes."""
    rsp = VideoSynthesis.async_call(
        model="wan2.6-t2v", prompt=PROMPT, size="832*480", api_key=server.api_key
    )
    assert rsp.status_code == 400
    assert rsp.code == "InvalidParameter"
    assert "480P" in rsp.message and "parameters.size" in rsp.message


@pytest.mark.parametrize("source", ["url", "data-uri", "local-file"])
def test_i2v_image_sources(
    server: Server, sdk: None, media_server: MediaServer, source: str
) -> None:
    """C15–C17: http URL, data: URI (sent unchanged) and a local file (uploaded by the SDK
    through getPolicy + our upload host, then sent as oss://)."""
    data = image_bytes(640, 480, "JPEG", seed=3)
    img_url = image_source(media_server, source, data, "wan26-i2v")
    rsp = VideoSynthesis.call(
        model="wan2.6-i2v",
        prompt="the camera slowly pushes in",
        img_url=img_url,
        resolution="720P",
        duration=2,
        shot_type="multi",
        prompt_extend=True,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert "size" not in dict(rsp.usage)
    assert dict(rsp.usage)["SR"] == 720
    facts = video(rsp.output.video_url)
    assert (facts.width, facts.height, facts.frames) == (1104, 832, 60)
    assert facts.audio_seconds is None


def test_i2v_async_call_then_wait(server: Server, sdk: None, media_server: MediaServer) -> None:
    img_url = media_server.put("wan26-i2v-wide.png", image_bytes(1600, 900))
    rsp = VideoSynthesis.async_call(
        model="wan2.6-i2v", img_url=img_url, duration=2, api_key=server.api_key
    )
    assert rsp.status_code == HTTPStatus.OK
    assert rsp.output.task_status == "PENDING" and rsp.output.video_url == ""
    done = VideoSynthesis.wait(rsp, api_key=server.api_key)
    assert done.output.task_status == "SUCCEEDED", done
    assert dict(done.usage)["SR"] == 1080  # 1080P is the default resolution
    facts = video(done.output.video_url)
    assert (facts.width, facts.height) == (1920, 1088)  # 16:9 at 1080P, multiples of 16


def test_multimodal_conversation_call(server: Server, sdk: None, media_server: MediaServer) -> None:
    """C19: the sync endpoint, no async header; the image comes back as a URL."""
    img_url = media_server.put("wan26-edit.png", image_bytes(512, 512))
    rsp: Any = MultiModalConversation.call(
        model="wan2.6-image",
        messages=[{"role": "user", "content": [{"text": "make it autumn"}, {"image": img_url}]}],
        size="1280*1280",
        n=1,
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    choice = rsp.output.choices[0]
    assert choice.finish_reason == "stop"
    assert rsp.output.finished is True
    content = choice.message.content
    assert len(content) == 1 and content[0]["type"] == "image"
    assert image_size(content[0]["image"]) == (1280, 1280)
    assert rsp.usage.image_count == 1
    assert rsp.usage.size == "1280*1280"


def test_multimodal_conversation_stream_interleave(server: Server, sdk: None) -> None:
    """C20: SSE frames; every chunk 200, the last one finished, text and image items."""
    chunks: list[Any] = list(
        MultiModalConversation.call(  # type: ignore[arg-type]
            model="wan2.6-image",
            messages=[{"role": "user", "content": [{"text": "how to bake bread"}]}],
            stream=True,
            enable_interleave=True,
            max_images=3,
            size="960*960",
            api_key=server.api_key,
        )
    )
    assert [c.status_code for c in chunks] == [200, 200, 200]
    assert [c.output.finished for c in chunks] == [False, False, True]
    assert chunks[-1].output.choices[0].finish_reason == "stop"
    for chunk in chunks:
        content = chunk.output.choices[0].message.content
        assert [item["type"] for item in content] == ["text", "image"]
        assert "how to bake bread" in content[0]["text"]
        assert image_size(content[1]["image"]) == (960, 960)


def test_multimodal_conversation_stream_error(server: Server, sdk: None) -> None:
    """C21: event:error in the stream becomes a 400 chunk with the code."""
    chunks: list[Any] = list(
        MultiModalConversation.call(  # type: ignore[arg-type]
            model="wan2.6-image",
            messages=[{"role": "user", "content": [{"text": "x"}]}],
            stream=True,
            enable_interleave=True,
            n=2,
            api_key=server.api_key,
        )
    )
    assert len(chunks) == 1
    assert chunks[0].status_code == 400
    assert chunks[0].code == "InvalidParameter"
    assert "parameters.n must be 1" in chunks[0].message


def test_image_generation_async_call_and_wait(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    """C22: async_call sends parameters.is_async (ignored); wait returns choices and results."""
    img_url = media_server.put("wan26-edit2.png", image_bytes(600, 400))
    messages: Any = [{"role": "user", "content": [{"text": "a poster"}, {"image": img_url}]}]
    rsp: Any = ImageGeneration.async_call(
        model="wan2.6-image",
        messages=messages,
        n=2,
        size="1024*1024",
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output["task_status"] == "PENDING"
    done = ImageGeneration.wait(rsp, api_key=server.api_key)
    assert done.output["task_status"] == "SUCCEEDED", done
    content = done.output.choices[0].message.content
    urls = [item["image"] for item in content]
    assert urls == [r["url"] for r in done.output["results"]]
    assert [image_size(u) for u in urls] == [(1024, 1024)] * 2


def test_sync_endpoint_refuses_the_async_header(server: Server) -> None:
    resp = httpx.post(
        f"{server.api_base}/services/aigc/multimodal-generation/generation",
        json={
            "model": "wan2.6-image",
            "input": {"messages": [{"role": "user", "content": [{"text": "x"}]}]},
        },
        headers={"Authorization": f"Bearer {server.api_key}", "X-DashScope-Async": "enable"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "AccessDenied"
    assert resp.json()["message"] == "Current user api does not support asynchronous calls."


def _classic(request: pytest.FixtureRequest, module: str, class_name: str) -> Server:
    """The classic-engine server with the SDK pointed at it (the engine class must exist)."""
    assert hasattr(importlib.import_module(module), class_name)
    request.getfixturevalue("classic_sdk")
    server: Server = request.getfixturevalue("classic")
    return server


@pytest.fixture(scope="module")
def classic(wanstack_module_launcher: Launcher) -> Server:
    """A server with the default (classic) engines."""
    return wanstack_module_launcher.start("wan26-classic")


@pytest.fixture
def classic_sdk(classic: Server) -> Iterator[None]:
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = classic.api_base
    yield
    dashscope.base_http_api_url = saved


@pytest.mark.slow
def test_classic_t2v_end_to_end(request: pytest.FixtureRequest, media_server: MediaServer) -> None:
    """The real classic engine: the smallest wan2.6-t2v request, with audio."""
    server = _classic(request, "wanstack.engines.classic.text2video", "SceneVideo")
    audio = media_server.put("wan26-classic.wav", wav_bytes(3.0))
    rsp: Any = VideoSynthesis.call(
        model="wan2.6-t2v",
        prompt="sunset over the sea",
        size="1280*720",
        duration=2,
        audio_url=audio,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert rsp.output.engine["engine"] != "fake"
    facts = video(rsp.output.video_url)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height, facts.frames) == (1280, 720, 60)
    assert facts.audio_seconds is not None and abs(facts.audio_seconds - 2.0) < 0.1


@pytest.mark.slow
def test_classic_i2v_end_to_end(request: pytest.FixtureRequest, media_server: MediaServer) -> None:
    server = _classic(request, "wanstack.engines.classic.image2video", "CameraVideo")
    img_url = media_server.put("wan26-classic.jpg", image_bytes(640, 480, "JPEG", seed=9))
    rsp: Any = VideoSynthesis.call(
        model="wan2.6-i2v",
        img_url=img_url,
        prompt="slow zoom",
        resolution="720P",
        duration=2,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    facts = video(rsp.output.video_url)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height, facts.frames) == (1104, 832, 60)


@pytest.mark.slow
def test_classic_wan_image_end_to_end(request: pytest.FixtureRequest) -> None:
    server = _classic(request, "wanstack.engines.classic.image", "WanImage")
    rsp: Any = MultiModalConversation.call(
        model="wan2.6-image",
        messages=[{"role": "user", "content": [{"text": "a lighthouse at dusk"}]}],
        size="1024*1024",
        n=1,
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    content = rsp.output.choices[0].message.content
    assert image_size(content[-1]["image"]) == (1024, 1024)
