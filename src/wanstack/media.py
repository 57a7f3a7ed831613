"""Decoding user images safely: format detection and pixel limits before any pixel is decoded."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from wanstack.errors import MediaInvalid, UnsupportedFileFormat

#: Largest image (in pixels) any model accepts; far above every documented limit, far below what
#: would let a small compressed file expand into gigabytes of memory (a decompression bomb).
MAX_PIXELS = 50_000_000


@dataclass(frozen=True, slots=True)
class DecodedImage:
    image: Image.Image  #: fully loaded
    format: str  #: Pillow's name: PNG, JPEG, BMP, WEBP, …

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def decode_image(data: bytes, *, field: str, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Decode ``data`` as an image, checking its declared size before decoding the pixels.

    Raises :class:`UnsupportedFileFormat` for non-images and :class:`MediaInvalid` for images
    over ``max_pixels``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise MediaInvalid(
                    f"{field}: the image is {width}*{height} pixels, more than the "
                    f"{max_pixels} pixels this server decodes"
                )
            image.load()
    except MediaInvalid:
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
    decoded = decode_image(data, field=field)
    if decoded.format not in WAN_IMAGE_FORMATS:
        raise UnsupportedFileFormat(
            f"{field} must be a JPEG, PNG, BMP or WEBP image, but is {decoded.format or 'unknown'}"
        )
    width, height = decoded.size
    lo, hi = sides
    if not (lo <= width <= hi and lo <= height <= hi):
        raise MediaInvalid(
            f"{field}: each side of the image must be from {lo} to {hi} pixels, "
            f"but the image is {width}*{height}"
        )
    return decoded
