"""wan2.6-image: text to image, image editing, and interleaved text and images (contract §4.2).

``input.messages``: exactly one ``{"role": "user", "content": [...]}`` whose content holds
exactly one ``{"text": …}`` (≤ 2000 characters) and 0–4 ``{"image": url}`` items (0–1 with
``enable_interleave``; JPEG/PNG/BMP/WEBP, sides 384–5000, ≤ 10 MB, checked when the task runs).
``parameters``: ``size`` ``W*H`` (total pixels from 768*768 to 1280*1280, aspect ratio from 1:4 to
4:1; default 1280*1280, or the first input image's aspect ratio at that budget), ``n`` (1–4,
default 4; must be 1 with ``enable_interleave``), ``enable_interleave`` (default false),
``max_images`` (1–5, default 5; interleave mode), ``negative_prompt`` (≤ 500),
``prompt_extend``, ``watermark``, ``stream``, ``seed``.

Served by the sync/SSE endpoint and, as a task, by ``image-generation/generation``.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import MediaLoader, StoredItem, Submission, file_ref
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import InvalidParameter
from wanstack.ident import new_seed
from wanstack.media import decode_wan_image

MODEL = "wan2.6-image"
TEXT_CHARS = 2000
NEGATIVE_CHARS = 500
MAX_IMAGES_EDIT = 4
MAX_IMAGES_INTERLEAVE = 1
PIXELS = (768 * 768, 1280 * 1280)
ASPECT = (1 / 4, 4.0)
DEFAULT_SIDE = 1280
IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_SIDES = (384, 5000)
SEED_MAX = 2147483647
_SIZE = re.compile(r"^\s*(\d{1,5})\s*\*\s*(\d{1,5})\s*$")


def parse_size(value: str, field: str = "parameters.size") -> tuple[int, int]:
    """``W*H`` within the pixel and aspect-ratio limits, else :class:`InvalidParameter`."""
    match = _SIZE.match(value)
    if match is None:
        raise InvalidParameter(f"{field} must look like '1280*1280' (width*height), got {value!r}")
    width, height = int(match[1]), int(match[2])
    lo, hi = PIXELS
    if not lo <= width * height <= hi:
        raise InvalidParameter(
            f"{field}: total pixels must be from 768*768 to 1280*1280 ({lo} to {hi}), "
            f"got {width}*{height} = {width * height}"
        )
    if not ASPECT[0] <= width / height <= ASPECT[1]:
        raise InvalidParameter(
            f"{field}: the aspect ratio must be from 1:4 to 4:1, got {width}*{height}"
        )
    return width, height


def default_size(first_image: tuple[int, int] | None) -> tuple[int, int]:
    """1280*1280, or the first input image's aspect ratio (clamped to 1:4–4:1) at that pixel
    budget, both sides multiples of 16, never over the budget."""
    if first_image is None:
        return DEFAULT_SIDE, DEFAULT_SIDE
    aspect = min(max(first_image[0] / first_image[1], ASPECT[0]), ASPECT[1])
    budget = PIXELS[1]
    width = int(math.sqrt(budget * aspect)) // 16 * 16
    height = int(math.sqrt(budget / aspect)) // 16 * 16
    return width, height


class WanImage:
    model = MODEL
    endpoints = frozenset({"multimodal-generation/generation", "image-generation/generation"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        interleave = par.boolean("enable_interleave", default=False)
        text, images = _message(inp.raw("messages"), interleave=bool(interleave))
        if interleave:
            n = par.integer("n", lo=1, hi=4, default=1)
            if n != 1:
                raise InvalidParameter(
                    f"parameters.n must be 1 when parameters.enable_interleave is true, got {n}"
                )
        else:
            n = par.integer("n", lo=1, hi=4, default=4)
        size = par.string("size")
        if size is not None:
            parse_size(size)
        seed = par.integer("seed", lo=0, hi=SEED_MAX)
        normalised: dict[str, Any] = {
            "n": n,
            "enable_interleave": interleave,
            "max_images": par.integer("max_images", lo=1, hi=5, default=5),
            "negative_prompt": par.string("negative_prompt", default="", max_chars=NEGATIVE_CHARS),
            "prompt_extend": par.boolean("prompt_extend", default=True),
            "watermark": par.boolean("watermark", default=False),
            "stream": par.boolean("stream", default=False),
            # Fixed at submit so that a retried attempt reproduces the same images.
            "seed": seed if seed is not None else new_seed(),
        }
        if size is not None:
            normalised["size"] = size
        return Submission(
            input={"prompt": text, "images": [url for _, url in images]},
            parameters=normalised,
            media=images,
        )

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        params = task.parameters
        # 1. Fetch every input image at once, then decode and check them.
        images = await message_images(task.input.get("images", []), load, checked_image)
        # 2. The output size: as asked, or following the first image.
        if "size" in params:
            size = parse_size(params["size"])
        else:
            first = (images[0].shape[1], images[0].shape[0]) if images else None
            size = default_size(first)
        return ImageGenRequest(
            prompt=task.input["prompt"],
            negative_prompt=params.get("negative_prompt", ""),
            images=tuple(images),
            size=size,
            n=params["n"],
            interleave=params["enable_interleave"],
            max_images=params["max_images"],
            seed=params["seed"],
        )

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        """``results`` and, as the sync answer gives them, ``choices`` (one assistant message:
        every image in order, each after its text in interleave mode) and ``finished``; usage
        with the size and (zero) token counts."""
        outcome = image_outcome(items)
        if outcome.usage is None:  # nothing succeeded
            return outcome
        content: list[dict[str, Any]] = []
        for item in items:
            if item.key is None:
                continue
            if item.text:
                content.append({"type": "text", "text": item.text})
            content.append({"type": "image", "image": file_ref(item.key)})
        outcome.output["choices"] = [
            {"finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ]
        outcome.output["finished"] = True
        width, height = request.size
        outcome.usage = {
            "image_count": outcome.usage["image_count"],
            "input_tokens": 0,
            "output_tokens": 0,
            "size": f"{width}*{height}",
            "total_tokens": 0,
        }
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


async def message_images(
    urls: list[str], load: MediaLoader, check: Callable[[bytes, int], RGBAImage]
) -> list[RGBAImage]:
    """The images of a message's ``{"image"}`` items, fetched together, then each checked."""
    fields = [f"input.messages[0].content.image[{i}]" for i in range(len(urls))]
    blobs = await asyncio.gather(
        *(load(f, url, IMAGE_BYTES) for f, url in zip(fields, urls, strict=True))
    )
    return [await asyncio.to_thread(check, data, i) for i, data in enumerate(blobs)]


