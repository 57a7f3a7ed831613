"""``wanx2.1-vace-plus`` on Wan 2.1 VACE open weights (``WanVACEPipeline``; Apache-2.0, 1.3B at
480P or 14B at 720P): the generative counterpart of the classic engine, for the same three
functions. VACE conditions one Wan clip on a *context video* (frames to keep, grey where it
draws), a *mask video* (white where it draws) and *reference images*; each function is one such
call.

* ``image_reference``: the references are the conditioning images (an ``obj`` with transparency
  flattened onto white, the way VACE's subject references are shot; the ``bg`` one as it is) and
  the whole clip is drawn from the prompt around them.
* ``video_extension``: the first clip (or first frame) opens the context video, the last clip
  (or last frame) closes it, each sampled at the generation rate, and the frames between are
  drawn. In the output, the kept ends are the input clips themselves, played at 30 fps and
  covered to the size (a clip longer than the output keeps its beginning; a last clip, its
  ending), and the drawn stretch takes the colour of the frame it continues from.
* ``video_outpainting``: each frame sits on a canvas grown by the four scales (a side scaled by
  ``s`` gains ``(s - 1) / 2`` of the picture's extent, as the classic engine and imageedit's
  ``expand``), and the border is drawn. In the output the source pixels are pasted back over
  the drawn ones, feathered over a thin band inside their edge, so the picture keeps its
  detail; a video shorter than the output holds its last frame, a longer one is cut.

The clip is generated at the model's rate (16 fps; option ``fps``) and at most ``max_pixels``
(default 1280x720) in one call of at most ``segment_frames`` (default 81, 5 s at 16 fps), then
retimed to exactly ``duration x 30`` frames by optical-flow interpolation and encoded as a
silent H.264 MP4. ``seed`` seeds the call (the same seed, the same video); cancelling stops
within one denoising step. ``video_repainting`` and ``video_edit`` need pose, depth and object
tracking annotators that no engine here runs yet; the catalog refuses them at submit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from wanstack.engines.base import CancelToken, RGBAImage, VideoItem
from wanstack.engines.diffusers import frames, pictures, runtime
from wanstack.engines.diffusers.common import Progress
from wanstack.engines.diffusers.frames import Pixels
from wanstack.engines.diffusers.video import WanClips, deliver
from wanstack.engines.framing import cover
from wanstack.engines.requests import VACE_FUNCTIONS, VaceRequest
from wanstack.errors import MediaInvalid

VACE = "WanVACEPipeline"
GREY = 127  #: the context video's value where VACE draws (0 in the model's [-1, 1] range)
FEATHER = 0.015  #: outpainting: the source blends in over this fraction of its short side
Box = tuple[int, int, int, int]  #: x, y, width, height


@dataclass
class _Context:
    """One VACE call's conditioning (None: the pipeline's default, draw everything)."""

    video: list[Image.Image] | None = None
    mask: list[Image.Image] | None = None
    references: list[Image.Image] = field(default_factory=list)


class DiffusersVace(WanClips):
    """wanx2.1-vace-plus's image_reference, video_extension and video_outpainting on
    ``WanVACEPipeline`` weights; see the module docstring."""

    model = "wanx2.1-vace-plus"
    pipelines = frozenset({VACE})

    def describe(self) -> dict[str, Any]:
        fps, length = self.layout()
        return {
            **super().describe(),
            "functions": list(VACE_FUNCTIONS),
            "fps": fps,
            "segment_frames": length,
        }

    def run(self, request: VaceRequest, cancel: CancelToken) -> list[VideoItem]:
        check(request)
        cancel.check()
        resident = self.resident
        gen_fps, length = self.layout()
        size = runtime.generation_size(request.size, self._max_pixels, resident.multiple)
        total = request.duration * request.fps
        needed = frames.frames_needed(total, request.fps, gen_fps)
        count = frames.clip_frames(min(needed, length))
        # a clip capped below what the duration needs is spread over all of it
        rate = gen_fps if count >= needed else (count - 1) * request.fps / max(total - 1, 1)
        context = _context(request, size, count, rate)
        settings = self.settings(resident)
        negative = settings.pop("negative_prompt")
        progress = Progress(cancel, 1)
        clip = resident.call(
            cancel,
            progress.step,
            prompt=request.prompt,
            negative_prompt=negative or None,
            video=context.video,
            mask=context.mask,
            reference_images=context.references or None,
            height=size[1],
            width=size[0],
            num_frames=count,
            generator=resident.generator(request.seed),
            **settings,
        )
        progress.call_done()
        made = [
            cover(frame, request.size)
            for frame in frames.retime(list(clip), rate, request.fps, total)
        ]
        if request.function == "video_extension":
            made = _kept_ends(request, made)
        elif request.function == "video_outpainting":
            made = list(_pasted_back(request, made))

        return deliver(made, request.size, request.fps, total, None, cancel)


def check(request: VaceRequest) -> None:
    """Raise :class:`MediaInvalid` for a request no video can be made from."""
    if request.function not in VACE_FUNCTIONS:
        raise MediaInvalid(
            f"function {request.function!r} is not served; this engine serves "
            f"{', '.join(VACE_FUNCTIONS)}"
        )
    if request.duration <= 0 or request.fps <= 0:
        raise MediaInvalid("duration and fps must be positive")
    clips = request.first_clip or request.last_clip or request.video
    if clips and request.clip_fps <= 0:
        raise MediaInvalid("an input video's frame rate (clip_fps) must be positive")
    if request.function == "image_reference" and not 1 <= len(request.references) <= 3:
        raise MediaInvalid(
            f"image_reference takes 1 to 3 reference images, got {len(request.references)}"
        )
    if request.function == "video_extension" and not _heads(request) and not _tails(request):
        raise MediaInvalid(
            "video_extension has nothing to extend: give first_frame_url, last_frame_url, "
            "first_clip_url or last_clip_url"
        )
    if request.function == "video_outpainting" and not request.video:
        raise MediaInvalid("video_outpainting needs the video to outpaint (video_url)")


# ------------------------------------------------------------------------------ conditioning


def _context(request: VaceRequest, size: tuple[int, int], count: int, rate: float) -> _Context:
    if request.function == "image_reference":
        return _Context(
            references=[
                _reference(image, background)
                for image, background in zip(
                    request.references,
                    request.backgrounds or (False,) * len(request.references),
                    strict=True,
                )
            ]
        )
    grey = np.full((size[1], size[0], 3), GREY, np.uint8)
    if request.function == "video_extension":
        heads, tails = _heads(request), _tails(request)
        head = _sampled(heads, request.clip_fps, rate, count - 1)
        tail = _sampled(tails, request.clip_fps, rate, count - 1 - len(head), ending=True)
        gap = count - len(head) - len(tail)
        known = [cover(f, size) for f in head] + [grey] * gap + [cover(f, size) for f in tail]
        draw = [False] * len(head) + [True] * gap + [False] * len(tail)
        return _Context(
            video=[pictures.to_pil(f) for f in known],
            mask=[pictures.mask_pil(np.full((size[1], size[0]), d)) for d in draw],
        )
    # video_outpainting: the picture on its grown canvas, the border drawn
    source = request.video[0].shape[1], request.video[0].shape[0]
    x, y, w, h = outpaint_box(source, request.scales, size)
    border = np.ones((size[1], size[0]), bool)
    border[y : y + h, x : x + w] = False
    mask = pictures.mask_pil(border)
    video = []
    for j in range(count):
        frame = grey.copy()
        index = min(round(j * request.clip_fps / rate), len(request.video) - 1)
        frame[y : y + h, x : x + w] = pictures.resize(request.video[index][..., :3], (w, h))
        video.append(pictures.to_pil(frame))
    return _Context(video=video, mask=[mask] * count)


def _reference(image: RGBAImage, background: bool) -> Image.Image:
    """A reference as VACE wants it: an object with transparency on white, a background as is."""
    if image.shape[2] == 4 and not background and int(image[..., 3].min()) < 255:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        flat = image[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return pictures.to_pil(np.clip(flat + 0.5, 0, 255).astype(np.uint8))
    return pictures.to_pil(image[..., :3])


def _heads(request: VaceRequest) -> Sequence[Pixels]:
    first = request.first_frame
    return request.first_clip or (() if first is None else (first,))


def _tails(request: VaceRequest) -> Sequence[Pixels]:
    last = request.last_frame
    return request.last_clip or (() if last is None else (last,))


def _sampled(
    clip: Sequence[Pixels], clip_fps: float, rate: float, room: int, *, ending: bool = False
) -> list[Pixels]:
    """``clip`` at ``rate`` (nearest frames; a still is one frame), at most ``room`` frames: a
    clip too long keeps its beginning, or with ``ending`` its end."""
    if not clip or room <= 0:
        return []
    length = 1 if len(clip) == 1 else max(1, round(len(clip) * rate / clip_fps))
    picked = [clip[min(round(j * clip_fps / rate), len(clip) - 1)] for j in range(length)]
    return picked[-room:] if ending else picked[:room]


def outpaint_box(source: tuple[int, int], scales: tuple[float, ...], size: tuple[int, int]) -> Box:
    """Where a ``source`` (width, height) picture lands in a frame of ``size`` showing its
    canvas grown by ``scales`` (top, bottom, left, right), the canvas covered to the frame."""
    top, bottom, left, right = scales
    width, height = source
    canvas_w = width * (1 + (left - 1) / 2 + (right - 1) / 2)
    canvas_h = height * (1 + (top - 1) / 2 + (bottom - 1) / 2)
    scale = max(size[0] / canvas_w, size[1] / canvas_h)
    x = (size[0] - canvas_w * scale) / 2 + width * (left - 1) / 2 * scale
    y = (size[1] - canvas_h * scale) / 2 + height * (top - 1) / 2 * scale
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(size[0], round(x + width * scale)), min(size[1], round(y + height * scale))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


# ------------------------------------------------------------------------------ output


def _played(
    clip: Sequence[Pixels], clip_fps: float, fps: int, size: tuple[int, int]
) -> list[Pixels]:
    """``clip`` at the output rate and size (a still: one frame; none: none)."""
    if not clip:
        return []
    if len(clip) == 1:
        return [cover(clip[0][..., :3], size)]
    count = max(1, round(len(clip) * fps / clip_fps))
    return [cover(f, size) for f in frames.retime([c[..., :3] for c in clip], clip_fps, fps, count)]


def _kept_ends(request: VaceRequest, made: list[Pixels]) -> list[Pixels]:
    """The drawn extension with its ends replaced by the input clips themselves."""
    total = len(made)
    head = _played(_heads(request), request.clip_fps, request.fps, request.size)[:total]
    tail = _played(_tails(request), request.clip_fps, request.fps, request.size)
    tail = tail[len(tail) - min(len(tail), total - len(head)) :]
    middle = made[len(head) : total - len(tail)]
    if head and middle:  # the drawn stretch continues the last kept frame's colour
        middle = frames.match_colour(middle, head[-1])
    return [*head, *middle, *tail]


def _pasted_back(request: VaceRequest, made: list[Pixels]) -> Iterator[Pixels]:
    """The outpainted frames with the source pixels put back, feathered inside their edge."""
    first = request.video[0]
    x, y, w, h = outpaint_box((first.shape[1], first.shape[0]), request.scales, request.size)
    band = max(1.0, FEATHER * min(w, h))
    inside = np.zeros((h + 2, w + 2), np.uint8)
    inside[1:-1, 1:-1] = 255
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5)[1:-1, 1:-1]
    weight: npt.NDArray[np.float32] = np.clip(depth / band, 0.0, 1.0).astype(np.float32)[..., None]
    played = frames.retime(
        [f[..., :3] for f in request.video], request.clip_fps, request.fps, len(made)
    )
    for frame, source in zip(made, played, strict=True):
        out = frame.copy()
        picture = pictures.resize(source, (w, h)).astype(np.float32)
        region = out[y : y + h, x : x + w].astype(np.float32)
        out[y : y + h, x : x + w] = np.clip(picture * weight + region * (1 - weight) + 0.5, 0, 255)
        yield out
