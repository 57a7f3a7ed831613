"""Classic image-to-video for wan2.6-i2v (CPU, no model weights): camera work on the still image.

The image is cropped to cover the output's aspect (never letterboxed), then filmed by a virtual
camera: push-in, pull-out, pans and tilts, a slow orbit-like parallax that lifts the salient
foreground off the background, or a barely moving drift. The prompt's motion words (Chinese or
English: 推近, 拉远, 环绕, pan left, zoom out, slow motion, …) choose the move; without any, the
seed does. ``shot_type="multi"`` cuts between 2–4 framings of the image (wide, medium, close-up
on the salient region), each with its own gentle move.

Every move is eased (slow in, slow out), every frame is one sub-pixel affine warp of a source
pre-scaled for that shot so it is only ever shrunk by at most :data:`MAX_SHRINK`, and fast moves
get a short-shutter motion blur. The result is deterministic for a seed.

What a video model would animate (a smile, waves, walking) is out of reach: only the camera moves.

This module holds the engine, the subject analysis (saliency, a GrabCut foreground and its
nearness) and the shot renderer; the motion words, easing, framings and shot plans are in
:mod:`.camera`, shared with text to video.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBImage, VideoItem
from wanstack.engines.classic.camera import (
    Move,
    Shot,
    View,
    parse_motion,
    plan_shots,
    view_at,
)
from wanstack.engines.framing import crop_to_aspect
from wanstack.engines.mp4 import encode_mp4
from wanstack.engines.requests import VideoRequest
from wanstack.errors import MediaInvalid

Float = npt.NDArray[np.float32]

#: largest shrink factor of one frame's warp: beyond it, bilinear sampling would alias
MAX_SHRINK = 1.35
#: long side of the image the subject is analysed at (saliency, GrabCut, background fill)
ANALYSIS_SIDE = 320
#: motion blur only above this displacement (output pixels between two frames)
BLUR_FROM_PX = 4.0
#: exposure time as a fraction of the frame interval (a 180° shutter)
SHUTTER = 0.5


# ---------------------------------------------------------------------------------------------
# The subject: saliency, the foreground layer and the background behind it


class Subject:
    """Where the salient subject is, analysed once per request at :data:`ANALYSIS_SIDE`."""

    def __init__(self, image: RGBImage, seed: int) -> None:
        height, width = image.shape[:2]
        self.scale = ANALYSIS_SIDE / max(height, width)
        size = (max(8, round(width * self.scale)), max(8, round(height * self.scale)))
        self.small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
        self.saliency = _saliency(self.small)
        self.seed = seed
        self._depth: Float | None = None

    def centre(self) -> tuple[float, float]:
        """Saliency-weighted centre of the subject, in 0–1 image units."""
        return _weighted_centre(self.saliency)

    def focus(self) -> tuple[float, float]:
        """Centre of the most salient tenth of the image: where a close-up looks."""
        top = np.where(self.saliency >= np.quantile(self.saliency, 0.9), self.saliency, 0)
        return _weighted_centre(top.astype(np.float32))

    def top(self) -> float:
        """Where the subject begins from the top (0–1): the 2 % point of its salient rows."""
        rows = np.where(self.saliency >= 0.3, self.saliency, 0).sum(axis=1)
        if rows.sum() <= 0:
            return 0.0
        cumulative = np.cumsum(rows) / rows.sum()
        return float(np.searchsorted(cumulative, 0.02)) / len(rows)

    def depth(self) -> Float:
        """Nearness 0 (background) … 1 (foreground), smooth, at the analysis size."""
        if self._depth is None:
            alpha = _foreground_alpha(self.small, self.saliency, self.seed)
            sigma = max(alpha.shape) * 0.035
            self._depth = np.asarray(cv2.GaussianBlur(alpha, (0, 0), sigma), np.float32)
        return self._depth


def _weighted_centre(weights: Float) -> tuple[float, float]:
    height, width = weights.shape
    total = float(weights.sum())
    if total <= 0:
        return 0.5, 0.5
    ys, xs = np.mgrid[0:height, 0:width]
    return (
        float((weights * (xs + 0.5)).sum()) / total / width,
        float((weights * (ys + 0.5)).sum()) / total / height,
    )


def _saliency(small: RGBImage) -> Float:
    """Spectral-residual saliency with a mild centre prior, normalised to 0–1."""
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    detector = cv2.saliency.StaticSaliencySpectralResidual.create()
    ok, spectral = detector.computeSaliency(bgr)
    height, width = small.shape[:2]
    if not ok:
        spectral = np.ones((height, width), np.float32)
    spectral = cv2.resize(spectral.astype(np.float32), (width, height))
    spectral = cv2.GaussianBlur(spectral, (0, 0), max(height, width) / 40)
    # Colour distinctness: how far each pixel is from the image's mean Lab colour.
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).astype(np.float32)
    blurred = cv2.GaussianBlur(lab, (0, 0), max(height, width) / 60)
    distinct = np.linalg.norm(blurred - lab.reshape(-1, 3).mean(0), axis=2)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    prior = np.exp(-(((xs / width - 0.5) / 0.35) ** 2 + ((ys / height - 0.5) / 0.35) ** 2))
    combined = (_normalise(spectral) + _normalise(distinct)) * (0.4 + 0.6 * prior)
    return _normalise(combined)


def _normalise(values: npt.NDArray[Any]) -> Float:
    low, high = float(values.min()), float(values.max())
    out: Float = ((values - low) / (high - low + 1e-6)).astype(np.float32)
    return out


def _foreground_alpha(small: RGBImage, saliency: Float, seed: int) -> Float:
    """GrabCut seeded by saliency: probable foreground where salient, background at the border."""
    height, width = saliency.shape
    mask = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    threshold = max(float(np.quantile(saliency, 0.7)), 0.35)
    mask[saliency >= threshold] = cv2.GC_PR_FGD
    mask[saliency >= max(float(np.quantile(saliency, 0.95)), 0.7)] = cv2.GC_FGD
    band = max(2, round(min(height, width) * 0.03))
    mask[:band], mask[-band:], mask[:, :band], mask[:, -band:] = (cv2.GC_BGD,) * 4
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(seed)  # GrabCut's k-means initialisation draws from OpenCV's RNG
    try:
        cv2.grabCut(bgr, mask, (0, 0, 0, 0), background, foreground, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        pass  # keep the saliency seeds
    solid = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the biggest blob (and those at least a third of it), holes filled.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if count > 1:
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = 1 + np.flatnonzero(areas >= areas.max() / 3)
        solid = np.isin(labels, keep).astype(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    solid = np.asarray(
        cv2.drawContours(np.zeros_like(solid), contours, -1, 1, cv2.FILLED), np.uint8
    )
    area = float(solid.mean())
    if not 0.08 <= area <= 0.7:
        # No clean subject: an ellipse around the salient centre stands in for it.
        cx, cy = _weighted_centre(saliency)
        solid = np.zeros_like(solid)
        axes = (round(width * 0.22), round(height * 0.3))
        cv2.ellipse(solid, (round(cx * width), round(cy * height)), axes, 0, 0, 360, 1, -1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    solid = np.asarray(cv2.morphologyEx(solid, cv2.MORPH_OPEN, kernel), np.uint8)
    alpha = cv2.GaussianBlur(solid.astype(np.float32), (0, 0), 1.2)
    return np.clip(alpha, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Rendering


def _source_for(cover: RGBImage, size: tuple[int, int], zoom: float) -> RGBImage:
    """The cover image resampled so that a view at ``zoom`` maps 1:1 onto the output."""
    width = max(size[0], math.ceil(size[0] * zoom))
    height = max(size[1], math.ceil(size[1] * zoom))
    shrinking = width < cover.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(cover, (width, height), interpolation=interpolation), np.uint8)


def _matrix(view: View, source: tuple[int, int], size: tuple[int, int]) -> Float:
    """Affine map from output pixel centres to source pixel coordinates (for WARP_INVERSE_MAP)."""
    rows = []
    for axis, centre in ((0, view.u), (1, view.v)):
        scale = source[axis] / (size[axis] * view.z)
        offset = source[axis] * centre - scale * size[axis] / 2 + 0.5 * scale - 0.5
        rows.append([scale if axis == 0 else 0.0, scale if axis == 1 else 0.0, offset])
    return np.array(rows, np.float32)


def _warp(image: npt.NDArray[Any], matrix: Float, size: tuple[int, int]) -> npt.NDArray[Any]:
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out: npt.NDArray[Any] = cv2.warpAffine(
        image, matrix, size, flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def _displacement(a: Float, b: Float, size: tuple[int, int]) -> float:
    """Largest movement, in output pixels, of the image under an output corner between two
    frames' matrices."""
    corners = np.array([[0, 0, 1], [size[0], 0, 1], [0, size[1], 1], [*size, 1]], np.float32)
    return float(np.abs((corners @ a.T) - (corners @ b.T)).max()) / float(a[0, 0])


