"""Drawing seed-002 text layers: the packaged CJK font and :func:`render_layers`, which draws
``text_mask`` and ``text`` layers onto an image.

Layer geometry follows seed 002: boxes are ``left``/``top``/``width``/``height`` in pixels,
gradients are Fabric.js-style with ``coords`` relative to the box, colours are ``#rrggbb`` or
``#rrggbbaa``, shadows are ``"Xpx Ypx #rrggbbaa"`` and strokes ``"Npx #rrggbbaa"``. Text is set
in Noto Sans SC (SIL OFL, from the ``pylopdf-fonts-zh-cn`` package) whatever ``font_family``
says; bold and medium weights are drawn with a stroke of the text's own colour.
"""

from __future__ import annotations

import importlib.resources
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from wanstack.engines.titles.color import RGBImage, parse_color

Layer = dict[str, Any]

FONT_FAMILY = "Noto Sans SC"
_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
_FONT_FILE = "NotoSansSC-Regular.otf"
#: Synthetic weights: stroke width as a fraction of the font size.
_WEIGHT_STROKE = {"bold": 0.035, "semibold": 0.025, "medium": 0.015}
_SUPERSAMPLE = 4  # rounded masks are drawn this much larger, then reduced (anti-aliasing)


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


def vertical_units(text: str) -> list[str]:
    """What a vertical column stacks: one character each, except that short runs of Latin
    letters and digits (up to three: "199", "50", "AI") stay upright side by side, as Chinese
    typesetting does (縦中横)."""
    units: list[str] = []
    for token in re.findall(r"[A-Za-z0-9]+|\S", text):
        units.extend([token] if len(token) <= 3 else list(token))
    return units


def _text_lines(layer: Mapping[str, Any]) -> list[str]:
    content = layer.get("content")
    if not isinstance(content, str):
        return []
    if layer.get("direction") == "vertical":
        return vertical_units(content)
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
