"""Product photos with a known alpha for the cutout benchmark (``bench/cutout_bench.py``) and
the cutout unit tests.

A photo is what a seller takes: one product standing on a backdrop, lit from the upper left, with
a soft contact shadow under it and a fainter cast shadow beside it, camera noise and JPEG
compression. The product is rendered procedurally (cylinders, boxes, tubes, a drinking glass, a
sneaker, a mug with a handle hole, a perfume bottle of thick glass…) with Lambert shading, gloss
strips that come close to white and, for glass, partial alpha. The truth is the product's own
alpha: shadows are *not* part of it.

Backdrop kinds:

* ``plain``: one colour (white, greys, pastels, charcoal, yellow), lightly vignetted as a real
  seamless paper is,
* ``gradient``: linear (vertical, diagonal), radial, and a studio sweep (wall above, floor below,
  a soft bend between),
* ``textured``: tables and walls from the classic scene renderer (marble, wood, concrete,
  terrazzo and brick…).

Everything is deterministic: :func:`make_photo` of one spec and size gives the same pixels.

    .venv/bin/python bench/cutout_data.py   # writes bench/results/cutout_photos.png to look at
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Float = npt.NDArray[np.float32]
RGB = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]

KINDS: tuple[str, ...] = ("plain", "gradient", "textured")
LIGHT = np.array([-0.55, -0.45, 0.7], np.float32) / np.linalg.norm([-0.55, -0.45, 0.7])


class Canvas:
    """A float premultiplied RGBA canvas, ``ss`` times the photo's size; coordinates given to the
    drawing functions are photo pixels. Shapes are painted back to front with coverage masks."""

    def __init__(self, width: int, height: int, ss: int) -> None:
        self.width, self.height, self.ss = width, height, ss
        w, h = width * ss, height * ss
        self.rgb: Float = np.zeros((h, w, 3), np.float32)  # premultiplied
        self.alpha: Float = np.zeros((h, w), np.float32)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        self.xs: Float = (xs + 0.5) / ss
        self.ys: Float = (ys + 0.5) / ss

    def mask(self, draw: Callable[[npt.NDArray[np.uint8], float], None]) -> Float:
        """Coverage 0…1 of what ``draw(image, scale)`` paints (``scale``: photo px → canvas px)."""
        m = np.zeros(self.alpha.shape, np.uint8)
        draw(m, float(self.ss))
        return m.astype(np.float32) / 255.0

    def paint(self, colour: Float, cover: Float, alpha: float | Float = 1.0) -> None:
        a = np.clip(cover * alpha, 0.0, 1.0)
        col = np.broadcast_to(np.clip(colour, 0.0, 1.0), self.rgb.shape)
        self.rgb = self.rgb * (1.0 - a[..., None]) + col * a[..., None]
        self.alpha = self.alpha + (1.0 - self.alpha) * a

    def result(self) -> tuple[Float, Float]:
        """Premultiplied colour and alpha at the photo's size (area-averaged)."""
        size = (self.width, self.height)
        pm = cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA)
        a = cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA)
        return np.asarray(pm, np.float32), np.clip(np.asarray(a, np.float32), 0.0, 1.0)


# --- drawing primitives (photo pixels; cv2 draws with 4 fractional bits) ----------------------


def _poly(points: list[tuple[float, float]]) -> Callable[[npt.NDArray[np.uint8], float], None]:
    def draw(m: npt.NDArray[np.uint8], s: float) -> None:
        pts = np.round(np.asarray(points, np.float64) * s * 16).astype(np.int32)
        cv2.fillPoly(m, [pts], 255, cv2.LINE_AA, 4)

    return draw


def _ellipse(
    cx: float, cy: float, rx: float, ry: float, a0: float = 0, a1: float = 360, thick: int = -1
) -> Callable[[npt.NDArray[np.uint8], float], None]:
    def draw(m: npt.NDArray[np.uint8], s: float) -> None:
        cv2.ellipse(
            m,
            (round(cx * s * 16), round(cy * s * 16)),
            (round(rx * s * 16), round(ry * s * 16)),
            0,
            a0,
            a1,
            255,
            thick if thick < 0 else max(1, round(thick * s)),
            cv2.LINE_AA,
            4,
        )

    return draw


