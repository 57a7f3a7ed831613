"""Implementation ``fake``: deterministic engines for every model, for tests and CI.

Selected like any family (``WANSTACK_ENGINES='{"wanx-x-painting": "fake"}'``); options per model
(``WANSTACK_ENGINE_OPTIONS='{"wanx-x-painting": {"delay": 3, "fail_items": [1]}}'``): ``delay``
seconds per task (cancellable, so acceptance tests can kill or cancel a worker mid-task) and
``fail_items``, output indices that fail. ``FakeInpaint`` copies the resized base image and
paints the mask a shade of grey from the seed; ``FakeBackground`` lays the product over a flat
grey (with a title, a text-free copy and one text layer); ``FakeVideo`` (wan2.6-t2v / i2v)
writes a small but valid MP4 (H.264, yuv420p, AAC when a soundtrack was given) of exactly the
requested size and frame count through :mod:`wanstack.engines.mp4`; ``FakeWanImage``
(wan2.6-image) returns flat images of the requested size, with text in interleave mode;
``FakeImageEdit`` (wanx2.1-imageedit) is ``FakeInpaint`` for its inpaintings and a resized,
seed-tinted input for the other functions; ``FakeVace`` (wanx2.1-vace-plus) writes a flat video of
the requested size and frame count.
"""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from wanstack.engines.base import CancelToken, ImageItem, RGBImage, VideoItem
from wanstack.engines.mp4 import encode_mp4
from wanstack.engines.requests import (
    BackgroundRequest,
    ImageGenRequest,
    InpaintRequest,
    RetouchRequest,
    VaceRequest,
    VideoRequest,
)
from wanstack.errors import TaskError

__all__ = [
    "FakeBackground",
    "FakeImageEdit",
    "FakeInpaint",
    "FakeVace",
    "FakeVideo",
    "FakeWanImage",
]

TIMEOUT_MESSAGE = (
    "An internal timeout error has occured during execution, please try again later or contact "
    "service support."
)


def _sleep(delay: float, cancel: CancelToken) -> None:
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:  # small steps, so a cancel is noticed promptly
        cancel.check()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


class _Fake:
    """What every fake engine shares: its name, options (``delay`` seconds per task,
    ``item_delay`` seconds before each output, output indices to fail in ``fail_items``), a load
    counter, its description, and reporting each output as it is finished."""

    name = "fake"

    def __init__(
        self,
        delay: float = 0.0,
        fail_items: list[int] | None = None,
        item_delay: float = 0.0,
        **_: Any,
    ) -> None:
        self.delay = float(delay)
        self.item_delay = float(item_delay)
        self.fail_items = set(fail_items or [])
        self.loaded = 0

    def _done(self, items: list[ImageItem], item: ImageItem, cancel: CancelToken) -> None:
        """Append ``item`` (after ``item_delay``) and report it finished."""
        _sleep(self.item_delay, cancel)
        items.append(item)
        cancel.item_done(len(items) - 1, item)

    def load(self) -> None:
        self.loaded += 1

    def describe(self) -> dict[str, Any]:
        return {"engine": "fake"}


