"""wanx2.1-vace-plus on the diffusers family (a tiny random Wan 2.1 VACE pipeline) through the
unmodified ``dashscope`` SDK against a REAL ``wanstack serve``: the three five functions, each
MP4 decoded (150 frames of 1280x720 at 30 fps, H.264), the input clip kept at the start of an
extension, the source kept inside an outpainted video and outside an edited region, the same seed
giving the same video, and the pose and depth conditions (which need annotators) refused by name
at submit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from dashscope import VideoSynthesis

from tests.acceptance.test_sdk_catalog import mp4_frames
from tests.acceptance.test_sdk_catalog_edit import clip_mp4, png, scene
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server, sdk_pointed_at
from wanstack.media import decode_video

TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32, "segment_frames": 9}
MODEL = "wanx2.1-vace-plus"


@pytest.fixture(scope="module")
def server(
    wanstack_module_launcher: Launcher, tiny_weights: Callable[[str], Path]
) -> Iterator[Server]:
    env = {
        "WANSTACK_ENGINES": json.dumps({MODEL: "diffusers"}),
        "WANSTACK_ENGINE_OPTIONS": json.dumps(
            {MODEL: {"weights": str(tiny_weights("wan21_vace")), **TINY}}
        ),
        "WANSTACK_WORKERS": "2",
    }
    started = wanstack_module_launcher.start("tiny-vace", env)
    assert started.ready(), started.log_text()[-3000:]
    with sdk_pointed_at(started):
        yield started
    started.stop()


def vace(server: Server, function: str, **args: Any) -> Any:
    extra = args.pop("extra_input", {})
    rsp = VideoSynthesis.call(
        model=MODEL, prompt="a dog rides a skateboard down the street",
        extra_input={"function": function, **extra}, prompt_extend=False,
        api_key=server.api_key, **args,
    )  # fmt: skip
    done = rsp.status_code == HTTPStatus.OK and rsp.output.task_status == "SUCCEEDED"
    assert done, (rsp, server.log_text()[-3000:])
    return rsp


def engine_of(server: Server, task_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    answer = httpx.get(f"{server.api_base}/tasks/{task_id}", headers=headers).json()
    engine: dict[str, Any] = answer["output"]["engine"]
    return engine


def test_image_reference_is_drawn_by_the_pipeline(
    server: Server, media_server: MediaServer
) -> None:
    obj = np.zeros((400, 300, 4), np.uint8)
    obj[60:360, 60:240] = (40, 60, 220, 255)
    urls = [
        media_server.put("dv-obj.png", png(obj)),
        media_server.put("dv-bg.png", png(scene("森林，晨雾", (800, 600), 5))),
    ]
    args = {"extra_input": {"ref_images_url": urls}, "obj_or_bg": ["obj", "bg"], "seed": 9}
    rsp = vace(server, "image_reference", size="832*1088", **args)
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (1088, 832)
    assert dict(rsp.usage)["video_duration"] == 5
    engine = engine_of(server, rsp.output.task_id)
    assert engine["engine"] == "diffusers" and engine["pipeline"] == "WanVACEPipeline"
    again = vace(server, "image_reference", size="832*1088", **args)
    first = httpx.get(rsp.output.video_url, timeout=60).content
    assert httpx.get(again.output.video_url, timeout=60).content == first  # same seed


def test_extension_keeps_the_first_clip(server: Server, media_server: MediaServer) -> None:
    clip = clip_mp4(15, (640, 360), seed=2)  # 1 s at 15 fps
    url = media_server.put("dv-first.mp4", clip)
    rsp = vace(server, "video_extension", extra_input={"first_clip_url": url})
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)
    source = decode_video(clip, field="clip", max_seconds=5).frames
    for j in (0, 10, 28):  # output frame j shows the clip at j / 30 s
        want = np.asarray(source[j // 2], np.int16)
        got = frames[j][::2, ::2].astype(np.int16)  # 1280x720 → the clip's 640x360
        assert np.abs(got - want).mean() < 8, j


def test_outpainting_keeps_the_source(server: Server, media_server: MediaServer) -> None:
    clip = clip_mp4(30, (640, 360), seed=4)
    url = media_server.put("dv-out.mp4", clip)
    scales = {"top_scale": 1.5, "bottom_scale": 1.5, "left_scale": 1.5, "right_scale": 1.5}
    rsp = vace(server, "video_outpainting", extra_input={"video_url": url}, **scales)
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)
    first = np.asarray(decode_video(clip, field="clip", max_seconds=5).frames[0], np.int16)
    # a canvas 1.5x the picture, covered to 1280x720: the picture is its middle 854x480
    inside = cv2.resize(frames[0][120:600, 213:1067], (640, 360), interpolation=cv2.INTER_AREA)
    assert np.abs(inside.astype(np.int16) - first)[8:-8, 8:-8].mean() < 8
    border = frames[0][:110].astype(np.int16)
    assert np.abs(border - 127).mean() > 0  # drawn by the pipeline, not left grey


def test_video_edit_redraws_the_tracked_object(server: Server, media_server: MediaServer) -> None:
    clip = clip_mp4(30, (640, 360), seed=6)  # a red disc crossing a scene, 2 s at 15 fps
    source = decode_video(clip, field="clip", max_seconds=5).frames
    mask = np.zeros((360, 640), np.uint8)
    mask[160:200, 20:60] = 255  # the disc (radius 20) on frame 1, at x = 40
    url = media_server.put("dv-edit.mp4", clip)
    mask_url = media_server.put("dv-mask.png", png(mask))
    rsp = vace(
        server, "video_edit", mask_type="tracking", expand_ratio=0.1,
        extra_input={"video_url": url, "mask_image_url": mask_url, "mask_frame_id": 1},
    )  # fmt: skip
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)
    first = cv2.resize(frames[0], (640, 360), interpolation=cv2.INTER_AREA).astype(np.int16)
    away = np.ones((360, 640), bool)
    away[120:240, :] = False  # the disc's path, and the feather around it
    assert np.abs(first[away] - np.asarray(source[0], np.int16)[away]).mean() < 6


def test_video_repainting_from_lines(server: Server, media_server: MediaServer) -> None:
    url = media_server.put("dv-repaint.mp4", clip_mp4(30, (640, 360), seed=7))
    rsp = vace(
        server, "video_repainting", control_condition="scribble", strength=0.7,
        extra_input={"video_url": url},
    )  # fmt: skip
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)


@pytest.mark.parametrize(
    ("function", "parameters", "words"),
    [
        ("video_repainting", {"control_condition": "depth"}, "parameters.control_condition"),
        ("video_repainting", {"control_condition": "posebody"}, "annotator"),
        ("video_edit", {"control_condition": "posebodyface"}, "parameters.control_condition"),
    ],
)
def test_conditions_needing_annotators_are_refused_by_name(
    server: Server, function: str, parameters: dict[str, Any], words: str
) -> None:
    extra = {"function": function, "video_url": "https://example.com/v.mp4"}
    if function == "video_edit":
        extra["mask_image_url"] = "https://example.com/m.png"
    rsp = VideoSynthesis.async_call(
        model=MODEL, prompt="a car", api_key=server.api_key, extra_input=extra, **parameters
    )
    assert rsp.status_code == HTTPStatus.BAD_REQUEST
    assert rsp.code == "InvalidParameter" and words in rsp.message, rsp.message
