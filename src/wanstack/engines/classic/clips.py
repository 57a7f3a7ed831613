"""Classic operations on input video clips, for the video-editing engine (:mod:`.vace`):

* :class:`Track` plays a clip (or one still) at the output's frame rate: nearest frames when
  they line up, optical-flow in-betweens (:func:`wanstack.engines.motion.between`) when the
  output's moment falls between two of the clip's frames; each frame covered to a size.
* :func:`bridge_timing` times a morph between two ends so it leaves and meets a moving clip at
  the clip's own pace and a still at rest.
* :func:`apparent_motion` measures a clip's global camera motion (zoom and shift per frame) at
  its end or, backwards, at its start, from the dense optical flow of frames a quarter second
  apart, by a RANSAC similarity fit; :class:`Drift` continues it from an anchor frame, slowing to
  rest (from a still: a gentle push-in), zoomed in just enough never to show past the edge.
* :class:`Outpainter` grows frames onto a larger canvas: the new border is the frame's mirror
  image, defocused more the farther out, slightly darkened, with fixed grain as fine as the
  picture's own; geometry, weights and grain are set once, so the fill is temporally steady.

What it cannot do: follow anything but one global motion (a subject walking across a still
background is measured as the background's, which is none), continue a pull-out (the picture
has no pixels beyond its edge: the zoom is dropped, the shift kept), or paint new content into an
outpainted border (it is a defocused reflection, so a subject near an edge is mirrored into it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage
from wanstack.engines.classic.grades import luma, to_u8
from wanstack.engines.classic.keyframes import FLOW_WIDTH
from wanstack.engines.classic.staging import wide_blur
from wanstack.engines.framing import cover
from wanstack.engines.motion import Flows, between

Float = npt.NDArray[np.float32]

PUSH_IN = 1.12  #: zoom of the gentle push-in after (or before) a still
MAX_ZOOM = 1.3  #: a continued zoom stops here
MAX_TRAVEL = 0.12  #: a continued shift travels at most this fraction of the width
#: defocus levels, as fractions of the short side
OUTPAINT_BLURS = (0.004, 0.012, 0.03, 0.06, 0.1)
#: the border is fully defocused this far out (fraction of the short side): a slow ramp, so no
#: sharp-to-blurred edge outlines the picture, but short enough that no copy is recognisable
OUTPAINT_REACH = 0.3


class Track:
    """A clip (or one still) played at the output's frame rate: frame ``j`` is the clip at time
    ``j / fps``, an optical-flow in-between when that falls between two of its frames, covered to
    ``size`` (None: kept at the clip's size)."""

    def __init__(
        self, frames: Sequence[RGBImage], clip_fps: float, fps: int, size: tuple[int, int] | None
    ) -> None:
        self.frames, self.size = frames, size
        self.ratio = clip_fps / fps if len(frames) > 1 else 1.0
        self.length = max(1, round(len(frames) / self.ratio))
        self.moving = len(frames) > 1
        self._flows = Flows()

    def _fit(self, image: RGBImage) -> RGBImage:
        rgb = np.ascontiguousarray(image[..., :3])
        return rgb if self.size is None else cover(rgb, self.size)

    def frame(self, j: int) -> RGBImage:
        position = min(j * self.ratio, len(self.frames) - 1.0)
        index = int(position + 1e-6)
        fraction = position - index
        a = self._fit(self.frames[index])
        if fraction < 0.02 or index + 1 >= len(self.frames):
            return a
        b = self._fit(self.frames[index + 1])
        return between(a, b, fraction, self._flows.pair(index, a, b))


def bridge_timing(t: float, leave: float, meet: float) -> float:
    """Morph timing 0 → 1 whose slope is ``leave`` at the start and ``meet`` at the end: 0 (at
    rest, smoothstep) next to a still, 1 (the clip's own pace) next to a moving clip."""
    t2, t3 = t * t, t * t * t
    return (t3 - 2 * t2 + t) * leave + (3 * t2 - 2 * t3) + (t3 - t2) * meet


Motion = tuple[float, float, float]  #: per output frame: log zoom, shift x, shift y (pixels)


def apparent_motion(track: Track, fps: int, *, at_end: bool) -> Motion | None:
    """The clip's own global motion per output frame at its end (or, ``at_end=False``, going
    backwards from its start): the zoom and shift that best map one frame onto the next along
    their optical flow, measured over a quarter second. None for a still or no clear motion."""
    if not track.moving or track.length < 2:
        return None
    step = min(track.length - 1, max(1, round(fps * 0.25)))
    last = track.length - 1
    a, b = (
        (track.frame(last - step), track.frame(last))
        if at_end
        else (track.frame(step), track.frame(0))
    )
    height, width = a.shape[:2]
    scale = min(1.0, FLOW_WIDTH / width)
    small = (max(8, round(width * scale)), max(8, round(height * scale)))
    sa, sb = (
        np.asarray(cv2.resize(x, small, interpolation=cv2.INTER_AREA), np.uint8) for x in (a, b)
    )
    flow = Flows(preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).pair(0, sa, sb)[0]
    ys, xs = np.mgrid[4 : small[1] - 4 : 6, 4 : small[0] - 4 : 6]
    src = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    dst = src + flow[ys.ravel(), xs.ravel()]
    matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0)
    if matrix is None:
        return None
    zoom = math.log(max(1e-3, math.hypot(matrix[0, 0], matrix[1, 0]))) / step
    centre = np.array([(small[0] - 1) / 2, (small[1] - 1) / 2, 1.0])
    shift = (matrix @ centre - centre[:2]) / scale / step
    if abs(zoom) < 2e-4 and math.hypot(*shift) < 0.15:
        return None
    return zoom, float(shift[0]), float(shift[1])


