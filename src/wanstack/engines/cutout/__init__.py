"""Product cutouts: an RGB product photo in, an RGBA cutout out, classically, on the CPU.

The photos sellers take show one product on a backdrop that is plain or a smooth gradient (a
paper sweep, a light box), with soft shadows under it. :func:`cut_out` works in four steps
(``wanstack cutout`` and background generation's ``parameters.cutout`` call it):

1. **Backdrop model** (:mod:`.backdrop`, long side :data:`ESTIMATE_SIDE`): per CIE Lab channel,
   a profile per row (started from the left and right edges: a sweep's bend, a table's horizon)
   plus a polynomial surface of the position, fitted to the border by trimmed least squares and
   then to every pixel that agrees with it. The spread of the residual on the border (noise,
   JPEG, texture) scales every threshold.
2. **Segmentation** (:mod:`.segment`). *Strong* pixels differ from the backdrop in a way no
   shadow does (a shadow darkens the backdrop and keeps its chroma). *Walls* are crisp edges:
   steep at a fine scale, much less at a coarse one, which a soft shadow never is. The backdrop
   is flooded from the border up to walls and strong pixels (made thicker so the flood cannot
   leak through a short break); what it cannot reach is product, and so is what the product's
   closed outline encloses or what lies between two of its parts (a pale label, the lit face of
   a white jar). Enclosed pieces that show the backdrop — matching its model within the noise,
   or shifted by the same small amount all over, as clear glass does — are see-through.
   Shadows the flood reached are backdrop. GrabCut, started from all that, settles the cut.
3. **Matte** (:mod:`.matte`, long side :data:`MATTE_SIDE`): in a band around the cut, the
   product colour ``F`` and the backdrop colour ``B`` are carried in from the sure pixels on each
   side (normalised convolution), and alpha is the projection ``α = (I−B)·(F−B)/|F−B|²``; where
   ``F`` and ``B`` are too alike it falls back to the cut, and outside the cut a shadow stays
   transparent. See-through parts get alpha from their distance to the backdrop model.
4. **Full size**: a colour-guided filter's linear coefficients, upsampled, carry the matte to
   the input's size so edges follow its pixels; edge colours are un-mixed from the backdrop
   (``F = B + (I−B)/α``) so no backdrop colour fringes the product on a new background. Pixels
   with alpha 255 are returned unchanged.

The result is deterministic (GrabCut's k-means is seeded). Only step 4 grows with the input's
pixel count: a 2048-px photo takes about 1 s on two cores (``docs/performance.md``).

Limits: a product that covers most of the border; thin parts as pale as the backdrop (a pump's
nozzle on white paper); clear glass over a dark backdrop, which looks like grey opaque glass;
strongly textured backdrops (marble veins at the product's base may stay).
"""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.base import RGBAImage, RGBImage
from wanstack.engines.cutout.backdrop import distance, fit_backdrop
from wanstack.engines.cutout.matte import clear_alpha, estimate_matte, full_size
from wanstack.engines.cutout.segment import segment_product

__all__ = ["ESTIMATE_SIDE", "MATTE_SIDE", "MIN_SIDE", "cut_out"]

ESTIMATE_SIDE = 512  #: long side of the backdrop model and the segmentation
MATTE_SIDE = 1024  #: long side of the matte
MIN_SIDE = 16  #: smaller inputs are refused: nothing to cut


def cut_out(rgb: RGBImage) -> RGBAImage:
    """The RGBA cutout of the product in ``rgb`` (``H×W×3`` ``uint8``): same size, straight
    alpha, 0 on the backdrop and its shadows, 255 on the product, partial on soft edges and
    clear parts. Product pixels with alpha 255 keep their input colour exactly. When nothing in
    the photo stands out from its backdrop the result is fully transparent."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 RGB array, got {rgb.dtype} {rgb.shape}")
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"the image is too small to cut out: {width}×{height}")
    # 1.-2. Backdrop model and segmentation, small.
    small = shrink(rgb, ESTIMATE_SIDE)
    if max(height, width) < 2 * ESTIMATE_SIDE:
        # a photo shrunk 2× or more has its noise and JPEG blocks averaged away; give a
        # smaller one the same calm
        sigma = 0.4 * (2.0 * ESTIMATE_SIDE / max(height, width)) ** 0.5
        small = np.asarray(cv2.GaussianBlur(small, (0, 0), sigma), np.uint8)
    lab = np.asarray(cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab), np.float32)
    model, noise = fit_backdrop(lab)
    product, clear, shadowed = segment_product(small, lab, model, noise)
    if not product.any():
        return np.dstack([rgb, np.zeros((height, width), np.uint8)])
    # 3. The matte, at the matte size; see-through parts get the alpha their difference from
    #    the backdrop implies.
    work = shrink(rgb, MATTE_SIDE)
    alpha, fore, back, band = estimate_matte(work, product, shadowed)
    if clear.any():
        clear_alpha(alpha, band, clear, distance(lab, model), noise)
    # 4. Full size.
    return full_size(rgb, work, alpha, fore, back, band)


def shrink(rgb: RGBImage, side: int) -> RGBImage:
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
