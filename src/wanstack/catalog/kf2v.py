"""First-and-last-frame to video (addendum §2.10): wan2.2-kf2v-flash and wanx2.1-kf2v-plus.

``input.first_frame_url`` (required; the output follows its aspect ratio), ``last_frame_url``
(the image the video ends on), ``prompt`` (≤ 800, cut; may be null), ``negative_prompt`` (≤ 500),
``template`` (recorded; no engine applies effects); the SDK's ``head_frame`` / ``tail_frame``
are the same images. ``parameters.resolution`` (flash: 480P/720P/1080P, plus: 720P; default
720P), ``duration`` (fixed 5), ``prompt_extend``, ``watermark``, ``seed``. On
``image2video/video-synthesis`` (and ``video-generation/video-synthesis``, where the v2 client
and gateways send it). Silent videos; usage ``{video_duration, video_count}`` with ``SR``
(2.2) or ``video_ratio: "standard"`` (2.1).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from wanstack.catalog.base import MediaLoader, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.wan_video import (
    IMAGE_BYTES,
    VideoModel,
    WanVideoBase,
    checked_image,
    i2v_size,
)
from wanstack.domain import Task
from wanstack.engines.requests import VideoRequest

ENDPOINTS = frozenset({"image2video/video-synthesis", "video-generation/video-synthesis"})
_KF: dict[str, Any] = {"audio": False, "shot_type": False, "durations": (5,), "prompt_chars": 800}
MODELS = (
    VideoModel(
        "wan2.2-kf2v-flash", resolutions=("480P", "720P", "1080P"), default_resolution="720P",
        usage="kf_sr", **_KF,
    ),
    VideoModel(
        "wanx2.1-kf2v-plus", resolutions=("720P",), default_resolution="720P",
        usage="standard", aliases=("wan2.1-kf2v-plus",), **_KF,
    ),
)  # fmt: skip


class KeyframesToVideo(WanVideoBase):
    prompt_required = False
    endpoints = ENDPOINTS

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        # the SDK's head_frame / tail_frame, and img_url where gateways send an i2v body
        first_key = next(
            (k for k in ("first_frame_url", "head_frame", "img_url") if k in inp.data),
            "first_frame_url",
        )
        first = inp.media_url(first_key, required=True)
        last_key = "last_frame_url" if "last_frame_url" in inp.data else "tail_frame"
        last = inp.media_url(last_key)
        normalised_input, normalised = self._common(inp, par)
        assert first is not None
        normalised_input["first_frame_url"] = first
        if last is not None:
            normalised_input["last_frame_url"] = last
        template = inp.string("template")
        if template:
            normalised_input["template"] = template
        normalised["resolution"] = par.string(
            "resolution", default=self.row.default_resolution, choices=self.row.resolutions
        )
        return Submission(
            input=normalised_input,
            parameters=normalised,
            media=self._media(normalised_input, "first_frame_url", "last_frame_url"),
        )

    async def prepare(self, task: Task, load: MediaLoader) -> VideoRequest:
        self._check_duration(task)
        urls = [task.input["first_frame_url"], task.input.get("last_frame_url")]
        fields = ["input.first_frame_url", "input.last_frame_url"]
        blobs = await asyncio.gather(
            *(load(f, u, IMAGE_BYTES) for f, u in zip(fields, urls, strict=True) if u)
        )
        images = [await asyncio.to_thread(checked_image, data) for data in blobs]
        height, width = images[0].shape[:2]
        size = i2v_size((width, height), task.parameters["resolution"])
        request = self._request(task, image=images[0], size=size, audio=None)
        if len(images) == 2:
            request = replace(request, last_image=images[1])
        return request


SPECS = tuple(KeyframesToVideo(row) for row in MODELS)
