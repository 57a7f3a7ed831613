"""Procedural product-photography backdrops from a :class:`~.scene_vocab.SceneSpec`.

No model weights: numpy, OpenCV and a seeded ``numpy.random.Generator``. The scene is rendered in
layers, in float32 RGB (0–1):

1. **Sky or backdrop** — a time-of-day sky (gradient, sun glow, lit clouds, stars, aurora) or a
   studio backdrop (seamless sweep, gradient, wall, blurred interior, curtain); smooth parts are
   computed at a fraction of the size and upscaled.
2. **Far terrain** — silhouettes on the horizon with atmospheric perspective: ridged-noise
   mountains (optional snow caps), dunes, hills, treelines, bamboo, a city skyline (lit windows
   and bokeh at night).
3. **Ground** — a material texture (marble veins, wood grain and planks, concrete, terrazzo,
   linen weave, sand ripples, snow, grass, metal, tile…) warped onto a perspective plane, with
   depth-of-field blur toward the horizon; glossy materials and water mirror what is above them.
4. **Props** — podium, steps, cube, arch, sphere, column, tray — shaded for the light side.
5. **Elements** — blossoms, flowers, leaves, petals, bokeh, plants, rocks, animals… in depth
   layers, near and far ones blurred, kept away from the centre where the product goes.
6. **Light** — key-light falloff, sun beams, warm/cool grade, saturation, vignette; ``v3`` adds
   film grain; everything is dithered before quantising, so gradients do not band.

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

from wanstack.engines.cpu.scene_vocab import RGB, SceneSpec, terrain_params

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


def _backdrop(ctx: _Ctx, edge: int | None) -> None:
    """Studio and interior backgrounds. ``edge``: table/floor edge (None: seamless sweep)."""
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
    w, h = ctx.w, ctx.h
    bottom = edge if edge is not None else int(h * 0.66)
    aw = int(min(w, h) * 0.5)
    x0, x1 = w // 2 - aw // 2, w // 2 + aw // 2
    top = int(h * 0.12) + aw // 2
    m = np.zeros((h, w), np.uint8)
    cv2.rectangle(m, (x0, top), (x1, bottom), 255, -1)
    cv2.ellipse(m, (w // 2, top), (aw // 2, aw // 2), 0, 180, 360, 255, -1, cv2.LINE_AA)
    a = m.astype(np.float32) / 255
    base = _col(ctx.spec.prop_color or ctx.spec.backdrop_color)
    tone = _mixc(base, _col((255, 255, 255)), 0.18) if base.mean() < 0.7 else base * 0.9
    inner = _fast_blur(a, aw * 0.05)
    shade = np.clip(1.0 - (a - inner) * 0.6, 0.8, 1.0)  # a soft inner shadow along the rim
    _over(ctx.img, np.asarray(tone * shade[..., None], np.float32), a)


# ------------------------------------------------------------------------------ terrain


def _haze_color(ctx: _Ctx) -> F32:
    return ctx.horizon_rgb if ctx.horizon_rgb is not None else _col((210, 214, 220))


def _layer(ctx: _Ctx, ridge: F32, color: F32, bottom: int, grad: float = 0.25) -> None:
    """Fill from the ridge profile down to ``bottom`` with ``color``, a vertical haze gradient."""
    top = max(0, int(ridge.min()) - 1)
    if top >= bottom:
        return
    ys = np.arange(top, bottom, dtype=np.float32)[:, None]
    a = np.clip(ys - ridge[None, :] + 0.5, 0, 1)
    haze = _haze_color(ctx)
    t = np.clip((ys - top) / max(1, bottom - top), 0, 1) * grad
    col = color + (haze - color) * t[..., None]
    _over(ctx.img, np.asarray(col, np.float32), a, top)


def _mountains(ctx: _Ctx, hy: int, params: dict[str, object]) -> None:
    rng, w, spec = ctx.rng, ctx.w, ctx.spec
    layers = 4 if ctx.fine else 3
    tod = spec.time_of_day
    if params.get("palette") == "red":
        base = _col((150, 78, 56))
    elif params.get("palette") == "ice":
        base = _col((150, 176, 196))
    elif tod in ("sunset", "dusk"):
        base = _col((58, 46, 78))
    elif tod == "night":
        base = _col((14, 18, 34))
    elif tod in ("golden", "morning"):
        base = _col((86, 80, 100))
    else:
        base = _col((64, 88, 112))
    haze = _haze_color(ctx)
    snow = bool(params.get("snow"))
    for i in range(layers):
        far = 1 - i / max(1, layers - 1) if layers > 1 else 0.5
        amp = hy * (0.42 - 0.2 * (1 - far)) * rng.uniform(0.8, 1.1)
        prof = _profile(rng, w, w * (0.9 - 0.3 * i / layers), 6 if ctx.fine else 5, ridged=True)
        env = _profile(rng, w, w * 1.4, 2, ridged=False) * 0.5 + 0.5
        ridge = hy - amp * np.clip(0.35 + prof * 0.55 + env * 0.35, 0.05, 1.0) + i * hy * 0.04
        color = _mixc(base, haze, 0.58 * far**1.3 + 0.04)
        bottom = hy + 2
        top = max(0, int(ridge.min()) - 1)
        ys = np.arange(top, bottom, dtype=np.float32)[:, None]
        a = np.clip(ys - ridge[None, :] + 0.5, 0, 1)
        # light on the faces: a 2D gully field (noise stretched downhill) lit from the sun side
        sun_side = 1.0 if (ctx.sun is not None and ctx.sun[0] > w / 2) else -1.0
        lh_, lw_ = max(4, (bottom - top) // 2), max(4, w // 2)
        gul = _fbm(rng, lh_, lw_, lw_ / 18, 4 if ctx.fine else 3, stretch=0.45)
        dx = np.gradient(gul, axis=1) * lw_ / 18
        slope = np.gradient(_blur(ridge[None, :], w * 0.01)[0])
        lit_small = np.clip(0.5 + dx * sun_side * 0.5, 0, 1)
        lit2d = _resize(np.asarray(lit_small, np.float32), w, bottom - top)
        lit = np.clip(0.5 - slope * sun_side * 0.8, 0, 1)
        depth = np.clip((ys - ridge[None, :]) / (amp * 0.7), 0, 1)
        face = 1 + ((lit2d * 0.6 + lit[None, :] * 0.4) - 0.5) * (0.45 - 0.25 * far) * (1 - depth)
        col = color[None, None, :] * face[..., None]
        col = col + (haze - col) * (depth * 0.5 * (0.4 + far))[..., None]
        if snow:
            line = ridge[None, :] + amp * (0.25 + 0.12 * _profile(rng, w, w / 8, 3, False))[None, :]
            broken = line + (lit2d - 0.5) * amp * 0.12
            cap = np.clip((broken - ys) / 2.0, 0, 1)
            snow_c = _mixc(_col((244, 246, 250)), haze, 0.3 * far)
            if spec.time_of_day in ("sunset", "golden", "morning"):
                snow_c = _mixc(snow_c, _col((255, 196, 160)), 0.35)
            col = col + (snow_c * (0.72 + 0.3 * lit2d[..., None]) - col) * cap[..., None]
        _over(ctx.img, np.asarray(col, np.float32), a, top)


def _dunes(ctx: _Ctx, hy: int) -> None:
    rng, w = ctx.rng, ctx.w
    sand = _col(ctx.spec.surface_color or (222, 190, 150))
    if ctx.spec.time_of_day in ("sunset", "golden", "dusk"):
        sand = _mixc(sand, _col((236, 150, 100)), 0.3)
    haze = _haze_color(ctx)
    for i in range(3):
        far = 1 - i / 2
        x = np.arange(w, dtype=np.float32)
        prof = _profile(rng, w, w * 0.8, 3, False)
        ridge = hy - hy * (0.06 + 0.06 * (1 - far)) * (0.6 + prof) + i * 2
        top = max(0, int(ridge.min()) - 1)
        ys = np.arange(top, hy + 2, dtype=np.float32)[:, None]
        a = np.clip(ys - ridge[None, :] + 0.5, 0, 1)
        slope = np.gradient(_blur(ridge[None, :], 6.0)[0])
        lit = np.clip(0.55 - slope * 3.0, 0.2, 1.0)
        col = _mixc(sand, haze, 0.55 * far + 0.1)
        c = col[None, None, :] * (0.8 + 0.3 * lit[None, :, None]) * np.ones_like(ys)[..., None]
        del x
        _over(ctx.img, np.asarray(c, np.float32), a, top)


def _hills(ctx: _Ctx, hy: int, params: dict[str, object]) -> None:
    rng, w = ctx.rng, ctx.w
    base = (
        _col((96, 138, 78)) if ctx.spec.time_of_day not in ("night", "dusk") else _col((30, 44, 40))
    )
    if params.get("golden"):
        base = _col((170, 150, 84))
    haze = _haze_color(ctx)
    for i in range(3):
        far = 1 - i / 2
        prof = _profile(rng, w, w * 0.7, 3, False)
        ridge = hy - hy * (0.18 - 0.05 * i) * (0.55 + 0.45 * prof)
        _layer(ctx, np.asarray(ridge, np.float32), _mixc(base, haze, 0.6 * far + 0.05), hy + 2, 0.2)


def _treeline(ctx: _Ctx, hy: int, rounded: bool, palms: bool = False) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    night = ctx.spec.time_of_day in ("night", "dusk")
    base = _col((40, 70, 50)) if not night else _col((12, 20, 22))
    if ctx.spec.time_of_day == "sunset":
        base = _col((46, 40, 56))
    haze = _haze_color(ctx)
    for i in range(3):
        far = 1.0 - i / 2
        m = np.zeros((h, w), np.uint8)
        size = h * (0.025 + 0.025 * i)
        x = -size
        while x < w + size:
            th = size * rng.uniform(0.6, 1.6)
            base_y = hy + 2
            if palms:
                if rng.uniform() < 0.25:
                    _palm(m, int(x), base_y, th * 3)
                x += size * rng.uniform(1.5, 4)
                continue
            if rounded:
                for _ in range(3):
                    cv2.circle(
                        m,
                        (
                            int(x + rng.uniform(-size / 3, size / 3)),
                            int(base_y - th * rng.uniform(0.5, 1.0)),
                        ),
                        int(th * rng.uniform(0.4, 0.6)),
                        255,
                        -1,
                        cv2.LINE_AA,
                    )
                cv2.rectangle(
                    m, (int(x - th / 2), int(base_y - th * 0.6)), (int(x + th / 2), base_y), 255, -1
                )
            else:
                # a conifer: tiers of jagged branches narrowing to the tip
                tiers = 5
                left, right = [], []
                for k in range(tiers + 1):
                    t = k / tiers
                    yk = base_y - th * 2.2 * t
                    half = th * 0.42 * (1 - t) ** 0.9 * rng.uniform(0.85, 1.15)
                    left.append((x - half, yk))
                    right.append((x + half, yk))
                    if k < tiers:
                        yi = yk - th * 2.2 / tiers * 0.45
                        inner = half * 0.55
                        left.append((x - inner, yi))
                        right.append((x + inner, yi))
                pts = np.array([*left, (x, base_y - th * 2.3), *right[::-1]], np.int32)
                cv2.fillPoly(m, [pts], 255, cv2.LINE_AA)
            x += size * rng.uniform(0.2, 0.55)
        a = m.astype(np.float32) / 255
        col = _mixc(base, haze, 0.6 * far + 0.05)
        a = _blur(a, 1.2 * far + 0.5)
        _over(ctx.img, col, a)


def _palm(m: npt.NDArray[np.uint8], x: int, base_y: int, height: float) -> None:
    lean = height * 0.15
    top = (int(x + lean), int(base_y - height))
    cv2.line(m, (x, base_y), top, 255, max(2, int(height * 0.04)), cv2.LINE_AA)
    for k in range(7):
        ang = math.pi * (1.05 + k * 0.14)
        ln = height * 0.35
        end = (int(top[0] + math.cos(ang) * ln), int(top[1] + math.sin(ang) * ln * 0.5 + ln * 0.25))
        mid = ((top[0] + end[0]) // 2, min(top[1], end[1]) - int(ln * 0.05))
        cv2.polylines(
            m,
            [np.array([top, mid, end], np.int32)],
            False,
            255,
            max(2, int(height * 0.03)),
            cv2.LINE_AA,
        )


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


def _material(ctx: _Ctx, pattern: str, tw: int, th: int) -> F32:
    """A tileable-looking material texture, (th, tw, 3) float32, in plane space."""
    rng, spec = ctx.rng, ctx.spec
    oct_ = 6 if ctx.fine else 4
    base = _col(spec.surface_color or (236, 233, 228))
    y = np.arange(th, dtype=np.float32)[:, None] / tw
    x = np.arange(tw, dtype=np.float32)[None, :] / tw
    if pattern == "marble":
        n = _fbm(rng, th, tw, tw / 3, oct_ + 1, gain=0.55)
        n2 = _fbm(rng, th, tw, tw / 6, oct_, gain=0.5)
        t = np.sin((x * 2.2 + y * 1.1) * 6.0 + n * 3.2)
        veins = np.abs(t) ** 0.25
        fine = np.abs(np.sin((x * 1.3 - y * 2.0) * 14.0 + n2 * 5.0)) ** 0.18
        v = (1 - veins) * 0.7 + (1 - fine) * 0.3
        accent = _col(_accent(spec)) if base.mean() > 0.5 else _col((200, 196, 190))
        cloud = 1 + _fbm(rng, th, tw, tw / 2.5, 3) * 0.035
        return np.asarray(
            base * cloud[..., None] + (accent - base) * np.clip(v * 1.1, 0, 1)[..., None] * 0.55,
            np.float32,
        )
    if pattern == "wood":
        grain = _fbm(rng, th, tw, tw / 4, oct_, stretch=0.12)  # long along depth
        fine = _fbm(rng, th, tw, tw / 60, 2, stretch=0.1)
        rings = np.sin(x * 90 + grain * 5.0) * 0.5 + 0.5
        tone = 0.86 + 0.12 * rings + fine * 0.04
        planks = 5 + int(rng.integers(0, 3))
        px = (x[0] * planks) % 1.0
        gap = np.clip(np.minimum(px, 1 - px) * tw / planks / 1.2, 0, 1)
        ptone = rng.uniform(0.92, 1.08, planks + 1).astype(np.float32)
        pid = np.minimum((x[0] * planks).astype(np.int64), planks)
        img = (
            base[None, None, :]
            * (tone * (ptone[pid][None, :]) * (0.7 + 0.3 * gap[None, :]))[..., None]
        )
        return np.asarray(img, np.float32)
    if pattern in ("concrete", "plain", "paper"):
        amt = {"concrete": 0.08, "plain": 0.02, "paper": 0.025}[pattern]
        n = _fbm(rng, th, tw, tw / 5, oct_ + 1, gain=0.6) * amt
        img = base[None, None, :] * (1 + n)[..., None]
        if pattern == "concrete":
            k = int(tw * th / 900)
            sx, sy = rng.integers(0, tw, k), rng.integers(0, th, k)
            img[sy, sx] *= rng.uniform(0.8, 0.95, k).astype(np.float32)[:, None]
        return np.asarray(img, np.float32)
    if pattern == "terrazzo":
        img = base[None, None, :] * (1 + _fbm(rng, th, tw, tw / 6, 3) * 0.02)[..., None]
        img = np.ascontiguousarray(img, dtype=np.float32)
        cols = [
            _mixc(base, _col(c), 0.6)
            for c in ((60, 60, 64), (200, 120, 90), (150, 150, 140), (230, 200, 160))
        ]
        for _ in range(int(tw * th / 350)):
            c = cols[int(rng.integers(0, len(cols)))]
            r = max(1, int(rng.uniform(0.004, 0.008) * tw))
            pts = (rng.uniform(-1, 1, (5, 2)) * r + rng.uniform((0, 0), (tw, th))).astype(np.int32)
            cv2.fillPoly(img, [pts], tuple(float(v) for v in c), cv2.LINE_AA)
        return img
    if pattern in ("linen", "velvet", "silk", "leather"):
        if pattern == "linen":
            p = max(2.0, tw / 420)
            wx = np.sin(x * tw * math.pi / p) * np.sin(y * tw * math.pi / p)
            th_n = _fbm(rng, th, tw, tw / 80, 2, stretch=8.0) + _fbm(
                rng, th, tw, tw / 80, 2, stretch=0.125
            )
            t = 1 + wx * 0.03 + th_n * 0.03
        elif pattern == "velvet":
            n = _fbm(rng, th, tw, tw / 3, 3)
            t = 0.85 + 0.25 * _smoothstep(-0.8, 0.8, n)
        elif pattern == "silk":
            n = _fbm(rng, th, tw, tw / 2, 3)
            t = 0.9 + 0.15 * np.sin(n * 6 + x * 4)
        else:
            t = 1 + _fbm(rng, th, tw, tw / 150, 3) * 0.06
        return np.asarray(base[None, None, :] * t[..., None], np.float32)
    if pattern == "sand":
        n = _fbm(rng, th, tw, tw / 4, 3)
        rip = np.sin(y * 150 + x * 12 + n * 5.0)
        grain = _fbm(rng, th, tw, 3, 1) * 0.03
        return np.asarray(
            base[None, None, :] * (1 + rip * 0.05 + grain + n * 0.03)[..., None], np.float32
        )
    if pattern in ("snow", "ice"):
        n = _fbm(rng, th, tw, tw / 4, oct_)
        img = base[None, None, :] * (1 + n * 0.035)[..., None]
        img = img + (_col((200, 214, 236)) - img) * np.clip(-n * 0.3, 0, 0.3)[..., None]
        if pattern == "ice":
            cr = np.abs(_fbm(rng, th, tw, tw / 6, 3)) < 0.03
            img[cr] = img[cr] * 1.06
        return np.asarray(img, np.float32)
    if pattern == "grass":
        n = _fbm(rng, th, tw, tw / 5, 3)
        blades = _fbm(rng, th, tw, 2.5, 1, stretch=0.35)
        t = 0.85 + n * 0.1 + blades * 0.12
        img = base[None, None, :] * t[..., None]
        img = img + (_col((150, 170, 80)) - img) * np.clip(n * 0.3, 0, 0.3)[..., None]
        lum = img.mean(axis=2, keepdims=True)
        return np.asarray(lum + (img - lum) * 0.8, np.float32)
    if pattern == "metal":
        n = _fbm(rng, th, tw, tw / 30, 3, stretch=20.0)
        return np.asarray(base[None, None, :] * (1 + n * 0.05)[..., None], np.float32)
    if pattern == "tile":
        k = 6
        gx = (x[0] * k) % 1.0
        gy = (y[:, 0] * k) % 1.0
        g = np.minimum(np.minimum(gx, 1 - gx)[None, :], np.minimum(gy, 1 - gy)[:, None]) * tw / k
        grout = 1 - 0.15 * (1 - np.clip(g / 1.5, 0, 1))
        return np.asarray(base[None, None, :] * grout[..., None], np.float32)
    if pattern == "pebbles":
        img = np.ascontiguousarray(base[None, None, :] * np.full((th, tw, 1), 0.6, np.float32))
        for _ in range(int(tw * th / 500)):
            r = int(rng.uniform(0.01, 0.025) * tw)
            c = base * rng.uniform(0.75, 1.15)
            cv2.ellipse(
                img,
                (int(rng.uniform(0, tw)), int(rng.uniform(0, th))),
                (r, int(r * 0.75)),
                float(rng.uniform(0, 180)),
                0,
                360,
                tuple(float(v) for v in c),
                -1,
                cv2.LINE_AA,
            )
        return img
    if pattern == "bamboo":
        k = 40
        gx = (x[0] * k) % 1.0
        t = 0.88 + 0.12 * np.sin(gx * math.pi)
        return np.asarray(
            base[None, None, :] * np.broadcast_to(t[None, :], (th, tw))[..., None], np.float32
        )
    if pattern == "water":
        return np.asarray(np.broadcast_to(base, (th, tw, 3)), np.float32).copy()
    return np.asarray(np.broadcast_to(base, (th, tw, 3)), np.float32).copy()


def _accent(spec: SceneSpec) -> RGB:
    from wanstack.engines.cpu.scene_vocab import BY_NAME

    for n in spec.concepts:
        acc = BY_NAME[n].params.get("accent")
        if isinstance(acc, tuple):
            return (int(acc[0]), int(acc[1]), int(acc[2]))
    return (150, 148, 150)


def _ground(ctx: _Ctx, y0: int) -> None:
    """The floor or tabletop from ``y0`` to the bottom, in perspective."""
    spec, w, h = ctx.spec, ctx.w, ctx.h
    ph = h - y0
    if ph <= 1:
        return
    pattern = spec.surface or "plain"
    scale = 1.5 if ctx.fine else 1.0
    tw = max(32, int(w * scale))
    th = max(16, int(tw * 0.65))
    tex = _material(ctx, pattern, tw, th)
    cx = w / 2
    a, b = w * 0.62, w * 1.7
    src = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
    dst = np.array([[cx - a, 0], [cx + a, 0], [cx + b, ph], [cx - b, ph]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    plane = np.asarray(
        cv2.warpPerspective(tex, m, (w, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT),
        np.float32,
    )
    yy = (np.arange(ph, dtype=np.float32) / max(1, ph))[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :] / w
    # depth of field: the far part of the plane is out of focus
    dof = 0.6 if "+sharp" in spec.moods else (1.4 if "+dof" in spec.moods else 1.0)
    if spec.layout != "outdoor" or pattern not in ("water",):
        blurred = _fast_blur(plane, max(1.0, w * 0.006 * dof))
        wgt = np.clip(1 - yy / 0.45, 0, 1) ** 1.5
        plane += (blurred - plane) * wgt[..., None]
    # light: a pool in the middle, falling off toward the front and the sides
    pool = np.exp(-((xx - 0.5 - spec.light_side * 0.1) ** 2) / 0.22 - ((yy - 0.35) ** 2) / 0.5)
    plane *= (0.86 + 0.18 * pool)[..., None]
    if spec.layout == "outdoor":
        haze = _haze_color(ctx)
        # the ground takes the colour of the sky light: warm at sunset, blue at night
        plane += (plane * (haze / max(float(haze.mean()), 1e-3)) - plane) * 0.35
        hz = np.clip(1 - yy / 0.25, 0, 1) ** 2 * (0.55 + 0.4 * spec.haze)
        plane += (haze - plane) * hz[..., None]
    elif spec.layout == "tabletop":
        # the table edge catches a little light, then the wall behind is slightly darker
        edge = np.exp(-((yy * ph) ** 2) / (2 * max(1.0, h * 0.002) ** 2)) * 0.05
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


def _water_band(ctx: _Ctx, hy: int, shore: int, params: dict[str, object]) -> None:
    """Sea or lake between the horizon and a wavy shoreline: mirrored sky, ripples, sun glitter."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    bh = max(2, shore - hy + int(h * 0.03))
    ys = np.arange(bh, dtype=np.float32)
    rip = _fbm(rng, bh, w, w / 30, 4 if ctx.fine else 3, stretch=8.0)
    src = np.clip(hy - 1 - ys * 1.6, 0, hy - 1)
    mx = np.arange(w, dtype=np.float32)[None, :] + rip * (1 + ys[:, None] * 0.05)
    my = src[:, None] + rip * (ys[:, None] * 0.15)
    mirror = np.asarray(
        cv2.remap(
            ctx.img,
            mx.astype(np.float32),
            my.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        ),
        np.float32,
    )
    deep = _col((24, 70, 100)) if ctx.spec.time_of_day not in ("night",) else _col((6, 12, 26))
    t = np.clip(ys / bh, 0, 1)[:, None, None]
    water = mirror * (0.78 - 0.2 * t) + deep * (0.22 + 0.2 * t)
    water *= (1 + rip * 0.06)[..., None]
    if ctx.sun is not None and ctx.sun[1] < hy and ctx.sun_rgb is not None:
        path = np.exp(
            -((np.arange(w) - ctx.sun[0]) ** 2) / (2 * (w * (0.02 + 0.05 * t[:, :, 0])) ** 2)
        )
        glit = np.clip(rip * 2 - 0.8, 0, 1) * path
        strength = {"sunset": 1.0, "golden": 0.9, "morning": 0.7, "day": 0.4}.get(
            ctx.spec.time_of_day, 0.2
        )
        water += ctx.sun_rgb * (glit * strength)[..., None]
    shore_prof = shore + _profile(rng, w, w / 3, 3, False) * h * 0.012
    a = np.clip(shore_prof[None, :] - (ys[:, None] + hy) + 0.5, 0, 1)
    foam = np.exp(-((shore_prof[None, :] - (ys[:, None] + hy)) ** 2) / (2 * (h * 0.004) ** 2))
    water += (_col((250, 250, 248)) - water) * (foam * 0.5)[..., None]
    _over(ctx.img, np.asarray(water, np.float32), np.clip(a + foam * 0.5, 0, 1), hy)
    # wet sand darker just below the shore
    wet = np.clip(1 - (ys[:, None] + hy - shore_prof[None, :]) / (h * 0.04), 0, 1) * (1 - a)
    ctx.img[hy : hy + bh] *= (1 - wet * 0.15)[..., None]
    del params


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


