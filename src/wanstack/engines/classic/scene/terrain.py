"""Far terrain: mountain ranges, mesas, dunes and hills as a height field seen from the
ground (voxel-space style, shaded per pixel, hazed in layers); treelines, palms, bamboo and a
city skyline (lit windows and bokeh at night)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from wanstack.engines.classic.scene.elements import _bokeh_field
from wanstack.engines.classic.scene.primitives import (
    F32,
    _blur,
    _Canvas,
    _col,
    _Ctx,
    _fast_blur,
    _haze_color,
    _in_keep,
    _mixc,
    _Noise,
    _over,
    _smoothstep,
)


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
