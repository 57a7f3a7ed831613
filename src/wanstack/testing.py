"""Fakes shipped with the package, for unit tests and for end-to-end tests of the queue.

``FakeInpaint`` is a real engine implementation (selected with
``WANSTACK_ENGINES='{"wanx-x-painting": "fake"}'``) that copies the fitted base image, can be
slowed down (``WANSTACK_ENGINE_OPTIONS='{"fake": {"delay": 3}}'``) and can fail chosen items, so
acceptance tests can kill a worker mid-task. ``MemoryStorage`` and ``FrozenClock`` replace disk
and time in unit tests.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from wanstack.clock import FrozenClock
from wanstack.engines.base import BackgroundRequest, CancelToken, ImageItem, InpaintRequest
from wanstack.errors import TaskError

__all__ = ["FakeBackground", "FakeInpaint", "FrozenClock", "MemoryStorage"]

TIMEOUT_MESSAGE = (
    "An internal timeout error has occured during execution, please try again later or contact "
    "service support."
)


class FakeInpaint:
    """Deterministic stand-in for an inpainting engine: resize, paint the mask grey."""

    name = "fake"

    def __init__(self, delay: float = 0.0, fail_items: list[int] | None = None, **_: Any) -> None:
        self.delay = float(delay)
        self.fail_items = set(fail_items or [])
        self.loaded = 0

    def load(self) -> None:
        self.loaded += 1

    def describe(self) -> dict[str, Any]:
        return {"engine": "fake"}

    def run(self, request: InpaintRequest, cancel: CancelToken) -> list[ImageItem]:
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline:  # sleep in small steps so cancel is prompt
            cancel.check()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        width, height = request.size
        base = np.asarray(
            cv2.resize(request.image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        mask = cv2.resize(request.mask.astype(np.uint8), (width, height)) > 0
        items = []
        for i in range(request.n):
            cancel.check()
            if i in self.fail_items:
                items.append(
                    ImageItem(
                        error=TaskError(
                            code="InternalError.Timeout",
                            message=TIMEOUT_MESSAGE,
                        )
                    )
                )
                continue
            out = base.copy()
            out[mask] = np.uint8((request.seed + 37 * i) % 256)
            items.append(ImageItem(image=out))
        return items


class FakeBackground:
    """Deterministic stand-in for a background engine: the product over a flat grey whose
    shade follows the seed; with a title, a text-free copy and one text layer."""

    name = "fake"

    def __init__(self, delay: float = 0.0, **_: Any) -> None:
        self.delay = float(delay)

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"engine": "fake"}

    def run(self, request: BackgroundRequest, cancel: CancelToken) -> list[ImageItem]:
        time.sleep(self.delay)
        alpha = request.subject[..., 3:].astype(np.float32) / 255.0
        items = []
        for i in range(request.n):
            cancel.check()
            grey = np.full_like(request.subject[..., :3], (request.seed + 53 * i) % 256)
            mixed = request.subject[..., :3] * alpha + grey * (1.0 - alpha)
            image = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
            if request.title is None:
                items.append(ImageItem(image=image))
                continue
            layer = {"type": "text", "sub_type": "Title", "content": request.title, "idx": 0}
            items.append(ImageItem(image=image, plain=image.copy(), layers=[layer]))
        return items


class MemoryStorage:
    """Storage in a dict; URLs are fake but stable."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = data

    async def get(self, key: str) -> bytes:
        try:
            return self.files[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    async def delete_prefix(self, prefix: str) -> None:
        for key in [k for k in self.files if k.startswith(prefix)]:
            del self.files[key]

    def local_path(self, key: str) -> Path | None:
        return None

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        return f"{base_url}/memory/{key}?Expires={expires_ms // 1000}"
