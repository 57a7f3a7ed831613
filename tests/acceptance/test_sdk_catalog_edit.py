"""wanx2.1-imageedit (all ten functions) and wanx2.1-vace-plus through the unmodified ``dashscope``
SDK against a real ``wanstack serve`` on the classic engines: each result decoded and its size,
count and duration checked (addendum cases C59–C63 and C76–C78)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dashscope
import httpx
import numpy as np
import pytest
from dashscope import ImageSynthesis, VideoSynthesis
from PIL import Image, ImageDraw

from tests.acceptance.test_sdk_catalog import mp4_frames, sizes
from tests.support.media import MediaServer
from tests.support.processes import Launcher, Server
from wanstack.engines.classic.scene import parse_prompt, render_scene
from wanstack.engines.mp4 import encode_mp4


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Iterator[Server]:
    started = wanstack_module_launcher.start("catalog-edit", {"WANSTACK_WORKERS": "2"})
    assert started.ready(), started.log_text()[-3000:]
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = started.api_base
    yield started
    dashscope.base_http_api_url = saved


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def scene(prompt: str, size: tuple[int, int], seed: int = 3) -> np.ndarray:
    return np.asarray(render_scene(parse_prompt(prompt), size, seed).image)


def pictures(rsp: Any) -> list[np.ndarray]:
    out = []
    for result in rsp.output.results:
        data = httpx.get(result.url, timeout=30).content
        out.append(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return out


# ------------------------------------------------------------------------------ imageedit


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return scene("海边日落，沙滩", (640, 512))


def test_imageedit_inpainting_functions(
    server: Server, media_server: MediaServer, photo: np.ndarray
) -> None:
    """C59, C60, C61, C63: the masked edit, expand, the whole-picture style; refusals."""
    base = media_server.put("ie-base.png", png(photo))
    mask = np.zeros((512, 640), np.uint8)
    mask[200:300, 250:400] = 255
    mask_url = media_server.put("ie-mask.png", png(mask))

    def edit(function: str, **args: Any) -> Any:
        return ImageSynthesis.call(
            model="wanx2.1-imageedit", function=function, base_image_url=base,
            api_key=server.api_key, **args,
        )  # fmt: skip

    rsp = edit("description_edit_with_mask", prompt="陶瓷兔子", mask_image_url=mask_url, n=2)
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(640, 512)] * 2 and dict(rsp.usage) == {"image_count": 2}
    rsp = edit("expand", prompt="a green fairy", top_scale=1.5, bottom_scale=1.5, left_scale=1.5,
               right_scale=1.5)  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(960, 768)]  # C60: larger by the scales
    rsp = edit("stylization_all", prompt="转换成法国绘本风格", strength=0.5)
    assert sizes(rsp) == [(640, 512)]
    for function, args, words in (
        ("description_edit_with_mask", {}, "input.mask_image_url is required"),  # C61
        ("foo", {}, "input.function must be one of"),  # C63
        ("super_resolution", {"upscale_factor": 5}, "parameters.upscale_factor"),
    ):
        bad = ImageSynthesis.async_call(
            model="wanx2.1-imageedit", function=function, prompt="x", base_image_url=base,
            api_key=server.api_key, **args,
        )  # fmt: skip
        assert bad.status_code == 400 and bad.code == "InvalidParameter", bad
        assert words in bad.message, bad.message


def test_imageedit_remove_watermark(
    server: Server, media_server: MediaServer, photo: np.ndarray
) -> None:
    marked = Image.fromarray(photo)
    draw = ImageDraw.Draw(marked)
    draw.text((430, 460), "© example.com", fill=(255, 255, 255), font_size=28)
    url = media_server.put("ie-marked.png", png(np.asarray(marked)))
    rsp = ImageSynthesis.call(
        model="wanx2.1-imageedit", function="remove_watermark", prompt="去除图像中的文字",
        base_image_url=url, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    (out,) = pictures(rsp)
    box = (slice(450, 500), slice(420, 640))

    def error(image: np.ndarray) -> float:
        return float(np.abs(image[box].astype(int) - photo[box].astype(int)).mean())

    marked_error, cleaned_error = error(np.asarray(marked)), error(out)
    print(f"\n  remove_watermark: MAD in the text box {marked_error:.1f} -> {cleaned_error:.1f}")
    assert cleaned_error < 0.5 * marked_error


def test_imageedit_super_resolution_from_a_local_file(
    server: Server, photo: np.ndarray, tmp_path: Path
) -> None:
    """C62: a file:// base is uploaded by the SDK; the output is the input times the factor."""
    local = tmp_path / "small.png"
    local.write_bytes(png(photo[:, :600]))
    rsp = ImageSynthesis.call(
        model="wanx2.1-imageedit", function="super_resolution", prompt="图像超分",
        base_image_url=f"file://{local}", upscale_factor=2, n=2, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(1200, 1024)] * 2
    out = pictures(rsp)[0]
    back = np.asarray(Image.fromarray(out).resize((600, 512), Image.Resampling.BOX))
    assert np.abs(back.astype(int) - photo[:, :600].astype(int)).mean() < 4.0


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("colorization", {"prompt": "蓝天，绿草"}),
        ("description_edit", {"prompt": "改成暖色调的复古风格", "strength": 0.8}),
        ("stylization_local", {"prompt": "把房子变成青花瓷风格"}),
        ("doodle", {"prompt": "海边的小房子", "is_sketch": False}),
        ("control_cartoon_feature", {"prompt": "卡通形象在森林里"}),
    ],
)
def test_imageedit_retouch_functions(
    server: Server, media_server: MediaServer, photo: np.ndarray, function: str, args: Any
) -> None:
    source = photo
    if function == "colorization":
        source = np.repeat(np.asarray(Image.fromarray(photo).convert("L"))[..., None], 3, -1)
    url = media_server.put(f"ie-{function}.png", png(source))
    rsp = ImageSynthesis.call(
        model="wanx2.1-imageedit", function=function, base_image_url=url, n=2,
        api_key=server.api_key, **args,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    out = pictures(rsp)
    assert [o.shape[:2] for o in out] == [(512, 640)] * 2
    assert dict(rsp.usage) == {"image_count": 2}
    changed = float(np.abs(out[0].astype(int) - source.astype(int)).mean())
    assert changed > 2.0, f"{function} changed nothing ({changed:.2f})"
    if function == "colorization":
        hsv = np.asarray(Image.fromarray(out[0]).convert("HSV"))
        assert hsv[..., 1].mean() > 25  # colour where there was none


# ---------------------------------------------------------------------------------- vace


def clip_mp4(frames: int, size: tuple[int, int], seed: int = 0) -> bytes:
    """A small moving test clip: a disc crossing a rendered scene."""
    width, height = size
    background = scene("草地，蓝天", size, seed)

    def frame(i: int) -> np.ndarray:
        picture = background.copy()
        x = 40 + i * (width - 80) // max(1, frames - 1)
        yy, xx = np.mgrid[0:height, 0:width]
        picture[(xx - x) ** 2 + (yy - height // 2) ** 2 < 400] = (230, 40, 40)
        return picture

    return encode_mp4(
        (frame(i) for i in range(frames)), size=size, fps=15, frame_count=frames, audio=None
    )


def test_vace_image_reference(server: Server, media_server: MediaServer) -> None:
    """C76: objects staged on a background, 5 s at 1280*720, vace usage."""
    obj = np.full((400, 300, 4), 0, np.uint8)
    obj[60:360, 60:240] = (40, 60, 220, 255)
    background = scene("森林，晨雾", (800, 600), 5)
    urls = [
        media_server.put("vace-obj.png", png(obj)),
        media_server.put("vace-bg.png", png(background)),
    ]
    rsp = VideoSynthesis.call(
        model="wanx2.1-vace-plus", prompt="a girl walks out of the forest",
        extra_input={"function": "image_reference", "ref_images_url": urls},
        obj_or_bg=["obj", "bg"], size="1280*720", prompt_extend=True, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)
    middle = frames[75].reshape(-1, 3).astype(int)
    blue = (np.abs(middle - (40, 60, 220)).sum(axis=1) < 60).mean()
    assert blue > 0.01  # the object is in the picture
    usage = dict(rsp.usage)
    assert {k: usage[k] for k in ("video_duration", "video_ratio", "video_count")} == {
        "video_duration": 5,
        "video_ratio": "standard",
        "video_count": 1,
    }
    assert rsp.output.orig_prompt == "a girl walks out of the forest"


def test_vace_extension_and_outpainting(server: Server, media_server: MediaServer) -> None:
    clip = media_server.put("vace-clip.mp4", clip_mp4(30, (640, 360)))
    rsp = VideoSynthesis.call(
        model="wanx2.1-vace-plus", prompt="the ball keeps rolling",
        extra_input={"function": "video_extension", "first_clip_url": clip},
        prompt_extend=False, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)
    rsp = VideoSynthesis.call(
        model="wanx2.1-vace-plus", prompt="a violinist on a stage",
        extra_input={"function": "video_outpainting", "video_url": clip},
        top_scale=1.5, bottom_scale=1.5, left_scale=1.5, right_scale=1.5,
        prompt_extend=False, api_key=server.api_key,
    )  # fmt: skip
    assert rsp.output.task_status == "SUCCEEDED", rsp
    frames = mp4_frames(rsp.output.video_url)
    assert len(frames) == 150 and frames[0].shape[:2] == (720, 1280)


def test_vace_refusals(server: Server, media_server: MediaServer) -> None:
    """C77, C78, and the functions no classical engine can do, each a 400 naming the field."""
    url = media_server.put("vace-one.png", png(scene("花园", (640, 480))))

    def submit(**args: Any) -> Any:
        return VideoSynthesis.async_call(
            model="wanx2.1-vace-plus", prompt="x", api_key=server.api_key, **args
        )

    cases = [
        (
            {"extra_input": {"function": "image_reference", "ref_images_url": [url, url]},
             "obj_or_bg": ["obj"]},
            "parameters.obj_or_bg",
        ),
        ({}, "input.function must be one of"),  # the SDK's "video-synthesis"
        (
            {"extra_input": {"function": "video_edit", "video_url": url}},
            "input.function 'video_edit' is not served",
        ),
        ({"extra_input": {"function": "video_extension"}}, "at least one of"),
    ]  # fmt: skip
    for args, words in cases:
        rsp = submit(**args)
        assert rsp.status_code == 400 and rsp.code == "InvalidParameter", rsp
        assert words in rsp.message, rsp.message
