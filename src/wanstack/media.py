"""Decoding user images and videos safely: an image's format, sides and pixel count are checked
from the file's header before any pixel is decoded (a 145 KB PNG can declare 50 megapixels: a
gigabyte once decoded); a video is decoded only up to a duration, each frame scaled down."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from wanstack.errors import MediaInvalid, UnsupportedFileFormat

#: Largest image (in pixels) any input may have: 5000*5000. Above every limit the models document
#: in pixels (x-painting and background generation stop below 4096 per side, wan2.6-image at 5000),
#: and far below what lets a small compressed file expand into gigabytes of memory (a
#: decompression bomb). wan2.6-i2v documents sides up to 8000 with no pixel cap; wanstack takes
#: any shape up to 8000 per side within these 25 megapixels.
MAX_PIXELS = 25_000_000

#: Checks a file from its header alone: (Pillow format name, width, height); raises to refuse.
HeaderCheck = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DecodedImage:
    image: Image.Image  #: fully loaded
    format: str  #: Pillow's name: PNG, JPEG, BMP, WEBP, …

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def decode_image(
    data: bytes,
    *,
    field: str,
    max_pixels: int = MAX_PIXELS,
    check: HeaderCheck | None = None,
) -> DecodedImage:
    """Decode ``data`` as an image once its header passed ``check`` (format and sides) and
    ``max_pixels``; nothing is decoded for a file that fails them.

    Raises :class:`UnsupportedFileFormat` for non-images, :class:`MediaInvalid` for images
    over ``max_pixels``, and whatever ``check`` raises.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if check is not None:
                check(image.format or "", width, height)
            if width * height > max_pixels:
                raise MediaInvalid(
                    f"{field}: the image is {width}*{height} pixels, more than the "
                    f"{max_pixels} pixels this server decodes"
                )
            image.load()
    except (MediaInvalid, UnsupportedFileFormat):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaInvalid(
            f"{field}: the image has more than the {max_pixels} pixels this server decodes"
        ) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedFileFormat(f"{field}: the file is not a supported image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedFileFormat(f"{field}: the image could not be decoded ({exc})") from exc
    return DecodedImage(image=image, format=image.format or "")


#: the input image formats the Wan 2.6 models accept (Pillow names; MPO is a JPEG variant)
WAN_IMAGE_FORMATS = ("JPEG", "MPO", "PNG", "BMP", "WEBP")


def decode_wan_image(data: bytes, *, field: str, sides: tuple[int, int]) -> DecodedImage:
    """Decode a Wan 2.6 input image: JPEG, PNG, BMP or WEBP, each side within ``sides``.

    Raises :class:`UnsupportedFileFormat` for other formats and :class:`MediaInvalid` for sides
    out of range, with messages naming ``field``."""

    def check(format: str, width: int, height: int) -> None:
        if format not in WAN_IMAGE_FORMATS:
            raise UnsupportedFileFormat(
                f"{field} must be a JPEG, PNG, BMP or WEBP image, but is {format or 'unknown'}"
            )
        lo, hi = sides
        if not (lo <= width <= hi and lo <= height <= hi):
            raise MediaInvalid(
                f"{field}: each side of the image must be from {lo} to {hi} pixels, "
                f"but the image is {width}*{height}"
            )

    return decode_image(data, field=field, check=check)


@dataclass(frozen=True, slots=True)
class DecodedVideo:
    frames: tuple[npt.NDArray[np.uint8], ...]  #: RGB, at most ``max_side`` on the longer side
    fps: float
    seconds: float  #: of the frames kept


def decode_video(
    data: bytes, *, field: str, max_seconds: float, max_side: int = 1280
) -> DecodedVideo:
    """The first ``max_seconds`` of a video file's first video stream, as RGB frames scaled to at
    most ``max_side`` on the longer side (memory stays bounded whatever the file declares).

    Raises :class:`UnsupportedFileFormat` for files with no decodable video stream."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise UnsupportedFileFormat(f"{field}: the file has no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 30)
            if not 1 <= rate <= 240:
                raise MediaInvalid(f"{field}: the video's frame rate {rate:g} is out of range")
            width, height = stream.codec_context.width, stream.codec_context.height
            if not (width and height) or width * height > MAX_PIXELS:
                raise MediaInvalid(f"{field}: the video is {width}*{height} pixels")
            scale = min(1.0, max_side / max(width, height))
            out_w = max(2, round(width * scale / 2) * 2)
            out_h = max(2, round(height * scale / 2) * 2)
            limit = max(1, round(max_seconds * rate))
            frames = []
            for frame in container.decode(stream):
                picture = frame.to_ndarray(width=out_w, height=out_h, format="rgb24")
                frames.append(np.ascontiguousarray(picture, dtype=np.uint8))
                if len(frames) >= limit:
                    break
    except (MediaInvalid, UnsupportedFileFormat):
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise UnsupportedFileFormat(f"{field}: the video could not be decoded ({exc})") from exc
    if not frames:
        raise UnsupportedFileFormat(f"{field}: the video has no frames")
    return DecodedVideo(frames=tuple(frames), fps=rate, seconds=len(frames) / rate)
