"""``wanx-x-painting`` on the CPU with classical (exemplar and diffusion) inpainting, no weights.

A classical engine cannot draw what ``prompt`` describes; it does the closest honest thing: it
fills the masked region plausibly from its surroundings and ignores ``prompt``. ``style`` is
rendered on the whole result by :mod:`wanstack.engines.classic.styles` (``<auto>``: none).

The pipeline, per task:

1. The base image is scaled to cover the requested size and cropped, keeping the edited region in
   frame (:func:`wanstack.engines.framing.cover_mask`).
2. The fill is computed on a crop around the hole (the hole's box plus context: ``MARGIN`` for
   large holes, whose patch fill needs material to copy; ``STROKE_MARGIN`` for strokes) and
   composited into the full-resolution image with a feathered seam. The mask is not grown: every
   known pixel next to the hole guides the fill (a soft mask's antialiased rim is already part of
   the region, see :func:`wanstack.catalog.x_painting.mask_region`). Pixels farther than the
   feather from the mask are the fitted base, bit for bit.
3. Holes thicker than strokes (95 % of hole pixels within ``THIN_PX`` of the edge) are completed
   together with their feather ring by multi-scale PatchMatch
   (:mod:`wanstack.engines.classic.patchmatch`), seeded with ``seed + index``, so ``n`` results
   differ and a seed reproduces them; holes of more than ``PM_BUDGET`` pixels are completed at a
   reduced resolution and upscaled. The colour and shading offset where the fill meets the photo
   is then spread into the hole (:mod:`wanstack.engines.classic.membrane`), so copied texture
   keeps its contrast and no seam shows. Thin strokes get a diffusion fill at a resolution sized
   to the hole: index 0 = Navier–Stokes, 1 = FSR_FAST detail over a Navier–Stokes base,
   2 = TELEA, 3 = as 1 finer; indices after the first get fine grain matched to the surrounding
   texture (seeded). Without ``cv2.xphoto`` (plain opencv builds) the FSR step is skipped.
4. The style, if any, is applied to the whole composited result, seeded with ``seed + index``.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, ImageItem, RGBImage
from wanstack.engines.classic import membrane, patchmatch
from wanstack.engines.classic.styles import apply_style
from wanstack.engines.framing import cover_mask
from wanstack.engines.requests import InpaintRequest

Mask = npt.NDArray[np.bool_]
FloatImage = npt.NDArray[np.float32]

FEATHER_PX = 4  #: width of the blend ring outside the mask
DIFFUSION_RADIUS = 3  #: cv2.inpaint neighbourhood (working-res px); larger radii smear
MAX_WORK_SIDE = 512  #: longest side of the crop that the fill runs on
MIN_KNOWN = 0.25  #: FSR runs only with at least this fraction of known pixels in its crop
DETAIL_SIGMA = 4.0  #: blur (working-res px) splitting the FSR input into smooth base and detail
FSR_PAD = 16  #: border added around the FSR input (working-res px)
THIN_PX = 11.0  #: holes no thicker than this (inscribed radius, px) are strokes: diffusion fill
MARGIN = 0.5  #: context around a large hole's bounding box, as a fraction of its width + height
MIN_MARGIN_PX = 48  #: least context around a large hole
STROKE_MARGIN = 0.15  #: the same for strokes, which their own edges pin
STROKE_MIN_MARGIN_PX = 24
PM_BUDGET = 200_000  #: most hole pixels PatchMatch completion works on; larger holes run smaller
#: thin strokes, per output index: (method, hole pixels allowed at working resolution). FSR
#: costs 60–170 µs per hole pixel and gets erratic (blocky smears, off colours) on large holes,
#: so it runs coarse. TELEA/NS are cheap, but at full size they draw sharp streaks.
_METHODS: tuple[tuple[str, int], ...] = (
    ("ns", 1_000_000),  # first result: Navier–Stokes on strokes is the closest to the original
    ("fsr", 2_500),
    ("telea", 8_000),
    ("fsr", 4_000),
)


def _fill(roi: RGBImage, hole: npt.NDArray[np.uint8], method: str, budget: int) -> RGBImage:
    """Inpaint ``hole`` (255 = missing) of ``roi`` at a resolution with about ``budget`` hole px."""
    h, w = hole.shape
    area = max(int(np.count_nonzero(hole)), 1)
    scale = min(1.0, MAX_WORK_SIDE / max(h, w), math.sqrt(budget / area))
    small, small_hole = roi, hole
    if scale < 1.0:
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        small = np.asarray(cv2.resize(roi, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        # any coverage makes a low-res pixel missing, so no hole colour leaks into known pixels
        coverage = cv2.resize(hole, size, interpolation=cv2.INTER_AREA)
        small_hole = ((coverage > 0) * 255).astype(np.uint8)
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    out = np.asarray(cv2.inpaint(small, small_hole, DIFFUSION_RADIUS, flag), dtype=np.uint8)
    # FSR needs enough known pixels to match blocks against; with too few it paints flat garbage
    if method == "fsr" and hasattr(cv2, "xphoto") and np.mean(small_hole == 0) >= MIN_KNOWN:
        out = _fsr_detail(out, small_hole)
    if out.shape[:2] != (h, w):
        out = np.asarray(cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    return out


def _fsr_detail(filled: RGBImage, hole: npt.NDArray[np.uint8]) -> RGBImage:
    """Redo the detail of a diffusion fill ``filled`` with FSR, keeping its blurred base.

    FSR alone paints flat blocks on gradients and odd colours on large holes; on the residual
    over a smooth base it only has to continue edges and texture. The border is padded with the
    reflected diffusion fill, marked known: FSR makes garish colours where a hole meets the edge.
    """
    blurred = cv2.GaussianBlur(filled.astype(np.float32), (0, 0), DETAIL_SIGMA)
    base = np.asarray(blurred, dtype=np.float32)
    residual = np.clip(filled.astype(np.float32) - base + 128, 0, 255).astype(np.uint8)
    pad = (FSR_PAD,) * 4
    src = cv2.copyMakeBorder(residual, *pad, cv2.BORDER_REFLECT_101)
    known = cv2.copyMakeBorder(255 - hole, *pad, cv2.BORDER_CONSTANT, value=255)
    out = np.zeros_like(src)
    cv2.xphoto.inpaint(src, known, out, cv2.xphoto.INPAINT_FSR_FAST)
    detail = np.asarray(out[FSR_PAD:-FSR_PAD, FSR_PAD:-FSR_PAD], dtype=np.float32) - 128
    result: RGBImage = np.clip(base + detail, 0, 255).round().astype(np.uint8)
    return result


def _texture_spread(roi: RGBImage, ring: Mask) -> FloatImage:
    """Per-channel spread of the fine detail (high frequencies) of ``roi`` within ``ring``."""
    f = roi.astype(np.float32)
    detail = f - cv2.GaussianBlur(f, (0, 0), 1.5)
    samples = detail[ring] if ring.any() else np.zeros((1, 3), np.float32)
    # median absolute deviation: the texture's spread, not inflated by edges crossing the ring
    mad = np.median(np.abs(samples - np.median(samples, axis=0)), axis=0)
    return (1.4826 * mad).astype(np.float32)


def _grain(shape: tuple[int, int], spread: FloatImage, rng: np.random.Generator) -> FloatImage:
    """Seeded fine grain of the given per-channel ``spread``."""
    white = rng.standard_normal(shape).astype(np.float32)
    noise = np.asarray(cv2.GaussianBlur(white, (0, 0), 0.7), dtype=np.float32)
    noise = noise / max(float(noise.std()), 1e-6)
    grain: FloatImage = noise[..., None] * spread[None, None, :]
    return grain


def _thin(hole: npt.NDArray[np.uint8]) -> bool:
    """Whether ``hole`` is strokes: 95 % of its pixels lie within ``THIN_PX`` of its border (a
    percentile, so the thicker spots where strokes cross do not make it a blob)."""
    padded = cv2.copyMakeBorder(hole, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 3)
    inside = dist[padded > 0]
    return inside.size == 0 or float(np.percentile(inside, 95)) <= THIN_PX


def _complete(roi: RGBImage, hole: Mask, seed: int) -> RGBImage:
    """PatchMatch completion of ``hole`` in ``roi``, at a resolution with at most ``PM_BUDGET``
    hole pixels; above that the fill is computed smaller and upscaled into the hole."""
    h, w = hole.shape
    scale = min(1.0, math.sqrt(PM_BUDGET / max(int(np.count_nonzero(hole)), 1)))
    if scale >= 1.0:
        return patchmatch.complete(roi, hole, seed)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = np.asarray(cv2.resize(roi, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    coverage = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA)
    filled = patchmatch.complete(small, coverage > 0, seed)
    up = np.asarray(cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    out = roi.copy()
    out[hole] = up[hole]
    return out


class ClassicInpaint:
    """Fills the masked region from its surroundings; see the module docstring."""

    name = "classic"

    def __init__(self, **options: Any) -> None:
        # options are configuration for other engines (weights, devices); nothing to set here
        self._has_fsr = hasattr(cv2, "xphoto")

    def load(self) -> None:
        """Compiles the PatchMatch kernels (cached on disk, so later processes start fast)."""
        patchmatch.warm_up()

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "algorithm": "patchmatch-completion",
            "thin_strokes": "opencv-telea+ns",
            "opencv": cv2.__version__,
        }

    def run(self, request: InpaintRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        # 1. fit image and mask to the output size, keeping the edited region in frame
        base, mask = cover_mask(request.image, request.mask, request.size)
        if not mask.any():
            return [
                ImageItem(image=apply_style(base, request.style, request.seed + i))
                for i in range(request.n)
            ]

        # 2. the blend weight: 1 on the hole, 0 beyond the feather ring
        hole = mask.astype(np.uint8) * 255
        dist = cv2.distanceTransform(
            ((hole == 0) * 255).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
        )
        alpha = np.clip(1.0 - dist / (FEATHER_PX + 1), 0.0, 1.0).astype(np.float32)

        # 3. crop a region of interest around the hole with context for the fill: strokes are
        # pinned by their own edges; a large hole's patch fill needs more to copy from
        ys, xs = np.nonzero(hole)
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        thin = _thin(hole[y0:y1, x0:x1])
        share, least = (STROKE_MARGIN, STROKE_MIN_MARGIN_PX) if thin else (MARGIN, MIN_MARGIN_PX)
        margin = max(least, round((y1 - y0 + x1 - x0) * share))
        height, width = mask.shape
        y0, y1 = max(0, y0 - margin), min(height, y1 + margin)
        x0, x1 = max(0, x0 - margin), min(width, x1 + margin)
        roi_base, roi_hole, roi_alpha = base[y0:y1, x0:x1], hole[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
        blend = roi_alpha > 0
        if thin:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
            near = cv2.dilate(roi_hole, kernel, iterations=FEATHER_PX + 4) > 0
            ring = (roi_alpha == 0) & near
            spread = _texture_spread(roi_base, ring)

        items: list[ImageItem] = []
        for i in range(request.n):
            cancel.check()
            if thin:
                # 4a. strokes: diffusion fills them well; later indices vary method and grain
                method, budget = _METHODS[i % len(_METHODS)]
                fill = _fill(roi_base, roi_hole, method, budget).astype(np.float32)
                if i > 0:
                    fill += _grain(roi_hole.shape, spread, np.random.default_rng(request.seed + i))
            else:
                # 4b. larger holes: patch-based completion of the hole and its feather ring,
                # then the colour and shading offset at the hole's edge spread into it
                fill = _complete(roi_base, blend, request.seed + i).astype(np.float32)
                fill = membrane.correct(fill, roi_base, roi_hole > 0, blend & (roi_hole == 0))
            cancel.check()

            # 5. composite inside the feathered mask; everything else stays the fitted base
            a = roi_alpha[..., None]
            mixed = roi_base.astype(np.float32) * (1.0 - a) + fill * a
            out = base.copy()
            out_roi = out[y0:y1, x0:x1]
            out_roi[blend] = np.clip(np.rint(mixed[blend]), 0, 255).astype(np.uint8)
            # 6. the requested style renders the whole result (``<auto>``: none)
            items.append(ImageItem(image=apply_style(out, request.style, request.seed + i)))
        return items
