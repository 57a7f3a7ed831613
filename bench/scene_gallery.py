"""Render a gallery of prompts with the procedural scene renderer and time it.

    .venv/bin/python bench/scene_gallery.py [--quality v2|v3] [--size 512] [--seed 7]

Writes ``bench/results/scene_gallery.png`` (a labelled grid) and prints the median of three
renders for v2 at 1024×1024 and v3 at 2048×2048 (``--no-timing`` skips that).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from wanstack.engines import titles as poster
from wanstack.engines.classic.scene import parse_prompt, render_scene

PROMPTS = [
    "山脉和晚霞",
    "在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线",
    "粉色桃花",
    "可爱小狗",
    "树叶",
    "white marble tabletop, soft light",
    "wooden table in a sunny kitchen",
    "pink pastel studio with podium",
    "beach at sunset",
    "city lights at night bokeh",
    "snowy mountains",
    "green leaves and flowers",
    "dark luxury velvet",
    "concrete floor minimal",
    "浅蓝色渐变背景",
    "xyzzy foo",
    "",
    "lake with forest at golden hour",
    "starry night over the desert",
    "terrazzo floor with arch and sphere, beige",
]


def _median(fn: object, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quality", default="v2")
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cols", type=int, default=5)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--out", default="bench/results/scene_gallery.png")
    args = ap.parse_args()
    s = args.size
    label_h = 22
    rows = (len(PROMPTS) + args.cols - 1) // args.cols
    sheet = Image.new("RGB", (args.cols * s, rows * (s + label_h)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = poster.font(13)
    for i, prompt in enumerate(PROMPTS):
        spec = parse_prompt(prompt)
        scene = render_scene(spec, (s, s), args.seed + i, args.quality)
        x, y = (i % args.cols) * s, (i // args.cols) * (s + label_h)
        sheet.paste(Image.fromarray(scene.image), (x, y + label_h))
        d = draw
        d.text((x + 4, y + 3), (prompt or "(empty)")[:48], fill=(30, 30, 30), font=font)
        if scene.horizon_y is not None:
            d.line(
                [(x, y + label_h + scene.horizon_y), (x + 6, y + label_h + scene.horizon_y)],
                fill=(255, 0, 0),
            )
        fy = y + label_h + scene.floor_y
        d.line([(x + s // 2 - 8, fy), (x + s // 2 + 8, fy)], fill=(0, 160, 255))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    print(f"wrote {out}")
    if args.no_timing:
        return
    for quality, side in (("v2", 1024), ("v3", 2048)):
        per = []
        for prompt in PROMPTS:
            spec = parse_prompt(prompt)
            per.append(
                _median(
                    lambda spec=spec, side=side, q=quality: render_scene(spec, (side, side), 1, q)
                )
            )
        arr = np.array(per)
        worst = PROMPTS[int(arr.argmax())] or "(empty)"
        print(
            f"{quality} {side}x{side}: median over prompts {np.median(arr):.3f}s, "
            f"max {arr.max():.3f}s ({worst})"
        )


if __name__ == "__main__":
    main()
