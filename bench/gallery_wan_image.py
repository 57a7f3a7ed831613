"""A contact sheet of the classic wan2.6-image engine: text to image, edits, an interleaved story.

    .venv/bin/python bench/gallery_wan_image.py [--tile 300] [--seed 5]

Every cell is a real run of :class:`~wanstack.engines.classic.image.WanImage`: text-to-image
prompts in Chinese and English, then edits of bundled photographs (scikit-image's ``chelsea``,
``astronaut``, ``coffee``, ``rocket``) and procedural product cutouts (:mod:`products`): a style,
colour grades, background swaps, a collage and outpainting, with the input shown first. Writes
``docs/gallery/wan-image.png`` and prints the run times (1280×1280 text to image measured apart).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw
from skimage import data

from products import PRODUCTS
from wanstack.engines import titles as poster
from wanstack.engines.base import CancelToken
from wanstack.engines.classic.image import WanImage
from wanstack.engines.requests import ImageGenRequest

OUT = Path("docs/gallery/wan-image.png")
MAX_BYTES = 3_000_000
U8 = npt.NDArray[np.uint8]

#: text to image: (prompt, size)
TEXT: list[tuple[str, tuple[int, int]]] = [
    ("山脉和晚霞", (1024, 1024)),
    ("beach at sunset with palm trees", (1280, 720)),
    ("雪山下的湖泊，清晨", (1024, 1024)),
    ("city lights at night, bokeh", (720, 1280)),
    ("粉色桃花，水彩画风格", (1024, 1024)),
    ("lake and forest at golden hour, oil painting", (1024, 1024)),
    ("山水，远山，国画", (768, 1344)),
    ("mountains and forest by a lake, black and white", (1024, 1024)),
]


def _sample(name: str) -> U8:
    """A bundled scikit-image photograph as opaque RGBA."""
    rgb = np.asarray(getattr(data, name)(), np.uint8)
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def _edits(size: int) -> list[tuple[str, list[U8], str, tuple[int, int]]]:
    """(label, input images, prompt, output size)."""
    cat, astronaut = _sample("chelsea"), _sample("astronaut")
    coffee, rocket = _sample("coffee"), _sample("rocket")
    perfume, mug = PRODUCTS["perfume"](size), PRODUCTS["mug"](size)
    return [
        ("style", [cat], "把这张照片变成动漫风格", (1152, 768)),
        ("style", [coffee], "oil painting of this", (1152, 768)),
        ("grade", [astronaut], "暖色调，更明亮", (1024, 1024)),
        ("grade", [astronaut], "黑白照片，高对比", (1024, 1024)),
        ("grade", [rocket], "复古胶片色调", (1152, 768)),
        ("grade", [rocket], "冷色调", (1152, 768)),
        ("bg swap", [perfume], "把背景换成海边日落", (1024, 1024)),
        ("bg swap", [mug], "wooden table in a sunny kitchen", (1024, 1024)),
        ("bg swap", [perfume], "粉色桃花，柔和光线", (768, 1152)),
        ("outpaint", [cat], "扩图，保持风格", (1024, 1024)),
        ("outpaint", [cat], "make it a tall poster", (720, 1440)),
        ("collage", [cat, coffee, astronaut, rocket], "把四张图拼接成一张", (1024, 1024)),
        ("collage", [cat, coffee], "side by side", (1280, 720)),
        ("no tool", [coffee], "在杯子旁边加一块蛋糕", (1024, 1024)),
    ]


def _request(
    prompt: str, images: list[U8], size: tuple[int, int], seed: int, interleave: bool = False
) -> ImageGenRequest:
    return ImageGenRequest(
        prompt=prompt,
        negative_prompt="",
        images=tuple(images),
        size=size,
        n=1,
        interleave=interleave,
        max_images=4,
        seed=seed,
    )


def _fit(image: U8, tile: int) -> Image.Image:
    """The image scaled to fit a tile×tile box, centred on the sheet's colour."""
    picture = Image.fromarray(image)
    scale = tile / max(picture.size)
    picture = picture.resize(
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
        Image.Resampling.LANCZOS,
    )
    cell = Image.new("RGB", (tile, tile), (236, 234, 230))
    cell.paste(picture, ((tile - picture.width) // 2, (tile - picture.height) // 2))
    return cell


def _checker(rgba: U8) -> U8:
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // 24 + xx // 24) % 2) == 0, 0.85, 0.7).astype(np.float32)
    a = rgba[..., 3:].astype(np.float32) / 255.0
    out = rgba[..., :3].astype(np.float32) / 255.0 * a + board[..., None] * (1 - a)
    return np.asarray(np.clip(out * 255 + 0.5, 0, 255), np.uint8)


def _save(sheet: Image.Image, out: Path, limit: int) -> None:
    data_ = io.BytesIO()
    sheet.save(data_, "PNG", optimize=True)
    if data_.tell() > limit:
        palette = sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        data_ = io.BytesIO()
        sheet.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(
            data_, "PNG", optimize=True
        )
    out.write_bytes(data_.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tile", type=int, default=300)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    engine = WanImage()
    engine.load()
    tile, gap, label_h = args.tile, 8, 40
    cells: list[tuple[str, str, Image.Image]] = []
    times: list[float] = []
    for prompt, size in TEXT:
        start = time.perf_counter()
        image = engine.run(_request(prompt, [], size, args.seed), CancelToken())[0].image
        times.append(time.perf_counter() - start)
        assert image is not None
        cells.append((prompt, f"text to image {size[0]}x{size[1]}", _fit(image, tile)))
    for label, images, prompt, size in _edits(768):
        first = images[0]
        shown = _checker(first) if first[..., 3].min() < 255 else first[..., :3]
        cells.append((f"input ({label})", f"{first.shape[1]}x{first.shape[0]}", _fit(shown, tile)))
        start = time.perf_counter()
        image = engine.run(_request(prompt, images, size, args.seed), CancelToken())[0].image
        times.append(time.perf_counter() - start)
        assert image is not None
        cells.append((prompt, f"{label} → {size[0]}x{size[1]}", _fit(image, tile)))
    story = engine.run(_request("山间湖泊和森林", [], (1024, 768), args.seed, True), CancelToken())
    for item in story:
        assert item.image is not None
        cells.append((item.text or "", "interleave", _fit(item.image, tile)))
    cols = 6
    rows = (len(cells) + cols - 1) // cols
    sheet = Image.new(
        "RGB", (cols * (tile + gap) + gap, rows * (tile + label_h + gap) + gap), (250, 249, 247)
    )
    draw = ImageDraw.Draw(sheet)
    font, small = poster.font(15), poster.font(12)
    for i, (title, note, cell) in enumerate(cells):
        x = gap + (i % cols) * (tile + gap)
        y = gap + (i // cols) * (tile + label_h + gap)
        draw.text((x, y + 2), title[:30], fill=(34, 34, 34), font=font)
        draw.text((x, y + 22), note, fill=(120, 120, 120), font=small)
        sheet.paste(cell, (x, y + label_h))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(sheet, out, MAX_BYTES)
    big = []
    for i in range(3):
        start = time.perf_counter()
        engine.run(_request("山脉和晚霞", [], (1280, 1280), args.seed + i), CancelToken())
        big.append(time.perf_counter() - start)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {len(times)} runs, median "
        f"{statistics.median(times):.3f}s, max {max(times):.3f}s; 1280x1280 text to image "
        f"{', '.join(f'{t:.2f}s' for t in big)}"
    )


if __name__ == "__main__":
    main()
