"""Contact sheet and timings for the classic inpainting engine.

Synthesises a photo-like scene (sky, sun, hills, textured grass, a house, trees), cuts a hole
over one of the trees, runs ``ClassicInpaint`` with n=4 at each requested size and writes a grid
(row = size; columns = input with the hole shown in magenta, then results 0–3) to
``bench/results/inpaint_contact.png``. Prints the median of 3 wall-clock runs per size.

    .venv/bin/python bench/contact_inpaint.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from wanstack.engines.base import CancelToken
from wanstack.engines.classic.inpaint import ClassicInpaint
from wanstack.engines.framing import cover_mask as fit_to_size
from wanstack.engines.requests import InpaintRequest

OUT = Path(__file__).parent / "results" / "inpaint_contact.png"
SIZES = [(1024, 1024), (1280, 720)]
CELL_H = 300


def scene(width: int = 1400, height: int = 1000, seed: int = 7) -> np.ndarray:
    """A photo-like RGB landscape drawn with OpenCV."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky = (1 - yy) * np.array([70, 130, 210], np.float32) + yy * np.array([200, 225, 240])
    img = np.broadcast_to(sky, (height, width, 3)).copy()
    cv2.circle(img, (int(width * 0.8), int(height * 0.18)), 60, (255, 235, 160), -1, cv2.LINE_AA)
    xs = np.arange(width)
    for level, colour, amp in ((0.45, (90, 110, 140), 70), (0.58, (60, 120, 70), 45)):
        ridge = height * level + amp * np.sin(xs / width * 7 + level * 10) + rng.normal(0, 3, width)
        pts = np.stack([xs, ridge], 1).astype(np.int32)
        poly = np.concatenate([pts, [[width - 1, height - 1], [0, height - 1]]]).astype(np.int32)
        cv2.fillPoly(img, [poly], colour, cv2.LINE_AA)
    grass = rng.normal(0, 14, (height, width, 1)).astype(np.float32)
    grass = cv2.GaussianBlur(grass, (0, 0), 1.0)[..., None] * np.array([0.6, 1.0, 0.5])
    ground = yy > 0.62
    img = np.where(ground, img + grass, img)
    cv2.rectangle(img, (250, 560), (520, 760), (190, 170, 140), -1)
    cv2.fillPoly(img, [np.array([[230, 560], [385, 440], [540, 560]], np.int32)], (150, 50, 40))
    cv2.rectangle(img, (360, 660), (410, 760), (90, 60, 40), -1)
    for cx in (800, 950, 1150):
        cv2.rectangle(img, (cx - 12, 600), (cx + 12, 760), (80, 55, 35), -1)
        cv2.circle(img, (cx, 560), 75, (40, 95, 40), -1, cv2.LINE_AA)
    img += rng.normal(0, 2.5, img.shape)  # sensor noise
    return np.clip(img, 0, 255).astype(np.uint8)


def hole(shape: tuple[int, ...]) -> np.ndarray:
    """A soft-edged blob over the middle tree, thresholded like the API does."""
    m = np.zeros(shape[:2], np.uint8)
    cv2.ellipse(m, (950, 630), (110, 165), 0, 0, 360, 255, -1)
    return cv2.GaussianBlur(m, (0, 0), 3) > 64


def thumb(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (round(w * CELL_H / h), CELL_H), interpolation=cv2.INTER_AREA)


def main() -> None:
    image = scene()
    mask = hole(image.shape)
    engine = ClassicInpaint()
    engine.load()
    rows = []
    for size in SIZES:
        req = InpaintRequest(
            image=image, mask=mask, prompt="", style="<auto>", size=size, n=4, seed=42
        )
        times = []
        for _ in range(3):
            t = time.perf_counter()
            items = engine.run(req, CancelToken())
            times.append(time.perf_counter() - t)
        print(
            f"{size[0]}*{size[1]} n=4: median {statistics.median(times):.3f} s "
            f"({', '.join(f'{x:.3f}' for x in times)})"
        )
        base, fmask = fit_to_size(image, mask, size)
        shown = base.copy()
        shown[fmask] = (255, 0, 255)
        outs = [it.image for it in items if it.image is not None]
        gap = np.full((CELL_H, 6, 3), 255, np.uint8)
        cells = [thumb(shown)] + [thumb(o) for o in outs]
        rows.append(np.concatenate([c for cell in cells for c in (cell, gap)], axis=1))
        # a second row at 1:1 around the hole, where seams and smears would show
        ys, xs = np.nonzero(fmask)
        cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
        y0 = int(np.clip(cy - CELL_H // 2, 0, size[1] - CELL_H))
        x0 = int(np.clip(cx - CELL_H // 2, 0, size[0] - CELL_H))
        crops = [im[y0 : y0 + CELL_H, x0 : x0 + CELL_H] for im in [base, *outs]]
        rows.append(np.concatenate([c for cell in crops for c in (cell, gap)], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT), cv2.cvtColor(np.concatenate(rows), cv2.COLOR_RGB2BGR))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
