"""Procedural product-photography backdrops from a :class:`~.scene_vocab.SceneSpec`.

No model weights: numpy, OpenCV and a seeded ``numpy.random.Generator``. The scene is rendered in
layers, in float32 RGB (0–1):

1. **Sky or backdrop** — a time-of-day sky (gradient, sun glow, lit clouds, stars, aurora) or a
   studio backdrop (seamless sweep, gradient, wall, blurred interior, curtain); smooth parts are
   computed at a fraction of the size and upscaled.
2. **Far terrain** — mountain ranges, mesas, dunes and hills as a height field seen from the
   ground, rendered column by column from near to far (voxel-space style) and shaded per pixel:
   a light and a shadow side from the sun, gullies, snow on high flat parts, haze that separates
   the ranges in layers; treelines, bamboo, a city skyline (lit windows and bokeh at night).
3. **Ground** — a material (marble veins, wood boards, concrete with aggregate and stains, stone,
   terrazzo, linen weave, sand ripples, snow, grass, metal, tile…) evaluated in the plane's own
   coordinates through the perspective, so it is sharp in front and detail smaller than a pixel
   fades instead of shimmering; depth of field behind the product; glossy materials and water
   mirror what is above them; seas and lakes with ripples, glitter and a shoreline.
4. **Props** — podium, steps, cube, arch, sphere, column, tray — shaded for the light side.
5. **Elements** — blossoms, flowers, leaves, petals, bokeh, plants, rocks, animals, palms… in
   depth layers, near and far ones blurred, kept away from where the product goes.
6. **Light** — key-light falloff, sun beams, warm/cool grade, saturation, vignette; ``v3`` adds
   film grain; everything is dithered before quantising, so gradients do not band.

With a :class:`Footprint` the scene is built around the product: the podium (or steps, cube, tray)
stands under it with its top where the product's bottom is, the horizon or table edge lies above
that bottom, and elements stay out of the product's box.

``quality="v2"`` is the fast renderer; ``"v3"`` renders its smooth layers at higher resolution,
uses more noise octaves (finer material detail), more and smaller elements, and adds grain.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic.scene_vocab import RGB, SceneSpec, terrain_params

F32 = npt.NDArray[Any]  #: float32 arrays (typed loosely: numpy arithmetic widens dtypes)
RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where the product stands in the frame, in pixels: the scene is built around it."""

    cx: int  #: x of the centre of the product's base
    bottom: int  #: y of the product's lowest opaque row
    half_width: int  #: half the width of its base
    top: int  #: y of its highest opaque row


@dataclass(frozen=True, eq=False)
class Scene:
    """A rendered backdrop and what the compositor needs to place a product in it.

    (Compared by identity: it holds an array.)"""

    image: RGBImage  #: H×W×3 uint8 RGB, exactly the requested size
    horizon_y: int | None  #: horizon (outdoor) or table/floor edge (tabletop); None: seamless/sky
    ground: bool  #: there is a floor the product stands on
    floor_y: int  #: suggested y of the product's bottom (top of the podium when there is one)
    floor_x: int  #: suggested x of the product's centre
    light_dir: tuple[float, float]  #: unit (dx, dy), image axes: the way cast shadows fall
    light_elevation: float  #: degrees; low = long shadows
    light_softness: float  #: 0 hard … 1 soft (shadow blur)
    light_warmth: float  #: -1 cool … +1 warm
    glossy: bool  #: the floor reflects (water, glass, mirror, polished stone)
    reflectivity: float  #: strength of the floor's mirror image, 0 … 1
    podium: tuple[int, int, int] | None  #: (centre x, top y, half width) of a podium, if any
    ambient: RGB  #: mean colour of the scene around the product, for rim harmonisation


@dataclass(frozen=True)
class _Stand:
    """A prop the product stands on: where it is and how it is built."""

    style: str  #: ``podium`` | ``steps`` | ``tray`` | ``cube``
    cx: int
    top: int  #: y of the surface the product stands on
    base: int  #: y where the stand meets the floor
    rx: int  #: half width (of the upper tier, for steps)
    heights: tuple[int, ...]  #: tier heights, bottom up


@dataclass
class _Ctx:
    w: int
    h: int
    rng: np.random.Generator
    spec: SceneSpec
    fine: bool  # v3
    img: F32
    horizon: int | None = None
    floor_y: int = 0
    horizon_rgb: F32 | None = None
    sun: tuple[float, float] | None = None  # (x, y) in pixels
    sun_rgb: F32 | None = None
    podium: tuple[int, int, int] | None = None
    reflectivity: float = 0.0
    fp: Footprint | None = None  # the product, when known
    keep: tuple[int, int, int, int] | None = None  # (x0, y0, x1, y1): elements stay out
    stand: _Stand | None = None  # the podium (or steps, tray, cube) the product stands on

    @property
    def detail(self) -> float:
        return min(1.0, self.spec.detail + (0.25 if self.fine else 0.0))


def _col(rgb: RGB | tuple[float, float, float]) -> F32:
    return np.asarray(rgb, dtype=np.float32) / 255.0


def _mixc(a: F32, b: F32, t: float) -> F32:
    return np.asarray(a + (b - a) * t, dtype=np.float32)


def _resize(a: F32, w: int, h: int, cubic: bool = False) -> F32:
    interp = cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(a, (w, h), interpolation=interp), dtype=np.float32)


def _blur(a: F32, sigma: float) -> F32:
    if sigma < 0.3:
        return a
    return np.asarray(cv2.GaussianBlur(a, (0, 0), sigma), dtype=np.float32)


