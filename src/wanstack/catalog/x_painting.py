"""wanx-x-painting: image inpainting (seed 003).

``input``: ``prompt`` (required, truncated at 75 characters), ``base_image_url`` and
``mask_image_url`` (required; JPG/JPEG/PNG/BMP, each side greater than 256 and less than 4096,
at most 10 MB, the mask at the base image's resolution). ``parameters``: ``style`` (eight
values), ``size`` (three values, checked when the task runs, as DashScope does), ``n`` 1–4,
``mask_color`` (at most 32 RGB triples marking the edit region; empty: white marks it), and the
extension ``seed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.domain import Outcome, Task
from wanstack.engines.requests import STYLES, InpaintRequest
from wanstack.errors import InvalidParameter, MediaInvalid, UnsupportedFileFormat
from wanstack.ident import new_seed
from wanstack.media import decode_image

MODEL = "wanx-x-painting"
SIZES = ("1024*1024", "720*1280", "1280*720")
PROMPT_CHARS = 75
MAX_BYTES = 10 * 1024 * 1024
FORMATS = {"JPEG": "JPG/JPEG", "PNG": "PNG", "BMP": "BMP", "MPO": "JPG/JPEG"}
#: How far a mask pixel may be from a ``mask_color`` entry and still match (JPEG masks are noisy).
MASK_COLOR_TOLERANCE = 16
#: grey mask pixels at least this bright that touch the white region are its antialiased rim
MASK_RIM_LEVEL = 32
#: most ``mask_color`` entries a request may list (each one is a pass over the mask)
MAX_MASK_COLORS = 32


class XPainting:
    model = MODEL
    # The 1.x SDK sends it to image2image; the v2 client only knows text2image (contract §11.5).
    endpoints = frozenset({"image2image/image-synthesis", "text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        prompt = inp.string("prompt", required=True, non_empty=True, truncate_at=PROMPT_CHARS)
        base = inp.media_url("base_image_url", required=True)
        mask = inp.media_url("mask_image_url", required=True)
        style = par.string("style", default="<auto>", choices=STYLES)
        size = par.string("size", default="1024*1024")
        n = par.integer("n", lo=1, hi=4, default=1)
        seed = par.integer("seed", lo=0, hi=2147483647)
        mask_color = _mask_colors(par.raw("mask_color"), par.name("mask_color"))
        assert base is not None and mask is not None
        return Submission(
            input={"prompt": prompt, "base_image_url": base, "mask_image_url": mask},
            parameters={
                "style": style,
                "size": size,
                "n": n,
                "mask_color": mask_color,
                # Fixed at submit so that a retried attempt reproduces the same images.
                "seed": seed if seed is not None else new_seed(),
            },
            media=[("input.base_image_url", base), ("input.mask_image_url", mask)],
        )

    async def prepare(self, task: Task, load: MediaLoader) -> InpaintRequest:
        params = task.parameters
        # 1. The output size: checked when the task runs, with DashScope's exact message.
        size = params["size"]
        if size not in SIZES:
            raise MediaInvalid(f"The size is not match the allowed size {list(SIZES)}")
        width, height = (int(v) for v in size.split("*"))
        # 2. Fetch both images concurrently.
        base_bytes, mask_bytes = await asyncio.gather(
            load("input.base_image_url", task.input["base_image_url"], MAX_BYTES),
            load("input.mask_image_url", task.input["mask_image_url"], MAX_BYTES),
        )
        # 3. Decode, check and build the pixels on a worker thread: it is seconds of CPU for a
        # large image, and the event loop answers every other request meanwhile.
        image, region = await asyncio.to_thread(
            _pixels, base_bytes, mask_bytes, params.get("mask_color") or []
        )
        return InpaintRequest(
            image=image,
            mask=region,
            prompt=task.input["prompt"],
            style=params["style"],
            size=(width, height),
            n=params["n"],
            seed=params["seed"],
        )

    def outcome(self, request: InpaintRequest, items: Sequence[StoredItem]) -> Outcome:
        return image_outcome(items)

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _pixels(
    base_bytes: bytes, mask_bytes: bytes, colors: list[list[int]]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """The RGB base image and the boolean edit region, after the format and resolution checks."""
    base = _checked_image(base_bytes, "base_image_url")
    mask = _checked_image(mask_bytes, "mask_image_url")
    if mask.size != base.size:
        raise MediaInvalid(
            "The resolution of mask_image_url ({}*{}) must match base_image_url ({}*{})".format(
                *mask.size, *base.size
            )
        )
    return np.asarray(base.convert("RGB"), dtype=np.uint8), mask_region(mask, colors)


def _checked_image(data: bytes, field: str) -> Image.Image:
    def check(format: str, width: int, height: int) -> None:
        if format not in FORMATS:
            raise UnsupportedFileFormat(
                f"{field}: {format or 'this'} images are not supported; use JPG, JPEG, PNG or BMP"
            )
        if not (256 < width < 4096 and 256 < height < 4096):
            raise MediaInvalid(
                f"The resolution of {field} must be greater than 256*256 and less than "
                f"4096*4096, got {width}*{height}"
            )

    return decode_image(data, field=field, check=check).image


def mask_region(mask: Image.Image, colors: list[list[int]]) -> npt.NDArray[np.bool_]:
    """True where the image is to be repainted.

    Without ``colors`` the mask is binarised and white (bright) marks the region; transparent
    pixels count as black. A painted mask's antialiased rim (grey pixels touching the white ones)
    belongs to the region too, so no half-covered pixel of the erased object stays behind. With
    ``colors``, pixels close to any listed RGB colour mark it.
    """
    if mask.mode in ("RGBA", "LA", "PA") or (mask.mode == "P" and "transparency" in mask.info):
        rgba = mask.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        mask = Image.alpha_composite(black, rgba)
    rgb = np.asarray(mask.convert("RGB"), dtype=np.int16)
    if not colors:
        gray = np.asarray(mask.convert("L"), dtype=np.uint8)
        core = (gray > 127).astype(np.uint8)
        near = cv2.dilate(core, np.ones((3, 3), np.uint8)) > 0
        return np.asarray((gray > 127) | (near & (gray >= MASK_RIM_LEVEL)))
    region = np.zeros(rgb.shape[:2], dtype=bool)
    for color in colors:
        diff = np.abs(rgb - np.asarray(color, dtype=np.int16)).max(axis=2)
        region |= diff <= MASK_COLOR_TOLERANCE
    return region


def _mask_colors(value: Any, name: str) -> list[list[int]]:
    if value is None:
        return []
    rule = f"{name} must be a list of [R, G, B] triples with values from 0 to 255"
    if not isinstance(value, list):
        raise InvalidParameter(f"{rule}, got {value!r}"[:200])
    if len(value) > MAX_MASK_COLORS:
        raise InvalidParameter(
            f"{name} may list at most {MAX_MASK_COLORS} colours, got {len(value)}"
        )
    colors: list[list[int]] = []
    for item in value:
        if (
            not isinstance(item, list)
            or len(item) != 3
            or not all(
                isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in item
            )
        ):
            raise InvalidParameter(f"{rule}, got {item!r} in it"[:200])
        colors.append([int(c) for c in item])
    return colors
