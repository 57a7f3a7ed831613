"""Segmentation of the product at the estimate size: strong pixels, crisp edges ("walls"),
the flood of the backdrop and its soft shadows, see-through parts, then GrabCut."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.base import RGBImage
from wanstack.engines.cutout.backdrop import border_band, distance, shadow_like, shadow_score
from wanstack.engines.cutout.regions import (
    Float,
    Labels,
    Mask,
    components,
    disk,
    fill_holes,
    label,
    label_means,
    spans,
)

GRABCUT_ITERATIONS = 4
GRABCUT_SEED = 20261207


def _gradient(image: Float, sigma: float) -> Float:
    """Gradient magnitude (levels per pixel, all channels) after a Gaussian blur of ``sigma``."""
    b = cv2.GaussianBlur(image, (0, 0), sigma)
    gx = cv2.Sobel(b, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(b, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.asarray(np.sqrt((gx * gx + gy * gy).sum(axis=2)), np.float32)


def _walls(small: RGBImage, border: Mask, raw: Float, noise: float) -> Mask:
    """Crisp edges: steep at a fine scale and much less steep at a coarse one. A step's peak
    gradient falls with the blur (σ 1 → 3: about 2.5×); a soft shadow's rim, already blurred by
    several pixels, is about as steep at both, so shadows make no walls at any resolution.
    An edge must also separate pixels that differ in how far they are from the backdrop: JPEG
    ringing beside a strong edge is crisp too, but backdrop on both sides."""
    image = small.astype(np.float32)
    fine, coarse = _gradient(image, 1.0), _gradient(image, 3.0)
    tau = max(2.5, 4.0 * float(np.median(fine[border])))
    walls = (fine > tau) & (fine > 1.5 * coarse)
    kernel = np.ones((5, 5), np.uint8)
    spread = np.asarray(cv2.dilate(raw, kernel), np.float32) - np.asarray(
        cv2.erode(raw, kernel), np.float32
    )
    walls &= spread > 1.0 + 1.0 * noise
    return np.asarray(cv2.dilate(walls.astype(np.uint8), disk(1)) > 0, bool)


def _see_through(labels: Labels, n: int, residual: Float, raw: Float, noise: float) -> Mask:
    """Which labelled pieces show the backdrop: a handle's hole matches the backdrop model to
    within the noise; clear glass shifts it a little, by the same amount all over (its robust
    spread stays near the noise, where a white product's lit face is shaded across)."""
    mean = label_means(labels, n, raw)
    order = np.argsort(labels.ravel(), kind="stable")
    starts = np.searchsorted(labels.ravel()[order], np.arange(n + 1))
    flat = residual.reshape(-1, 3)[order]
    clear = np.zeros(n, bool)
    for i in range(1, n):
        if mean[i] >= 3.0 + 3.0 * noise or starts[i + 1] - starts[i] < 4:
            continue
        if mean[i] < 1.0 + 1.2 * noise:
            clear[i] = True
            continue
        piece = flat[starts[i] : starts[i + 1]]
        deviation = np.sqrt(((piece - np.median(piece, axis=0)) ** 2).sum(axis=1))
        clear[i] = 1.4826 * float(np.median(deviation)) < 1.5 + 1.0 * noise
    return clear


def _flood(walls: Mask, strong: Mask, score: Float, high: float, border: Mask) -> Mask:
    """What the backdrop reaches from the border without crossing a wall or a strong pixel.
    The flood runs on walls and strong pixels 3 px thicker, so that it cannot leak through a
    short break (at a corner a nearby edge can hide a weak one), then a geodesic dilation takes
    back those pixels and reaches into narrow backdrop wedges (between a bottle's shoulder and
    its neck), but only a few pixels into what a wider break let it into. A piece touching the
    border counts as backdrop only when its mean score says so (a product may touch it)."""
    thick = cv2.dilate((walls | strong).astype(np.uint8), disk(3)) > 0
    n, labels = label(~thick)
    mean_score = label_means(labels, n, score)
    touching = np.unique(labels[border])
    outside = np.zeros(n, bool)
    outside[touching] = mean_score[touching] < high
    outside[0] = False  # the thick walls themselves
    free = (~walls & ~strong).astype(np.uint8)
    flood = outside[labels].astype(np.uint8)
    for _ in range(8):
        flood = np.asarray(cv2.dilate(flood, disk(1)), np.uint8) & free
    return np.asarray(flood > 0, bool)


def _region(solid: Mask, walls: Mask, side: int) -> Mask:
    """The product's outline (its solid parts and the long crisp edges near them), closed over
    gaps (a white product standing in its own shadow has no crisp edge at its base), and what
    that encloses, but not what the closing itself added: it also rounds off concave corners
    and bridges into the shadow at a product's base."""
    vicinity = cv2.dilate(solid.astype(np.uint8), disk(side // 20 + 1)) > 0
    edges = walls & vicinity
    _, pieces, stats, _ = cv2.connectedComponentsWithStats(edges.astype(np.uint8), connectivity=8)
    long_enough = np.asarray(stats[:, cv2.CC_STAT_AREA] >= side // 12)  # not noise's specks
    long_enough[0] = False
    outline = solid | long_enough[np.asarray(pieces, np.int32)]
    closed = cv2.morphologyEx(outline.astype(np.uint8), cv2.MORPH_CLOSE, disk(side // 50 + 1)) > 0
    return np.asarray(outline | (fill_holes(closed) & ~closed), bool)


def segment_product(
    small: RGBImage, lab: Float, model: Float, noise: float
) -> tuple[Mask, Mask, Mask]:
    """The product's hard mask at the estimate size, the see-through parts it encloses, and
    the backdrop around it that looks shadowed."""
    score = shadow_score(lab, model)
    raw = distance(lab, model)
    h, w = score.shape
    side = min(h, w)
    low = 2.0 + 2.5 * noise
    high = 8.0 + 4.0 * noise
    border = border_band(h, w)
    # a. strong pixels: clearly not the backdrop, nor a shadow on it
    strong = cv2.morphologyEx((score > high).astype(np.uint8), cv2.MORPH_OPEN, disk(1)) > 0
    big = components(strong, 0.02)
    near_big = cv2.dilate(big.astype(np.uint8), disk(side // 25 + 1)) > 0
    strong = big | (components(strong, 0.0) & near_big)  # small parts (gloss lines) near it
    # b. regions closed off by crisp edges: whatever the backdrop and its soft shadows cannot
    #    reach without crossing one (a pale label, a white cap, a glass's outline)
    walls = _walls(small, border, raw, noise)
    flooded = _flood(walls, strong, score, high, border)
    enclosed = ~flooded & ~walls
    solid = enclosed | strong
    if solid.sum() < max(16, 1e-4 * h * w):
        return np.zeros((h, w), bool), np.zeros((h, w), bool), np.zeros((h, w), bool)
    solid = components(solid, 0.0) & (
        cv2.dilate(components(solid, 0.05).astype(np.uint8), disk(side // 25 + 1)) > 0
    )
    # c. the product's outline and what it encloses
    region_m = _region(solid, walls, side)
    # see-through pieces inside it (a handle's hole, clear glass) barely differ from the
    # backdrop model
    inside = region_m & ~walls & ~strong
    n, labels = label(inside)
    clear_of = _see_through(labels, n, lab - model, raw, noise)
    clear = clear_of[labels]
    solid &= ~clear
    # shadows lie below or beside a product, never between its parts: what the backdrop
    # reaches, looks like shadow and is not between two solid parts stays probably backdrop
    between = spans(solid)
    shadowy = flooded & ((score <= low) | shadow_like(lab, model, noise)) & ~between
    near = cv2.dilate(region_m.astype(np.uint8), disk(side // 30 + 2)) > 0
    gc = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    gc[~near & flooded & ~between & (score < high)] = cv2.GC_BGD
    gc[(region_m | (between & (raw > low))) & ~shadowy] = cv2.GC_PR_FGD
    gc[near & ~region_m & ~flooded & (score > low)] = cv2.GC_PR_FGD
    gc[walls & ~solid & (score <= low)] = cv2.GC_PR_BGD  # an edge's outer half
    gc[clear] = cv2.GC_BGD  # seen through: GrabCut's gloss-white model must not take it
    gc[shadowy & ~region_m] = cv2.GC_BGD  # a shadow the backdrop's flood reached
    core = cv2.erode(solid.astype(np.uint8), disk(1)) > 0
    gc[core] = cv2.GC_FGD
    # thin backdrop-like strips inside (gloss highlights) are product
    pieces = region_m & (score <= low) & ~clear
    if pieces.any():
        thick = cv2.distanceTransform(pieces.astype(np.uint8), cv2.DIST_L2, 3)
        m, plabels = label(pieces, 8)
        widest = np.zeros(m, np.float32)
        np.maximum.at(widest, plabels.ravel(), thick.ravel())
        thin = (widest < max(2.0, side / 120))[plabels] & pieces
        gc[thin] = cv2.GC_FGD
    if not (gc == cv2.GC_BGD).any():
        gc[border] = cv2.GC_BGD  # GrabCut needs some background to model
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models with k-means++ from OpenCV's per-thread RNG: seeding it
    # makes the cut the same on every call (the rectangle is ignored with GC_INIT_WITH_MASK)
    cv2.setRNGSeed(GRABCUT_SEED)
    cv2.grabCut(small, gc, (0, 0, w, h), bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    fg = components(fg, 0.05)
    # specks of backdrop left inside (noise), but not real holes
    holes = fill_holes(fg) & ~fg
    tiny = holes & (cv2.morphologyEx(holes.astype(np.uint8), cv2.MORPH_OPEN, disk(1)) == 0)
    return np.asarray(fg | tiny, bool), clear & holes, shadowy & ~fg
