"""Where a title goes: :func:`design_title` chooses a placement (a plan) clear of the product,
a backing band or plate where the scene is busy, and text colours from the image's palette that
reach the contrast target, and returns them as seed-002 layers.

The top of :mod:`wanstack.engines.titles`: it uses :mod:`~wanstack.engines.titles.color` and
:mod:`~wanstack.engines.titles.layers` (it renders its own layers to measure what lies behind
the text).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.titles.color import (
    RGB,
    TARGET_CONTRAST,
    RGBImage,
    _with_lightness,
    fit_contrast,
    hex_color,
    luminance,
    palette,
)
from wanstack.engines.titles.layers import (
    FONT_FAMILY,
    Layer,
    render_layers,
    text_width,
    vertical_units,
)

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
