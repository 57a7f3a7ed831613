"""wanx2.1-vace-plus, unified video editing (addendum §2.13), on
``video-generation/video-synthesis`` (async; the international ``wan2.1-vace-plus`` is an alias).

``input.function`` selects the operation (the 1.x SDK writes ``"video-synthesis"`` there unless
``extra_input`` carries the real one: that request is refused, naming the field);
``input.prompt`` (required, cut at 800), ``parameters.prompt_extend`` (default true; no rewriting
model runs), ``seed``, ``watermark``, ``duration`` (fixed 5: another value fails when the task
runs). The output is a silent 30 fps MP4 of 5 s at 720P; usage
``{video_duration: 5, video_ratio: "standard", video_count: 1}``. Served:

* ``image_reference``: ``input.ref_images_url`` (1–3 images; more are dropped) and
  ``parameters.obj_or_bg`` (``obj``/``bg`` per image, at most one ``bg``, as many as the images;
  default all ``obj``), ``parameters.size`` (1280*720 default, 720*1280, 960*960, 832*1088,
  1088*832): the objects staged on the background and filmed;
* ``video_extension``: any of ``input.first_frame_url``, ``last_frame_url``, ``first_clip_url``,
  ``last_clip_url`` (clips ≤ 3 s together), ``video_url`` (a motion reference, with
  ``control_condition`` posebodyface/depth; recorded, not followed); the output (720P, the
  aspect of the first input) starts with the first clip or frame and ends with the last;
* ``video_outpainting``: ``input.video_url`` and ``top_scale`` / ``bottom_scale`` /
  ``left_scale`` / ``right_scale`` (1.0–2.0): the video on a canvas grown by the scales, the new
  border filled (720P, the canvas's aspect).

* ``video_repainting``: ``input.video_url``, ``ref_images_url`` (at most 1, a subject),
  ``parameters.control_condition`` (required: posebodyface, posebody, depth, scribble) and
  ``strength`` (0–1, default 1): the video re-drawn from the prompt, following the condition;
* ``video_edit``: ``input.video_url``, ``mask_image_url`` (drawn on frame ``mask_frame_id``,
  from 1) or ``mask_video_url``, ``ref_images_url`` (at most 1), ``parameters.mask_type``
  (tracking, fixed), ``expand_ratio`` (0–1, default 0.05), ``expand_mode`` (hull, bbox,
  original), ``control_condition`` (posebodyface, depth, or none), ``size`` (default: the video's
  aspect at 720P): the masked region re-drawn from the prompt.

Which functions (and conditions) a server runs depends on the engine configured for the model:
the task service refuses the others at submit, naming the field
(:func:`wanstack.engines.registry.check_served`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.wan_video import (
    FPS,
    IMAGE_BYTES,
    SEED_MAX,
    VideoModel,
    WanVideoBase,
    checked_image,
    i2v_size,
)
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBAImage
from wanstack.engines.requests import VaceRequest
from wanstack.errors import InvalidParameter, MediaInvalid
from wanstack.ident import new_seed
from wanstack.media import DecodedVideo, decode_video, decode_wan_image

MODEL = "wanx2.1-vace-plus"
FUNCTIONS = (
    "image_reference",
    "video_repainting",
    "video_edit",
    "video_extension",
    "video_outpainting",
)
REPAINT_CONDITIONS = ("posebodyface", "posebody", "depth", "scribble")
EDIT_CONDITIONS = ("posebodyface", "depth", "")
MASK_TYPES = ("tracking", "fixed")
EXPAND_MODES = ("hull", "bbox", "original")
MASK_FRAME_MAX = 151  #: ``mask_frame_id`` ≤ fps × duration + 1
SIZES = ("1280*720", "720*1280", "960*960", "832*1088", "1088*832")
PROMPT_CHARS = 800
MAX_REFERENCES = 3
VIDEO_BYTES = 100 * 1024 * 1024
CLIP_SECONDS = 3.0  #: first and last clips together
VIDEO_SECONDS = 10.0  #: of an outpainted video, at most (the output is 5 s)
EXTENSION_INPUTS = ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")
CONDITIONS = ("posebodyface", "depth")
SCALES = ("top_scale", "bottom_scale", "left_scale", "right_scale")
ROW = VideoModel(
    MODEL,
    prompt_chars=PROMPT_CHARS,
    durations=(5,),
    audio=False,
    shot_type=False,
    usage="standard",
    aliases=("wan2.1-vace-plus",),
)


class Vace(WanVideoBase):
    """See the module docstring."""

    prompt_required = True

    def __init__(self) -> None:
        super().__init__(ROW)

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        function = inp.string("function", required=True)
        if function not in FUNCTIONS:
            raise InvalidParameter(
                f"input.function must be one of {', '.join(FUNCTIONS)} for {MODEL} (the SDK "
                f"sends it in extra_input), got {str(function)[:40]!r}"
            )
        prompt = inp.string("prompt", required=True, non_empty=True, truncate_at=PROMPT_CHARS)
        seed = par.integer("seed", lo=0, hi=SEED_MAX)
        stored: dict[str, Any] = {"function": function, "prompt": prompt}
        normalised: dict[str, Any] = {
            "duration": self._duration(par),
            "prompt_extend": par.boolean("prompt_extend", default=True),
            "watermark": par.boolean("watermark", default=False),
            "seed": seed if seed is not None else new_seed(),
        }
        if function == "image_reference":
            refs = _url_list(inp, "ref_images_url")[:MAX_REFERENCES]
            stored["ref_images_url"] = refs
            normalised["obj_or_bg"] = _obj_or_bg(par, len(refs))
            normalised["size"] = par.string("size", default=SIZES[0], choices=SIZES)
            media = [(f"input.ref_images_url[{i}]", u) for i, u in enumerate(refs)]
        elif function == "video_extension":
            for key in (*EXTENSION_INPUTS, "video_url"):
                if (url := inp.media_url(key)) is not None:
                    stored[key] = url
            if not any(key in stored for key in EXTENSION_INPUTS):
                names = ", ".join(f"input.{key}" for key in EXTENSION_INPUTS)
                raise InvalidParameter(f"video_extension needs at least one of {names}")
            condition = par.string("control_condition", choices=CONDITIONS)
            if "video_url" in stored and condition is None:
                raise InvalidParameter(
                    "parameters.control_condition (posebodyface or depth) is required with "
                    "input.video_url"
                )
            if condition is not None:
                normalised["control_condition"] = condition
            media = [(f"input.{k}", v) for k, v in stored.items() if k.endswith("_url")]
        elif function == "video_outpainting":
            stored["video_url"] = inp.media_url("video_url", required=True)
            for key in SCALES:
                normalised[key] = par.number(key, lo=1.0, hi=2.0, default=1.0)
            media = [("input.video_url", stored["video_url"])]
        else:  # video_repainting, video_edit: a video re-drawn
            media = _redrawn(function, inp, par, stored, normalised)
        return Submission(input=stored, parameters=normalised, media=media)

    async def prepare(self, task: Task, load: MediaLoader) -> VaceRequest:
        self._check_duration(task)
        inp, params = task.input, task.parameters
        common: dict[str, Any] = {
            "function": inp["function"],
            "prompt": inp["prompt"],
            "duration": params["duration"],
            "fps": FPS,
            "seed": params["seed"],
        }
        if inp["function"] == "image_reference":
            refs = inp["ref_images_url"]
            blobs = await asyncio.gather(
                *(load(f"input.ref_images_url[{i}]", u, IMAGE_BYTES) for i, u in enumerate(refs))
            )
            images = [await asyncio.to_thread(_reference, b, i) for i, b in enumerate(blobs)]
            width, height = (int(v) for v in params["size"].split("*"))
            return VaceRequest(
                **common,
                size=(width, height),
                references=tuple(images),
                backgrounds=tuple(kind == "bg" for kind in params["obj_or_bg"]),
            )
        if inp["function"] == "video_extension":
            return await self._extension(inp, common, load)
        if inp["function"] in ("video_repainting", "video_edit"):
            return await self._redraw(inp, params, common, load)
        video = await _video(load, "input.video_url", inp["video_url"], VIDEO_SECONDS)
        height, width = video.frames[0].shape[:2]
        top, bottom, left, right = (params[k] for k in SCALES)
        canvas = (width * (1 + (left - 1) / 2 + (right - 1) / 2), height * (top + bottom) / 2)
        return VaceRequest(
            **common,
            size=i2v_size((round(canvas[0]), round(canvas[1])), "720P"),
            video=video.frames,
            clip_fps=video.fps,
            scales=(top, bottom, left, right),
        )

    async def _extension(
        self, inp: dict[str, Any], common: dict[str, Any], load: MediaLoader
    ) -> VaceRequest:
        frames: dict[str, Any] = {}
        for key in ("first_frame_url", "last_frame_url"):
            if key in inp:
                data = await load(f"input.{key}", inp[key], IMAGE_BYTES)
                frames[key] = await asyncio.to_thread(checked_image, data)
        clips: dict[str, Any] = {}
        fps = 0.0
        for key in ("first_clip_url", "last_clip_url"):
            if key in inp:
                clip = await _video(load, f"input.{key}", inp[key], CLIP_SECONDS)
                clips[key], fps = clip.frames, clip.fps
        if sum(len(c) for c in clips.values()) > CLIP_SECONDS * fps + 1:
            raise MediaInvalid(
                f"input.first_clip_url and input.last_clip_url together must be at most "
                f"{CLIP_SECONDS:g} seconds"
            )
        leading = [frames.get("first_frame_url"), *(clips.get("first_clip_url") or [None])[:1]]
        trailing = [frames.get("last_frame_url"), *(clips.get("last_clip_url") or [None])[-1:]]
        sample = next(f for f in (*leading, *trailing) if f is not None)
        height, width = sample.shape[:2]
        return VaceRequest(
            **common,
            size=i2v_size((width, height), "720P"),
            first_frame=frames.get("first_frame_url"),
            last_frame=frames.get("last_frame_url"),
            first_clip=tuple(clips.get("first_clip_url", ())),
            last_clip=tuple(clips.get("last_clip_url", ())),
            clip_fps=fps,
        )

    async def _redraw(
        self, inp: dict[str, Any], params: dict[str, Any], common: dict[str, Any], load: MediaLoader
    ) -> VaceRequest:
        video = await _video(load, "input.video_url", inp["video_url"], VIDEO_SECONDS)
        height, width = video.frames[0].shape[:2]
        refs = inp.get("ref_images_url", [])
        blobs = [
            await load(f"input.ref_images_url[{i}]", u, IMAGE_BYTES) for i, u in enumerate(refs)
        ]
        references = tuple([await asyncio.to_thread(_reference, b, i) for i, b in enumerate(blobs)])
        condition = params.get("control_condition") or None
        if inp["function"] == "video_repainting":
            return VaceRequest(
                **common,
                size=i2v_size((width, height), "720P"),
                video=video.frames,
                clip_fps=video.fps,
                references=references,
                control=condition,
                strength=params["strength"],
            )
        masks: tuple[Any, ...]
        if "mask_video_url" in inp:
            clip = await _video(load, "input.mask_video_url", inp["mask_video_url"], VIDEO_SECONDS)
            masks = tuple(frame.max(axis=2) > 127 for frame in clip.frames)
        else:
            data = await load("input.mask_image_url", inp["mask_image_url"], IMAGE_BYTES)
            masks = (await asyncio.to_thread(_mask, data, (width, height)),)
        if inp["mask_frame_id"] > len(video.frames):
            raise InvalidParameter(
                f"input.mask_frame_id {inp['mask_frame_id']} is past the video's "
                f"{len(video.frames)} frames"
            )
        size = params.get("size")
        return VaceRequest(
            **common,
            size=i2v_size((width, height), "720P")
            if size is None
            else (int(size.split("*")[0]), int(size.split("*")[1])),
            video=video.frames,
            clip_fps=video.fps,
            references=references,
            control=condition,
            masks=masks,
            mask_frame=inp["mask_frame_id"] - 1,
            mask_type=params["mask_type"],
            expand_ratio=params["expand_ratio"],
            expand_mode=params["expand_mode"],
        )

    def outcome(self, request: Any, items: Sequence[StoredItem]) -> Outcome:
        outcome = super().outcome(request, items)
        if "video_url" in outcome.output:  # no rewriting model: the prompt it ran is the prompt
            outcome.output["actual_prompt"] = request.prompt
        return outcome


def _redrawn(
    function: str, inp: Fields, par: Fields, stored: dict[str, Any], normalised: dict[str, Any]
) -> list[tuple[str, str]]:
    """Check video_repainting's or video_edit's own fields into ``stored`` / ``normalised``;
    returns their media references."""
    stored["video_url"] = inp.media_url("video_url", required=True)
    if inp.raw("ref_images_url") is not None:
        refs = _url_list(inp, "ref_images_url")
        if len(refs) > 1:
            raise InvalidParameter(
                f"input.ref_images_url takes one image (the subject) for {function}, "
                f"got {len(refs)}"
            )
        stored["ref_images_url"] = refs
    if function == "video_repainting":
        normalised["control_condition"] = par.string(
            "control_condition", required=True, choices=REPAINT_CONDITIONS
        )
        normalised["strength"] = par.number("strength", lo=0.0, hi=1.0, default=1.0)
    else:
        masks = [k for k in ("mask_image_url", "mask_video_url") if inp.raw(k) is not None]
        if len(masks) != 1:
            raise InvalidParameter(
                "video_edit needs exactly one of input.mask_image_url and input.mask_video_url"
            )
        stored[masks[0]] = inp.media_url(masks[0], required=True)
        stored["mask_frame_id"] = inp.integer("mask_frame_id", lo=1, hi=MASK_FRAME_MAX, default=1)
        normalised["control_condition"] = par.string(
            "control_condition", default="", choices=EDIT_CONDITIONS
        )
        normalised["mask_type"] = par.string("mask_type", default="tracking", choices=MASK_TYPES)
        normalised["expand_ratio"] = par.number("expand_ratio", lo=0.0, hi=1.0, default=0.05)
        normalised["expand_mode"] = par.string("expand_mode", default="hull", choices=EXPAND_MODES)
        if (size := par.string("size", choices=SIZES)) is not None:
            normalised["size"] = size
    subjects: list[str] = stored.get("ref_images_url", [])
    media = [(f"input.ref_images_url[{i}]", url) for i, url in enumerate(subjects)]
    urls = [(f"input.{k}", v) for k, v in stored.items() if k.endswith("_url")]
    return [(field, url) for field, url in urls if isinstance(url, str)] + media


def _mask(data: bytes, size: tuple[int, int]) -> Any:
    """A mask image (white: the region to re-draw) of exactly the video's ``size``."""
    decoded = decode_wan_image(data, field="mask_image_url", sides=(2, 8000))
    if decoded.image.size != size:
        raise MediaInvalid(
            f"input.mask_image_url must be the video's size {size[0]}x{size[1]}, "
            f"got {decoded.image.size[0]}x{decoded.image.size[1]}"
        )
    return np.asarray(decoded.image.convert("L"), dtype=np.uint8) > 127


