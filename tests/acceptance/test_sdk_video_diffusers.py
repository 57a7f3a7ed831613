"""wan2.6-t2v and wan2.6-i2v on the diffusers family through the unmodified ``dashscope`` SDK,
against a REAL ``wanstack serve`` on tiny random Wan pipelines, in each layout: Wan 2.1 (T2V
continued by its I2V weights), Wan 2.2 TI2V-5B (one folder for both models) and Wan 2.2 A14B.

Each MP4 is decoded: exact size, ``duration × 30`` frames at 30 fps, H.264/yuv420p, the
soundtrack when asked; 7 s come from continued clips (9-frame clips here); the same seed gives
the same video; i2v takes an http URL, a data: URI and a local file; multi-shot runs; cancelling
a long generation ends it within 2 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import dashscope
import httpx
import pytest
from dashscope import VideoSynthesis

from tests.api.wan26_support import Mp4Facts, image_bytes, image_source, mp4_facts, wav_bytes
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server, sdk_pointed_at

TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32, "segment_frames": 9}
OTHERS_FAKE = {
    "wanx-x-painting": "fake",
    "wanx-background-generation-v2": "fake",
    "wan2.6-image": "fake",
}
#: layout → (t2v weights, its continue_weights or None, i2v weights)
LAYOUTS = {
    "wan21": ("wan21_t2v", "wan21_i2v", "wan21_i2v"),
    "wan22_ti2v": ("wan22_ti2v", None, "wan22_ti2v"),
    "wan22_a14b": ("wan22_a14b_t2v", "wan22_a14b_i2v", "wan22_a14b_i2v"),
}


def video_env(weights: Callable[[str], Path], layout: str, **extra: Any) -> dict[str, str]:
    t2v, more, i2v = LAYOUTS[layout]
    t2v_options: dict[str, Any] = {"weights": str(weights(t2v))}
    if more:
        t2v_options["continue_weights"] = str(weights(more))
    return {
        "WANSTACK_ENGINES": json.dumps(
            {**OTHERS_FAKE, "wan2.6-t2v": "diffusers", "wan2.6-i2v": "diffusers"}
        ),
        "WANSTACK_ENGINE_OPTIONS": json.dumps(
            {
                "diffusers": {**TINY, **extra},
                "wan2.6-t2v": t2v_options,
                "wan2.6-i2v": {"weights": str(weights(i2v))},
            }
        ),
        "WANSTACK_WORKERS": "2",
    }


@pytest.fixture(scope="module", params=list(LAYOUTS))
def server(
    request: pytest.FixtureRequest,
    wanstack_module_launcher: Launcher,
    tiny_weights: Callable[[str], Path],
) -> Iterator[Server]:
    started = wanstack_module_launcher.start(
        f"tiny-video-{request.param}", video_env(tiny_weights, request.param)
    )
    assert started.ready(), started.log_text()[-3000:]
    with sdk_pointed_at(started):
        yield started
    started.stop()


def fetch(url: str) -> tuple[bytes, Mp4Facts]:
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    facts = mp4_facts(response.content)
    assert (facts.codec, facts.pix_fmt, facts.fps) == ("h264", "yuv420p", 30.0)
    return response.content, facts


def engine_of(server: Server, task_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    answer = httpx.get(f"{server.api_base}/tasks/{task_id}", headers=headers).json()
    engine: dict[str, Any] = answer["output"]["engine"]
    return engine


def t2v(server: Server, **args: Any) -> Any:
    rsp = VideoSynthesis.call(
        **{"model": "wan2.6-t2v", "prompt": "a cat runs through a sunny garden"}
        | {"size": "1280*720", "api_key": server.api_key}
        | args
    )
    done = rsp.status_code == HTTPStatus.OK and rsp.output.task_status == "SUCCEEDED"
    assert done, (rsp, server.log_text()[-3000:])
    return rsp


def test_t2v_sizes_frames_audio_and_seed(server: Server, media_server: MediaServer) -> None:
    audio = media_server.put("dv-tone.wav", wav_bytes(3.5))
    first = t2v(server, duration=2, audio_url=audio, seed=11)
    data, facts = fetch(first.output.video_url)
    assert (facts.width, facts.height, facts.frames) == (1280, 720, 60)
    assert facts.audio_seconds is not None and abs(facts.audio_seconds - 2.0) < 0.05
    again = t2v(server, duration=2, audio_url=audio, seed=11)
    assert fetch(again.output.video_url)[0] == data  # the same seed, the same video
    engine = engine_of(server, first.output.task_id)
    assert engine["engine"] == "diffusers" and engine["pipeline"] == "WanPipeline"


def test_t2v_seven_seconds_by_continuation(server: Server) -> None:
    rsp = t2v(server, duration=7, size="832*1088")
    _, facts = fetch(rsp.output.video_url)
    assert (facts.width, facts.height, facts.frames) == (832, 1088, 210)
    assert facts.audio_seconds is None
    assert engine_of(server, rsp.output.task_id)["continuation"] == "WanImageToVideoPipeline"


@pytest.mark.parametrize("source", ["url", "data-uri", "local-file"])
def test_i2v_from_every_image_source(
    server: Server, media_server: MediaServer, source: str
) -> None:
    data = image_bytes(640, 480, "JPEG", seed=3)
    img_url = image_source(media_server, source, data, "dv-i2v")
    args = {"model": "wan2.6-i2v", "prompt": "the camera slowly pushes in", "img_url": img_url}
    args |= {"resolution": "720P", "duration": 2, "seed": 3, "api_key": server.api_key}
    rsp = VideoSynthesis.call(**args)
    assert rsp.output.task_status == "SUCCEEDED", rsp
    data, facts = fetch(rsp.output.video_url)
    assert (facts.width, facts.height, facts.frames) == (1104, 832, 60)
    assert engine_of(server, rsp.output.task_id)["pipeline"] == "WanImageToVideoPipeline"
    if source == "url":  # the same seed, the same video
        again = VideoSynthesis.call(**args)
        assert fetch(again.output.video_url)[0] == data


def test_multi_shot(server: Server, media_server: MediaServer) -> None:
    rsp = t2v(
        server,
        prompt="一只猫在屋顶上醒来。然后它跳到墙上。最后它望向城市",
        shot_type="multi",
        duration=3,
    )
    _, facts = fetch(rsp.output.video_url)
    assert facts.frames == 90
    img_url = media_server.put("dv-multi.png", image_bytes(900, 1600))
    rsp = VideoSynthesis.call(
        model="wan2.6-i2v",
        prompt="a street at night; then the rain starts",
        img_url=img_url,
        resolution="720P",
        duration=2,
        shot_type="multi",
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    _, facts = fetch(rsp.output.video_url)
    assert (facts.width, facts.height, facts.frames) == (720, 1280, 60)


def test_cancel_a_running_video(
    wanstack_module_launcher: Launcher, tiny_weights: Callable[[str], Path]
) -> None:
    server = wanstack_module_launcher.start(
        "tiny-video-slow", video_env(tiny_weights, "wan22_ti2v", steps=400)
    )
    assert server.ready(), server.log_text()[-3000:]
    headers = {"Authorization": f"Bearer {server.api_key}"}
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = server.api_base
    try:
        rsp = VideoSynthesis.async_call(
            model="wan2.6-t2v", prompt="waves", size="1280*720", duration=5, api_key=server.api_key
        )
    finally:
        dashscope.base_http_api_url = saved
    assert rsp.status_code == HTTPStatus.OK, rsp
    task = f"{server.api_base}/tasks/{rsp.output.task_id}"
    deadline = time.monotonic() + 60
    progress = None
    while time.monotonic() < deadline and not progress:
        progress = httpx.get(task, headers=headers).json()["output"].get("progress")
        time.sleep(0.1)
    assert progress, "the generation never reported progress"
    cancelled = time.monotonic()
    assert httpx.post(f"{task}/cancel", headers=headers).status_code == 200
    status = ""
    while time.monotonic() - cancelled < 10 and status != "CANCELED":
        status = httpx.get(task, headers=headers).json()["output"]["task_status"]
        time.sleep(0.05)
    took = time.monotonic() - cancelled
    print(f"\n  progress {progress} when cancelled; CANCELED {took:.2f} s later")
    assert status == "CANCELED" and took < 2.0