class FakeInpaint(_Fake):
    """Deterministic stand-in for an inpainting engine: resize, paint the mask grey."""

    def run(self, request: InpaintRequest, cancel: CancelToken) -> list[ImageItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        base = np.asarray(
            cv2.resize(request.image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        mask = cv2.resize(request.mask.astype(np.uint8), (width, height)) > 0
        items: list[ImageItem] = []
        for i in range(request.n):
            cancel.check()
            if i in self.fail_items:
                error = TaskError(code="InternalError.Timeout", message=TIMEOUT_MESSAGE)
                self._done(items, ImageItem(error=error), cancel)
                continue
            out = base.copy()
            out[mask] = np.uint8((request.seed + 37 * i) % 256)
            self._done(items, ImageItem(image=out), cancel)
        return items


class FakeImageEdit(FakeInpaint):
    """FakeInpaint for inpaintings; a retouch is the input resized to the output, tinted by
    ``seed + index``."""

    def run(self, request: InpaintRequest | RetouchRequest, cancel: CancelToken) -> list[ImageItem]:
        if isinstance(request, InpaintRequest):
            return super().run(request, cancel)
        _sleep(self.delay, cancel)
        base = np.asarray(cv2.resize(request.image, request.size), dtype=np.uint8)
        items: list[ImageItem] = []
        for i in range(request.n):
            cancel.check()
            out = base.copy()
            out[..., (request.seed + i) % 3] //= 2
            self._done(items, ImageItem(image=out), cancel)
        return items


class FakeBackground(_Fake):
    """Deterministic stand-in for a background engine: the product over a flat grey whose
    shade follows the seed; with a title, a text-free copy and one text layer."""

    def run(self, request: BackgroundRequest, cancel: CancelToken) -> list[ImageItem]:
        _sleep(self.delay, cancel)
        alpha = request.subject[..., 3:].astype(np.float32) / 255.0
        items: list[ImageItem] = []
        for i in range(request.n):
            cancel.check()
            grey = np.full_like(request.subject[..., :3], (request.seed + 53 * i) % 256)
            mixed = request.subject[..., :3] * alpha + grey * (1.0 - alpha)
            image = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
            if request.title is None:
                self._done(items, ImageItem(image=image), cancel)
                continue
            layer = {"type": "text", "sub_type": "Title", "content": request.title, "idx": 0}
            self._done(items, ImageItem(image=image, plain=image.copy(), layers=[layer]), cancel)
        return items


class FakeVideo(_Fake):
    """Deterministic stand-in for the Wan 2.6 video engines: the input image (i2v) or a flat
    colour from the seed (t2v), with a white bar sweeping across, muxed with the soundtrack."""

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        if request.image is not None:
            base = np.asarray(
                cv2.resize(request.image, (width, height), interpolation=cv2.INTER_AREA),
                dtype=np.uint8,
            )
        else:
            shade = request.seed % 200
            base = np.full((height, width, 3), (shade, 90, 200 - shade), dtype=np.uint8)
        frames = request.duration * request.fps
        bar = max(2, width // 40)

        def frame(i: int) -> RGBImage:
            cancel.check()
            out = base.copy()
            x = (i * (width - bar)) // max(1, frames - 1)
            out[:, x : x + bar] = 255
            return out

        mp4 = encode_mp4(
            (frame(i) for i in range(frames)),
            size=request.size,
            fps=request.fps,
            frame_count=frames,
            audio=request.audio,
            cancel=cancel,
            preset="ultrafast",
            crf=30,
        )
        return [
            VideoItem(
                mp4=mp4,
                width=width,
                height=height,
                frames=frames,
                fps=request.fps,
                has_audio=request.audio is not None,
            )
        ]


class FakeVace(_Fake):
    """Deterministic stand-in for wanx2.1-vace-plus: FakeVideo's sweep on a flat colour."""

    def run(self, request: VaceRequest, cancel: CancelToken) -> list[VideoItem]:
        return FakeVideo(delay=self.delay).run(request.filmed(None), cancel)


class FakeWanImage(_Fake):
    """Deterministic stand-in for the wan2.6-image engine: flat images of the requested size
    (the first input image, resized, in edit mode); in interleave mode ``max_images`` steps of
    text and image."""

    def run(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        if request.images:
            rgb = np.ascontiguousarray(request.images[0][..., :3])
            base = np.asarray(
                cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        else:
            base = np.full((height, width, 3), 128, dtype=np.uint8)
        count = request.max_images if request.interleave else request.n
        items: list[ImageItem] = []
        for i in range(count):
            cancel.check()
            if i in self.fail_items:
                error = TaskError(TIMEOUT_MESSAGE, code="InternalError.Timeout")
                self._done(items, ImageItem(error=error), cancel)
                continue
            image = base.copy()
            image[: height // 8] = np.uint8((request.seed + 41 * i) % 256)
            text = f"Step {i + 1}: {request.prompt[:40]}" if request.interleave else None
            self._done(items, ImageItem(image=image, text=text), cancel)
        return items
