"""The diffusers engines on real weights and a CUDA device: the same contract the tiny-pipeline
tests prove on CPU (exact sizes, untouched pixels, seeds, cancel, memory), at full size, and
contact sheets of the results for a person to look at. Times are printed, never asserted."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.gpu.conftest import cases, options, present
from wanstack.engines.base import CancelToken, ImageItem
from wanstack.engines.framing import cover_mask
from wanstack.engines.samples import request_for
from wanstack.errors import TaskCanceled

OUTER_PX = 16


def _engine(model: str, weights: Any) -> Any:
    from wanstack.engines.diffusers.background import DiffusersBackground
    from wanstack.engines.diffusers.image import DiffusersImage
    from wanstack.engines.diffusers.inpaint import DiffusersInpaint

    cls = {
        "wanx-x-painting": DiffusersInpaint,
        "wanx-background-generation-v2": DiffusersBackground,
        "wan2.6-image": DiffusersImage,
    }[model]
    engine = cls(**options(weights))
    started = time.perf_counter()
    engine.load()
    print(f"\n  {weights.repo}: loaded in {time.perf_counter() - started:.1f} s")
    return engine


def _images(items: Any) -> list[np.ndarray]:
    return [item.image for item in items if isinstance(item, ImageItem)]


def _sheet(path: Path, images: list[np.ndarray]) -> None:
    height = 384
    tiles = [
        Image.fromarray(i).resize((round(i.shape[1] * height / i.shape[0]), height)) for i in images
    ]
    sheet = Image.new("RGB", (sum(t.width for t in tiles), height), "white")
    x = 0
    for tile in tiles:
        sheet.paste(tile, (x, 0))
        x += tile.width
    sheet.save(path)


def _timed(engine: Any, request: Any) -> tuple[list[np.ndarray], float]:
    started = time.perf_counter()
    images = _images(engine.run(request, CancelToken()))
    return images, time.perf_counter() - started


@pytest.mark.parametrize("weights", cases("wanx-x-painting"))
def test_x_painting(weights: Any, out_dir: Path) -> None:
    import cv2

    engine = _engine("wanx-x-painting", weights)
    request = replace(request_for("wanx-x-painting"), n=2, seed=7)
    images, took = _timed(engine, request)
    print(f"  2 × 1024² in {took:.1f} s")
    again, _ = _timed(engine, replace(request, n=1))
    base, mask = cover_mask(request.image, request.mask, request.size)
    far = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) > OUTER_PX
    for image in images:
        assert image.shape == (1024, 1024, 3)
        assert np.array_equal(image[far], base[far])
        assert image[mask].std() > 5  # something was painted, not a flat fill
    assert not np.array_equal(images[0], images[1])
    assert np.array_equal(again[0], images[0])
    styled, _ = _timed(engine, replace(request, n=1, style="<watercolor>"))
    _sheet(out_dir / f"x-painting-{weights.repo.split('/')[-1]}.png", [base, *images, *styled])


@pytest.mark.parametrize("weights", cases("wanx-background-generation-v2"))
def test_background(weights: Any, out_dir: Path) -> None:
    engine = _engine("wanx-background-generation-v2", weights)
    request = replace(request_for("wanx-background-generation-v2"), n=2, title="夏日特惠")
    images, took = _timed(engine, request)
    print(f"  2 backgrounds in {took:.1f} s")
    opaque = request.subject[..., 3] == 255
    for image in images:
        assert np.array_equal(image[opaque], request.subject[..., :3][opaque])
        assert image[~opaque].std() > 5
    _sheet(out_dir / f"background-{weights.repo.split('/')[-1]}.png", images)


@pytest.mark.parametrize("weights", cases("wan2.6-image"))
def test_wan_image(weights: Any, out_dir: Path) -> None:
    engine = _engine("wan2.6-image", weights)
    request = replace(request_for("wan2.6-image"), size=(1280, 720), n=1)
    images, took = _timed(engine, request)
    print(f"  1280×720 in {took:.1f} s")
    assert images[0].shape == (720, 1280, 3) and images[0].std() > 10
    if not engine.can_edit:
        _sheet(out_dir / f"image-{weights.repo.split('/')[-1]}.png", images)
        return
    picture = np.dstack([images[0], np.full(images[0].shape[:2], 255, np.uint8)])
    edited, took = _timed(
        engine, replace(request, prompt="make it a snowy winter night", images=(picture,))
    )
    print(f"  edit in {took:.1f} s")
    assert edited[0].shape == (720, 1280, 3)
    _sheet(out_dir / f"image-{weights.repo.split('/')[-1]}.png", [*images, *edited])


def _video_engine(model: str, weights: Any) -> Any:
    from wanstack.engines.diffusers.video import DiffusersImageToVideo, DiffusersTextToVideo

    cls = DiffusersTextToVideo if model == "wan2.6-t2v" else DiffusersImageToVideo
    engine = cls(**options(weights))
    started = time.perf_counter()
    engine.load()
    print(f"\n  {weights.repo}: loaded in {time.perf_counter() - started:.1f} s")
    return engine


def _video_sheet(path: Path, mp4: bytes, count: int = 6) -> None:
    """Evenly spaced frames of an MP4 side by side."""
    import io

    import av

    with av.open(io.BytesIO(mp4)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    _sheet(path, [frames[i * (len(frames) - 1) // (count - 1)] for i in range(count)])


@pytest.mark.parametrize("model", ["wan2.6-t2v", "wan2.6-i2v"])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_video(model: str, index: int, out_dir: Path) -> None:

    found = present(model)
    if index >= len(found):
        pytest.skip(f"no weights number {index + 1} for {model}")
    weights = found[index]
    engine = _video_engine(model, weights)
    sheet = out_dir / f"{model}-{weights.repo.split('/')[-1]}.png"
    _five_seconds_720p(engine, request_for(model), sheet)


def _five_seconds_720p(engine: Any, request: Any, sheet: Path) -> None:
    """Run ``request`` at 1280x720 for 5 s, check the MP4 and draw its contact sheet."""
    from wanstack.engines.mp4 import probe_mp4

    request = replace(request, size=(1280, 720), duration=5)
    started = time.perf_counter()
    item = engine.run(request, CancelToken())[0]
    print(f"  5 s 720P in {time.perf_counter() - started:.1f} s ({engine.describe()})")
    info = probe_mp4(item.mp4)
    assert (info.width, info.height, info.frames, info.fps) == (1280, 720, 150, 30.0)
    _video_sheet(sheet, item.mp4)


@pytest.mark.parametrize("index", [0, 1])
def test_vace(index: int, out_dir: Path) -> None:
    """wanx2.1-vace-plus's image_reference (the sample's cut-out object) at 720P for 5 s."""
    from wanstack.engines.diffusers.vace import DiffusersVace

    found = present("wanx2.1-vace-plus")
    if index >= len(found):
        pytest.skip(f"no weights number {index + 1} for wanx2.1-vace-plus")
    weights = found[index]
    engine = DiffusersVace(**options(weights))
    started = time.perf_counter()
    engine.load()
    print(f"\n  {weights.repo}: loaded in {time.perf_counter() - started:.1f} s")
    sheet = out_dir / f"vace-{weights.repo.split('/')[-1]}.png"
    _five_seconds_720p(engine, request_for("wanx2.1-vace-plus"), sheet)


@pytest.mark.parametrize("weights", cases("wanx-x-painting", first=True))
def test_cancel_stops_within_a_step(weights: Any) -> None:
    engine = _engine("wanx-x-painting", weights)
    token = CancelToken()
    request = replace(request_for("wanx-x-painting"), n=4)
    caught: list[BaseException] = []

    def work() -> None:
        try:
            engine.run(request, token)
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    while token.progress < 0.1:
        time.sleep(0.01)
    cancelled = time.perf_counter()
    token.cancel()
    thread.join(30)
    took = time.perf_counter() - cancelled
    print(f"  cancelled at {token.progress:.0%}, stopped {took:.2f} s later")
    assert caught and isinstance(caught[0], TaskCanceled) and took < 2.0


def test_switching_models_does_not_grow_gpu_memory() -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("measures CUDA memory")
    chosen = [present("wanx-x-painting")[:1], present("wan2.6-image")[:1]]
    if not all(chosen):
        pytest.skip("needs weights for both wanx-x-painting and wan2.6-image")
    paint = _engine("wanx-x-painting", chosen[0][0])
    draw = _engine("wan2.6-image", chosen[1][0])
    readings = []
    for _ in range(10):
        paint.run(request_for("wanx-x-painting"), CancelToken())
        draw.run(request_for("wan2.6-image"), CancelToken())
        torch.cuda.synchronize()
        readings.append(torch.cuda.memory_allocated())
    print(
        f"  allocated after round 1: {readings[0] / 2**30:.2f} GiB, last {readings[-1] / 2**30:.2f}"
    )
    assert readings[-1] <= readings[0] * 1.10