def _rect(x0: float, y0: float, x1: float, y1: float) -> Any:
    return _poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _union(*draws: Any) -> Any:
    def draw(m: npt.NDArray[np.uint8], s: float) -> None:
        for d in draws:
            d(m, s)

    return draw


def _c(rgb: Colour) -> Float:
    return np.asarray(rgb, np.float32) / 255.0


def _shade(
    base: Float, nx: Float, gloss: float, width: float = 0.06, ambient: float = 0.5
) -> Float:
    """A vertical cylinder lit by :data:`LIGHT`: Lambert, darker rims, a key-light specular strip
    that reaches white and a softer reflector strip on the far side."""
    nx = np.clip(nx, -1.0, 1.0)
    nz = np.sqrt(1.0 - nx * nx)
    lam = np.clip(nx * LIGHT[0] + nz * LIGHT[2], 0.0, 1.0)
    col = np.asarray(base, np.float32) * (ambient + (1.0 - ambient) * lam)[..., None]
    col = col * (1.0 - 0.25 * np.abs(nx) ** 6)[..., None]
    key = np.exp(-(((nx + 0.42) / width) ** 2)) * gloss
    fill = np.exp(-(((nx - 0.7) / (width * 1.8)) ** 2)) * gloss * 0.35
    return np.asarray(col + (1.0 - col) * (key + fill)[..., None], np.float32)


def _cylinder(cv: Canvas, cx: float, rx: float, top: float, bottom: float, ry: float) -> Any:
    cover = cv.mask(_union(_rect(cx - rx, top, cx + rx, bottom), _ellipse(cx, bottom, rx, ry)))
    return cover, (cv.xs - cx) / rx


# --- products: each paints onto ``cv`` standing at (x, y) = (centre, base), ``u`` px tall ---------