def checked_image(data: bytes, index: int) -> RGBAImage:
    """One input image as RGBA (opaque when the file has no alpha): JPEG/PNG/BMP/WEBP, each side
    384–5000 pixels."""
    decoded = decode_wan_image(data, field=f"image[{index}]", sides=IMAGE_SIDES)
    return np.asarray(decoded.image.convert("RGBA"), dtype=np.uint8)


def _message(value: Any, *, interleave: bool) -> tuple[str, list[tuple[str, str]]]:
    """The one user message: its text and its (field, url) images, in order."""
    if not isinstance(value, list) or len(value) != 1:
        count = len(value) if isinstance(value, list) else None
        raise InvalidParameter(
            "input.messages must be a list holding exactly one user message"
            + (f", got {count}" if count is not None else "")
        )
    message = Fields(value[0], "input.messages[0]")
    message.string("role", required=True, choices=("user",))
    content = message.raw("content")
    if not isinstance(content, list) or not content:
        raise InvalidParameter(
            "input.messages[0].content must be a non-empty list of {text} and {image} items"
        )
    texts: list[str] = []
    images: list[tuple[str, str]] = []
    for i, raw in enumerate(content):
        item = Fields(raw, f"input.messages[0].content[{i}]")
        if "text" in item.data:
            text = item.string("text", required=True, non_empty=True, max_chars=TEXT_CHARS)
            assert text is not None
            texts.append(text)
        elif "image" in item.data:
            url = item.media_url("image", required=True)
            assert url is not None
            images.append((item.name("image"), url))
        else:
            raise InvalidParameter(
                f'input.messages[0].content[{i}] must be a {{"text": …}} or an {{"image": …}} item'
            )
    if len(texts) != 1:
        raise InvalidParameter(
            f"input.messages[0].content must hold exactly one text item, got {len(texts)}"
        )
    most = MAX_IMAGES_INTERLEAVE if interleave else MAX_IMAGES_EDIT
    if len(images) > most:
        mode = "with" if interleave else "without"
        raise InvalidParameter(
            f"input.messages[0].content may hold at most {most} image items {mode} "
            f"parameters.enable_interleave, got {len(images)}"
        )
    return texts[0], images
