"""Poster titles for background generation: seed 002's editable text layers, designed and drawn.

With ``input.title`` (and ``sub_title``) DashScope returns each image twice, with and without
its text, plus the text as editable layers (``output.text_results``). This module does both halves:

- :func:`design_title` lays a title out on a text-free image: it sizes the title to the canvas,
  tries the calm places around the edges where the product is not, takes its colours from the
  image's own palette and adjusts their lightness until the text reaches a WCAG contrast of at
  least 4.5:1 against every part of what lies behind it (adding a gradient band when the scene
  is too busy for that), and puts the subtitle in a rounded pill or under the title.
- :func:`render_layers` draws layers in that schema onto an image. The engine makes its titled
  image with it, from the same dictionaries it returns, so a client that renders the returned
  layers onto the text-free image gets the titled image back (a test checks it pixel for pixel).

Layer geometry follows seed 002: boxes are ``left``/``top``/``width``/``height`` in pixels,
gradients are Fabric.js-style with ``coords`` relative to the box, colours are ``#rrggbb`` or
``#rrggbbaa``, shadows are ``"Xpx Ypx #rrggbbaa"`` and strokes ``"Npx #rrggbbaa"``. Text is set
in Noto Sans SC (SIL OFL, from the ``pylopdf-fonts-zh-cn`` package) whatever ``font_family``
says; bold and medium weights are drawn with a stroke of the text's own colour.
"""

from __future__ import annotations

import colorsys
import importlib.resources
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

RGBImage = npt.NDArray[np.uint8]
RGB = tuple[int, int, int]
Layer = dict[str, Any]

FONT_FAMILY = "Noto Sans SC"
#: The contrast every title is designed to (WCAG AA asks 4.5:1; a little margin for rounding).
TARGET_CONTRAST = 4.6
_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
_FONT_FILE = "NotoSansSC-Regular.otf"
#: Synthetic weights: stroke width as a fraction of the font size.
_WEIGHT_STROKE = {"bold": 0.035, "semibold": 0.025, "medium": 0.015}
_SUPERSAMPLE = 4  # rounded masks are drawn this much larger, then reduced (anti-aliasing)


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


# --------------------------------------------------------------------------- fonts


@lru_cache(maxsize=1)
def font_path() -> str:
    """Path of the packaged Noto Sans SC face."""
    resource = importlib.resources.files(_FONT_PACKAGE) / _FONT_FILE
    return str(resource)


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), max(1, int(size)))


def text_width(text: str, size: int) -> float:
    return float(font(size).getlength(text))


# --------------------------------------------------------------------------- rendering


