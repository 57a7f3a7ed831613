"""Ground materials — marble veins, wood boards, concrete, stone, terrazzo, linen, sand,
snow, grass, metal, tile, pebbles… — evaluated in a perspective plane's own coordinates
(:class:`_Plane`), so they are sharp in front and detail smaller than a pixel fades instead of
shimmering."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from wanstack.engines.classic.scene.concepts import BY_NAME
from wanstack.engines.classic.scene.primitives import (
    _LATTICE,
    F32,
    _col,
    _Ctx,
    _mixc,
    _Noise,
    _smoothstep,
)
from wanstack.engines.classic.scene.spec import RGB, SceneSpec


@dataclass
class _Plane:
    """Screen rows ``y0:h`` of a ground plane seen in perspective, with its coordinates.

    Units: 1 = the width of the frame at the bottom row; ``v`` is the distance (1 at the bottom
    row, growing toward the vanishing line ``yv``); ``foot`` is the size of a pixel in those units,
    per row, for fading out detail that would alias."""

    y0: int
    yv: float
    u: F32  #: (rows, w) across
    v: F32  #: (rows, 1) depth
    foot: F32  #: (rows,)


def _plane(w: int, h: int, y0: int, yv: float, cx: float) -> _Plane:
    ys = np.arange(y0, h, dtype=np.float32) + 0.5
    z = (h - yv) / np.maximum(ys - yv, 0.5)
    xs = (np.arange(w, dtype=np.float32) + 0.5 - cx) / w
    u = np.asarray(xs[None, :] * z[:, None], np.float32)
    # a pixel is z/w wide and z²/(h - yv) deep: fade detail by the geometric mean (the far rows,
    # where that still aliases a little along depth, are out of focus anyway)
    foot = np.asarray(np.sqrt(z / w * z * z / max(h - yv, 1.0)), np.float32)
    return _Plane(y0, yv, u, np.asarray(z[:, None], np.float32), foot)


def _aa_line(dist: F32, width: float, foot: F32) -> F32:
    """Coverage 0…1 of a line of ``width`` at distance ``dist``, antialiased by the per-row pixel
    size ``foot`` and fading (not aliasing) once thinner than a pixel."""
    f = foot[:, None] if foot.ndim == 1 else foot
    soft = np.maximum(f, 1e-6)
    cover = np.clip((width * 0.5 - dist) / soft + 0.5, 0.0, 1.0)
    return np.asarray(cover * np.clip(width / soft, 0.0, 1.0), np.float32)


def _surface(ctx: _Ctx, pattern: str, pl: _Plane) -> F32:
    """The floor's material at every pixel of the plane, (rows, w, 3): evaluated in plane
    coordinates, so it is as sharp at the front as far away, and detail finer than a pixel fades
    out instead of shimmering."""
    rng, spec = ctx.rng, ctx.spec
    noise = _Noise(rng)
    u, v, foot = pl.u, pl.v, pl.foot
    vv = np.broadcast_to(v, u.shape)
    base = _col(spec.surface_color or (236, 233, 228))
    fine = 1 if ctx.fine else 0  # v3: one more octave of fine detail

    def tint(t: F32) -> F32:
        return np.asarray(base[None, None, :] * t[..., None], np.float32)

    if pattern == "marble":
        # veins: where noise stretched along the grain crosses zero — long, wavy lines that
        # branch now and then — in a few scales (bold ones, then finer and fainter), each
        # fading in and out along its length, with a soft halo around the bold ones
        ang = rng.uniform(0.3, 0.8)
        wu = u + noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        wv = vv + noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        amount = np.zeros(u.shape, np.float32)
        for cell, width, amp in ((0.5, 0.008, 0.8), (0.25, 0.004, 0.6), (0.12, 0.0025, 0.45)):
            n = noise.octave(wu, wv, cell, stretch=3.0, angle=ang + rng.uniform(-0.3, 0.3))
            dist = np.abs(n) * (cell / 1.6)
            along = _smoothstep(-0.5, 0.6, noise.octave(u, vv, cell * 2.0))
            line = _aa_line(dist, width, foot) + np.exp(-dist / (width * 3.0)) * 0.3
            amount += line * along * amp
        cloud = noise.fbm(u, vv, 0.3, 4, foot, gain=0.6)
        accent = _col(_accent(spec)) if base.mean() > 0.5 else _col((200, 196, 190))
        img = tint(1.0 + cloud * 0.025)
        img += (accent - img) * np.clip(amount, 0.0, 0.9)[..., None]
        return img
    if pattern == "wood":
        # boards running across the frame, each with its own tone, grain and joints
        plank = 0.11
        pid = np.floor(vv / plank)
        key = (pid.astype(np.int64) * 7) % _LATTICE
        ptone = noise.lat[key, 3] * 0.04
        shift = noise.lat[key, 5] * 3.0
        grain = noise.fbm(u + shift, vv, 0.25, 4 + fine, foot, stretch=8.0, angle=0.0)
        # growth rings cut lengthwise: thin dark latewood lines, wavy, bunching up in places
        phase = vv / plank * 6.0 + grain * 3.0 + shift
        dist = (0.5 - np.abs(phase % 1.0 - 0.5)) * (plank / 6.0)
        late = _aa_line(dist, 0.0025, foot) * 0.6 + np.exp(-dist / 0.004) * 0.25
        fibre = noise.fbm(u + shift, vv, 0.03, 2 + fine, foot, stretch=12.0, angle=0.0)
        t = 0.97 - late * 0.16 + fibre * 0.05 + ptone + grain * 0.03
        gap = _aa_line((0.5 - np.abs((vv / plank) % 1.0 - 0.5)) * plank, 0.0018, foot)
        # butt joints: each board is cut at its own places along its length
        joint = (0.5 - np.abs((u * 0.7 + shift) % 1.0 - 0.5)) / 0.7
        cut = _aa_line(joint, 0.0018, foot) * 0.7
        return tint(t * (1.0 - 0.5 * np.maximum(gap, cut)))
    if pattern in ("concrete", "plain", "paper"):
        amt = {"concrete": 1.0, "plain": 0.25, "paper": 0.3}[pattern]
        mottle = noise.fbm(u, vv, 0.35, 4, foot, gain=0.55)
        t = 1.0 + mottle * 0.05 * amt
        if pattern == "concrete":
            stains = _smoothstep(-0.2, 1.4, noise.fbm(u, vv, 0.25, 5, foot, gain=0.6))
            agg = noise.fbm(u, vv, 0.006, 2 + fine, foot)
            pores = _smoothstep(1.2, 1.7, noise.fbm(u, vv, 0.0025, 1, foot))
            specks = _smoothstep(1.2, 1.7, noise.fbm(u, vv, 0.0035, 1, foot))
            t = t - stains * 0.06 + agg * 0.06 - pores * 0.25 + specks * 0.08
            img = tint(t)
            warm = _col((150, 140, 124)) * float(base.mean() / 0.62)
            img += (warm - img) * (stains * 0.15)[..., None]
            return img
        if pattern == "paper":
            t = t + noise.fbm(vv, u, 0.01, 2, foot, stretch=4.0) * 0.012
        return tint(t)
    if pattern == "stone":
        # a weathered rock slab: broad bumps lit from the light's side, grit, a few long cracks
        bumps = noise.fbm(u, vv, 0.3, 4, foot, gain=0.55)
        relief = np.gradient(bumps, axis=1) * (ctx.w * 0.02) * (-spec.light_side or 0.5)
        crack = noise.octave(u, vv, 0.35, stretch=3.0)
        lines = _aa_line(np.abs(crack) * (0.35 / 1.6), 0.0018, foot) * _smoothstep(
            0.0, 0.8, noise.fbm(u, vv, 0.5, 2)
        )
        grit = noise.fbm(u, vv, 0.006, 2 + fine, foot)
        pits = noise.spots(u, vv, 0.004, foot, 1.3, 1.8)
        img = tint(1.0 + bumps * 0.07 + relief * 0.05 + grit * 0.07 - pits * 0.2)
        return np.asarray(img * (1.0 - 0.4 * lines)[..., None], np.float32)
    if pattern == "terrazzo":
        t = 1.0 + noise.fbm(u, vv, 0.3, 3, foot) * 0.02 + noise.fbm(u, vv, 0.004, 1, foot) * 0.02
        img = tint(t)
        chips = ((60, 60, 64), (196, 118, 92), (150, 150, 140), (232, 204, 166), (120, 132, 120))
        for k, c in enumerate(chips):
            edge = noise.spots(u, vv, 0.009 if k % 2 else 0.014, foot, 1.35, 1.6)
            shade = _mixc(base, _col(c), 0.75) * (1.0 + noise.octave(u, vv, 0.03) * 0.05)[..., None]
            img += (shade - img) * edge[..., None]
        return img
    if pattern in ("linen", "velvet", "silk", "leather"):
        if pattern == "linen":
            period = 0.004 if not ctx.fine else 0.0028
            fade = np.clip(period / (foot * 4.0) - 1.0, 0.0, 1.0)[:, None]
            weave = np.sin(u * (math.pi / period)) * np.sin(vv * (math.pi / period))
            # uneven weft threads (horizontal in the picture) and soft creases
            slub = noise.fbm(u, vv, 0.012, 2, foot, stretch=4.0, angle=0.0)
            fleck = noise.fbm(u, vv, 0.007, 1 + fine, foot)
            wrinkle = noise.fbm(u, vv, 0.25, 3, foot)
            t = 1.0 + weave * 0.05 * fade + slub * 0.025 + fleck * 0.025 + wrinkle * 0.04
        elif pattern == "velvet":
            # soft folds catching a sheen, and the fine pile
            n = noise.fbm(u, vv, 0.6, 3, foot, stretch=2.0)
            pile = noise.fbm(u, vv, 0.006, 1 + fine, foot)
            t = 0.88 + 0.16 * _smoothstep(-0.8, 0.9, n) ** 2 + pile * 0.03
        elif pattern == "silk":
            n = noise.fbm(u, vv, 0.45, 3, foot, stretch=2.5)
            t = 0.88 + 0.16 * np.sin(n * 5.0 + u * 3.0) ** 2
        else:
            cells = 1.0 - np.abs(noise.fbm(u, vv, 0.006, 2 + fine, foot)) * 1.5
            t = 1.0 + noise.fbm(u, vv, 0.3, 3, foot) * 0.05 - np.clip(cells, 0.0, 1.0) * 0.06
        return tint(t)
    if pattern == "sand":
        warp = noise.fbm(u, vv, 0.25, 3, foot) * 0.05
        phase = (vv + u * 0.1 + warp * 0.5) / 0.02
        rip = np.sin(phase * 2.0 * math.pi)
        fade = np.clip(0.018 / (foot * 4.0) - 0.5, 0.0, 1.0)[:, None]
        grains = noise.fbm(u, vv, 0.0025, 1 + fine, foot)
        glint = noise.spots(u, vv, 0.0022, foot, 1.6, 2.0)
        tone = noise.fbm(u, vv, 0.3, 3, foot)
        t = 1.0 + rip * 0.025 * fade * (0.5 + 0.5 * tone) + grains * 0.05 + tone * 0.04
        return tint(t + glint * 0.25)
    if pattern in ("snow", "ice"):
        n = noise.fbm(u, vv, 0.3, 4, foot)
        img = tint(1.0 + n * 0.03)
        img += (_col((196, 212, 236)) - img) * np.clip(-n * 0.35, 0.0, 0.35)[..., None]
        if pattern == "ice":
            crack = _aa_line(np.abs(noise.fbm(u, vv, 0.2, 3, foot)), 0.006, foot * 2.0)
            img += (_col((250, 252, 255)) - img) * (crack * 0.5)[..., None]
        else:
            glint = noise.spots(u, vv, 0.003, foot, 1.8, 2.2)
            img += glint[..., None] * 0.2
        return img
    if pattern == "grass":
        # a lawn seen from standing height: fine speckle of blades and gaps, clumps, patches
        blades = noise.fbm(u, vv, 0.009, 2 + fine, foot)
        gaps = noise.spots(u, vv, 0.006, foot, 0.9, 1.5)
        clumps = noise.fbm(u, vv, 0.03, 2, foot)
        patch = noise.fbm(u, vv, 0.25, 3, foot)
        t = 0.86 + blades * 0.14 - gaps * 0.25 + clumps * 0.08 + patch * 0.08
        img = tint(t)
        img += (_col((140, 150, 80)) - img) * np.clip(patch * 0.25, 0.0, 0.25)[..., None]
        return img
    if pattern == "metal":
        n = noise.fbm(u, vv, 0.02, 3, foot, stretch=30.0, angle=0.0)
        return tint(1.0 + n * 0.04 + noise.fbm(u, vv, 0.4, 2, foot) * 0.03)
    if pattern == "tile":
        size = 0.25
        gx = np.abs((u / size) % 1.0 - 0.5)
        gy = np.abs((vv / size) % 1.0 - 0.5)
        grout = np.maximum(
            _aa_line(0.5 - gx, 0.012, foot / size), _aa_line(0.5 - gy, 0.012, foot / size)
        )
        tid = (np.floor(u / size) * 13 + np.floor(vv / size) * 7).astype(np.int64) % _LATTICE
        t = 1.0 + noise.lat[tid, 11] * 0.012 + noise.fbm(u, vv, 0.2, 2, foot) * 0.01
        return tint(t * (1.0 - 0.14 * grout))
    if pattern == "pebbles":
        return _pebbles(ctx, pl, base)
    if pattern == "bamboo":
        period = 0.03
        x = (u / period) % 1.0
        fade = np.clip(period / (foot * 3.0) - 0.5, 0.0, 1.0)[:, None]
        t = 1.0 - (0.1 * (1.0 - np.sin(x * math.pi)) ** 2) * fade
        t += noise.fbm(vv, u, 0.05, 2, foot, stretch=8.0, angle=0.0) * 0.04
        return tint(t)
    return tint(1.0 + noise.fbm(u, vv, 0.35, 3, foot) * 0.012)


def _pebbles(ctx: _Ctx, pl: _Plane, base: F32) -> F32:
    """Rounded, shaded stones drawn once into a tile and laid over the plane."""
    rng = ctx.rng
    n = 384 if ctx.fine else 256
    tile = np.ascontiguousarray(np.broadcast_to(base * 0.55, (n, n, 3)), np.float32)
    for _ in range(int(n * n / 260)):
        r = int(rng.uniform(0.03, 0.06) * n)
        x, y = int(rng.uniform(0, n)), int(rng.uniform(0, n))
        c = base * rng.uniform(0.75, 1.15) * np.array(rng.uniform(0.95, 1.05, 3), np.float32)
        axes = (r, int(r * rng.uniform(0.65, 0.9)))
        ang = float(rng.uniform(0, 180))
        for dx in (-n, 0, n):  # wrap the stones around the tile's edges
            for dy in (-n, 0, n):
                centre = (x + dx, y + dy)
                cv2.ellipse(tile, centre, axes, ang, 0, 360, (0.0, 0.0, 0.0), -1, cv2.LINE_AA)
                cv2.ellipse(
                    tile,
                    centre,
                    (max(1, axes[0] - 2), max(1, axes[1] - 2)),
                    ang,
                    0,
                    360,
                    tuple(float(v) for v in c),
                    -1,
                    cv2.LINE_AA,
                )
                hl = (x + dx - r // 4, y + dy - r // 4)
                cv2.ellipse(
                    tile,
                    hl,
                    (max(1, r // 2), max(1, r // 3)),
                    ang,
                    0,
                    360,
                    tuple(float(v) for v in _mixc(c, _col((255, 255, 255)), 0.12)),
                    -1,
                    cv2.LINE_AA,
                )
    soft = np.asarray(cv2.GaussianBlur(tile, (0, 0), n / 160), np.float32)
    period = 0.45  # plane units per tile
    mx = np.mod(pl.u / period * n, n).astype(np.float32)
    my = np.mod(np.broadcast_to(pl.v, pl.u.shape) / period * n, n).astype(np.float32)
    return np.asarray(
        cv2.remap(soft, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.float32
    )


def _accent(spec: SceneSpec) -> RGB:
    for n in spec.concepts:
        acc = BY_NAME[n].params.get("accent")
        if isinstance(acc, tuple):
            return (int(acc[0]), int(acc[1]), int(acc[2]))
    return (150, 148, 150)
