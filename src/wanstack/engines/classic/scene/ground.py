"""The ground layer: the floor or tabletop in perspective (its material from
:mod:`.materials`, the light pool, depth of field, haze, mirror images on glossy floors) and seas
and lakes with ripples, glitter and a shoreline."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.classic.scene.materials import _plane, _surface
from wanstack.engines.classic.scene.primitives import (
    F32,
    _col,
    _Ctx,
    _fast_blur,
    _fbm,
    _haze_color,
    _Noise,
    _over,
    _profile,
    _smoothstep,
)


def _vanishing(ctx: _Ctx, y0: int) -> float:
    """The vanishing line of a floor whose back edge is at ``y0``: the horizon itself outdoors,
    above a table's back edge indoors (the table ends about three distances away)."""
    if ctx.spec.layout == "outdoor":
        return float(y0)
    return y0 - (ctx.h - y0) / 2.6


def _ground(ctx: _Ctx, y0: int) -> None:
    """The floor or tabletop from ``y0`` to the bottom, in perspective: its material, the light
    pool around the product, depth of field behind the product, distance haze outdoors and the
    mirror image of what stands above it on glossy floors."""
    spec, w, h = ctx.spec, ctx.w, ctx.h
    ph = h - y0
    if ph <= 1:
        return
    pattern = spec.surface or "plain"
    pl = _plane(w, h, y0, _vanishing(ctx, y0), w / 2)
    plane = _surface(ctx, pattern, pl)
    rows = (np.arange(ph, dtype=np.float32) + 0.5)[:, None]
    yy = rows / ph
    xx = (np.arange(w, dtype=np.float32) + 0.5)[None, :] / w
    # depth of field: in focus where the product stands, softer the farther behind it
    focus = ctx.floor_y if ctx.fp is not None else int(h * 0.86)
    dof = 0.5 if "+sharp" in spec.moods else (1.6 if "+dof" in spec.moods else 1.0)
    strength = (0.006 if spec.layout == "outdoor" else 0.011) * dof * w
    coc = np.clip((focus - y0 - rows[:, 0]) / max(h - pl.yv, 1.0), 0.0, None) * strength
    plane = _depth_blur(plane, coc)
    # light: a pool around the product, falling off toward the front and the sides
    px = (ctx.fp.cx / w) if ctx.fp is not None else 0.5 + spec.light_side * 0.1
    pool = np.exp(-((xx - px) ** 2) / 0.22 - ((yy - 0.45) ** 2) / 0.5)
    plane *= (0.86 + 0.18 * pool)[..., None]
    if spec.layout == "outdoor":
        haze = _haze_color(ctx)
        # the ground takes the colour of the sky light: warm at sunset, blue at night
        plane += (plane * (haze / max(float(haze.mean()), 1e-3)) - plane) * 0.35
        dist = 1.0 - np.exp(-(pl.v - 1.0) * (0.05 + 0.08 * spec.haze))
        hz = np.clip(dist + np.clip(1 - yy / 0.08, 0, 1) ** 2 * 0.5, 0.0, 1.0)
        plane += (haze - plane) * hz[..., None]
    elif spec.layout == "tabletop":
        # the table's back edge catches a little light
        edge = np.exp(-(rows**2) / (2 * max(1.0, h * 0.002) ** 2)) * 0.06
        plane *= (1 + edge)[..., None]
    # glossy floors mirror what stands above the edge
    refl = 0.0
    if spec.glossy:
        refl = {"water": 0.75, "plain": 0.45, "metal": 0.35, "ice": 0.35}.get(pattern, 0.22)
    if refl > 0:
        src_rows = np.clip(y0 - 1 - np.arange(ph) * 0.85, 0, y0 - 1).astype(np.float32)
        mx = np.repeat(np.arange(w, dtype=np.float32)[None, :], ph, axis=0)
        my = np.repeat(src_rows[:, None], w, axis=1)
        if pattern == "water":
            rip = _fbm(ctx.rng, ph, w, w / 25, 3, stretch=6.0)
            mx = np.asarray(mx + rip * (2 + yy * w * 0.02), np.float32)
            my = np.asarray(my + rip * yy * h * 0.01, np.float32)
        mirror = np.asarray(
            cv2.remap(ctx.img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), np.float32
        )
        mirror = _fast_blur(mirror, 1.0 + w * 0.004 * (0 if pattern == "water" else 1))
        fres = refl * (0.35 + 0.65 * (1 - yy) ** 2)
        plane += (mirror * 0.92 - plane) * fres[..., None]
        if pattern == "water":
            lines = _fbm(ctx.rng, ph, w, w / 60, 2, stretch=10.0)
            plane *= (1 + lines * 0.05 * (0.3 + yy))[..., None]
    ctx.reflectivity = refl
    ctx.img[y0:] = plane


