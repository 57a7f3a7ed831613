"""The Wan text-to-image family on ``text2image/image-synthesis`` (addendum §2.1): one row per
model in :data:`MODELS`, one spec class for all of them.

``input.prompt`` (required; longer text is cut at the model's limit, as DashScope does),
``input.negative_prompt`` (cut at 500), ``parameters.size`` (``W*H``: each side 512–1440 for
wan2.2 and older, total pixels 1280²–1440² at 1:4–4:1 for wan2.5), ``n`` (1–4, default 4),
``prompt_extend`` (default true: the results then carry ``actual_prompt``), ``watermark``,
``seed``. Asynchronous; wan2.2-t2i-flash and -plus also answer without the async header (the
SDK's ``ImageSynthesis.sync_call``), with the finished task's body.

Results: ``results[]`` of ``{orig_prompt, actual_prompt, url}``, ``task_metrics``, usage
``{image_count}``. No prompt-rewriting model runs here, so ``actual_prompt`` is the prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import InvalidParameter
from wanstack.ident import new_seed

ENDPOINT = "text2image/image-synthesis"
NEGATIVE_CHARS = 500
SEED_MAX = 2147483647
_SIZE = re.compile(r"^\s*(\d{1,5})\s*\*\s*(\d{1,5})\s*$")


@dataclass(frozen=True, slots=True)
class T2IModel:
    """One model of the family: its limits and defaults."""

    model: str
    prompt_chars: int
    default_size: str
    #: (lo, hi) for each side, or None when the rule is on total pixels
    sides: tuple[int, int] | None = (512, 1440)
    #: (lo, hi) total pixels, with the aspect ratio within 1:4–4:1
    pixels: tuple[int, int] | None = None
    #: also answered without the async header (``ImageSynthesis.sync_call``)
    sync: bool = False
    aliases: tuple[str, ...] = ()


MODELS = (
    # the documented floor is 1280*1280 pixels; the recommended 1104*1472 is a little under it
    T2IModel("wan2.5-t2i-preview", 2000, "1280*1280", None, (1104 * 1472, 1440 * 1440)),
    T2IModel("wan2.2-t2i-flash", 500, "1024*1024", sync=True),
    T2IModel("wan2.2-t2i-plus", 500, "1024*1024", sync=True),
    T2IModel("wanx2.1-t2i-turbo", 500, "1024*1024", aliases=("wan2.1-t2i-turbo",)),
    T2IModel("wanx2.1-t2i-plus", 500, "1024*1024", aliases=("wan2.1-t2i-plus",)),
    T2IModel("wanx2.0-t2i-turbo", 800, "1024*1024", aliases=("wan2.0-t2i-turbo",)),
)


def parse_size(row: T2IModel, value: str) -> tuple[int, int]:
    return checked_size(row.model, value, sides=row.sides, pixels=row.pixels)


def checked_size(
    model: str,
    value: str,
    *,
    sides: tuple[int, int] | None = None,
    pixels: tuple[int, int] | None = None,
    sizes: tuple[str, ...] = (),
) -> tuple[int, int]:
    """``W*H`` checked against a model's rule: one of ``sizes``, each side within ``sides``,
    total pixels within ``pixels`` at 1:4–4:1; else :class:`InvalidParameter` naming it."""
    field = "parameters.size"
    match = _SIZE.match(value)
    if match is None:
        raise InvalidParameter(f"{field} must look like '1024*1024' (width*height), got {value!r}")
    width, height = int(match[1]), int(match[2])
    if sizes and f"{width}*{height}" not in sizes:
        raise InvalidParameter(f"{field}: {model} takes one of {', '.join(sizes)}")
    if sides is not None and not (sides[0] <= width <= sides[1] and sides[0] <= height <= sides[1]):
        raise InvalidParameter(
            f"{field}: {model} takes each side from {sides[0]} to {sides[1]}, got {width}*{height}"
        )
    if pixels is not None:
        if not pixels[0] <= width * height <= pixels[1]:
            raise InvalidParameter(
                f"{field}: {model} takes total pixels from {pixels[0]} to {pixels[1]}, "
                f"got {width}*{height} = {width * height}"
            )
        if not 0.25 <= width / height <= 4.0:
            raise InvalidParameter(
                f"{field}: the aspect ratio must be from 1:4 to 4:1, got {width}*{height}"
            )
    return width, height


def generation_parameters(
    par: Fields, size: str, *, n: int | None, prompt_extend: bool = True
) -> dict[str, Any]:
    """The parameters every text-to-image model stores: size, n, prompt_extend, watermark and
    a seed fixed at submit (a retried attempt reproduces the same images)."""
    seed = par.integer("seed", lo=0, hi=SEED_MAX)
    return {
        "size": size,
        "n": n,
        "prompt_extend": par.boolean("prompt_extend", default=prompt_extend),
        "watermark": par.boolean("watermark", default=False),
        "seed": seed if seed is not None else new_seed(),
    }


def text_request(
    task: Task,
    size: tuple[int, int],
    images: Sequence[RGBAImage] = (),
    prompt: str | None = None,
) -> ImageGenRequest:
    """The engine request of an image task: text to image, or an edit of ``images``."""
    params = task.parameters
    return ImageGenRequest(
        prompt=task.input["prompt"] if prompt is None else prompt,
        negative_prompt=task.input.get("negative_prompt", params.get("negative_prompt", "")),
        images=tuple(images),
        size=size,
        n=params["n"],
        interleave=False,
        max_images=1,
        seed=params["seed"],
        prompt_extend=params["prompt_extend"],
    )


class WanTextToImage:
    """A :class:`~wanstack.catalog.base.ModelSpec` for one row of :data:`MODELS`."""

    def __init__(self, row: T2IModel) -> None:
        self.row = row
        self.model = row.model
        self.aliases = row.aliases
        self.endpoints = frozenset({ENDPOINT})
        self.sync_endpoints = frozenset({ENDPOINT}) if row.sync else frozenset()

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        prompt = inp.string(
            "prompt", required=True, non_empty=True, truncate_at=self.row.prompt_chars
        )
        negative = inp.string("negative_prompt", default="", truncate_at=NEGATIVE_CHARS)
        size = par.string("size", default=self.row.default_size)
        assert size is not None
        parse_size(self.row, size)
        return Submission(
            input={"prompt": prompt, "negative_prompt": negative},
            parameters=generation_parameters(par, size, n=par.integer("n", lo=1, hi=4, default=4)),
        )

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        return text_request(task, parse_size(self.row, task.parameters["size"]))

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        outcome = image_outcome(items)
        results = outcome.output.get("results")
        if results:
            outcome.output["results"] = prompt_results(
                results, request.prompt, request.prompt_extend
            )
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def prompt_results(
    results: Sequence[dict[str, Any]], prompt: str, extended: bool
) -> list[dict[str, Any]]:
    """``results`` with each image as ``{orig_prompt, actual_prompt, url}`` (``actual_prompt``
    only with ``prompt_extend``; no rewriting model runs, so it is the prompt); failed ones as
    they are."""
    described = []
    for result in results:
        if "key" not in result:
            described.append(result)
            continue
        item: dict[str, Any] = {"orig_prompt": prompt}
        if extended:
            item["actual_prompt"] = prompt
        item["$key"] = result["key"]
        described.append(item)
    return described


SPECS = tuple(WanTextToImage(row) for row in MODELS)
