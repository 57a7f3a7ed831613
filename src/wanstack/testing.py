"""Fakes shipped with the package, for unit tests and for end-to-end tests of the queue.

``FakeInpaint`` is a real engine implementation (selected with
``WANSTACK_ENGINES='{"wanx-x-painting": "fake"}'``) that copies the fitted base image, can be
slowed down (``WANSTACK_ENGINE_OPTIONS='{"fake": {"delay": 3}}'``) and can fail chosen items, so
acceptance tests can kill a worker mid-task. ``MemoryStorage`` and ``FrozenClock`` replace disk
and time in unit tests. ``FakeVideo`` (wan2.6-t2v / i2v) writes a small but valid MP4 (H.264,
yuv420p, AAC when a soundtrack was given) with exactly the requested size and frame count;
``FakeWanImage`` (wan2.6-image) returns flat images of the requested size, with text in
interleave mode.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

import av
import cv2
import numpy as np

from wanstack.clock import FrozenClock
from wanstack.engines.base import (
    AudioTrack,
    BackgroundRequest,
    CancelToken,
    ImageGenRequest,
    ImageItem,
    InpaintRequest,
    RGBImage,
    VideoItem,
    VideoRequest,
)
from wanstack.errors import TaskError

__all__ = [
    "FakeBackground",
    "FakeInpaint",
    "FakeVideo",
    "FakeWanImage",
    "FrozenClock",
    "MemoryStorage",
    "write_test_mp4",
]

TIMEOUT_MESSAGE = (
    "An internal timeout error has occured during execution, please try again later or contact "
    "service support."
)


def _sleep(delay: float, cancel: CancelToken) -> None:
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:  # small steps, so a cancel is noticed promptly
        cancel.check()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


class _Fake:
    """What every fake engine shares: its name, options (``delay`` seconds per task, output
    indices to fail in ``fail_items``), a load counter and its description."""

    name = "fake"

    def __init__(self, delay: float = 0.0, fail_items: list[int] | None = None, **_: Any) -> None:
        self.delay = float(delay)
        self.fail_items = set(fail_items or [])
        self.loaded = 0

    def load(self) -> None:
        self.loaded += 1

    def describe(self) -> dict[str, Any]:
        return {"engine": "fake"}


class FakeInpaint(_Fake):
    """Deterministic stand-in for an inpainting engine: resize, paint the mask grey."""

    def run(self, request: InpaintRequest, cancel: CancelToken) -> list[ImageItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        base = np.asarray(
            cv2.resize(request.image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        mask = cv2.resize(request.mask.astype(np.uint8), (width, height)) > 0
        items = []
        for i in range(request.n):
            cancel.check()
            if i in self.fail_items:
                items.append(
                    ImageItem(
                        error=TaskError(
                            code="InternalError.Timeout",
                            message=TIMEOUT_MESSAGE,
                        )
                    )
                )
                continue
            out = base.copy()
            out[mask] = np.uint8((request.seed + 37 * i) % 256)
            items.append(ImageItem(image=out))
        return items


class FakeBackground(_Fake):
    """Deterministic stand-in for a background engine: the product over a flat grey whose
    shade follows the seed; with a title, a text-free copy and one text layer."""

    def run(self, request: BackgroundRequest, cancel: CancelToken) -> list[ImageItem]:
        time.sleep(self.delay)
        alpha = request.subject[..., 3:].astype(np.float32) / 255.0
        items = []
        for i in range(request.n):
            cancel.check()
            grey = np.full_like(request.subject[..., :3], (request.seed + 53 * i) % 256)
            mixed = request.subject[..., :3] * alpha + grey * (1.0 - alpha)
            image = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
            if request.title is None:
                items.append(ImageItem(image=image))
                continue
            layer = {"type": "text", "sub_type": "Title", "content": request.title, "idx": 0}
            items.append(ImageItem(image=image, plain=image.copy(), layers=[layer]))
        return items


class FakeVideo(_Fake):
    """Deterministic stand-in for the Wan 2.6 video engines: the input image (i2v) or a flat
    colour from the seed (t2v), with a white bar sweeping across, muxed with the soundtrack."""

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        if request.image is not None:
            base = np.asarray(
                cv2.resize(request.image, (width, height), interpolation=cv2.INTER_AREA),
                dtype=np.uint8,
            )
        else:
            shade = request.seed % 200
            base = np.full((height, width, 3), (shade, 90, 200 - shade), dtype=np.uint8)
        frames = request.duration * request.fps
        bar = max(2, width // 40)

        def frame(i: int) -> RGBImage:
            cancel.check()
            out = base.copy()
            x = (i * (width - bar)) // max(1, frames - 1)
            out[:, x : x + bar] = 255
            return out

        mp4 = write_test_mp4(
            (frame(i) for i in range(frames)),
            request.size,
            request.fps,
            audio=request.audio,
            seconds=float(request.duration),
        )
        return [
            VideoItem(
                mp4=mp4,
                width=width,
                height=height,
                frames=frames,
                fps=request.fps,
                has_audio=request.audio is not None,
            )
        ]


def write_test_mp4(
    frames: Any,
    size: tuple[int, int],
    fps: int,
    *,
    audio: AudioTrack | None = None,
    seconds: float = 0.0,
) -> bytes:
    """Encode RGB frames as an MP4 (H.264 yuv420p, faststart); with ``audio``, an AAC track
    looped or trimmed to ``seconds``."""
    width, height = size
    fd, name = tempfile.mkstemp(suffix=".mp4")  # faststart rewrites the file by its name
    os.close(fd)
    try:
        with av.open(name, "w", options={"movflags": "+faststart"}) as out:
            video = out.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"preset": "ultrafast", "crf": "30"}
            sound = None
            if audio is not None:
                sound = out.add_stream("aac", rate=48000)
                sound.layout = "stereo"
            for image in frames:
                for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    out.mux(packet)
            for packet in video.encode():
                out.mux(packet)
            if sound is not None and audio is not None:
                samples = _audio_samples(audio, round(seconds * 48000))
                for start in range(0, samples.shape[1], 1024):
                    chunk = np.ascontiguousarray(samples[:, start : start + 1024])
                    frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                    frame.sample_rate = 48000
                    frame.pts = start
                    for packet in sound.encode(frame):
                        out.mux(packet)
                for packet in sound.encode():
                    out.mux(packet)
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def _audio_samples(audio: AudioTrack, count: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The soundtrack as 48 kHz stereo float planes, looped or trimmed to ``count`` samples."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
    parts = []
    with av.open(io.BytesIO(audio.data), "r") as container:
        for decoded in container.decode(audio=0):
            for frame in resampler.resample(decoded):
                parts.append(frame.to_ndarray())
    for frame in resampler.resample(None):
        parts.append(frame.to_ndarray())
    pcm = np.concatenate(parts, axis=1).astype(np.float32)
    repeats = -(-count // max(1, pcm.shape[1]))
    return np.tile(pcm, (1, repeats))[:, :count]


class FakeWanImage(_Fake):
    """Deterministic stand-in for the wan2.6-image engine: flat images of the requested size
    (the first input image, resized, in edit mode); in interleave mode ``max_images`` steps of
    text and image."""

    def run(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        _sleep(self.delay, cancel)
        width, height = request.size
        if request.images:
            rgb = np.ascontiguousarray(request.images[0][..., :3])
            base = np.asarray(
                cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        else:
            base = np.full((height, width, 3), 128, dtype=np.uint8)
        count = request.max_images if request.interleave else request.n
        items = []
        for i in range(count):
            cancel.check()
            if i in self.fail_items:
                items.append(
                    ImageItem(error=TaskError(TIMEOUT_MESSAGE, code="InternalError.Timeout"))
                )
                continue
            image = base.copy()
            image[: height // 8] = np.uint8((request.seed + 41 * i) % 256)
            text = f"Step {i + 1}: {request.prompt[:40]}" if request.interleave else None
            items.append(ImageItem(image=image, text=text))
        return items


class MemoryStorage:
    """Storage in a dict; URLs are fake but stable."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = data

    async def put_file(self, key: str, file: BinaryIO, content_type: str) -> None:
        self.files[key] = file.read()

    async def get(self, key: str) -> bytes:
        try:
            return self.files[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    async def delete_prefix(self, prefix: str) -> None:
        for key in [k for k in self.files if k.startswith(prefix)]:
            del self.files[key]

    def local_path(self, key: str) -> Path | None:
        return None

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        return f"{base_url}/memory/{key}?Expires={expires_ms // 1000}"

    def free_bytes(self) -> int | None:
        return None
