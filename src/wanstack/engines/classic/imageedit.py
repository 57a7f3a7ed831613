"""Classic wanx2.1-imageedit (CPU, no model weights): its ten functions from the classic family.

Inpainting requests (``description_edit_with_mask``, ``expand``, ``stylization_all``,
``remove_watermark``) go to x-painting's engine (:class:`.inpaint.ClassicInpaint`: PatchMatch from
the surroundings, then the style). :class:`RetouchRequest` functions, result ``i`` seeded
``seed + i``:

* ``super_resolution``: :func:`.retouch.super_resolve` (back-projected Lanczos with edge-aware
  detail; ``upscale_factor`` 1 sharpens only). Every result is the same picture;
* ``colorization``: :func:`.retouch.colorize` (the input's lightness kept, colours from the
  layout and the prompt's colour words);
* ``description_edit``: the classic wan2.6-image edit's styles and colour grades named by the
  prompt (:func:`.image.finish`), mixed with the input by ``strength`` (0 = the input);
* ``stylization_local``: :func:`.materials_local.local_style` (the salient subject turned into
  one of the eight materials);
* ``doodle``: :func:`.drawing.doodle` (line art, extracted unless ``is_sketch``, painted in);
* ``control_cartoon_feature``: :func:`.drawing.cartoon_scene` (the character cut out and staged
  in a cartoon scene drawn from the prompt).

What a generative model does and this engine cannot: add, remove or reshape objects from the
prompt's words (``description_edit`` follows only style and colour words), invent detail that is
not in the input (super-resolution sharpens what is there), or know the true colours of things.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wanstack.engines.base import CancelToken, ImageItem, RGBImage
from wanstack.engines.classic.drawing import cartoon_scene, doodle
from wanstack.engines.classic.image import finish
from wanstack.engines.classic.inpaint import ClassicInpaint
from wanstack.engines.classic.materials_local import local_style
from wanstack.engines.classic.retouch import colorize
from wanstack.engines.requests import InpaintRequest, RetouchRequest
from wanstack.engines.upscale import super_resolve

SEED_MOD = 2**31


class ClassicImageEdit:
    """See the module docstring."""

    name = "classic"

    def __init__(self, **options: Any) -> None:
        self._inpaint = ClassicInpaint(**options)

    def load(self) -> None:
        self._inpaint.load()

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "algorithm": "patchmatch inpainting, back-projected upscaling, classical retouching",
        }

    def run(self, request: InpaintRequest | RetouchRequest, cancel: CancelToken) -> list[ImageItem]:
        if isinstance(request, InpaintRequest):
            return self._inpaint.run(request, cancel)
        items: list[ImageItem] = []
        upscaled: RGBImage | None = None
        for index in range(request.n):
            cancel.check()
            seed = (request.seed + index) % SEED_MOD
            if request.function == "super_resolution":  # the same picture for every index
                if upscaled is None:
                    upscaled = super_resolve(request.image, request.upscale_factor, cancel)
                image = upscaled
            else:
                image = retouched(request, seed)
            items.append(ImageItem(image=image))
            cancel.item_done(index, items[-1])
            cancel.report((index + 1) / request.n)
        return items


def retouched(request: RetouchRequest, seed: int) -> RGBImage:
    """One result of a retouch function other than super-resolution."""
    image, prompt = request.image, request.prompt
    if request.function == "colorization":
        return colorize(image, prompt, seed)
    if request.function == "stylization_local":
        return local_style(image, prompt, seed)
    if request.function == "doodle":
        return doodle(image, prompt, request.is_sketch, seed)
    if request.function == "control_cartoon_feature":
        return cartoon_scene(image, prompt, request.size, seed)
    # description_edit: the prompt's styles and grades, as much as ``strength`` asks
    edited = finish(image, prompt, seed, 1.0, text_to_image=False)
    weight = float(np.sqrt(request.strength))
    mixed = image.astype(np.float32) * (1.0 - weight) + edited.astype(np.float32) * weight
    return np.asarray(np.clip(mixed + 0.5, 0, 255), dtype=np.uint8)
