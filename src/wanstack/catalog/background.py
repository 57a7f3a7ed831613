"""wanx-background-generation-v2: new scenes behind a product cutout (seeds 001, 002).

``input``: ``base_image_url`` (required; an RGBA PNG, long side ≤ 2048, checked when the task
runs), ``ref_image_url`` and/or ``ref_prompt`` (at least one), ``neg_ref_prompt``,
``reference_edge`` (``foreground_edge[]``, ``background_edge[]``, ≤ 10 in total, optional prompt
lists of equal length), deprecated ``title`` (1–8 characters) and ``sub_title`` (1–10, only with
a title). ``parameters``: ``n`` 1–4, ``model_version`` v2 | v3, ``noise_level`` 0–999,
``ref_prompt_weight`` 0–1, deprecated ``scene_type``, and the extensions ``seed`` and ``cutout``.

``parameters.cutout: "auto"`` (extension) takes a product *photo* as ``base_image_url``: an RGB
image in any format the server decodes (JPEG, PNG, WebP, BMP; long side ≤ 2048 still) is cut out
by :func:`wanstack.engines.cutout.cut_out` before the scene is made; an image that already has an
alpha channel is used as it is. Without it an RGB base image fails exactly as DashScope's does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.cutout import MIN_SIDE as MIN_CUTOUT_SIDE
from wanstack.engines.cutout import cut_out
from wanstack.engines.requests import BackgroundRequest, EdgeElement
from wanstack.errors import InvalidParameter, MediaInvalid, UnsupportedFileFormat
from wanstack.ident import new_seed
from wanstack.media import decode_image

MODEL = "wanx-background-generation-v2"
VERSIONS = ("v2", "v3")
SCENE_TYPES = ("GENERAL", "ROOM", "COSMETIC")
CUTOUT_MODES = ("auto",)  #: extension: cut an RGB product photo out first
MAX_EDGES = 10
MAX_LONG_SIDE = 2048
MAX_BYTES = 20 * 1024 * 1024
#: Prompt budget: 150 English words, or about 120 Chinese characters (seed 001).
PROMPT_UNITS = 150.0
_CJK_UNIT = 150.0 / 120.0
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9'’-]+|\s+|.", re.DOTALL)
_MODES_URL = "https://pillow.readthedocs.io/en/stable/handbook/concepts.html#concept-modes"
#: Modes that carry transparency and convert to RGBA without losing it.
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def truncate_prompt(text: str) -> str:
    """Cut ``text`` after 150 English words or ~120 Chinese characters (mixed text counts a
    Chinese character as 1.25 words), as DashScope ignores the rest."""
    used = 0.0
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isspace() or (len(token) == 1 and not token.isalnum()):
            out.append(token)
            continue
        cost = _CJK_UNIT if "\u3400" <= token[0] <= "\ufaff" else 1.0
        if used + cost > PROMPT_UNITS + 1e-9:
            break
        used += cost
        out.append(token)
    return "".join(out).rstrip()


class BackgroundGeneration:
    model = MODEL
    endpoints = frozenset({"background-generation/generation"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        base = inp.media_url("base_image_url", required=True)
        ref_image = inp.media_url("ref_image_url")
        ref_prompt = truncate_prompt(inp.string("ref_prompt", default="") or "")
        neg_prompt = truncate_prompt(inp.string("neg_ref_prompt", default="") or "")
        if ref_image is None and not ref_prompt.strip():
            raise InvalidParameter(
                "input.ref_image_url or input.ref_prompt is required: give at least one guide"
            )
        title = inp.string("title")
        sub_title = inp.string("sub_title")
        if title is not None and not 1 <= len(title) <= 8:
            raise InvalidParameter(f"input.title must be 1 to 8 characters, got {len(title)}")
        if sub_title is not None:
            if title is None:
                raise InvalidParameter("input.sub_title is only allowed together with input.title")
            if not 1 <= len(sub_title) <= 10:
                raise InvalidParameter(
                    f"input.sub_title must be 1 to 10 characters, got {len(sub_title)}"
                )
        edges, media_edges = _reference_edge(inp.data.get("reference_edge"))
        assert base is not None
        media = [("input.base_image_url", base)]
        if ref_image is not None:
            media.append(("input.ref_image_url", ref_image))
        media.extend(media_edges)
        seed = par.integer("seed", lo=0, hi=2147483647)
        cutout = par.string("cutout", choices=CUTOUT_MODES)
        normalised_input: dict[str, Any] = {"base_image_url": base, "ref_prompt": ref_prompt}
        if ref_image is not None:
            normalised_input["ref_image_url"] = ref_image
        if neg_prompt:
            normalised_input["neg_ref_prompt"] = neg_prompt
        if edges:
            normalised_input["reference_edge"] = edges
        if title is not None:
            normalised_input["title"] = title
        if sub_title is not None:
            normalised_input["sub_title"] = sub_title
        normalised_parameters: dict[str, Any] = {
            "n": par.integer("n", lo=1, hi=4, default=1),
            "model_version": par.string("model_version", default="v2", choices=VERSIONS),
            "noise_level": par.integer("noise_level", lo=0, hi=999, default=300),
            "ref_prompt_weight": par.number("ref_prompt_weight", lo=0, hi=1, default=0.5),
            "scene_type": par.string("scene_type", choices=SCENE_TYPES),
            # Fixed at submit so that a retried attempt reproduces the same images.
            "seed": seed if seed is not None else new_seed(),
        }
        if cutout is not None:
            normalised_parameters["cutout"] = cutout
        return Submission(input=normalised_input, parameters=normalised_parameters, media=media)

    async def prepare(self, task: Task, load: MediaLoader) -> BackgroundRequest:
        inp = task.input
        edges_in: dict[str, list[Any]] = inp.get("reference_edge", {})
        # 1. Fetch everything at once.
        refs: list[tuple[str, str]] = [("input.base_image_url", inp["base_image_url"])]
        if "ref_image_url" in inp:
            refs.append(("input.ref_image_url", inp["ref_image_url"]))
        for side in ("background_edge", "foreground_edge"):
            for i, url in enumerate(edges_in.get(side, [])):
                refs.append((f"input.reference_edge.{side}[{i}]", url))
        blobs = await asyncio.gather(*(load(field, url, MAX_BYTES) for field, url in refs))
        data = dict(zip((f for f, _ in refs), blobs, strict=True))
        # 2.-4. Decoding and resizing are CPU work: a worker thread, never the event loop.
        return await asyncio.to_thread(_request, task, data)

    def outcome(self, request: BackgroundRequest, items: Sequence[StoredItem]) -> Outcome:
        """``results`` (+ seed 002's ``text_results`` for titled results)."""
        return image_outcome(items)

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _request(task: Task, data: dict[str, bytes]) -> BackgroundRequest:
    """The engine request from the fetched media (decoded and checked)."""
    inp, params = task.input, task.parameters
    edges_in: dict[str, list[Any]] = inp.get("reference_edge", {})
    # 2. The subject: an RGBA PNG, long side ≤ 2048 (checked before it is decoded); with the
    #    cutout extension, a product photo in any format, cut out here when it has no alpha.
    if params.get("cutout") == "auto":
        subject = _photo_subject(data["input.base_image_url"])
    else:
        subject = _rgba(
            data["input.base_image_url"],
            "base_image_url",
            "Base image",
            png=True,
            max_long_side=MAX_LONG_SIDE,
        )
    height, width = subject.shape[:2]
    # 3. The guide image (RGB or RGBA; transparent parts do not guide).
    ref_image = None
    if "input.ref_image_url" in data:
        ref = decode_image(data["input.ref_image_url"], field="ref_image_url").image
        ref_image = np.asarray(ref.convert("RGBA"), dtype=np.uint8)
    # 4. Edge elements, resized to the subject's size; background ones first.
    elements: list[EdgeElement] = []
    for side, label in (("background_edge", "Background"), ("foreground_edge", "Foreground")):
        prompts = edges_in.get(f"{side}_prompt") or []
        for i, _ in enumerate(edges_in.get(side, [])):
            field = f"input.reference_edge.{side}[{i}]"
            edge = _rgba(data[field], field.removeprefix("input."), f"{label} edge image")
            if edge.shape[:2] != (height, width):
                edge = np.asarray(
                    Image.fromarray(edge, "RGBA").resize((width, height), Image.Resampling.LANCZOS),
                    dtype=np.uint8,
                )
            elements.append(
                EdgeElement(
                    image=edge,
                    prompt=truncate_prompt(prompts[i]) if i < len(prompts) else "",
                    foreground=side == "foreground_edge",
                )
            )
    return BackgroundRequest(
        subject=subject,
        ref_image=ref_image,
        ref_prompt=inp.get("ref_prompt", ""),
        neg_prompt=inp.get("neg_ref_prompt", ""),
        edges=tuple(elements),
        n=params["n"],
        noise_level=params["noise_level"],
        ref_prompt_weight=params["ref_prompt_weight"],
        model_version=params["model_version"],
        scene_type=params.get("scene_type"),
        title=inp.get("title"),
        sub_title=inp.get("sub_title"),
        seed=params["seed"],
    )


def _rgba(
    data: bytes, field: str, what: str, *, png: bool = False, max_long_side: int | None = None
) -> RGBAImage:
    """Decode an image that must carry transparency (seed 001's RGBA rule); format, mode and
    long side are checked from the header, before the pixels are decoded."""

    def check(format: str, width: int, height: int) -> None:
        if png and format != "PNG":
            raise UnsupportedFileFormat(f"{what} require PNG format, but is {format or 'unknown'}")
        if max_long_side is not None and max(width, height) > max_long_side:
            raise MediaInvalid(
                f"{what} long side must be at most {max_long_side} pixels, but is {width}*{height}"
            )

    decoded = decode_image(data, field=field, check=check)
    image = decoded.image
    mode = image.mode
    has_alpha = mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info)
    if not has_alpha:
        raise UnsupportedFileFormat(
            f"{what} require RGBA format, but is {mode}, modes concept see {_MODES_URL}"
        )
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