def _props(ctx: _Ctx) -> None:
    spec, w, h = ctx.spec, ctx.w, ctx.h
    color = _col(spec.prop_color or spec.backdrop_color)
    if color.mean() > 0.93:
        color = color * 0.97
    s = min(w, h)
    cx = w // 2
    fy = ctx.floor_y
    rx = int(s * 0.3)
    if "steps" in spec.props:
        lower = _podium(ctx, cx, fy + int(s * 0.03), int(rx * 1.25), int(s * 0.06), color * 0.97)
        top = _podium(ctx, cx, lower + int(s * 0.005), rx, int(s * 0.07), color)
        ctx.podium = (cx, top, rx)
    elif "podium" in spec.props or ("cylinder" in spec.props and "cube" not in spec.props):
        top = _podium(ctx, cx, fy + int(s * 0.04), rx, int(s * 0.1), color)
        ctx.podium = (cx, top, rx)
    elif "tray" in spec.props:
        top = _podium(ctx, cx, fy + int(s * 0.02), int(rx * 1.05), max(3, int(s * 0.015)), color)
        ctx.podium = (cx, top, rx)
    elif "cube" in spec.props:
        top = _cube(ctx, cx, fy + int(s * 0.04), int(rx * 0.9), int(s * 0.14), color)
        ctx.podium = (cx, top, int(rx * 0.9))
    if "sphere" in spec.props:
        r = int(s * 0.09)
        x = int(w * (0.8 if spec.light_side < 0 else 0.2))
        _sphere(ctx, x, fy + int(s * 0.02) - r, r, _mixc(color, _col((255, 255, 255)), 0.1))
    if "vase" in spec.props or "books" in spec.props or "frame" in spec.props:
        x = int(w * (0.14 if spec.light_side > 0 else 0.86))
        _cube(ctx, x, fy - int(s * 0.02), int(s * 0.06), int(s * 0.2), color * 0.92)
    if ctx.podium is not None:
        ctx.floor_y = ctx.podium[1]


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
    rng, w, h = ctx.rng, ctx.w, ctx.h
    hy = ctx.horizon if ctx.horizon is not None else int(h * 0.6)
    m = np.zeros((h, w), np.uint8)
    n = int((6 + 10 * ctx.detail) * density)
    for _ in range(n):
        x = int(rng.uniform(0, 1) * w)
        if abs(x - w / 2) < w * 0.12:
            continue
        size = h * rng.uniform(0.015, 0.05)
        base = int(hy + rng.uniform(0, 0.02) * h)
        if shape == "cactus" or (
            shape == "plant" and "desert" in ctx.spec.terrains and rng.uniform() < 0.4
        ):
            tw = max(2, int(size * 0.16))
            cv2.line(m, (x, base), (x, int(base - size * 1.6)), 255, tw, cv2.LINE_AA)
            for sgn in (-1, 1):
                if rng.uniform() < 0.7:
                    ay = int(base - size * rng.uniform(0.6, 1.1))
                    ax = x + sgn * int(size * 0.35)
                    cv2.line(m, (x, ay), (ax, ay), 255, tw, cv2.LINE_AA)
                    cv2.line(m, (ax, ay), (ax, int(ay - size * 0.5)), 255, tw, cv2.LINE_AA)
        elif shape == "tree":
            pts = np.array([[x - size, base], [x, base - size * 3], [x + size, base]], np.int32)
            cv2.fillPoly(m, [pts], 255, cv2.LINE_AA)
        else:
            for _ in range(5):
                cv2.ellipse(
                    m,
                    (int(x + rng.uniform(-1, 1) * size), int(base - rng.uniform(0.1, 0.6) * size)),
                    (int(size * rng.uniform(0.4, 0.8)), int(size * rng.uniform(0.3, 0.55))),
                    0,
                    0,
                    360,
                    255,
                    -1,
                    cv2.LINE_AA,
                )
    a = _blur(m.astype(np.float32) / 255, 0.8)
    col = _mixc(color * 0.55, _haze_color(ctx), 0.35)
    _over(ctx.img, col, a)


