"""wan2.6-t2v and wan2.6-i2v: text to video and image to video (seed 000, contract §4.2).

Both: ``input.prompt`` (≤ 1500 characters; required for t2v), ``input.negative_prompt`` (≤ 500),
``input.audio_url`` (wav or mp3, 3–30 s, ≤ 15 MB; checked when the task runs; also accepted in
``parameters``, where old SDKs put it), ``parameters.duration`` (integer 2–15, default 5),
``prompt_extend`` (default true), ``shot_type`` (``single`` | ``multi``; only with
``prompt_extend``), ``watermark``, ``seed``. The 1.x SDK's ``input.extend_prompt`` and
``input.function`` are ignored.

* t2v: ``parameters.size``, one of the 720P or 1080P sizes (default ``1920*1080``; 480P is
  refused).
* i2v: ``input.img_url`` (JPEG/PNG/BMP/WEBP, sides 240–8000, ≤ 20 MB), ``parameters.resolution``
  ``720P`` | ``1080P`` (default 1080P): the video keeps the image's aspect ratio, has about
  1280×720 or 1920×1080 pixels, and both sides are multiples of 16.

Videos are 30 frames per second.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from PIL import Image

from wanstack.catalog.base import MediaLoader, StoredItem, Submission, file_ref
from wanstack.catalog.fields import Fields
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.engines.base import RGBImage
from wanstack.engines.requests import AudioTrack, VideoRequest
from wanstack.errors import InvalidParameter, MediaInvalid, TaskError, UnsupportedFileFormat
from wanstack.ident import new_seed
from wanstack.media import decode_wan_image

log = logging.getLogger(__name__)

T2V = "wan2.6-t2v"
I2V = "wan2.6-i2v"
#: Video models: their tasks report no ``task_metrics`` (one video, not n images).
VIDEO_MODELS = frozenset({T2V, I2V})
FPS = 30
PROMPT_CHARS = 1500
NEGATIVE_CHARS = 500
DURATION = (2, 15)
DEFAULT_DURATION = 5
SIZES_720P = ("1280*720", "720*1280", "960*960", "1088*832", "832*1088")
SIZES_1080P = ("1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632")
SIZES_480P = ("832*480", "480*832", "624*624")
SIZES = SIZES_720P + SIZES_1080P
DEFAULT_SIZE = "1920*1080"
#: i2v: ``resolution`` → (pixel budget, short-side class reported as ``usage.SR``)
RESOLUTIONS = {"480P": (832 * 480, 480), "720P": (1280 * 720, 720), "1080P": (1920 * 1080, 1080)}
DEFAULT_RESOLUTION = "1080P"
SHOT_TYPES = ("single", "multi")
IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_SIDES = (240, 8000)
AUDIO_BYTES = 15 * 1024 * 1024
AUDIO_SECONDS = (3.0, 30.0)
AUDIO_FORMATS = {"wav": ".wav", "mp3": ".mp3"}
SEED_MAX = 2147483647


def short_side_class(width: int, height: int) -> int:
    """``usage.SR`` of an output size: 1080, 720 or 480 by its pixel budget."""
    pixels = width * height
    return 1080 if pixels > 1_500_000 else (720 if pixels > 600_000 else 480)


@dataclass(frozen=True, slots=True)
class VideoModel:
    """One video model's rules (addendum §2.11–2.12): the wan2.6 models and the older ones."""

    model: str
    prompt_chars: int = PROMPT_CHARS
    #: allowed durations; one value: fixed (another value FAILS the task when it runs)
    durations: tuple[int, ...] = tuple(range(DURATION[0], DURATION[1] + 1))
    default_duration: int = DEFAULT_DURATION
    audio: bool = True  #: takes ``audio_url``
    shot_type: bool = True  #: takes ``shot_type``
    sizes: tuple[str, ...] = SIZES  #: t2v
    default_size: str = DEFAULT_SIZE
    resolutions: tuple[str, ...] = ("720P", "1080P")  #: i2v
    default_resolution: str = DEFAULT_RESOLUTION
    #: "wan26": {duration, size (t2v), input_video_duration, output_video_duration, video_count,
    #: SR}; "ratio": {video_duration, video_ratio: W*H, video_count}; "sr": {duration, SR,
    #: video_count}; "standard": {video_duration, video_ratio: "standard", video_count}
    usage: str = "wan26"
    aliases: tuple[str, ...] = ()


