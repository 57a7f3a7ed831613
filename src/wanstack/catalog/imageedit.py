"""wanx2.1-imageedit, general image editing (addendum §2.7), on ``image2image/image-synthesis``
(async; also ``text2image/image-synthesis``, where the v2 client sends it).

``input.function`` picks the operation; ``input.prompt`` (cut at 800; may be empty for a mask
removal), ``input.base_image_url`` (JPEG/PNG/BMP/TIFF/WEBP, sides 512–4096, ≤ 10 MB),
``parameters.n`` (1–4, default 1), ``seed``, ``watermark``. Served here, on the x-painting
engines (an inpainting request built from the function):

* ``description_edit_with_mask``: ``input.mask_image_url`` (the base's size; white = edit) is
  filled (the classic engine from the surroundings; a diffusers engine by the prompt);
* ``expand``: ``parameters.top_scale`` / ``bottom_scale`` / ``left_scale`` / ``right_scale``
  (1.0–2.0) grow the canvas and the new border is filled (outpainting);
* ``stylization_all``: the whole picture restyled, 法国绘本 (French picture book) as
  watercolour, 金箔 (gold foil) as oil painting, by the prompt's words (``strength`` is recorded).

``stylization_local``, ``description_edit``, ``remove_watermark``, ``super_resolution``,
``colorization``, ``doodle`` and ``control_cartoon_feature`` are refused at submit with a 400
naming ``input.function``: no engine here does them honestly yet. Results are ``{url}`` items.
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
from wanstack.engines.requests import InpaintRequest
from wanstack.errors import InvalidParameter, MediaInvalid
from wanstack.ident import new_seed
from wanstack.media import decode_wan_image

MODEL = "wanx2.1-imageedit"
SERVED = ("description_edit_with_mask", "expand", "stylization_all")
NOT_SERVED = (
    "stylization_local",
    "description_edit",
    "remove_watermark",
    "super_resolution",
    "colorization",
    "doodle",
    "control_cartoon_feature",
)
SIDES = (512, 4096)
IMAGE_BYTES = 10 * 1024 * 1024
SCALES = ("top_scale", "bottom_scale", "left_scale", "right_scale")


class ImageEdit:
    model = MODEL
    endpoints = frozenset({"image2image/image-synthesis", "text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        function = inp.string("function", required=True, choices=SERVED + NOT_SERVED)
        if function in NOT_SERVED:
            raise InvalidParameter(
                f"input.function {function!r} is not served by this server; it serves "
                f"{', '.join(SERVED)}"
            )
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
        if function == "stylization_all":
            normalised["strength"] = par.number("strength", lo=0.0, hi=1.0, default=0.5)
        return Submission(input=stored, parameters=normalised, media=media)

    async def prepare(self, task: Task, load: MediaLoader) -> InpaintRequest:
        inp, params = task.input, task.parameters
        urls = [inp["base_image_url"], inp.get("mask_image_url")]
        fields = ["input.base_image_url", "input.mask_image_url"]
        blobs = await asyncio.gather(
            *(load(f, u, IMAGE_BYTES) for f, u in zip(fields, urls, strict=True) if u)
        )
        base = await asyncio.to_thread(_picture, blobs[0], "base_image_url")
        height, width = base.shape[:2]
        mask = np.zeros((height, width), bool)
        style = "<auto>"
        function = inp["function"]
        if function == "description_edit_with_mask":
            mask = await asyncio.to_thread(_mask, blobs[1], (width, height))
        elif function == "expand":
            base, mask = _expanded(base, params)
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

    def outcome(self, request: InpaintRequest, items: Sequence[StoredItem]) -> Outcome:
        return image_outcome(items)

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


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
