"""Classic text to video for wan2.6-t2v (CPU, no model weights): a procedural scene, animated.

The scene comes from the background-generation renderer (:mod:`.scene`, driven by its prompt
vocabulary); the whole frame is the scene, there is no subject.
It is rendered **once**, somewhat larger than the output, and every frame is then composed from
cheap animated parts:

1. **Camera** — one affine warp of the still per frame: an eased push-in, pull-out or lateral pan
   (``shot_type="multi"``: two or three shots with different framings, cut on frame boundaries).
2. **Water** — where the scene has a sea or a lake, the water band is re-sampled with travelling
   sinusoidal ripples (``cv2.remap`` limited to the band) and specular glints twinkle on it.
3. **Sky** — a second cloud layer drifts across the sky, behind the mountains and trees (the sky
   mask is where the scene equals a render of the sky alone).
4. **Light** — the sun's glow breathes and sways; scenes without a low sun get a soft band of
   light that sweeps slowly across the frame.
5. **Particles** — falling petals, leaves, snow or rain when the prompt asks for them: near ones
   large and soft (drawn at low resolution), far ones small and sharp; they tumble and sway.

Steps 3–5 are drawn at a quarter of the output size as one premultiplied overlay, upscaled and
applied with two saturating uint8 operations, so a 1080P frame costs tens of milliseconds.
Everything is a closed-form function of the frame's time and the seed: frames are reproducible
and can be rendered in any order.

This module holds the engine, the prompt → scene plan (what falls, the still's and the sky's
specs) and the stage that renders the still, finds its sky, sun and water, and composes each
frame. The camera's glides (step 1) are in :mod:`.camera`, shared with image to video; the
animated layers (steps 2–5) in :mod:`.animation`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBImage, VideoItem
from wanstack.engines.classic.animation import Fall, Light, Particles, Ripples, cloud_layer
from wanstack.engines.classic.camera import glide_matrix, plan_glides
from wanstack.engines.classic.scene import BY_NAME, SceneSpec, parse_prompt, render_scene
from wanstack.engines.requests import VideoRequest

Mat = npt.NDArray[np.float64]  #: 3×3 affine matrix (homogeneous)

#: the still is rendered this much larger than the output, so the camera can move and zoom
OVERSCAN = 1.15
#: sky mask threshold: a pixel is sky where the full scene and the sky-only render agree
_SKY_DIFF = 10

_SNOW_WORDS = re.compile(r"下雪|飘雪|雪花|大雪|小雪|雪景|snow(?:y|ing|fall|flakes?)?\b", re.I)
_FALL_WORDS = re.compile(r"飘落|飘|落下|纷飞|飞舞|fall(?:ing|s)?\b|drift(?:ing|s)?\b", re.I)


class SceneVideo:
    """wan2.6-t2v without weights: the prompt's scene as an animated, camera-moved clip."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        pass

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"engine": "classic", "algorithm": "procedural-scene+animation"}

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        from wanstack.engines.mp4 import encode_mp4

        cancel.check()
        count = request.duration * request.fps
        data = encode_mp4(
            render_frames(request, cancel),
            size=request.size,
            fps=request.fps,
            frame_count=count,
            audio=request.audio,
            cancel=cancel,
        )
        w, h = request.size
        return [VideoItem(data, w, h, count, request.fps, request.audio is not None)]


def render_frames(request: VideoRequest, cancel: CancelToken) -> Iterator[RGBImage]:
    """Exactly ``request.duration * request.fps`` frames of exactly ``request.size`` (H×W×3 uint8
    RGB), reproducible for ``request.seed``. ``cancel`` is checked before every frame."""
    cancel.check()
    stage = _Stage(request)
    for i in range(request.duration * request.fps):
        cancel.check()
        yield stage.frame(i)


# --------------------------------------------------------------------------------- planning


def _spec(request: VideoRequest) -> SceneSpec:
    spec = parse_prompt(request.prompt, request.negative_prompt)
    # "snowy forest": the vocabulary knows snow as a ground, not the adjective; say it plainly
    snow_asked = bool(_SNOW_WORDS.search(request.prompt))
    snow_refused = bool(re.search(r"雪|snow", request.negative_prompt, re.I))
    if snow_asked and not snow_refused and "snow" not in spec.concepts:
        spec = parse_prompt(request.prompt + ", snow", request.negative_prompt)
    return spec


