"""wanx-v1, text to image V1 (addendum §2.3), on ``text2image/image-synthesis``, async.

``input.prompt`` (cut at 800), ``negative_prompt`` (cut at 500), a reference image as
``input.ref_img`` (the docs' curl examples say ``ref_image``; the SDK uploads a local one as
``sketch_image_url``; ``ref_img`` wins; JPEG/PNG/BMP/WEBP, sides 256–4096, ≤ 10 MB),
``parameters.style`` (ten styles, default ``<auto>``), ``size`` (``1024*1024``, ``720*1280``,
``768*1152``, ``1280*720``), ``n`` (1–4, default 4; image *i* uses seed + *i*), ``seed``,
``ref_strength`` (0–1), ``ref_mode`` (``repaint``: keep the reference's content; ``refonly``:
only its style). Results are ``results[]`` of ``{url}``.

Engines: a style becomes words of the prompt; a reference image makes the request an edit of
that image (wan2.6-image's engines), ``refonly`` asking for the prompt's content in its look.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.catalog.wan_t2i import checked_size, generation_parameters, text_request
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.requests import ImageGenRequest
from wanstack.media import decode_wan_image

MODEL = "wanx-v1"
SIZES = ("1024*1024", "720*1280", "768*1152", "1280*720")
STYLES = {
    "<auto>": "",
    "<photography>": "photograph, realistic, natural light",
    "<portrait>": "portrait photograph, soft studio light",
    "<3d cartoon>": "3D cartoon render",
    "<anime>": "anime illustration",
    "<oil painting>": "oil painting",
    "<watercolor>": "watercolour painting",
    "<sketch>": "pencil sketch",
    "<chinese painting>": "Chinese ink painting",
    "<flat illustration>": "flat vector illustration",
}
REF_SIDES = (256, 4096)
REF_BYTES = 10 * 1024 * 1024


class WanxV1:
    model = MODEL
    endpoints = frozenset({"text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        prompt = inp.string("prompt", required=True, non_empty=True, truncate_at=800)
        negative = inp.string("negative_prompt", default="", truncate_at=500)
        ref = None
        for key in ("ref_img", "ref_image", "sketch_image_url"):
            ref = inp.media_url(key)
            if ref is not None:
                ref_field = f"input.{key}"
                break
        size = par.string("size", default="1024*1024")
        assert size is not None
        checked_size(MODEL, size, sizes=SIZES)
        normalised = generation_parameters(par, size, n=par.integer("n", lo=1, hi=4, default=4))
        normalised["style"] = par.string("style", default="<auto>", choices=tuple(STYLES))
        normalised["ref_mode"] = par.string(
            "ref_mode", default="repaint", choices=("repaint", "refonly")
        )
        strength = par.number("ref_strength", lo=0.0, hi=1.0)
        if strength is not None:
            normalised["ref_strength"] = strength
        stored: dict[str, Any] = {"prompt": prompt, "negative_prompt": negative}
        media = []
        if ref is not None:
            stored["ref_img"] = ref
            media.append((ref_field, ref))
        return Submission(input=stored, parameters=normalised, media=media)

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        params = task.parameters
        images: tuple[RGBAImage, ...] = ()
        ref = task.input.get("ref_img")
        if ref:
            data = await load("input.ref_img", ref, REF_BYTES)
            images = (await asyncio.to_thread(_reference, data),)
        words = [task.input["prompt"], STYLES[params["style"]]]
        if images and params["ref_mode"] == "refonly":
            words.append("in the style of the reference picture")
        width, height = (int(v) for v in params["size"].split("*"))
        prompt = ", ".join(w for w in words if w)
        return text_request(task, (width, height), images, prompt=prompt)

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        return image_outcome(items)

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _reference(data: bytes) -> RGBAImage:
    decoded = decode_wan_image(data, field="ref_img", sides=REF_SIDES)
    return np.asarray(decoded.image.convert("RGBA"), dtype=np.uint8)