def _fast_blur(a: F32, sigma: float) -> F32:
    """A large Gaussian blur computed at reduced size."""
    if sigma < 6:
        return _blur(a, sigma)
    f = max(1, int(sigma // 3))
    h, w = a.shape[:2]
    small = _resize(a, max(1, w // f), max(1, h // f))
    return _resize(_blur(small, sigma / f), w, h)


def _fbm(
    rng: np.random.Generator,
    h: int,
    w: int,
    cell: float,
    octaves: int,
    gain: float = 0.5,
    stretch: float = 1.0,
) -> F32:
    """Fractal value noise, roughly zero mean and unit-ish amplitude. ``stretch`` > 1 elongates
    features horizontally."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        c = max(cell / (2**o), 1.5)
        gw = max(2, int(w / (c * stretch)) + 2)
        gh = max(2, int(h / c) + 2)
        g = rng.standard_normal((gh, gw)).astype(np.float32)
        out += _resize(g, w, h, cubic=True) * amp
        total += amp
        amp *= gain
        if c <= 1.5:
            break
    return np.asarray(out / (total * 0.75), dtype=np.float32)


def _smoothstep(e0: float, e1: float, x: F32) -> F32:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), dtype=np.float32)


def _over(img: F32, color: F32, alpha: F32, y0: int = 0) -> None:
    """In place: ``img[y0:] = img*(1-a) + color*a``; ``color`` broadcasts (3,), (h,1,3), (h,w,3)."""
    a = alpha[..., None]
    sub = img[y0 : y0 + alpha.shape[0]]
    sub += (color - sub) * a


def _profile(rng: np.random.Generator, w: int, scale: float, octaves: int, ridged: bool) -> F32:
    """A 1D noise profile over ``w`` columns, about -1…1."""
    out = np.zeros(w, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        n = max(3, int(w / (scale / 2**o)) + 3)
        pts = rng.uniform(-1, 1, n).astype(np.float32)
        v = _resize(pts[None, :], w, 1, cubic=True)[0]
        if ridged:
            v = 1.0 - np.abs(v) * 2.0
        out += v * amp
        total += amp
        amp *= 0.5
    return np.asarray(out / total, dtype=np.float32)


_LATTICE = 256


def _unbroadcast(a: F32) -> F32:
    """The smallest array that broadcasts to ``a`` along its stride-0 (broadcast) axes."""
    index = tuple(
        slice(0, 1) if stride == 0 and n > 1 else slice(None)
        for stride, n in zip(a.strides, a.shape, strict=True)
    )
    return np.asarray(a[index], np.float32)


class _Noise:
    """Value noise evaluated at arbitrary coordinates: a seeded random lattice sampled with
    ``cv2.remap`` (bicubic, wrapping). Every octave is rotated and offset at random, so the
    lattice never shows, and octaves finer than ``foot`` (the size of a pixel in the same units,
    per row) fade out instead of aliasing — cheap mip-mapping for surfaces in perspective."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.lat = rng.standard_normal((_LATTICE, _LATTICE)).astype(np.float32) * 1.4

    def octave(
        self, u: F32, v: F32, cell: float, stretch: float = 1.0, angle: float | None = None
    ) -> F32:
        """One octave, about zero mean and unit-ish amplitude; ``stretch`` > 1 elongates the
        features along ``u`` (after the rotation by ``angle``, random when None)."""
        a = self.rng.uniform(0.0, math.pi) if angle is None else angle
        ox, oy = self.rng.uniform(0.0, _LATTICE, 2)
        c, s = math.cos(a) / cell, math.sin(a) / cell
        u, v = _unbroadcast(u), _unbroadcast(v)
        x = u * (c / stretch) + (v * (-s / stretch) + ox)
        y = u * s + (v * c + oy)
        shape = np.broadcast_shapes(x.shape, y.shape)
        x = np.ascontiguousarray(np.broadcast_to(x, shape), np.float32)
        y = np.ascontiguousarray(np.broadcast_to(y, shape), np.float32)
        # remap keeps integer coordinates in 16 bits: wrap far-away ones onto the lattice
        for m in (x, y):
            if m.size and (float(m.min()) < -30000.0 or float(m.max()) > 30000.0):
                np.mod(m, _LATTICE, out=m)
        out = cv2.remap(self.lat, x, y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_WRAP)
        return np.asarray(out, np.float32)

    def spots(self, u: F32, v: F32, cell: float, foot: F32, lo: float, hi: float) -> F32:
        """Sparse blobs (glints, chips, pores) where one octave exceeds ``lo`` (full at ``hi``),
        faded out on rows where they would be smaller than about two pixels."""
        fade = np.clip(cell / (np.maximum(foot, 1e-9) * 2.0) - 1.0, 0.0, 1.0)[:, None]
        return np.asarray(_smoothstep(lo, hi, self.octave(u, v, cell)) * fade, np.float32)

    def fbm(
        self,
        u: F32,
        v: F32,
        cell: float,
        octaves: int,
        foot: F32 | float = 0.0,
        gain: float = 0.5,
        stretch: float = 1.0,
        angle: float | None = None,
    ) -> F32:
        """Fractal sum of octaves from ``cell`` down; ``foot`` (per row, broadcast over the
        columns) fades out octaves smaller than about three pixels (gone at two)."""
        shape = np.broadcast_shapes(u.shape, v.shape)
        out = np.zeros(shape, np.float32)
        foot_rows = np.broadcast_to(np.asarray(foot, np.float32).reshape(-1), (shape[0],))
        amp, total = 1.0, 0.0
        for o in range(octaves):
            c = cell / 2**o
            total += amp
            wgt = np.clip(c / (np.maximum(foot_rows, 1e-9) * 2.0) - 1.0, 0.0, 1.0)
            rows = np.nonzero(wgt > 0)[0]
            if rows.size == 0:
                amp *= gain
                continue
            r0, r1 = int(rows[0]), int(rows[-1]) + 1
            n = self.octave(u[r0:r1], v[r0:r1], c, stretch, angle)
            out[r0:r1] += n * (wgt[r0:r1, None] * amp)
            amp *= gain
        return np.asarray(out / max(total, 1e-6), np.float32)


# --------------------------------------------------------------------------------- skies

_SKY_STOPS: dict[str, tuple[tuple[float, RGB], ...]] = {
    "day": ((0.0, (86, 138, 204)), (0.55, (146, 186, 226)), (1.0, (214, 228, 238))),
    "morning": ((0.0, (112, 146, 200)), (0.5, (206, 200, 214)), (1.0, (250, 216, 184))),
    "golden": ((0.0, (104, 128, 178)), (0.5, (224, 186, 150)), (1.0, (252, 212, 150))),
    "sunset": (
        (0.0, (46, 54, 108)),
        (0.35, (126, 88, 138)),
        (0.7, (232, 132, 98)),
        (1.0, (252, 196, 130)),
    ),
    "dusk": (
        (0.0, (26, 34, 72)),
        (0.45, (78, 70, 122)),
        (0.8, (186, 116, 132)),
        (1.0, (230, 164, 140)),
    ),
    "night": ((0.0, (6, 10, 26)), (0.6, (16, 26, 56)), (1.0, (40, 54, 92))),
    "overcast": ((0.0, (146, 152, 160)), (0.6, (196, 200, 204)), (1.0, (220, 222, 224))),
}
_SUN: dict[str, tuple[float, RGB, float]] = {
    # time: (height of the sun above the horizon as a fraction of the sky, colour, strength)
    "day": (1.15, (255, 250, 236), 0.25),
    "morning": (0.18, (255, 230, 190), 0.6),
    "golden": (0.16, (255, 214, 150), 0.75),
    "sunset": (0.05, (255, 200, 130), 0.95),
    "dusk": (-0.04, (255, 150, 110), 0.5),
    "night": (-1.0, (0, 0, 0), 0.0),
    "overcast": (0.9, (255, 255, 255), 0.08),
}


def _sky(ctx: _Ctx, hy: int) -> None:
    spec, rng, w, h = ctx.spec, ctx.rng, ctx.w, ctx.h
    tod = spec.time_of_day if spec.time_of_day in _SKY_STOPS else "day"
    stops = _SKY_STOPS[tod]
    f = 2 if ctx.fine else 4
    lw, lh = max(8, w // f), max(8, h // f)
    ly = (np.arange(lh, dtype=np.float32) + 0.5) / lh * h / max(hy, 1)
    grad = np.stack(
        [np.interp(ly, [s[0] for s in stops], [s[1][k] / 255.0 for s in stops]) for k in range(3)],
        axis=-1,
    ).astype(np.float32)
    sky = np.repeat(grad[:, None, :], lw, axis=1)
    ctx.horizon_rgb = np.asarray(
        [np.interp(1.0, [s[0] for s in stops], [s[1][k] / 255.0 for s in stops]) for k in range(3)],
        dtype=np.float32,
    )
    xs = (np.arange(lw, dtype=np.float32) + 0.5) / lw * w
    ys = (np.arange(lh, dtype=np.float32) + 0.5) / lh * h
    # sun
    rise, srgb, strength = _SUN[tod]
    side = spec.light_side if abs(spec.light_side) > 0.1 else 0.4
    sun_x = w * (0.5 + 0.3 * side + rng.uniform(-0.06, 0.06))
    sun_y = hy - rise * hy
    ctx.sun = (sun_x, sun_y)
    ctx.sun_rgb = _col(srgb)
    if strength > 0:
        d2 = ((xs[None, :] - sun_x) ** 2 + (ys[:, None] - sun_y) ** 2) / (w * w)
        glow = np.exp(-d2 / 0.05) * 0.55 + np.exp(-d2 / 0.004) * 0.45
        sky += (ctx.sun_rgb - sky) * (glow * strength)[..., None]
    # clouds
    want = 0.0
    if any(e.shape == "cloud" for e in spec.elements):
        want = 0.45
    cover = {
        "day": 0.2,
        "morning": 0.3,
        "golden": 0.3,
        "sunset": 0.45,
        "dusk": 0.35,
        "night": 0.1,
        "overcast": 0.95,
    }[tod]
    cover = max(cover, want)
    if cover > 0.05:
        n = _fbm(rng, lh, lw, cell=lw / 3.5, octaves=6 if ctx.fine else 5, stretch=3.0)
        band = np.clip(1.2 - np.abs(ly - 0.55) * 1.1, 0.2, 1.0)[:, None]
        thr = 0.9 - cover * 1.1
        c = _smoothstep(thr, thr + 0.55, n * band) * (ly < 1.0)[:, None]
        shade = np.clip(0.5 + (n - np.roll(n, -2, axis=0)) * 3.0, 0.0, 1.0)  # lit tops
        if tod in ("sunset", "dusk", "golden", "morning"):
            lit = _col((255, 178, 140)) if tod != "golden" else _col((255, 214, 170))
            dark = _col((112, 78, 116)) if tod != "golden" else _col((170, 150, 150))
            near = np.exp(-((xs[None, :] - sun_x) ** 2) / (w * w * 0.15))
            cl = dark + (lit - dark) * np.clip(shade * 0.6 + near * 0.6, 0, 1)[..., None]
        elif tod == "night":
            cl = np.broadcast_to(_col((44, 52, 84)), (lh, lw, 3)).astype(np.float32)
        elif tod == "overcast":
            cl = (
                _col((226, 228, 230))
                + (_col((168, 172, 178)) - _col((226, 228, 230))) * (1 - shade)[..., None]
            )
        else:
            cl = (
                _col((252, 252, 252))
                + (_col((196, 206, 220)) - _col((252, 252, 252))) * (1 - shade)[..., None] * 0.8
            )
        sky += (cl - sky) * (c * 0.9)[..., None]
    if "+aurora" in spec.moods:
        n = _fbm(rng, lh, lw, cell=lw / 2.5, octaves=3, stretch=0.35)
        curtain = np.exp(-((ly[:, None] - 0.45 - n * 0.12) ** 2) / 0.02) * (ly < 1.0)[:, None]
        sky += _col((80, 255, 170)) * (curtain * 0.45)[..., None]
    ctx.img[:] = _resize(sky, w, h)
    if tod == "night" or "+stars" in spec.moods:
        count = int(w * hy / (900 if "+stars" in spec.moods else 2500))
        sx = rng.integers(0, w, count)
        sy = (rng.uniform(0, 1, count) ** 1.4 * hy * 0.95).astype(np.int64)
        b = rng.uniform(0.15, 0.9, count).astype(np.float32) ** 2
        np.add.at(ctx.img, (sy, sx), (b * (1 - sy / max(hy, 1) * 0.7))[:, None])
    if tod == "night" and ("+moon" in spec.moods or any(e.shape == "moon" for e in spec.elements)):
        _moon(ctx, hy)


def _moon(ctx: _Ctx, hy: int) -> None:
    r = max(3, int(min(ctx.w, ctx.h) * 0.035))
    x, y = int(ctx.w * (0.78 if ctx.spec.light_side >= 0 else 0.22)), int(hy * 0.28)
    m = np.zeros((ctx.h, ctx.w), np.uint8)
    cv2.circle(m, (x, y), r, 255, -1, cv2.LINE_AA)
    a = m.astype(np.float32) / 255
    glow = _fast_blur(a, r * 2.5) * 0.5
    _over(ctx.img, _col((246, 242, 226)), np.clip(a + glow, 0, 1))


# ----------------------------------------------------------------------------- backdrops


def _backdrop(ctx: _Ctx, edge: int | None, contact: int | None = None) -> None:
    """Studio and interior backgrounds. ``edge``: table/floor edge (None: seamless sweep);
    ``contact``: where the product touches the floor, when known (the sweep turns above it)."""
    spec, rng, w, h = ctx.spec, ctx.rng, ctx.w, ctx.h
    base = _col(spec.backdrop_color)
    lum = float(base.mean())
    f = 2 if ctx.fine else 4
    lw, lh = max(8, w // f), max(8, h // f)
    xs = (np.arange(lw, dtype=np.float32) + 0.5) / lw
    ys = (np.arange(lh, dtype=np.float32) + 0.5) / lh
    cx, cy = 0.5 + spec.light_side * 0.12, 0.42
    d2 = (
        (xs[None, :] - cx) ** 2 * (h / w) ** -2 * 0.0
        + (xs[None, :] - cx) ** 2
        + (ys[:, None] - cy) ** 2 * 1.3
    )
    glow = np.exp(-d2 / (0.09 + 0.12 * spec.light_softness))
    top_dark = 0.82 if spec.backdrop == "gradient" else 0.9
    vert = top_dark + (1 - top_dark) * np.clip(ys / 0.6, 0, 1)
    side = 1.0 + (xs - 0.5) * spec.light_side * 0.12 * (1.2 - spec.light_softness)
    shade = vert[:, None] * side[None, :] * (0.9 + 0.16 * glow)
    if spec.backdrop == "gradient":
        # a two-tone gradient: deeper colour at the top, near white toward the floor
        top = base * 0.9
        bottom = _mixc(base, _col((250, 249, 247)), 0.55)
        t = np.clip(ys / 0.75, 0, 1)[:, None, None]
        bg = top + (bottom - top) * t
        bg = bg * (0.94 + 0.1 * glow)[..., None]
    else:
        bg = base[None, None, :] * shade[..., None]
    if lum < 0.3:  # dark backdrops: a pool of light behind the subject, not a flat black
        bg = bg * (0.55 + 0.9 * glow)[..., None] + base * 0.05
    if edge is None:
        # seamless sweep: the wall turns into the floor around 62 % of the height
        sweep = 0.6 + rng.uniform(-0.02, 0.02)
        if contact is not None:
            sweep = max(0.2, min(sweep, contact / h - 0.14))
        floor_col = (
            _col(spec.surface_color)
            if spec.surface_color
            else _mixc(base, _col((250, 248, 245)), 0.25)
        )
        t = _smoothstep(sweep - 0.06, sweep + 0.16, ys)[:, None, None]
        fl = floor_col * (0.93 + 0.1 * np.exp(-((xs[None, :] - cx) ** 2) / 0.12))[..., None]
        fl = fl * (1.0 - 0.1 * np.clip((ys[:, None, None] - 0.85) / 0.15, 0, 1))
        bg = bg + (fl - bg) * t
        band = np.exp(-((ys - sweep - 0.03) ** 2) / 0.004)[:, None, None] * 0.035
        bg = bg * (1 - band)
    if spec.backdrop == "room":
        bg = _room(ctx, bg, lw, lh)
    elif spec.backdrop == "curtain":
        n = _profile(rng, lw, lw / 6, 3, False)
        folds = 0.88 + 0.12 * np.sin(xs * 40 + n * 6)
        bg = bg * folds[None, :, None]
    elif spec.backdrop == "abstract":
        for _ in range(3):
            m = np.zeros((lh, lw), np.uint8)
            r = int(rng.uniform(0.25, 0.5) * lh)
            cv2.circle(m, (int(rng.uniform(0, 1) * lw), int(rng.uniform(0, 0.6) * lh)), r, 255, -1)
            bg = bg * (
                1 + (_blur(m.astype(np.float32) / 255, 1.0) * rng.choice([-0.07, 0.07]))[..., None]
            )
    elif spec.backdrop == "wall":
        bg = _wall(ctx, bg, lw, lh)
    ctx.img[:] = _resize(np.asarray(bg, np.float32), w, h, cubic=True)
    if "arch" in spec.props:
        _arch(ctx, edge)
    ctx.horizon_rgb = np.asarray(bg[min(lh - 1, int(lh * 0.6))].mean(axis=0), np.float32)


def _wall(ctx: _Ctx, bg: F32, lw: int, lh: int) -> F32:
    texture = ""
    for name in ctx.spec.concepts:
        if name == "brick wall":
            texture = "brick"
        elif name == "plaster wall":
            texture = "plaster"
    if texture == "brick":
        m = np.zeros((lh, lw), np.float32)
        bh = max(3, lh // 18)
        bw = bh * 3
        for r in range(0, lh, bh):
            off = (r // bh % 2) * bw // 2
            m[r : r + 1, :] = 1
            for c in range(-off, lw, bw):
                if c >= 0:
                    m[r : r + bh, c : c + 1] = 1
        tone = _fbm(ctx.rng, lh, lw, lw / 20, 2) * 0.04
        return np.asarray(bg * (1 - 0.18 * _blur(m, 0.6) + tone)[..., None], np.float32)
    n = _fbm(ctx.rng, lh, lw, lw / 4, 4) * (0.05 if texture == "plaster" else 0.02)
    return np.asarray(bg * (1 + n)[..., None], np.float32)


def _room(ctx: _Ctx, bg: F32, lw: int, lh: int) -> F32:
    """An out-of-focus interior: a bright window on the light side, a few soft furniture blocks."""
    rng, spec = ctx.rng, ctx.spec
    out = np.array(bg)
    wx = 0.1 if spec.light_side < 0 else 0.62
    x0, x1 = int((wx + rng.uniform(-0.03, 0.03)) * lw), int((wx + 0.28) * lw)
    y0, y1 = int(0.05 * lh), int(0.55 * lh)
    win = np.zeros((lh, lw), np.float32)
    win[y0:y1, x0:x1] = 1.0
    mull = max(1, lw // 120)
    xm = (x0 + x1) // 2
    win[y0:y1, xm - mull : xm + mull] = 0.35
    win[(y0 + y1) // 2 - mull : (y0 + y1) // 2 + mull, x0:x1] = 0.35
    sky = _col((236, 242, 248)) if spec.light_warmth < 0.3 else _col((255, 246, 228))
    out += (sky - out) * (_blur(win, lw / 60) * 0.85)[..., None]
    # furniture / cabinets along the lower wall
    for _ in range(int(rng.integers(2, 4))):
        bx = rng.uniform(0, 0.8)
        bwid = rng.uniform(0.12, 0.3)
        top = rng.uniform(0.35, 0.6)
        m = np.zeros((lh, lw), np.float32)
        m[int(top * lh) :, int(bx * lw) : int((bx + bwid) * lw)] = 1.0
        tone = rng.uniform(0.78, 0.92)
        out *= (1 - (1 - tone) * _blur(m, lw / 80))[..., None]
    # a plant silhouette in a corner
    m = np.zeros((lh, lw), np.uint8)
    px = int((0.9 if spec.light_side < 0 else 0.08) * lw)
    for _ in range(14):
        ang = rng.uniform(-2.6, -0.5)
        ln = rng.uniform(0.1, 0.25) * lh
        ex, ey = int(px + math.cos(ang) * ln), int(lh * 0.62 + math.sin(ang) * ln)
        cv2.ellipse(
            m,
            ((ex + px) // 2, (ey + int(lh * 0.62)) // 2),
            (int(ln / 2), max(2, int(ln / 7))),
            math.degrees(ang),
            0,
            360,
            255,
            -1,
        )
    out = (
        out
        + (_col((70, 92, 64)) - out)
        * (_blur(m.astype(np.float32) / 255, lw / 200) * 0.55)[..., None]
    )
    return _blur(np.asarray(out, np.float32), lw / 90)


def _arch(ctx: _Ctx, edge: int | None) -> None:
    """An arch standing against the wall behind the product, framing it."""
    w, h = ctx.w, ctx.h
    bottom = edge if edge is not None else int(h * 0.66)
    aw = int(min(w, h) * 0.5)
    cx = w // 2
    if ctx.fp is not None:
        cx = ctx.fp.cx
        aw = int(min(max(aw, ctx.fp.half_width * 3.2), w * 0.9))
        bottom = min(bottom, ctx.stand.base if ctx.stand is not None else ctx.fp.bottom)
    x0, x1 = cx - aw // 2, cx + aw // 2
    top = int(h * 0.12) + aw // 2
    m = np.zeros((h, w), np.uint8)
    cv2.rectangle(m, (x0, top), (x1, bottom), 255, -1)
    cv2.ellipse(m, (cx, top), (aw // 2, aw // 2), 0, 180, 360, 255, -1, cv2.LINE_AA)
    a = m.astype(np.float32) / 255
    base = _col(ctx.spec.prop_color or ctx.spec.backdrop_color)
    tone = _mixc(base, _col((255, 255, 255)), 0.18) if base.mean() < 0.7 else base * 0.9
    inner = _fast_blur(a, aw * 0.05)
    shade = np.clip(1.0 - (a - inner) * 0.6, 0.8, 1.0)  # a soft inner shadow along the rim
    _over(ctx.img, np.asarray(tone * shade[..., None], np.float32), a)


# ------------------------------------------------------------------------------ terrain


def _haze_color(ctx: _Ctx) -> F32:
    return ctx.horizon_rgb if ctx.horizon_rgb is not None else _col((210, 214, 220))


def _ridged(noise: _Noise, p: F32, q: F32, cell: float, octaves: int, foot: F32, px: float) -> F32:
    """Ridged multifractal noise, about 0…1: sharp crests where the noise crosses zero, finer
    ridges only on the crests (each octave weighted by the one before). Octaves from the third on
    are elongated along ``q`` (depth): gullies and spurs that run down the faces. ``foot`` is the
    slice spacing along ``q`` (per slice), ``px`` the width of a pixel along ``p``."""
    out = np.zeros(p.shape, np.float32)
    weight = np.ones(p.shape, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        c = cell / 2.0**o
        if o < 2:
            fade = np.clip(c / (foot * 2.5) - 1.0, 0.0, 1.0)[:, None] * min(1.0, c / (px * 3.0))
            n = noise.octave(p, q, c)
        else:
            # elongated 3× along depth: the limit is the slice spacing there, pixels across
            fade = np.clip(c * 3.0 / (foot * 2.5) - 1.0, 0.0, 1.0)[:, None] * np.clip(
                c / (px * 2.5) - 1.0, 0.0, 1.0
            )
            n = noise.octave(q, p, c, stretch=3.0, angle=noise.rng.uniform(-0.4, 0.4))
        r = np.clip(1.0 - np.abs(n) * 0.8, 0.0, 1.0) ** 2
        out += r * weight * (amp * fade)
        weight = np.clip(r * 1.8, 0.0, 1.0)
        total += amp
        amp *= 0.52
    return np.asarray(out / (total * 0.55), np.float32)


def _terrain_shape(
    ctx: _Ctx, kind: str, noise: _Noise, p: F32, q: F32, t: F32, foot: F32
) -> tuple[F32, F32]:
    """The terrain of ``kind`` on the (across ``p``, depth ``q``) grid: its screen height as a
    fraction of the sky (per slice × column) and a 0…1 altitude within the local range."""
    rng = ctx.rng
    if kind in ("mountains", "canyon"):
        # three ranges, separated by valleys; the far ones are higher, so they show above.
        # The ranges raise the ridges, not the ground between them: no wall at a range's foot
        centres = np.sort(rng.uniform(0.0, 0.2, 3) + np.array([0.04, 0.38, 0.72]))
        bands = np.max(np.exp(-(((t[:, None] - centres[None, :]) / 0.16) ** 2)), axis=1)
        amp = 0.14 + 0.32 * t**0.9
        warp = noise.fbm(p, q, 0.6, 2) * 0.14
        px = 1.0 / p.shape[1]
        ridges = _ridged(noise, p + warp, q, 0.45, 9 if ctx.fine else 8, foot, px)
        # peaks and saddles along every crest (a long ridge is never level); soft saturation,
        # so that the rare very high crests round off instead of flattening
        peaks = 0.4 + 0.6 * _smoothstep(-0.7, 0.8, noise.fbm(p, q, 0.2, 2))
        rel = np.tanh(ridges * peaks * 1.1)
        if kind == "canyon":
            # mesas: flat tops and terraced walls
            rel = np.clip((rel - 0.1) * 1.6, 0.0, 1.0)
            steps = rel * 4.0
            rel = (np.floor(steps) + _smoothstep(0.6, 0.95, steps % 1.0)) / 4.0
        shape = 0.12 + 0.88 * rel * (0.3 + 0.7 * bands)[:, None]
        return np.asarray(amp[:, None] * shape, np.float32), np.asarray(shape, np.float32)
    if kind == "dunes":
        frac = 0.07 + 0.17 * t
        warp = noise.fbm(p, q, 0.5, 3) * 0.3
        # crests run obliquely, so that one flank of each dune faces the sun and one is in shade
        phase = q * 2.2 + p * rng.choice([-1.0, 1.0]) * rng.uniform(1.2, 2.0) + warp
        saw = phase % 1.0
        # a gentle windward slope, a steep slip face, a sharp crest
        prof = np.where(saw < 0.78, saw / 0.78, 1.0 - (saw - 0.78) / 0.22) ** 1.4
        rel = np.clip(prof * (0.5 + 0.5 * noise.fbm(p, q, 0.7, 2)), 0.0, 1.0)
        return np.asarray(frac[:, None] * rel, np.float32), np.asarray(rel, np.float32)
    frac = 0.06 + 0.12 * t  # hills: soft and rolling
    rel = np.clip(0.55 + noise.fbm(p, q, 0.5, 5, foot) * 0.7, 0.0, 1.0)
    return np.asarray(frac[:, None] * rel, np.float32), rel


def _terrain(ctx: _Ctx, hy: int, kind: str, params: dict[str, object]) -> None:
    """Far terrain — mountain ranges, mesas, dunes, hills — seen from the ground, rendered
    column by column from near to far (voxel-space style): every depth slice is a profile, the
    nearest slice covering a pixel wins. Every pixel is then shaded: the sun lights one side of
    each ridge and leaves the other in shadow, gullies and rock ribs add detail at pixel scale,
    high flat parts take snow, and distance and valley haze fade each range into the sky behind
    it, so the ranges separate in layers."""
    rng, w, spec = ctx.rng, ctx.w, ctx.spec
    if hy < 8 or w < 8:
        return
    tod = spec.time_of_day
    depth = 320 if ctx.fine else 224
    t = np.linspace(0.0, 1.0, depth, dtype=np.float32)
    foot = np.full(depth, max(1.6 / depth, 1.0 / w), np.float32)
    p = np.broadcast_to(((np.arange(w, dtype=np.float32) + 0.5) / w - 0.5)[None, :], (depth, w))
    q = np.broadcast_to(t[:, None] * 1.6, (depth, w))
    noise = _Noise(rng)
    frac, rel = _terrain_shape(ctx, kind, noise, p, q, t, foot)
    # rise from the ground in front (no wall of one slice), and smooth a little across slices so
    # that ridges running obliquely stay continuous, not stepped
    frac = frac * _smoothstep(0.0, 0.12, t)[:, None]
    frac = np.asarray(cv2.GaussianBlur(frac, (1, 7), 0, sigmaY=1.5), np.float32)
    y_proj = hy - frac * hy
    # front to back: the running minimum is the skyline so far; each slice shows the rows
    # between its own top and that skyline
    skyline = np.minimum.accumulate(y_proj, axis=0)
    top_px = np.clip(np.floor(skyline), 0, hy).astype(np.int64)
    prev = np.vstack([np.full((1, w), hy, np.int64), top_px[:-1]])
    runs = prev - top_px
    # rows → slices: expand the run lengths column by column (rows counted from the horizon up)
    run_len = np.hstack([runs.T, top_px[-1][:, None]])
    idx = np.repeat(np.tile(np.arange(depth + 1), w), run_len.ravel()).reshape(w, hy)
    start = np.hstack([np.zeros((w, 1), np.int64), np.cumsum(runs.T, axis=1)])
    cols = np.arange(w)[:, None]
    pos = (np.arange(hy)[None, :] - start[cols, idx]) / np.maximum(run_len[cols, idx], 1)
    top_row = int(np.clip(skyline[-1].min(), 0, hy - 1))
    idx_t = np.ascontiguousarray(idx.T[::-1][top_row:])  # (rows, w), top down
    # a pixel low in a run sees the face between its slice and the one in front
    blend = np.asarray((1.0 - pos.T[::-1][top_row:]) * (idx_t > 0), np.float32)
    near = np.minimum(idx_t, depth - 1)
    nearer = np.clip(idx_t - 1, 0, depth - 1)
    cx = np.arange(w)[None, :]

    def gather(a: F32) -> F32:
        return np.asarray(a[near, cx] + (a[nearer, cx] - a[near, cx]) * blend, np.float32)

    # surface normals (world: x right, y up, z away), from the height field's gradient
    slope_x = gather(np.gradient(frac, axis=1) * w * 0.9)
    slope_z = gather(np.gradient(frac, axis=0) * (depth / 1.6) * 0.5)
    r_px = gather(rel)
    t_px = np.asarray(near - blend, np.float32) / (depth - 1)
    rows = hy - top_row
    # pixel-scale relief: gullies and ribs running down the faces (elongated vertically)
    ys = np.arange(top_row, hy, dtype=np.float32)[:, None]
    pp = np.broadcast_to(p[:1], (rows, w))
    vv = np.asarray((hy - ys) / w + t_px * 0.4, np.float32)
    fine = noise.fbm(pp, vv, 0.01, 2, 1.0 / w)
    flatness = 1.0 / np.sqrt(1.0 + slope_x**2 + slope_z**2)  # of the large forms (for snow)
    if kind in ("mountains", "canyon"):
        gully = noise.fbm(vv, pp, 0.03, 4 if ctx.fine else 3, 1.0 / w, stretch=3.0, angle=0.0)
        bump = np.gradient(gully, axis=1) * w * 0.006
        slope_x = slope_x - bump * (0.35 + 0.65 * (1.0 - t_px))
    else:  # soft ground: ripples and tufts, no rock
        gully = fine * 0.5
    nrm_y = 1.0 / np.sqrt(1.0 + slope_x**2 + slope_z**2)
    nx, nz = -slope_x * nrm_y, -slope_z * nrm_y
    # the sun: on the side it is in the sky; ahead of us and low at sunset, high by day
    sun_x = (ctx.sun[0] / w - 0.5) if ctx.sun is not None else 0.3
    elev = {"day": 0.55, "morning": 0.3, "golden": 0.22, "sunset": 0.14, "dusk": 0.08}.get(tod, 0.6)
    ahead = {"sunset": 0.8, "dusk": 0.8, "golden": 0.45, "morning": 0.3}.get(tod, -0.35)
    lx = math.copysign(max(abs(sun_x) * 2.0, 0.9), sun_x if sun_x != 0 else 1.0)
    ln = math.sqrt(lx * lx + elev * elev + ahead * ahead)
    diffuse = np.clip((nx * lx + nrm_y * elev + nz * ahead) / ln, 0.0, 1.0)
    sky_up = nrm_y * 0.5 + 0.5
    sun_rgb = ctx.sun_rgb if ctx.sun_rgb is not None and tod != "night" else _col((0, 0, 0))
    strength = {"day": 1.35, "morning": 1.2, "golden": 1.25, "sunset": 1.05, "dusk": 0.5}.get(
        tod, 0.0
    )
    zenith = np.asarray(ctx.img[max(0, int(hy * 0.15))].mean(axis=0), np.float32)
    ambient = zenith * 0.85 + _haze_color(ctx) * 0.15
    # albedo: rock (streaked along the gullies), forest low on gentle slopes, snow high up
    palette = params.get("palette")
    if palette == "red":
        base = _col((168, 88, 58))
    elif palette == "ice":
        base = _col((160, 186, 206))
    elif kind == "dunes":
        base = _col(spec.surface_color or (222, 184, 136))
    elif kind == "hills":
        base = _col((150, 140, 80)) if params.get("golden") else _col((84, 118, 62))
        if params.get("snow"):
            base = _col((236, 240, 246))
    else:
        base = _col((96, 88, 82))
    tone = 1.0 + (gully * 0.2 + fine * 0.08 if kind in ("mountains", "canyon") else fine * 0.03)
    alb = base[None, None, :] * tone[..., None]
    if kind == "mountains" and palette is None and tod != "night":
        veg = np.clip((0.5 - r_px - 0.25 * t_px + fine * 0.15) * 5.0, 0.0, 1.0) * np.clip(
            (nrm_y - 0.55) * 3.0, 0.0, 1.0
        )
        alb += (_col((44, 60, 40)) * (1.0 + fine * 0.3)[..., None] - alb) * veg[..., None]
    if kind == "canyon":
        strata = np.sin((hy - ys) / max(hy, 1) * 90.0 + gully * 2.0 + t_px * 40.0)
        alb = alb * (1.0 + strata * 0.08)[..., None]
    if kind == "mountains" and (params.get("snow") or palette == "ice"):
        line = 0.6 - 0.38 * t_px + fine * 0.05
        steep = flatness + gully * 0.08
        snow = _smoothstep(0.0, 0.05, r_px - line) * _smoothstep(0.62, 0.78, steep)
        alb += (_col((242, 245, 250)) - alb) * snow[..., None]
    lit = alb * (
        sun_rgb[None, None, :] * (diffuse * strength)[..., None]
        + ambient[None, None, :] * (0.28 + 0.45 * sky_up)[..., None]
    )
    # haze: more with distance, and pooled low in the valleys
    valley = np.exp(-r_px * 4.0) * (0.3 + 0.5 * spec.haze)
    thick = (0.8 if kind == "dunes" else 1.2) + 1.6 * spec.haze
    fog = 1.0 - np.exp(-t_px * thick) * (1.0 - valley)
    fog = np.clip(fog, 0.0, 0.96)
    col = lit + (ctx.img[top_row:hy] - lit) * fog[..., None]
    alpha = (idx_t < depth).astype(np.float32)
    sky_top = skyline[-1]  # antialiased skyline
    first = np.clip(np.floor(sky_top).astype(np.int64) - top_row, 0, rows - 1)
    alpha[first, np.arange(w)] = np.where(sky_top < hy, 1.0 - (sky_top - np.floor(sky_top)), 0.0)
    _over(ctx.img, _blur(np.asarray(col, np.float32), 0.5), alpha, top_row)


def _treeline(ctx: _Ctx, hy: int, rounded: bool) -> None:
    """A forest edge on the horizon in four rows, far to near: conifers with ragged tiers of
    branches (or round broadleaf crowns), each tree lit on the sun's side, the rows fading into
    the haze with distance."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    tod = ctx.spec.time_of_day
    base = _col((38, 62, 42)) if tod not in ("night", "dusk") else _col((12, 20, 22))
    if tod == "sunset":
        base = _col((40, 38, 50))
    sun = ctx.sun_rgb if ctx.sun_rgb is not None else _col((255, 250, 236))
    lit_gain = {"night": 0.0, "dusk": 0.15, "sunset": 0.35}.get(tod, 0.6)
    sun_right = ctx.sun is None or ctx.sun[0] >= w / 2
    haze = _haze_color(ctx)
    rows = 4
    # draw in the band of rows the trees can reach (cheaper than full frames)
    y0 = max(0, hy - int(h * 0.22))
    band = min(h, hy + int(h * 0.03)) - y0
    for i in range(rows):
        far = 1.0 - i / (rows - 1)
        shape = np.zeros((band, w), np.uint8)
        light = np.zeros((band, w), np.uint8)
        size = h * (0.012 + 0.009 * i)
        base_y = hy + 1 + int(h * 0.003 * i) - y0
        x = -size * rng.uniform(0, 1)
        while x < w + size:
            th = size * rng.uniform(0.7, 1.4)
            if rounded:
                for _ in range(7):
                    cx = x + rng.normal(0, th * 0.3)
                    cy = base_y - th * rng.uniform(0.6, 1.3)
                    r = max(1, int(th * rng.uniform(0.25, 0.45)))
                    cv2.circle(shape, (int(cx), int(cy)), r, 255, -1, cv2.LINE_AA)
                    lx = cx + r * (0.35 if sun_right else -0.35)
                    cv2.circle(
                        light, (int(lx), int(cy - r * 0.3)), int(r * 0.7), 255, -1, cv2.LINE_AA
                    )
                cv2.rectangle(
                    shape,
                    (int(x - th * 0.45), int(base_y - th * 0.7)),
                    (int(x + th * 0.45), base_y),
                    255,
                    -1,
                )
            else:
                # a conifer: tiers of drooping branches narrowing to the tip, a ragged outline
                tiers = int(rng.integers(9, 15))
                height = th * 2.4
                left, right = [], []
                for k in range(tiers):
                    t = k / tiers
                    yk = base_y - height * t
                    half = th * 0.45 * (1 - t) ** 0.85 * rng.uniform(0.75, 1.2)
                    droop = height / tiers * rng.uniform(0.1, 0.35)
                    left += [(x - half, yk + droop), (x - half * 0.6, yk - height / tiers * 0.5)]
                    right += [
                        (x + half * rng.uniform(0.8, 1.1), yk + droop),
                        (x + half * 0.6, yk - height / tiers * 0.5),
                    ]
                tip = (x + rng.normal(0, th * 0.03), base_y - height * 1.04)
                pts = np.array([*left, tip, *right[::-1]], np.int32)
                cv2.fillPoly(shape, [pts], 255, cv2.LINE_AA)
                side = right if sun_right else left
                half_pts = np.array([(x, base_y), *side, tip], np.int32)
                cv2.fillPoly(light, [half_pts], 255, cv2.LINE_AA)
            x += size * rng.uniform(0.25, 0.6)
        a = _blur(shape.astype(np.float32) / 255, 0.4 + 0.5 * far)
        lit = _blur(light.astype(np.float32) / 255, 0.6 + 0.5 * far) * a
        tone = base * (0.85 + 0.15 * rng.uniform())
        dark = _mixc(tone, haze, 0.62 * far**1.2 + 0.04)
        bright = _mixc(tone * (1.0 + lit_gain) + sun * (0.1 * lit_gain), haze, 0.62 * far**1.2)
        col = dark[None, None, :] + (bright - dark)[None, None, :] * lit[..., None]
        _over(ctx.img, np.asarray(col, np.float32), a, y0)


def _palms(ctx: _Ctx) -> None:
    """One or two tall coconut palms at the sides of the frame, leaning in: a curved, ringed
    trunk and drooping fronds of fine leaflets, dark against the sky on the shade side."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    cv = _Canvas(w, h, 1.0)
    trunk_col = _col((96, 80, 62))
    leaf_col = (
        _col((44, 84, 48))
        if ctx.spec.time_of_day not in ("sunset", "dusk", "night")
        else (_col((30, 36, 34)))
    )
    sides = [-1, 1] if rng.uniform() < 0.5 else [int(rng.choice([-1, 1]))]
    for side in sides:
        base_x = w * (0.5 + side * rng.uniform(0.42, 0.5))
        if _in_keep(ctx, base_x, h * 0.9, s * 0.05):
            continue
        base_y = h * rng.uniform(0.96, 1.02)
        height = h * rng.uniform(0.62, 0.8)
        lean = -side * s * rng.uniform(0.12, 0.22)
        t = np.linspace(0.0, 1.0, 24)
        xs = base_x + lean * t**1.6
        ys = base_y - height * t
        width = s * (0.03 - 0.014 * t)
        left = np.stack([xs - width / 2, ys], -1)
        right = np.stack([xs + width / 2, ys], -1)
        trunk = np.vstack([left, right[::-1]]).astype(np.int32)
        cv.draw(lambda im, c, p=trunk: cv2.fillPoly(im, [p], c, cv2.LINE_AA), trunk_col)
        for k in range(1, 24, 2):  # growth rings
            ring = np.array([left[k], right[k]], np.int32)
            cv.draw(
                lambda im, c, p=ring: cv2.polylines(im, [p], False, c, 1, cv2.LINE_AA),
                trunk_col * 0.7,
            )
        top = (float(xs[-1]), float(ys[-1]))
        for k in range(11):
            ang = -math.pi / 2 + (k - 5) * 0.36 + rng.uniform(-0.1, 0.1)
            fore = rng.uniform(0.55, 1.0)  # fronds pointing at us look shorter
            ln = s * rng.uniform(0.2, 0.28) * fore
            droop = ln * rng.uniform(0.4, 0.8)
            u = np.linspace(0.0, 1.0, 28)
            px = top[0] + math.cos(ang) * ln * u * 1.25
            py = top[1] + math.sin(ang) * ln * u * 0.6 + droop * u**2
            dx, dy = np.gradient(px), np.gradient(py)
            norm = np.hypot(dx, dy) + 1e-6
            tone = leaf_col * rng.uniform(0.85, 1.12)
            for j in range(1, 28):
                lf = s * 0.075 * math.sin(math.pi * min(1.0, u[j] * 1.05)) ** 0.6 * fore
                for sgn in (-1, 1):
                    nx, ny = -dy[j] / norm[j] * sgn, dx[j] / norm[j] * sgn
                    # leaflets hang: out from the midrib and down
                    ex = px[j] + (nx * 0.55 + dx[j] / norm[j] * 0.35) * lf
                    ey = py[j] + (ny * 0.55 + 0.75) * lf * rng.uniform(0.8, 1.1)
                    half = max(0.8, s * 0.0035)
                    leaflet = np.array(
                        [
                            [px[j] - dx[j] / norm[j] * half, py[j] - dy[j] / norm[j] * half],
                            [px[j] + dx[j] / norm[j] * half, py[j] + dy[j] / norm[j] * half],
                            [ex, ey],
                        ],
                        np.int32,
                    )
                    cv.draw(
                        lambda im, c, p=leaflet: cv2.fillPoly(im, [p], c, cv2.LINE_AA),
                        tone * (0.8 if sgn > 0 else 1.0),
                    )
            spine = np.stack([px, py], -1).astype(np.int32)
            cv.draw(
                lambda im, c, p=spine: cv2.polylines(
                    im, [p], False, c, max(1, int(s * 0.003)), cv2.LINE_AA
                ),
                tone * 0.8,
            )
    cv.composite(ctx.img, 0.5)


def _bamboo(ctx: _Ctx, hy: int) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    for depth in range(3):
        m = np.zeros((h, w), np.uint8)
        for _ in range(int(6 + depth * 4)):
            x = int(rng.uniform(0, w))
            wid = max(2, int(w * (0.012 + 0.01 * depth)))
            cv2.line(
                m, (x, 0), (x + int(rng.uniform(-0.03, 0.03) * w), hy + 2), 255, wid, cv2.LINE_AA
            )
        a = _fast_blur(m.astype(np.float32) / 255, (2 - depth) * w * 0.004 + 1)
        col = _mixc(_col((70, 120, 60)), _haze_color(ctx), 0.6 - depth * 0.2)
        _over(ctx.img, col, a * 0.9)


def _city(ctx: _Ctx, hy: int, lights: bool) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    night = ctx.spec.time_of_day in ("night", "dusk") or lights
    haze = _haze_color(ctx)
    base = _col((24, 28, 44)) if night else _col((110, 124, 144))
    glow_layer = np.zeros((h, w), np.float32)
    for i in range(2):
        far = 1 - i
        m = np.zeros((h, w), np.uint8)
        x = 0
        rects = []
        while x < w:
            bw = max(2, int(w * rng.uniform(0.03, 0.08)))
            bh = int(hy * rng.uniform(0.12, 0.45) * (0.7 + 0.3 * i))
            cv2.rectangle(m, (x, hy - bh), (x + bw, hy + 2), 255, -1)
            rects.append((x, hy - bh, bw, bh))
            x += bw + int(w * rng.uniform(0.0, 0.01))
        col = _mixc(base, haze, 0.5 * far + 0.1)
        _over(ctx.img, col, _blur(m.astype(np.float32) / 255, 0.8 + 2 * far))
        if night:
            cell = max(2, int(w / 160))
            for rx, ry, rw, rh in rects:
                nx, ny = max(1, rw // (cell * 2)), max(1, rh // (cell * 3))
                on = rng.uniform(size=(ny, nx)) < 0.35
                for yy, xx in zip(*np.nonzero(on), strict=True):
                    px, py = rx + cell // 2 + xx * cell * 2, ry + cell + yy * cell * 3
                    if py < hy:
                        glow_layer[py : py + cell, px : px + cell] = rng.uniform(0.4, 1.0)
    if night:
        win = _blur(glow_layer, 0.7)
        warm = _col((255, 210, 140))
        ctx.img += warm * (win * 0.9)[..., None]
        ctx.img += warm * (_fast_blur(glow_layer, w * 0.01) * 0.8)[..., None]
        # city glow on the horizon
        ys = np.arange(h, dtype=np.float32)
        band = np.exp(-((ys - hy) ** 2) / (2 * (h * 0.08) ** 2)) * 0.12
        ctx.img += _col((255, 170, 110)) * band[:, None, None]
    if lights:
        _bokeh_field(
            ctx,
            0,
            hy + int(h * 0.03),
            count=int(40 + 60 * ctx.detail),
            size=(0.012, 0.05),
            palette=[(255, 200, 120), (255, 160, 90), (255, 236, 200), (140, 190, 255)],
            strength=0.55,
        )


# --------------------------------------------------------------------------- materials


@dataclass
class _Plane:
    """Screen rows ``y0:h`` of a ground plane seen in perspective, with its coordinates.

    Units: 1 = the width of the frame at the bottom row; ``v`` is the distance (1 at the bottom
    row, growing toward the vanishing line ``yv``); ``foot`` is the size of a pixel in those units,
    per row, for fading out detail that would alias."""

    y0: int
    yv: float
    u: F32  #: (rows, w) across
    v: F32  #: (rows, 1) depth
    foot: F32  #: (rows,)


def _plane(w: int, h: int, y0: int, yv: float, cx: float) -> _Plane:
    ys = np.arange(y0, h, dtype=np.float32) + 0.5
    z = (h - yv) / np.maximum(ys - yv, 0.5)
    xs = (np.arange(w, dtype=np.float32) + 0.5 - cx) / w
    u = np.asarray(xs[None, :] * z[:, None], np.float32)
    # a pixel is z/w wide and z²/(h - yv) deep: fade detail by the geometric mean (the far rows,
    # where that still aliases a little along depth, are out of focus anyway)
    foot = np.asarray(np.sqrt(z / w * z * z / max(h - yv, 1.0)), np.float32)
    return _Plane(y0, yv, u, np.asarray(z[:, None], np.float32), foot)


def _aa_line(dist: F32, width: float, foot: F32) -> F32:
    """Coverage 0…1 of a line of ``width`` at distance ``dist``, antialiased by the per-row pixel
    size ``foot`` and fading (not aliasing) once thinner than a pixel."""
    f = foot[:, None] if foot.ndim == 1 else foot
    soft = np.maximum(f, 1e-6)
    cover = np.clip((width * 0.5 - dist) / soft + 0.5, 0.0, 1.0)
    return np.asarray(cover * np.clip(width / soft, 0.0, 1.0), np.float32)


def _surface(ctx: _Ctx, pattern: str, pl: _Plane) -> F32:
    """The floor's material at every pixel of the plane, (rows, w, 3): evaluated in plane
    coordinates, so it is as sharp at the front as far away, and detail finer than a pixel fades
    out instead of shimmering."""
    rng, spec = ctx.rng, ctx.spec
    noise = _Noise(rng)
    u, v, foot = pl.u, pl.v, pl.foot
    vv = np.broadcast_to(v, u.shape)
    base = _col(spec.surface_color or (236, 233, 228))
    fine = 1 if ctx.fine else 0  # v3: one more octave of fine detail

    def tint(t: F32) -> F32:
        return np.asarray(base[None, None, :] * t[..., None], np.float32)

    if pattern == "marble":
        # veins: where noise stretched along the grain crosses zero — long, wavy lines that
        # branch now and then — in a few scales (bold ones, then finer and fainter), each
        # fading in and out along its length, with a soft halo around the bold ones
        ang = rng.uniform(0.3, 0.8)
        wu = u + noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        wv = vv + noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        amount = np.zeros(u.shape, np.float32)
        for cell, width, amp in ((0.5, 0.008, 0.8), (0.25, 0.004, 0.6), (0.12, 0.0025, 0.45)):
            n = noise.octave(wu, wv, cell, stretch=3.0, angle=ang + rng.uniform(-0.3, 0.3))
            dist = np.abs(n) * (cell / 1.6)
            along = _smoothstep(-0.5, 0.6, noise.octave(u, vv, cell * 2.0))
            line = _aa_line(dist, width, foot) + np.exp(-dist / (width * 3.0)) * 0.3
            amount += line * along * amp
        cloud = noise.fbm(u, vv, 0.3, 4, foot, gain=0.6)
        accent = _col(_accent(spec)) if base.mean() > 0.5 else _col((200, 196, 190))
        img = tint(1.0 + cloud * 0.025)
        img += (accent - img) * np.clip(amount, 0.0, 0.9)[..., None]
        return img
    if pattern == "wood":
        # boards running across the frame, each with its own tone, grain and joints
        plank = 0.11
        pid = np.floor(vv / plank)
        key = (pid.astype(np.int64) * 7) % _LATTICE
        ptone = noise.lat[key, 3] * 0.04
        shift = noise.lat[key, 5] * 3.0
        grain = noise.fbm(u + shift, vv, 0.25, 4 + fine, foot, stretch=8.0, angle=0.0)
        # growth rings cut lengthwise: thin dark latewood lines, wavy, bunching up in places
        phase = vv / plank * 6.0 + grain * 3.0 + shift
        dist = (0.5 - np.abs(phase % 1.0 - 0.5)) * (plank / 6.0)
        late = _aa_line(dist, 0.0025, foot) * 0.6 + np.exp(-dist / 0.004) * 0.25
        fibre = noise.fbm(u + shift, vv, 0.03, 2 + fine, foot, stretch=12.0, angle=0.0)
        t = 0.97 - late * 0.16 + fibre * 0.05 + ptone + grain * 0.03
        gap = _aa_line((0.5 - np.abs((vv / plank) % 1.0 - 0.5)) * plank, 0.0018, foot)
        # butt joints: each board is cut at its own places along its length
        joint = (0.5 - np.abs((u * 0.7 + shift) % 1.0 - 0.5)) / 0.7
        cut = _aa_line(joint, 0.0018, foot) * 0.7
        return tint(t * (1.0 - 0.5 * np.maximum(gap, cut)))
    if pattern in ("concrete", "plain", "paper"):
        amt = {"concrete": 1.0, "plain": 0.25, "paper": 0.3}[pattern]
        mottle = noise.fbm(u, vv, 0.35, 4, foot, gain=0.55)
        t = 1.0 + mottle * 0.05 * amt
        if pattern == "concrete":
            stains = _smoothstep(-0.2, 1.4, noise.fbm(u, vv, 0.25, 5, foot, gain=0.6))
            agg = noise.fbm(u, vv, 0.006, 2 + fine, foot)
            pores = _smoothstep(1.2, 1.7, noise.fbm(u, vv, 0.0025, 1, foot))
            specks = _smoothstep(1.2, 1.7, noise.fbm(u, vv, 0.0035, 1, foot))
            t = t - stains * 0.06 + agg * 0.06 - pores * 0.25 + specks * 0.08
            img = tint(t)
            warm = _col((150, 140, 124)) * float(base.mean() / 0.62)
            img += (warm - img) * (stains * 0.15)[..., None]
            return img
        if pattern == "paper":
            t = t + noise.fbm(vv, u, 0.01, 2, foot, stretch=4.0) * 0.012
        return tint(t)
    if pattern == "stone":
        # a weathered rock slab: broad bumps lit from the light's side, grit, a few long cracks
        bumps = noise.fbm(u, vv, 0.3, 4, foot, gain=0.55)
        relief = np.gradient(bumps, axis=1) * (ctx.w * 0.02) * (-spec.light_side or 0.5)
        crack = noise.octave(u, vv, 0.35, stretch=3.0)
        lines = _aa_line(np.abs(crack) * (0.35 / 1.6), 0.0018, foot) * _smoothstep(
            0.0, 0.8, noise.fbm(u, vv, 0.5, 2)
        )
        grit = noise.fbm(u, vv, 0.006, 2 + fine, foot)
        pits = noise.spots(u, vv, 0.004, foot, 1.3, 1.8)
        img = tint(1.0 + bumps * 0.07 + relief * 0.05 + grit * 0.07 - pits * 0.2)
        return np.asarray(img * (1.0 - 0.4 * lines)[..., None], np.float32)
    if pattern == "terrazzo":
        t = 1.0 + noise.fbm(u, vv, 0.3, 3, foot) * 0.02 + noise.fbm(u, vv, 0.004, 1, foot) * 0.02
        img = tint(t)
        chips = ((60, 60, 64), (196, 118, 92), (150, 150, 140), (232, 204, 166), (120, 132, 120))
        for k, c in enumerate(chips):
            edge = noise.spots(u, vv, 0.009 if k % 2 else 0.014, foot, 1.35, 1.6)
            shade = _mixc(base, _col(c), 0.75) * (1.0 + noise.octave(u, vv, 0.03) * 0.05)[..., None]
            img += (shade - img) * edge[..., None]
        return img
    if pattern in ("linen", "velvet", "silk", "leather"):
        if pattern == "linen":
            period = 0.004 if not ctx.fine else 0.0028
            fade = np.clip(period / (foot * 4.0) - 1.0, 0.0, 1.0)[:, None]
            weave = np.sin(u * (math.pi / period)) * np.sin(vv * (math.pi / period))
            # uneven weft threads (horizontal in the picture) and soft creases
            slub = noise.fbm(u, vv, 0.012, 2, foot, stretch=4.0, angle=0.0)
            fleck = noise.fbm(u, vv, 0.007, 1 + fine, foot)
            wrinkle = noise.fbm(u, vv, 0.25, 3, foot)
            t = 1.0 + weave * 0.05 * fade + slub * 0.025 + fleck * 0.025 + wrinkle * 0.04
        elif pattern == "velvet":
            # soft folds catching a sheen, and the fine pile
            n = noise.fbm(u, vv, 0.6, 3, foot, stretch=2.0)
            pile = noise.fbm(u, vv, 0.006, 1 + fine, foot)
            t = 0.88 + 0.16 * _smoothstep(-0.8, 0.9, n) ** 2 + pile * 0.03
        elif pattern == "silk":
            n = noise.fbm(u, vv, 0.45, 3, foot, stretch=2.5)
            t = 0.88 + 0.16 * np.sin(n * 5.0 + u * 3.0) ** 2
        else:
            cells = 1.0 - np.abs(noise.fbm(u, vv, 0.006, 2 + fine, foot)) * 1.5
            t = 1.0 + noise.fbm(u, vv, 0.3, 3, foot) * 0.05 - np.clip(cells, 0.0, 1.0) * 0.06
        return tint(t)
    if pattern == "sand":
        warp = noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        phase = (vv + u * 0.1 + warp * 0.5) / 0.02
        rip = np.sin(phase * 2.0 * math.pi)
        fade = np.clip(0.018 / (foot * 4.0) - 0.5, 0.0, 1.0)[:, None]
        grains = noise.fbm(u, vv, 0.0025, 1 + fine, foot)
        glint = noise.spots(u, vv, 0.0022, foot, 1.6, 2.0)
        tone = noise.fbm(u, vv, 0.3, 3, foot)
        t = 1.0 + rip * 0.025 * fade * (0.5 + 0.5 * tone) + grains * 0.05 + tone * 0.04
        return tint(t + glint * 0.25)
    if pattern in ("snow", "ice"):
        n = noise.fbm(u, vv, 0.3, 4, foot)
        img = tint(1.0 + n * 0.03)
        img += (_col((196, 212, 236)) - img) * np.clip(-n * 0.35, 0.0, 0.35)[..., None]
        if pattern == "ice":
            crack = _aa_line(np.abs(noise.fbm(u, vv, 0.2, 3, foot)), 0.006, foot * 2.0)
            img += (_col((250, 252, 255)) - img) * (crack * 0.5)[..., None]
        else:
            glint = noise.spots(u, vv, 0.003, foot, 1.8, 2.2)
            img += glint[..., None] * 0.2
        return img
    if pattern == "grass":
        # a lawn seen from standing height: fine speckle of blades and gaps, clumps, patches
        blades = noise.fbm(u, vv, 0.009, 2 + fine, foot)
        gaps = noise.spots(u, vv, 0.006, foot, 0.9, 1.5)
        clumps = noise.fbm(u, vv, 0.03, 2, foot)
        patch = noise.fbm(u, vv, 0.25, 3, foot)
        t = 0.86 + blades * 0.14 - gaps * 0.25 + clumps * 0.08 + patch * 0.08
        img = tint(t)
        img += (_col((140, 150, 80)) - img) * np.clip(patch * 0.25, 0.0, 0.25)[..., None]
        return img
    if pattern == "metal":
        n = noise.fbm(u, vv, 0.02, 3, foot, stretch=30.0, angle=0.0)
        return tint(1.0 + n * 0.04 + noise.fbm(u, vv, 0.4, 2, foot) * 0.03)
    if pattern == "tile":
        size = 0.25
        gx = np.abs((u / size) % 1.0 - 0.5)
        gy = np.abs((vv / size) % 1.0 - 0.5)
        grout = np.maximum(
            _aa_line(0.5 - gx, 0.012, foot / size), _aa_line(0.5 - gy, 0.012, foot / size)
        )
        tid = (np.floor(u / size) * 13 + np.floor(vv / size) * 7).astype(np.int64) % _LATTICE
        t = 1.0 + noise.lat[tid, 11] * 0.012 + noise.fbm(u, vv, 0.2, 2, foot) * 0.01
        return tint(t * (1.0 - 0.14 * grout))
    if pattern == "pebbles":
        return _pebbles(ctx, pl, base)
    if pattern == "bamboo":
        period = 0.03
        x = (u / period) % 1.0
        fade = np.clip(period / (foot * 3.0) - 0.5, 0.0, 1.0)[:, None]
        t = 1.0 - (0.1 * (1.0 - np.sin(x * math.pi)) ** 2) * fade
        t += noise.fbm(vv, u, 0.05, 2, foot, stretch=8.0, angle=0.0) * 0.04
        return tint(t)
    return tint(1.0 + noise.fbm(u, vv, 0.35, 3, foot) * 0.012)


def _pebbles(ctx: _Ctx, pl: _Plane, base: F32) -> F32:
    """Rounded, shaded stones drawn once into a tile and laid over the plane."""
    rng = ctx.rng
    n = 384 if ctx.fine else 256
    tile = np.ascontiguousarray(np.broadcast_to(base * 0.55, (n, n, 3)), np.float32)
    for _ in range(int(n * n / 260)):
        r = int(rng.uniform(0.03, 0.06) * n)
        x, y = int(rng.uniform(0, n)), int(rng.uniform(0, n))
        c = base * rng.uniform(0.75, 1.15) * np.array(rng.uniform(0.95, 1.05, 3), np.float32)
        axes = (r, int(r * rng.uniform(0.65, 0.9)))
        ang = float(rng.uniform(0, 180))
        for dx in (-n, 0, n):  # wrap the stones around the tile's edges
            for dy in (-n, 0, n):
                centre = (x + dx, y + dy)
                cv2.ellipse(tile, centre, axes, ang, 0, 360, (0.0, 0.0, 0.0), -1, cv2.LINE_AA)
                cv2.ellipse(
                    tile,
                    centre,
                    (max(1, axes[0] - 2), max(1, axes[1] - 2)),
                    ang,
                    0,
                    360,
                    tuple(float(v) for v in c),
                    -1,
                    cv2.LINE_AA,
                )
                hl = (x + dx - r // 4, y + dy - r // 4)
                cv2.ellipse(
                    tile,
                    hl,
                    (max(1, r // 2), max(1, r // 3)),
                    ang,
                    0,
                    360,
                    tuple(float(v) for v in _mixc(c, _col((255, 255, 255)), 0.12)),
                    -1,
                    cv2.LINE_AA,
                )
    soft = np.asarray(cv2.GaussianBlur(tile, (0, 0), n / 160), np.float32)
    period = 0.45  # plane units per tile
    mx = np.mod(pl.u / period * n, n).astype(np.float32)
    my = np.mod(np.broadcast_to(pl.v, pl.u.shape) / period * n, n).astype(np.float32)
    return np.asarray(
        cv2.remap(soft, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.float32
    )


def _accent(spec: SceneSpec) -> RGB:
    from wanstack.engines.classic.scene_vocab import BY_NAME

    for n in spec.concepts:
        acc = BY_NAME[n].params.get("accent")
        if isinstance(acc, tuple):
            return (int(acc[0]), int(acc[1]), int(acc[2]))
    return (150, 148, 150)


def _vanishing(ctx: _Ctx, y0: int) -> float:
    """The vanishing line of a floor whose back edge is at ``y0``: the horizon itself outdoors,
    above a table's back edge indoors (the table ends about three distances away)."""
    if ctx.spec.layout == "outdoor":
        return float(y0)
    return y0 - (ctx.h - y0) / 2.6


def _ground(ctx: _Ctx, y0: int) -> None:
    """The floor or tabletop from ``y0`` to the bottom, in perspective: its material, the light
    pool around the product, depth of field behind the product, distance haze outdoors and the
    mirror image of what stands above it on glossy floors."""
    spec, w, h = ctx.spec, ctx.w, ctx.h
    ph = h - y0
    if ph <= 1:
        return
    pattern = spec.surface or "plain"
    pl = _plane(w, h, y0, _vanishing(ctx, y0), w / 2)
    plane = _surface(ctx, pattern, pl)
    rows = (np.arange(ph, dtype=np.float32) + 0.5)[:, None]
    yy = rows / ph
    xx = (np.arange(w, dtype=np.float32) + 0.5)[None, :] / w
    # depth of field: in focus where the product stands, softer the farther behind it
    focus = ctx.floor_y if ctx.fp is not None else int(h * 0.86)
    dof = 0.5 if "+sharp" in spec.moods else (1.6 if "+dof" in spec.moods else 1.0)
    strength = (0.006 if spec.layout == "outdoor" else 0.011) * dof * w
    coc = np.clip((focus - y0 - rows[:, 0]) / max(h - pl.yv, 1.0), 0.0, None) * strength
    plane = _depth_blur(plane, coc)
    # light: a pool around the product, falling off toward the front and the sides
    px = (ctx.fp.cx / w) if ctx.fp is not None else 0.5 + spec.light_side * 0.1
    pool = np.exp(-((xx - px) ** 2) / 0.22 - ((yy - 0.45) ** 2) / 0.5)
    plane *= (0.86 + 0.18 * pool)[..., None]
    if spec.layout == "outdoor":
        haze = _haze_color(ctx)
        # the ground takes the colour of the sky light: warm at sunset, blue at night
        plane += (plane * (haze / max(float(haze.mean()), 1e-3)) - plane) * 0.35
        dist = 1.0 - np.exp(-(pl.v - 1.0) * (0.05 + 0.08 * spec.haze))
        hz = np.clip(dist + np.clip(1 - yy / 0.08, 0, 1) ** 2 * 0.5, 0.0, 1.0)
        plane += (haze - plane) * hz[..., None]
    elif spec.layout == "tabletop":
        # the table's back edge catches a little light
        edge = np.exp(-(rows**2) / (2 * max(1.0, h * 0.002) ** 2)) * 0.06
        plane *= (1 + edge)[..., None]
    # glossy floors mirror what stands above the edge
    refl = 0.0
    if spec.glossy:
        refl = {"water": 0.75, "plain": 0.45, "metal": 0.35, "ice": 0.35}.get(pattern, 0.22)
    if refl > 0:
        src_rows = np.clip(y0 - 1 - np.arange(ph) * 0.85, 0, y0 - 1).astype(np.float32)
        mx = np.repeat(np.arange(w, dtype=np.float32)[None, :], ph, axis=0)
        my = np.repeat(src_rows[:, None], w, axis=1)
        if pattern == "water":
            rip = _fbm(ctx.rng, ph, w, w / 25, 3, stretch=6.0)
            mx = np.asarray(mx + rip * (2 + yy * w * 0.02), np.float32)
            my = np.asarray(my + rip * yy * h * 0.01, np.float32)
        mirror = np.asarray(
            cv2.remap(ctx.img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), np.float32
        )
        mirror = _fast_blur(mirror, 1.0 + w * 0.004 * (0 if pattern == "water" else 1))
        fres = refl * (0.35 + 0.65 * (1 - yy) ** 2)
        plane += (mirror * 0.92 - plane) * fres[..., None]
        if pattern == "water":
            lines = _fbm(ctx.rng, ph, w, w / 60, 2, stretch=10.0)
            plane *= (1 + lines * 0.05 * (0.3 + yy))[..., None]
    ctx.reflectivity = refl
    ctx.img[y0:] = plane


def _depth_blur(img: F32, sigma: F32) -> F32:
    """Blur that grows row by row (``sigma`` per row): blends of a few uniformly blurred copies."""
    top = float(sigma.max())
    if top < 0.5:
        return img
    levels = [0.0, top / 3.0, top * 2.0 / 3.0, top]
    copies = [img] + [_fast_blur(img, s) for s in levels[1:]]
    pos = np.clip(sigma / (top / 3.0), 0.0, 2.999)
    k = pos.astype(np.int64)
    f = (pos - k).astype(np.float32)[:, None, None]
    out = np.empty_like(img)
    for i in range(3):
        rows = k == i
        if rows.any():
            out[rows] = copies[i][rows] * (1.0 - f[rows]) + copies[i + 1][rows] * f[rows]
    return out


def _water_band(ctx: _Ctx, hy: int, shore: int, params: dict[str, object]) -> None:
    """Sea or lake between the horizon and a wavy shoreline, in perspective: the sky and the
    land mirrored and broken up by ripples that get finer with distance, glitter on the sun's
    path, surf on a sea shore, wet sand below it."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    bh = max(2, min(h - hy, shore - hy + int(h * 0.03)))
    pl = _plane(w, hy + bh, hy, float(hy), w / 2)
    noise = _Noise(rng)
    vv = np.broadcast_to(pl.v, pl.u.shape)
    rip = noise.fbm(pl.u, vv, 0.08, 4 if ctx.fine else 3, pl.foot, stretch=5.0, angle=0.0)
    ys = np.arange(bh, dtype=np.float32)[:, None]
    # the ripples' slope toward the viewer (plane units): it bends the mirror image and shades
    slope = np.gradient(rip, axis=0) / np.gradient(pl.v[:, 0])[:, None] * 0.012
    slope = np.clip(slope, -1.0, 1.0)
    mx = np.arange(w, dtype=np.float32)[None, :] + rip * (1.0 + ys * 0.02)
    my = (hy - 1 - ys) + slope * (2.0 + ys * 0.15)
    mirror = np.asarray(
        cv2.remap(
            ctx.img,
            np.ascontiguousarray(np.broadcast_to(mx, (bh, w)), np.float32),
            np.ascontiguousarray(np.clip(my, 0, hy - 1), np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        ),
        np.float32,
    )
    lake = params.get("style") == "lake"
    night = ctx.spec.time_of_day == "night"
    deep = _col((6, 12, 26)) if night else (_col((30, 60, 56)) if lake else _col((24, 70, 100)))
    t = np.clip(ys / max(bh, 1), 0, 1)[..., None]
    fresnel = 0.82 - 0.3 * t  # grazing far away: mostly mirror; nearer: the water's own colour
    water = mirror * fresnel + deep * (1.0 - fresnel)
    water *= 1 + slope[..., None] * 0.12
    if ctx.sun is not None and ctx.sun[1] < hy and ctx.sun_rgb is not None:
        spread = w * (0.015 + 0.06 * t[..., 0])
        path = np.exp(-((np.arange(w)[None, :] - ctx.sun[0]) ** 2) / (2 * spread**2))
        sparkle = _smoothstep(0.9, 1.6, noise.fbm(pl.u, vv, 0.01, 2, pl.foot, stretch=4.0))
        strength = {"sunset": 1.2, "golden": 1.0, "morning": 0.8, "day": 0.5}.get(
            ctx.spec.time_of_day, 0.2
        )
        water += ctx.sun_rgb * (sparkle * path * strength)[..., None]
    shore_prof = shore + _profile(rng, w, w / 3, 3, False) * h * 0.012
    rows = ys + hy
    a = np.clip(shore_prof[None, :] - rows + 0.5, 0, 1)
    if lake:
        foam = np.zeros_like(a)
    else:
        foam = np.exp(-((shore_prof[None, :] - rows - h * 0.003) ** 2) / (2 * (h * 0.003) ** 2))
        foam = foam * (0.6 + 0.4 * _smoothstep(-0.5, 0.5, rip))
    water += (_col((250, 250, 248)) - water) * (foam * 0.6)[..., None]
    _over(ctx.img, np.asarray(water, np.float32), np.clip(a + foam * 0.6, 0, 1), hy)
    # wet sand darker just below the shore
    wet = np.clip(1 - (rows - shore_prof[None, :]) / (h * 0.04), 0, 1) * (1 - a)
    ctx.img[hy : hy + bh] *= (1 - wet * 0.18)[..., None]


# -------------------------------------------------------------------------------- props


def _podium(ctx: _Ctx, cx: int, base_y: int, rx: int, height: int, color: F32) -> int:
    """A cylinder standing on the floor at ``base_y``; returns its top y."""
    w, h = ctx.w, ctx.h
    ry = max(2, int(rx * 0.16))
    top = base_y - height
    # contact shadow
    sh = np.zeros((h, w), np.uint8)
    cv2.ellipse(sh, (cx, base_y), (int(rx * 1.08), int(ry * 1.3)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    shf = _fast_blur(sh.astype(np.float32) / 255, rx * 0.06)
    ctx.img *= (1 - 0.35 * shf)[..., None]
    body = np.zeros((h, w), np.uint8)
    cv2.rectangle(body, (cx - rx, top), (cx + rx, base_y), 255, -1)
    cv2.ellipse(body, (cx, base_y), (rx, ry), 0, 0, 180, 255, -1, cv2.LINE_AA)
    a = body.astype(np.float32) / 255
    a[:, : max(0, cx - rx)] = 0
    a[:, cx + rx + 1 :] = 0
    xs = (np.arange(w, dtype=np.float32) - cx) / rx
    side = ctx.spec.light_side
    shade = (
        0.78
        + 0.22 * np.clip(1 - (xs + side * 0.6) ** 2 * 0.6, 0, 1)
        - 0.08 * np.clip(xs * side, 0, 1)
    )
    shade = shade * (1 - 0.18 * np.abs(np.clip(xs, -1, 1)) ** 4)
    _over(ctx.img, color[None, None, :] * shade[None, :, None], a)
    topm = np.zeros((h, w), np.uint8)
    cv2.ellipse(topm, (cx, top), (rx, ry), 0, 0, 360, 255, -1, cv2.LINE_AA)
    topc = _mixc(color, _col((255, 255, 255)), 0.18)
    _over(ctx.img, topc, topm.astype(np.float32) / 255)
    return top


_STAND_STYLES = (
    # style: (tier heights, gap below the product's floor line; fractions of the short side)
    ("steps", (0.06, 0.07), 0.03),
    ("podium", (0.1,), 0.04),
    ("tray", (0.015,), 0.02),
    ("cube", (0.14,), 0.04),
)


def _stand_style(spec: SceneSpec) -> str | None:
    props = spec.props
    if "steps" in props:
        return "steps"
    if "podium" in props or ("cylinder" in props and "cube" not in props):
        return "podium"
    if "tray" in props:
        return "tray"
    if "cube" in props:
        return "cube"
    return None


def _plan_stand(ctx: _Ctx) -> _Stand | None:
    """Where the stand goes. Without a footprint: centred, standing on the default floor line.
    With one: centred under the product, its top where the product's bottom is, wide enough for
    the product's base; taller for a product that sits high (a pedestal), lower for one that sits
    at the very bottom of the frame."""
    style = _stand_style(ctx.spec)
    if style is None:
        return None
    w, h = ctx.w, ctx.h
    s = min(w, h)
    fracs, below = next((f, b) for name, f, b in _STAND_STYLES if name == style)
    heights = [max(3, int(s * f)) for f in fracs]
    gap = -int(s * 0.005) if style == "steps" else 0  # the upper tier sinks into the lower
    rx = int(s * 0.3)
    fp = ctx.fp
    if fp is None:
        cx = w // 2
        base = ctx.floor_y + int(s * below)
    else:
        cx = fp.cx
        rx = int(np.clip(max(fp.half_width * 1.3, min(s * 0.3, fp.half_width * 3.0)), 4, w * 0.48))
        if style == "cube":
            rx = int(max(rx, fp.half_width * 1.3 / 0.9 + 1))
        total = sum(heights) + gap
        want = total
        if fp.bottom < h * 0.7 and style != "tray":
            want = max(total, min(int(h * 0.7) - fp.bottom, int(h * 0.35)))
        want = min(want, max(int(s * 0.03), int((h - fp.bottom) * 0.75)))
        heights = [max(2, round(x * want / max(total, 1))) for x in heights]
        base = fp.bottom + sum(heights) + gap
        if style == "cube":
            base += int(int(rx * 0.9) * 0.35) // 2
    top = base - sum(heights) - gap
    if style == "cube":
        top -= int(int(rx * 0.9) * 0.35) // 2
    return _Stand(style, cx, top, base, rx, tuple(heights))


def _props(ctx: _Ctx) -> None:
    """The stand under the product, then props beside it (a sphere, a block)."""
    spec, w, h = ctx.spec, ctx.w, ctx.h
    color = _col(spec.prop_color or spec.backdrop_color)
    if color.mean() > 0.93:
        color = color * 0.97
    s = min(w, h)
    if ctx.stand is None:
        ctx.stand = _plan_stand(ctx)
    st = ctx.stand
    fy = st.base if st is not None else ctx.floor_y
    if st is not None:
        cx, rx = st.cx, st.rx
        if st.style == "steps":
            lower = _podium(ctx, cx, st.base, int(rx * 1.25), st.heights[0], color * 0.97)
            top = _podium(ctx, cx, lower + int(s * 0.005), rx, st.heights[1], color)
        elif st.style == "cube":
            top = _cube(ctx, cx, st.base, int(rx * 0.9), st.heights[0], color)
            rx = int(rx * 0.9)
        else:
            width = int(rx * 1.05) if st.style == "tray" else rx
            top = _podium(ctx, cx, st.base, width, st.heights[0], color)
        ctx.podium = (cx, top, rx)
        fy = st.base if ctx.fp is not None else ctx.floor_y
    if "sphere" in spec.props:
        r = int(s * 0.09)
        x = _beside(ctx, -1 if spec.light_side >= 0 else 1, r, 0.3 * w)
        _sphere(ctx, x, fy + int(s * 0.02) - r, r, _mixc(color, _col((255, 255, 255)), 0.1))
    if "vase" in spec.props or "books" in spec.props or "frame" in spec.props:
        half = int(s * 0.06)
        x = _beside(ctx, -1 if spec.light_side > 0 else 1, half, 0.36 * w)
        _cube(ctx, x, fy - int(s * 0.02), half, int(s * 0.2), color * 0.92)
    if ctx.podium is not None and ctx.fp is None:
        ctx.floor_y = ctx.podium[1]


def _beside(ctx: _Ctx, side: int, size: float, offset: float) -> int:
    """The x of something ``size`` (half width) standing beside the product: ``offset`` from the
    centre by default; with a footprint, just clear of the product (and of its stand), on
    ``side`` (-1 left, +1 right) when there is room, otherwise on the other side."""
    w = ctx.w
    if ctx.keep is None:
        return int(w / 2 + side * offset)
    x0, _, x1, _ = ctx.keep
    if ctx.stand is not None:
        x0 = min(x0, ctx.stand.cx - int(ctx.stand.rx * 1.3))
        x1 = max(x1, ctx.stand.cx + int(ctx.stand.rx * 1.3))
    gap = size * 1.25 + w * 0.02
    right, left = x1 + gap, x0 - gap
    fits_right, fits_left = right + size < w, left - size > 0
    if (side > 0 and fits_right) or (side < 0 and not fits_left and fits_right):
        return int(right)
    if fits_left:
        return int(left)
    return int(w * (0.9 if side > 0 else 0.1))


def _in_keep(ctx: _Ctx, x: float, y: float, r: float = 0.0) -> bool:
    """Whether a thing of radius ``r`` at (``x``, ``y``) would overlap the product's box."""
    if ctx.keep is None:
        return False
    x0, y0, x1, y1 = ctx.keep
    return x0 - r < x < x1 + r and y0 - r < y < y1 + r


def _cube(ctx: _Ctx, cx: int, base_y: int, half: int, height: int, color: F32) -> int:
    w, h = ctx.w, ctx.h
    depth = int(half * 0.35)
    top = base_y - height
    sh = np.zeros((h, w), np.uint8)
    cv2.rectangle(sh, (cx - half - 4, base_y - depth), (cx + half + 4, base_y + 4), 255, -1)
    ctx.img *= (1 - 0.3 * _fast_blur(sh.astype(np.float32) / 255, half * 0.06))[..., None]
    front = np.zeros((h, w), np.uint8)
    cv2.rectangle(front, (cx - half, top), (cx + half, base_y), 255, -1)
    side = ctx.spec.light_side
    _over(ctx.img, color * (0.9 - 0.05 * side), front.astype(np.float32) / 255)
    tp = np.zeros((h, w), np.uint8)
    pts = np.array(
        [
            [cx - half, top],
            [cx + half, top],
            [cx + half - depth // 2, top - depth],
            [cx - half + depth // 2, top - depth],
        ],
        np.int32,
    )
    cv2.fillPoly(tp, [pts], 255, cv2.LINE_AA)
    _over(ctx.img, _mixc(color, _col((255, 255, 255)), 0.15), tp.astype(np.float32) / 255)
    return top - depth // 2


def _sphere(ctx: _Ctx, x: int, y: int, r: int, color: F32) -> None:
    w, h = ctx.w, ctx.h
    x0, x1, y0, y1 = max(0, x - r - 2), min(w, x + r + 2), max(0, y - r - 2), min(h, y + r + 2)
    if x1 <= x0 or y1 <= y0:
        return
    sh = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        sh, (x, y + r), (int(r * 0.9), max(2, int(r * 0.2))), 0, 0, 360, 255, -1, cv2.LINE_AA
    )
    ctx.img *= (1 - 0.35 * _fast_blur(sh.astype(np.float32) / 255, r * 0.12))[..., None]
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = np.sqrt((xx - x) ** 2 + (yy - y) ** 2) / r
    a = np.clip((1 - d) * r + 0.5, 0, 1)
    lx, ly = -ctx.spec.light_side * 0.5 - 0.2, -0.5
    nz = np.sqrt(np.clip(1 - d**2, 0, 1))
    lam = np.clip(((xx - x) / r * -lx * -1 + (yy - y) / r * ly * 1 + nz * 0.7), 0, 1)
    shade = 0.6 + 0.45 * lam
    _over(ctx.img[y0:y1, x0:x1], color * shade[..., None], a)


# ----------------------------------------------------------------------------- elements


class _Canvas:
    """A premultiplied RGBA layer drawn with OpenCV at ``scale`` of the image size."""

    def __init__(self, w: int, h: int, scale: float) -> None:
        self.scale = scale
        self.w, self.h = max(4, int(w * scale)), max(4, int(h * scale))
        self.rgb = np.zeros((self.h, self.w, 3), np.uint8)
        self.a = np.zeros((self.h, self.w), np.uint8)

    def draw(
        self,
        fn: Callable[..., object],
        color: F32,
        alpha: float = 1.0,
    ) -> None:
        c = tuple(int(v) for v in np.clip(color * 255, 0, 255))
        fn(self.rgb, c)
        fn(self.a, (int(alpha * 255),))

    def composite(self, img: F32, blur: float) -> None:
        a = self.a.astype(np.float32) / 255
        if not a.any():
            return
        pm = self.rgb.astype(np.float32) / 255 * a[..., None]
        if blur > 0:
            pm = _blur(pm, blur * self.scale)
            a = _blur(a, blur * self.scale)
        h, w = img.shape[:2]
        if (self.w, self.h) != (w, h):
            pm = _resize(pm, w, h)
            a = _resize(a, w, h)
        img *= (1 - a)[..., None]
        img += pm


def _petal_pts(
    cx: float, cy: float, length: float, width: float, ang: float
) -> npt.NDArray[np.int32]:
    t = np.linspace(0, math.pi, 14)
    xs = np.concatenate([np.cos(t) * 0 + np.linspace(0, length, 14), np.linspace(length, 0, 14)])
    ys = np.concatenate([np.sin(t) * width, -np.sin(t[::-1]) * width * 0.9])
    ca, sa = math.cos(ang), math.sin(ang)
    px = cx + xs * ca - ys * sa
    py = cy + xs * sa + ys * ca
    return np.stack([px, py], axis=-1).round().astype(np.int32)


def _leaf(cv: _Canvas, x: float, y: float, size: float, ang: float, color: F32) -> None:
    t = np.linspace(0, 1, 20)
    width = np.sin(t * math.pi) ** 0.9 * size * 0.28
    xs = np.concatenate([t * size, t[::-1] * size])
    ys = np.concatenate([width, -width[::-1]])
    ca, sa = math.cos(ang), math.sin(ang)
    pts = np.stack([x + xs * ca - ys * sa, y + xs * sa + ys * ca], -1).round().astype(np.int32)
    cv.draw(lambda im, c: cv2.fillPoly(im, [pts], c, cv2.LINE_AA), color)
    end = (int(x + size * 0.92 * ca), int(y + size * 0.92 * sa))
    cv.draw(
        lambda im, c: cv2.line(im, (int(x), int(y)), end, c, max(1, int(size / 40)), cv2.LINE_AA),
        _mixc(color, _col((230, 240, 200)), 0.3),
    )


def _flower(
    cv: _Canvas, x: float, y: float, r: float, ang: float, color: F32, petals: int = 5
) -> None:
    for k in range(petals):
        a = ang + k * 2 * math.pi / petals
        pts = _petal_pts(x, y, r, r * 0.42, a)
        shade = 0.92 + 0.08 * math.cos(a)
        cv.draw(lambda im, c, p=pts: cv2.fillPoly(im, [p], c, cv2.LINE_AA), color * shade)
    cv.draw(
        lambda im, c: cv2.circle(im, (int(x), int(y)), max(1, int(r * 0.22)), c, -1, cv2.LINE_AA),
        _mixc(color, _col((200, 120, 60)), 0.55),
    )


def _elements(ctx: _Ctx, stage: str) -> None:
    """Draw the spec's elements of one stage: ``back`` (behind the subject, before props),
    ``ground`` (on the floor) or ``front`` (frame and scatter, last)."""
    spec, rng, w, h = ctx.spec, ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    det = ctx.detail
    for el in spec.elements:
        col = _col(el.color)
        place = el.placement
        if ctx.horizon is None and place == "horizon":
            place = "ground" if el.shape in ("plant", "cactus", "tree") else "frame"
        if el.shape in ("cloud", "sun", "moon") and spec.layout in ("outdoor", "sky"):
            continue  # part of the sky
        if place == "sky" and spec.layout not in ("outdoor", "sky"):
            place = "back"
        stage_of = {"back": "back", "sky": "back", "horizon": "back", "ground": "ground"}.get(
            place, "front"
        )
        if stage_of != stage:
            continue
        if el.shape == "bokeh" or el.shape == "string_lights":
            top_lim = ctx.horizon if ctx.horizon is not None else int(h * 0.62)
            pal = [el.color, _lighter(el.color), (255, 244, 226)]
            _bokeh_field(
                ctx, 0, top_lim, int((18 + 30 * det) * el.density), (0.02, 0.07), pal, 0.45
            )
        elif el.shape == "leaf_shadow":
            _leaf_shadows(ctx)
        elif el.shape == "smoke":
            n = _fbm(rng, h // 4, w // 4, w / 16, 4, stretch=0.5)
            a = _resize(_smoothstep(0.2, 1.2, n), w, h) * 0.25
            _over(ctx.img, col, a)
        elif el.shape == "rainbow":
            _rainbow(ctx)
        elif place == "horizon":
            _horizon_items(ctx, el.shape, col, el.density)
        elif place in ("back",) and el.shape in ("cloud", "bird", "sun", "moon"):
            continue
        elif place == "ground":
            _ground_items(ctx, el.shape, col, el.density)
        elif place == "frame":
            _frame_items(ctx, el.shape, col, el.density, el.name)
        else:
            _scatter(ctx, el.shape, col, el.density)
    del s


def _lighter(c: RGB) -> RGB:
    return (min(255, c[0] + 30), min(255, c[1] + 30), min(255, c[2] + 30))


def _bokeh_field(
    ctx: _Ctx,
    y0: int,
    y1: int,
    count: int,
    size: tuple[float, float],
    palette: list[RGB],
    strength: float,
) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    scale = 0.5
    lw, lh = max(4, int(w * scale)), max(4, int(h * scale))
    acc = np.zeros((lh, lw, 3), np.float32)
    s = min(w, h) * scale
    for _ in range(max(1, count)):
        r = int(s * rng.uniform(*size))
        x = int(rng.uniform(-0.05, 1.05) * lw)
        y = int(rng.uniform(y0, max(y0 + 1, y1)) * scale)
        c = _col(palette[int(rng.integers(0, len(palette)))]) * rng.uniform(0.3, 1.0)
        disc = np.zeros((lh, lw), np.float32)
        x0, x1, yy0, yy1 = (
            max(0, x - r - 2),
            min(lw, x + r + 3),
            max(0, y - r - 2),
            min(lh, y + r + 3),
        )
        if x1 <= x0 or yy1 <= yy0:
            continue
        cv2.circle(disc, (x, y), max(1, r), 1.0, -1, cv2.LINE_AA)
        patch = disc[yy0:yy1, x0:x1]
        rim = 1.0 + 0.25 * (patch - _blur(patch, max(1.0, r * 0.15)))
        acc[yy0:yy1, x0:x1] += c * (patch * rim)[..., None]
    acc = _blur(acc, max(1.0, s * 0.003))
    glow = _resize(acc, w, h)
    ctx.img += glow * strength * (1 - np.clip(ctx.img, 0, 1) * 0.5)


def _leaf_shadows(ctx: _Ctx) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    cv = _Canvas(w, h, 0.25)
    corner_x = cv.w * (0.0 if ctx.spec.light_side < 0 else 1.0)
    for _ in range(40):
        ang = rng.uniform(0, 2 * math.pi)
        _leaf(
            cv,
            corner_x + rng.uniform(-0.1, 0.45) * cv.w * (1 if corner_x == 0 else -1),
            rng.uniform(-0.1, 0.6) * cv.h,
            cv.w * rng.uniform(0.05, 0.12),
            ang,
            _col((0, 0, 0)),
        )
    a = _blur(cv.a.astype(np.float32) / 255, cv.w * 0.012)
    a = _resize(a, w, h)
    ctx.img *= (1 - 0.22 * a)[..., None]


def _rainbow(ctx: _Ctx) -> None:
    w, h = ctx.w, ctx.h
    hy = ctx.horizon or int(h * 0.6)
    yy, xx = np.mgrid[0 : h // 4, 0 : w // 4].astype(np.float32)
    d = np.sqrt((xx - w / 8) ** 2 + (yy - hy / 4 - h / 16) ** 2) / (w / 4)
    hue = np.clip((d - 0.55) / 0.08, 0, 1)
    band = np.exp(-((d - 0.59) ** 2) / 0.0008) * (yy < hy / 4)
    cols = np.stack(
        [
            np.clip(1.5 - np.abs(hue - 0.0) * 3, 0, 1),
            np.clip(1.5 - np.abs(hue - 0.5) * 3, 0, 1),
            np.clip(1.5 - np.abs(hue - 1.0) * 3, 0, 1),
        ],
        -1,
    )
    ctx.img += _resize(np.asarray(cols * band[..., None] * 0.18, np.float32), w, h)


def _horizon_items(ctx: _Ctx, shape: str, color: F32, density: float) -> None:
    """Plants, cacti or trees in the distance, standing on the horizon in two depths: small,
    dark against the sky and softened by haze, the farther ones more."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    hy = ctx.horizon if ctx.horizon is not None else int(h * 0.6)
    desert = "desert" in ctx.spec.terrains
    layers = [np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)]
    n = int((8 + 14 * ctx.detail) * density)
    for _ in range(n):
        x = float(rng.uniform(0, 1) * w)
        if ctx.keep is not None:
            if ctx.keep[0] < x < ctx.keep[2]:
                continue
        elif abs(x - w / 2) < w * 0.12:
            continue
        near = int(rng.uniform() < 0.4)
        m = layers[near]
        size = h * rng.uniform(0.008, 0.02) * (1.5 if near else 1.0)
        base = hy + int(h * (0.004 + 0.012 * near * rng.uniform()))
        kind = shape
        if shape == "plant" and desert:
            kind = str(rng.choice(["cactus", "shrub", "shrub", "acacia"]))
        if kind == "cactus":
            tw = max(2, int(size * 0.28))
            top = int(base - size * 2.2)
            cv2.line(m, (int(x), base), (int(x), top), 255, tw, cv2.LINE_AA)
            for sgn in (-1, 1):
                if rng.uniform() < 0.75:
                    ay = int(base - size * rng.uniform(0.7, 1.3))
                    ax = int(x + sgn * size * rng.uniform(0.35, 0.5))
                    cv2.line(m, (int(x), ay), (ax, ay), 255, tw, cv2.LINE_AA)
                    cv2.line(
                        m,
                        (ax, ay),
                        (ax, int(ay - size * rng.uniform(0.5, 0.9))),
                        255,
                        tw,
                        cv2.LINE_AA,
                    )
        elif kind in ("acacia", "tree"):
            th = size * rng.uniform(1.5, 2.2)
            lean = size * rng.uniform(-0.3, 0.3)
            cv2.line(
                m,
                (int(x), base),
                (int(x + lean), int(base - th)),
                255,
                max(1, int(size * 0.15)),
                cv2.LINE_AA,
            )
            flat = 0.35 if kind == "acacia" else 0.8
            for _ in range(12):
                cx = x + lean + rng.normal(0, size * 0.7)
                cy = base - th + rng.normal(0, size * 0.35 * flat)
                r = size * rng.uniform(0.25, 0.5)
                cv2.ellipse(
                    m,
                    (int(cx), int(cy)),
                    (max(1, int(r)), max(1, int(r * flat + 1))),
                    0,
                    0,
                    360,
                    255,
                    -1,
                    cv2.LINE_AA,
                )
        else:  # a shrub: a dome of small leaf clumps with a ragged outline
            wd = size * rng.uniform(0.9, 1.6)
            for _ in range(16):
                ox = rng.uniform(-1, 1)
                cx = x + ox * wd
                cy = base - abs(rng.normal(0, 0.5)) * size * (1.0 - 0.6 * ox * ox)
                r = size * rng.uniform(0.15, 0.32)
                cv2.circle(m, (int(cx), int(cy)), max(1, int(r)), 255, -1, cv2.LINE_AA)
    haze = _haze_color(ctx)
    dark = color * (0.3 if ctx.spec.backlit else 0.6)
    for near, m in enumerate(layers):
        a = _blur(m.astype(np.float32) / 255, 0.7 if near else 0.9)
        _over(ctx.img, _mixc(dark, haze, 0.15 if near else 0.35), a)


def _ground_items(ctx: _Ctx, shape: str, color: F32, density: float) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    if ctx.fp is not None:
        fy = ctx.stand.base if ctx.stand is not None else ctx.floor_y
    else:
        fy = ctx.floor_y if ctx.podium is None else ctx.podium[1] + int(s * 0.14)
    fy = min(h - 2, fy)
    if shape in ("dog", "cat"):
        side = 1 if ctx.spec.light_side <= 0 else -1
        x = _beside(ctx, side, s * 0.16, w * 0.32)
        _animal(ctx, x, fy, s * 0.22, color, shape)
        return
    n = int((3 + 4 * ctx.detail) * density)
    cv = _Canvas(w, h, 1.0)
    shadow = np.zeros((h, w), np.uint8)
    for _ in range(n):
        side = rng.choice([-1, 1])
        x = int(w / 2 + side * w * rng.uniform(0.22, 0.46))
        y = int(fy + rng.uniform(-0.03, 0.08) * s)
        if _in_keep(ctx, x, y, s * 0.05):
            x = _beside(ctx, int(side), s * rng.uniform(0.02, 0.05), 0.0) + int(
                side * rng.uniform(0.0, 0.12) * w
            )
        r = int(s * rng.uniform(0.02, 0.05) * (0.7 + 0.6 * (y - fy) / (0.1 * s) if y > fy else 0.8))
        r = max(3, r)
        c = color * rng.uniform(0.85, 1.1)
        cv2.ellipse(
            shadow, (x, y), (int(r * 1.1), max(2, int(r * 0.3))), 0, 0, 360, 255, -1, cv2.LINE_AA
        )
        if shape in ("rock",):
            k = 9
            ang = np.linspace(0, 2 * math.pi, k, endpoint=False) + rng.uniform(0, 1)
            rad = r * rng.uniform(0.7, 1.0, k)
            pts = np.stack(
                [x + np.cos(ang) * rad * 1.3, y - r * 0.6 + np.sin(ang) * rad * 0.8], -1
            ).astype(np.int32)
            cv.draw(lambda im, col, p=pts: cv2.fillPoly(im, [p], col, cv2.LINE_AA), c)
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.ellipse(
                    im,
                    (x - r // 3, y - r),
                    (max(1, r // 2), max(1, r // 4)),
                    -10,
                    0,
                    360,
                    col,
                    -1,
                    cv2.LINE_AA,
                ),
                _mixc(c, _col((255, 255, 255)), 0.2),
            )
        elif shape == "cube":
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.rectangle(
                    im, (x - r, y - 2 * r), (x + r, y), col, -1, cv2.LINE_AA
                ),
                c,
            )
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.rectangle(
                    im, (x - r, y - 2 * r), (x + r, y - int(1.7 * r)), col, -1
                ),
                _mixc(c, _col((255, 255, 255)), 0.25),
            )
        elif shape == "candle":
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.rectangle(
                    im, (x - r // 2, y - 3 * r), (x + r // 2, y), col, -1, cv2.LINE_AA
                ),
                c,
            )
            _bokeh_at(ctx, x, y - 3 * r - r // 2, r, (255, 200, 120))
        else:
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.circle(im, (x, y - r), r, col, -1, cv2.LINE_AA),
                c,
            )
            cv.draw(
                lambda im, col, x=x, y=y, r=r: cv2.circle(
                    im, (x - r // 3, y - r - r // 3), max(1, r // 4), col, -1, cv2.LINE_AA
                ),
                _mixc(c, _col((255, 255, 255)), 0.5),
            )
    ctx.img *= (1 - 0.3 * _blur(shadow.astype(np.float32) / 255, s * 0.006))[..., None]
    cv.composite(ctx.img, 0.6)


def _bokeh_at(ctx: _Ctx, x: int, y: int, r: int, c: RGB) -> None:
    m = np.zeros((ctx.h, ctx.w), np.float32)
    cv2.circle(m, (x, y), max(1, r), 1.0, -1, cv2.LINE_AA)
    ctx.img += _col(c) * (_fast_blur(m, r * 1.5) * 0.8)[..., None]


def _animal(ctx: _Ctx, x: int, fy: int, size: float, color: F32, kind: str) -> None:
    """A simple, soft sitting dog (or cat) silhouette beside the product."""
    w, h = ctx.w, ctx.h
    s = size
    side = -1 if x > w / 2 else 1  # faces the centre
    cv = _Canvas(w, h, 1.0)
    dark = _mixc(color, _col((60, 40, 30)), 0.35)
    light = _mixc(color, _col((255, 250, 240)), 0.5)
    sh = np.zeros((h, w), np.uint8)
    cv2.ellipse(sh, (x, fy), (int(s * 0.45), int(s * 0.08)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    ctx.img *= (1 - 0.35 * _blur(sh.astype(np.float32) / 255, s * 0.04))[..., None]

    def ell(cx: float, cy: float, ax: float, ay: float, ang: float, c: F32) -> None:
        cv.draw(
            lambda im, col: cv2.ellipse(
                im,
                (int(cx), int(cy)),
                (max(1, int(ax)), max(1, int(ay))),
                ang,
                0,
                360,
                col,
                -1,
                cv2.LINE_AA,
            ),
            c,
        )

    # tail, body, legs, chest, head, ears, muzzle, eye, nose
    ell(x - side * s * 0.32, fy - s * 0.32, s * 0.05, s * 0.16, side * 30, dark)
    ell(x - side * s * 0.08, fy - s * 0.28, s * 0.3, s * 0.27, 0, color)
    ell(x + side * s * 0.14, fy - s * 0.08, s * 0.07, s * 0.09, 0, color)
    ell(x - side * s * 0.26, fy - s * 0.07, s * 0.14, s * 0.08, 0, color)
    ell(x + side * s * 0.1, fy - s * 0.38, s * 0.12, s * 0.2, side * -10, light)
    hx, hy = x + side * s * 0.12, fy - s * 0.66
    if kind == "cat":
        for k in (-1, 1):
            pts = np.array(
                [
                    [hx + k * s * 0.14, hy - s * 0.05],
                    [hx + k * s * 0.12, hy - s * 0.28],
                    [hx + k * s * 0.02, hy - s * 0.12],
                ],
                np.int32,
            )
            cv.draw(lambda im, col, p=pts: cv2.fillPoly(im, [p], col, cv2.LINE_AA), dark)
        ell(hx, hy, s * 0.17, s * 0.15, 0, color)
    else:
        ell(hx, hy, s * 0.17, s * 0.16, 0, color)
        for k in (-1, 1):
            ell(hx + k * s * 0.15, hy + s * 0.02, s * 0.06, s * 0.13, k * -15, dark)
        ell(hx + side * s * 0.1, hy + s * 0.06, s * 0.09, s * 0.07, 0, light)
    ell(hx + side * s * 0.18, hy + s * 0.03, s * 0.03, s * 0.025, 0, _col((40, 30, 30)))
    for k in (-1, 1):
        ell(
            hx + side * s * 0.02 + k * s * 0.07,
            hy - s * 0.03,
            s * 0.022,
            s * 0.026,
            0,
            _col((30, 24, 24)),
        )
    cv.composite(ctx.img, max(0.6, s * 0.006))


def _frame_anchors(ctx: _Ctx, count: int) -> list[tuple[float, float, float]]:
    """Anchor points (x, y, direction toward the centre) at the frame's corners/edges."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    corners = [(0.0, 0.0, 0.6), (w, 0.0, math.pi - 0.6), (0.0, h, -0.6), (w, h, math.pi + 0.6)]
    order = rng.permutation(4)
    out = []
    for i in order[:count]:
        x, y, d = corners[int(i)]
        out.append(
            (
                x + rng.uniform(-0.05, 0.05) * w,
                y + rng.uniform(-0.1, 0.1) * h,
                d + rng.uniform(-0.3, 0.3),
            )
        )
    return out


def _frame_items(ctx: _Ctx, shape: str, color: F32, density: float, name: str) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    det = ctx.detail
    n_anchor = 2 if det < 0.7 else 3
    layers = [
        (_Canvas(w, h, 0.5), s * 0.012),
        (_Canvas(w, h, 1.0), 0.0),
        (_Canvas(w, h, 0.5), s * 0.006),
    ]
    for ax, ay, d in _frame_anchors(ctx, n_anchor):
        if shape == "blossom":
            _branch(ctx, layers[1][0], ax, ay, d, s * rng.uniform(0.45, 0.6), color, det)
            continue
        if shape == "branch":
            _branch(ctx, layers[1][0], ax, ay, d, s * 0.5, color, 0.0, flowers=False)
            continue
        k = int((6 + 10 * det) * density)
        for _ in range(k):
            depth = int(rng.choice([0, 1, 1, 2]))
            cv, _b = layers[depth]
            sc = cv.scale
            dist = s * rng.uniform(0.0, 0.28)
            a = d + rng.uniform(-0.8, 0.8)
            x, y = (ax + math.cos(a) * dist) * sc, (ay + math.sin(a) * dist) * sc
            if _in_keep(ctx, x / sc, y / sc, s * 0.03):
                continue
            size = (
                s
                * sc
                * rng.uniform(0.08, 0.16)
                * (1.5 if depth == 0 else 1.0)
                * (1.6 if density > 1.2 else 1.0)
            )
            c = color * rng.uniform(0.75, 1.12) * (0.85 if depth == 0 else 1.0)
            if shape == "leaf":
                _leaf(cv, x, y, size, a + rng.uniform(-0.6, 0.6), c)
            elif shape in ("flower",):
                _flower(cv, x, y, size * 0.4, rng.uniform(0, 6.3), c, 5 if name != "roses" else 7)
                if rng.uniform() < 0.5:
                    _leaf(
                        cv,
                        x,
                        y,
                        size * 0.7,
                        a + rng.uniform(-1, 1),
                        _col((80, 130, 70)) * rng.uniform(0.8, 1.1),
                    )
            elif shape == "balloon":
                r = int(size * 0.35)
                cv.draw(
                    lambda im, col, x=x, y=y, r=r: cv2.ellipse(
                        im, (int(x), int(y)), (r, int(r * 1.2)), 0, 0, 360, col, -1, cv2.LINE_AA
                    ),
                    c,
                )
                cv.draw(
                    lambda im, col, x=x, y=y, r=r: cv2.circle(
                        im, (int(x - r / 3), int(y - r / 2)), max(1, r // 5), col, -1, cv2.LINE_AA
                    ),
                    _mixc(c, _col((255, 255, 255)), 0.6),
                    0.8,
                )
            elif shape == "lantern":
                r = int(size * 0.3)
                cv.draw(
                    lambda im, col, x=x, y=y, r=r: cv2.ellipse(
                        im, (int(x), int(y)), (r, int(r * 0.85)), 0, 0, 360, col, -1, cv2.LINE_AA
                    ),
                    c,
                )
                cv.draw(
                    lambda im, col, x=x, y=y, r=r: cv2.rectangle(
                        im,
                        (int(x - r / 2), int(y - r)),
                        (int(x + r / 2), int(y - r * 0.8)),
                        col,
                        -1,
                    ),
                    _col((220, 180, 80)),
                )
            else:
                _scatter_one(cv, shape, x, y, size * 0.3, rng.uniform(0, 6.3), c)
    for cv, blur in layers:
        cv.composite(ctx.img, blur)


def _branch(
    ctx: _Ctx,
    cv: _Canvas,
    ax: float,
    ay: float,
    d: float,
    length: float,
    color: F32,
    det: float,
    flowers: bool = True,
) -> None:
    rng = ctx.rng
    bark = _col((92, 64, 52))
    sc = cv.scale

    def grow(x: float, y: float, ang: float, ln: float, width: float, depth: int) -> None:
        pts = [(x, y)]
        for _ in range(6):
            ang += rng.uniform(-0.25, 0.25)
            x += math.cos(ang) * ln / 6
            y += math.sin(ang) * ln / 6
            if _in_keep(ctx, x, y, width * 2):
                break  # branches stop short of the product
            pts.append((x, y))
        if len(pts) < 3:
            return
        arr = (np.array(pts) * sc).astype(np.int32)
        cv.draw(
            lambda im, c: cv2.polylines(im, [arr], False, c, max(1, int(width * sc)), cv2.LINE_AA),
            bark,
        )
        if depth < 2:
            for k in range(2 + depth):
                px, py = pts[min(2 + k * 2 % 4, len(pts) - 1)]
                grow(
                    px,
                    py,
                    ang + rng.choice([-1, 1]) * rng.uniform(0.4, 0.9),
                    ln * 0.5,
                    width * 0.6,
                    depth + 1,
                )
        if flowers:
            nflow = int(3 + 5 * det) if depth > 0 else 2
            for _ in range(nflow):
                px, py = pts[int(rng.integers(1, len(pts)))]
                r = length * rng.uniform(0.03, 0.05) * sc
                c = color * rng.uniform(0.9, 1.08)
                ox, oy = rng.uniform(-r, r), rng.uniform(-r, r)
                if rng.uniform() < 0.2:
                    cv.draw(
                        lambda im, col, px=px, py=py, r=r: cv2.circle(
                            im,
                            (int(px * sc), int(py * sc)),
                            max(1, int(r * 0.45)),
                            col,
                            -1,
                            cv2.LINE_AA,
                        ),
                        color * 0.85,
                    )
                else:
                    _flower(cv, px * sc + ox, py * sc + oy, r, rng.uniform(0, 6.3), c)

    grow(ax, ay, d, length, length * 0.025, 0)


def _scatter_one(cv: _Canvas, shape: str, x: float, y: float, r: float, ang: float, c: F32) -> None:
    ri = max(1, int(r))
    if shape == "petal":
        pts = _petal_pts(x, y, r * 2.0, r * 0.8, ang)
        cv.draw(lambda im, col: cv2.fillPoly(im, [pts], col, cv2.LINE_AA), c)
    elif shape in ("bubble", "drop"):
        cv.draw(
            lambda im, col: cv2.circle(im, (int(x), int(y)), ri, col, max(1, ri // 8), cv2.LINE_AA),
            c,
            0.55,
        )
        cv.draw(lambda im, col: cv2.circle(im, (int(x), int(y)), ri, col, -1, cv2.LINE_AA), c, 0.12)
        cv.draw(
            lambda im, col: cv2.ellipse(
                im,
                (int(x - r * 0.35), int(y - r * 0.35)),
                (max(1, ri // 4), max(1, ri // 8)),
                -45,
                0,
                360,
                col,
                -1,
                cv2.LINE_AA,
            ),
            _col((255, 255, 255)),
            0.8,
        )
    elif shape == "confetti":
        pts = cv2.boxPoints(((x, y), (r * 1.6, r * 0.6), math.degrees(ang))).astype(np.int32)
        cv.draw(lambda im, col: cv2.fillPoly(im, [pts], col, cv2.LINE_AA), c)
    elif shape in ("sparkle", "snowflake"):
        if shape == "snowflake":
            cv.draw(
                lambda im, col: cv2.circle(
                    im, (int(x), int(y)), max(1, ri // 2), col, -1, cv2.LINE_AA
                ),
                c,
                0.85,
            )
        else:
            for a in (0.0, math.pi / 2):
                pts = _petal_pts(x - math.cos(a) * r, y - math.sin(a) * r, r * 2, r * 0.18, a)
                cv.draw(lambda im, col, p=pts: cv2.fillPoly(im, [p], col, cv2.LINE_AA), c, 0.9)
    elif shape == "leaf":
        _leaf(cv, x, y, r * 3, ang, c)
    elif shape in ("flower", "blossom"):
        _flower(cv, x, y, r * 1.2, ang, c)
    elif shape == "butterfly":
        for k in (-1, 1):
            cv.draw(
                lambda im, col, k=k: cv2.ellipse(
                    im,
                    (int(x + k * r * 0.6), int(y)),
                    (ri, max(1, int(r * 0.7))),
                    k * 30,
                    0,
                    360,
                    col,
                    -1,
                    cv2.LINE_AA,
                ),
                c,
            )
    elif shape == "bird":
        pts = np.array([[x - r * 2, y - r], [x, y], [x + r * 2, y - r]], np.int32)
        cv.draw(
            lambda im, col: cv2.polylines(im, [pts], False, col, max(1, ri // 4), cv2.LINE_AA), c
        )
    else:
        cv.draw(lambda im, col: cv2.circle(im, (int(x), int(y)), ri, col, -1, cv2.LINE_AA), c, 0.7)


def _scatter(ctx: _Ctx, shape: str, color: F32, density: float) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    det = ctx.detail
    n = int((14 + 30 * det) * density * (1.6 if ctx.fine else 1.0))
    layers = [
        (_Canvas(w, h, 0.5), s * 0.01),
        (_Canvas(w, h, 1.0), 0.0),
        (_Canvas(w, h, 0.5), s * 0.005),
    ]
    multi = shape == "confetti"
    palette = [color, _col((236, 120, 140)), _col((120, 180, 220)), _col((250, 250, 250))]
    for _ in range(n):
        x, y = rng.uniform(0, 1) * w, rng.uniform(0, 1) * h
        # keep the product's area calmer
        if ctx.keep is not None:
            if _in_keep(ctx, x, y, s * 0.02) and rng.uniform() < 0.9:
                continue
        else:
            dx, dy = (x - w / 2) / (w * 0.28), (y - h * 0.55) / (h * 0.35)
            if dx * dx + dy * dy < 1 and rng.uniform() < 0.8:
                continue
        depth = int(rng.choice([0, 1, 1, 2]))
        cv, _b = layers[depth]
        r = s * rng.uniform(0.008, 0.02) * (2.2 if depth == 0 else 1.0) * cv.scale
        if shape == "snowflake":
            r *= 0.6
        c = palette[int(rng.integers(0, 4))] if multi else color * rng.uniform(0.85, 1.1)
        _scatter_one(cv, shape, x * cv.scale, y * cv.scale, r, rng.uniform(0, 6.3), c)
    for cv, blur in layers:
        cv.composite(ctx.img, blur)


# --------------------------------------------------------------------------------- light


def _sunbeams(ctx: _Ctx) -> None:
    w, h = ctx.w, ctx.h
    lw, lh = max(8, w // 4), max(8, h // 4)
    m = np.zeros((lh, lw), np.uint8)
    side = ctx.spec.light_side if abs(ctx.spec.light_side) > 0.1 else -0.5
    x0 = 0 if side < 0 else lw
    for k in range(3):
        off = (0.15 + k * 0.2) * lw
        wdt = lw * (0.06 + 0.03 * k)
        sgn = 1 if side < 0 else -1
        pts = np.array(
            [
                [x0 + sgn * off, 0],
                [x0 + sgn * (off + wdt), 0],
                [x0 + sgn * (off + wdt + lw * 0.5), lh],
                [x0 + sgn * (off + lw * 0.5), lh],
            ],
            np.int32,
        )
        cv2.fillPoly(m, [pts], 255)
    a = _resize(_blur(m.astype(np.float32) / 255, lw * 0.02), w, h)
    ctx.img += _col((255, 236, 200)) * (a * 0.12)[..., None]


def _grade(ctx: _Ctx) -> None:
    spec, img, w, h = ctx.spec, ctx.img, ctx.w, ctx.h
    if "+sunbeam" in spec.moods and spec.layout in ("studio", "tabletop"):
        _sunbeams(ctx)
    if "+spot" in spec.moods:
        lw, lh = max(8, w // 8), max(8, h // 8)
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        d = (xx / lw - 0.5) ** 2 + (yy / lh - 0.45) ** 2 * 0.7
        spot = _resize(np.asarray(0.55 + 0.6 * np.exp(-d / 0.06), np.float32), w, h)
        img *= spot[..., None]
    if "+neon" in spec.moods:
        lw = max(8, w // 8)
        ramp = np.linspace(0, 1, lw, dtype=np.float32)
        tint = (
            _col((255, 60, 200))[None, :] * (1 - ramp[:, None])
            + _col((40, 180, 255))[None, :] * ramp[:, None]
        )
        img += _resize(np.asarray(tint[None, :, :] * np.ones((8, 1, 1), np.float32)), w, h) * 0.12
    warm = spec.light_warmth
    gain = np.array([1 + 0.06 * warm, 1 + 0.012 * warm, 1 - 0.07 * warm], np.float32)
    img *= gain * spec.brightness
    if abs(spec.saturation - 1.0) > 0.01:
        lum = img.mean(axis=2, keepdims=True)
        img[:] = lum + (img - lum) * spec.saturation
    vig = spec.vignette
    if vig > 0.01:
        lw, lh = max(8, w // 8), max(8, h // 8)
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        d = (xx / (lw - 1) - 0.5) ** 2 + (yy / (lh - 1) - 0.5) ** 2
        v = _resize(np.asarray(1 - vig * np.clip(d / 0.5, 0, 1) ** 1.3, np.float32), w, h)
        img *= v[..., None]
    # soft shoulder: highlights roll off instead of clipping flat
    over = img > 0.9
    if over.any():
        img[over] = 0.9 + (1 - np.exp(-(img[over] - 0.9) * 10)) * 0.1


def _finish(ctx: _Ctx) -> RGBImage:
    img = ctx.img
    rng = ctx.rng
    if ctx.fine or "+grain" in ctx.spec.moods:
        g = rng.standard_normal((ctx.h // 2 + 1, ctx.w // 2 + 1)).astype(np.float32)
        g = _resize(g, ctx.w, ctx.h)
        img += (g * (0.006 if ctx.fine else 0.015))[..., None]
    # triangular dither from a tiled pattern: no banding in the smooth gradients
    tile = (rng.uniform(size=(64, 64, 3)) + rng.uniform(size=(64, 64, 3)) - 1).astype(np.float32)
    reps = (ctx.h // 64 + 1, ctx.w // 64 + 1, 1)
    dither = np.tile(tile, reps)[: ctx.h, : ctx.w]
    out = img * 255.0 + dither
    return np.asarray(np.clip(out + 0.5, 0, 255), dtype=np.uint8)


# ---------------------------------------------------------------------------------- main


def _anchor(ctx: _Ctx, footprint: Footprint) -> None:
    """Build the scene around the product: its bottom is the floor line, its box is kept clear of
    elements, and the stand (if any) goes under it."""
    w, h = ctx.w, ctx.h
    s = min(w, h)
    bottom = int(np.clip(footprint.bottom, 1, h - 1))
    top = int(np.clip(footprint.top, 0, bottom))
    cx = int(np.clip(footprint.cx, 0, w - 1))
    half = int(np.clip(footprint.half_width, 1, w))
    ctx.fp = Footprint(cx=cx, bottom=bottom, half_width=half, top=top)
    ctx.floor_y = bottom
    box_half = max(half * 1.3, (bottom - top) * 0.22) + s * 0.02
    ctx.keep = (
        int(cx - box_half),
        int(top - s * 0.03),
        int(cx + box_half),
        int(bottom + s * 0.02),
    )
    ctx.stand = _plan_stand(ctx)


def _line_above(h: int, fp: Footprint, default: int, contact: int) -> int:
    """A horizon or table edge at ``default``, raised when needed so that it lies clearly above
    ``contact`` (where the product, or its stand, touches the floor): the product stands on the
    floor instead of floating in front of the wall or the sky. Clamped to stay in the frame."""
    gap = max(int(h * 0.05), int((fp.bottom - fp.top) * 0.12))
    y = min(default, contact - gap)
    return max(y, min(int(h * 0.12), contact - 1), 1)


def _light_dir(ctx: _Ctx) -> tuple[float, float]:
    spec = ctx.spec
    if spec.outdoor and ctx.sun is not None and spec.backlit:
        dx = -(ctx.sun[0] - ctx.w / 2) / (ctx.w / 2)
        dx, dy = dx * 0.8, 1.0
    elif spec.backlit:
        dx, dy = -spec.light_side * 0.5, 1.0
    else:
        dx, dy = -spec.light_side, -0.55
    n = math.hypot(dx, dy) or 1.0
    return (dx / n, dy / n)


def render_scene(
    spec: SceneSpec,
    size: tuple[int, int],
    seed: int,
    quality: str = "v2",
    footprint: Footprint | None = None,
) -> Scene:
    """Render ``spec`` at ``size`` = (width, height), reproducibly for ``seed``.

    ``quality``: ``"v2"`` fast, ``"v3"`` finer (see the module docstring). ``footprint``: where
    the product stands, when known; floors, table edges and podiums are placed under it."""
    w, h = max(1, int(size[0])), max(1, int(size[1]))
    if w < 8 or h < 8:
        # too small to draw a scene in: a flat backdrop colour
        img = np.empty((h, w, 3), np.uint8)
        img[:] = spec.backdrop_color
        return Scene(
            img,
            None,
            spec.ground,
            h - 1,
            w // 2,
            (0.0, 1.0),
            spec.light_elevation,
            spec.light_softness,
            spec.light_warmth,
            spec.glossy,
            0.0,
            None,
            spec.backdrop_color,
        )
    rng = np.random.default_rng(seed)
    ctx = _Ctx(w, h, rng, spec, quality == "v3", np.zeros((h, w, 3), np.float32))
    layout = spec.layout
    ctx.floor_y = int(h * (0.86 + rng.uniform(-0.015, 0.015)))
    contact = ctx.floor_y  # where things touch the floor
    if footprint is not None:
        _anchor(ctx, footprint)
        contact = ctx.stand.base if ctx.stand is not None else ctx.floor_y
    if layout in ("outdoor", "sky"):
        hy = int(h * (0.56 + rng.uniform(-0.03, 0.03))) if layout == "outdoor" else int(h * 0.9)
        if layout == "outdoor" and ctx.fp is not None:
            hy = _line_above(h, ctx.fp, hy, contact)
        ctx.horizon = hy if layout == "outdoor" else None
        _sky(ctx, hy)
        if layout == "outdoor":
            params = [dict(p) for p in terrain_params(spec)]
            for p in params:
                style = str(p.get("style"))
                if style == "mountains":
                    kind = "canyon" if p.get("palette") == "red" else "mountains"
                    _terrain(ctx, hy, kind, p)
                elif style == "hills" or style == "snowfield":
                    if style == "snowfield":
                        p = {**p, "golden": False, "snow": True}
                    _terrain(ctx, hy, "hills", p)
                elif style == "desert":
                    _terrain(ctx, hy, "dunes", p)
                elif style == "forest":
                    _treeline(ctx, hy, bool(p.get("rounded")))
                elif style == "bamboo":
                    _bamboo(ctx, hy)
                elif style == "city":
                    _city(ctx, hy, bool(p.get("lights")))
            _elements(ctx, "back")
            _ground(ctx, hy)
            water = [p for p in params if p.get("style") in ("sea", "beach", "lake")]
            if water and spec.surface != "water":
                lake = any(p.get("style") == "lake" for p in water)
                shore = int(hy + (h - hy) * (0.35 if lake else 0.3 + rng.uniform(-0.05, 0.05)))
                if ctx.fp is not None:  # the product stands on the shore, not in the water
                    shore = max(hy + 2, min(shore, contact - max(2, int(h * 0.03))))
                _water_band(ctx, hy, shore, water[0])
                if ctx.fp is None:
                    ctx.floor_y = max(ctx.floor_y, shore + int((h - shore) * 0.5))
            if any(p.get("palms") for p in params):
                _palms(ctx)
    else:
        edge = None
        if layout == "tabletop":
            edge = int(h * (0.6 + rng.uniform(-0.025, 0.025)))
            if ctx.fp is not None:
                edge = _line_above(h, ctx.fp, edge, contact)
            ctx.horizon = edge
        _backdrop(ctx, edge, contact if ctx.fp is not None else None)
        _elements(ctx, "back")
        if edge is not None:
            _ground(ctx, edge)
    ctx.img = np.ascontiguousarray(ctx.img, dtype=np.float32)
    if spec.props:
        _props(ctx)
    _elements(ctx, "ground")
    _elements(ctx, "front")
    _grade(ctx)
    ambient_region = ctx.img[int(h * 0.3) : int(h * 0.8), int(w * 0.2) : int(w * 0.8)]
    ambient = tuple(
        int(v) for v in np.clip(ambient_region.reshape(-1, 3).mean(axis=0) * 255, 0, 255)
    )
    image = _finish(ctx)
    if layout == "sky" and ctx.fp is None:
        ctx.floor_y = int(h * 0.8)
    return Scene(
        image=image,
        horizon_y=ctx.horizon,
        ground=spec.ground,
        floor_y=int(min(h - 1, max(0, ctx.floor_y))),
        floor_x=ctx.fp.cx if ctx.fp else (int(ctx.podium[0]) if ctx.podium else w // 2),
        light_dir=_light_dir(ctx),
        light_elevation=spec.light_elevation,
        light_softness=spec.light_softness,
        light_warmth=spec.light_warmth,
        glossy=spec.glossy,
        reflectivity=ctx.reflectivity,
        podium=ctx.podium,
        ambient=(ambient[0], ambient[1], ambient[2]),
    )