def _falls(spec: SceneSpec, request: VideoRequest) -> list[Fall]:
    falls: list[Fall] = []
    falling = bool(_FALL_WORDS.search(request.prompt))
    petals = [e for e in spec.elements if e.shape in ("blossom", "petal")]
    petals += [e for e in spec.elements if e.shape == "flower" and falling]
    if petals:
        falls.append(Fall("petal", tuple(e.color for e in petals), 1.0))
    leaves = [e for e in spec.elements if e.shape == "leaf"]
    if leaves and (falling or any(e.placement == "scatter" for e in leaves)):
        falls.append(Fall("leaf", tuple(e.color for e in leaves), 0.6))
    snow_refused = bool(re.search(r"雪|snow", request.negative_prompt, re.I))
    if not snow_refused and (
        _SNOW_WORDS.search(request.prompt)
        or "snow" in spec.concepts
        or "snowfield" in spec.concepts
    ):
        falls.append(Fall("snow", ((246, 248, 252), (226, 234, 246)), 1.0))
    if "rain" in spec.concepts:
        falls.append(Fall("rain", ((200, 210, 222),), 1.0))
    return falls


def _still_spec(spec: SceneSpec, falls: list[Fall]) -> SceneSpec:
    """The spec of the still: particles that will fall are animated, not painted in the air."""
    if any(f.kind == "leaf" for f in falls):
        elements = tuple(
            e for e in spec.elements if not (e.shape == "leaf" and e.placement == "scatter")
        )
        spec = dataclasses.replace(spec, elements=elements)
    return spec


def _sky_spec(spec: SceneSpec) -> SceneSpec:
    """The same sky, nothing standing in it: no terrain, no elements but the clouds (which only
    shape the sky). Rendered with the same seed it consumes the same random numbers for the sky."""
    concepts = tuple(n for n in spec.concepts if BY_NAME[n].kind != "terrain")
    elements = tuple(e for e in spec.elements if e.shape == "cloud")
    return dataclasses.replace(spec, concepts=concepts, terrains=(), elements=elements)


# ----------------------------------------------------------------------------------- stage


