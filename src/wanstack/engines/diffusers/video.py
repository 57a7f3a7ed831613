"""``wan2.6-t2v`` and ``wan2.6-i2v`` on Wan 2.x open weights (Apache-2.0): DashScope's video
contract on models that make about 5 s.

Layouts, all read from the weights: Wan 2.1 (T2V-1.3B/14B; I2V-14B with its CLIP image
encoder), Wan 2.2 TI2V-5B (``expand_timesteps``, VAE 2.2; one folder serves both models, the
i2v pipeline made from the t2v one with the same modules) and Wan 2.2 A14B (two experts switched
at ``boundary_ratio``).

Per task:

1. **Shots.** ``shot_type: single`` is one shot. ``multi`` splits the prompt into its clauses
   (sentences, and "然后 / then"-style steps; :func:`wanstack.engines.interleave.clauses`), at
   most four shots (a one-clause prompt makes two shots from different seeds); the output frames
   are shared out evenly and the shots are joined with hard cuts.
2. **Frames at the model's rate.** Each shot is generated at the model's native rate (24 fps
   for TI2V-5B, 16 for the others; option ``fps``) and resolution (the requested aspect, at most
   ``max_pixels``, default 1280×720), in clips of at most the native length (121 or 81 frames;
   option ``segment_frames``). A longer shot continues from the last frame of the clip before
   through the image-to-video pipeline (the t2v model's own for TI2V-5B, or the weights of the
   option ``continue_weights``); the repeated frame is dropped and the new clip's colour is
   matched to it at the seam. Without an image-to-video pipeline the shot is one long clip.
3. **DashScope's frames.** The frames are retimed to exactly ``duration × 30`` at 30 fps by
   optical-flow interpolation, cover-fitted to the exact requested size, and encoded as H.264
   (with ``audio_url``'s track muxed, trimmed or looped, as every engine does).

``negative_prompt`` is the negative prompt; ``seed`` seeds every clip (the same seed, the same
video); cancelling stops within one denoising step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from wanstack.engines import interleave
from wanstack.engines.base import CancelToken, VideoItem
from wanstack.engines.diffusers import frames, pictures, runtime
from wanstack.engines.diffusers.common import DiffusersEngine, Progress
from wanstack.engines.diffusers.frames import Pixels
from wanstack.engines.diffusers.options import option_error
from wanstack.engines.diffusers.runtime import Resident, WeightsError
from wanstack.engines.framing import cover
from wanstack.engines.mp4 import encode_mp4
from wanstack.engines.requests import AudioTrack, VideoRequest

T2V, I2V = "WanPipeline", "WanImageToVideoPipeline"
VIDEO_PIXELS = 1280 * 720  #: default generation cap: Wan's 720P
MAX_SHOTS = 4
SEED_MOD = 2**31


def native(resident: Resident) -> tuple[int, int]:
    """(frames per second, frames per clip) the weights were trained for."""
    if getattr(resident.pipe.config, "expand_timesteps", False):  # Wan 2.2 TI2V-5B
        return 24, 121
    return 16, 81


def shots(request: VideoRequest) -> list[tuple[str, int]]:
    """(prompt, output frames) per shot; the frames add up to ``duration × fps``."""
    total = request.duration * request.fps
    if request.shot_type != "multi":
        return [(request.prompt, total)]
    parts = interleave.clauses(request.prompt)[:MAX_SHOTS] or [request.prompt]
    if len(parts) == 1:
        parts = parts * 2
    bounds = [round(total * i / len(parts)) for i in range(len(parts) + 1)]
    return [(p, bounds[i + 1] - bounds[i]) for i, p in enumerate(parts)]


def deliver(
    frames: Iterable[Pixels],
    size: tuple[int, int],
    fps: int,
    total: int,
    audio: AudioTrack | None,
    cancel: CancelToken,
) -> list[VideoItem]:
    """The task's one video: ``frames`` (exactly ``total``, each ``size``) encoded as H.264 with
    ``audio`` muxed, reported finished to ``cancel``."""
    mp4 = encode_mp4(frames, size=size, fps=fps, frame_count=total, audio=audio, cancel=cancel)
    item = VideoItem(
        mp4=mp4, width=size[0], height=size[1], frames=total, fps=fps, has_audio=audio is not None
    )
    cancel.item_done(0, item)
    return [item]


class WanClips(DiffusersEngine):
    """Base of the engines that make Wan clips: the generation cap (default 720P) and the clip
    layout, the weights' native rate and length unless the options ``fps`` / ``segment_frames``
    set them."""

    numbers: ClassVar[Mapping[str, tuple[type, float, float]]] = {
        "fps": (int, 8, 30),
        "segment_frames": (int, 5, 257),
    }

    def __init__(self, **raw: Any) -> None:
        super().__init__(**raw)
        self._max_pixels = self.options.max_pixels if "max_pixels" in raw else VIDEO_PIXELS
        segment = self.options.extra.get("segment_frames")
        if segment is not None and (int(segment) - 1) % 4:
            raise option_error(self.model, '"segment_frames" must be 4k+1 (Wan\'s VAE)')

    def layout(self) -> tuple[int, int]:
        """(frames per second, frames per clip) that this engine generates."""
        fps, length = native(self.resident)
        extra = self.options.extra
        return int(extra.get("fps", fps)), int(extra.get("segment_frames", length))


class _WanVideo(WanClips):
    def __init__(self, **raw: Any) -> None:
        super().__init__(**raw)
        self._continue: Resident | None = None

    def describe(self) -> dict[str, Any]:
        how = self._continue.class_name if self._continue is not None else "one long clip"
        fps, length = self.layout()
        return {**super().describe(), "continuation": how, "fps": fps, "segment_frames": length}

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        cancel.check()
        resident = self.resident
        fps, length = self.layout()
        size = runtime.generation_size(request.size, self._max_pixels, resident.multiple)
        plan = [(p, n, frames.frames_needed(n, request.fps, fps)) for p, n in shots(request)]
        calls = sum(self._calls(needed, length) for _, _, needed in plan)
        task = _Task(request, size, Progress(cancel, calls), cancel)
        clips = []
        for index, (prompt, count, needed) in enumerate(plan):
            seed = (request.seed + 7919 * index) % SEED_MOD
            clips.append((self._shot(task, prompt, needed, length, seed), count))
        total = request.duration * request.fps

        def output() -> Iterator[Pixels]:
            for made, count in clips:
                for frame in frames.retime(made, fps, request.fps, count):
                    yield cover(frame, request.size)

        return deliver(output(), request.size, request.fps, total, request.audio, cancel)

    def _calls(self, needed: int, length: int) -> int:
        if self._continue is None:
            return 1
        return frames.segments(needed, length, length)

    def _shot(
        self,
        task: _Task,
        prompt: str,
        needed: int,
        length: int,
        seed: int,
    ) -> list[Pixels]:
        """At least ``needed`` frames of one shot, at the generation size and rate."""
        request = task.request
        image = None if request.image is None else cover(request.image, task.size)
        # kf2v: the clip that reaches the end is told the image to end on (Wan's last_image)
        end = None if request.last_image is None else cover(request.last_image, task.size)
        first = frames.clip_frames(min(needed, length) if self._continue else needed)
        final = first >= needed
        made = list(
            self._clip(self.resident, task, prompt, first, image, seed, end if final else None)
        )
        while len(made) < needed and self._continue is not None:
            task.cancel.check()
            count = frames.clip_frames(min(length, needed - len(made) + 1))
            final = len(made) + count - 1 >= needed
            seed = (seed + 1) % SEED_MOD
            clip = self._clip(
                self._continue, task, prompt, count, made[-1], seed, end if final else None
            )
            made += frames.match_colour(list(clip)[1:], made[-1])
        return made

    def _clip(
        self,
        resident: Resident,
        task: _Task,
        prompt: str,
        count: int,
        image: Pixels | None,
        seed: int,
        end: Pixels | None = None,
    ) -> np.ndarray[Any, Any]:
        settings = self.settings(resident)
        negative = task.request.negative_prompt or settings.pop("negative_prompt")
        settings.pop("negative_prompt", None)
        clip = resident.call(
            task.cancel,
            task.progress.step,
            prompt=prompt,
            negative_prompt=negative or None,
            image=None if image is None else pictures.to_pil(image),
            last_image=None if end is None else pictures.to_pil(end),
            height=task.size[1],
            width=task.size[0],
            num_frames=count,
            generator=resident.generator(seed),
            **settings,
        )
        task.progress.call_done()
        return clip


@dataclass(frozen=True, slots=True)
class _Task:
    """What every clip of one task shares."""

    request: VideoRequest
    size: tuple[int, int]  #: the generation size
    progress: Progress
    cancel: CancelToken


class DiffusersTextToVideo(_WanVideo):
    """wan2.6-t2v on ``WanPipeline`` weights (Wan 2.1, Wan 2.2 TI2V-5B, Wan 2.2 A14B)."""

    model = "wan2.6-t2v"
    pipelines = frozenset({T2V})
    extra_keys = ("continue_weights",)

    def load(self) -> None:
        super().load()
        weights = self.options.extra.get("continue_weights")
        if weights:
            self._continue = runtime.load(self.options, {I2V}, weights=str(weights))
        elif getattr(self.resident.pipe.config, "expand_timesteps", False):
            self._continue = runtime.load(self.options, {I2V}, convert={T2V: I2V})


class DiffusersImageToVideo(_WanVideo):
    """wan2.6-i2v on ``WanImageToVideoPipeline`` weights, or Wan 2.2 TI2V-5B's ``WanPipeline``
    folder (the same modules run as image-to-video)."""

    model = "wan2.6-i2v"
    pipelines = frozenset({I2V})
    convert: ClassVar[Mapping[str, str]] = {T2V: I2V}

    def load(self) -> None:
        super().load()
        if not getattr(self.resident.pipe.config, "expand_timesteps", False) and (
            self.resident.pipe.transformer.config.in_channels
            == self.resident.pipe.transformer.config.out_channels
        ):
            raise WeightsError(
                f"{self.model}: the weights {self.options.weights} are text-to-video only (Wan 2.1 "
                "T2V or Wan 2.2 T2V-A14B); use image-to-video weights (Wan 2.1 I2V, Wan 2.2 "
                "I2V-A14B) or Wan 2.2 TI2V-5B"
            )
        self._continue = self.resident