def _ground_items(ctx: _Ctx, shape: str, color: F32, density: float) -> None:
    rng, w, h = ctx.rng, ctx.w, ctx.h
    s = min(w, h)
    fy = ctx.floor_y if ctx.podium is None else ctx.podium[1] + int(s * 0.14)
    fy = min(h - 2, fy)
    if shape in ("dog", "cat"):
        side = 1 if ctx.spec.light_side <= 0 else -1
        x = int(w / 2 + side * w * 0.32)
        _animal(ctx, x, fy, s * 0.22, color, shape)
        return
    n = int((3 + 4 * ctx.detail) * density)
    cv = _Canvas(w, h, 1.0)
    shadow = np.zeros((h, w), np.uint8)
    for _ in range(n):
        side = rng.choice([-1, 1])
        x = int(w / 2 + side * w * rng.uniform(0.22, 0.46))
        y = int(fy + rng.uniform(-0.03, 0.08) * s)
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
            pts.append((x, y))
        arr = (np.array(pts) * sc).astype(np.int32)
        cv.draw(
            lambda im, c: cv2.polylines(im, [arr], False, c, max(1, int(width * sc)), cv2.LINE_AA),
            bark,
        )
        if depth < 2:
            for k in range(2 + depth):
                px, py = pts[2 + k * 2 % 4]
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
    np.minimum(img, 1.0 + 0.0 * img, out=img) if False else None
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
    if layout in ("outdoor", "sky"):
        hy = int(h * (0.56 + rng.uniform(-0.03, 0.03))) if layout == "outdoor" else int(h * 0.9)
        ctx.horizon = hy if layout == "outdoor" else None
        _sky(ctx, hy)
        if layout == "outdoor":
            params = [dict(p) for p in terrain_params(spec)]
            for p in params:
                style = str(p.get("style"))
                if style == "mountains":
                    _mountains(ctx, hy, p)
                elif style == "hills" or style == "snowfield":
                    if style == "snowfield":
                        p = {**p, "golden": False}
                    _hills(ctx, hy, p)
                elif style == "desert":
                    _dunes(ctx, hy)
                elif style == "forest":
                    _treeline(ctx, hy, bool(p.get("rounded")))
                elif style == "bamboo":
                    _bamboo(ctx, hy)
                elif style == "city":
                    _city(ctx, hy, bool(p.get("lights")))
                elif style == "beach" and p.get("palms"):
                    _treeline(ctx, hy, False, palms=True)
            _elements(ctx, "back")
            _ground(ctx, hy)
            water = [p for p in params if p.get("style") in ("sea", "beach", "lake")]
            if water and spec.surface != "water":
                lake = any(p.get("style") == "lake" for p in water)
                shore = int(hy + (h - hy) * (0.35 if lake else 0.3 + rng.uniform(-0.05, 0.05)))
                _water_band(ctx, hy, shore, water[0])
                ctx.floor_y = max(ctx.floor_y, shore + int((h - shore) * 0.5))
    else:
        edge = None
        if layout == "tabletop":
            edge = int(h * (0.6 + rng.uniform(-0.025, 0.025)))
            ctx.horizon = edge
        _backdrop(ctx, edge)
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
    if layout == "sky":
        ctx.floor_y = int(h * 0.8)
    return Scene(
        image=image,
        horizon_y=ctx.horizon,
        ground=spec.ground,
        floor_y=int(min(h - 1, max(0, ctx.floor_y))),
        floor_x=int(ctx.podium[0]) if ctx.podium else w // 2,
        light_dir=_light_dir(ctx),
        light_elevation=spec.light_elevation,
        light_softness=spec.light_softness,
        light_warmth=spec.light_warmth,
        glossy=spec.glossy,
        reflectivity=ctx.reflectivity,
        podium=ctx.podium,
        ambient=(ambient[0], ambient[1], ambient[2]),
    )