def _url_list(inp: Fields, key: str) -> list[str]:
    value = inp.raw(key)
    if not isinstance(value, list) or not value:
        raise InvalidParameter(f"{inp.name(key)} must be a non-empty list of image URLs")
    urls = []
    for i, item in enumerate(value):
        url = Fields({f"{key}[{i}]": item}, inp.path).media_url(f"{key}[{i}]", required=True)
        assert url is not None
        urls.append(url)
    return urls


def _obj_or_bg(par: Fields, count: int) -> list[str]:
    value = par.raw("obj_or_bg")
    if value is None:
        return ["obj"] * count
    if (
        not isinstance(value, list)
        or len(value) != count
        or any(item not in ("obj", "bg") for item in value)
    ):
        raise InvalidParameter(
            f"parameters.obj_or_bg must list 'obj' or 'bg' for each of the {count} "
            f"input.ref_images_url images, got {str(value)[:60]}"
        )
    if value.count("bg") > 1:
        raise InvalidParameter("parameters.obj_or_bg may mark at most one image 'bg'")
    return list(value)


def _reference(data: bytes, index: int) -> RGBAImage:
    decoded = decode_wan_image(data, field=f"ref_images_url[{index}]", sides=(240, 8000))
    return np.asarray(decoded.image.convert("RGBA"), dtype=np.uint8)


async def _video(load: MediaLoader, field: str, url: str, seconds: float) -> DecodedVideo:
    data = await load(field, url, VIDEO_BYTES)
    return await asyncio.to_thread(decode_video, data, field=field, max_seconds=seconds)