_OLD: dict[str, Any] = {"shot_type": False, "audio": False, "durations": (5,), "prompt_chars": 800}
T2V_MODELS = (
    VideoModel(T2V),
    VideoModel(
        "wan2.5-t2v-preview", sizes=SIZES_480P + SIZES, durations=(5, 10), shot_type=False,
        usage="ratio",
    ),
    VideoModel("wan2.2-t2v-plus", sizes=SIZES_480P + SIZES_1080P, usage="ratio", **_OLD),
    VideoModel(
        "wanx2.1-t2v-turbo", sizes=SIZES_480P + SIZES_720P, default_size="1280*720",
        usage="ratio", aliases=("wan2.1-t2v-turbo",), **_OLD,
    ),
    VideoModel(
        "wanx2.1-t2v-plus", sizes=SIZES_720P, default_size="1280*720", usage="ratio",
        aliases=("wan2.1-t2v-plus",), **_OLD,
    ),
)  # fmt: skip
I2V_MODELS = (
    VideoModel(I2V),
    VideoModel(
        "wan2.5-i2v-preview", resolutions=("480P", "720P", "1080P"), durations=(5, 10),
        shot_type=False, usage="sr",
    ),
    VideoModel(
        "wan2.2-i2v-flash", resolutions=("480P", "720P", "1080P"), default_resolution="720P",
        usage="sr", **_OLD,
    ),
    VideoModel("wan2.2-i2v-plus", resolutions=("480P", "1080P"), usage="sr", **_OLD),
    VideoModel(
        "wanx2.1-i2v-turbo", resolutions=("480P", "720P"), default_resolution="720P",
        usage="standard", aliases=("wan2.1-i2v-turbo",),
        **{**_OLD, "durations": (3, 4, 5)},
    ),
    VideoModel(
        "wanx2.1-i2v-plus", resolutions=("720P",), default_resolution="720P", usage="standard",
        aliases=("wan2.1-i2v-plus",), **_OLD,
    ),
)  # fmt: skip


def i2v_size(image_size: tuple[int, int], resolution: str) -> tuple[int, int]:
    """Output (width, height) for an input image: its aspect ratio, about the resolution's pixel
    count, both sides rounded to multiples of 16 (at least 16)."""
    budget, _ = RESOLUTIONS[resolution]
    width, height = image_size
    aspect = width / height
    out_w = math.sqrt(budget * aspect)
    out_h = math.sqrt(budget / aspect)
    return max(16, round(out_w / 16) * 16), max(16, round(out_h / 16) * 16)


