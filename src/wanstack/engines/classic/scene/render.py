"""Procedural product-photography backdrops from a :class:`~.spec.SceneSpec`.

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

With a :class:`~.primitives.Footprint` the scene is built around the product: the podium (or
steps, cube, tray) stands under it with its top where the product's bottom is, the horizon or
table edge lies above that bottom, and elements stay out of the product's box.

``quality="v2"`` is the fast renderer; ``"v3"`` renders its smooth layers at higher resolution,
uses more noise octaves (finer material detail), more and smaller elements, and adds grain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wanstack.engines.classic.scene.concepts import terrain_params
from wanstack.engines.classic.scene.ground import _ground, _water_band
from wanstack.engines.classic.scene.light import _finish, _grade
from wanstack.engines.classic.scene.placement import _elements
from wanstack.engines.classic.scene.primitives import Footprint, RGBImage, _Ctx
from wanstack.engines.classic.scene.props import _plan_stand, _props
from wanstack.engines.classic.scene.sky import _backdrop, _sky
from wanstack.engines.classic.scene.spec import RGB, SceneSpec
from wanstack.engines.classic.scene.terrain import _bamboo, _city, _palms, _terrain, _treeline


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
