"""Fitting an input picture to the output size a request asks for, for every engine family.

DashScope returns results at exactly the requested size whatever the input's shape, so every
engine, classic or generative, first frames its input the same way:

* :func:`cover` scales the picture to cover the size (aspect kept) and crops it; the crop is
  the centre crop, moved just enough to keep a region (``keep``) in frame when one matters.
* :func:`cover_mask` does the same to a picture and its edit mask together, keeping the masked
  region (and a little context) in frame: the inpainting rule.
* :func:`contain` scales a cutout to fit inside the size on a transparent canvas, standing on its
  bottom edge, so a product still stands on a floor.
* :func:`crop_to_aspect` crops (without scaling) to the size's aspect, as large as possible,
  near a point of interest, with headroom above a subject: the first frame of a camera move.

Resampling is INTER_AREA when shrinking and INTER_CUBIC when enlarging; a picture already at the
size is returned as it is.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
#: a region as (left, top, right, bottom), right and bottom exclusive, in the input's pixels
Box = tuple[int, int, int, int]


def _scaled_size(width: int, height: int, w: int, h: int) -> tuple[int, int, float]:
    """The size that covers (``width``, ``height``) from (``w``, ``h``), and the scale."""
    scale = max(width / w, height / h)
    return max(width, round(w * scale)), max(height, round(h * scale)), scale


def _resample(image: Pixels, size: tuple[int, int], scale: float) -> Pixels:
    if (image.shape[1], image.shape[0]) == size:
        return image
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(np.ascontiguousarray(image), size, interpolation=interp), np.uint8)


def axis_offset(total: int, window: int, lo: int, hi: int) -> int:
    """Start of a ``window`` within ``total`` that keeps ``[lo, hi)`` inside when it can: the
    centred start, moved just enough (with a little context around the region when there is
    room); a region larger than the window gets the window centred on it."""
    centre = (total - window) // 2
    if hi - lo > window:
        return min(max((lo + hi - window) // 2, 0), total - window)
    context = min(window // 16, (window - (hi - lo)) // 2)
    lo, hi = max(0, lo - context), min(total, hi + context)
    return min(max(centre, hi - window), lo)


def cover(image: Pixels, size: tuple[int, int], *, keep: Box | None = None) -> Pixels:
    """``image`` (H×W×C) scaled to cover ``size`` (width, height) and cropped to it; the crop
    keeps ``keep`` (a box in ``image``'s pixels) in frame when given, else it is centred."""
    width, height = size
    h, w = image.shape[:2]
    sw, sh, scale = _scaled_size(width, height, w, h)
    scaled = _resample(image, (sw, sh), scale)
    if keep is None:
        x0, y0 = (sw - width) // 2, (sh - height) // 2
    else:
        left, top, right, bottom = (round(v * scale) for v in keep)
        x0 = axis_offset(sw, width, left, right)
        y0 = axis_offset(sh, height, top, bottom)
    return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])


def cover_mask(image: Pixels, mask: Mask, size: tuple[int, int]) -> tuple[Pixels, Mask]:
    """``image`` and its edit ``mask`` scaled to cover ``size`` and cropped alike, the window
    keeping the mask's bounding box (plus a little context) in frame. The mask is resampled
    bilinearly and thresholded at one half."""
    width, height = size
    h, w = mask.shape
    sw, sh, scale = _scaled_size(width, height, w, h)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(np.ascontiguousarray(image), (sw, sh), interpolation=interp)
    mask8 = cv2.resize(mask.astype(np.uint8) * 255, (sw, sh), interpolation=cv2.INTER_LINEAR)
    scaled_mask = mask8 >= 128
    ys, xs = np.nonzero(scaled_mask)
    if len(xs):
        x0 = axis_offset(sw, width, int(xs.min()), int(xs.max()) + 1)
        y0 = axis_offset(sh, height, int(ys.min()), int(ys.max()) + 1)
    else:
        x0, y0 = (sw - width) // 2, (sh - height) // 2
    window = (slice(y0, y0 + height), slice(x0, x0 + width))
    return np.ascontiguousarray(scaled[window]), np.ascontiguousarray(scaled_mask[window])


def contain(image: Pixels, size: tuple[int, int]) -> Pixels:
    """An RGBA ``image`` scaled to fit inside ``size``, centred across on a transparent canvas,
    its bottom edge on the canvas's bottom (a product still stands on a floor)."""
    width, height = size
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    new = (max(1, min(width, round(w * scale))), max(1, min(height, round(h * scale))))
    resized = _resample(image, new, 1.0 if new[0] >= w else 0.0)
    out = np.zeros((height, width, 4), np.uint8)
    x, y = (width - new[0]) // 2, height - new[1]
    out[y : y + new[1], x : x + new[0]] = resized
    return out


def crop_to_aspect(
    image: Pixels, size: tuple[int, int], centre: tuple[float, float], top: float = 0.0
) -> Pixels:
    """Crop ``image`` to the aspect of ``size`` (w, h), as large as possible, near ``centre``
    (fractions of the width and height), without scaling.

    A vertical crop keeps some headroom above ``top`` (where the subject starts, 0–1): heads are
    at the top of people, and a crop centred on the body's mass would cut them off.
    """
    height, width = image.shape[:2]
    aspect = size[0] / size[1]
    crop_w, crop_h = width, height
    if width / height > aspect:
        crop_w = max(1, min(width, round(height * aspect)))
    else:
        crop_h = max(1, min(height, round(width / aspect)))
    left = min(max(round(centre[0] * width - crop_w / 2), 0), width - crop_w)
    upper = round(min(centre[1] * height - crop_h / 2, top * height - 0.12 * crop_h))
    upper = min(max(upper, 0), height - crop_h)
    return image[upper : upper + crop_h, left : left + crop_w]
