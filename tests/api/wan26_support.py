"""Inputs and checks shared by the Wan 2.6 tests (API and acceptance tiers)."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image

from tests.support.media import MediaServer

VIDEO = "/api/v1/services/aigc/video-generation/video-synthesis"
SYNC = "/api/v1/services/aigc/multimodal-generation/generation"
IMAGE_TASK = "/api/v1/services/aigc/image-generation/generation"
FAKE_ENGINES = {
    "wan2.6-t2v": "fake",
    "wan2.6-i2v": "fake",
    "wan2.6-image": "fake",
    "wanx-x-painting": "fake",
}


def wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    """A mono 440 Hz sine as a 16-bit WAV file."""
    count = round(seconds * rate)
    samples = (int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(count))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buf.getvalue()


def image_bytes(width: int, height: int, fmt: str = "PNG", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([xx * 255 // max(1, width), yy * 255 // max(1, height), 0 * xx + 90], axis=2)
    rgb = (rgb + rng.integers(0, 20, rgb.shape)).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format=fmt)
    return buf.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@dataclass(frozen=True)
class Mp4Facts:
    codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    fps: float
    audio_seconds: float | None  #: None: no audio stream


def mp4_facts(data: bytes) -> Mp4Facts:
    """Decode every frame of an MP4 with PyAV and report what it holds."""
    with av.open(io.BytesIO(data), "r") as container:
        assert container.format.name.startswith("mov,mp4"), container.format.name
        video = container.streams.video[0]
        codec, pix_fmt = video.codec_context.name, str(video.codec_context.pix_fmt)
        fps = float(video.average_rate or 0)
        frames = sum(1 for _ in container.decode(video=0))
    audio_seconds = None
    with av.open(io.BytesIO(data), "r") as container:
        if container.streams.audio:
            samples = 0
            rate = container.streams.audio[0].codec_context.sample_rate
            for frame in container.decode(audio=0):
                samples += frame.samples
            audio_seconds = samples / rate
    width = height = 0
    with av.open(io.BytesIO(data), "r") as container:
        ctx = container.streams.video[0].codec_context
        width, height = ctx.width, ctx.height
    return Mp4Facts(codec, pix_fmt, width, height, frames, fps, audio_seconds)


def image_source(media: MediaServer, source: str, data: bytes, name: str) -> str:
    """``data`` (a JPEG) as the SDK would be given it: an http ``url`` on ``media``, a
    ``data-uri``, or a ``local-file`` path (the SDK uploads it and sends ``oss://``)."""
    if source == "url":
        return media.put(f"{name}.jpg", data)
    if source == "data-uri":
        return data_uri(data, "image/jpeg")
    path = media.root / f"{name}-local.jpg"
    path.write_bytes(data)
    return f"file://{path}"
