"""Contact sheet and timings for the ``wanx-x-painting`` styles.

Renders every style on three photos (scikit-image's bundled astronaut, coffee and cat when it is
installed, else the synthetic test photo) into a labelled grid — rows are photos, columns are the
styles — at ``bench/results/styles.png``, then prints the best of 5 wall-clock
times of each style on a 1024×1024 picture.

    .venv/bin/python bench/style_sheet.py [--no-timing]
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic.styles import STYLE_NAMES, apply_style

OUT = Path(__file__).parent / "results" / "styles.png"
CELL = 360
LABEL_H = 28


def photos() -> list[npt.NDArray[np.uint8]]:
    try:
        data = importlib.import_module("skimage.data")
    except ImportError:
        sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
        media = importlib.import_module("support.media")
        return [media.photo_array(720, 540, seed) for seed in (7, 8, 9)]
    return [
        np.asarray(getattr(data, name)(), np.uint8) for name in ("astronaut", "coffee", "chelsea")
    ]


def fit(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    f = side / max(h, w)
    small = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    cell = np.full((side, side, 3), 255, np.uint8)
    y0, x0 = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    cell[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return cell


def sheet(images: list[npt.NDArray[np.uint8]], seed: int = 1) -> np.ndarray:
    rows = []
    header = []
    for style in STYLE_NAMES:
        label = np.full((LABEL_H, CELL, 3), 255, np.uint8)
        cv2.putText(label, style, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        header.append(label)
    rows.append(np.concatenate(header, axis=1))
    for img in images:
        # Render at the photo's own size (scaled to about 1024 on the long side), then shrink.
        h, w = img.shape[:2]
        f = 1024 / max(h, w)
        size = (round(w * f), round(h * f))
        big = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_CUBIC), np.uint8)
        cells = [fit(apply_style(big, style, seed), CELL) for style in STYLE_NAMES]
        rows.append(np.concatenate(cells, axis=1))
    return np.concatenate(rows, axis=0)


def timings(repeats: int = 5) -> None:
    img = np.asarray(cv2.resize(photos()[0], (1024, 1024), interpolation=cv2.INTER_CUBIC), np.uint8)
    print(f"{'style':<20} best-of-{repeats} ms @1024x1024")
    for style in STYLE_NAMES:
        apply_style(img, style, 0)
        runs = []
        for i in range(repeats):
            t0 = time.perf_counter()
            apply_style(img, style, i)
            runs.append(time.perf_counter() - t0)
        print(f"{style:<20} {min(runs) * 1000:8.0f}")


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    grid = sheet(photos())
    cv2.imwrite(str(OUT), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(f"wrote {OUT}")
    if "--no-timing" not in sys.argv:
        timings()


if __name__ == "__main__":
    main()
