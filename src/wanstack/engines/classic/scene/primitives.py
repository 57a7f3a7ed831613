"""The renderer's building blocks: the render context (:class:`_Ctx`, with the product's
:class:`Footprint` and stand), colours, resizing and blurs, value noise (fBm on a grid, and
:class:`_Noise` at arbitrary coordinates for surfaces in perspective), alpha-over compositing,
the keep-out box around the product, and :class:`_Canvas`, the layer elements are drawn on."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic.scene.spec import RGB, SceneSpec

F32 = npt.NDArray[Any]  #: float32 arrays (typed loosely: numpy arithmetic widens dtypes)
RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where the product stands in the frame, in pixels: the scene is built around it."""

    cx: int  #: x of the centre of the product's base
    bottom: int  #: y of the product's lowest opaque row
    half_width: int  #: half the width of its base
    top: int  #: y of its highest opaque row


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


def _haze_color(ctx: _Ctx) -> F32:
    return ctx.horizon_rgb if ctx.horizon_rgb is not None else _col((210, 214, 220))


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
