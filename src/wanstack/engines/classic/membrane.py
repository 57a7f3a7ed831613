"""Membrane (Poisson-style) correction of a patch fill's colour and shading at the hole's edge.

A patch fill copies texture from elsewhere in the photo, and with it that place's colour and
shading: a sky from higher up is darker, a wall in shadow is greyer. :func:`correct` measures the
offset where the fill meets the photo and spreads it smoothly into the hole, as the membrane of
seamless cloning (Pérez et al. 2003) does: the copied texture and its contrast stay, the step at
the edge goes. It replaces the earlier average of the fill's shading with a diffusion fill's,
which turned texture in the middle of a large hole into smear.

The offset is measured twice:

* on the *feather ring* (known pixels that the fill also covers, blended over in the composite):
  the photo minus the fill, smoothed along the ring (σ ``RING_SIGMA``);
* on the hole's *rim* (hole pixels within ``RIM_PX`` of the edge): the photo's local mean just
  outside minus the fill's local mean just inside, over σ ``EDGE_SIGMA``. This catches a fill that
  matches the ring but drifts to another shade a few pixels in; the wide σ keeps a brick's mortar
  line on one side and not the other from reading as an offset.

Offsets far beyond the typical one are structure, not shading (the fill moved a branch or a
mortar line), and are clamped. Both are spread over the hole by push-pull interpolation (Gortler
et al. 1996) and smoothed. The correction is smooth, so it is computed at 1/``SCALE`` of the
working resolution.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage

Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float32]

RING_SIGMA = 3.0  #: px; smoothing of the offsets along the ring and rim, and of the result
EDGE_SIGMA = 12.0  #: px; the local means compared across the hole's edge
RIM_PX = 3.0  #: px; hole pixels this near the edge carry the edge offset
CLAMP = 3.0  #: offsets beyond this × their median over the ring and rim are clamped
SCALE = 2  #: the correction is computed at this reduction


def correct(fill: Floats, base: RGBImage, hole: Mask, ring: Mask) -> Floats:
    """``fill`` (float RGB over the whole crop) with the offset against ``base`` at the edge of
    ``hole`` spread into it. ``ring`` is the feather ring outside the hole that the fill covers.

    Pixels far from the hole change by the spread offset too; the caller composites only the hole
    and the ring."""
    h, w = hole.shape
    size = (max(8, round(w / SCALE)), max(8, round(h / SCALE)))
    small_fill = np.asarray(cv2.resize(fill, size, interpolation=cv2.INTER_AREA), np.float32)
    small_base = np.asarray(cv2.resize(base, size, interpolation=cv2.INTER_AREA), np.float32)
    small_hole = _shrink(hole, size)
    small_ring = _shrink(ring, size) & ~small_hole
    offset = _offset(small_fill, small_base, small_hole, small_ring, w / size[0])
    up = np.asarray(cv2.resize(offset, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    return fill + up


def _shrink(mask: Mask, size: tuple[int, int]) -> Mask:
    cover = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return np.asarray(cover > 0.5)


def _offset(fill: Floats, base: Floats, hole: Mask, ring: Mask, scale: float) -> Floats:
    """The smooth correction field at this resolution (``scale`` working px per px)."""
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    rim = hole & (inside <= max(1.0, RIM_PX / scale))
    edge_sigma = EDGE_SIGMA / scale
    across = _local_mean(base, ~hole, edge_sigma) - _local_mean(fill, hole, edge_sigma)
    diff = np.where(ring[..., None], base - fill, across)
    where = ring | rim
    if where.any():
        # structure that the fill puts elsewhere (a branch, a mortar line) differs a lot on a
        # few pixels, a shading offset a little on many: clamp the few, or they glow
        limit = CLAMP * np.median(np.abs(diff[where]), axis=0) + 2.0
        diff = np.clip(diff, -limit, limit)
    along = _local_mean(diff, where, RING_SIGMA / scale)
    spread = _push_pull(along, where.astype(np.float32))
    return np.asarray(cv2.GaussianBlur(spread, (0, 0), RING_SIGMA / scale), dtype=np.float32)


def _local_mean(values: Floats, where: Mask, sigma: float) -> Floats:
    """Gaussian-weighted mean of ``values`` over the pixels in ``where`` (normalised
    convolution)."""
    w = where.astype(np.float32)
    num = np.asarray(cv2.GaussianBlur(values * w[..., None], (0, 0), sigma), dtype=np.float32)
    den = np.asarray(cv2.GaussianBlur(w, (0, 0), sigma), dtype=np.float32)
    return (num / np.maximum(den, 1e-6)[..., None]).astype(np.float32)


def _push_pull(values: Floats, weight: Floats) -> Floats:
    """``values`` (known where ``weight`` > 0) spread over the whole image: a pyramid of weighted
    averages, read back from the coarsest level up, each level keeping its own average where it
    has enough weight (a pixel of level ``d`` stands for 4**d pixels)."""
    pyramid: list[tuple[Floats, Floats]] = []
    v, wt = values * weight[..., None], weight
    while min(wt.shape) > 2:
        pyramid.append((v, wt))
        size = ((wt.shape[1] + 1) // 2, (wt.shape[0] + 1) // 2)
        v = np.asarray(cv2.resize(v, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
        wt = np.asarray(cv2.resize(wt, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    estimate = v / np.maximum(wt, 1e-6)[..., None]
    for depth in range(len(pyramid) - 1, -1, -1):
        v, wt = pyramid[depth]
        size = (wt.shape[1], wt.shape[0])
        up = np.asarray(cv2.resize(estimate, size, interpolation=cv2.INTER_LINEAR), np.float32)
        own = np.minimum(wt * 4.0**depth, 1.0)[..., None]
        estimate = own * (v / np.maximum(wt, 1e-6)[..., None]) + (1.0 - own) * up
    return estimate.astype(np.float32)
