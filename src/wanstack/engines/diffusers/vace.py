"""``wanx2.1-vace-plus`` on Wan 2.1 VACE open weights (``WanVACEPipeline``; Apache-2.0, 1.3B at
480P or 14B at 720P): all five functions, the pose and depth conditions excepted. VACE conditions
one Wan clip on a *context video* (frames to keep, grey where it draws), a *mask video* (white
where it draws) and *reference images*; each function is one such call.

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
* ``video_edit``: the region on each frame (the mask video's; or the mask image followed through
  the video by :func:`wanstack.engines.tracking.track` and grown by ``expand_ratio`` in
  ``expand_mode``; or, ``fixed``, where it was drawn) is greyed out in the context video and
  white in the mask video, with the subject reference if any; in the output every pixel away
  from the region is the input's own (feathered).
* ``video_repainting``: each frame's line drawing (:func:`scribble`) is the context video, with
  nothing kept, followed at ``strength`` (VACE's ``conditioning_scale``).

The clip is generated at the model's rate (16 fps; option ``fps``) and at most ``max_pixels``
(default 1280x720) in one call of at most ``segment_frames`` (default 81, 5 s at 16 fps), then
retimed to exactly ``duration x 30`` frames by optical-flow interpolation and encoded as a
silent H.264 MP4. ``seed`` seeds the call (the same seed, the same video); cancelling stops
within one denoising step. The ``depth``, ``posebody`` and ``posebodyface`` conditions need
annotator models (Depth Anything, DWPose) that no engine here runs yet: they are refused at submit
(:data:`wanstack.engines.registry.FUNCTIONS`), and by :func:`check` here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from wanstack.engines import tracking
from wanstack.engines.base import CancelToken, RGBAImage, VideoItem
from wanstack.engines.diffusers import frames, pictures, runtime
from wanstack.engines.diffusers.common import Progress
from wanstack.engines.diffusers.frames import Pixels
from wanstack.engines.diffusers.video import WanClips, deliver
from wanstack.engines.framing import cover
from wanstack.engines.requests import VACE_FUNCTIONS, VaceRequest
from wanstack.errors import MediaInvalid

VACE = "WanVACEPipeline"
#: the functions that take an input video
VIDEO_INPUT = ("video_outpainting", "video_repainting", "video_edit")
#: the control conditions followed, per function that takes one ("" = none)
CONDITIONS = {"video_repainting": ("scribble",), "video_edit": ("",)}
EDGE_SIDE = 480  #: scribble: edges are found at this long side (finer would be noise)
GREY = 127  #: the context video's value where VACE draws (0 in the model's [-1, 1] range)
FEATHER = 0.015  #: outpainting: the source blends in over this fraction of its short side
Box = tuple[int, int, int, int]  #: x, y, width, height


@dataclass
class _Context:
    """One VACE call's conditioning (None: the pipeline's default, draw everything)."""

    video: list[Image.Image] | None = None
    mask: list[Image.Image] | None = None
    references: list[Image.Image] = field(default_factory=list)
    scale: float = 1.0  #: how strongly the context steers the model (repainting's strength)


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
        # video_edit's region per input frame, tracked once for the context and the output
        regions = edit_masks(request) if request.function == "video_edit" else []
        context = _context(request, size, count, rate, regions)
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
            conditioning_scale=context.scale,
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
        elif request.function == "video_edit":
            made = list(_outside_kept(request, made, regions))

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
    if request.function in VIDEO_INPUT and not request.video:
        raise MediaInvalid(f"{request.function} needs the video (video_url)")
    followed = CONDITIONS.get(request.function)
    if followed is not None and (request.control or "") not in followed:
        raise MediaInvalid(
            f"control_condition {request.control or 'none'!r} is not followed for "
            f"{request.function}: pose and depth need annotator models this engine does not run"
        )
    if request.function == "video_edit" and not request.masks:
        raise MediaInvalid("video_edit needs a mask image or a mask video")


# ------------------------------------------------------------------------------ conditioning


def _context(
    request: VaceRequest,
    size: tuple[int, int],
    count: int,
    rate: float,
    regions: Sequence[npt.NDArray[np.bool_]] = (),
) -> _Context:
    """One call's conditioning; ``regions`` are video_edit's (:func:`edit_masks`)."""
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
    if request.function == "video_repainting":  # the video's line drawing, followed
        lines = [scribble(cover(f[..., :3], size)) for f in _frames_at(request, count, rate)]
        return _Context(
            video=[pictures.to_pil(f) for f in lines],
            references=[_reference(image, False) for image in request.references],
            scale=request.strength,
        )
    if request.function == "video_edit":  # the region greyed out and drawn, the rest kept
        regions = _at(regions or edit_masks(request), count, rate, request)
        shown, drawn = [], []
        for frame, region in zip(_frames_at(request, count, rate), regions, strict=True):
            inside = cover(region.astype(np.uint8), size) > 0
            kept = cover(frame[..., :3], size)
            kept[inside] = GREY
            shown.append(pictures.to_pil(kept))
            drawn.append(pictures.mask_pil(inside))
        references = [_reference(image, False) for image in request.references]
        return _Context(video=shown, mask=drawn, references=references)
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


def _at(items: Sequence[Any], count: int, rate: float, request: VaceRequest) -> list[Any]:
    """``items`` (one per input video frame) at the generation's ``count`` frames and ``rate``
    (nearest; the last held when the video is shorter)."""
    return [items[min(round(j * request.clip_fps / rate), len(items) - 1)] for j in range(count)]


def _frames_at(request: VaceRequest, count: int, rate: float) -> list[Pixels]:
    return _at(request.video, count, rate, request)


def scribble(frame: Pixels) -> Pixels:
    """A line drawing of ``frame``: white edges on black, as VACE's scribble condition is drawn
    (Canny on a smoothed grey at about ``EDGE_SIDE``, thresholds from the median brightness)."""
    height, width = frame.shape[:2]
    scale = min(1.0, EDGE_SIDE / max(height, width))
    small = cv2.resize(frame, (max(1, round(width * scale)), max(1, round(height * scale))))
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (0, 0), 1.2)
    median = float(np.median(grey))
    edges = cv2.Canny(grey, int(max(0.0, 0.66 * median)), int(min(255.0, 1.33 * median) + 1))
    edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    edges = cv2.resize(edges, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.repeat(edges[..., None], 3, axis=2).astype(np.uint8)


def edit_masks(request: VaceRequest) -> list[npt.NDArray[np.bool_]]:
    """video_edit's region on each input frame: the mask video's frames; or the mask drawn on
    ``mask_frame`` followed through the video (``tracking``, then grown by ``expand_ratio`` in
    ``expand_mode``) or kept where it was drawn (``fixed``). Only the frames the output shows
    are tracked."""
    height, width = request.video[0].shape[:2]

    def fitted(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        if mask.shape == (height, width):
            return mask
        small = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
        return np.asarray(small > 0)

    if len(request.masks) > 1:  # a mask video
        last, step = len(request.masks) - 1, len(request.masks) / len(request.video)
        return [fitted(request.masks[min(int(i * step), last)]) for i in range(len(request.video))]
    mask = fitted(request.masks[0])
    if request.mask_type == "fixed":
        return [mask] * len(request.video)
    shown = min(len(request.video), math.ceil(request.duration * request.clip_fps) + 1)
    anchor = min(request.mask_frame, shown - 1)
    followed = tracking.track(request.video[:shown], mask, anchor)
    return [tracking.expand(m, request.expand_ratio, request.expand_mode) for m in followed]


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
    video = [f[..., :3] for f in request.video]
    played = frames.retime(video, request.clip_fps, request.fps, len(made))
    for frame, source in zip(made, played, strict=True):
        out = frame.copy()
        picture = pictures.resize(source, (w, h)).astype(np.float32)
        region = out[y : y + h, x : x + w].astype(np.float32)
        out[y : y + h, x : x + w] = np.clip(picture * weight + region * (1 - weight) + 0.5, 0, 255)
        yield out


def _outside_kept(
    request: VaceRequest, made: list[Pixels], masks: Sequence[npt.NDArray[np.bool_]]
) -> Iterator[Pixels]:
    """The edited frames with every pixel away from the region the input's own (feathered)."""
    video = [f[..., :3] for f in request.video]
    played = frames.retime(video, request.clip_fps, request.fps, len(made))
    for j, (frame, source) in enumerate(zip(made, played, strict=True)):
        index = min(round(j * request.clip_fps / request.fps), len(masks) - 1)
        region = cover(masks[index].astype(np.uint8), request.size) > 0
        yield pictures.composite(frame, cover(source, request.size), pictures.feather(region))
