"""Classic text to video for wan2.6-t2v (CPU, no model weights): a procedural scene, animated.

The scene comes from the background-generation renderer (:mod:`.scene_render`, driven by the
prompt vocabulary of :mod:`.scene_vocab`); the whole frame is the scene, there is no subject.
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
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBImage, VideoItem
from wanstack.engines.classic.scene_render import render_scene
from wanstack.engines.classic.scene_vocab import BY_NAME, SceneSpec, parse_prompt
from wanstack.engines.requests import VideoRequest

F32 = npt.NDArray[np.float32]
Mat = npt.NDArray[np.float64]  #: 3×3 affine matrix (homogeneous)

#: the still is rendered this much larger than the output, so the camera can move and zoom
OVERSCAN = 1.15
#: sky mask threshold: a pixel is sky where the full scene and the sky-only render agree
_SKY_DIFF = 10

_SNOW_WORDS = re.compile(r"下雪|飘雪|雪花|大雪|小雪|雪景|snow(?:y|ing|fall|flakes?)?\b", re.I)
_FALL_WORDS = re.compile(r"飘落|飘|落下|纷飞|飞舞|fall(?:ing|s)?\b|drift(?:ing|s)?\b", re.I)
_PUSH_WORDS = re.compile(r"推进|推近|拉近|push(?:es)? in|zoom(?:s)? in|dolly in", re.I)
_PULL_WORDS = re.compile(r"拉远|后退|pull(?:s)? out|zoom(?:s)? out|dolly out", re.I)
_PAN_WORDS = re.compile(r"平移|横移|摇镜|pan(?:s|ning)?\b|tracking", re.I)


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


@dataclass(frozen=True, slots=True)
class _Framing:
    cx: float  #: window centre, fraction of the still's width
    cy: float
    zoom: float  #: 1 = the whole still; 1.15 = one still pixel per output pixel


@dataclass(frozen=True, slots=True)
class _Shot:
    start: int  #: first frame
    end: int  #: one past the last frame
    a: _Framing
    b: _Framing


@dataclass(frozen=True, slots=True)
class _Fall:
    """A kind of falling particle."""

    kind: str  #: ``petal`` | ``leaf`` | ``snow`` | ``rain``
    colors: tuple[tuple[int, int, int], ...]
    count: float  #: relative density


def _spec(request: VideoRequest) -> SceneSpec:
    spec = parse_prompt(request.prompt, request.negative_prompt)
    # "snowy forest": the vocabulary knows snow as a ground, not the adjective; say it plainly
    snow_asked = bool(_SNOW_WORDS.search(request.prompt))
    snow_refused = bool(re.search(r"雪|snow", request.negative_prompt, re.I))
    if snow_asked and not snow_refused and "snow" not in spec.concepts:
        spec = parse_prompt(request.prompt + ", snow", request.negative_prompt)
    return spec


def _falls(spec: SceneSpec, request: VideoRequest) -> list[_Fall]:
    falls: list[_Fall] = []
    falling = bool(_FALL_WORDS.search(request.prompt))
    petals = [e for e in spec.elements if e.shape in ("blossom", "petal")]
    petals += [e for e in spec.elements if e.shape == "flower" and falling]
    if petals:
        falls.append(_Fall("petal", tuple(e.color for e in petals), 1.0))
    leaves = [e for e in spec.elements if e.shape == "leaf"]
    if leaves and (falling or any(e.placement == "scatter" for e in leaves)):
        falls.append(_Fall("leaf", tuple(e.color for e in leaves), 0.6))
    snow_refused = bool(re.search(r"雪|snow", request.negative_prompt, re.I))
    if not snow_refused and (
        _SNOW_WORDS.search(request.prompt)
        or "snow" in spec.concepts
        or "snowfield" in spec.concepts
    ):
        falls.append(_Fall("snow", ((246, 248, 252), (226, 234, 246)), 1.0))
    if "rain" in spec.concepts:
        falls.append(_Fall("rain", ((200, 210, 222),), 1.0))
    return falls


def _still_spec(spec: SceneSpec, falls: list[_Fall]) -> SceneSpec:
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


def _camera_style(prompt: str, rng: np.random.Generator) -> str:
    if _PUSH_WORDS.search(prompt):
        return "push"
    if _PULL_WORDS.search(prompt):
        return "pull"
    if _PAN_WORDS.search(prompt):
        return "pan"
    return str(rng.choice(["push", "pan", "push", "pull"]))


def _move(style: str, focus: tuple[float, float], zoom: float, rng: np.random.Generator) -> _Shot:
    """One camera move around ``focus`` (the sun, or the middle of the horizon) starting from a
    framing of ``zoom``."""
    fx, fy = focus
    side = float(rng.choice([-1.0, 1.0]))
    if style == "pan":
        z = zoom + 0.08
        reach = 0.5 - 0.5 / z  # how far the window's centre can travel from the middle
        a = _Framing(0.5 - side * reach * 0.85, fy, z)
        b = _Framing(0.5 + side * reach * 0.85, fy, z)
    else:
        wide = _Framing(0.5, fy, zoom)
        close = _Framing(0.5 + (fx - 0.5) * 0.5, fy, zoom + 0.15)
        a, b = (wide, close) if style == "push" else (close, wide)
    return _Shot(0, 0, a, b)


def _shots(
    request: VideoRequest, focus: tuple[float, float], rng: np.random.Generator
) -> list[_Shot]:
    total = request.duration * request.fps
    first = _camera_style(request.prompt, rng)
    if request.shot_type != "multi" or total < 6:
        return [dataclasses.replace(_move(first, focus, 1.05, rng), start=0, end=total)]
    n = 3 if request.duration >= 6 and total >= 9 else 2
    # shot lengths: about equal, jittered; every shot at least a third of its share
    weights = rng.uniform(0.8, 1.2, n)
    bounds = np.round(np.cumsum(weights) / weights.sum() * total).astype(int)
    starts = [0, *bounds[:-1].tolist()]
    styles = [first, *[s for s in ("pan", "push", "pull") if s != first]][:n]
    zooms = [1.05, 1.3, 1.12]
    shots = []
    for k in range(n):
        shot = _move(styles[k], focus, zooms[k], rng)
        if k == 1:  # the close shot frames one side of the scene
            dx = float(rng.choice([-0.16, 0.16]))
            shot = _Shot(
                0,
                0,
                dataclasses.replace(shot.a, cx=shot.a.cx + dx),
                dataclasses.replace(shot.b, cx=shot.b.cx + dx),
            )
        shots.append(dataclasses.replace(shot, start=int(starts[k]), end=int(bounds[k])))
    shots[-1] = dataclasses.replace(shots[-1], end=total)
    return shots


def _ease(t: float) -> float:
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


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
        self.sky_lo = cv2.resize(
            sky_mask, (max(2, sw // self.r), max(2, sh // self.r)), interpolation=cv2.INTER_AREA
        )
        self.has_sky = bool(sky_mask.any())
        cover = 0.0
        if self.has_sky and "clouds" not in spec.removed:
            cover = {"night": 0.25, "overcast": 0.75, "day": 0.4}.get(spec.time_of_day, 0.5)
            if any(e.shape == "cloud" for e in spec.elements):
                cover += 0.2
        self.duration_s = request.duration
        self.wind = float(rng.choice([-1.0, 1.0]))
        self.clouds = _cloud_layer(self, rng, cover) if cover > 0 else None
        self.ripples = _Ripples(self, rng) if self.water is not None else None
        self.particles = [_Particles(self, f, rng) for f in self.falls]
        focus_x = self.sun[0] / sw if self.sun else 0.5
        # outdoors, frame high: the horizon a third of the way up, more sky than ground
        focus_y = 0.4 if hy is not None else 0.5
        self.shots = _shots(request, (focus_x, focus_y), rng)
        self.sweep_angle = float(rng.uniform(0.35, 0.7)) * (1 if rng.uniform() < 0.5 else -1)
        self.tint = np.asarray(_light_color(spec), np.float32) / 255.0

    # -- camera

    def camera(self, i: int) -> Mat:
        """The still → output transform at frame ``i``."""
        shot = next(s for s in self.shots if s.start <= i < s.end)
        t = _ease((i - shot.start) / max(1, shot.end - shot.start - 1))
        z = shot.a.zoom + (shot.b.zoom - shot.a.zoom) * t
        cx = (shot.a.cx + (shot.b.cx - shot.a.cx) * t) * self.sw
        cy = (shot.a.cy + (shot.b.cy - shot.a.cy) * t) * self.sh
        ww, wh = self.sw / z, self.sh / z  # the window on the still
        cx = min(max(cx, ww / 2), self.sw - ww / 2)
        cy = min(max(cy, wh / 2), self.sh - wh / 2)
        sx, sy = self.w / ww, self.h / wh
        return np.array(
            [[sx, 0, -sx * (cx - ww / 2)], [0, sy, -sy * (cy - wh / 2)], [0, 0, 1]], np.float64
        )

    def _low(self, m: Mat) -> Mat:
        """``m`` followed by full → low-res output pixel centres."""
        r = self.r
        to_low = np.array(
            [[1 / r, 0, -(r - 1) / (2 * r)], [0, 1 / r, -(r - 1) / (2 * r)], [0, 0, 1]]
        )
        return to_low @ m

    def _from_scene_low(self) -> Mat:
        """Low-res still pixel → still pixel."""
        r = self.r
        return np.array([[r, 0, (r - 1) / 2], [0, r, (r - 1) / 2], [0, 0, 1]], np.float64)

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
        self._light(lo, t, prem)
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

    def _light(self, lo: Mat, t: float, prem: F32) -> None:
        """Moving light: the sun's glow breathes and sways, or a soft band sweeps the frame. Both
        are precomputed textures placed by one small warp."""
        breathe = 0.5 + 0.5 * math.sin(t * 2 * math.pi / 7.0)
        size = (self.lw, self.lh)
        s = min(self.lw, self.lh)
        if self.sun is not None and self.spec.time_of_day in _LOW_SUN:
            sx, sy = self.sun
            sx += self.sw * 0.01 * math.sin(t * 2 * math.pi / 11.0)
            p = lo @ np.array([sx, sy, 1.0])
            k = s / _GLOW_SCALE  # texture px → overlay px
            m = np.array([[k, 0, p[0] - k * _GLOW_HALF], [0, k, p[1] - k * _GLOW_HALF]])
            core = cv2.warpAffine(_GLOW[0], m, size, flags=cv2.INTER_LINEAR)
            halo = cv2.warpAffine(_GLOW[1], m, size, flags=cv2.INTER_LINEAR)
            glow = cv2.addWeighted(core, 0.07 + 0.05 * breathe, halo, 0.05, 0.0)
            prem += glow[..., None] * self.tint
            return
        if self.spec.time_of_day == "night":
            return
        # a soft band of light crossing the frame, there and back in ~24 s
        ang = self.sweep_angle
        pos = 0.9 * math.sin(t * 2 * math.pi / 24.0 + 0.6)
        ca, sa = math.cos(ang), math.sin(ang)
        # overlay (x, y) → band texture column: along = ((x/lw-.5)·ca + (y/lh-.5)·sa - pos)
        kx, ky = ca / self.lw * _BAND_SCALE, sa / self.lh * _BAND_SCALE
        c0 = (-0.5 * ca - 0.5 * sa - pos) * _BAND_SCALE + _BAND_HALF
        m = np.array([[kx, ky, c0], [0.0, 0.0, 0.0]])
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        band = cv2.warpAffine(_BAND, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        prem += (band * (0.05 + 0.03 * breathe))[..., None] * self.tint


_LOW_SUN = ("sunset", "golden", "morning", "dusk")
_GLOW_HALF = 128  #: glow textures: 257² px, the overlay's short side is _GLOW_SCALE px of it
_GLOW_SCALE = 64.0
_gy, _gx = np.mgrid[-_GLOW_HALF : _GLOW_HALF + 1, -_GLOW_HALF : _GLOW_HALF + 1]
_gd2 = (_gx.astype(np.float32) ** 2 + _gy.astype(np.float32) ** 2) / _GLOW_SCALE**2
_GLOW = (np.exp(-_gd2 / 0.02).astype(np.float32), np.exp(-_gd2 / 0.15).astype(np.float32))
_BAND_HALF = 512  #: sweep band texture: one row, ``along`` of 1 is _BAND_SCALE px
_BAND_SCALE = 256.0
_BAND = np.exp(
    -(((np.arange(2 * _BAND_HALF + 1, dtype=np.float32) - _BAND_HALF) / _BAND_SCALE) ** 2) / 0.035
)[None, :].astype(np.float32)


def _light_color(spec: SceneSpec) -> tuple[int, int, int]:
    return {
        "sunset": (255, 170, 100),
        "golden": (255, 196, 120),
        "morning": (255, 214, 170),
        "dusk": (255, 150, 120),
        "overcast": (200, 210, 225),
        "night": (150, 170, 220),
    }.get(spec.time_of_day, (255, 240, 215))


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


# ----------------------------------------------------------------------------------- clouds


@dataclass
class _Clouds:
    """A drifting cloud texture at low resolution, premultiplied (RGB·a, a)."""

    prem: F32  #: H×W×3
    alpha: F32
    x0: float  #: still-low x of the texture's column 0 at t = 0
    speed: float  #: still-low px per second

    def draw(self, st: _Stage, lo: Mat, t: float, prem: F32, alpha: F32) -> None:
        shift = np.array([[1, 0, self.x0 + self.speed * t], [0, 1, 0], [0, 0, 1]], np.float64)
        m = (lo @ st._from_scene_low() @ shift)[:2]
        size = (st.lw, st.lh)
        a = np.asarray(cv2.warpAffine(self.alpha, m, size, flags=cv2.INTER_LINEAR), np.float32)
        c = cv2.warpAffine(self.prem, m, size, flags=cv2.INTER_LINEAR)
        sm = (lo @ st._from_scene_low())[:2]
        sky = np.asarray(cv2.warpAffine(st.sky_lo, sm, size, flags=cv2.INTER_LINEAR), np.float32)
        a *= sky
        prem[:] = prem * (1 - a[..., None]) + c * sky[..., None]
        alpha[:] = alpha + a * (1 - alpha)


def _fbm(
    rng: np.random.Generator, h: int, w: int, cell: float, octaves: int, stretch: float
) -> F32:
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        c = max(cell / 2**o, 1.5)
        g = rng.standard_normal((max(2, int(h / c) + 2), max(2, int(w / (c * stretch)) + 2)))
        out += cv2.resize(g.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC) * amp
        total += amp
        amp *= 0.5
    return np.asarray(out / (total * 0.75), np.float32)


def _cloud_layer(st: _Stage, rng: np.random.Generator, cover: float) -> _Clouds:
    assert st.horizon is not None
    slw = st.sky_lo.shape[1]
    hyl = max(2, st.horizon // st.r)
    speed = st.wind * slw * 0.012  # ~1.2 % of the width per second
    extra = int(abs(speed) * st.duration_s) + 4
    tw = slw + extra
    n = _fbm(rng, hyl, tw, cell=slw / 4.5, octaves=5, stretch=3.0)
    ly = (np.arange(hyl, dtype=np.float32) + 0.5) / hyl  # 0 top … 1 horizon
    band = np.clip(1.2 - np.abs(ly - 0.35) * 2.0, 0.0, 1.0)[:, None]
    thr = 0.95 - cover * 1.1
    a = np.clip((n * band - thr) / 0.45, 0, 1)
    a = a * a * (3 - 2 * a) * 0.75
    shade = np.clip(0.5 + (n - np.roll(n, 3, axis=0)) * 2.5, 0, 1)[..., None]
    tod = st.spec.time_of_day
    lit, dark = {
        "sunset": ((255, 186, 150), (120, 84, 118)),
        "dusk": ((236, 150, 140), (96, 72, 104)),
        "golden": ((255, 222, 180), (176, 156, 156)),
        "morning": ((255, 228, 214), (176, 168, 190)),
        "night": ((70, 78, 108), (30, 34, 56)),
        "overcast": ((214, 218, 224), (140, 146, 156)),
    }.get(tod, ((255, 255, 255), (200, 210, 226)))
    lc, dc = np.asarray(lit, np.float32) / 255, np.asarray(dark, np.float32) / 255
    col = dc + (lc - dc) * shade
    if tod == "night":
        a *= 0.6
    x0 = -float(extra) if speed > 0 else 0.0
    return _Clouds(np.asarray(col * a[..., None], np.float32), a.astype(np.float32), x0, speed)


# ----------------------------------------------------------------------------------- water


class _Ripples:
    """Travelling ripples on the water band and glints that twinkle on it."""

    def __init__(self, st: _Stage, rng: np.random.Generator) -> None:
        assert st.water is not None
        y0, y1 = st.water
        self.y0, self.y1 = y0, y1
        bh, w = y1 - y0, st.sw
        ys = np.arange(bh, dtype=np.float32)[:, None]
        depth = (ys + 1.0) / bh  # 0 far (horizon) … 1 near
        # plane distance from the viewer: the waves crowd together toward the horizon
        dist = st.sh * 0.08 / (ys + st.sh * 0.01)
        phase = dist * 2 * math.pi * 1.6
        noise = _fbm(rng, bh, w, cell=max(4.0, bh / 2), octaves=3, stretch=4.0)
        amp = (0.35 + depth * 2.2) * (st.sh / 1000.0) * (0.6 + 0.4 * np.abs(noise))
        self.c = np.asarray(amp * np.cos(phase), np.float32)
        self.s = np.asarray(amp * np.sin(phase), np.float32)
        self.base_x = np.ascontiguousarray(
            np.broadcast_to(np.arange(w, dtype=np.float32)[None, :], (bh, w))
        )
        self.base_y = np.ascontiguousarray(np.broadcast_to(ys + y0, (bh, w)), np.float32)
        # glints: on the sun's path, a few elsewhere
        n = int(min(220, w * bh / 700))
        cx = st.sun[0] if st.sun is not None else w / 2
        near = rng.uniform(0, 1, n) ** 0.8
        spread = w * (0.01 + 0.07 * near) * (1.0 if st.sun is not None else 6.0)
        stray = rng.uniform(0, 1, n) < 0.15
        spread = np.where(stray, w * 0.3, spread)
        self.gx = np.clip(cx + rng.standard_normal(n) * spread, 0, w - 1).astype(np.int32)
        self.gy = (y0 + near * (bh - 1)).astype(np.int32)
        self.gr = (0.5 + near * 1.5) * (st.sh / 700)  #: half length of the glint, px
        self.gphase = rng.uniform(0, 2 * math.pi, n)
        self.gfreq = rng.uniform(2.0, 5.0, n)
        night = st.spec.time_of_day == "night"
        glint = (210, 220, 250) if night else (255, 246, 226)
        self.gcol = np.asarray(glint, np.float32)

    def apply(self, still: npt.NDArray[np.uint8], buf: npt.NDArray[np.uint8], t: float) -> None:
        om = t * 2 * math.pi / 2.2
        co, si = math.cos(om), math.sin(om)
        wave = cv2.addWeighted(self.c, co, self.s, si, 0.0)
        quad = cv2.addWeighted(self.s, co, self.c, -si, 0.0)
        mx = cv2.add(self.base_x, wave)
        my = cv2.scaleAdd(quad, 0.6, self.base_y)
        cv2.remap(
            still,
            mx,
            my,
            cv2.INTER_LINEAR,
            dst=buf[self.y0 : self.y1],
            borderMode=cv2.BORDER_REFLECT,
        )
        b = np.sin(self.gphase + t * self.gfreq) ** 16
        sh = 4  # sub-pixel precision for cv2 drawing
        for k in np.nonzero(b > 0.1)[0].tolist():
            x, y = int(self.gx[k]), int(self.gy[k])
            bg = buf[y, x, :3].astype(np.float32)
            c = bg + (self.gcol - bg) * float(min(1.0, b[k] * 1.3))
            color = (*(float(v) for v in c), 255.0)
            ln = self.gr[k] * (0.5 + b[k])
            axes = (max(1, int(ln * 16)), max(1, int(ln * 5)))
            cv2.ellipse(buf, (x * 16 + 8, y * 16 + 8), axes, 0, 0, 360, color, -1, cv2.LINE_AA, sh)


# -------------------------------------------------------------------------------- particles


class _Particles:
    """Falling particles of one kind, positions a closed-form function of time.

    Near ones (``depth`` > 0.65) are drawn large and soft into the low-res overlay; the others
    small and sharp onto the frame. Near ones also move more with the camera (parallax)."""

    def __init__(self, st: _Stage, fall: _Fall, rng: np.random.Generator) -> None:
        self.kind = fall.kind
        area = st.w * st.h / (1280 * 720)
        base = {"petal": 110, "leaf": 50, "snow": 260, "rain": 320}[fall.kind]
        n = int(base * fall.count * (0.5 + 0.5 * area))
        self.depth = rng.uniform(0, 1, n) ** 1.6  # most are far
        self.u0 = rng.uniform(0, 1, n)
        self.v0 = rng.uniform(0, 1, n)
        s = min(st.w, st.h)
        unit = s * {"petal": 0.011, "leaf": 0.013, "snow": 0.003, "rain": 0.04}[fall.kind]
        self.size = unit * (0.5 + 2.6 * self.depth**2) * rng.uniform(0.8, 1.25, n)
        # speeds in frame heights per second
        fallv = {"petal": 0.09, "leaf": 0.11, "snow": 0.06, "rain": 1.6}[fall.kind]
        self.vy = fallv * (0.45 + 1.2 * self.depth) * rng.uniform(0.8, 1.2, n)
        drift = st.wind * {"petal": 0.035, "leaf": 0.04, "snow": 0.012, "rain": 0.08}[fall.kind]
        self.vx = drift * (0.6 + self.depth) * rng.uniform(0.7, 1.3, n)
        self.sway = {"petal": 0.02, "leaf": 0.025, "snow": 0.008, "rain": 0.0}[fall.kind]
        self.sway_f = rng.uniform(0.35, 0.9, n) * 2 * math.pi
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.spin = rng.uniform(-2.5, 2.5, n)
        self.flip_f = rng.uniform(0.6, 1.6, n) * 2 * math.pi
        palette = np.asarray(fall.colors, np.float32)
        pick = palette[rng.integers(0, len(palette), n)]
        self.color = np.clip(pick * rng.uniform(0.88, 1.08, (n, 1)), 0, 255)

    def _positions(self, st: _Stage, m: Mat, t: float) -> tuple[F32, F32]:
        # the camera's pan moves near particles more than the scene (parallax)
        ox = (m[0, 2] + m[0, 0] * st.sw / 2 - st.w / 2) / st.w
        margin = 0.1
        x = self.u0 + self.vx * t + self.sway * np.sin(self.sway_f * t + self.phase)
        x = x + ox * (0.3 + 0.9 * self.depth)
        y = self.v0 + self.vy * t
        x = np.mod(x + margin, 1 + 2 * margin) - margin
        y = np.mod(y + margin, 1 + 2 * margin) - margin
        return (x * st.w).astype(np.float32), (y * st.h).astype(np.float32)

    def draw_soft(self, st: _Stage, m: Mat, t: float, prem: F32, alpha: F32) -> None:
        near = np.nonzero(self.depth > 0.65)[0]
        if near.size == 0:
            return
        x, y = self._positions(st, m, t)
        layer = np.zeros((st.lh, st.lw, 4), np.uint8)
        r = st.r
        for k in near.tolist():
            op = 0.55 if self.kind == "rain" else 0.9
            c = (*(self.color[k] * op).tolist(), op * 255)
            self._shape(layer, x[k] / r, y[k] / r, self.size[k] / r, k, t, c, soft=True)
        lf = layer.astype(np.float32) / 255.0
        a = lf[..., 3]
        prem[:] = prem * (1 - a[..., None]) + lf[..., :3]
        alpha[:] = alpha + a * (1 - alpha)

    def draw_sharp(self, st: _Stage, m: Mat, t: float, frame: npt.NDArray[np.uint8]) -> None:
        far = np.nonzero(self.depth <= 0.65)[0]
        x, y = self._positions(st, m, t)
        for k in far.tolist():
            c = (*self.color[k].tolist(), 255.0)
            self._shape(frame, x[k], y[k], self.size[k], k, t, c, soft=False)

    def _shape(
        self,
        img: npt.NDArray[Any],
        x: float,
        y: float,
        size: float,
        k: int,
        t: float,
        color: tuple[float, ...],
        soft: bool,
    ) -> None:
        sh = 4  # sub-pixel precision for cv2 drawing
        f = 1 << sh
        px, py = int(x * f), int(y * f)
        if self.kind == "snow":
            cv2.circle(img, (px, py), max(1, int(size * f)), color, -1, cv2.LINE_AA, sh)
            return
        if self.kind == "rain":
            dx = self.vx[k] * 0.03 * img.shape[0] * (4 if soft else 1) / max(self.vy[k], 1e-3)
            tail = (int((x - dx) * f), int((y - size) * f))
            cv2.line(img, tail, (px, py), color, 1, cv2.LINE_AA, sh)
            return
        ang = math.degrees(self.phase[k] + self.spin[k] * t)
        flip = abs(math.cos(self.flip_f[k] * t + self.phase[k]))
        long_axis = size * (1.0 if self.kind == "petal" else 1.3)
        short = long_axis * (0.55 if self.kind == "petal" else 0.35) * (0.25 + 0.75 * flip)
        axes = (max(1, int(long_axis * f)), max(1, int(short * f)))
        shade = 0.8 + 0.2 * flip
        c = (color[0] * shade, color[1] * shade, color[2] * shade, color[3])
        cv2.ellipse(img, (px, py), axes, ang, 0, 360, c, -1, cv2.LINE_AA, sh)
        if not soft and self.kind == "petal" and size > 2.5:
            # the lit half of the petal: a lighter, smaller ellipse toward one tip
            hl = (min(255.0, c[0] + 18), min(255.0, c[1] + 18), min(255.0, c[2] + 18), c[3])
            rad = math.radians(ang)
            off = axes[0] * 0.3
            tip = (int(px + off * math.cos(rad)), int(py + off * math.sin(rad)))
            inner = (max(1, int(axes[0] * 0.65)), max(1, int(axes[1] * 0.8)))
            cv2.ellipse(img, tip, inner, ang, 0, 360, hl, -1, cv2.LINE_AA, sh)
