"""Classic wanx2.1-vace-plus (CPU, no model weights): three of its five video-editing functions.

* ``image_reference``: each object reference is cut out (its own alpha when it has real
  transparency; else the foreground against a plain border colour, or GrabCut seeded by
  saliency; the whole picture when neither finds a clear object), scaled to a common height and
  stood side by side on a ground line, with contact and cast shadows, on the ``bg`` reference
  (covered to the frame) or on a scene drawn from the prompt by the procedural renderer. That
  still, composed a little larger than the output, is filmed by the image-to-video camera
  (:class:`~.image2video.CameraVideo`), so the prompt's motion words (推近, pan left, …) choose
  the move.
* ``video_extension``: the output starts with the first clip at its own timing (resampled to the
  output rate by optical-flow in-betweens, covered to the size) or on the first frame, and ends
  with the last clip or on the last frame. Between two ends the one turns into the other along
  their optical flow (the morph of :mod:`.keyframes`, timed to leave and meet a moving clip at
  its own pace); after a beginning alone the camera keeps drifting the way the clip moved at its
  end (its global zoom and shift, from the last frames' optical flow, slowing to rest; a gentle
  push-in after a still), and before an end alone the same move, rendered backwards, leads into
  it. Clips longer than the output are kept whole up to its length (the first clip wins; the last
  clip keeps its ending).
* ``video_outpainting``: every frame is placed on a canvas grown by the four scales (a side
  scaled by ``s`` gains ``(s - 1) / 2`` of the picture's extent, as imageedit's ``expand``), fitted
  to the size, and the new border is the frame's own mirror image, defocused more the farther it
  is from the picture, darkened a little, with fixed grain as fine as the picture's; the source
  pixels are kept. The video is resampled to the output rate and holds its last frame when
  shorter than the output (it is cut when longer).

What it cannot do: invent anything that moves. Objects stand still on their backdrop (only the
camera moves) and are not posed, lit or scaled by meaning; an extension does not continue an
action (a walk, a wave), only the camera's drift, and a pull-out cannot continue past the frame's
edge (its zoom is dropped); the outpainted border is a defocused reflection, not new content, so a
subject near an edge is mirrored into it. ``video_repainting`` and ``video_edit`` need a
generative model and are refused by the catalog; ``video_extension``'s motion reference
(``video_url``) is not used, and its first and last clips share one ``clip_fps``.

This module holds the engine, its input checks and the reference staging; playing, continuing
and outpainting clips are in :mod:`.clips`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBAImage, RGBImage, VideoItem
from wanstack.engines.classic.clips import Drift, Outpainter, Track, apparent_motion, bridge_timing
from wanstack.engines.classic.grades import scene_prompt, to_u8
from wanstack.engines.classic.image import flatten, has_alpha
from wanstack.engines.classic.image2video import CameraVideo, Subject
from wanstack.engines.classic.keyframes import keyframe_flows
from wanstack.engines.classic.scene import parse_prompt, render_scene
from wanstack.engines.classic.staging import footprint_of, harmonise_rim, stage_subject
from wanstack.engines.framing import cover
from wanstack.engines.motion import consistency, morph
from wanstack.engines.mp4 import encode_mp4
from wanstack.engines.requests import VaceRequest
from wanstack.errors import MediaInvalid

Float = npt.NDArray[np.float32]

#: the composed still is this much larger than the output, so the camera's push-in stays sharp
OVERSCAN = 1.25
GROUND = 0.88  #: where the objects stand, as a fraction of the height
OBJECT_HEIGHT = 0.58  #: each object's height, as a fraction of the frame's
#: the row of objects (and the gaps between them) fills at most this width, so that the
#: camera's tighter views keep them in frame
ROW_WIDTH = 0.64
GAP = 0.04  #: between two objects, as a fraction of the width
#: the functions this engine serves (re-drawing a video's content needs a generative model)
SERVED = ("image_reference", "video_extension", "video_outpainting")


class ClassicVace:
    """wanx2.1-vace-plus's image_reference, video_extension and video_outpainting; see the module
    docstring."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        self._camera = CameraVideo()

    def load(self) -> None:
        self._camera.load()

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "classic",
            "algorithm": "vace: staged references + camera move, optical-flow extension, "
            "mirrored-defocus outpainting",
            "functions": list(SERVED),
            "codec": "h264",
        }

    def check_inputs(self, request: VaceRequest) -> None:
        """Raise :class:`MediaInvalid` for a request no output can be made from."""
        function = request.function
        if function not in SERVED:
            raise MediaInvalid(
                f"function {function!r} needs a generative video model; "
                f"the classic engine serves {', '.join(SERVED)}"
            )
        width, height = request.size
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise MediaInvalid(f"the output size must be positive and even, got {width}x{height}")
        if request.duration <= 0 or request.fps <= 0:
            raise MediaInvalid("duration and fps must be positive")
        clips = (request.first_clip, request.last_clip, request.video)
        for name, images in (
            ("references", request.references),
            *zip(("first_clip", "last_clip", "video"), clips, strict=True),
        ):
            for image in images:
                _check_image(image, name)
        for name, still in (
            ("first_frame", request.first_frame),
            ("last_frame", request.last_frame),
        ):
            if still is not None:
                _check_image(still, name)
        if any(clips) and request.clip_fps <= 0:
            raise MediaInvalid("an input video's frame rate (clip_fps) must be positive")
        if function == "image_reference":
            refs, flags = request.references, request.backgrounds
            if not 1 <= len(refs) <= 3:
                raise MediaInvalid(
                    f"image_reference takes 1 to 3 reference images, got {len(refs)}"
                )
            if flags and len(flags) != len(refs):
                raise MediaInvalid(f"obj_or_bg has {len(flags)} entries for {len(refs)} images")
            if sum(flags) > 1:
                raise MediaInvalid("at most one reference image can be the background (bg)")
        elif function == "video_extension":
            if not (request.first_clip or request.last_clip) and (
                request.first_frame is None and request.last_frame is None
            ):
                raise MediaInvalid(
                    "video_extension has nothing to extend: give first_frame_url, "
                    "last_frame_url, first_clip_url or last_clip_url"
                )
        else:
            if not request.video:
                raise MediaInvalid("video_outpainting needs the video to outpaint (video_url)")
            if len({frame.shape for frame in request.video}) > 1:
                raise MediaInvalid("the video's frames differ in size")
            if not all(1.0 <= scale <= 2.0 for scale in request.scales):
                raise MediaInvalid(
                    f"the outpainting scales must lie in [1.0, 2.0], got {request.scales}"
                )

    def run(self, request: VaceRequest, cancel: CancelToken) -> list[VideoItem]:
        # 1. Inputs no video can be made from fail the task with a precise message.
        self.check_inputs(request)
        cancel.check()
        width, height = request.size
        total = request.duration * request.fps
        # 2. image_reference: compose the still, then the camera films it (progress per frame).
        if request.function == "image_reference":
            still = reference_still(request, cancel)
            cancel.report(0.3)
            return self._camera.run(request.filmed(still), _Relay(cancel, 0.3, total))
        # 3. The video functions render lazily while encoding, checked and reported per frame.
        if request.function == "video_extension":
            frames = extension_frames(request)
        else:
            frames = outpaint_frames(request)

        def paced() -> Iterator[RGBImage]:
            for index, frame in enumerate(frames):
                cancel.check()
                cancel.report(index / total)
                yield frame

        mp4 = encode_mp4(
            paced(),
            size=request.size,
            fps=request.fps,
            frame_count=total,
            audio=None,
            cancel=cancel,
        )
        cancel.report(1.0)
        return [
            VideoItem(
                mp4=mp4, width=width, height=height, frames=total, fps=request.fps, has_audio=False
            )
        ]


