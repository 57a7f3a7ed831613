"""Engine time of the classic video engines against the speed targets, and a contact sheet.

For the image-to-video engine (``CameraVideo``, wan2.6-i2v) it runs a 5 s, 30 fps video from
scikit-image's bundled ``astronaut`` photo at 720P (1280×720, 150 frames; target ≤ 15 s) and
1080P (1920×1080; target ≤ 40 s) for each of a few moves, and reports the median of 3 runs of
``engine.run`` (rendering + H.264 encoding + muxing, as the worker sees it) together with the
output's size in bytes and what :func:`wanstack.engines.mp4.probe_mp4` decodes from it. When the
text-to-video engine ``wanstack.engines.classic.text2video`` exists, it is timed the same way.

It also writes a contact sheet (rows: moves; columns: 6 frames from start to end) to ``--sheet``.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/video_bench.py [--runs 3] [--moves "push in,pan left,orbit,multi"]
                                          [--sizes 720P,1080P] [--sheet /tmp/video_sheet.png]
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import time
from typing import Any

import av
import cv2
import numpy as np
from skimage import data

from wanstack.engines.base import CancelToken, RGBImage
from wanstack.engines.classic.image2video import CameraVideo
from wanstack.engines.mp4 import probe_mp4
from wanstack.engines.requests import VideoRequest

SIZES = {"480P": (832, 480), "720P": (1280, 720), "1080P": (1920, 1080)}
TARGETS_S = {"720P": 15.0, "1080P": 40.0}
DURATION_S, FPS = 5, 30


def request(prompt: str, size: tuple[int, int], image: RGBImage | None) -> VideoRequest:
    shot_type = "multi" if prompt == "multi" else "single"
    return VideoRequest(
        prompt="" if prompt == "multi" else prompt,
        negative_prompt="",
        image=image,
        size=size,
        duration=DURATION_S,
        fps=FPS,
        shot_type=shot_type,
        audio=None,
        seed=7,
    )


def time_engine(engine: Any, req: VideoRequest, runs: int) -> tuple[float, bytes]:
    times, mp4 = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        mp4 = engine.run(req, CancelToken())[0].mp4
        times.append(time.perf_counter() - start)
    return statistics.median(times), mp4


def contact_sheet(image: RGBImage, moves: list[str], path: str) -> None:
    engine, rows = CameraVideo(), []
    for move in moves:
        mp4 = engine.run(request(move, (640, 360), image), CancelToken())[0].mp4
        with av.open(io.BytesIO(mp4), "r") as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        picks = np.linspace(0, len(frames) - 1, 6).round().astype(int)
        row = np.concatenate([cv2.resize(frames[i], (320, 180)) for i in picks], axis=1)
        cv2.putText(row, move, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
        rows.append(row)
    cv2.imwrite(path, cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    print(f"contact sheet: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--moves", default="push in,pan left,orbit,multi")
    parser.add_argument("--sizes", default="720P,1080P")
    parser.add_argument("--sheet", default="/tmp/video_sheet.png")
    args = parser.parse_args()
    image: RGBImage = np.asarray(data.astronaut(), np.uint8)  # type: ignore[no-untyped-call]
    moves = [move.strip() for move in args.moves.split(",")]
    engines: list[tuple[str, Any, RGBImage | None]] = [("i2v classic", CameraVideo(), image)]
    try:
        scene = importlib.import_module("wanstack.engines.classic.text2video")
        engines.append(("t2v classic", scene.SceneVideo(), None))
    except ImportError:
        pass

    print(f"{DURATION_S} s at {FPS} fps, median of {args.runs} runs (engine.run, incl. encoding)")
    print(f"{'engine':<12} {'size':<6} {'move':<10} {'seconds':>8} {'target':>7} {'MB':>6}  probe")
    for name, engine, source in engines:
        engine.load()
        for size_name in args.sizes.split(","):
            size = SIZES[size_name]
            for move in moves if source is not None else ["a lake at dawn"]:
                seconds, mp4 = time_engine(engine, request(move, size, source), args.runs)
                info = probe_mp4(mp4)
                target = TARGETS_S.get(size_name)
                verdict = "" if target is None else ("ok" if seconds <= target else "SLOW")
                print(
                    f"{name:<12} {size_name:<6} {move[:10]:<10} {seconds:8.2f} "
                    f"{target or 0:7.0f} {len(mp4) / 1e6:6.2f}  {info.codec} {info.pix_fmt} "
                    f"{info.width}x{info.height} {info.frames}f {info.fps:g}fps "
                    f"faststart={info.faststart} {verdict}"
                )
    contact_sheet(
        image, ["push in", "zoom out", "pan left", "tilt up", "orbit", "multi"], args.sheet
    )


if __name__ == "__main__":
    main()
