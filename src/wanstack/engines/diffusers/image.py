"""``wan2.6-image`` on diffusers text-to-image and image-editing pipelines.

Two weights: ``weights`` for text to image (:data:`TEXT_TO_IMAGE`) and, for requests with input
images, ``edit_weights`` (:data:`EDIT`). Without ``edit_weights``, FLUX.2 [klein] weights do both
(the same pipeline takes reference images); other text-to-image weights then answer edit requests
with a clear error naming the option. Qwen-Image and Qwen-Image-Edit weights of the same release
share their text encoder and VAE when loaded in one process only if they are one folder; two
folders are two copies (docs/gpu.md says how to link them).

* Every result is generated at the requested aspect within ``max_pixels`` and resized to the exact
  requested size; result ``i`` uses the generator seeded ``seed + i``.
* Edits: input images are flattened over white; Qwen-Image-Edit-Plus and FLUX.2 [klein] take
  them all as references, FLUX.1 Kontext (one image) gets them side by side in one picture.
* Interleave mode (``enable_interleave``): a diffusion model writes no captions, so the steps and
  their text come from :mod:`wanstack.engines.interleave`, as for every family; each step's image
  is generated from its clause (or the prompt at that step's time of day, or a new seed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wanstack.engines import interleave
from wanstack.engines.base import CancelToken, ImageItem, RGBAImage, RGBImage
from wanstack.engines.diffusers import pictures, runtime
from wanstack.engines.diffusers.common import DiffusersEngine, Progress, describe_edit
from wanstack.engines.diffusers.options import option_error
from wanstack.engines.diffusers.runtime import Resident
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import TaskError

TEXT_TO_IMAGE = frozenset(
    {
        "QwenImagePipeline",
        "Flux2KleinPipeline",
        "FluxPipeline",
        "StableDiffusionXLPipeline",
        "ZImagePipeline",
    }
)
EDIT = frozenset({"QwenImageEditPlusPipeline", "Flux2KleinPipeline", "FluxKontextPipeline"})
#: pipelines that take several reference images as a list
MULTI_REFERENCE = frozenset({"QwenImageEditPlusPipeline", "Flux2KleinPipeline"})
SEED_MOD = 2**31
MIN_REFERENCE_SIDE = 64


class DiffusersImage(DiffusersEngine):
    """wan2.6-image: text to image, editing with 1–4 images, interleaved stories."""

    model = "wan2.6-image"
    pipelines = TEXT_TO_IMAGE
    extra_keys = ("edit_weights",)

    def __init__(self, **raw: Any) -> None:
        super().__init__(**raw)
        edit = self.options.extra.get("edit_weights")
        if edit is not None and (not isinstance(edit, str) or not edit):
            raise option_error(self.model, '"edit_weights" must be a folder or repo id')
        self._edit: Resident | None = None

    def load(self) -> None:
        super().load()
        edit = self.options.extra.get("edit_weights")
        if edit:
            self._edit = runtime.load(self.options, EDIT, weights=edit)
        elif self.resident.class_name in EDIT:
            self._edit = self.resident

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if self._edit is not None and self._edit is not self.resident:
            info.update(describe_edit(self._edit, self.options))
        return info

    def run(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        if request.interleave:
            return self._interleave(request, cancel)
        progress = Progress(cancel, request.n)
        items = []
        for index in range(request.n):
            seed = (request.seed + index) % SEED_MOD
            image = self._one(request, request.prompt, seed, progress, cancel)
            item = ImageItem(image=image)
            items.append(item)
            cancel.item_done(index, item)
        return items

    def _interleave(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        steps = interleave.plan(request.prompt, request.max_images, by_time=True)
        progress = Progress(cancel, len(steps))
        items = []
        for step in steps:
            seed = (request.seed + step.index) % SEED_MOD
            if step.clause:
                prompt = step.clause
            elif step.time_of_day is not None:
                prompt = f"{request.prompt}, {interleave.TIMES[step.time_of_day][1]}"
            else:
                prompt = request.prompt
            item = ImageItem(
                image=self._one(request, prompt, seed, progress, cancel), text=step.caption
            )
            items.append(item)
            cancel.item_done(step.index, item)
        return items

    def _one(
        self,
        request: ImageGenRequest,
        prompt: str,
        seed: int,
        progress: Progress,
        cancel: CancelToken,
    ) -> RGBImage:
        resident = self._pipeline(request)
        gen = runtime.generation_size(request.size, self.options.max_pixels, resident.multiple)
        settings = self.settings(resident)
        settings["negative_prompt"] = request.negative_prompt or settings["negative_prompt"]
        extra: dict[str, Any] = {}
        if request.images:
            extra = _references(resident, request.images, gen)
        out = resident.call(
            cancel,
            progress.step,
            prompt=prompt,
            width=gen[0],
            height=gen[1],
            generator=resident.generator(seed),
            **extra,
            **settings,
        )
        progress.call_done()
        return pictures.resize(out, request.size)

    @property
    def can_edit(self) -> bool:
        """Whether requests with input images can be served (edit weights, or weights that edit)."""
        self.load()
        return self._edit is not None

    def _pipeline(self, request: ImageGenRequest) -> Resident:
        if not request.images:
            return self.resident
        if self._edit is None:
            raise TaskError(
                "This server's wan2.6-image has no image-editing pipeline: its operator can set "
                'WANSTACK_ENGINE_OPTIONS["wan2.6-image"]["edit_weights"] (see docs/gpu.md).',
                code="UnsupportedOperation",
            )
        return self._edit


def _references(
    resident: Resident, images: tuple[RGBAImage, ...], gen: tuple[int, int]
) -> dict[str, Any]:
    """The input images as the edit pipeline takes them, at about the generation size."""
    flat = [pictures.flatten(image) for image in images]
    if resident.class_name in MULTI_REFERENCE:
        return {"image": [pictures.to_pil(_fit_area(x, gen)) for x in flat]}
    # FLUX.1 Kontext takes one picture: several inputs go side by side in it
    height = min(x.shape[0] for x in flat)
    row = np.concatenate([pictures.resize(x, _width_at(x, height)) for x in flat], axis=1)
    return {
        "image": pictures.to_pil(_fit_area(row, gen)),
        "max_area": gen[0] * gen[1],
        "_auto_resize": False,  # the picture is already at the generation size
    }


def _width_at(image: RGBImage, height: int) -> tuple[int, int]:
    return max(1, round(image.shape[1] * height / image.shape[0])), height


def _fit_area(image: RGBImage, gen: tuple[int, int]) -> RGBImage:
    """``image`` at its own aspect with about the generation size's area, each side at least
    :data:`MIN_REFERENCE_SIDE` (FLUX.2 refuses smaller references)."""
    h, w = image.shape[:2]
    scale = max((gen[0] * gen[1] / (w * h)) ** 0.5, MIN_REFERENCE_SIDE / min(w, h))
    return pictures.resize(image, (round(w * scale), round(h * scale)))
