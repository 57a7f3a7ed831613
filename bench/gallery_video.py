"""Contact sheet of frames from the classic Wan 2.6 video engines: ``docs/gallery/video.png``.

Rows: text-to-video prompts (``SceneVideo``), then image-to-video moves (``CameraVideo``) on
scikit-image's bundled photos. Columns: 6 frames from the first to the last, decoded back from
the MP4 each engine produced (so the sheet shows what a client downloads).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/gallery_video.py [--out docs/gallery/video.png]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from wanstack.engines.base import CancelToken, RGBImage, VideoItem
from wanstack.engines.classic.image2video import CameraVideo
from wanstack.engines.classic.text2video import SceneVideo
from wanstack.engines.requests import VideoRequest

ROOT = Path(__file__).resolve().parents[1]
SIZE = (640, 360)
SECONDS, FPS, COLUMNS = 4, 30, 6
TILE_W, LABEL_H = 320, 24

T2V = (
    "山脉和晚霞，云朵飘动",
    "海边日落，波光粼粼",
    "粉色桃花飘落的春天庭院",
    "a snowy forest at dawn, snow falling, camera slowly pushes in",
)
I2V = (
    ("astronaut", "镜头缓缓推近"),
    ("coffee", "pan left"),
    ("chelsea", "环绕拍摄"),
    ("astronaut", "多镜头"),
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        import pylopdf_fonts_zh_cn

        folder = Path(pylopdf_fonts_zh_cn.__file__).parent
        path = next(folder.rglob("*.[ot]tf"))
        return ImageFont.truetype(str(path), size)
    except (ImportError, StopIteration, OSError):
        return ImageFont.load_default()


def frames_of(item: VideoItem) -> list[RGBImage]:
    with av.open(io.BytesIO(item.mp4), mode="r") as container:
        return [
            np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in container.decode(video=0)
        ]


def pick(frames: list[RGBImage]) -> list[RGBImage]:
    idx = np.linspace(0, len(frames) - 1, COLUMNS).round().astype(int)
    return [frames[i] for i in idx]


def request(prompt: str, image: RGBImage | None, shot: str = "single") -> VideoRequest:
    return VideoRequest(
        prompt=prompt,
        negative_prompt="",
        image=image,
        size=SIZE,
        duration=SECONDS,
        fps=FPS,
        shot_type=shot,
        audio=None,
        seed=7,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery" / "video.png")
    args = ap.parse_args()
    rows: list[tuple[str, list[RGBImage]]] = []
    t2v, i2v = SceneVideo(), CameraVideo()
    t2v.load()
    i2v.load()
    for prompt in T2V:
        item = t2v.run(request(prompt, None), CancelToken())[0]
        rows.append((f"wan2.6-t2v · {prompt}", pick(frames_of(item))))
    for photo, prompt in I2V:
        image = np.asarray(getattr(data, photo)(), np.uint8)
        shot = "multi" if prompt == "多镜头" else "single"
        item = i2v.run(request(prompt, image, shot), CancelToken())[0]
        rows.append((f"wan2.6-i2v · {photo} · {prompt} · shot_type={shot}", pick(frames_of(item))))
    tile_h = round(TILE_W * SIZE[1] / SIZE[0])
    sheet = Image.new("RGB", (TILE_W * COLUMNS, len(rows) * (tile_h + LABEL_H)), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(15)
    for r, (label, frames) in enumerate(rows):
        y = r * (tile_h + LABEL_H)
        draw.text((6, y + 3), label, fill=(40, 40, 40), font=font)
        for c, frame in enumerate(frames):
            tile = Image.fromarray(frame).resize((TILE_W, tile_h), Image.Resampling.LANCZOS)
            sheet.paste(tile, (c * TILE_W, y + LABEL_H))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"{args.out}: {len(rows)} rows × {COLUMNS} frames")


if __name__ == "__main__":
    main()