class WanVideoBase:
    """What both video models share: prompts, audio, duration, shot type, seed."""

    endpoints = frozenset({"video-generation/video-synthesis"})
    prompt_required: bool

    def __init__(self, row: VideoModel) -> None:
        self.row = row
        self.model = row.model
        self.aliases = row.aliases

    def _common(self, inp: Fields, par: Fields) -> tuple[dict[str, Any], dict[str, Any]]:
        row = self.row
        prompt = inp.string(
            "prompt",
            required=self.prompt_required,
            non_empty=self.prompt_required,
            max_chars=row.prompt_chars,
        )
        negative = inp.string("negative_prompt", max_chars=NEGATIVE_CHARS)
        # Old SDKs (1.22 / 1.24) send audio_url among the parameters (contract C40).
        audio = inp.media_url("audio_url")
        if audio is None:
            audio = par.media_url("audio_url")
        if audio is not None and not row.audio:
            raise InvalidParameter(f"input.audio_url: {row.model} makes silent videos")
        prompt_extend = par.boolean("prompt_extend", default=True)
        shot_type = par.string("shot_type", default="single", choices=SHOT_TYPES)
        if not row.shot_type:  # older models make one shot (their shot_type is ignored)
            shot_type = "single"
        seed = par.integer("seed", lo=0, hi=SEED_MAX)
        normalised_input: dict[str, Any] = {"prompt": prompt or ""}
        if negative:
            normalised_input["negative_prompt"] = negative
        if audio is not None:
            normalised_input["audio_url"] = audio
        parameters: dict[str, Any] = {
            "duration": self._duration(par),
            "prompt_extend": prompt_extend,
            "shot_type": shot_type,
            "watermark": par.boolean("watermark", default=False),
            # Fixed at submit so that a retried attempt reproduces the same video.
            "seed": seed if seed is not None else new_seed(),
        }
        return normalised_input, parameters

    def _duration(self, par: Fields) -> int:
        durations = self.row.durations
        if len(durations) == 1:  # fixed: another value is accepted, and fails when it runs
            value = par.integer("duration", lo=1, hi=DURATION[1], default=durations[0])
        else:
            value = par.integer(
                "duration", lo=durations[0], hi=durations[-1], default=self.row.default_duration
            )
            if value not in durations:
                allowed = ", ".join(str(d) for d in durations)
                raise InvalidParameter(
                    f"parameters.duration: {self.model} makes videos of {allowed} seconds, "
                    f"got {value}"
                )
        assert value is not None
        return value

    def _check_duration(self, task: Task) -> None:
        if task.parameters["duration"] not in self.row.durations:
            raise TaskError("duration customization is not supported", code="InvalidParameter")

    @staticmethod
    def _media(inp: dict[str, Any], *keys: str) -> list[tuple[str, str]]:
        return [(f"input.{k}", inp[k]) for k in keys if k in inp]

    async def _audio(self, task: Task, load: MediaLoader) -> AudioTrack | None:
        url = task.input.get("audio_url")
        if url is None:
            return None
        data = await load("input.audio_url", url, AUDIO_BYTES)
        return await asyncio.to_thread(probe_audio, data)

    def outcome(self, request: VideoRequest, items: Sequence[StoredItem]) -> Outcome:
        """``video_url`` and ``orig_prompt``, and DashScope's video usage (t2v also reports the
        size it was asked for)."""
        videos = [item for item in items if item.key is not None and item.video is not None]
        if not videos:
            log.error("%s: the engine returned no video", self.model)
            error = TaskError()
            return Outcome(
                status=TaskStatus.FAILED,
                output={"task_metrics": {"TOTAL": 1, "SUCCEEDED": 0, "FAILED": 1}},
                code=error.code,
                message=error.message,
            )
        video, key = videos[0].video, videos[0].key
        assert video is not None and key is not None
        usage = self._usage(request, video.width, video.height)
        return Outcome(
            status=TaskStatus.SUCCEEDED,
            output={"video_url": file_ref(key), "orig_prompt": request.prompt},
            usage=usage,
        )

    def _usage(self, request: VideoRequest, width: int, height: int) -> dict[str, Any]:
        seconds = request.duration
        kind = self.row.usage
        if kind == "ratio":
            return {"video_duration": seconds, "video_ratio": f"{width}*{height}", "video_count": 1}
        if kind == "standard":
            return {"video_duration": seconds, "video_ratio": "standard", "video_count": 1}
        if kind == "kf_sr":
            return {
                "video_duration": seconds,
                "video_count": 1,
                "SR": short_side_class(width, height),
            }
        if kind == "sr":
            return {"duration": seconds, "SR": short_side_class(width, height), "video_count": 1}
        usage: dict[str, Any] = {"duration": seconds}
        if request.image is None:
            usage["size"] = f"{width}*{height}"
        usage.update(
            input_video_duration=0,
            output_video_duration=seconds,
            video_count=1,
            SR=short_side_class(width, height),
        )
        return usage

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return {}  # a video task shows no task_metrics

    @staticmethod
    def _request(
        task: Task, *, image: RGBImage | None, size: tuple[int, int], audio: AudioTrack | None
    ) -> VideoRequest:
        inp, params = task.input, task.parameters
        # shot_type only takes effect together with prompt_extend (contract §4.2).
        shot_type = params["shot_type"] if params["prompt_extend"] else "single"
        return VideoRequest(
            prompt=inp.get("prompt", ""),
            negative_prompt=inp.get("negative_prompt", ""),
            image=image,
            size=size,
            duration=params["duration"],
            fps=FPS,
            shot_type=shot_type,
            audio=audio,
            seed=params["seed"],
        )


