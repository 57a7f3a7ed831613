"""``wanx-x-painting`` on diffusers inpainting pipelines: the prompt steers the fill.

Weights holding any of :attr:`DiffusersInpaint.pipelines` serve it (FLUX.1 Fill, SDXL and SD
inpainting, FLUX.2 [klein] inpainting, Qwen-Image-Edit inpainting); text-to-image weights of a
family that has an inpainting pipeline run through it with the same modules
(:attr:`DiffusersInpaint.convert`), so one FLUX.2 [klein] folder can serve wan2.6-image and
x-painting at once.

Per task:

1. The base image and mask are fitted to the exact output size the way the classic engine fits
   them (:func:`wanstack.engines.framing.cover_mask`).
2. The pipeline runs at the output's aspect within ``max_pixels`` (:func:`runtime.generation_size`)
   on the image and the mask grown by the inner feather, once per result with the generator seeded
   ``seed + index`` (same seed, same images; ``n`` results differ).
3. The result is resized to the output size and composited over the fitted base with a feathered
   seam (:func:`pictures.feather`): every pixel farther than 16 px from the mask is the fitted
   base, bit for bit (inpainting pipelines re-encode the whole image, which would shift them).
4. A ``style`` other than ``<auto>`` restyles the whole result, the same rule as the classic
   engine: a second pass over the entire picture at ``style_strength`` (0.65: the composition
   stays, the rendering changes) with the style's prompt (:data:`pictures.STYLE_PROMPTS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from wanstack.engines.base import CancelToken, ImageItem, RGBImage
from wanstack.engines.diffusers import pictures, runtime
from wanstack.engines.diffusers.common import DiffusersEngine, Progress
from wanstack.engines.diffusers.pictures import Mask
from wanstack.engines.diffusers.runtime import Resident
from wanstack.engines.framing import cover_mask
from wanstack.engines.requests import InpaintRequest

INNER_PX = 4  #: output pixels beyond the mask that are repainted and taken whole
OUTER_PX = 16  #: output pixels beyond the mask where the seam blend ends
STYLE_STRENGTH = 0.65  #: how much of the picture a style pass re-draws (0 none … 1 all)


def fill_mask(mask: Mask, size: tuple[int, int], scale: float) -> Mask:
    """``mask`` at the generation ``size``, grown by :data:`INNER_PX` output pixels: any
    coverage repaints a generation pixel, so the taken-whole ring is always generated."""
    grow = max(1, round(INNER_PX * scale)) * 2 + 1
    small = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))
    return np.asarray(cv2.dilate(small.astype(np.uint8), kernel) > 0)


def restyle_prompt(resident: Resident, style: str, prompt: str) -> str:
    """The prompt of a whole-picture style pass: an instruction for edit models, a description
    for the others (the user's prompt names what was filled in)."""
    phrase = pictures.STYLE_PROMPTS[style]
    if resident.class_name.startswith("QwenImageEdit"):
        return f"Redraw the whole picture as {phrase}; keep its composition and subjects."
    return f"{phrase}, {prompt}" if prompt else phrase


class DiffusersInpaint(DiffusersEngine):
    """wanx-x-painting: fill with the prompt, composite exactly, restyle on request."""

    model = "wanx-x-painting"
    pipelines = frozenset(
        {
            "FluxFillPipeline",
            "StableDiffusionXLInpaintPipeline",
            "StableDiffusionInpaintPipeline",
            "Flux2KleinInpaintPipeline",
            "QwenImageEditInpaintPipeline",
            "FluxInpaintPipeline",
            "QwenImageInpaintPipeline",
            "ZImageInpaintPipeline",
        }
    )
    convert: ClassVar[Mapping[str, str]] = {
        "Flux2KleinPipeline": "Flux2KleinInpaintPipeline",
        "StableDiffusionXLPipeline": "StableDiffusionXLInpaintPipeline",
        "FluxPipeline": "FluxInpaintPipeline",
        "QwenImagePipeline": "QwenImageInpaintPipeline",
        "ZImagePipeline": "ZImageInpaintPipeline",
        "QwenImageEditPipeline": "QwenImageEditInpaintPipeline",
    }
    numbers: ClassVar[Mapping[str, tuple[type, float, float]]] = {
        "style_strength": (float, 0.05, 1.0)
    }

    def run(self, request: InpaintRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        resident = self.resident
        base, mask = cover_mask(request.image, request.mask, request.size)
        styled = request.style != "<auto>"
        fills = bool(mask.any())
        gen = runtime.generation_size(request.size, self.options.max_pixels, resident.multiple)
        painter = Painter(
            resident,
            Progress(cancel, request.n * (int(fills) + int(styled))),
            cancel,
            gen,
            self.settings(resident),
        )
        weight = pictures.feather(mask, INNER_PX, OUTER_PX)
        hole = pictures.mask_pil(fill_mask(mask, gen, gen[0] / request.size[0]))
        everything = pictures.mask_pil(np.ones((gen[1], gen[0]), bool))
        start = pictures.to_pil(pictures.resize(base, gen))
        style_strength = float(self.options.extra.get("style_strength", STYLE_STRENGTH))
        items = []
        for index in range(request.n):
            seed = request.seed + index
            image = base
            if fills:
                painted = painter.paint(seed, request.prompt, start, hole, 1.0)
                image = pictures.composite(pictures.resize(painted, request.size), base, weight)
            if styled:
                # the same rule as the classic engine: a style restyles the whole picture
                prompt = restyle_prompt(resident, request.style, request.prompt)
                picture = pictures.to_pil(pictures.resize(image, gen))
                restyled = painter.paint(seed, prompt, picture, everything, style_strength)
                image = pictures.resize(restyled, request.size)
            item = ImageItem(image=image)
            items.append(item)
            cancel.item_done(index, item)
        return items


@dataclass(frozen=True, slots=True)
class Painter:
    """One task's pipeline calls: same pipeline, size, settings and progress for each pass."""

    resident: Resident
    progress: Progress
    cancel: CancelToken
    gen: tuple[int, int]
    settings: dict[str, Any]

    def paint(self, seed: int, prompt: str, image: Any, mask: Any, strength: float) -> RGBImage:
        """Repaint ``mask`` (white) of ``image`` at the generation size, seeded."""
        out = self.resident.call(
            self.cancel,
            self.progress.step,
            prompt=prompt,
            image=image,
            mask_image=mask,
            strength=strength,
            width=self.gen[0],
            height=self.gen[1],
            generator=self.resident.generator(seed),
            **self.settings,
        )
        self.progress.call_done()
        return out