def _check_image(image: npt.NDArray[Any], name: str) -> None:
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise MediaInvalid(f"{name}: expected RGB(A) uint8 images, got {image.shape} {image.dtype}")
    if min(image.shape[:2]) < 2:
        raise MediaInvalid(f"{name}: an image of {image.shape[1]}x{image.shape[0]} is too small")


class _Relay(CancelToken):
    """The task's token as a delegate sees it: a cancel still reaches it, and its checks (one
    per encoded frame at least) report progress from ``start`` to 1 over ``frames``."""

    def __init__(self, outer: CancelToken, start: float, frames: int) -> None:
        super().__init__()
        self._outer, self._start, self._frames, self._seen = outer, start, max(1, frames), 0

    @property
    def cancelled(self) -> bool:
        return self._outer.cancelled

    def check(self) -> None:
        self._outer.check()
        self._seen += 1
        self._outer.report(self._start + (1 - self._start) * min(1.0, self._seen / self._frames))


# ------------------------------------------------------------------------------ image_reference


def reference_still(request: VaceRequest, cancel: CancelToken) -> RGBImage:
    """The objects standing side by side on the background (or the prompt's scene), at
    :data:`OVERSCAN` times the output size."""
    size = (2 * round(request.size[0] * OVERSCAN / 2), 2 * round(request.size[1] * OVERSCAN / 2))
    flags = request.backgrounds or (False,) * len(request.references)
    pairs = list(zip(request.references, flags, strict=True))
    # 1. The objects, cut out and arranged; the background reference, covered to the frame.
    layers = arrange([cutout(ref, request.seed) for ref, bg in pairs if not bg], size)
    backdrop = next((ref for ref, bg in pairs if bg), None)
    cancel.check()
    scene: Any = None
    if backdrop is not None:
        background = cover(flatten(backdrop), size).astype(np.float32) / 255.0
    else:
        # 2. No background: the prompt's scene, built around where the objects stand.
        solid = np.zeros((size[1], size[0]), np.uint8)
        for _, alpha in layers:
            solid = np.maximum(solid, (alpha * 255).astype(np.uint8))
        spec = parse_prompt(scene_prompt(request.prompt))
        footprint = footprint_of(solid) if layers else None
        scene = render_scene(spec, size, request.seed, quality="v3", footprint=footprint)
        background = scene.image.astype(np.float32) / 255.0
    cancel.check()
    # 3. Each object's shadows first (none falls on another object), then the objects.
    for rgb, alpha in layers:
        background = stage_subject(background, rgb, alpha, scene)
    for rgb, alpha in layers:
        rgb = harmonise_rim(rgb, alpha, background)
        background = rgb * alpha[..., None] + background * (1.0 - alpha[..., None])
    return to_u8(background)


