"""The last layer: sun beams, spot and neon light, warm/cool grade, saturation, vignette
and a soft highlight shoulder; then film grain (``v3``) and dithering before quantising, so
gradients do not band."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.classic.scene.primitives import RGBImage, _blur, _col, _Ctx, _resize


def _sunbeams(ctx: _Ctx) -> None:
    w, h = ctx.w, ctx.h
    lw, lh = max(8, w // 4), max(8, h // 4)
    m = np.zeros((lh, lw), np.uint8)
    side = ctx.spec.light_side if abs(ctx.spec.light_side) > 0.1 else -0.5
    x0 = 0 if side < 0 else lw
    for k in range(3):
        off = (0.15 + k * 0.2) * lw
        wdt = lw * (0.06 + 0.03 * k)
        sgn = 1 if side < 0 else -1
        pts = np.array(
            [
                [x0 + sgn * off, 0],
                [x0 + sgn * (off + wdt), 0],
                [x0 + sgn * (off + wdt + lw * 0.5), lh],
                [x0 + sgn * (off + lw * 0.5), lh],
            ],
            np.int32,
        )
        cv2.fillPoly(m, [pts], 255)
    a = _resize(_blur(m.astype(np.float32) / 255, lw * 0.02), w, h)
    ctx.img += _col((255, 236, 200)) * (a * 0.12)[..., None]


def _grade(ctx: _Ctx) -> None:
    spec, img, w, h = ctx.spec, ctx.img, ctx.w, ctx.h
    if "+sunbeam" in spec.moods and spec.layout in ("studio", "tabletop"):
        _sunbeams(ctx)
    if "+spot" in spec.moods:
        lw, lh = max(8, w // 8), max(8, h // 8)
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        d = (xx / lw - 0.5) ** 2 + (yy / lh - 0.45) ** 2 * 0.7
        spot = _resize(np.asarray(0.55 + 0.6 * np.exp(-d / 0.06), np.float32), w, h)
        img *= spot[..., None]
    if "+neon" in spec.moods:
        lw = max(8, w // 8)
        ramp = np.linspace(0, 1, lw, dtype=np.float32)
        tint = (
            _col((255, 60, 200))[None, :] * (1 - ramp[:, None])
            + _col((40, 180, 255))[None, :] * ramp[:, None]
        )
        img += _resize(np.asarray(tint[None, :, :] * np.ones((8, 1, 1), np.float32)), w, h) * 0.12
    warm = spec.light_warmth
    gain = np.array([1 + 0.06 * warm, 1 + 0.012 * warm, 1 - 0.07 * warm], np.float32)
    img *= gain * spec.brightness
    if abs(spec.saturation - 1.0) > 0.01:
        lum = img.mean(axis=2, keepdims=True)
        img[:] = lum + (img - lum) * spec.saturation
    vig = spec.vignette
    if vig > 0.01:
        lw, lh = max(8, w // 8), max(8, h // 8)
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        d = (xx / (lw - 1) - 0.5) ** 2 + (yy / (lh - 1) - 0.5) ** 2
        v = _resize(np.asarray(1 - vig * np.clip(d / 0.5, 0, 1) ** 1.3, np.float32), w, h)
        img *= v[..., None]
    # soft shoulder: highlights roll off instead of clipping flat
    over = img > 0.9
    if over.any():
        img[over] = 0.9 + (1 - np.exp(-(img[over] - 0.9) * 10)) * 0.1


def _finish(ctx: _Ctx) -> RGBImage:
    img = ctx.img
    rng = ctx.rng
    if ctx.fine or "+grain" in ctx.spec.moods:
        g = rng.standard_normal((ctx.h // 2 + 1, ctx.w // 2 + 1)).astype(np.float32)
        g = _resize(g, ctx.w, ctx.h)
        img += (g * (0.006 if ctx.fine else 0.015))[..., None]
    # triangular dither from a tiled pattern: no banding in the smooth gradients
    tile = (rng.uniform(size=(64, 64, 3)) + rng.uniform(size=(64, 64, 3)) - 1).astype(np.float32)
    reps = (ctx.h // 64 + 1, ctx.w // 64 + 1, 1)
    dither = np.tile(tile, reps)[: ctx.h, : ctx.w]
    out = img * 255.0 + dither
    return np.asarray(np.clip(out + 0.5, 0, 255), dtype=np.uint8)
