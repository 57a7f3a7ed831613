"""wanx2.1-imageedit, general image editing (addendum §2.7), on ``image2image/image-synthesis``
(async; also ``text2image/image-synthesis``, where the v2 client sends it).

``input.function`` picks the operation; ``input.prompt`` (cut at 800; may be empty),
``input.base_image_url`` (JPEG/PNG/BMP/TIFF/WEBP, sides 512–4096, ≤ 10 MB),
``parameters.n`` (1–4, default 1), ``seed``, ``watermark``. All ten functions are served:

* as inpainting (an :class:`InpaintRequest`, x-painting's engines):
  ``description_edit_with_mask`` (``input.mask_image_url``, the base's size, white = edit),
  ``expand`` (``top_scale`` / ``bottom_scale`` / ``left_scale`` / ``right_scale``, 1.0–2.0, grow
  the canvas; the new border is the mask), ``stylization_all`` (法国绘本 French picture book as
  watercolour, 金箔 gold foil as oil painting; ``strength`` recorded) and ``remove_watermark``
  (the overlaid text and marks :func:`wanstack.engines.watermarks.mark_mask` finds are the mask);
* as a :class:`RetouchRequest` (the imageedit engines' own operations): ``super_resolution``
  (``upscale_factor`` 1–4; 1 sharpens only; the output is the input times the factor, at most
  :data:`MAX_OUTPUT_SIDE` a side), ``colorization``, ``description_edit`` (``strength``),
  ``stylization_local``, ``doodle`` (``is_sketch``) and ``control_cartoon_feature``.

Results are ``{url}`` items, ``usage.image_count``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.catalog.x_painting import mask_region
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBImage
from wanstack.engines.requests import RETOUCH_FUNCTIONS, InpaintRequest, RetouchRequest
from wanstack.engines.watermarks import mark_mask
from wanstack.errors import MediaInvalid, TaskError
from wanstack.ident import new_seed
from wanstack.media import decode_wan_image

MODEL = "wanx2.1-imageedit"
#: the functions done as an inpainting; the others are :data:`RETOUCH_FUNCTIONS`
INPAINTED = ("description_edit_with_mask", "expand", "stylization_all", "remove_watermark")
FUNCTIONS = INPAINTED + RETOUCH_FUNCTIONS
#: longest side of a super-resolved output (4096 × 4 would be a 800 MB picture)
MAX_OUTPUT_SIDE = 8192
SIDES = (512, 4096)
IMAGE_BYTES = 10 * 1024 * 1024
SCALES = ("top_scale", "bottom_scale", "left_scale", "right_scale")


class ImageEdit:
    model = MODEL
    endpoints = frozenset({"image2image/image-synthesis", "text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        function = inp.string("function", required=True, choices=FUNCTIONS)
        prompt = inp.string("prompt", default="", truncate_at=800)
        base = inp.media_url("base_image_url", required=True)
        assert base is not None
        stored: dict[str, Any] = {"function": function, "prompt": prompt, "base_image_url": base}
        media = [("input.base_image_url", base)]
        if function == "description_edit_with_mask":
            mask = inp.media_url("mask_image_url", required=True)
            assert mask is not None
            stored["mask_image_url"] = mask
            media.append(("input.mask_image_url", mask))
        seed = par.integer("seed", lo=0, hi=2147483647)
        normalised: dict[str, Any] = {
            "n": par.integer("n", lo=1, hi=4, default=1),
            "watermark": par.boolean("watermark", default=False),
            "seed": seed if seed is not None else new_seed(),
        }
        if function == "expand":
            for key in SCALES:
                normalised[key] = par.number(key, lo=1.0, hi=2.0, default=1.0)
        if function in ("stylization_all", "description_edit"):
            normalised["strength"] = par.number("strength", lo=0.0, hi=1.0, default=0.5)
        if function == "super_resolution":
            normalised["upscale_factor"] = par.integer("upscale_factor", lo=1, hi=4, default=1)
        if function == "doodle":
            normalised["is_sketch"] = par.boolean("is_sketch", default=False)
        return Submission(input=stored, parameters=normalised, media=media)

    async def prepare(self, task: Task, load: MediaLoader) -> InpaintRequest | RetouchRequest:
        inp, params = task.input, task.parameters
        urls = [inp["base_image_url"], inp.get("mask_image_url")]
        fields = ["input.base_image_url", "input.mask_image_url"]
        blobs = await asyncio.gather(
            *(load(f, u, IMAGE_BYTES) for f, u in zip(fields, urls, strict=True) if u)
        )
        base = await asyncio.to_thread(_picture, blobs[0], "base_image_url")
        height, width = base.shape[:2]
        function = inp["function"]
        if function in RETOUCH_FUNCTIONS:
            return _retouch(function, base, inp["prompt"], params)
        mask = np.zeros((height, width), bool)
        style = "<auto>"
        if function == "description_edit_with_mask":
            mask = await asyncio.to_thread(_mask, blobs[1], (width, height))
        elif function == "expand":
            base, mask = _expanded(base, params)
        elif function == "remove_watermark":
            mask = await asyncio.to_thread(mark_mask, base)
        else:  # stylization_all
            style = (
                "<oil painting>"
                if any(w in inp["prompt"] for w in ("金箔", "gold"))
                else ("<watercolor>")
            )
        return InpaintRequest(
            image=base,
            mask=mask,
            prompt=inp["prompt"],
            style=style,
            size=(base.shape[1], base.shape[0]),
            n=params["n"],
            seed=params["seed"],
        )

    def outcome(
        self, request: InpaintRequest | RetouchRequest, items: Sequence[StoredItem]
    ) -> Outcome:
        return image_outcome(items)

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _retouch(function: str, base: RGBImage, prompt: str, params: dict[str, Any]) -> RetouchRequest:
    height, width = base.shape[:2]
    factor = params.get("upscale_factor", 1)
    if max(width, height) * factor > MAX_OUTPUT_SIDE:
        raise TaskError(
            f"parameters.upscale_factor: {width}*{height} times {factor} would be larger than "
            f"{MAX_OUTPUT_SIDE} pixels on a side, the most this server makes",
            code="InvalidParameter",
        )
    return RetouchRequest(
        function=function,
        image=base,
        prompt=prompt,
        size=(width * factor, height * factor),
        n=params["n"],
        seed=params["seed"],
        strength=params.get("strength", 0.5),
        upscale_factor=factor,
        is_sketch=params.get("is_sketch", False),
    )


def _picture(data: bytes, field: str) -> RGBImage:
    decoded = decode_wan_image(data, field=field, sides=SIDES)
    return np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)


def _mask(data: bytes, size: tuple[int, int]) -> Any:
    decoded = decode_wan_image(data, field="mask_image_url", sides=SIDES)
    if decoded.image.size != size:
        raise MediaInvalid(
            f"mask_image_url must have the base image's size {size[0]}*{size[1]}, "
            f"got {decoded.image.size[0]}*{decoded.image.size[1]}"
        )
    return mask_region(decoded.image, [])


def _expanded(base: RGBImage, params: dict[str, Any]) -> tuple[RGBImage, Any]:
    """The base on a canvas grown by the four scales, and the new border as the mask."""
    height, width = base.shape[:2]
    top = round(height * (params["top_scale"] - 1) / 2)
    bottom = round(height * (params["bottom_scale"] - 1) / 2)
    left = round(width * (params["left_scale"] - 1) / 2)
    right = round(width * (params["right_scale"] - 1) / 2)
    canvas = np.pad(base, ((top, bottom), (left, right), (0, 0)), mode="edge")
    mask = np.ones(canvas.shape[:2], bool)
    mask[top : top + height, left : left + width] = False
    return canvas, mask
