"""The inpainting benchmark's contact sheet (``docs/gallery/inpainting.png``).

Each case row shows the whole photo with the hole in magenta, then a crop around the hole (its
bounding box plus a quarter on each side, scaled to the tile) of the original, TELEA, NS and two
results of ours (seeds 0 and 1: ``n`` results differ). The crops are where texture can be judged:
a thumbnail of the whole photo hides both a smear and a seam. The last rows show one result in
each of the eight styles.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inpaint_data import RGB, Mask

TILE = 256
LABEL_H = 22
MAGENTA = np.array([255, 0, 255], np.float32)
COLUMNS = (
    "photo, hole in magenta",
    "crop: original",
    "TELEA",
    "NS",
    "ours, seed 0",
    "ours, seed 1",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def overlay(image: RGB, mask: Mask) -> RGB:
    """``image`` with the hole tinted magenta."""
    out = image.astype(np.float32)
    out[mask] = 0.35 * out[mask] + 0.65 * MAGENTA
    return np.asarray(out.round().clip(0, 255), dtype=np.uint8)


def crop_box(mask: Mask) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of a square around the hole: its bounding box plus a quarter on
    each side where the photo allows; for strokes spread over the photo, a window where they are
    densest."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    side = min(round(max(y1 - y0, x1 - x0) * 1.5), h, w)
    cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
    if side > 0.6 * min(h, w):  # strokes all over the photo: a window where they are densest
        side = round(0.4 * min(h, w))
        density = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), side / 6)
        cy, cx = np.unravel_index(int(np.argmax(density)), mask.shape)
    top = int(np.clip(cy - side // 2, 0, h - side))
    left = int(np.clip(cx - side // 2, 0, w - side))
    return top, top + side, left, left + side


def _tile(image: RGB, enlarge: bool = False) -> Image.Image:
    pil = Image.fromarray(image)
    scale = TILE / max(pil.width, pil.height)
    if scale < 1 or enlarge:
        size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
        pil = pil.resize(size, Image.Resampling.LANCZOS)
    tile = Image.new("RGB", (TILE, TILE), (40, 40, 40))
    tile.paste(pil, ((TILE - pil.width) // 2, (TILE - pil.height) // 2))
    return tile


def case_tiles(image: RGB, mask: Mask, fills: list[RGB]) -> list[Image.Image]:
    """The tiles of one case row: the whole photo with its hole, then crops of ``image`` and each
    of ``fills`` around the hole."""
    top, bottom, left, right = crop_box(mask)
    crops = [im[top:bottom, left:right] for im in (image, *fills)]
    return [_tile(overlay(image, mask)), *(_tile(c, enlarge=True) for c in crops)]


def write(
    cases: list[tuple[str, list[Image.Image]]], styles: list[tuple[str, RGB]], path: Path
) -> None:
    """Write the sheet: one labelled row per case, then the styled results four to a row."""
    per_row = 4
    style_rows = [styles[i : i + per_row] for i in range(0, len(styles), per_row)]
    width = TILE * len(COLUMNS)
    height = LABEL_H + (len(cases) + len(style_rows)) * (TILE + LABEL_H)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(15)
    for c, title in enumerate(COLUMNS):
        draw.text((c * TILE + 6, 3), title, fill="black", font=font)
    y = LABEL_H
    for label, tiles in cases:
        draw.text((6, y + 3), label, fill=(60, 60, 60), font=font)
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (c * TILE, y + LABEL_H))
        y += TILE + LABEL_H
    for row in style_rows:
        names = " · ".join(name for name, _ in row)
        draw.text((6, y + 3), f"ours in the styles: {names}", fill=(60, 60, 60), font=font)
        for c, (_, image) in enumerate(row):
            sheet.paste(_tile(image), (c * TILE, y + LABEL_H))
        y += TILE + LABEL_H
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