class ShotRenderer:
    """Renders the frames of one shot from its pre-scaled sources."""

    def __init__(self, shot: Shot, cover: RGBImage, subject: Subject, size: tuple[int, int]):
        self.shot, self.size = shot, size
        times = np.linspace(0.0, 1.0, 9)
        zooms = [view_at(shot, float(t), layer).z for t in times for layer in ("main", "fg", "bg")]
        # At the tightest view the source maps 1:1; wider views shrink it (≤ MAX_SHRINK for
        # every planned move), which bilinear sampling does without visible aliasing.
        self.source = _source_for(cover, size, max(zooms))
        self.depth: Float | None = None
        if shot.move is Move.ORBIT:
            dims = (self.source.shape[1], self.source.shape[0])
            self.depth = np.asarray(cv2.resize(subject.depth(), dims), np.float32)
            self.xs = np.arange(size[0], dtype=np.float32)[None, :]
            self.ys = np.arange(size[1], dtype=np.float32)[:, None]

    @property
    def source_dims(self) -> tuple[int, int]:
        return self.source.shape[1], self.source.shape[0]

    def matrix(self, t: float, layer: str = "main") -> Float:
        return _matrix(view_at(self.shot, t, layer), self.source_dims, self.size)

    def frame(self, index: int) -> RGBImage:
        frames = self.shot.frames
        t = index / max(frames - 1, 1)
        step = 1 / max(frames - 1, 1)
        if self.depth is not None:
            return self._parallax(t)
        now = self.matrix(t)
        moved = _displacement(now, self.matrix(min(t + step, 1.0)), self.size)
        if moved < BLUR_FROM_PX:
            frame: RGBImage = _warp(self.source, now, self.size)
            return frame
        # Motion blur: average sub-frames spread over the shutter interval.
        taps = min(6, math.ceil(moved * SHUTTER / 1.5) + 1)
        total = np.zeros((self.size[1], self.size[0], 3), np.float32)
        for tap in range(taps):
            sub = t + step * SHUTTER * (tap / (taps - 1) - 0.5)
            total += _warp(self.source, self.matrix(min(max(sub, 0.0), 1.0)), self.size)
        blurred: RGBImage = (total / taps + 0.5).astype(np.uint8)
        return blurred

    def _parallax(self, t: float) -> RGBImage:
        """Near things follow the foreground camera, far things the background one, and the
        smooth depth blends the two maps, so no hole ever opens behind the subject."""
        assert self.depth is not None
        near, far = self.matrix(t, "fg"), self.matrix(t, "bg")
        depth = _warp(self.depth, far, self.size)
        map_x = (far[0, 0] * self.xs + far[0, 2]) + depth * (
            (near[0, 0] - far[0, 0]) * self.xs + (near[0, 2] - far[0, 2])
        )
        map_y = (far[1, 1] * self.ys + far[1, 2]) + depth * (
            (near[1, 1] - far[1, 1]) * self.ys + (near[1, 2] - far[1, 2])
        )
        out = cv2.remap(
            self.source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return np.asarray(out, np.uint8)


class CameraVideo:
    """Virtual camera moves over the input image; see the module docstring."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        pass

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "classic",
            "algorithm": "camera-motion",
            "moves": [move.value for move in Move],
            "codec": "h264",
        }

    def check_inputs(self, request: VideoRequest) -> RGBImage:
        image = request.image
        if image is None:
            raise MediaInvalid("wan2.6-i2v needs an input image (img_url).")
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise MediaInvalid(f"expected an RGB uint8 image, got {image.shape} {image.dtype}")
        if min(image.shape[:2]) < 2:
            raise MediaInvalid("the input image is too small")
        width, height = request.size
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise MediaInvalid(f"the output size must be positive and even, got {width}x{height}")
        if request.duration <= 0 or request.fps <= 0:
            raise MediaInvalid("duration and fps must be positive")
        return image

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        # 1. Check inputs
        image = self.check_inputs(request)
        cancel.check()
        # 2. Find the subject and cover the output's aspect around it
        subject = Subject(image, request.seed)
        cover = crop_to_aspect(image, request.size, subject.centre(), subject.top())
        if cover.shape[:2] != image.shape[:2]:
            subject = Subject(cover, request.seed)
        cancel.check()
        # 3. Plan the shots
        motion = parse_motion(request.prompt)
        native_zoom = cover.shape[1] / request.size[0]
        shots = plan_shots(request, motion, subject, native_zoom)
        # 4. Render lazily while encoding
        total = request.duration * request.fps
        frames = self._frames(shots, cover, subject, request.size, cancel)
        mp4 = encode_mp4(
            frames,
            size=request.size,
            fps=request.fps,
            frame_count=total,
            audio=request.audio,
            cancel=cancel,
        )
        width, height = request.size
        return [
            VideoItem(
                mp4=mp4,
                width=width,
                height=height,
                frames=total,
                fps=request.fps,
                has_audio=request.audio is not None,
            )
        ]

    def _frames(
        self,
        shots: list[Shot],
        cover: RGBImage,
        subject: Subject,
        size: tuple[int, int],
        cancel: CancelToken,
    ) -> Iterator[RGBImage]:
        for shot in shots:
            cancel.check()
            renderer = ShotRenderer(shot, cover, subject, size)
            for index in range(shot.frames):
                yield renderer.frame(index)
