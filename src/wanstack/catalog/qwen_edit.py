"""Image editing with several input images: the qwen-image-edit family (addendum §2.5) and
wan2.5-i2i-preview (§2.8, :class:`Wan25ImageEdit`).

The qwen-image-edit family: qwen-image-edit, qwen-image-edit-plus and
qwen-image-edit-max (dated ids are aliases), on ``multimodal-generation/generation`` only.

One user message with 1–3 ``{"image"}`` items (picture 1, 2, 3 in order; JPEG/PNG/BMP/TIFF/WEBP/
GIF, ≤ 10 MB) and exactly one ``{"text"}`` (cut at 800). ``parameters.n`` (plus/max 1–6,
qwen-image-edit exactly 1; default 1), ``size`` (plus/max only: each side 512–2048, rounded to
multiples of 16; unset: about 1024×1024 at the aspect of the last image), ``negative_prompt``
(cut at 500), ``prompt_extend``, ``watermark``, ``seed``. The answer holds one choice with the
``n`` images as ``{"image"}`` items, and usage ``{width, height, image_count}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import (
    SYNC_FIELDS,
    MediaLoader,
    ModelSpec,
    StoredItem,
    Submission,
    file_ref,
)
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.catalog.wan_image import checked_image, message_images
from wanstack.catalog.wan_image import default_size as wan_default_size
from wanstack.catalog.wan_t2i import (
    checked_size,
    generation_parameters,
    prompt_results,
    text_request,
)
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import InvalidParameter
from wanstack.media import decode_wan_image

IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_SIDES = (64, 8192)  #: 384–3072 is DashScope's recommendation, not a limit
BUDGET = 1024 * 1024
#: model → (highest n, takes size, aliases)
MODELS = {
    "qwen-image-edit": (1, False, ()),
    "qwen-image-edit-plus": (
        6,
        True,
        ("qwen-image-edit-plus-2025-10-30", "qwen-image-edit-plus-2025-12-15"),
    ),
    "qwen-image-edit-max": (6, True, ("qwen-image-edit-max-2026-01-16",)),
}


def default_size(last: tuple[int, int]) -> tuple[int, int]:
    """About 1024×1024 pixels at the last image's aspect ratio, sides multiples of 16."""
    aspect = last[0] / last[1]
    width = max(16, round(math.sqrt(BUDGET * aspect) / 16) * 16)
    height = max(16, round(math.sqrt(BUDGET / aspect) / 16) * 16)
    return width, height


class QwenImageEdit:
    endpoints = frozenset({"multimodal-generation/generation", "text2image/image-synthesis"})

    def __init__(self, model: str) -> None:
        self.model = model
        self.most, self.sized, self.aliases = MODELS[model]

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        if "messages" in inp.data:
            text, images = _message(inp.raw("messages"))
        else:  # the v2 client's task on text2image: input.prompt (and input.images, if any)
            text, images = _flat(inp)
        if self.most == 1 and "n" in par.data and par.data["n"] != 1:
            raise InvalidParameter(f"parameters.n: {self.model} makes exactly 1 image")
        n = par.integer("n", lo=1, hi=self.most, default=1)
        size = par.string("size") if self.sized else None
        if size is not None:
            checked_size(self.model, size, sides=(512, 2048))
        normalised = generation_parameters(par, size or "", n=n)
        normalised["negative_prompt"] = par.string("negative_prompt", default="", truncate_at=500)
        return Submission(
            input={"prompt": text, "images": [url for _, url in images]},
            parameters=normalised,
            media=images,
        )

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        params = task.parameters
        images = await message_images(task.input["images"], load, _picture)
        if params["size"]:
            width, height = (int(v) for v in params["size"].split("*"))
            size = (round(width / 16) * 16, round(height / 16) * 16)
        else:
            size = default_size((images[-1].shape[1], images[-1].shape[0]))
        return text_request(task, size, images)

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        outcome = image_outcome(items)
        if outcome.usage is None:
            return outcome
        content = [{"image": file_ref(item.key)} for item in items if item.key is not None]
        message = {"role": "assistant", "content": content}
        outcome.output["choices"] = [{"finish_reason": "stop", "message": message}]
        outcome.output[SYNC_FIELDS] = {}
        width, height = request.size
        outcome.usage = {"width": width, "image_count": len(content), "height": height}
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _message(value: Any) -> tuple[str, list[tuple[str, str]]]:
    if not isinstance(value, list) or len(value) != 1:
        raise InvalidParameter("input.messages must be a list holding exactly one user message")
    message = Fields(value[0], "input.messages[0]")
    message.string("role", required=True, choices=("user",))
    content = message.raw("content")
    if not isinstance(content, list):
        raise InvalidParameter("input.messages[0].content must be a list of {image} and {text}")
    texts, images = [], []
    for i, raw in enumerate(content):
        item = Fields(raw, f"input.messages[0].content[{i}]")
        if "image" in item.data:
            url = item.media_url("image", required=True)
            assert url is not None
            images.append((item.name("image"), url))
        else:
            text = item.string("text", required=True, non_empty=True, truncate_at=800)
            assert text is not None
            texts.append(text)
    if len(texts) != 1 or not 1 <= len(images) <= 3:
        raise InvalidParameter(
            "input.messages[0].content must hold 1 to 3 image items and exactly one text item, "
            f"got {len(images)} images and {len(texts)} texts"
        )
    return texts[0], images


