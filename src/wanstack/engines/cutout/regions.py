"""Operations on the product's masks at the estimate size: connected parts, enclosed holes,
row and column spans, structuring elements. Masks are ``H×W`` ``bool``; label images ``int32``."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
Labels = npt.NDArray[np.int32]


def disk(radius: int) -> npt.NDArray[np.uint8]:
    r = max(1, radius)
    return np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))


def fill_holes(mask: Mask) -> Mask:
    """``mask`` with every region it encloses (not connected to the border) filled."""
    inv = (~mask).astype(np.uint8)
    _, labels = cv2.connectedComponents(inv, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, edge[edge > 0])
    return np.asarray(mask | (~outside & (inv > 0)), bool)


def components(mask: Mask, min_fraction: float) -> Mask:
    """The connected parts of ``mask`` at least ``min_fraction`` of its largest part's area."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= max(1.0, areas.max() * min_fraction)) + 1
    return np.asarray(np.isin(labels, keep), bool)


def spans(mask: Mask) -> Mask:
    """Pixels lying between two ``mask`` pixels of their row, or of their column."""
    h, w = mask.shape
    out = np.zeros((h, w), bool)
    for axis, n in ((1, w), (0, h)):
        has = np.asarray(mask.any(axis=axis), bool)
        first = np.argmax(mask, axis=axis)
        last = n - 1 - np.argmax(np.flip(mask, axis=axis), axis=axis)
        idx = np.arange(n)
        if axis == 1:
            inside = (idx[None, :] >= first[:, None]) & (idx[None, :] <= last[:, None])
            out |= inside & has[:, None]
        else:
            inside = (idx[:, None] >= first[None, :]) & (idx[:, None] <= last[None, :])
            out |= inside & has[None, :]
    return out


def label(mask: Mask, connectivity: int = 4) -> tuple[int, Labels]:
    """Connected components of ``mask``: their count (with 0, the rest) and the label image."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=connectivity)
    return int(n), np.asarray(labels, np.int32)


def label_means(labels: Labels, n: int, values: Float) -> Float:
    count = np.bincount(labels.ravel(), minlength=n).astype(np.float32)
    total = np.bincount(labels.ravel(), weights=values.ravel(), minlength=n)
    return np.asarray(total / np.maximum(count, 1.0), np.float32)