class WanT2V(WanVideoBase):
    prompt_required = True

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        normalised_input, normalised = self._common(inp, par)
        sizes = self.row.sizes
        size = par.string("size", default=self.row.default_size)
        assert size is not None
        if size not in sizes:
            allowed = ", ".join(repr(s) for s in sizes)
            why = ""
            if size in SIZES_480P:
                why = f" (480P sizes are not supported by {self.model})"
            raise InvalidParameter(
                f"parameters.size must be one of {allowed}, got {size[:40]!r}{why}"
            )
        normalised["size"] = size
        return Submission(
            input=normalised_input,
            parameters=normalised,
            media=self._media(normalised_input, "audio_url"),
        )

    async def prepare(self, task: Task, load: MediaLoader) -> VideoRequest:
        self._check_duration(task)
        width, height = (int(v) for v in task.parameters["size"].split("*"))
        audio = await self._audio(task, load)
        return self._request(task, image=None, size=(width, height), audio=audio)


class WanI2V(WanVideoBase):
    prompt_required = False

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        par = Fields(parameters, "parameters")
        image = inp.media_url("img_url", required=True)
        assert image is not None
        normalised_input, normalised = self._common(inp, par)
        normalised_input["img_url"] = image
        template = inp.string("template")
        if template:
            normalised_input["template"] = template  # kept for the record; no engine uses it
        normalised["resolution"] = par.string(
            "resolution", default=self.row.default_resolution, choices=self.row.resolutions
        )
        return Submission(
            input=normalised_input,
            parameters=normalised,
            media=self._media(normalised_input, "img_url", "audio_url"),
        )

    async def prepare(self, task: Task, load: MediaLoader) -> VideoRequest:
        self._check_duration(task)
        # 1. Fetch the image and the soundtrack together.
        image_bytes, audio = await asyncio.gather(
            load("input.img_url", task.input["img_url"], IMAGE_BYTES), self._audio(task, load)
        )
        # 2. Decode and check the image; the output follows its aspect ratio.
        image = await asyncio.to_thread(checked_image, image_bytes)
        height, width = image.shape[:2]
        size = i2v_size((width, height), task.parameters["resolution"])
        return self._request(task, image=image, size=size, audio=audio)


def checked_image(data: bytes) -> RGBImage:
    """An i2v input image as RGB: JPEG/PNG/BMP/WEBP, each side 240–8000 pixels. Transparent
    pixels are flattened onto white."""
    decoded = decode_wan_image(data, field="img_url", sides=IMAGE_SIDES)
    image = decoded.image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def probe_audio(data: bytes) -> AudioTrack:
    """Check an ``audio_url`` file: a wav or mp3 with an audio stream, 3–30 seconds long."""
    try:
        with av.open(io.BytesIO(data), "r") as container:
            name = container.format.name
            streams = container.streams.audio
            if not streams:
                raise UnsupportedFileFormat("audio_url: the file has no audio stream")
            if container.duration is not None:
                seconds = container.duration / av.time_base
            else:
                stream = streams[0]
                if stream.duration is None or stream.time_base is None:
                    raise MediaInvalid("audio_url: the length of the audio could not be read")
                seconds = float(stream.duration * stream.time_base)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise UnsupportedFileFormat(
            "audio_url must be a wav or mp3 file; the file could not be read as audio"
        ) from exc
    suffix = next((ext for fmt, ext in AUDIO_FORMATS.items() if fmt in name.split(",")), None)
    if suffix is None:
        raise UnsupportedFileFormat(f"audio_url must be a wav or mp3 file, but is {name}")
    lo, hi = AUDIO_SECONDS
    if not lo <= seconds <= hi:
        raise MediaInvalid(
            f"audio_url: the audio must be from {lo:g} to {hi:g} seconds long, "
            f"but is {seconds:.2f} seconds"
        )
    return AudioTrack(data=data, filename=f"audio{suffix}", seconds=seconds)


T2V_SPECS = tuple(WanT2V(row) for row in T2V_MODELS)
I2V_SPECS = tuple(WanI2V(row) for row in I2V_MODELS)