def _flat(inp: Fields) -> tuple[str, list[tuple[str, str]]]:
    """``input.prompt`` and ``input.images`` (1–3): a flat body, as the v2 client sends it."""
    text = inp.string("prompt", required=True, non_empty=True, truncate_at=800)
    assert text is not None
    return text, _image_list(inp)


def _image_list(inp: Fields) -> list[tuple[str, str]]:
    urls = inp.raw("images")
    if not isinstance(urls, list) or not 1 <= len(urls) <= 3:
        raise InvalidParameter("input.images must be a list of 1 to 3 image URLs")
    images = []
    for i, raw in enumerate(urls):
        url = Fields({"u": raw}, f"input.images[{i}]").media_url("u", required=True)
        assert url is not None
        images.append((f"input.images[{i}]", url))
    return images


def _picture(data: bytes, index: int) -> RGBAImage:
    decoded = decode_wan_image(data, field=f"image[{index}]", sides=IMAGE_SIDES)
    return np.asarray(decoded.image.convert("RGBA"), dtype=np.uint8)


class Wan25ImageEdit:
    """wan2.5-i2i-preview (addendum §2.8) on ``image2image/image-synthesis`` (async): an edit or
    a fusion of ``input.images`` (1–3, sides 384–5000) by ``input.prompt`` (cut at 2000);
    ``size`` total pixels 768²–1280² at 1:4–4:1 (unset: 1280×1280-ish at the last image's
    aspect), ``n`` 1–4 (default 4). Results ``{orig_prompt, actual_prompt, url}``."""

    model = "wan2.5-i2i-preview"
    endpoints = frozenset({"image2image/image-synthesis", "text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        prompt = inp.string("prompt", required=True, non_empty=True, truncate_at=2000)
        images = _image_list(inp)
        size = par.string("size")
        if size is not None:
            checked_size(self.model, size, pixels=(768 * 768, 1280 * 1280))
        normalised = generation_parameters(
            par, size or "", n=par.integer("n", lo=1, hi=4, default=4)
        )
        return Submission(
            input={
                "prompt": prompt,
                "negative_prompt": inp.string("negative_prompt", default="", truncate_at=500),
                "images": [url for _, url in images],
            },
            parameters=normalised,
            media=images,
        )

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        images = await message_images(task.input["images"], load, checked_image)
        if task.parameters["size"]:
            width, height = (int(v) for v in task.parameters["size"].split("*"))
            size = (width, height)
        else:
            last = images[-1]
            size = wan_default_size((last.shape[1], last.shape[0]))
        return text_request(task, size, images)

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        outcome = image_outcome(items)
        results = outcome.output.get("results") or []
        outcome.output["results"] = prompt_results(results, request.prompt, request.prompt_extend)
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


SPECS: tuple[ModelSpec, ...] = (*(QwenImageEdit(model) for model in MODELS), Wan25ImageEdit())
