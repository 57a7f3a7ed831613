"""Photographs and hole masks for the inpainting benchmark (``bench/inpaint_bench.py``).

Photos are real photographs bundled inside wheels of the ``bench`` extra, read straight from the
installed package folders (nothing is downloaded): scikit-image's ``skimage/data`` files,
matplotlib's ``mpl-data/sample_data`` and scikit-learn's ``datasets/images``. Each is converted to
RGB (grayscale photos get three equal channels) and shrunk with area interpolation so that its
long side is at most ``max_side`` (512 px by default; smaller photos are never enlarged).

Masks are deterministic (the seed is derived from the photo name and the mask kind) and cover
5–25 % of the image:

* ``strokes``: thin random polylines 3–9 px wide (6–12 % of the area),
* ``blobs``: one to three irregular smooth blobs (radius modulated by low harmonics, 10–20 %),
* ``boxes``: one or two axis-aligned rectangles (8–20 %).

Blobs and boxes keep a margin from the border so that every hole has known pixels all around.
"""

from __future__ import annotations

import importlib.util
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

RGB = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

MASK_KINDS: tuple[str, ...] = ("strokes", "blobs", "boxes")
MIN_COVERAGE = 0.05
MAX_COVERAGE = 0.25
_TARGETS: dict[str, tuple[float, float]] = {
    "strokes": (0.06, 0.12),
    "blobs": (0.10, 0.20),
    "boxes": (0.08, 0.20),
}


def _package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True, slots=True)
class PhotoSource:
    name: str
    package: str  #: installed package that ships the file
    relpath: str  #: path inside the package folder
    #: optional crop (left, top, right, bottom) in source pixels, applied before resizing
    crop: tuple[int, int, int, int] | None = None

    def path(self) -> Path:
        return _package_dir(self.package) / self.relpath


