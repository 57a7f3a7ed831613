"""The matte: alpha in a band around the cut from the carried-in product and backdrop
colours, partial alpha for see-through parts, and the guided-filter step to full size."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.base import RGBAImage, RGBImage
from wanstack.engines.cutout.regions import Float, Mask, disk

CLEAR_FULL = 10.0  #: ΔE from the backdrop at which a see-through part's alpha would reach 1
CLEAR_MAX = 0.9  #: see-through parts never get more alpha than this


def _blur(image: Float, sigma: float) -> Float:
    """A Gaussian blur of any ``sigma`` at a bounded cost: wide ones run on a shrunk copy."""
    h, w = image.shape[:2]
    factor = max(1.0, sigma / 2.0)
    if factor <= 1.5:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.float32)
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _spread(image: Float, known: Mask, sigma: float) -> Float:
    """Colours of the ``known`` pixels carried into the unknown ones (normalised convolution;
    falls back to a wider kernel where no known pixel is near)."""
    weight = known.astype(np.float32)
    out = image.copy()
    missing = ~known
    for s in (sigma, sigma * 4, sigma * 16, sigma * 64):
        if not missing.any():
            break
        num = _blur(image * weight[..., None], s)
        den = _blur(weight, s)
        ok = missing & (den > 1e-3)
        out[ok] = num[ok] / den[ok][:, None]
        missing &= ~ok
    return out


def estimate_matte(
    work: RGBImage, product: Mask, shadowed: Mask
) -> tuple[Float, Float, Float, Mask]:
    """Alpha, product colour, backdrop colour (0…1, matte size) and the band where alpha was
    estimated. ``shadowed`` (estimate size): backdrop darkened like a shadow, outside the
    product."""
    h, w = work.shape[:2]
    scale = max(h, w) / max(product.shape)
    hard = cv2.resize(product.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    r = max(3, round(1.5 * scale + 3.5))
    inner = cv2.erode(hard.astype(np.uint8), disk(r)) > 0
    outer = cv2.dilate(hard.astype(np.uint8), disk(r)) > 0
    band = outer & ~inner
    image = work.astype(np.float32) / 255.0
    fore = _spread(image, inner, r)
    back = _spread(image, ~outer, r)
    diff = fore - back
    norm2 = (diff**2).sum(axis=2)
    projected = ((image - back) * diff).sum(axis=2) / np.maximum(norm2, 1e-6)
    # trust the projection as far as F and B differ (in 0…1 RGB, ~0.06 = 15 levels)
    trust = norm2 / (norm2 + 0.06**2)
    soft = cv2.GaussianBlur(hard.astype(np.float32), (0, 0), 0.8 * scale)
    estimate = trust * np.clip(projected, 0.0, 1.0) + (1.0 - trust) * soft
    alpha = np.where(band, estimate, hard.astype(np.float32))
    # outside the cut, a shadow darker than the backdrop carried in from further out is still
    # a shadow, not a mix with the product (the carried-in backdrop misses its darkest core)
    shade = cv2.resize(shadowed.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    alpha[band & ~hard & shade] = 0.0
    return np.asarray(alpha, np.float32), fore, back, band


def clear_alpha(alpha: Float, band: Mask, clear: Mask, raw: Float, noise: float) -> None:
    """Partial alpha, in place, for see-through parts: their distance from the backdrop model,
    beyond the noise, against :data:`CLEAR_FULL` (a clear glass's tint over paper is a few ΔE;
    a handle's hole stays at 0)."""
    h, w = alpha.shape
    up = cv2.resize(clear.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    up &= cv2.erode(up.astype(np.uint8), disk(1)) > 0
    dist = cv2.resize(cv2.GaussianBlur(raw, (0, 0), 1.0), (w, h), interpolation=cv2.INTER_LINEAR)
    alpha[up] = np.clip((dist[up] - noise) / CLEAR_FULL, 0.0, CLEAR_MAX)
    band |= up


def _box(x: Float, r: int) -> Float:
    return np.asarray(cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1)), np.float32)


def _guided_coefficients(guide: Float, p: Float, r: int, eps: float) -> tuple[Float, Float]:
    """He et al.'s guided filter with a colour guide: per pixel ``a`` (H×W×3) and ``b`` such
    that ``q = a·I + b`` (already box-averaged, ready to be upsampled)."""
    mean_i = _box(guide, r)
    mean_p = _box(p, r)
    cov = _box(guide * p[..., None], r) - mean_i * mean_p[..., None]

    def var(i: int, j: int) -> Float:
        v = _box(guide[..., i] * guide[..., j], r) - mean_i[..., i] * mean_i[..., j]
        return np.asarray(v + eps if i == j else v, np.float32)

    # the 3×3 covariance inverted in closed form (adjugate / determinant), pixel by pixel
    rr, rg, rb, gg, gb, bb = var(0, 0), var(0, 1), var(0, 2), var(1, 1), var(1, 2), var(2, 2)
    inv_rr = gg * bb - gb * gb
    inv_rg = gb * rb - rg * bb
    inv_rb = rg * gb - gg * rb
    inv_gg = rr * bb - rb * rb
    inv_gb = rb * rg - rr * gb
    inv_bb = rr * gg - rg * rg
    det = rr * inv_rr + rg * inv_rg + rb * inv_rb
    cr, cg, cb = cov[..., 0], cov[..., 1], cov[..., 2]
    a = (
        np.stack(
            [
                inv_rr * cr + inv_rg * cg + inv_rb * cb,
                inv_rg * cr + inv_gg * cg + inv_gb * cb,
                inv_rb * cr + inv_gb * cg + inv_bb * cb,
            ],
            axis=2,
        )
        / det[..., None]
    )
    b = mean_p - (a * mean_i).sum(axis=2)
    return _box(np.asarray(a, np.float32), r), _box(np.asarray(b, np.float32), r)


def full_size(
    rgb: RGBImage, work: RGBImage, alpha: Float, fore: Float, back: Float, band: Mask
) -> RGBAImage:
    h, w = rgb.shape[:2]
    wh, ww = work.shape[:2]
    guide = work.astype(np.float32) / 255.0
    a, b = _guided_coefficients(guide, alpha, 2, 1e-3)
    image = rgb.astype(np.float32) / 255.0
    if (wh, ww) != (h, w):
        size = (w, h)

        def up(x: Float) -> Float:
            return np.asarray(cv2.resize(x, size, interpolation=cv2.INTER_LINEAR), np.float32)

        a, b, fore, back = up(a), up(b), up(fore), up(back)
        alpha = up(alpha)
        band = cv2.resize(band.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        band = cv2.dilate(band.astype(np.uint8), disk(1)) > 0
    refined = np.clip((a * image).sum(axis=2) + b, 0.0, 1.0)
    out_alpha = np.where(band, refined, np.round(alpha))
    # un-mix the backdrop from edge colours: F = B + (I − B)/α, blended toward the carried-in
    # product colour where α is too small for the division to be stable
    safe = np.maximum(out_alpha, 1e-3)[..., None]
    unmixed = np.clip(back + (image - back) / safe, 0.0, 1.0)
    t = np.clip((out_alpha - 0.1) / 0.3, 0.0, 1.0)[..., None]
    colour = unmixed * t + fore * (1.0 - t)
    colour_u8 = np.round(colour * 255.0).astype(np.uint8)
    alpha_u8 = np.round(out_alpha * 255.0).astype(np.uint8)
    out = np.dstack([np.where((alpha_u8 == 255)[..., None], rgb, colour_u8), alpha_u8])
    return np.asarray(out, np.uint8)