def bottle(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A shampoo-style bottle: body, round shoulder, neck, cap and a paper label."""
    r, ry = 0.18 * u, 0.03 * u
    top = y - 0.6 * u
    body, nx = _cylinder(cv, x, r, top, y, ry)
    shoulder = cv.mask(_ellipse(x, top, r, 0.12 * u, 180, 360))
    cv.paint(_shade(_c(col), nx, gloss), np.maximum(body, shoulder))
    label = cv.mask(_rect(x - r, y - 0.45 * u, x + r, y - 0.15 * u)) * body
    cv.paint(_shade(_c((235, 232, 220)), nx, 0.2), label)
    band = cv.mask(_rect(x - r, y - 0.33 * u, x + r, y - 0.27 * u)) * body
    cv.paint(_shade(_c(col) * 0.6, nx, 0.1), band)
    neck, nnx = _cylinder(cv, x, 0.065 * u, y - 0.86 * u, top - 0.08 * u, 0.01 * u)
    cv.paint(_shade(_c(col), nnx, gloss), neck)
    cap, cnx = _cylinder(cv, x, 0.08 * u, y - u, y - 0.84 * u, 0.012 * u)
    cv.paint(_shade(_c((30, 30, 32)), cnx, 0.7, ambient=0.6), cap)


def box(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A product carton in perspective: front, side and top faces, a printed stripe."""
    w, h, dx, dy = 0.62 * u, 0.8 * u, 0.2 * u, 0.14 * u
    x0, x1, t = x - w / 2 - dx / 2, x + w / 2 - dx / 2, y - h
    base = _c(col)
    front = cv.mask(_rect(x0, t, x1, y))
    shade = 0.92 + 0.08 * np.clip((cv.ys - t) / h, 0, 1)
    cv.paint(base * shade[..., None], front)
    stripe = cv.mask(_rect(x0, y - 0.55 * u, x1, y - 0.42 * u))
    cv.paint(_c((250, 250, 248)) * 0.96, stripe)
    side = cv.mask(_poly([(x1, y), (x1 + dx, y - dy), (x1 + dx, t - dy), (x1, t)]))
    cv.paint(base * 0.62, side)
    top = cv.mask(_poly([(x0, t), (x1, t), (x1 + dx, t - dy), (x0 + dx, t - dy)]))
    cv.paint(base + (1 - base) * 0.25, top)
    edge = cv.mask(_poly([(x1 - 1, t), (x1 + 1, t), (x1 + 1, y), (x1 - 1, y)]))
    cv.paint(np.ones(3, np.float32), edge, 0.5 * gloss)


def jar(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A squat cosmetics jar with a ribbed metallic lid."""
    r, ry = 0.5 * u, 0.07 * u
    lid_y = y - 0.55 * u
    body, nx = _cylinder(cv, x, r, lid_y, y, ry)
    cv.paint(_shade(_c(col), nx, gloss, 0.1, ambient=0.55), body)
    lid, lnx = _cylinder(cv, x, r * 1.03, y - u, lid_y + 0.02 * u, ry)
    ribs = 0.9 + 0.1 * np.cos(np.arcsin(np.clip(lnx, -1, 1)) * 70.0)
    cv.paint(_shade(_c((200, 170, 120)) * ribs[..., None], lnx, 1.0, 0.05, 0.4), lid)
    top = cv.mask(_ellipse(x, y - u, r * 1.03, ry))
    cv.paint(_c((226, 200, 150)), top)


def tube(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A cosmetics tube standing on its cap, widening to a crimped flat end."""
    cap, cnx = _cylinder(cv, x, 0.12 * u, y - 0.2 * u, y, 0.02 * u)
    top = y - u
    pts = [(x - 0.12 * u, y - 0.2 * u), (x - 0.2 * u, top + 0.1 * u), (x - 0.2 * u, top)]
    pts += [(x + 0.2 * u, top), (x + 0.2 * u, top + 0.1 * u), (x + 0.12 * u, y - 0.2 * u)]
    body = cv.mask(_poly(pts))
    half = 0.12 * u + 0.08 * u * np.clip((y - 0.2 * u - cv.ys) / (0.7 * u), 0, 1)
    nx = (cv.xs - x) / half
    cv.paint(_shade(_c(col), nx * 0.95, gloss, 0.08), body)
    crimp = cv.mask(_rect(x - 0.2 * u, top, x + 0.2 * u, top + 0.05 * u))
    ridges = 0.85 + 0.15 * np.cos((cv.xs - x) / u * 200.0)
    cv.paint(_c(col) * 0.85 * ridges[..., None], crimp)
    cv.paint(_shade(_c((240, 240, 240)), cnx, 0.8, 0.08), cap)


def glass(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A drinking glass: clear walls (alpha ~0.25), brighter sides, a thick base, a rim and
    white gloss strips; ``gloss`` > 0.5 fills it two thirds with ``col`` juice."""
    rt, rb, ry = 0.34 * u, 0.27 * u, 0.05 * u
    top = y - u
    pts = [(x - rt, top), (x + rt, top), (x + rb, y), (x - rb, y)]
    outer = cv.mask(_union(_poly(pts), _ellipse(x, y, rb, ry)))
    half = rb + (rt - rb) * np.clip((y - cv.ys) / u, 0, 1)
    nx = np.clip((cv.xs - x) / half, -1, 1)
    tint = _c((222, 232, 230))
    cv.paint(tint, outer, 0.22 + 0.55 * np.abs(nx) ** 8)
    if gloss > 0.5:
        level = y - 0.62 * u
        juice = outer * (cv.ys > level) * (np.abs(nx) < 0.95)
        cv.paint(_shade(_c(col), nx, 0.0, ambient=0.75), juice, 0.88)
        surface = cv.mask(_ellipse(x, level, rb + (rt - rb) * 0.62, ry * 0.8))
        cv.paint(_c(col) * 1.15, surface, 0.8)
    base = outer * (cv.ys > y - 0.1 * u)
    cv.paint(tint * 0.9, base, 0.5)
    cv.paint(_c((200, 210, 210)), cv.mask(_ellipse(x, top, rt, ry, thick=max(2, 0.012 * u))), 0.7)
    streak = np.exp(-(((nx + 0.6) / 0.06) ** 2)) * outer * (cv.ys > top + 0.05 * u)
    cv.paint(np.ones(3, np.float32), streak, 0.9)
    cv.paint(np.ones(3, np.float32), np.exp(-(((nx - 0.72) / 0.05) ** 2)) * outer, 0.5)


def shoe(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A sneaker in side view: a white sole, a coloured upper with an ankle opening, laces and a
    side stripe; shaded by distance from its outline so it looks rounded."""
    length = 2.2 * u
    x0 = x - length / 2

    def p(fx: float, fy: float) -> tuple[float, float]:
        return (x0 + fx * length, y - fy * u)

    sole = [p(0.02, 0.0), p(0.9, 0.0), p(0.98, 0.04), p(1.0, 0.12), p(0.97, 0.2), p(0.02, 0.2)]
    sole += [p(0.0, 0.1)]
    upper = [p(0.03, 0.18), p(0.96, 0.18), p(0.93, 0.34), p(0.75, 0.5), p(0.55, 0.72)]
    upper += [p(0.38, 0.98), p(0.28, 0.92), p(0.2, 0.76), p(0.08, 0.98), p(0.01, 0.9)]
    upper += [p(0.0, 0.5)]
    up = cv.mask(_poly(upper))
    dist = cv2.distanceTransform((up > 0.5).astype(np.uint8), cv2.DIST_L2, 5) / (0.25 * u * cv.ss)
    bulge = np.clip(dist, 0, 1) ** 0.5
    gx = cv2.Sobel(cv2.GaussianBlur(bulge, (0, 0), 3), cv2.CV_32F, 1, 0) * 8
    shade = 0.55 + 0.45 * bulge - 0.15 * np.clip(gx, -1, 1)
    base = _c(col) * shade[..., None]
    base = base + (1 - base) * (gloss * 0.6 * np.exp(-(((bulge - 0.8) / 0.08) ** 2)))[..., None]
    cv.paint(base, up)
    collar = cv.mask(_ellipse(*p(0.16, 0.86), 0.08 * length, 0.1 * u))
    cv.paint(_c((40, 40, 44)), collar * up)
    stripe = cv.mask(_poly([p(0.25, 0.25), p(0.75, 0.25), p(0.6, 0.45), p(0.3, 0.35)]))
    cv.paint(_c((250, 250, 250)) * 0.95, stripe * up)
    for i in range(4):
        a, b = p(0.48 + 0.07 * i, 0.78 - 0.09 * i), p(0.53 + 0.07 * i, 0.74 - 0.09 * i)
        lace = cv.mask(_poly([a, (b[0], b[1]), (b[0], b[1] + 0.03 * u), (a[0], a[1] + 0.03 * u)]))
        cv.paint(_c((245, 245, 245)), lace * up)
    so = cv.mask(_poly(sole))
    sole_shade = 0.8 + 0.2 * np.clip((y - cv.ys) / (0.2 * u), 0, 1)
    cv.paint(_c((246, 244, 238)) * sole_shade[..., None], so)
    cv.paint(_c((120, 110, 100)), so * (cv.ys > y - 0.03 * u))


def mug(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A glazed mug with a handle whose hole shows the backdrop."""
    r, ry = 0.4 * u, 0.06 * u
    hx, hy, hr, thick = x + r + 0.06 * u, y - 0.5 * u, 0.2 * u, 0.075 * u
    ring = np.zeros(cv.alpha.shape, np.uint8)
    s = cv.ss
    cv2.ellipse(
        ring,
        (round(hx * s * 16), round(hy * s * 16)),
        (round(hr * 0.8 * s * 16), round(hr * s * 16)),
        0,
        -95,
        95,
        255,
        round(thick * s),
        cv2.LINE_AA,
        4,
    )
    d = np.sqrt(((cv.xs - hx) / (hr * 0.8)) ** 2 + ((cv.ys - hy) / hr) ** 2)
    tube_ = np.clip(1.0 - np.abs(d - 1.0) / (thick / hr * 0.6), 0.0, 1.0)
    cv.paint(_c(col) * (0.5 + 0.5 * tube_)[..., None], ring.astype(np.float32) / 255.0)
    body, nx = _cylinder(cv, x, r, y - u, y, ry)
    cv.paint(_shade(_c(col), nx, gloss, 0.05), body)
    cv.paint(_shade(_c(col) * 1.05, nx, 0.0, ambient=0.8), cv.mask(_ellipse(x, y - u, r, ry)))
    inside = cv.mask(_ellipse(x, y - u + 0.004 * u, r * 0.92, ry * 0.8))
    cv.paint(_c(col) * (0.45 + 0.3 * np.clip((cv.xs - x + r) / (2 * r), 0, 1))[..., None], inside)


def perfume(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A square bottle of thick clear glass (alpha ~0.45) around coloured juice, a gold collar
    and a glossy black cap."""
    half, top = 0.36 * u, y - 0.66 * u
    outer = cv.mask(_rect(x - half, top, x + half, y))
    nx = (cv.xs - x) / half
    cv.paint(_c((214, 222, 220)), outer, 0.42)
    wall = 0.05 * u
    juice = cv.mask(_rect(x - half + wall, top + 0.16 * u, x + half - wall, y - 1.5 * wall))
    cv.paint(_shade(_c(col), nx * 0.85, 0.0, ambient=0.75), juice, 0.92)
    cv.paint(np.ones(3, np.float32), np.exp(-(((nx + 0.7) / 0.05) ** 2)) * outer, 0.85)
    cv.paint(np.ones(3, np.float32), np.exp(-(((nx - 0.75) / 0.08) ** 2)) * outer, 0.35)
    collar, cnx = _cylinder(cv, x, 0.11 * u, top - 0.06 * u, top + 0.005 * u, 0.01 * u)
    cv.paint(_shade(_c((206, 164, 92)), cnx, 1.0, 0.07, 0.4), collar)
    cap, knx = _cylinder(cv, x, 0.17 * u, y - u, top - 0.05 * u, 0.02 * u)
    cv.paint(_shade(_c((28, 28, 32)), knx, gloss, 0.06, 0.6), cap)


def pump(cv: Canvas, x: float, y: float, u: float, col: Colour, gloss: float) -> None:
    """A lotion pump bottle: body, collar, a thin stem and a head with a sideways nozzle."""
    r, ry = 0.2 * u, 0.03 * u
    body, nx = _cylinder(cv, x, r, y - 0.62 * u, y, ry)
    cv.paint(_shade(_c(col), nx, gloss), body)
    cv.paint(_shade(_c(col), nx, 0.0, ambient=0.8), cv.mask(_ellipse(x, y - 0.62 * u, r, ry)))
    collar, cnx = _cylinder(cv, x, 0.09 * u, y - 0.72 * u, y - 0.62 * u, 0.01 * u)
    cv.paint(_shade(_c((235, 235, 235)), cnx, 0.8), collar)
    stem, snx = _cylinder(cv, x, 0.025 * u, y - 0.88 * u, y - 0.72 * u, 0.005 * u)
    cv.paint(_shade(_c((225, 225, 225)), snx, 0.6), stem)
    head = cv.mask(_rect(x - 0.07 * u, y - u, x + 0.07 * u, y - 0.88 * u))
    nozzle = cv.mask(_rect(x + 0.05 * u, y - 0.985 * u, x + 0.3 * u, y - 0.945 * u))
    cv.paint(_shade(_c((235, 235, 235)), (cv.xs - x) / (0.07 * u), 0.8), np.maximum(head, nozzle))


PRODUCTS: dict[str, Callable[[Canvas, float, float, float, Colour, float], None]] = {
    "bottle": bottle,
    "box": box,
    "jar": jar,
    "tube": tube,
    "glass": glass,
    "shoe": shoe,
    "mug": mug,
    "perfume": perfume,
    "pump": pump,
}
#: height of each product as a fraction of the photo's height; width-heavy ones are lower
HEIGHT = {"jar": 0.32, "shoe": 0.26, "mug": 0.4, "box": 0.55, "glass": 0.45, "perfume": 0.55}


# --- backdrops --------------------------------------------------------------------------------


def _grid(w: int, h: int) -> tuple[Float, Float]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return (xs + 0.5) / w, (ys + 0.5) / h


def backdrop(desc: tuple[Any, ...], w: int, h: int, seed: int) -> Float:
    """The empty set, 0…1 RGB: ``("plain", c)``, ``("linear", c0, c1, degrees)``,
    ``("radial", centre, edge)``, ``("sweep", wall, floor)`` or ``("scene", prompt)``."""
    fx, fy = _grid(w, h)
    kind = desc[0]
    if kind == "plain":
        # seamless paper is never perfectly even: a faint fall-off toward the corners
        fall = 1.0 - 0.035 * (((fx - 0.45) / 0.7) ** 2 + ((fy - 0.4) / 0.8) ** 2)
        return _c(desc[1]) * fall[..., None]
    if kind == "linear":
        ang = np.deg2rad(desc[3])
        t = (fx - 0.5) * np.sin(ang) + (fy - 0.5) * np.cos(ang)
        t = np.clip(t / (abs(np.sin(ang)) * 0.5 + abs(np.cos(ang)) * 0.5) * 0.5 + 0.5, 0, 1)
        return _c(desc[1]) * (1 - t[..., None]) + _c(desc[2]) * t[..., None]
    if kind == "radial":
        r = np.clip(np.sqrt(((fx - 0.5) / 0.75) ** 2 + ((fy - 0.45) / 0.75) ** 2), 0, 1)
        t = r**1.5
        return _c(desc[1]) * (1 - t[..., None]) + _c(desc[2]) * t[..., None]
    if kind == "sweep":
        # the wall darkens upward, the floor is brightest under the key light, the bend is soft
        bend = np.clip((fy - 0.5) / 0.22, 0, 1)
        bend = bend * bend * (3 - 2 * bend)
        wall = _c(desc[1]) * (0.86 + 0.14 * fy)[..., None]
        floor = _c(desc[2]) * (1.0 - 0.08 * np.abs(fx - 0.45) - 0.05 * (fy - 0.7))[..., None]
        return wall * (1 - bend[..., None]) + floor * bend[..., None]
    if kind == "scene":
        from wanstack.engines.classic.scene import parse_prompt
        from wanstack.engines.classic.scene.render import render_scene

        image = render_scene(parse_prompt(desc[1]), (w, h), seed).image
        return np.asarray(image, np.float32) / 255.0
    raise ValueError(f"unknown backdrop {desc!r}")


def _shadow(alpha: Float, x: float, y: float, u: float, strength: float, side: float) -> Float:
    """How much light the backdrop keeps (0…1): a dark soft contact shadow under the product's
    base and a fainter cast shadow, its silhouette laid down behind it toward ``side``."""
    h, w = alpha.shape
    cols = np.nonzero(alpha.max(axis=0) > 0.5)[0]
    half = (cols[-1] - cols[0]) / 2 if cols.size else 0.2 * u
    contact = np.zeros((h, w), np.float32)
    cv2.ellipse(
        contact,
        (round(x * 16), round((y - 0.01 * u) * 16)),
        (round(half * 1.04 * 16), round(max(2.0, 0.035 * u) * 16)),
        0,
        0,
        360,
        1.0,
        -1,
        cv2.LINE_AA,
        4,
    )
    contact = cv2.GaussianBlur(contact, (0, 0), max(1.0, 0.025 * u))
    # the cast shadow: the silhouette flattened onto the floor behind the product
    m = np.float32([[1, side * 0.9, -side * 0.9 * y], [0, 0.3, 0.7 * y]])
    cast = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
    cast = cv2.GaussianBlur(cast, (0, 0), max(1.0, 0.04 * u))
    dark = np.maximum(contact * strength, cast * strength * 0.45)
    return np.asarray(1.0 - np.clip(dark, 0, 0.9), np.float32)


# --- the photos -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Photo:
    name: str
    kind: str  #: one of :data:`KINDS`
    product: str  #: a key of :data:`PRODUCTS`
    colour: Colour
    gloss: float
    backdrop: tuple[Any, ...]
    aspect: float = 1.0  #: width / height
    shadow: float = 0.45  #: darkness of the contact shadow's core
    scale: float = 1.0  #: of the product's usual height

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode())


WHITE: Colour = (244, 244, 242)
P = Photo
PHOTOS: tuple[Photo, ...] = (
    # plain
    P("blue bottle on white", "plain", "bottle", (40, 90, 170), 0.9, ("plain", WHITE)),
    P("red box on grey", "plain", "box", (190, 40, 40), 0.6, ("plain", (226, 226, 228)), 0.8),
    P("white jar on white", "plain", "jar", (236, 234, 230), 0.6, ("plain", WHITE)),
    P("teal tube on pink", "plain", "tube", (40, 150, 150), 0.8, ("plain", (238, 212, 212))),
    P("glass on blue", "plain", "glass", (0, 0, 0), 0.0, ("plain", (186, 212, 234))),
    P("sneaker on beige", "plain", "shoe", (60, 60, 70), 0.4, ("plain", (230, 218, 198)), 1.4),
    P("green mug on white", "plain", "mug", (110, 160, 120), 0.9, ("plain", WHITE)),
    P("perfume on charcoal", "plain", "perfume", (230, 120, 150), 0.8, ("plain", (44, 44, 48))),
    P("black pump on white", "plain", "pump", (26, 26, 30), 0.9, ("plain", WHITE), 0.8),
    P("white box on mid grey", "plain", "box", (240, 240, 238), 0.4, ("plain", (172, 172, 174))),
    P("amber bottle on yellow", "plain", "bottle", (150, 80, 20), 0.9, ("plain", (244, 214, 96))),
    P("black jar on sage", "plain", "jar", (30, 30, 34), 0.9, ("plain", (198, 212, 192))),
    P("white mug on grey", "plain", "mug", (238, 236, 232), 0.8, ("plain", (214, 214, 216))),
    P("white tube on white", "plain", "tube", (240, 240, 240), 0.7, ("plain", WHITE)),
    P("pink jar on white", "plain", "jar", (230, 170, 180), 0.8, ("plain", WHITE)),
    P("navy box on beige", "plain", "box", (30, 40, 90), 0.5, ("plain", (232, 220, 200)), 0.8),
    P("yellow tube on blue", "plain", "tube", (240, 200, 40), 0.8, ("plain", (200, 220, 240))),
    P(
        "brown bottle on grey",
        "plain",
        "bottle",
        (120, 70, 30),
        0.9,
        ("plain", (210, 210, 212)),
        1.0,
        0.5,
        0.9,
    ),
    # gradient
    P(
        "bottle, vertical",
        "gradient",
        "bottle",
        (200, 60, 90),
        0.9,
        ("linear", (236, 236, 240), (170, 174, 182), 0),
    ),
    P(
        "box, diagonal",
        "gradient",
        "box",
        (40, 110, 70),
        0.5,
        ("linear", (250, 236, 214), (214, 170, 130), 35),
        0.8,
    ),
    P(
        "jar, radial",
        "gradient",
        "jar",
        (200, 190, 240),
        0.7,
        ("radial", (250, 250, 250), (180, 186, 196)),
    ),
    P(
        "tube, sweep",
        "gradient",
        "tube",
        (230, 110, 40),
        0.8,
        ("sweep", (214, 220, 230), (240, 242, 246)),
    ),
    P(
        "white sneaker, sweep",
        "gradient",
        "shoe",
        (236, 236, 232),
        0.4,
        ("sweep", (120, 126, 140), (200, 204, 212)),
        1.4,
    ),
    P(
        "sneaker, vertical",
        "gradient",
        "shoe",
        (200, 40, 40),
        0.5,
        ("linear", (250, 250, 250), (200, 200, 204), 0),
        1.4,
    ),
    P(
        "mug, radial",
        "gradient",
        "mug",
        (40, 60, 110),
        0.9,
        ("radial", (255, 236, 220), (206, 150, 120)),
    ),
    P(
        "perfume, sweep",
        "gradient",
        "perfume",
        (120, 60, 160),
        0.8,
        ("sweep", (236, 230, 224), (250, 246, 242)),
    ),
    P(
        "pump, diagonal",
        "gradient",
        "pump",
        (246, 246, 246),
        0.8,
        ("linear", (200, 216, 236), (120, 150, 190), -30),
        0.8,
    ),
    P(
        "white bottle, radial",
        "gradient",
        "bottle",
        (242, 242, 240),
        0.7,
        ("radial", (252, 252, 252), (200, 200, 200)),
    ),
    P(
        "dark box, sweep",
        "gradient",
        "box",
        (36, 36, 40),
        0.5,
        ("sweep", (70, 70, 76), (120, 120, 126)),
        0.8,
    ),
    P(
        "juice glass, vertical",
        "gradient",
        "glass",
        (120, 40, 160),
        0.9,
        ("linear", (252, 244, 236), (220, 196, 176), 0),
    ),
    P(
        "black mug, sweep",
        "gradient",
        "mug",
        (24, 24, 26),
        0.9,
        ("sweep", (232, 232, 232), (250, 250, 250)),
        1.0,
        0.55,
    ),
    P(
        "gold jar, vertical",
        "gradient",
        "jar",
        (210, 170, 90),
        1.0,
        ("linear", (60, 50, 70), (20, 18, 26), 0),
    ),
    P(
        "teal bottle, radial",
        "gradient",
        "bottle",
        (20, 130, 130),
        0.9,
        ("radial", (250, 250, 250), (190, 196, 206)),
    ),
    P(
        "white box, vertical",
        "gradient",
        "box",
        (242, 242, 240),
        0.4,
        ("linear", (236, 238, 242), (180, 184, 192), 0),
        0.8,
    ),
    P(
        "lilac tube, diagonal",
        "gradient",
        "tube",
        (180, 150, 220),
        0.8,
        ("linear", (250, 240, 230), (210, 190, 170), 20),
    ),
    P(
        "blue pump, sweep",
        "gradient",
        "pump",
        (40, 80, 170),
        0.9,
        ("sweep", (226, 226, 230), (246, 246, 248)),
        0.8,
    ),
    # textured
    P("bottle on marble", "textured", "bottle", (30, 120, 90), 0.9, ("scene", "大理石台面")),
    P(
        "box on wood",
        "textured",
        "box",
        (230, 200, 60),
        0.5,
        ("scene", "wood table, plaster wall"),
        0.8,
    ),
    P("jar on concrete", "textured", "jar", (230, 120, 110), 0.8, ("scene", "concrete floor")),
    P(
        "tube on terrazzo",
        "textured",
        "tube",
        (50, 80, 160),
        0.8,
        ("scene", "terrazzo, brick wall"),
    ),
    P("glass on walnut", "textured", "glass", (230, 60, 50), 0.9, ("scene", "walnut table")),
    P("sneaker on linen", "textured", "shoe", (90, 140, 200), 0.4, ("scene", "linen, studio"), 1.4),
    P(
        "mug on black marble",
        "textured",
        "mug",
        (230, 226, 220),
        0.9,
        ("scene", "black marble table"),
    ),
    P("perfume on tile", "textured", "perfume", (240, 180, 60), 0.8, ("scene", "tile, wall")),
)
"""The benchmark's photos: 18 plain, 18 gradient, 8 textured."""


def make_photo(photo: Photo, size: int, *, jpeg: int = 90) -> tuple[RGB, Float]:
    """The photo (RGB ``uint8``, long side ``size``, JPEG-decoded) and its true alpha (0…1)."""
    rng = np.random.default_rng(photo.seed)
    if photo.aspect >= 1:
        w, h = size, round(size / photo.aspect)
    else:
        w, h = round(size * photo.aspect), size
    ss = 2 if size <= 1024 else 1
    cv = Canvas(w, h, ss)
    u = HEIGHT.get(photo.product, 0.62) * photo.scale * h
    x = w * (0.5 + rng.uniform(-0.05, 0.05))
    floor = 0.88 if photo.kind == "textured" else 0.84
    y = h * (floor + rng.uniform(-0.03, 0.03))
    PRODUCTS[photo.product](cv, x, y, u, photo.colour, photo.gloss)
    fg, alpha = cv.result()
    back = backdrop(photo.backdrop, w, h, photo.seed % 1000)
    back = back * _shadow(alpha, x, y, u, photo.shadow, rng.choice([-1.0, 1.0]))[..., None]
    image = fg + back * (1.0 - alpha[..., None])
    # the camera: sensor noise (a little stronger in the shadows), then JPEG
    sigma = rng.uniform(1.2, 2.4) / 255.0 * (1.3 - 0.5 * image.mean(axis=2, keepdims=True))
    image = image + rng.normal(0.0, 1.0, image.shape).astype(np.float32) * sigma
    rgb = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=jpeg)
    decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.uint8)
    return decoded, alpha


def by_kind(kind: str) -> list[Photo]:
    return [p for p in PHOTOS if p.kind == kind]


def main() -> None:
    """Write every photo with its truth beside it, to look at."""
    size = 256
    tiles = []
    for p in PHOTOS:
        rgb, alpha = make_photo(p, size)
        canvas = np.full((size, 2 * size, 3), 255, np.uint8)
        canvas[: rgb.shape[0], : rgb.shape[1]] = rgb
        truth = np.repeat((alpha * 255).astype(np.uint8)[..., None], 3, axis=2)
        canvas[: rgb.shape[0], size : size + rgb.shape[1]] = truth
        tiles.append(canvas)
    rows = [np.concatenate(tiles[i : i + 4], axis=1) for i in range(0, len(tiles) - 3, 4)]
    sheet = np.concatenate(rows, axis=0)
    out = Path("bench/results/cutout_photos.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out)
    print(f"wrote {out} ({len(PHOTOS)} photos)")


if __name__ == "__main__":
    main()
