"""Where the spec's elements go: per stage (back, ground, front), on the horizon, on the
floor, framing the corners, or scattered in depth layers, kept out of the product's box."""

from __future__ import annotations

import math

import cv2
import numpy as np

from wanstack.engines.classic.scene.elements import (
    _animal,
    _bokeh_at,
    _bokeh_field,
    _branch,
    _flower,
    _leaf,
    _leaf_shadows,
    _lighter,
    _rainbow,
    _scatter_one,
)
from wanstack.engines.classic.scene.primitives import (
    F32,
    _beside,
    _blur,
    _Canvas,
    _col,
    _Ctx,
    _fbm,
    _haze_color,
    _in_keep,
    _mixc,
    _over,
    _resize,
    _smoothstep,
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
