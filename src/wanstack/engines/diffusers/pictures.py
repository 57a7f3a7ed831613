"""Image handling the diffusers engines share: PIL in and out, exact output sizes, feathered
composites that leave every pixel away from an edit bit-identical, and the x-painting styles
as prompts."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Pixels = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

#: wanx-x-painting's styles as prompt phrases: a generative rendering of the whole picture.
STYLE_PROMPTS = {
    "<3d cartoon>": "3D cartoon render, Pixar style, soft global illumination, clay-like shapes",
    "<anime>": "anime illustration, cel shading, clean line art, vivid flat colours",
    "<oil painting>": "oil painting, visible impasto brush strokes, canvas texture, rich colour",
    "<watercolor>": "watercolour painting on textured paper, soft washes, bleeding pigment edges",
    "<sketch>": "pencil sketch, graphite hatching on white paper, monochrome line drawing",
    "<chinese painting>": "traditional Chinese ink wash painting, sumi-e, rice paper, sparse brush",
    "<flat illustration>": "flat vector illustration, simple shapes, limited palette, no gradients",
}


def to_pil(pixels: Pixels) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB")


def mask_pil(mask: Mask) -> Image.Image:
    """White where the pipeline repaints, black where it keeps (diffusers' convention)."""
    return Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), "L")


def resize(pixels: Pixels, size: tuple[int, int]) -> Pixels:
    """``pixels`` at exactly ``size`` (width, height): INTER_AREA down, INTER_CUBIC up."""
    if (pixels.shape[1], pixels.shape[0]) == size:
        return pixels
    shrink = size[0] * size[1] < pixels.shape[0] * pixels.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(pixels, size, interpolation=interp), dtype=np.uint8)


def feather(mask: Mask, inner: float = 4.0, outer: float = 16.0) -> npt.NDArray[np.float32]:
    """A seam weight: 1 in the mask and up to ``inner`` pixels beyond it, falling to 0 at
    ``outer`` pixels; every pixel farther than ``outer`` from the mask gets exactly 0."""
    outside = np.where(mask, 0, 255).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    weight = 1.0 - (distance - inner) / (outer - inner)
    return np.asarray(np.clip(weight, 0.0, 1.0), dtype=np.float32)


def composite(generated: Pixels, original: Pixels, weight: npt.NDArray[np.float32]) -> Pixels:
    """``generated`` where ``weight`` is 1, ``original`` where it is 0 (bit for bit), blended
    between."""
    w = weight[..., None]
    mixed = generated.astype(np.float32) * w + original.astype(np.float32) * (1.0 - w)
    out: Pixels = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    keep = weight == 0.0
    out[keep] = original[keep]
    return out


def flatten(rgba: Pixels, background: tuple[int, int, int] = (255, 255, 255)) -> Pixels:
    """RGB of an RGBA image over a flat colour."""
    if rgba.shape[2] == 3:
        return rgba
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    flat = rgba[..., :3].astype(np.float32) * alpha + np.asarray(background, np.float32) * (
        1.0 - alpha
    )
    out: Pixels = np.clip(flat + 0.5, 0, 255).astype(np.uint8)
    return out
