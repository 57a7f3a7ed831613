"""Drawing single elements: petals, leaves, flowers, blossoming branches, bokeh, leaf
shadows, a rainbow, animals, and the small scattered shapes (bubbles, confetti, sparkles…)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic.scene.primitives import (
    F32,
    _blur,
    _Canvas,
    _col,
    _Ctx,
    _fast_blur,
    _in_keep,
    _mixc,
    _resize,
)
from wanstack.engines.classic.scene.spec import RGB


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