class Drift:
    """Frames moving away from an anchor frame: the anchor zoomed and shifted as the clip moved,
    slowing to rest over ``count`` frames (from rest, a gentle push-in, eased), always zoomed in
    just enough never to show past the picture's edge."""

    def __init__(self, anchor: RGBImage, motion: Motion | None, count: int) -> None:
        self.anchor, self.count = anchor, count
        width = anchor.shape[1]
        self.from_rest = motion is None
        if motion is None:
            self.zoom, self.shift = math.log(PUSH_IN), (0.0, 0.0)
        else:
            reach = (count + 1) / 2  # frames travelled at the clip's pace, slowing to rest
            # A pull-out cannot continue past the frame's edge: only a zoom in is continued.
            self.zoom = min(max(0.0, motion[0] * reach), math.log(MAX_ZOOM))
            dx, dy = motion[1] * reach, motion[2] * reach
            cap = min(1.0, MAX_TRAVEL * width / max(math.hypot(dx, dy), 1e-6))
            self.shift = (dx * cap, dy * cap)

    def progress(self, k: int) -> float:
        n = self.count + 1
        if self.from_rest:
            t = k / n
            return t * t * (3 - 2 * t)
        return (k - k * k / (2 * n)) / (n / 2)  # leaves at the clip's pace, ends at rest

    def frame(self, k: int) -> RGBImage:
        height, width = self.anchor.shape[:2]
        f = self.progress(k)
        dx, dy = self.shift[0] * f, self.shift[1] * f
        s = max(math.exp(self.zoom * f), 1 + 2 * abs(dx) / width, 1 + 2 * abs(dy) / height)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # Output pixel q shows the anchor at c + (q - c - shift) / s.
        inverse = np.array([[1 / s, 0, cx - (cx + dx) / s], [0, 1 / s, cy - (cy + dy) / s]])
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        out = cv2.warpAffine(
            self.anchor, inverse, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE
        )
        return np.asarray(out, np.uint8)


class Outpainter:
    """Places frames of ``source`` size on the grown canvas fitted to ``size`` and fills the
    border (see the module docstring); the geometry, weights and grain are set once, so the fill
    is as steady as the video itself."""

    def __init__(
        self,
        source: tuple[int, int],
        scales: tuple[float, float, float, float],
        size: tuple[int, int],
        seed: int,
    ) -> None:
        w, h = source
        width, height = size
        top, bottom, left, right = (
            extent * (s - 1) / 2 for extent, s in zip((h, h, w, w), scales, strict=True)
        )
        canvas = (w + left + right, h + top + bottom)
        # 1. The canvas fitted inside the size (what does not fill it is more border), so the
        #    picture and every side asked for are in frame whatever the aspect.
        scale = min(width / canvas[0], height / canvas[1])
        self.inner = (max(2, min(width, round(w * scale))), max(2, min(height, round(h * scale))))
        x0 = (width - canvas[0] * scale) / 2 + left * scale
        y0 = (height - canvas[1] * scale) / 2 + top * scale
        self.x0 = min(max(0, round(x0)), width - self.inner[0])
        self.y0 = min(max(0, round(y0)), height - self.inner[1])
        self.size = size
        # 2. How far out each pixel is: it picks the defocus level, the fall-off and the grain.
        ys = np.arange(height, dtype=np.float32)[:, None]
        xs = np.arange(width, dtype=np.float32)[None, :]
        dy = np.maximum(np.maximum(self.y0 - ys, ys - (self.y0 + self.inner[1] - 1)), 0.0)
        dx = np.maximum(np.maximum(self.x0 - xs, xs - (self.x0 + self.inner[0] - 1)), 0.0)
        short = min(width, height)
        self.t = np.clip(np.hypot(dx, dy) / (OUTPAINT_REACH * short), 0.0, 1.0).astype(np.float32)
        position = self.t * len(OUTPAINT_BLURS)
        self.weights = [
            np.clip(1.0 - np.abs(position - i), 0.0, 1.0)[..., None]
            for i in range(len(OUTPAINT_BLURS) + 1)
        ]
        self.sigmas = [short * s for s in OUTPAINT_BLURS]
        self.falloff = (1.0 - 0.07 * self.t)[..., None]
        self.noise = np.random.default_rng(seed).standard_normal((height, width)).astype(np.float32)
        self.grain: Float | None = None

    def frame(self, image: RGBImage) -> RGBImage:
        width, height = self.size
        iw, ih = self.inner
        shrink = iw < image.shape[1]
        inner = np.asarray(
            cv2.resize(
                image, self.inner, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
            ),
            np.uint8,
        )
        if self.t.max() <= 0:
            return inner
        padded = cv2.copyMakeBorder(
            inner,
            self.y0,
            height - ih - self.y0,
            self.x0,
            width - iw - self.x0,
            cv2.BORDER_REFLECT_101,
        )
        work = padded.astype(np.float32) / 255.0
        levels = [work] + [wide_blur(work, sigma) for sigma in self.sigmas]
        if self.grain is None:  # as strong as the picture's own fine texture (first frame)
            window = (slice(self.y0, self.y0 + ih), slice(self.x0, self.x0 + iw))
            fine = float(np.std(luma(work[window]) - luma(levels[1][window])))
            self.grain = self.noise * min(0.03, 0.5 * fine) * self.t
        out = sum(
            (level * weight for level, weight in zip(levels, self.weights, strict=True)),
            np.zeros_like(work),
        )
        out = out * self.falloff + self.grain[..., None]
        result = to_u8(np.asarray(out, np.float32))
        result[self.y0 : self.y0 + ih, self.x0 : self.x0 + iw] = inner  # the source, untouched
        return result
