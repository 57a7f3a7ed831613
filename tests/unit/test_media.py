"""``decode_image``: formats, broken files and the pixel limit checked before decoding."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from wanstack.errors import MediaInvalid, UnsupportedFileFormat
from wanstack.media import MAX_PIXELS, decode_image


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def png(width: int = 20, height: int = 20, mode: str = "RGB") -> bytes:
    return encode(Image.new(mode, (width, height), "red" if mode == "RGB" else 0), "PNG")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed-header PNG whose IHDR claims ``width`` × ``height`` pixels."""
    data = bytearray(png(1, 1, mode="1"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("PNG", "PNG"), ("JPEG", "JPEG"), ("BMP", "BMP"), ("GIF", "GIF"), ("WEBP", "WEBP")],
)
def test_decodes_common_formats(fmt: str, expected: str) -> None:
    decoded = decode_image(encode(Image.new("RGB", (31, 17), "blue"), fmt), field="f")
    assert decoded.format == expected
    assert decoded.size == (31, 17)
    assert decoded.image.size == (31, 17)


def test_the_image_is_fully_loaded() -> None:
    decoded = decode_image(png(), field="f")
    # Loaded: pixel access needs no further reads from the (gone) buffer.
    assert decoded.image.getpixel((0, 0)) == (255, 0, 0)
    assert decoded.image.im is not None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        bytes(range(256)) * 4,
        b"<html><body>404</body></html>",
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
    ],
    ids=["empty", "text", "random", "html", "signature-only"],
)
def test_non_images_are_an_unsupported_format(data: bytes) -> None:
    with pytest.raises(UnsupportedFileFormat) as info:
        decode_image(data, field="input.base_image_url")
    assert info.value.message.startswith("input.base_image_url: ")
    assert info.value.code == "BadRequest.UnsupportedFileFormat"


@pytest.mark.parametrize("keep", [0.5, 0.8, 0.95])
def test_truncated_png_is_an_unsupported_format(keep: float) -> None:
    rng = random.Random(1)
    noisy = Image.frombytes("RGB", (64, 64), bytes(rng.randrange(256) for _ in range(64 * 64 * 3)))
    data = encode(noisy, "PNG")
    with pytest.raises(UnsupportedFileFormat, match=r"^mask: "):
        decode_image(data[: int(len(data) * keep)], field="mask")


def test_truncated_jpeg_is_an_unsupported_format() -> None:
    data = encode(Image.effect_noise((128, 128), 64).convert("RGB"), "JPEG")
    with pytest.raises(UnsupportedFileFormat):
        decode_image(data[: len(data) // 2], field="f")


@pytest.mark.parametrize(("width", "height"), [(20, 20), (11, 10), (101, 1)])
def test_over_max_pixels_is_media_invalid(width: int, height: int) -> None:
    with pytest.raises(MediaInvalid) as info:
        decode_image(png(width, height), field="input.mask_image_url", max_pixels=100)
    assert info.value.message == (
        f"input.mask_image_url: the image is {width}*{height} pixels, more than the 100 pixels "
        "this server decodes"
    )
    assert info.value.code == "InvalidParameter"


@pytest.mark.parametrize(("width", "height"), [(10, 10), (100, 1), (1, 1)])
def test_at_max_pixels_is_fine(width: int, height: int) -> None:
    assert decode_image(png(width, height), field="f", max_pixels=100).size == (width, height)


def test_the_limit_is_checked_before_decoding() -> None:
    # The header says 8000*8000 (64 M pixels) but there is one pixel of data: decoding would
    # fail as truncated, so MediaInvalid proves the size was checked first.
    data = png_declaring(8000, 8000)
    assert len(data) < 100
    with pytest.raises(MediaInvalid, match=r"8000\*8000 pixels, more than the 25000000"):
        decode_image(data, field="f")


def test_the_default_limit() -> None:
    assert MAX_PIXELS == 25_000_000  # 5000*5000 (50 M decoded to 1 GB in the hardening probe)
    with pytest.raises(MediaInvalid):
        decode_image(png_declaring(MAX_PIXELS // 1000 + 1, 1000), field="f")


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (20_000, 20_000)])
def test_a_huge_declared_size_is_media_invalid(width: int, height: int) -> None:
    with pytest.raises(MediaInvalid, match="pixels"):
        decode_image(png_declaring(width, height), field="f")


def test_decode_video_keeps_the_length_asked_and_scales_frames_down() -> None:
    import numpy as np

    from wanstack.engines.mp4 import encode_mp4
    from wanstack.media import decode_video

    frames = (np.full((720, 1600, 3), 10 * i, np.uint8) for i in range(20))
    data = encode_mp4(frames, size=(1600, 720), fps=10, frame_count=20, audio=None)
    video = decode_video(data, field="input.video_url", max_seconds=1.5, max_side=800)
    assert len(video.frames) == 15 and video.fps == 10 and video.seconds == 1.5
    assert video.frames[0].shape == (360, 800, 3)
    assert abs(int(video.frames[14].mean()) - 140) < 6
    with pytest.raises(UnsupportedFileFormat, match=r"input\.video_url"):
        decode_video(b"not a video", field="input.video_url", max_seconds=1)