class _Stage:
    """The still and everything precomputed for animating it; :meth:`frame` composes frame i."""

    def __init__(self, request: VideoRequest) -> None:
        w, h = request.size
        self.w, self.h, self.fps = w, h, request.fps
        rng = np.random.default_rng(request.seed)
        spec = _spec(request)
        self.spec = spec
        self.falls = _falls(spec, request)
        sw, sh = max(8, round(w * OVERSCAN)), max(8, round(h * OVERSCAN))
        self.sw, self.sh = sw, sh
        scene_seed = int(rng.integers(0, 2**31))
        still = render_scene(_still_spec(spec, self.falls), (sw, sh), scene_seed)
        self.still = np.asarray(cv2.cvtColor(still.image, cv2.COLOR_RGB2RGBA), np.uint8)
        self.buf = self.still.copy()  # the still with this frame's water
        # low-resolution grids: overlay (output / r) and scene masks (still / r)
        self.r = max(2, round(min(w, h) / 270))
        self.lw, self.lh = max(2, -(-w // self.r)), max(2, -(-h // self.r))
        hy = still.horizon_y if spec.layout == "outdoor" else None
        self.horizon = hy
        sky_mask = np.zeros((sh, sw), np.float32)
        self.sun: tuple[float, float] | None = None
        self.water: tuple[int, int] | None = None
        if hy is not None and hy > 4:
            sky = render_scene(_sky_spec(_still_spec(spec, self.falls)), (sw, sh), scene_seed)
            diff = np.abs(still.image.astype(np.int16) - sky.image.astype(np.int16)).max(axis=2)
            same = (diff <= _SKY_DIFF).astype(np.uint8)
            same[hy:] = 0
            same = cv2.morphologyEx(same, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
            sky_mask = same.astype(np.float32)
            self.sun = _find_sun(sky.image, hy, spec.time_of_day)
            self.water = _water_rows(spec, diff, hy)
        sky_size = (max(2, sw // self.r), max(2, sh // self.r))
        self.sky_lo = np.asarray(
            cv2.resize(sky_mask, sky_size, interpolation=cv2.INTER_AREA), np.float32
        )
        self.has_sky = bool(sky_mask.any())
        cover = 0.0
        if self.has_sky and "clouds" not in spec.removed:
            cover = {"night": 0.25, "overcast": 0.75, "day": 0.4}.get(spec.time_of_day, 0.5)
            if any(e.shape == "cloud" for e in spec.elements):
                cover += 0.2
        self.duration_s = request.duration
        self.wind = float(rng.choice([-1.0, 1.0]))
        self.clouds = cloud_layer(self, rng, cover) if cover > 0 else None
        self.ripples = Ripples(self, rng) if self.water is not None else None
        self.particles = [Particles(self, f, rng) for f in self.falls]
        focus_x = self.sun[0] / sw if self.sun else 0.5
        # outdoors, frame high: the horizon a third of the way up, more sky than ground
        focus_y = 0.4 if hy is not None else 0.5
        self.shots = plan_glides(request, (focus_x, focus_y), rng)
        self.light = Light(self, rng)

    @property
    def time_of_day(self) -> str:
        return self.spec.time_of_day

    # -- camera

    def camera(self, i: int) -> Mat:
        """The still → output transform at frame ``i``."""
        return glide_matrix(self.shots, i, (self.sw, self.sh), (self.w, self.h))

    def _low(self, m: Mat) -> Mat:
        """``m`` followed by full → low-res output pixel centres."""
        r = self.r
        to_low = np.array(
            [[1 / r, 0, -(r - 1) / (2 * r)], [0, 1 / r, -(r - 1) / (2 * r)], [0, 0, 1]]
        )
        return to_low @ m

    # -- frame

    def frame(self, i: int) -> RGBImage:
        t = i / self.fps
        m = self.camera(i)
        src = self.still
        if self.ripples is not None:
            self.ripples.apply(self.still, self.buf, t)
            src = self.buf
        frame = np.asarray(
            cv2.warpAffine(
                src, m[:2], (self.w, self.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            ),
            np.uint8,
        )
        # the overlay, premultiplied, at low resolution: clouds, light, near particles
        lo = self._low(m)
        prem = np.zeros((self.lh, self.lw, 3), np.float32)
        alpha = np.zeros((self.lh, self.lw), np.float32)
        if self.clouds is not None:
            self.clouds.draw(self, lo, t, prem, alpha)
        self.light.draw(self, lo, t, prem)
        for p in self.particles:
            p.draw_soft(self, m, t, prem, alpha)
        keep = np.clip((1.0 - alpha) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        add = np.clip(prem * 255.0 + 0.5, 0, 255).astype(np.uint8)
        keep4 = cv2.merge([keep, keep, keep, keep])
        add4 = cv2.merge([add[..., 0], add[..., 1], add[..., 2], np.zeros_like(keep)])
        size = (self.w, self.h)
        keep4 = cv2.resize(keep4, size, interpolation=cv2.INTER_LINEAR)
        add4 = cv2.resize(add4, size, interpolation=cv2.INTER_LINEAR)
        frame = np.asarray(cv2.add(cv2.multiply(frame, keep4, scale=1 / 255), add4), np.uint8)
        for p in self.particles:
            p.draw_sharp(self, m, t, frame)
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB), np.uint8)


def _find_sun(sky: RGBImage, hy: int, tod: str) -> tuple[float, float] | None:
    """Where the sky is brightest (the sun's glow), in still pixels."""
    if tod in ("night", "overcast", "studio"):
        return None
    h, w = sky.shape[:2]
    f = max(1, min(w, h) // 128)
    lum = cv2.cvtColor(sky[: max(1, hy)], cv2.COLOR_RGB2GRAY)[::f, ::f].astype(np.float32)
    lum = np.asarray(cv2.GaussianBlur(lum, (0, 0), max(1.0, lum.shape[1] / 30)), np.float32)
    y, x = np.unravel_index(int(np.argmax(lum)), lum.shape)
    return (float(x * f + f / 2), float(y * f + f / 2))


def _water_rows(spec: SceneSpec, diff: npt.NDArray[np.int16], hy: int) -> tuple[int, int] | None:
    """The rows of a sea or lake band (the part below the horizon that the sky-only render has
    not), or of a water floor."""
    h = diff.shape[0]
    if spec.surface == "water":
        return (hy, h)
    if not any(n in spec.concepts for n in ("sea", "beach", "lake", "river", "island")):
        return None
    frac = (diff[hy:] > _SKY_DIFF).mean(axis=1)
    low = np.nonzero(frac < 0.9)[0]
    end = hy + int(low[low > 2][0]) if (low > 2).any() else h
    end -= int(h * 0.012)  # the shoreline waves about this much
    return (hy, end) if end - hy >= 4 else None