def _photo_subject(data: bytes) -> RGBAImage:
    """``parameters.cutout: "auto"``: the base image as RGBA, cut out of its backdrop when it
    carries no transparency of its own."""

    def check(format: str, width: int, height: int) -> None:
        if max(width, height) > MAX_LONG_SIDE:
            raise MediaInvalid(
                f"Base image long side must be at most {MAX_LONG_SIDE} pixels, but is "
                f"{width}*{height}"
            )

    image = decode_image(data, field="base_image_url", check=check).image
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"), dtype=np.uint8)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if min(rgb.shape[:2]) < MIN_CUTOUT_SIDE:
        raise MediaInvalid(
            f"base_image_url: a photo to cut out must be at least {MIN_CUTOUT_SIDE} pixels on "
            f"each side, but is {rgb.shape[1]}*{rgb.shape[0]}"
        )
    subject = cut_out(rgb)
    if not subject[..., 3].any():
        raise MediaInvalid(
            "base_image_url: parameters.cutout found no product in the photo: nothing stands "
            "out from its backdrop"
        )
    return subject


def _reference_edge(value: Any) -> tuple[dict[str, list[Any]], list[tuple[str, str]]]:
    """Validate ``input.reference_edge``; returns it normalised and its media references."""
    if value is None:
        return {}, []
    fields = Fields(value, "input.reference_edge")
    out: dict[str, list[Any]] = {}
    media: list[tuple[str, str]] = []
    total = 0
    for side in ("foreground_edge", "background_edge"):
        urls = _string_list(fields, side)
        prompts = _string_list(fields, f"{side}_prompt")
        for i, url in enumerate(urls):
            Fields({"u": url}, f"input.reference_edge.{side}[{i}]").media_url("u")
            media.append((f"input.reference_edge.{side}[{i}]", url))
        if prompts and len(prompts) != len(urls):
            raise InvalidParameter(
                f"input.reference_edge.{side}_prompt must have as many entries as "
                f"input.reference_edge.{side} ({len(urls)}), got {len(prompts)}; use '' for "
                "an element without a prompt"
            )
        total += len(urls)
        if urls:
            out[side] = urls
        if prompts:
            out[f"{side}_prompt"] = prompts
    if total > MAX_EDGES:
        raise InvalidParameter(
            f"input.reference_edge may hold at most {MAX_EDGES} edge images in total "
            f"(foreground_edge + background_edge), got {total}"
        )
    return out, media


def _string_list(fields: Fields, key: str) -> list[str]:
    value = fields.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"{fields.name(key)} must be a list of strings")
    return list(value)
