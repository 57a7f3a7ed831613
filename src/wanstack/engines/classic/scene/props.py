"""Props: the stand under the product (podium, steps, tray, cube) and props beside it
(sphere, block), shaded for the light side."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.classic.scene.primitives import (
    F32,
    _beside,
    _col,
    _Ctx,
    _fast_blur,
    _mixc,
    _over,
    _Stand,
)
from wanstack.engines.classic.scene.spec import SceneSpec


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
