"""Input media for tests that drive real processes: small test images, and a real HTTP server.

* :func:`photo_png` / :func:`photo_gif` / :func:`mask_png` build small test images with numpy;
  :func:`png_data_uri` gives one as a ``data:`` URI.
* :func:`serving` runs a ``ThreadingHTTPServer`` on 127.0.0.1 over a folder and yields a
  :class:`MediaServer`; ``put(name, data)`` publishes a file and returns its URL.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class MediaServer:
    root: Path
    base_url: str

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)


@contextlib.contextmanager
def serving(root: Path) -> Iterator[MediaServer]:
    """Serve ``root`` over HTTP on 127.0.0.1 until the block ends."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="media-server", daemon=True)
    thread.start()
    try:
        yield MediaServer(root=root, base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def encode(array: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def png_data_uri(width: int, height: int, *, mask: bool = False, seed: int = 0) -> str:
    """A data: URI of a small photo-like PNG, or of a mask with a white rectangle."""
    if mask:
        arr = np.zeros((height, width, 3), np.uint8)
        arr[height // 3 : height // 2, width // 3 : width // 2] = 255
    else:
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:height, 0:width]
        arr = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=2).astype(
            np.uint8
        )
        arr = np.clip(arr + rng.normal(0, 8, arr.shape), 0, 255).astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(encode(arr, "PNG")).decode()


def photo_array(width: int = 512, height: int = 384, seed: int = 7) -> np.ndarray:
    """A photo-like RGB picture: sky/ground gradients, a sun, a few blocks and fine noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = height * 0.55
    sky = np.stack([90 + 60 * y / horizon, 140 + 50 * y / horizon, 230 - 30 * y / horizon], axis=-1)
    ground = np.stack(
        [70 + 40 * x / width, 120 - 40 * (y - horizon) / height, 50 + 20 * x / width], axis=-1
    )
    img = np.where((y < horizon)[..., None], sky, ground)
    sun = (x - width * 0.8) ** 2 + (y - height * 0.2) ** 2 < (min(width, height) * 0.08) ** 2
    img[sun] = (250, 230, 120)
    for i in range(4):
        x0 = int(width * (0.08 + 0.2 * i))
        y0 = int(horizon - height * (0.1 + 0.05 * i))
        img[y0 : int(horizon), x0 : x0 + width // 12] = (120 + 30 * i, 80 + 20 * i, 60)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo_png(width: int = 512, height: int = 384, seed: int = 7) -> bytes:
    return encode(photo_array(width, height, seed), "PNG")


def photo_gif(width: int = 512, height: int = 384) -> bytes:
    return encode(photo_array(width, height), "GIF")


def mask_png(
    width: int = 512,
    height: int = 384,
    rect: tuple[float, float, float, float] = (0.3, 0.25, 0.65, 0.7),
) -> bytes:
    """Black image with a white rectangle (fractions x0, y0, x1, y1 of the size)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    x0, y0, x1, y1 = rect
    mask[int(height * y0) : int(height * y1), int(width * x0) : int(width * x1)] = 255
    return encode(mask, "PNG")
