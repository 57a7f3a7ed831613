"""wanx2.1-imageedit on x-painting's diffusers inpainting weights: the prompt steers every edit.

Inpainting requests (``description_edit_with_mask``, ``expand``, ``stylization_all``,
``remove_watermark`` with the detected marks as the mask) are :class:`DiffusersInpaint`'s. The
other functions (:class:`RetouchRequest`) are one image-to-image pass of the same pipeline over
the whole picture (an inpainting pipeline with a full mask and ``strength`` below 1 is
image-to-image), at the strength each function needs (:data:`STRENGTHS`; ``description_edit``
takes the request's ``strength``) and the prompt phrased for it:

* ``colorization`` keeps the input's lightness: only the generated picture's colour (its Lab
  a*b*) is taken, so no detail moves;
* ``super_resolution`` is the shared classical upscaler (:mod:`wanstack.engines.upscale`): a
  diffusion upscaler is another pipeline, and an image-to-image pass at the generation size would
  lose the very resolution asked for.

Result ``i`` is seeded ``seed + i``.
"""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.base import CancelToken, ImageItem, RGBImage
from wanstack.engines.diffusers import pictures, runtime
from wanstack.engines.diffusers.common import Progress
from wanstack.engines.diffusers.inpaint import DiffusersInpaint, Painter
from wanstack.engines.requests import InpaintRequest, RetouchRequest
from wanstack.engines.upscale import super_resolve

#: how much of the picture each function's pass re-draws (0 none … 1 all)
STRENGTHS = {
    "colorization": 0.7,
    "stylization_local": 0.6,
    "doodle": 0.85,
    "control_cartoon_feature": 0.8,
}
PROMPTS = {
    "colorization": "a natural colour photograph, {prompt}",
    "stylization_local": "{prompt}",
    "doodle": "a finished colour illustration of this drawing, {prompt}",
    "control_cartoon_feature": "this cartoon character, {prompt}",
    "description_edit": "{prompt}",
}


class DiffusersImageEdit(DiffusersInpaint):
    """wanx2.1-imageedit: x-painting's inpainting, and one whole-picture pass per retouch."""

    model = "wanx2.1-imageedit"

    def run(self, request: InpaintRequest | RetouchRequest, cancel: CancelToken) -> list[ImageItem]:
        if isinstance(request, InpaintRequest):
            return super().run(request, cancel)
        cancel.check()
        if request.function == "super_resolution":
            image = super_resolve(request.image, request.upscale_factor, cancel)
            items = [ImageItem(image=image) for _ in range(request.n)]
            for index, item in enumerate(items):
                cancel.item_done(index, item)
            return items
        resident = self.resident
        gen = runtime.generation_size(request.size, self.options.max_pixels, resident.multiple)
        painter = Painter(
            resident, Progress(cancel, request.n), cancel, gen, self.settings(resident)
        )
        everything = pictures.mask_pil(np.ones((gen[1], gen[0]), bool))
        start = pictures.to_pil(pictures.resize(request.image, gen))
        strength = STRENGTHS.get(request.function, max(0.05, request.strength))
        prompt = PROMPTS[request.function].format(prompt=request.prompt).strip(", ")
        items = []
        for index in range(request.n):
            painted = painter.paint(request.seed + index, prompt, start, everything, strength)
            image = pictures.resize(painted, request.size)
            if request.function == "colorization":
                image = keep_lightness(pictures.resize(request.image, request.size), image)
            items.append(ImageItem(image=image))
            cancel.item_done(index, items[-1])
        return items


def keep_lightness(original: RGBImage, coloured: RGBImage) -> RGBImage:
    """``original``'s Lab lightness with ``coloured``'s a*b*."""
    lab = cv2.cvtColor(coloured, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.cvtColor(original, cv2.COLOR_RGB2LAB)[..., 0]
    return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), dtype=np.uint8)
