"""The first layer: a time-of-day sky (gradient, sun glow, lit clouds, stars, aurora, moon)
or a studio backdrop (seamless sweep, gradient, wall, blurred interior, curtain, arch); smooth
parts are computed at a fraction of the size and upscaled."""

from __future__ import annotations

import math

import cv2
import numpy as np

from wanstack.engines.classic.scene.primitives import (
    F32,
    _blur,
    _col,
    _Ctx,
    _fast_blur,
    _fbm,
    _mixc,
    _over,
    _profile,
    _resize,
    _smoothstep,
)
from wanstack.engines.classic.scene.spec import RGB

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
