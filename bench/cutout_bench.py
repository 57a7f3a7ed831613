"""Product cutout quality and speed: ``wanstack.engines.cutout.cut_out`` against the true alpha.

For every photo of ``cutout_data.PHOTOS`` (44 product renders — bottles, cartons, jars, tubes,
clear and filled drinking glasses, sneakers, mugs with a handle hole, perfume in thick glass,
pump bottles; white on white and dark products among them — standing on 18 plain, 18 gradient
and 8 textured backdrops with soft contact and cast shadows, camera noise and JPEG at quality
90) it
runs ``cut_out`` on the photo at ``--size`` (long side, 2048 px by default) and measures, against
the product's true alpha (the shadows are not part of it):

* IoU: intersection over union of ``alpha > 0.5`` (cutout) and ``truth > 0.5``,
* SAD: the sum of absolute alpha differences (alpha in 0…1) over the whole photo, / 1000 (the
  unit of the alpha matting benchmarks; it grows with the pixel count, so compare at one size),
* MSE: the mean squared alpha difference over the whole photo,
* time: wall-clock seconds of the ``cut_out`` call, the median of ``--runs`` runs (3).

It prints a table per backdrop kind (means; the worst IoU too) and one row per photo, writes a
contact sheet (photo | truth | cutout over a checkerboard) and exits 1 when the mean IoU on the
plain or gradient backdrops is below 0.95.

    .venv/bin/python bench/cutout_bench.py [--size 2048] [--runs 3] [--quick]
                                           [--sheet docs/gallery/cutout.png] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from cutout_data import KINDS, PHOTOS, Float, Photo, make_photo
from wanstack.engines.cutout import cut_out

TARGET_IOU = 0.95
TILE = 176


@dataclass
class Row:
    name: str
    kind: str
    iou: float
    sad: float
    mse: float
    seconds: float


def _checker(h: int, w: int, cell: int = 12) -> Float:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.where(((yy // cell + xx // cell) % 2) == 0, 0.86, 0.64).astype(np.float32)


def _tile(image: Float) -> Float:
    """Fit ``image`` (H×W×3, 0…1) into a TILE×TILE white square."""
    h, w = image.shape[:2]
    s = TILE / max(h, w)
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), cv2.INTER_AREA)
    out = np.ones((TILE, TILE, 3), np.float32)
    y0, x0 = (TILE - small.shape[0]) // 2, (TILE - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def measure(photo: Photo, size: int, runs: int) -> tuple[Row, list[Float]]:
    rgb, truth = make_photo(photo, size)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rgba = cut_out(rgb)
        times.append(time.perf_counter() - started)
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    ours, true = alpha > 0.5, truth > 0.5
    iou = float((ours & true).sum() / max(1, (ours | true).sum()))
    diff = alpha - truth
    row = Row(
        photo.name,
        photo.kind,
        iou,
        float(np.abs(diff).sum() / 1000.0),
        float((diff**2).mean()),
        statistics.median(times),
    )
    h, w = alpha.shape
    board = _checker(h, w, max(4, max(h, w) // 48))[..., None]
    colour = rgba[..., :3].astype(np.float32) / 255.0
    over = colour * alpha[..., None] + board * (1.0 - alpha[..., None])
    tiles = [
        _tile(rgb.astype(np.float32) / 255.0),
        _tile(np.repeat(truth[..., None], 3, axis=2)),
        _tile(over),
    ]
    return row, tiles


def sheet(tiles: list[list[Float]], path: Path, per_row: int = 3) -> None:
    """Rows of ``per_row`` (photo | truth | cutout) triplets, a gap between triplets."""
    gap = np.ones((TILE, 8, 3), np.float32)
    triplets = [np.concatenate([t[0], t[1], t[2], gap], axis=1) for t in tiles]
    blank = np.ones_like(triplets[0])
    while len(triplets) % per_row:
        triplets.append(blank)
    rows = [
        np.concatenate(triplets[i : i + per_row], axis=1) for i in range(0, len(triplets), per_row)
    ]
    sep = np.ones((8, rows[0].shape[1], 3), np.float32)
    image = np.concatenate([x for r in rows for x in (r, sep)], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="long side of the photos")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per photo (median)")
    parser.add_argument("--quick", action="store_true", help="every third photo, 1 run")
    parser.add_argument("--only", help="photos whose name contains this")
    parser.add_argument("--sheet", type=Path, default=Path("bench/results/cutout.png"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    photos = list(PHOTOS[::3] if args.quick else PHOTOS)
    if args.only:
        photos = [p for p in photos if args.only in p.name]
    runs = 1 if args.quick else args.runs
    cut_out(make_photo(photos[0], 256)[0])  # warm-up: first calls allocate and load
    rows, tiles = [], []
    for photo in photos:
        row, t = measure(photo, args.size, runs)
        rows.append(row)
        tiles.append(t)
        print(
            f"{row.kind:9s} {row.name:28s} IoU {row.iou:.4f}  SAD {row.sad:8.2f}  "
            f"MSE {row.mse:.5f}  {row.seconds:.2f} s",
            flush=True,
        )
    print(f"\n{args.size} px photos, {runs} run(s) each\n")
    print("| backdrop | photos | mean IoU | worst IoU | mean SAD | mean MSE | median time (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    failed = False
    for kind in (*KINDS, "all"):
        sel = [r for r in rows if kind in (r.kind, "all")]
        if not sel:
            continue
        iou = statistics.mean(r.iou for r in sel)
        print(
            f"| {kind} | {len(sel)} | {iou:.3f} | {min(r.iou for r in sel):.3f} | "
            f"{statistics.mean(r.sad for r in sel):.1f} | "
            f"{statistics.mean(r.mse for r in sel):.4f} | "
            f"{statistics.median(r.seconds for r in sel):.2f} |"
        )
        if kind in ("plain", "gradient") and iou < TARGET_IOU:
            failed = True
    sheet(tiles, args.sheet)
    print(f"\ncontact sheet: {args.sheet}")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=2))
    if failed:
        print(f"FAILED: mean IoU below {TARGET_IOU} on plain or gradient backdrops")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