def _depth_blur(img: F32, sigma: F32) -> F32:
    """Blur that grows row by row (``sigma`` per row): blends of a few uniformly blurred copies."""
    top = float(sigma.max())
    if top < 0.5:
        return img
    levels = [0.0, top / 3.0, top * 2.0 / 3.0, top]
    copies = [img] + [_fast_blur(img, s) for s in levels[1:]]
    pos = np.clip(sigma / (top / 3.0), 0.0, 2.999)
    k = pos.astype(np.int64)
    f = (pos - k).astype(np.float32)[:, None, None]
    out = np.empty_like(img)
    for i in range(3):
        rows = k == i
        if rows.any():
            out[rows] = copies[i][rows] * (1.0 - f[rows]) + copies[i + 1][rows] * f[rows]
    return out


def _water_band(ctx: _Ctx, hy: int, shore: int, params: dict[str, object]) -> None:
    """Sea or lake between the horizon and a wavy shoreline, in perspective: the sky and the
    land mirrored and broken up by ripples that get finer with distance, glitter on the sun's
    path, surf on a sea shore, wet sand below it."""
    rng, w, h = ctx.rng, ctx.w, ctx.h
    bh = max(2, min(h - hy, shore - hy + int(h * 0.03)))
    pl = _plane(w, hy + bh, hy, float(hy), w / 2)
    noise = _Noise(rng)
    vv = np.broadcast_to(pl.v, pl.u.shape)
    rip = noise.fbm(pl.u, vv, 0.08, 4 if ctx.fine else 3, pl.foot, stretch=5.0, angle=0.0)
    ys = np.arange(bh, dtype=np.float32)[:, None]
    # the ripples' slope toward the viewer (plane units): it bends the mirror image and shades
    slope = np.gradient(rip, axis=0) / np.gradient(pl.v[:, 0])[:, None] * 0.012
    slope = np.clip(slope, -1.0, 1.0)
    mx = np.arange(w, dtype=np.float32)[None, :] + rip * (1.0 + ys * 0.02)
    my = (hy - 1 - ys) + slope * (2.0 + ys * 0.15)
    mirror = np.asarray(
        cv2.remap(
            ctx.img,
            np.ascontiguousarray(np.broadcast_to(mx, (bh, w)), np.float32),
            np.ascontiguousarray(np.clip(my, 0, hy - 1), np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        ),
        np.float32,
    )
    lake = params.get("style") == "lake"
    night = ctx.spec.time_of_day == "night"
    deep = _col((6, 12, 26)) if night else (_col((30, 60, 56)) if lake else _col((24, 70, 100)))
    t = np.clip(ys / max(bh, 1), 0, 1)[..., None]
    fresnel = 0.82 - 0.3 * t  # grazing far away: mostly mirror; nearer: the water's own colour
    water = mirror * fresnel + deep * (1.0 - fresnel)
    water *= 1 + slope[..., None] * 0.12
    if ctx.sun is not None and ctx.sun[1] < hy and ctx.sun_rgb is not None:
        spread = w * (0.015 + 0.06 * t[..., 0])
        path = np.exp(-((np.arange(w)[None, :] - ctx.sun[0]) ** 2) / (2 * spread**2))
        sparkle = _smoothstep(0.9, 1.6, noise.fbm(pl.u, vv, 0.01, 2, pl.foot, stretch=4.0))
        strength = {"sunset": 1.2, "golden": 1.0, "morning": 0.8, "day": 0.5}.get(
            ctx.spec.time_of_day, 0.2
        )
        water += ctx.sun_rgb * (sparkle * path * strength)[..., None]
    shore_prof = shore + _profile(rng, w, w / 3, 3, False) * h * 0.012
    rows = ys + hy
    a = np.clip(shore_prof[None, :] - rows + 0.5, 0, 1)
    if lake:
        foam = np.zeros_like(a)
    else:
        foam = np.exp(-((shore_prof[None, :] - rows - h * 0.003) ** 2) / (2 * (h * 0.003) ** 2))
        foam = foam * (0.6 + 0.4 * _smoothstep(-0.5, 0.5, rip))
    water += (_col((250, 250, 248)) - water) * (foam * 0.6)[..., None]
    _over(ctx.img, np.asarray(water, np.float32), np.clip(a + foam * 0.6, 0, 1), hy)
    # wet sand darker just below the shore
    wet = np.clip(1 - (rows - shore_prof[None, :]) / (h * 0.04), 0, 1) * (1 - a)
    ctx.img[hy : hy + bh] *= (1 - wet * 0.18)[..., None]