# 21 distinct photographs: 11 in colour, 10 grayscale.
PHOTOS: tuple[PhotoSource, ...] = (
    PhotoSource("astronaut", "skimage", "data/astronaut.png"),
    PhotoSource("coffee", "skimage", "data/coffee.png"),
    PhotoSource("chelsea", "skimage", "data/chelsea.png"),
    PhotoSource("rocket", "skimage", "data/rocket.jpg"),
    PhotoSource("immunohistochemistry", "skimage", "data/ihc.png"),
    PhotoSource("hubble_deep_field", "skimage", "data/hubble_deep_field.jpg"),
    # the fundus photo sits in a black disc surround: keep the central part
    PhotoSource("retina", "skimage", "data/retina.jpg", crop=(256, 256, 1156, 1156)),
    PhotoSource("motorcycle", "skimage", "data/motorcycle_left.png"),
    PhotoSource("grace_hopper", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    PhotoSource("china", "sklearn", "datasets/images/china.jpg"),
    PhotoSource("flower", "sklearn", "datasets/images/flower.jpg"),
    PhotoSource("camera", "skimage", "data/camera.png"),
    PhotoSource("coins", "skimage", "data/coins.png"),
    PhotoSource("moon", "skimage", "data/moon.png"),
    PhotoSource("grass", "skimage", "data/grass.png"),
    PhotoSource("gravel", "skimage", "data/gravel.png"),
    PhotoSource("brick", "skimage", "data/brick.png"),
    PhotoSource("page", "skimage", "data/page.png"),
    PhotoSource("cell", "skimage", "data/cell.png"),
    PhotoSource("clock", "skimage", "data/clock_motion.png"),
    PhotoSource("text", "skimage", "data/text.png"),
)

QUICK: tuple[str, ...] = ("astronaut", "coffee", "grace_hopper", "china", "camera")


def load_photo(src: PhotoSource, max_side: int = 512) -> RGB:
    """The photo as H×W×3 uint8 RGB, long side at most ``max_side``."""
    with Image.open(src.path()) as im:
        pil = im.convert("RGB")
    if src.crop is not None:
        pil = pil.crop(src.crop)
    rgb = np.asarray(pil, dtype=np.uint8)
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return np.ascontiguousarray(rgb)


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def coverage(mask: Mask) -> float:
    return float(mask.mean())


def _strokes(h: int, w: int, target: float, rng: np.random.Generator) -> Mask:
    canvas = np.zeros((h, w), np.uint8)
    for _ in range(500):
        if canvas.mean() / 255 >= target:
            break
        width = int(rng.integers(3, 10))
        n = int(rng.integers(3, 7))
        pt = rng.uniform((0, 0), (w, h))
        angle = rng.uniform(0, 2 * np.pi)
        pts = [pt]
        step = 0.06 * max(h, w)
        for _ in range(n):
            angle += rng.normal(0, 0.8)
            pt = pt + step * rng.uniform(0.5, 1.5) * np.array([np.cos(angle), np.sin(angle)])
            pt = np.clip(pt, 0, (w - 1, h - 1))
            pts.append(pt)
        poly = np.round(np.array(pts)).astype(np.int32)
        cv2.polylines(canvas, [poly], False, 255, width, cv2.LINE_8)
    return canvas > 0


def _blob_shapes(
    h: int, w: int, rng: np.random.Generator
) -> list[tuple[float, float, float, npt.NDArray[np.float64]]]:
    """(cx, cy, base radius as a fraction of the short side, radius profile over 360 angles)."""
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    shapes = []
    margin = 0.2
    for _ in range(int(rng.integers(1, 4))):
        cx = rng.uniform(margin * w, (1 - margin) * w)
        cy = rng.uniform(margin * h, (1 - margin) * h)
        profile = np.ones_like(theta)
        for k in range(2, 6):
            profile += rng.uniform(0.04, 0.22) / (k - 1) * np.cos(k * theta + rng.uniform(0, 7))
        aspect = rng.uniform(0.6, 1.4)
        profile = profile * np.sqrt(
            aspect * np.abs(np.cos(theta)) + 1 / aspect * np.abs(np.sin(theta))
        )
        shapes.append((cx, cy, rng.uniform(0.6, 1.0), profile))
    return shapes


def _draw_blobs(
    h: int, w: int, shapes: list[tuple[float, float, float, npt.NDArray[np.float64]]], scale: float
) -> Mask:
    canvas = np.zeros((h, w), np.uint8)
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    short = min(h, w)
    pad = 4
    for cx, cy, rel, profile in shapes:
        r = scale * rel * short * profile
        xs = np.clip(cx + r * np.cos(theta), pad, w - 1 - pad)
        ys = np.clip(cy + r * np.sin(theta), pad, h - 1 - pad)
        poly = np.round(np.stack([xs, ys], 1)).astype(np.int32)
        cv2.fillPoly(canvas, [poly], 255, cv2.LINE_8)
    return canvas > 0


def _box_shapes(
    h: int, w: int, rng: np.random.Generator
) -> list[tuple[float, float, float, float]]:
    """(cx, cy, relative size, aspect) per box."""
    boxes = []
    for _ in range(int(rng.integers(1, 3))):
        boxes.append(
            (
                rng.uniform(0.25 * w, 0.75 * w),
                rng.uniform(0.25 * h, 0.75 * h),
                rng.uniform(0.7, 1.0),
                float(np.exp(rng.uniform(np.log(0.5), np.log(2.0)))),
            )
        )
    return boxes


def _draw_boxes(
    h: int, w: int, boxes: list[tuple[float, float, float, float]], scale: float
) -> Mask:
    mask = np.zeros((h, w), np.bool_)
    short = min(h, w)
    pad = 4
    for cx, cy, rel, aspect in boxes:
        bw = scale * rel * short * np.sqrt(aspect)
        bh = scale * rel * short / np.sqrt(aspect)
        x0, x1 = max(pad, round(cx - bw / 2)), min(w - pad, round(cx + bw / 2))
        y0, y1 = max(pad, round(cy - bh / 2)), min(h - pad, round(cy + bh / 2))
        mask[y0:y1, x0:x1] = True
    return mask


def _fit_scale(draw: Callable[[float], Mask], target: float) -> Mask:
    """Bisect the size scale so that the mask covers ``target`` of the image."""
    lo, hi = 0.0, 1.5
    best = draw(hi)
    for _ in range(30):
        mid = (lo + hi) / 2
        m = draw(mid)
        if coverage(m) < target:
            lo = mid
        else:
            hi, best = mid, m
    return best


def make_mask(name: str, kind: str, shape: tuple[int, int], target: float | None = None) -> Mask:
    """The fixed hole mask (True = hole) of ``kind`` for photo ``name`` at ``shape`` (h, w)."""
    h, w = shape
    rng = np.random.default_rng(_seed(name, kind, f"{h}x{w}"))
    lo, hi = _TARGETS[kind]
    goal = float(rng.uniform(lo, hi)) if target is None else target
    if kind == "strokes":
        mask = _strokes(h, w, goal, rng)
    elif kind == "blobs":
        shapes = _blob_shapes(h, w, rng)
        mask = _fit_scale(lambda s: _draw_blobs(h, w, shapes, s), goal)
    elif kind == "boxes":
        boxes = _box_shapes(h, w, rng)
        mask = _fit_scale(lambda s: _draw_boxes(h, w, boxes, s), goal)
    else:
        raise ValueError(f"unknown mask kind {kind!r}")
    cov = coverage(mask)
    assert MIN_COVERAGE <= cov <= MAX_COVERAGE, f"{name}/{kind}: coverage {cov:.3f}"
    return mask