def cutout(image: RGBAImage, seed: int) -> RGBAImage:
    """A reference's object, cropped to it: its own alpha when it has real transparency, else
    the foreground found by :func:`foreground_alpha`."""
    rgb = np.ascontiguousarray(image[..., :3])
    alpha = image[..., 3] if has_alpha(image) else foreground_alpha(rgb, seed)
    if not (alpha > 16).any():
        alpha = np.full(rgb.shape[:2], 255, np.uint8)  # an empty cutout: the whole picture
    ys, xs = np.nonzero(alpha > 16)
    rgba = np.dstack([rgb, alpha])
    return np.ascontiguousarray(rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def foreground_alpha(rgb: RGBImage, seed: int) -> npt.NDArray[np.uint8]:
    """The object of an opaque picture as alpha: on a plain backdrop, everything but the
    backdrop-coloured regions touching the border; else GrabCut seeded by saliency (as the
    image-to-video subject is found). The mask is found small, scaled up and snapped to the
    picture's edges by a guided filter; no clear object gives the whole picture."""
    height, width = rgb.shape[:2]
    subject = Subject(rgb, seed)  # the picture at the analysis size, and its saliency
    small, saliency, scale = subject.small, subject.saliency, subject.scale
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).astype(np.float32)
    band = max(2, round(min(saliency.shape) * 0.03))
    border = np.zeros(saliency.shape, bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    key = np.median(lab[border], axis=0)
    distance = np.linalg.norm(lab - key, axis=2)
    spread = float(np.quantile(distance[border], 0.9))
    if spread < 14.0:
        # 1. A plain backdrop: backdrop-coloured regions connected to the border are background.
        near = (distance < max(10.0, 2.0 * spread)).astype(np.uint8)
        _, labels = cv2.connectedComponents(near)
        touching = np.unique(labels[border & (near > 0)])
        solid = ~(np.isin(labels, touching) & (near > 0))
    else:
        # 2. Anything else: GrabCut; salient parts maybe (or surely) object, the border not.
        mask = np.full(saliency.shape, cv2.GC_PR_BGD, np.uint8)
        mask[saliency >= max(float(np.quantile(saliency, 0.7)), 0.35)] = cv2.GC_PR_FGD
        mask[saliency >= max(float(np.quantile(saliency, 0.95)), 0.7)] = cv2.GC_FGD
        mask[border] = cv2.GC_BGD
        models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(seed)  # GrabCut's k-means initialisation draws from OpenCV's RNG
        try:
            bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
            cv2.grabCut(bgr, mask, (0, 0, 0, 0), *models, 5, cv2.GC_INIT_WITH_MASK)
        except cv2.error:
            pass  # keep the saliency seeds
        solid = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))
    solid = _main_blobs(solid)
    if not 0.03 <= solid.mean() <= 0.92:
        return np.full((height, width), 255, np.uint8)  # no clear object: the whole picture
    soft = cv2.resize(solid.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    radius = max(2, round(1.5 / scale))
    snapped = cv2.ximgproc.guidedFilter(rgb, soft, radius, (0.03 * 255) ** 2)
    alpha = np.clip((np.asarray(snapped, np.float32) - 0.5) * 1.6 + 0.5, 0.0, 1.0)
    return np.asarray(alpha * 255 + 0.5, np.uint8)


def _main_blobs(solid: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The biggest blob and those at least a third of it, their holes filled."""
    mask = solid.astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 1:
        areas = stats[1:, cv2.CC_STAT_AREA]
        mask = np.isin(labels, 1 + np.flatnonzero(areas >= areas.max() / 3)).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return np.asarray(cv2.drawContours(np.zeros_like(mask), contours, -1, 1, cv2.FILLED)) > 0


def arrange(objects: Sequence[RGBAImage], size: tuple[int, int]) -> list[tuple[Float, Float]]:
    """The objects at a common height, side by side and centred, standing on :data:`GROUND`:
    one (rgb, alpha) float layer of the frame's size each."""
    width, height = size
    if not objects:
        return []
    scales = [OBJECT_HEIGHT * height / obj.shape[0] for obj in objects]
    row = sum(o.shape[1] * s for o, s in zip(objects, scales, strict=True))
    row += GAP * width * (len(objects) - 1)
    shrink = min(1.0, ROW_WIDTH * width / row)
    x = (width - row * shrink) / 2
    ground = round(GROUND * height)
    layers = []
    for obj, scale in zip(objects, scales, strict=True):
        nw = max(1, min(width, round(obj.shape[1] * scale * shrink)))
        nh = max(1, min(ground, round(obj.shape[0] * scale * shrink)))
        # Resampled premultiplied, so the hidden colour of transparent pixels never fringes.
        work = obj.astype(np.float32) / 255.0
        alpha = work[..., 3:]
        premult = np.dstack([work[..., :3] * alpha, alpha])
        shrinking = nw < obj.shape[1]
        resized = cv2.resize(
            premult, (nw, nh), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
        )
        resized = np.clip(resized, 0.0, 1.0)
        rgb = np.zeros((height, width, 3), np.float32)
        a = np.zeros((height, width), np.float32)
        left = min(max(0, round(x)), width - nw)
        a[ground - nh : ground, left : left + nw] = resized[..., 3]
        rgb[ground - nh : ground, left : left + nw] = resized[..., :3] / np.maximum(
            resized[..., 3:], 1e-4
        )
        layers.append((np.clip(rgb, 0.0, 1.0), a))
        x += nw + GAP * width * shrink
    return layers


# ------------------------------------------------------------------------------ video_extension


def _still(image: RGBImage | None) -> tuple[RGBImage, ...]:
    return () if image is None else (image,)


def extension_frames(request: VaceRequest) -> Iterator[RGBImage]:
    """The ``video_extension`` frames, in order (see the module docstring)."""
    size, fps, total = request.size, request.fps, request.duration * request.fps
    heads = request.first_clip or _still(request.first_frame)
    tails = request.last_clip or _still(request.last_frame)
    head = Track(heads, request.clip_fps, fps, size) if heads else None
    tail = Track(tails, request.clip_fps, fps, size) if tails else None
    kept_head = min(head.length, total) if head else 0
    kept_tail = min(tail.length, total - kept_head) if tail else 0
    gap = total - kept_head - kept_tail
    # 1. The beginning, at its own timing.
    if head:
        yield from (head.frame(j) for j in range(kept_head))
    # 2. The stretch between: a morph, or a camera drift away from (or into) the one end.
    if gap and head and tail:
        a, b = head.frame(kept_head - 1), tail.frame(tail.length - kept_tail)
        flows = keyframe_flows(a, b)
        trust = consistency(*flows)
        for i in range(1, gap + 1):
            t = bridge_timing(i / (gap + 1), float(head.moving), float(tail.moving))
            yield morph(a, b, t, flows, trust)
    elif gap and head:
        anchor = head.frame(kept_head - 1)
        drift = Drift(anchor, apparent_motion(head, fps, at_end=True), gap)
        for k in range(1, gap + 1):
            yield drift.frame(k)
    elif gap and tail:
        anchor = tail.frame(tail.length - kept_tail)
        drift = Drift(anchor, apparent_motion(tail, fps, at_end=False), gap)
        for k in range(gap, 0, -1):  # rendered away from the end, shown towards it
            yield drift.frame(k)
    # 3. The end (a last clip too long keeps its ending).
    if tail:
        yield from (tail.frame(j) for j in range(tail.length - kept_tail, tail.length))


# ---------------------------------------------------------------------------- video_outpainting


def outpaint_frames(request: VaceRequest) -> Iterator[RGBImage]:
    """The ``video_outpainting`` frames: the video at the output rate (its last frame held when
    it is shorter than the output), each outpainted."""
    track = Track(request.video, request.clip_fps, request.fps, None)
    first = request.video[0]
    painter = Outpainter(
        (first.shape[1], first.shape[0]), request.scales, request.size, request.seed
    )
    for j in range(request.duration * request.fps):
        yield painter.frame(track.frame(min(j, track.length - 1)))
