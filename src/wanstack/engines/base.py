"""The engine seam.

An engine is chosen per DashScope model by configuration (``WANSTACK_ENGINES``), built once per
worker process and kept resident (a GPU engine loads its weights in :meth:`Engine.load`, never per
task). :meth:`Engine.run` is called in a worker thread with fully validated, decoded inputs and a
:class:`CancelToken` it must check between steps, so cancelling a running task stops its work.

Each model's engines receive that model's request type (:mod:`wanstack.engines.requests`); an
engine serves one model. The families (``classic``, ``diffusers``, ``fake``) are folders (or a
module) beside this one and never import each other; what every family needs from the wire
contract sits here and in ``requests``, ``framing``, ``titles`` and ``mp4``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from wanstack.errors import TaskCanceled, TaskError

RGBImage = npt.NDArray[np.uint8]
"""H×W×3 uint8 RGB."""

RequestT = TypeVar("RequestT", contravariant=True)


class CancelToken:
    """The worker's handle on a running task: set when the task was cancelled or its lease was
    lost (engines call :meth:`check` between steps), and where engines say that an output is
    finished (:meth:`item_done`), so the worker can store it and a streamed answer can send it
    before the rest are made."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._on_item: Callable[[int, ImageItem | VideoItem], None] | None = None
        self._progress = 0.0

    def report(self, fraction: float) -> None:
        """How far the task has come, 0–1 (engines with denoising steps report each step); the
        worker publishes it as ``output.progress``. Never goes backwards."""
        self._progress = max(self._progress, min(1.0, max(0.0, fraction)))

    @property
    def progress(self) -> float:
        return self._progress

    def on_item(self, listener: Callable[[int, ImageItem | VideoItem], None]) -> None:
        """Called (from the engine's thread) for every output reported by :meth:`item_done`."""
        self._on_item = listener

    def item_done(self, index: int, item: ImageItem | VideoItem) -> None:
        """Output ``index`` (its place in what :meth:`Engine.run` returns) is finished. Optional
        for engines; one that reports its outputs lets answers stream."""
        if self._on_item is not None:
            self._on_item(index, item)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`TaskCanceled` if the task should stop now."""
        if self._event.is_set():
            raise TaskCanceled


RGBAImage = npt.NDArray[np.uint8]
"""H×W×4 uint8 RGBA (straight, not premultiplied, alpha)."""


@dataclass(slots=True)
class ImageItem:
    """One output image, or the reason that one output failed (partial success).

    Background generation with a title also returns the same image without its text
    (``plain``) and the editable text layers drawn on it (``layers``, seed 002's schema)."""

    image: RGBImage | None = None
    error: TaskError | None = None
    plain: RGBImage | None = None
    layers: list[dict[str, Any]] | None = None
    text: str | None = None  #: wan2.6-image interleave mode: the text that comes before the image


@dataclass(slots=True)
class VideoItem:
    """One output video: an MP4 (H.264, yuv420p, faststart) and what it holds."""

    mp4: bytes
    width: int
    height: int
    frames: int
    fps: int
    has_audio: bool


class Engine(Protocol, Generic[RequestT]):
    """What the worker needs from an engine."""

    #: short implementation name, as configured (``classic``, ``diffusers``, ``fake``)
    name: str

    def load(self) -> None:
        """Prepare resources once per process (weights, fonts). Idempotent."""

    def describe(self) -> dict[str, Any]:
        """What produced the output (engine, algorithm or weights); shown in the task output."""

    def run(
        self, request: RequestT, cancel: CancelToken
    ) -> Sequence[ImageItem] | Sequence[VideoItem]:
        """Produce the outputs. Raise :class:`TaskError` to fail the whole task."""
