"""A mask drawn on one frame of a video, followed through the video, for ``video_edit``
(wanx2.1-vace-plus: ``mask_type`` ``tracking``; ``fixed`` is the same mask on every frame), and
grown by ``expand_ratio`` in ``expand_mode``.

:func:`track` puts OpenCV's CSRT tracker (a discriminative correlation filter on HOG and colour
features, with a spatial reliability map and a scale search) on the mask's bounding box in the
frame it was drawn on, and runs it forwards to the last frame and, with a fresh tracker, back to
the first, on frames made smaller (long side at most 480 px) for speed. Each frame's mask is the
drawn mask moved and scaled (each axis by the ratio of box sizes, nearest neighbour) to that
frame's box. Where the tracker loses the object, the frame keeps the last good box.
:func:`expand` grows a mask: its pixels, their convex hull or their bounding box, by a share of
the mask's longer side.

Limits, honestly: the mask only moves and scales: it does not turn, bend or change shape with
the object (a walking person's legs, a turning car), so the growth of ``expand`` has to cover
that; the scale is one factor for both axes (CSRT's), so an object that stretches is not
followed in its aspect; an object that leaves the picture, is hidden for a while or crosses a
similar one can be lost or swapped, and a lost object is not found again by search: the mask
stays where it was last seen until the tracker picks it up again on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage

Mask = npt.NDArray[np.bool_]
Box = tuple[float, float, float, float]  #: x, y, width, height in full-size pixels

TRACK_SIDE = 480  #: longest side of the frames the tracker sees (larger videos are tracked smaller)
#: pixels of the patch CSRT's scale search looks at: OpenCV's 512 lets the scale lag behind an
#: object that grows or shrinks (the unit test's square, 10 textures: worst IoU 0.59–0.84; with
#: 2048: 0.865–0.91), for 60 % more time
SCALE_AREA = 2048.0
MODES = ("original", "hull", "bbox")


def _bounds(mask: Mask) -> tuple[int, int, int, int]:
    """The mask's bounding box as x0, y0, x1, y1 (ends exclusive); the mask is not empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def track(frames: Sequence[RGBImage], mask: Mask, index: int) -> list[Mask]:
    """One mask per frame: `mask` (drawn on frames[index], 0-based) following its object through
    the video. The frames must all have one size."""
    if not 0 <= index < len(frames):
        raise ValueError(f"mask frame index {index} is outside the video's {len(frames)} frames")
    height, width = frames[0].shape[:2]
    if mask.shape != (height, width):
        shape = "×".join(map(str, mask.shape[::-1]))
        raise ValueError(f"the mask is {shape} but the video's frames are {width}×{height}")
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return [np.zeros((height, width), bool) for _ in frames]
    x0, y0, x1, y1 = _bounds(mask)
    drawn: Box = (x0, y0, x1 - x0, y1 - y0)
    boxes: list[Box] = [drawn] * len(frames)
    scale = min(1.0, TRACK_SIDE / max(height, width))
    for order in (range(index, len(frames)), range(index, -1, -1)):
        _follow(frames, list(order), drawn, scale, boxes)
    return [_placed(mask, drawn, box) for box in boxes]


def _small(frame: RGBImage, scale: float) -> RGBImage:
    if scale == 1.0:
        return np.ascontiguousarray(frame)
    size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _follow(
    frames: Sequence[RGBImage], order: list[int], drawn: Box, scale: float, boxes: list[Box]
) -> None:
    """Track from frames[order[0]] (where the box is `drawn`) through the others in `order`,
    writing each frame's box (full size) into `boxes`; a lost frame keeps the last good box."""
    x, y, w, h = drawn
    first = _small(frames[order[0]], scale)
    sh, sw = first.shape[:2]
    sx, sy = min(round(x * scale), sw - 1), min(round(y * scale), sh - 1)
    start = (sx, sy, max(1, min(round(w * scale), sw - sx)), max(1, min(round(h * scale), sh - sy)))
    params = cv2.TrackerCSRT.Params()
    params.scale_model_max_area = SCALE_AREA
    tracker = cv2.TrackerCSRT.create(params)
    tracker.init(first, start)
    last = drawn
    for i in order[1:]:
        ok, (bx, by, bw, bh) = tracker.update(_small(frames[i], scale))
        seen = ok and bw > 0 and bh > 0 and bx < sw and by < sh and bx + bw > 0 and by + bh > 0
        if seen and all(np.isfinite((bx, by, bw, bh))):
            # relative to the start box, so rounding it to the small frame costs nothing
            last = (
                x + (bx - start[0]) / scale,
                y + (by - start[1]) / scale,
                w * bw / start[2],
                h * bh / start[3],
            )
        boxes[i] = last


def _placed(mask: Mask, drawn: Box, box: Box) -> Mask:
    """`mask` (whose bounding box is `drawn`) moved and scaled onto `box`."""
    x, y, w, h = drawn
    bx, by, bw, bh = box
    fx, fy = bw / w, bh / h
    # pixel centres: (X + 0.5) = bx + fx * (x' + 0.5 - x)
    tx, ty = bx - fx * x + 0.5 * (fx - 1), by - fy * y + 0.5 * (fy - 1)
    shift = np.array([[fx, 0, tx], [0, fy, ty]], dtype=np.float64)
    size = (mask.shape[1], mask.shape[0])
    moved = cv2.warpAffine(mask.astype(np.uint8), shift, size, flags=cv2.INTER_NEAREST)
    return np.asarray(moved, dtype=np.uint8) > 0


def expand(mask: Mask, ratio: float, mode: str) -> Mask:
    """`mask` grown by `ratio` in `mode` ("original" | "hull" | "bbox"): by
    round(ratio × the longer side of its bounding box) pixels, with a disk for "original" (its
    pixels) and "hull" (the convex hull of the whole mask, all its parts together: one polygon
    around everything drawn), and on each side of the bounding box for "bbox"."""
    if mode not in MODES:
        raise ValueError(f"expand mode {mode!r} is not one of {', '.join(MODES)}")
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.zeros_like(mask)
    x0, y0, x1, y1 = _bounds(mask)
    grow = max(0, round(ratio * max(x1 - x0, y1 - y0)))
    height, width = mask.shape
    # everything happens within `grow` of the bounding box: work on that part only
    cx0, cy0 = max(0, x0 - grow), max(0, y0 - grow)
    cx1, cy1 = min(width, x1 + grow), min(height, y1 + grow)
    out = np.zeros_like(mask)
    if mode == "bbox":
        out[cy0:cy1, cx0:cx1] = True
        return out
    part = mask[cy0:cy1, cx0:cx1].astype(np.uint8)
    if mode == "hull":
        contours, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.convexHull(np.concatenate(contours))
        part = np.asarray(cv2.fillConvexPoly(part, hull, 1), dtype=np.uint8)
    if grow > 0:
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        part = np.asarray(cv2.dilate(part, disk), dtype=np.uint8)
    out[cy0:cy1, cx0:cx1] = part > 0
    return out
