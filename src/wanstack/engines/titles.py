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


# --------------------------------------------------------------------------- layout


Box = tuple[int, int, int, int]  # left, top, width, height


@dataclass(frozen=True, slots=True)
class _Plan:
    """One way to set the title block: where it goes, how big, which way the text runs."""

    block: Box  #: the whole title block
    edge: str  #: the image edge it hangs from: "top" | "bottom" | "left" | "right"
    direction: str  #: "horizontal" | "vertical" (a column of characters, for side placements)
    title_size: int
    title_box: Box
    sub_size: int
    sub_box: Box | None
    scale: float
    position: int  #: index among the positions tried at this size (results vary by it)


def _integral(values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    return np.asarray(cv2.integral(values.astype(np.float64)), dtype=np.float64)


def _mean_in(table: npt.NDArray[np.float64], box: Box) -> float:
    x, y, w, h = box
    x1, y1 = x + w, y + h
    total = table[y1, x1] - table[y, x1] - table[y1, x] + table[y, x]
    return float(total / max(1, w * h))


def _busyness(image: RGBImage) -> npt.NDArray[np.float32]:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(np.clip(np.hypot(gx, gy) * 2.0, 0.0, 1.0), dtype=np.float32)


def _horizontal_plans(
    title: str, sub_title: str | None, width: int, height: int, scale: float, margin: int
) -> list[_Plan]:
    """Title over a pill (or line) of subtitle, centred or flush, at the top or bottom edge."""
    per_px = text_width(title, 100) / 100.0 or 1.0
    title_size = max(10, int(min(width * 0.11, width * 0.80 / per_px, height * 0.13) * scale))
    sub_size = max(8, round(title_size * 0.38))
    if sub_title:
        sub_per_px = text_width(sub_title, 100) / 100.0 or 1.0
        sub_size = max(8, min(sub_size, int(width * 0.62 / sub_per_px)))
    title_w = math.ceil(text_width(title, title_size) + title_size * 0.4)
    sub_w = math.ceil(text_width(sub_title, sub_size) + sub_size * 1.6) if sub_title else 0
    sub_h = round(sub_size * 1.9) if sub_title else 0
    gap = round(title_size * 0.22) if sub_title else 0
    block_w, block_h = max(title_w, sub_w), title_size + gap + sub_h
    if block_w > width - 2 * margin or block_h > height - 2 * margin:
        return []
    plans: list[_Plan] = []
    for edge, y in (("top", margin), ("bottom", height - margin - block_h)):
        for alignment in ("center", "left", "right"):
            if alignment != "center" and block_w > width * 0.55:
                continue
            x = {"center": (width - block_w) // 2, "left": margin}.get(
                alignment, width - margin - block_w
            )

            def aligned(w: int, x: int = x, alignment: str = alignment) -> int:
                return {"center": x + (block_w - w) // 2, "left": x}.get(alignment, x + block_w - w)

            plans.append(
                _Plan(
                    block=(x, y, block_w, block_h),
                    edge=edge,
                    direction="horizontal",
                    title_size=title_size,
                    title_box=(aligned(title_w), y, title_w, title_size),
                    sub_size=sub_size,
                    sub_box=(aligned(sub_w), y + title_size + gap, sub_w, sub_h)
                    if sub_title
                    else None,
                    scale=scale,
                    position=len(plans),
                )
            )
    return plans


def _vertical_plans(
    title: str, sub_title: str | None, width: int, height: int, scale: float, margin: int
) -> list[_Plan]:
    """A column of title characters with the subtitle's column beside it, on the left or right
    edge: the classic Chinese poster layout, for tall products that leave the sides free."""
    chars = vertical_units(title)
    sub_chars = vertical_units(sub_title or "")
    title_size = max(10, int(min((height - 2 * margin) * 0.7 / len(chars), width * 0.11) * scale))
    sub_size = max(8, round(title_size * 0.42))
    if sub_chars:
        sub_size = max(8, min(sub_size, int((height - 2 * margin) * 0.8 / (len(sub_chars) + 1.2))))
    title_w, title_h = round(title_size * 1.2), title_size * len(chars)
    sub_w = round(sub_size * 1.9) if sub_chars else 0
    sub_h = round(sub_size * (len(sub_chars) + 1.2)) if sub_chars else 0
    gap = round(title_size * 0.2) if sub_chars else 0
    offset = round(title_size * 0.3) if sub_chars else 0  # the subtitle starts a little lower
    block_w, block_h = title_w + gap + sub_w, max(title_h, offset + sub_h)
    if block_w > width * 0.4 or block_h > height - 2 * margin:
        return []
    plans: list[_Plan] = []
    for edge in ("left", "right"):
        x = margin if edge == "left" else width - margin - block_w
        # The title column sits at the image edge, the subtitle towards the middle.
        title_x = x if edge == "left" else x + block_w - title_w
        sub_x = x + title_w + gap if edge == "left" else x
        plans.append(
            _Plan(
                block=(x, margin, block_w, block_h),
                edge=edge,
                direction="vertical",
                title_size=title_size,
                title_box=(title_x, margin, title_w, title_h),
                sub_size=sub_size,
                sub_box=(sub_x, margin + offset, sub_w, sub_h) if sub_chars else None,
                scale=scale,
                position=6 + len(plans),
            )
        )
    return plans


def _place(
    image: RGBImage, subject: npt.NDArray[np.uint8], title: str, sub_title: str | None, prefer: int
) -> _Plan | None:
    """The calmest spot at the largest comfortable size that keeps clear of the product."""
    height, width = image.shape[:2]
    margin = _margin(width, height)
    solid = (subject > 8).astype(np.uint8)
    near = cv2.dilate(solid, np.ones((margin, margin), np.uint8))
    touches, crowds = _integral(solid), _integral(near)
    busy = _integral(_busyness(image))
    best: tuple[float, _Plan] | None = None
    for scale in (1.0, 0.85, 0.7, 0.56, 0.45, 0.36):
        plans = _horizontal_plans(title, sub_title, width, height, scale, margin)
        plans += _vertical_plans(title, sub_title, width, height, scale, margin)
        for plan in plans:
            on_product = _mean_in(touches, _grow(plan.block, _plate_pad(plan, margin)))
            prior = {"top": 0.0, "bottom": 0.08}.get(plan.edge, 0.1)
            prior += 0.05 if plan.block[0] != (width - plan.block[2]) // 2 else 0.0
            prior -= 0.06 if plan.position == prefer % 8 else 0.0  # the n results vary
            cost = (
                (100.0 if on_product else 0.0)
                + on_product * 100.0
                + _mean_in(crowds, plan.block) * 4.0
                + _mean_in(busy, plan.block)
                + prior
                + (1.0 - scale) * 0.6
            )
            if best is None or cost < best[0]:
                best = (cost, plan)
        if best is not None and best[0] < 2.0:
            break  # a clear spot at this size; smaller sizes only if none was found
    return None if best is None else best[1]


def _margin(width: int, height: int) -> int:
    return max(4, round(min(width, height) * 0.055))


def _grow(box: Box, pad: int) -> Box:
    x, y, w, h = box
    return (x - pad, y - pad, w + 2 * pad, h + 2 * pad)


def _plate_pad(plan: _Plan, margin: int) -> int:
    """How far a rounded plate behind the title block reaches beyond it (less than the margin,
    so it stays inside the image)."""
    return max(1, min(margin - 1, round(plan.title_size * 0.3)))


def _lum_range(image: RGBImage, box: Box) -> tuple[float, float]:
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
    plan: _Plan,
    colors: list[tuple[RGB, float]],
    opacity: float,
    subject: npt.NDArray[np.uint8],
) -> Layer:
    """Something calm behind the title block, in a tint of the scene: a band from the image edge
    fading out past the block (seed 002), or, where such a band would reach the product or have
    no room to fade, a rounded plate just behind the block."""
    height, width = image.shape[:2]
    margin = _margin(width, height)
    x, y, w, h = _grow(plan.block, margin)
    lo, hi = _lum_range(image, (max(0, x), max(0, y), w, h))
    mean = image[max(0, y) : y + h, max(0, x) : x + w].reshape(-1, 3).mean(axis=0)
    light = (lo + hi) / 2 >= 0.3
    base = max(colors, key=lambda c: c[1])[0] if colors else (128, 128, 128)
    tint = tuple(round(0.5 * m + 0.5 * b) for m, b in zip(mean, base, strict=True))
    color = _with_lightness((tint[0], tint[1], tint[2]), 0.93 if light else 0.1)
    # How deep a band from this edge may go before it reaches the product.
    solid = subject > 8
    along = solid.any(axis=1) if plan.edge in ("top", "bottom") else solid.any(axis=0)
    hits = np.nonzero(along)[0]
    extent = height if plan.edge in ("top", "bottom") else width
    if hits.size == 0:
        room = extent
    elif plan.edge in ("top", "left"):
        room = int(hits[0])
    else:
        room = extent - 1 - int(hits[-1])
    depth = {"top": y + h, "left": x + w}.get(
        plan.edge, extent - (y if plan.edge == "bottom" else x)
    )
    band = min(round(depth * 1.45), room)
    if band < depth * 1.2:
        pad = _plate_pad(plan, margin)
        bx, by, bw, bh = _grow(plan.block, pad)
        return {
            "type": "text_mask",
            "color": hex_color(color),
            "opacity": round(opacity, 2),
            "top": by,
            "left": bx,
            "width": bw,
            "height": bh,
            "radius": pad,
            "gradient": None,
            "box_shadow": None,
        }
    fade_from = round(min(0.95, depth / band), 3)  # fully on behind the text, fading beyond
    box = {
        "top": (0, 0, width, band),
        "bottom": (0, height - band, width, band),
        "left": (0, 0, band, height),
        "right": (width - band, 0, band, height),
    }[plan.edge]
    coords = {
        "top": (0, 0, 0, band),
        "bottom": (0, band, 0, 0),
        "left": (0, 0, band, 0),
        "right": (band, 0, 0, 0),
    }[plan.edge]
    return {
        "type": "text_mask",
        "color": hex_color(color),
        "opacity": round(opacity, 2),
        "top": box[1],
        "left": box[0],
        "width": box[2],
        "height": box[3],
        "radius": 0,
        "gradient": {
            "type": "linear",
            "gradient_units": "pixels",
            "coords": dict(zip(("x1", "y1", "x2", "y2"), coords, strict=True)),
            "color_stops": [
                {"offset": 0, "color": hex_color(color, 255)},
                {"offset": fade_from, "color": hex_color(color, 235)},
                {"offset": 1, "color": hex_color(color, 0)},
            ],
        },
        "box_shadow": None,
    }


def _text_layer(
    content: str, sub_type: str, size: int, color: RGB, box: Box, weight: str, direction: str
) -> Layer:
    x, y, w, h = box
    return {
        "type": "text",
        "sub_type": sub_type,
        "content": content,
        "font_size": size,
        "font_family": FONT_FAMILY,
        "direction": direction,
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
    plan = _place(image, subject_alpha, title, sub_title, variant)
    if plan is None:
        return []
    colors = palette(image)
    pill = plan.sub_box is not None and variant % 3 != 2
    layers: list[Layer] = []
    # A backing when the scene behind the block is busy, or on every other result for variety.
    lo, hi = _lum_range(image, plan.block)
    busy = _mean_in(_integral(_busyness(image)), plan.block)
    color = _pick_text_color(colors, lo, hi)
    if color is None or busy > 0.06 or hi - lo > 0.25 or variant % 2 == 1:
        layers.append(_backing(image, plan, colors, 0.85, subject_alpha))
        lo, hi = _lum_range(render_layers(image, layers), plan.block)
        color = _pick_text_color(colors, lo, hi)
        if color is None:  # still too busy: make the backing solid behind the text
            layers[0]["opacity"] = 1
            lo, hi = _lum_range(render_layers(image, layers), plan.block)
            color = _pick_text_color(colors, lo, hi) or fit_contrast((128, 128, 128), lo, hi)
    layers.append(
        _text_layer(title, "Title", plan.title_size, color, plan.title_box, "bold", plan.direction)
    )
    if sub_title and plan.sub_box is not None:
        sub_color = color
        if pill:
            lum = luminance(color)
            sub_color = _pick_text_color(colors, lum, lum) or fit_contrast(color, lum, lum)
            offset = max(1, round(plan.sub_size * 0.06))
            x, y, w, h = plan.sub_box
            layers.append(
                {
                    "type": "text_mask",
                    "color": hex_color(color),
                    "opacity": 1,
                    "top": y,
                    "left": x,
                    "width": w,
                    "height": h,
                    "radius": min(w, h) // 2,
                    "gradient": None,
                    "box_shadow": f"{offset}px {offset}px #00000033",
                }
            )
        layers.append(
            _text_layer(
                sub_title,
                "SubTitle",
                plan.sub_size,
                sub_color,
                plan.sub_box,
                "medium",
                plan.direction,
            )
        )
    return [
        {"type": layer["type"], "idx": index, **{k: v for k, v in layer.items() if k != "type"}}
        for index, layer in enumerate(layers)
    ]
