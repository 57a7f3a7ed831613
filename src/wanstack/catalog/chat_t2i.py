"""Text-to-image models asked through ``multimodal-generation/generation`` messages (addendum §2.2,
§2.4, §2.6): wan2.6-t2i, the qwen-image family and z-image-turbo, one row per model in
:data:`MODELS` and one spec class.

* The sync endpoint takes ``input.messages``: one user message with exactly one ``{"text"}``
  (cut at the model's limit). wan2.6-t2i also runs as a task on ``image-generation/generation``
  (the same body); the others also on ``text2image/image-synthesis`` with a flat
  ``input.prompt`` (documented for qwen-image and qwen-image-plus; the v2 client and gateways
  send the rest there too): the task result is then ``results[]`` of ``{orig_prompt,
  actual_prompt, url}``.
* ``parameters``: ``size`` (a model's own rule: a list of sizes, or a pixel range at 1:4–4:1),
  ``n`` (its range; qwen-image/-plus/-max and z-image-turbo make exactly 1), ``negative_prompt``
  (cut at 500), ``prompt_extend``, ``watermark``, ``seed``.
* The sync answers have each model's shape: wan2.6's ``{type: "image"}`` items, ``finished`` and
  usage with ``size`` and zero tokens; qwen-image's plain ``{image}`` items, ``task_metric``
  (not for the 2.0 series) and usage ``{height, image_count, width}``; z-image-turbo's image
  followed by its prompt as ``{text}``, an empty ``reasoning_content`` and zero tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wanstack.catalog.base import SYNC_FIELDS, MediaLoader, StoredItem, Submission, file_ref
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.catalog.wan_t2i import (
    checked_size,
    generation_parameters,
    prompt_results,
    text_request,
)
from wanstack.domain import Outcome, Task
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import InvalidParameter

SYNC = "multimodal-generation/generation"
TASKS = "image-generation/generation"
FLAT = "text2image/image-synthesis"
NEGATIVE_CHARS = 500
#: wan2.6's documented floor is 1280*1280 pixels, but its own recommended 1104*1472 and 960*1696
#: fall a little under it: they are accepted
RECOMMENDED_LOW = 1104 * 1472
QWEN_SIZES = ("1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664")


@dataclass(frozen=True, slots=True)
class ChatT2IModel:
    model: str
    text_chars: int
    default_size: str
    n: tuple[int, int, int]  #: lowest, highest, default
    shape: str  #: "wan", "qwen", "qwen2" (no task_metric) or "zimage"
    sizes: tuple[str, ...] = ()  #: the allowed sizes, or () for a pixel range
    pixels: tuple[int, int] = (0, 0)
    prompt_extend: bool = True
    endpoints: frozenset[str] = frozenset({SYNC})
    aliases: tuple[str, ...] = ()


#: the v2 client (and gateways) send every image model but wan2.6's to text2image as a task with
#: a flat ``input.prompt``: the sync-only models are served there too
SYNC_AND_FLAT = frozenset({SYNC, FLAT})


def _qwen(model: str, *aliases: str) -> ChatT2IModel:
    endpoints = SYNC_AND_FLAT
    return ChatT2IModel(
        model, 800, "1664*928", (1, 1, 1), "qwen", QWEN_SIZES, endpoints=endpoints, aliases=aliases
    )


def _qwen2(model: str, *aliases: str) -> ChatT2IModel:
    return ChatT2IModel(
        model, 1300, "2048*2048", (1, 6, 1), "qwen2", pixels=(512 * 512, 2048 * 2048),
        endpoints=SYNC_AND_FLAT, aliases=aliases,
    )  # fmt: skip


MODELS = (
    ChatT2IModel(
        "wan2.6-t2i",
        2100,
        "1280*1280",
        (1, 4, 4),
        "wan",
        pixels=(RECOMMENDED_LOW, 1440 * 1440),
        endpoints=frozenset({SYNC, TASKS}),
    ),
    _qwen("qwen-image"),
    _qwen("qwen-image-plus", "qwen-image-plus-2026-01-09"),
    _qwen("qwen-image-max", "qwen-image-max-2025-12-30"),
    _qwen2("qwen-image-2.0", "qwen-image-2.0-2026-03-03"),
    _qwen2("qwen-image-2.0-pro", "qwen-image-2.0-pro-2026-04-22", "qwen-image-2.0-pro-2026-03-03"),
    ChatT2IModel(
        "z-image-turbo",
        800,
        "1024*1536",
        (1, 1, 1),
        "zimage",
        pixels=(512 * 512, 2048 * 2048),
        prompt_extend=False,
        endpoints=SYNC_AND_FLAT,
    ),
)


def parse_size(row: ChatT2IModel, value: str) -> tuple[int, int]:
    if row.sizes:
        return checked_size(row.model, value, sizes=row.sizes)
    return checked_size(row.model, value, pixels=row.pixels)


class ChatTextToImage:
    """A :class:`~wanstack.catalog.base.ModelSpec` for one row of :data:`MODELS`."""

    def __init__(self, row: ChatT2IModel) -> None:
        self.row = row
        self.model = row.model
        self.aliases = row.aliases
        self.endpoints = row.endpoints

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        limit = self.row.text_chars
        if FLAT in self.row.endpoints and "messages" not in inp.data:  # the flat task body
            text = inp.string("prompt", required=True, non_empty=True, truncate_at=limit)
            negative = inp.string("negative_prompt", default="", truncate_at=NEGATIVE_CHARS)
        else:
            text = _text(inp.raw("messages"), limit)
            negative = par.string("negative_prompt", default="", truncate_at=NEGATIVE_CHARS)
        size = par.string("size", default=self.row.default_size)
        assert size is not None
        parse_size(self.row, size)
        lo, hi, default = self.row.n
        if lo == hi and "n" in par.data and par.data["n"] != lo:
            raise InvalidParameter(f"parameters.n: {self.model} makes exactly {lo} image")
        n = par.integer("n", lo=lo, hi=hi, default=default)
        return Submission(
            input={"prompt": text, "negative_prompt": negative},
            parameters=generation_parameters(par, size, n=n, prompt_extend=self.row.prompt_extend),
        )

    async def prepare(self, task: Task, load: MediaLoader) -> ImageGenRequest:
        return text_request(task, parse_size(self.row, task.parameters["size"]))

    def outcome(self, request: ImageGenRequest, items: Sequence[StoredItem]) -> Outcome:
        outcome = image_outcome(items)
        if outcome.usage is None:
            return outcome
        keys = [item.key for item in items if item.key is not None]
        width, height = request.size
        count = outcome.usage["image_count"]
        shape = self.row.shape
        if shape == "wan":
            content: list[dict[str, Any]] = [{"type": "image", "image": file_ref(k)} for k in keys]
            usage: dict[str, Any] = {
                "image_count": count, "input_tokens": 0, "output_tokens": 0,
                "size": f"{width}*{height}", "total_tokens": 0,
            }  # fmt: skip
            outcome.output["finished"] = True
        else:
            content = [{"image": file_ref(k)} for k in keys]
            usage = {"height": height, "image_count": count, "width": width}
            extra: dict[str, Any] = {}
            if shape == "qwen":
                extra["task_metric"] = outcome.output["task_metrics"]
            outcome.output[SYNC_FIELDS] = extra
        message: dict[str, Any] = {"content": content, "role": "assistant"}
        if shape == "zimage":
            content.append({"text": request.prompt})
            message["reasoning_content"] = ""
            usage |= {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
        outcome.output["choices"] = [{"finish_reason": "stop", "message": message}]
        outcome.output["results"] = prompt_results(
            outcome.output["results"], request.prompt, request.prompt_extend
        )
        outcome.usage = usage
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _text(value: Any, limit: int) -> str:
    """The one text of the one user message (cut at ``limit``)."""
    if not isinstance(value, list) or len(value) != 1:
        raise InvalidParameter("input.messages must be a list holding exactly one user message")
    message = Fields(value[0], "input.messages[0]")
    message.string("role", required=True, choices=("user",))
    content = message.raw("content")
    if not isinstance(content, list) or len(content) != 1 or not isinstance(content[0], dict):
        raise InvalidParameter(
            'input.messages[0].content must hold exactly one {"text": …} item (no images)'
        )
    item = Fields(content[0], "input.messages[0].content[0]")
    text = item.string("text", required=True, non_empty=True, truncate_at=limit)
    assert text is not None
    return text


SPECS = tuple(ChatTextToImage(row) for row in MODELS)
