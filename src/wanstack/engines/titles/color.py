"""Colours for title layers: parsing and writing ``#rrggbb(aa)``, WCAG luminance and contrast,
lightness adjusted until a colour reaches the contrast target, and an image's own palette.

The bottom of :mod:`wanstack.engines.titles`: it imports nothing from its siblings.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

RGBImage = npt.NDArray[np.uint8]
RGB = tuple[int, int, int]

#: The contrast every title is designed to (WCAG AA asks 4.5:1; a little margin for rounding).
TARGET_CONTRAST = 4.6


# --------------------------------------------------------------------------- colour


def parse_color(value: Any, default: tuple[int, int, int, int] = (0, 0, 0, 0)) -> tuple[int, ...]:
    """``#rgb``, ``#rrggbb`` or ``#rrggbbaa`` → (r, g, b, a); anything else → ``default``."""
    if not isinstance(value, str):
        return default
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) == 6:
        text += "ff"
    if len(text) != 8 or not re.fullmatch(r"[0-9a-fA-F]{8}", text):
        return default
    return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4, 6))


def hex_color(rgb: Sequence[int], alpha: int | None = None) -> str:
    body = "".join(f"{int(c):02x}" for c in rgb[:3])
    return f"#{body}" if alpha is None else f"#{body}{alpha:02x}"


def _linear(channel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c = channel / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: Any) -> Any:
    """WCAG relative luminance of an RGB triple or an ``(..., 3)`` array of 0–255 values."""
    arr = _linear(np.asarray(rgb, dtype=np.float64))
    lum = arr[..., 0] * 0.2126 + arr[..., 1] * 0.7152 + arr[..., 2] * 0.0722
    return float(lum) if lum.ndim == 0 else lum


def contrast_ratio(a: Sequence[int], b: Sequence[int]) -> float:
    """WCAG 2 contrast ratio of two RGB colours (1 … 21)."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return float((hi + 0.05) / (lo + 0.05))


def _with_lightness(rgb: RGB, lightness: float) -> RGB:
    r, g, b = (c / 255.0 for c in rgb)
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    out = colorsys.hls_to_rgb(h, min(1.0, max(0.0, lightness)), s)
    return (round(out[0] * 255), round(out[1] * 255), round(out[2] * 255))


def fit_contrast(rgb: RGB, lum_lo: float, lum_hi: float, target: float = TARGET_CONTRAST) -> RGB:
    """``rgb`` with its HLS lightness moved just far enough (keeping hue and saturation) that it
    contrasts ``target``:1 with every backdrop luminance in ``[lum_lo, lum_hi]``; it goes dark
    or light, whichever needs the smaller change and can reach the target."""

    def ok(c: RGB) -> bool:
        lum = luminance(c)
        return bool(
            min(
                (max(lum, lum_lo) + 0.05) / (min(lum, lum_lo) + 0.05),
                (max(lum, lum_hi) + 0.05) / (min(lum, lum_hi) + 0.05),
            )
            >= target
            and (lum <= lum_lo or lum >= lum_hi)
        )

    if ok(rgb):
        return rgb
    _, start, _ = colorsys.rgb_to_hls(*(c / 255.0 for c in rgb))
    options = []
    for end in (0.0, 1.0):
        if not ok(_with_lightness(rgb, end)):
            continue
        lo, hi = start, end  # bisect for the closest lightness that still passes
        for _ in range(24):
            mid = (lo + hi) / 2
            if ok(_with_lightness(rgb, mid)):
                hi = mid
            else:
                lo = mid
        options.append((abs(hi - start), _with_lightness(rgb, hi)))
    if not options:
        return (0, 0, 0) if lum_hi < 0.5 else (255, 255, 255)
    return min(options)[1]


def palette(image: RGBImage, count: int = 6) -> list[tuple[RGB, float]]:
    """The image's main colours (median cut) with the share of the image each covers."""
    small = Image.fromarray(image).reduce(max(1, min(image.shape[:2]) // 96))
    quant = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    raw = quant.getpalette() or []
    counts = sorted(quant.getcolors() or [], reverse=True)
    total = sum(n for n, _ in counts) or 1
    out: list[tuple[RGB, float]] = []
    for n, index in counts:
        i = int(index) * 3  # type: ignore[call-overload]  # P-mode colours are indices
        out.append(((raw[i], raw[i + 1], raw[i + 2]), n / total))
    return out
