"""The animated layers of classic text to video (wan2.6-t2v): what moves over the still scene.

Each layer is a closed-form function of the frame's time and the seed, drawn by the stage of
:mod:`.text2video` (which they see through the :class:`Stage` protocol):

* :class:`Clouds` (made by :func:`cloud_layer`) — a second cloud layer drifting across the sky,
  behind the mountains and trees (masked by the stage's sky mask).
* :class:`Ripples` — travelling sinusoidal ripples re-sampling the water band of a sea or a lake,
  and specular glints twinkling on it.
* :class:`Light` — the sun's glow breathing and swaying, or a soft band of light sweeping slowly
  across the frame when there is no low sun.
* :class:`Particles` — falling petals, leaves, snow or rain (one :class:`Fall` each): near ones
  large and soft (into the low-resolution overlay), far ones small and sharp; they tumble and sway.

Clouds, light and near particles are drawn into a premultiplied low-resolution overlay
(``prem``, ``alpha``); the ripples rewrite the still's water rows; far particles go onto the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
Mat = npt.NDArray[np.float64]  #: 3×3 affine matrix (homogeneous)


class Stage(Protocol):
    """What the layers read from the stage that composes the frames (``text2video._Stage``)."""

    w: int  #: output size
    h: int
    sw: int  #: size of the still (overscanned)
    sh: int
    r: int  #: low-resolution factor of the overlay and the scene masks
    lw: int  #: overlay size
    lh: int
    sky_lo: F32  #: the sky mask at still / r
    horizon: int | None  #: the horizon's row in the still, outdoors
    sun: tuple[float, float] | None  #: the sun's glow in still pixels
    water: tuple[int, int] | None  #: the water band's rows in the still
    wind: float  #: ±1: which way clouds and particles drift
    duration_s: int

    @property
    def time_of_day(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Fall:
    """A kind of falling particle."""

    kind: str  #: ``petal`` | ``leaf`` | ``snow`` | ``rain``
    colors: tuple[tuple[int, int, int], ...]
    count: float  #: relative density


# ----------------------------------------------------------------------------------- clouds


@dataclass
class Clouds:
    """A drifting cloud texture at low resolution, premultiplied (RGB·a, a)."""

    prem: F32  #: H×W×3
    alpha: F32
    x0: float  #: still-low x of the texture's column 0 at t = 0
    speed: float  #: still-low px per second

    def draw(self, st: Stage, lo: Mat, t: float, prem: F32, alpha: F32) -> None:
        shift = np.array([[1, 0, self.x0 + self.speed * t], [0, 1, 0], [0, 0, 1]], np.float64)
        m = (lo @ _from_scene_low(st.r) @ shift)[:2]
        size = (st.lw, st.lh)
        a = np.asarray(cv2.warpAffine(self.alpha, m, size, flags=cv2.INTER_LINEAR), np.float32)
        c = cv2.warpAffine(self.prem, m, size, flags=cv2.INTER_LINEAR)
        sm = (lo @ _from_scene_low(st.r))[:2]
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


def cloud_layer(st: Stage, rng: np.random.Generator, cover: float) -> Clouds:
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
    tod = st.time_of_day
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
    return Clouds(np.asarray(col * a[..., None], np.float32), a.astype(np.float32), x0, speed)


def _from_scene_low(r: int) -> Mat:
    """Low-res still pixel → still pixel."""
    return np.array([[r, 0, (r - 1) / 2], [0, r, (r - 1) / 2], [0, 0, 1]], np.float64)


# ------------------------------------------------------------------------------------ water


class Ripples:
    """Travelling ripples on the water band and glints that twinkle on it."""

    def __init__(self, st: Stage, rng: np.random.Generator) -> None:
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
        night = st.time_of_day == "night"
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


# ------------------------------------------------------------------------------------ light


class Light:
    """Moving light: the sun's glow breathes and sways, or a soft band sweeps the frame. Both are
    precomputed textures placed by one small warp."""

    def __init__(self, st: Stage, rng: np.random.Generator) -> None:
        self.sweep_angle = float(rng.uniform(0.35, 0.7)) * (1 if rng.uniform() < 0.5 else -1)
        self.tint = np.asarray(_light_color(st.time_of_day), np.float32) / 255.0

    def draw(self, st: Stage, lo: Mat, t: float, prem: F32) -> None:
        breathe = 0.5 + 0.5 * math.sin(t * 2 * math.pi / 7.0)
        size = (st.lw, st.lh)
        s = min(st.lw, st.lh)
        if st.sun is not None and st.time_of_day in _LOW_SUN:
            sx, sy = st.sun
            sx += st.sw * 0.01 * math.sin(t * 2 * math.pi / 11.0)
            p = lo @ np.array([sx, sy, 1.0])
            k = s / _GLOW_SCALE  # texture px → overlay px
            m = np.array([[k, 0, p[0] - k * _GLOW_HALF], [0, k, p[1] - k * _GLOW_HALF]])
            core = cv2.warpAffine(_GLOW[0], m, size, flags=cv2.INTER_LINEAR)
            halo = cv2.warpAffine(_GLOW[1], m, size, flags=cv2.INTER_LINEAR)
            glow = cv2.addWeighted(core, 0.07 + 0.05 * breathe, halo, 0.05, 0.0)
            prem += glow[..., None] * self.tint
            return
        if st.time_of_day == "night":
            return
        # a soft band of light crossing the frame, there and back in ~24 s
        ang = self.sweep_angle
        pos = 0.9 * math.sin(t * 2 * math.pi / 24.0 + 0.6)
        ca, sa = math.cos(ang), math.sin(ang)
        # overlay (x, y) → band texture column: along = ((x/lw-.5)·ca + (y/lh-.5)·sa - pos)
        kx, ky = ca / st.lw * _BAND_SCALE, sa / st.lh * _BAND_SCALE
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


def _light_color(time_of_day: str) -> tuple[int, int, int]:
    return {
        "sunset": (255, 170, 100),
        "golden": (255, 196, 120),
        "morning": (255, 214, 170),
        "dusk": (255, 150, 120),
        "overcast": (200, 210, 225),
        "night": (150, 170, 220),
    }.get(time_of_day, (255, 240, 215))


# -------------------------------------------------------------------------------- particles


class Particles:
    """Falling particles of one kind, positions a closed-form function of time.

    Near ones (``depth`` > 0.65) are drawn large and soft into the low-res overlay; the others
    small and sharp onto the frame. Near ones also move more with the camera (parallax)."""

    def __init__(self, st: Stage, fall: Fall, rng: np.random.Generator) -> None:
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

    def _positions(self, st: Stage, m: Mat, t: float) -> tuple[F32, F32]:
        # the camera's pan moves near particles more than the scene (parallax)
        ox = (m[0, 2] + m[0, 0] * st.sw / 2 - st.w / 2) / st.w
        margin = 0.1
        x = self.u0 + self.vx * t + self.sway * np.sin(self.sway_f * t + self.phase)
        x = x + ox * (0.3 + 0.9 * self.depth)
        y = self.v0 + self.vy * t
        x = np.mod(x + margin, 1 + 2 * margin) - margin
        y = np.mod(y + margin, 1 + 2 * margin) - margin
        return (x * st.w).astype(np.float32), (y * st.h).astype(np.float32)

    def draw_soft(self, st: Stage, m: Mat, t: float, prem: F32, alpha: F32) -> None:
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

    def draw_sharp(self, st: Stage, m: Mat, t: float, frame: npt.NDArray[np.uint8]) -> None:
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
