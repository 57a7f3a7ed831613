"""The engine seam.

An engine is chosen per DashScope model by configuration (``WANSTACK_ENGINES``), built once per
worker process and kept resident (a GPU engine loads its weights in :meth:`Engine.load`, never per
task). :meth:`Engine.run` is called in a worker thread with fully validated, decoded inputs and a
:class:`CancelToken` it must check between steps, so cancelling a running task stops its work.

Each model defines its own request type (e.g. :class:`InpaintRequest`); an engine serves one model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from wanstack.errors import TaskCanceled, TaskError

RGBImage = npt.NDArray[np.uint8]
"""H×W×3 uint8 RGB."""

RequestT = TypeVar("RequestT", contravariant=True)


class CancelToken:
    """Set by the worker when the task was cancelled or its lease was lost."""

    def __init__(self) -> None:
        self._event = threading.Event()

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


#: wanx-x-painting's ``parameters.style`` values (seed 003); ``<auto>`` is no style.
STYLES = (
    "<auto>",
    "<3d cartoon>",
    "<anime>",
    "<oil painting>",
    "<watercolor>",
    "<sketch>",
    "<chinese painting>",
    "<flat illustration>",
)


@dataclass(frozen=True, slots=True)
class InpaintRequest:
    """wanx-x-painting, validated: the image, the region to repaint, and what to paint."""

    image: RGBImage  #: base image at its own resolution
    mask: npt.NDArray[np.bool_]  #: True where the image is to be repainted; same H×W as ``image``
    prompt: str  #: already truncated to the model's limit
    style: str  #: one of the documented ``<…>`` styles
    size: tuple[int, int]  #: output (width, height), one of the documented sizes
    n: int  #: how many distinct results
    seed: int  #: makes results reproducible


@dataclass(frozen=True, slots=True)
class EdgeElement:
    """One ``reference_edge`` image: line art (RGBA, already at the base size) to be drawn as an
    element of the scene in what its prompt asks for."""

    image: RGBAImage
    prompt: str  #: "" when no prompt was given for it
    foreground: bool  #: foreground elements may cover the subject; background ones stay behind


@dataclass(frozen=True, slots=True)
class BackgroundRequest:
    """wanx-background-generation-v2, validated: a product cutout and how to stage it."""

    subject: RGBAImage  #: the product; output images have exactly its size
    ref_image: RGBAImage | None  #: guide image (RGBA; transparent parts do not guide), any size
    ref_prompt: str  #: truncated to the documented length; "" when absent
    neg_prompt: str  #: concepts to avoid; "" when absent
    edges: tuple[EdgeElement, ...]  #: background elements first, then foreground, each bottom→top
    n: int
    noise_level: int  #: 0 (faithful to ref_image) … 999 (loosely related)
    ref_prompt_weight: float  #: 0 … 1, weight of the text when both guides are given
    model_version: str  #: "v2" (fast) or "v3" (finer)
    scene_type: str | None  #: GENERAL | ROOM | COSMETIC (deprecated presets)
    title: str | None
    sub_title: str | None
    seed: int


class Engine(Protocol, Generic[RequestT]):
    """What the worker needs from an engine."""

    #: short implementation name, as configured (``classic``, ``diffusers``, ``fake``)
    name: str

    def load(self) -> None:
        """Prepare resources once per process (weights, fonts). Idempotent."""

    def describe(self) -> dict[str, Any]:
        """What produced the output (engine, algorithm or weights); shown in the task output."""

    def run(self, request: RequestT, cancel: CancelToken) -> list[ImageItem]:
        """Produce the outputs. Raise :class:`TaskError` to fail the whole task."""