def _shadow(value: Any) -> tuple[int, int, tuple[int, ...]] | None:
    """``"Xpx Ypx #rrggbbaa"`` → (x, y, rgba); no shadow for 0 / None / transparent."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*(-?\d+)(?:px)?\s+(-?\d+)(?:px)?\s+(#[0-9a-fA-F]{3,8})\s*", value)
    if not m:
        return None
    x, y, rgba = int(m.group(1)), int(m.group(2)), parse_color(m.group(3))
    if (x == 0 and y == 0) or rgba[3] == 0:
        return None
    return x, y, rgba


def _stroke(value: Any) -> tuple[int, tuple[int, ...]] | None:
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*(\d+)(?:px)?\s+(#[0-9a-fA-F]{3,8})\s*", value)
    if not m or int(m.group(1)) == 0:
        return None
    rgba = parse_color(m.group(2))
    return (int(m.group(1)), rgba) if rgba[3] else None


def _num(layer: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = layer.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return default
    return float(value)


def _box(layer: Mapping[str, Any]) -> tuple[int, int, int, int]:
    return (
        round(_num(layer, "left")),
        round(_num(layer, "top")),
        max(0, round(_num(layer, "width"))),
        max(0, round(_num(layer, "height"))),
    )


def _opacity(layer: Mapping[str, Any]) -> float:
    return min(1.0, max(0.0, _num(layer, "opacity", 1.0)))


def _shape_mask(w: int, h: int, radius: int) -> npt.NDArray[np.float32]:
    """Coverage (0–1) of a ``w``×``h`` rounded rectangle, anti-aliased."""
    radius = max(0, min(radius, w // 2, h // 2))
    if radius == 0:
        return np.ones((h, w), np.float32)
    s = _SUPERSAMPLE
    big = Image.new("L", (w * s, h * s), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, w * s - 1, h * s - 1), radius * s, fill=255)
    small = big.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _gradient_fill(gradient: Mapping[str, Any], w: int, h: int) -> npt.NDArray[np.float32] | None:
    """RGBA (0–1) of a Fabric.js linear gradient over a ``w``×``h`` box; None if unusable."""
    stops = gradient.get("color_stops")
    coords = gradient.get("coords")
    if not isinstance(stops, list) or not stops or not isinstance(coords, Mapping):
        return None
    parsed = sorted(
        (min(1.0, max(0.0, _num(s, "offset"))), parse_color(s.get("color"), (0, 0, 0, 255)))
        for s in stops
        if isinstance(s, Mapping)
    )
    if not parsed:
        return None
    x1, y1 = _num(coords, "x1"), _num(coords, "y1")
    x2, y2 = _num(coords, "x2"), _num(coords, "y2")
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    t = ((xs - x1) * dx + (ys - y1) * dy) / length2 if length2 > 0 else np.zeros_like(xs)
    t = np.clip(t, 0.0, 1.0)
    offsets = np.array([o for o, _ in parsed], np.float32)
    colors = np.array([c for _, c in parsed], np.float32) / 255.0
    channels = [np.interp(t, offsets, colors[:, k]).astype(np.float32) for k in range(4)]
    return np.stack(channels, axis=-1)


def _composite(
    canvas: npt.NDArray[np.float32], rgba: npt.NDArray[np.float32], x: int, y: int
) -> None:
    """Alpha-composite an RGBA (0–1) patch onto the RGB (0–1) canvas at (x, y), clipped."""
    h, w = rgba.shape[:2]
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    patch = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    a = patch[..., 3:4]
    region = canvas[y0:y1, x0:x1]
    canvas[y0:y1, x0:x1] = region * (1.0 - a) + patch[..., :3] * a


def _draw_mask(canvas: npt.NDArray[np.float32], layer: Mapping[str, Any]) -> None:
    left, top, w, h = _box(layer)
    if w == 0 or h == 0:
        return
    opacity = _opacity(layer)
    shape = _shape_mask(w, h, round(_num(layer, "radius")))
    shadow = _shadow(layer.get("box_shadow"))
    if shadow is not None:
        sx, sy, rgba = shadow
        patch = np.empty((h, w, 4), np.float32)
        patch[..., :3] = np.array(rgba[:3], np.float32) / 255.0
        patch[..., 3] = shape * (rgba[3] / 255.0) * opacity
        _composite(canvas, patch, left + sx, top + sy)
    gradient = layer.get("gradient")
    fill = _gradient_fill(gradient, w, h) if isinstance(gradient, Mapping) else None
    if fill is None:
        rgba = parse_color(layer.get("color"), (255, 255, 255, 255))
        fill = np.empty((h, w, 4), np.float32)
        fill[...] = np.array(rgba, np.float32) / 255.0
    fill[..., 3] *= shape * opacity
    _composite(canvas, fill, left, top)


def _text_lines(layer: Mapping[str, Any]) -> list[str]:
    content = layer.get("content")
    if not isinstance(content, str):
        return []
    if layer.get("direction") == "vertical":
        return [c for c in content if not c.isspace()]
    return content.split("\n")


def _draw_text(canvas: npt.NDArray[np.float32], layer: Mapping[str, Any]) -> None:
    lines = _text_lines(layer)
    size = round(_num(layer, "font_size"))
    if not lines or size <= 0:
        return
    left, top, w, h = _box(layer)
    face = font(size)
    rgba = parse_color(layer.get("font_color"), (0, 0, 0, 255))
    weight = str(layer.get("font_weight") or "").lower()
    bold = round(size * _WEIGHT_STROKE.get(weight, 0.0))
    stroke = _stroke(layer.get("text_stroke"))
    shadow = _shadow(layer.get("text_shadow"))
    step = size * max(0.1, _num(layer, "line_height", 1.0))
    alignment = str(layer.get("alignment") or "left").lower()
    # Draw on a transparent patch around the box (room for strokes, shadows and slant).
    pad = size + bold + (stroke[0] if stroke else 0) + (max(map(abs, shadow[:2])) if shadow else 0)
    patch = Image.new("RGBA", (w + 2 * pad, h + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(patch)
    block = step * len(lines)
    y = pad + (h - block) / 2.0
    thickness = max(1, round(size / 16))
    placed: list[tuple[str, float, float, float]] = []  # line, x, centre y, width
    for line in lines:
        width = float(face.getlength(line))
        if alignment in ("center", "middle"):
            x = pad + (w - width) / 2.0
        elif alignment == "right":
            x = pad + w - width
        else:
            x = float(pad)
        placed.append((line, x, y + step / 2.0, width))
        y += step

    def draw_all(color: tuple[int, ...], dx: int, dy: int, outline: tuple[int, ...] | None) -> None:
        width = bold + (stroke[0] if stroke and outline is not None else 0)
        for line, x, cy, line_width in placed:
            draw.text(
                (x + dx, cy + dy),
                line,
                font=face,
                fill=color,
                anchor="lm",
                stroke_width=width,
                stroke_fill=outline if outline is not None and stroke else color,
            )
            if layer.get("font_under_line") is True:
                uy = cy + dy + size * 0.55
                draw.rectangle((x + dx, uy, x + dx + line_width, uy + thickness - 1), fill=color)
            if layer.get("font_line_through") is True:
                ly = cy + dy
                draw.rectangle((x + dx, ly, x + dx + line_width, ly + thickness - 1), fill=color)

    if shadow is not None:
        draw_all(shadow[2], shadow[0], shadow[1], shadow[2] if stroke else None)
    draw_all(rgba, 0, 0, stroke[1] if stroke else None)
    if layer.get("font_italic") is True or layer.get("fontItalic") is True:
        slant = 0.2  # shear about the middle of the box
        cy = patch.height / 2.0
        patch = patch.transform(
            patch.size,
            Image.Transform.AFFINE,
            (1, slant, -slant * cy, 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
        )
    arr = np.asarray(patch, dtype=np.float32) / 255.0
    arr[..., 3] *= _opacity(layer)
    _composite(canvas, arr, left - pad, top - pad)


def render_layers(image: RGBImage, layers: Sequence[Mapping[str, Any]]) -> RGBImage:
    """Draw seed-002 text layers (``text_mask`` and ``text``) onto ``image``, in list order.

    Unknown layer types and malformed fields are skipped, never an error."""
    canvas = image.astype(np.float32) / 255.0
    for layer in layers:
        if not isinstance(layer, Mapping):
            continue
        if layer.get("type") == "text_mask":
            _draw_mask(canvas, layer)
        elif layer.get("type") == "text":
            _draw_text(canvas, layer)
    out: RGBImage = np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True, slots=True)
class _Block:
    """Where the title block goes: its box and the edge it hangs from."""

    x: int
    y: int
    w: int
    h: int
    edge: str  # "top" | "bottom"
    alignment: str  # "left" | "center" | "right"
    scale: float


def _integral(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    return np.asarray(cv2.integral(values.astype(np.float64)), dtype=np.float64)


def _mean_in(table: npt.NDArray[np.float64], x: int, y: int, w: int, h: int) -> float:
    x1, y1 = x + w, y + h
    total = table[y1, x1] - table[y, x1] - table[y1, x] + table[y, x]
    return float(total / max(1, w * h))


def _busyness(image: RGBImage) -> npt.NDArray[np.float32]:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(np.clip(np.hypot(gx, gy) * 2.0, 0.0, 1.0), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class _Sizes:
    title: int
    sub: int
    title_w: int
    sub_w: int
    pill_h: int
    gap: int


def _sizes(title: str, sub_title: str | None, width: int, height: int, scale: float) -> _Sizes:
    per_px = text_width(title, 100) / 100.0 or 1.0
    size = min(width * 0.11, width * 0.80 / per_px, height * 0.13) * scale
    title_size = max(10, int(size))
    sub_size = max(8, round(title_size * 0.38))
    if sub_title:
        sub_per_px = text_width(sub_title, 100) / 100.0 or 1.0
        sub_size = max(8, min(sub_size, int(width * 0.62 / sub_per_px)))
    title_w = math.ceil(text_width(title, title_size) + title_size * 0.4)
    sub_w = math.ceil(text_width(sub_title, sub_size) + sub_size * 1.6) if sub_title else 0
    return _Sizes(
        title=title_size,
        sub=sub_size,
        title_w=title_w,
        sub_w=sub_w,
        pill_h=round(sub_size * 1.9) if sub_title else 0,
        gap=round(title_size * 0.22) if sub_title else 0,
    )


def _candidates(width: int, height: int, sizes: _Sizes, scale: float, margin: int) -> list[_Block]:
    block_w = max(sizes.title_w, sizes.sub_w)
    block_h = sizes.title + sizes.gap + sizes.pill_h
    if block_w > width - 2 * margin or block_h > height - 2 * margin:
        return []
    out = []
    for edge, y in (("top", margin), ("bottom", height - margin - block_h)):
        for alignment in ("center", "left", "right"):
            if alignment != "center" and block_w > width * 0.55:
                continue
            x = {
                "center": (width - block_w) // 2,
                "left": margin,
                "right": width - margin - block_w,
            }[alignment]
            out.append(_Block(x, y, block_w, block_h, edge, alignment, scale))
    return out


def _place(
    image: RGBImage, subject: npt.NDArray[np.uint8], title: str, sub_title: str | None, prefer: int
) -> tuple[_Block, _Sizes] | None:
    """The calmest spot at the largest comfortable size that keeps clear of the product."""
    height, width = image.shape[:2]
    margin = max(4, round(min(width, height) * 0.055))
    solid = (subject > 8).astype(np.uint8)
    near = cv2.dilate(solid, np.ones((margin, margin), np.uint8))
    touches, crowds = _integral(solid.astype(np.float32)), _integral(near.astype(np.float32))
    busy = _integral(_busyness(image))
    best: tuple[float, _Block, _Sizes] | None = None
    for scale in (1.0, 0.85, 0.7, 0.56, 0.45, 0.36):
        sizes = _sizes(title, sub_title, width, height, scale)
        for i, block in enumerate(_candidates(width, height, sizes, scale, margin)):
            box = (block.x, block.y, block.w, block.h)
            pad = _plate_pad(block, margin)  # a plate behind the block must miss it too
            on_product = _mean_in(
                touches, block.x - pad, block.y - pad, block.w + 2 * pad, block.h + 2 * pad
            )
            crowding = _mean_in(crowds, *box)
            calm = _mean_in(busy, *box)
            prior = (0.0 if block.edge == "top" else 0.08) + (
                0.0 if block.alignment == "center" else 0.05
            )
            prior -= 0.06 if i == prefer % 6 else 0.0  # the n results vary their layout
            cost = (
                (100.0 if on_product else 0.0)
                + on_product * 100.0
                + crowding * 4.0
                + calm
                + prior
                + (1.0 - scale) * 0.6
            )
            if best is None or cost < best[0]:
                best = (cost, block, sizes)
        if best is not None and best[0] < 2.0:
            break  # a clear spot at this size; smaller sizes only if none was found
    return None if best is None else (best[1], best[2])


def _plate_pad(block: _Block, margin: int) -> int:
    """How far a rounded plate behind the title block reaches beyond it (less than the margin,
    so it stays inside the image)."""
    return max(1, min(margin - 1, round(block.h * 0.18)))


def _lum_range(image: RGBImage, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """Darkest and lightest luminance behind a box (1st and 99th percentiles)."""
    x, y, w, h = box
    H, W = image.shape[:2]
    region = image[max(0, y) : min(H, y + h), max(0, x) : min(W, x + w)]
    if region.size == 0:
        return 0.5, 0.5
    lum = luminance(region.reshape(-1, 3))
    return float(np.percentile(lum, 1)), float(np.percentile(lum, 99))


def _text_candidates(colors: list[tuple[RGB, float]]) -> list[RGB]:
    """Palette colours most worth using for text: saturated, then common."""

    def score(item: tuple[RGB, float]) -> float:
        r, g, b = (c / 255.0 for c in item[0])
        _, _, s = colorsys.rgb_to_hls(r, g, b)
        return s * 0.7 + item[1] * 0.3

    return [c for c, _ in sorted(colors, key=score, reverse=True)]


def _pick_text_color(colors: list[tuple[RGB, float]], lum_lo: float, lum_hi: float) -> RGB | None:
    """The palette colour that needs the least lightness change to reach the contrast target."""
    best: tuple[float, RGB] | None = None
    for rgb in _text_candidates(colors):
        fitted = fit_contrast(rgb, lum_lo, lum_hi)
        lum = luminance(fitted)
        worst = min((max(lum, v) + 0.05) / (min(lum, v) + 0.05) for v in (lum_lo, lum_hi))
        if worst < TARGET_CONTRAST or lum_lo < lum < lum_hi:
            continue
        change = abs(
            colorsys.rgb_to_hls(*(c / 255 for c in fitted))[1]
            - colorsys.rgb_to_hls(*(c / 255 for c in rgb))[1]
        )
        if best is None or change < best[0]:
            best = (change, fitted)
    return None if best is None else best[1]


def _backing(
    image: RGBImage,
    block: _Block,
    colors: list[tuple[RGB, float]],
    opacity: float,
    product: tuple[int, int] | None,
) -> Layer:
    """Something calm behind the title block, in a tint of the scene: a full-width band from
    the image edge fading out past the block (seed 002), or, where such a band would reach the
    product (``product`` = its top and bottom rows), a rounded plate just behind the block."""
    height, width = image.shape[:2]
    margin = block.y if block.edge == "top" else height - (block.y + block.h)
    x, y, w, h = 0, block.y - margin, width, block.h + 2 * margin
    lo, hi = _lum_range(image, (x, max(0, y), w, h))
    mean = image[max(0, y) : y + h].reshape(-1, 3).mean(axis=0)
    light = (lo + hi) / 2 >= 0.3
    base = max(colors, key=lambda c: c[1])[0] if colors else (128, 128, 128)
    tint = tuple(round(0.5 * m + 0.5 * b) for m, b in zip(mean, base, strict=True))
    color = _with_lightness((tint[0], tint[1], tint[2]), 0.93 if light else 0.1)
    room = height
    if product is not None:  # rows the band may take before it would reach the product
        room = product[0] if block.edge == "top" else height - 1 - product[1]
    band_h = min(round(h * 1.45), room)
    if band_h < block.h + margin + max(2, margin // 3):
        pad = _plate_pad(block, margin)
        return {
            "type": "text_mask",
            "color": hex_color(color),
            "opacity": round(opacity, 2),
            "top": block.y - pad,
            "left": block.x - pad,
            "width": block.w + 2 * pad,
            "height": block.h + 2 * pad,
            "radius": pad,
            "gradient": None,
            "box_shadow": None,
        }
    solid = min(0.95, (block.h + 1.5 * margin) / band_h)  # fully on behind the text, fading beyond
    if block.edge == "top":
        top, y1, y2 = 0, 0, band_h
    else:
        top, y1, y2 = height - band_h, band_h, 0
    return {
        "type": "text_mask",
        "color": hex_color(color),
        "opacity": round(opacity, 2),
        "top": max(0, top),
        "left": 0,
        "width": width,
        "height": band_h,
        "radius": 0,
        "gradient": {
            "type": "linear",
            "gradient_units": "pixels",
            "coords": {"x1": 0, "y1": y1, "x2": 0, "y2": y2},
            "color_stops": [
                {"offset": 0, "color": hex_color(color, 255)},
                {"offset": round(solid, 3), "color": hex_color(color, 235)},
                {"offset": 1, "color": hex_color(color, 0)},
            ],
        },
        "box_shadow": None,
    }


def _text_layer(
    content: str, sub_type: str, size: int, color: RGB, box: tuple[int, int, int, int], weight: str
) -> Layer:
    x, y, w, h = box
    return {
        "type": "text",
        "sub_type": sub_type,
        "content": content,
        "font_size": size,
        "font_family": FONT_FAMILY,
        "direction": "horizontal",
        "alignment": "center",
        "font_color": hex_color(color),
        "opacity": 1,
        "font_weight": weight,
        "font_italic": False,
        "font_line_through": False,
        "font_under_line": False,
        "top": y,
        "left": x,
        "width": w,
        "height": h,
        "line_height": 1,
        "text_shadow": None,
        "text_stroke": None,
    }


def design_title(
    image: RGBImage,
    subject_alpha: npt.NDArray[np.uint8],
    title: str,
    sub_title: str | None,
    variant: int = 0,
) -> list[Layer]:
    """Seed-002 layers for ``title`` (and ``sub_title``) on the text-free ``image``.

    ``subject_alpha`` marks the product (the text keeps clear of it); ``variant`` (the result's
    index) varies the layout and style between the ``n`` results."""
    placed = _place(image, subject_alpha, title, sub_title, variant)
    if placed is None:
        return []
    block, sizes = placed
    colors = palette(image)

    def x_of(w: int) -> int:
        if block.alignment == "left":
            return block.x
        if block.alignment == "right":
            return block.x + block.w - w
        return block.x + (block.w - w) // 2

    title_box = (x_of(sizes.title_w), block.y, sizes.title_w, sizes.title)
    sub_box = (x_of(sizes.sub_w), block.y + sizes.title + sizes.gap, sizes.sub_w, sizes.pill_h)
    pill = bool(sub_title) and variant % 3 != 2
    layers: list[Layer] = []
    # A band when the scene behind the block is busy, or on every other result for variety.
    text_area = (block.x, block.y, block.w, block.h)
    lo, hi = _lum_range(image, text_area)
    busy = _mean_in(_integral(_busyness(image)), block.x, block.y, block.w, block.h)
    backdrop = image
    color = _pick_text_color(colors, lo, hi)
    if color is None or busy > 0.06 or hi - lo > 0.25 or variant % 2 == 1:
        rows = np.nonzero((subject_alpha > 8).any(axis=1))[0]
        extent = (int(rows[0]), int(rows[-1])) if rows.size else None
        layers.append(_backing(image, block, colors, 0.85, extent))
        backdrop = render_layers(image, layers)
        lo, hi = _lum_range(backdrop, text_area)
        color = _pick_text_color(colors, lo, hi)
        if color is None:  # still too busy: make the band solid behind the text
            layers[0]["opacity"] = 1
            backdrop = render_layers(image, layers)
            lo, hi = _lum_range(backdrop, text_area)
            color = _pick_text_color(colors, lo, hi) or fit_contrast((128, 128, 128), lo, hi)
    layers.append(_text_layer(title, "Title", sizes.title, color, title_box, "bold"))
    if sub_title:
        if pill:
            lo_p, hi_p = luminance(color), luminance(color)
            sub_color = _pick_text_color(colors, lo_p, hi_p) or fit_contrast(color, lo_p, hi_p)
            offset = max(1, round(sizes.sub * 0.06))
            layers.append(
                {
                    "type": "text_mask",
                    "color": hex_color(color),
                    "opacity": 1,
                    "top": sub_box[1],
                    "left": sub_box[0],
                    "width": sub_box[2],
                    "height": sub_box[3],
                    "radius": sub_box[3] // 2,
                    "gradient": None,
                    "box_shadow": f"{offset}px {offset}px #00000033",
                }
            )
        else:
            sub_color = color
        layers.append(_text_layer(sub_title, "SubTitle", sizes.sub, sub_color, sub_box, "medium"))
    return [
        {"type": layer["type"], "idx": index, **{k: v for k, v in layer.items() if k != "type"}}
        for index, layer in enumerate(layers)
    ]
