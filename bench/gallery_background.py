"""A contact sheet of the classic background-generation engine: prompts × product cutouts.

    .venv/bin/python bench/gallery_background.py [--quality v2|v3] [--tile 288] [--seed 7]

Every cell is a real run of :class:`~wanstack.engines.classic.background.ClassicBackground`
on a procedural product cutout (:mod:`products`): the scene the prompt asks for, built around the
product, with its shadows and reflection, the product's own pixels untouched. Writes
``docs/gallery/background.png`` (downscaled tiles; at most 3 MB, a dithered palette PNG when a
full-colour one would be larger) and prints the run times.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from products import PRODUCTS
from wanstack.engines import titles as poster
from wanstack.engines.base import CancelToken
from wanstack.engines.classic.background import ClassicBackground
from wanstack.engines.requests import BackgroundRequest

#: (prompt, English gloss for prompts that are not English)
PROMPTS: list[tuple[str, str]] = [
    ("山脉和晚霞", "mountains and sunset glow"),
    (
        "在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线",
        "desert ground, plants and setting sun far away, rich detail, soft light",
    ),
    ("粉色桃花", "pink peach blossom"),
    ("可爱小狗", "cute puppy"),
    ("树叶", "leaves"),
    ("white marble tabletop, soft light", ""),
    ("wooden table in a sunny kitchen", ""),
    ("pink pastel studio with podium", ""),
    ("beach at sunset", ""),
    ("city lights at night, bokeh", ""),
    ("snowy mountains", ""),
    ("concrete floor, minimal", ""),
    ("linen tablecloth, natural light", ""),
    ("水面，涟漪，清新", "water surface, ripples, fresh"),
    ("lake and forest at golden hour", ""),
    ("terrazzo floor with arch and sphere, beige", ""),
]

#: Prompts shown with a title and subtitle (seed 002), to show the poster layout too.
TITLES: dict[str, tuple[str, str]] = {
    "粉色桃花": ("春日限定", "只为不一样的你"),
    "white marble tabletop, soft light": ("新品上市", "限时八折优惠"),
    "beach at sunset": ("夏日清凉", "全场满199减50"),
    "lake and forest at golden hour": ("自然之选", "温暖每一天"),
}

OUT = Path("docs/gallery/background.png")
MAX_BYTES = 3_000_000


def _save(sheet: Image.Image, out: Path, limit: int) -> None:
    """Save as a full-colour PNG, or, when that would exceed ``limit`` bytes, as a dithered
    256-colour PNG (dithering keeps the smooth gradients free of bands)."""
    data = io.BytesIO()
    sheet.save(data, "PNG", optimize=True)
    if data.tell() > limit:
        palette = sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        data = io.BytesIO()
        sheet.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(
            data, "PNG", optimize=True
        )
    out.write_bytes(data.getvalue())


def _request(subject: np.ndarray, prompt: str, seed: int, quality: str) -> BackgroundRequest:
    title, sub_title = TITLES.get(prompt, (None, None))
    return BackgroundRequest(
        subject=subject,
        ref_image=None,
        ref_prompt=prompt,
        neg_prompt="",
        edges=(),
        n=1,
        noise_level=300,
        ref_prompt_weight=0.5,
        model_version=quality,
        scene_type=None,
        title=title,
        sub_title=sub_title,
        seed=seed,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quality", default="v2", choices=["v2", "v3"])
    ap.add_argument("--tile", type=int, default=288)
    ap.add_argument("--size", type=int, default=896, help="product canvas size (pixels)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--groups", type=int, default=2, help="prompts side by side")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    engine = ClassicBackground()
    products = {name: make(args.size) for name, make in PRODUCTS.items()}
    tile, gap, label_h = args.tile, 6, 40
    per_group = len(products) * tile + (len(products) - 1) * gap
    rows = (len(PROMPTS) + args.groups - 1) // args.groups
    width = args.groups * per_group + (args.groups + 1) * gap * 3
    height = rows * (label_h + tile + gap * 2) + gap
    sheet = Image.new("RGB", (width, height), (250, 249, 247))
    draw = ImageDraw.Draw(sheet)
    font, small = poster.font(15), poster.font(12)
    times: list[float] = []
    for i, (prompt, gloss) in enumerate(PROMPTS):
        gx = gap * 3 + (i % args.groups) * (per_group + gap * 3)
        gy = gap + (i // args.groups) * (label_h + tile + gap * 2)
        text = prompt
        if prompt in TITLES:
            text += "  (title: {} / {})".format(*TITLES[prompt])
        draw.text((gx, gy + 2), text[:60], fill=(34, 34, 34), font=font)
        if gloss:
            draw.text((gx, gy + 21), gloss[:80], fill=(120, 120, 120), font=small)
        for j, subject in enumerate(products.values()):
            request = _request(subject, prompt, args.seed + i, args.quality)
            start = time.perf_counter()
            items = engine.run(request, CancelToken())
            times.append(time.perf_counter() - start)
            image = items[0].image
            if image is None:
                raise RuntimeError(f"no image for {prompt!r}")
            cell = Image.fromarray(image).resize((tile, tile), Image.Resampling.LANCZOS)
            sheet.paste(cell, (gx + j * (tile + gap), gy + label_h))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(sheet, out, MAX_BYTES)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {len(times)} runs at "
        f"{args.size}x{args.size} {args.quality}, median {statistics.median(times):.3f}s, "
        f"max {max(times):.3f}s"
    )


if __name__ == "__main__":
    main()
