"""Non-photorealistic renderings for ``wanx-x-painting``'s ``parameters.style``.

:func:`apply_style` turns an RGB ``uint8`` picture into one of the seven named looks (``<auto>``
returns it unchanged). Everything is classic image processing — edge-preserving smoothing, colour
quantisation, difference-of-Gaussians line art, oriented stroke textures, procedural paper — with
numpy and OpenCV only, deterministic for a given ``(image, style, seed)``; the seed varies only the
paper, grain and stroke noise.

Heavy filters run on a working copy whose long side is at most :data:`WORK_SIDE` pixels; line art
and textures are made at full resolution, so a 1024² picture takes well under half a second.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic import brushwork as brush
from wanstack.engines.requests import STYLES

RGB = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

AUTO = "<auto>"
STYLE_NAMES = STYLES
MIN_SIDE = 16


def apply_style(image: RGB, style: str, seed: int = 0) -> RGB:
    """Render ``image`` (H×W×3 RGB ``uint8``) in ``style``; the result has the same shape."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an H×W×3 uint8 image, got {image.shape} {image.dtype}")
    if style == AUTO:
        return image
    try:
        render = _RENDERERS[style]
    except KeyError:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLE_NAMES}") from None
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        # Too small for any stroke to show: render a padded copy and crop it back.
        ph, pw = max(h, MIN_SIDE), max(w, MIN_SIDE)
        padded = np.asarray(
            cv2.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv2.BORDER_REPLICATE), np.uint8
        )
        return np.ascontiguousarray(apply_style(padded, style, seed)[:h, :w])
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(style.encode())])
    out = render(np.ascontiguousarray(image), rng)
    assert out.shape == image.shape and out.dtype == np.uint8
    return out


# --------------------------------------------------------------------------------------------
# Styles


def _anime(img: RGB, rng: np.random.Generator) -> RGB:
    """Flat cel colours from a k-means palette, 2-tone shading, crisp dark line art."""
    work = brush.work(img)
    smooth = brush.smooth(brush.smooth(work, 40, 10), 20, 6)
    centers = brush.palette(smooth, 14, rng)
    lab = brush.soft_labels(brush.labels(smooth, centers), len(centers), img.shape, 1.0)
    pal = brush.saturate(brush.lab_to_rgb(centers).reshape(1, -1, 3), 1.5, 0.9).reshape(-1, 3)
    col = pal[lab]
    # Cel shading: within each flat region, shadow where the photo is darker than the region.
    lum = brush.up(brush.gray(brush.f32(smooth)), img.shape)
    region = brush.gray(col)
    shadow = (lum < region - 0.08).astype(np.float32)
    shadow = brush.blur(shadow, 0.8)
    col = col * (1 - 0.22 * shadow)[..., None]
    # Line art: DoG on the (full-resolution) luminance of a lightly smoothed picture.
    g = brush.gray(brush.f32(np.asarray(cv2.bilateralFilter(img, 5, 30, 5), np.uint8)))
    s = brush.scale(img)
    lines = brush.dog_lines(g, 1.2 * s + 0.5, 0.015, 0.03)
    edges = brush.dog_lines(
        brush.up(brush.gray(brush.f32(smooth)), img.shape), 1.0 * s + 0.5, 0.01, 0.03
    )
    lines = np.maximum(lines, edges)
    if s > 0.6:
        lines = np.asarray(cv2.dilate(lines, np.ones((2, 2), np.uint8)), np.float32)
    ink = np.array([0.12, 0.08, 0.1], np.float32)
    col = col * (1 - lines[..., None]) + ink * lines[..., None]
    return brush.u8(col)


def _bilateral(img: RGB, passes: int, sigma_color: float, sigma_space: float) -> RGB:
    out = img
    for _ in range(passes):
        out = np.asarray(cv2.bilateralFilter(out, 9, sigma_color, sigma_space), np.uint8)
    return out


def _cartoon3d(img: RGB, rng: np.random.Generator) -> RGB:
    """Smooth clay-like shapes, soft shading bands, saturated colour, bloom, soft dark rims."""
    work = brush.work(img)
    smooth = _bilateral(work, 4, 28, 5)
    base = brush.up(brush.f32(smooth), img.shape)
    lum = brush.gray(base)
    # Soft shading bands: pull the lightness toward 6 levels with smooth transitions.
    levels = 6
    t = lum * levels
    banded = (np.floor(t) + brush.smoothstep(0.3, 0.7, t - np.floor(t))) / levels
    ratio = (0.5 * banded + 0.5 * lum + 0.04) / (lum + 0.04)
    col = base * ratio[..., None]
    # Rounded "3D" shading: large-scale local contrast on lightness.
    large = brush.up(
        brush.blur(brush.gray(brush.f32(smooth)), 30 * brush.scale(smooth) + 1), img.shape
    )
    col = col * (1 + 0.6 * (lum - large))[..., None]
    col = brush.saturate(col, 1.5, 0.8)
    # Bloom on the highlights.
    hi = brush.smoothstep(0.65, 1.0, brush.gray(col))
    glow = brush.up(
        brush.blur(
            brush.f32(brush.work(brush.u8(col * hi[..., None]), 256)), 12 * 256 / 1024 + 0.5
        ),
        img.shape,
    )
    col = 1 - (1 - col) * (1 - 0.55 * glow)
    # Soft, coloured (not black) rims at strong edges.
    rim = brush.blur(
        brush.dog_lines(brush.gray(base), 1.5 * brush.scale(img) + 0.6, 0.01, 0.05), 1.0
    )
    col = col * (1 - 0.4 * rim)[..., None]
    return brush.u8(col)


def _oil(img: RGB, rng: np.random.Generator) -> RGB:
    """Brush strokes along the image structure, thick paint lit from the top left, canvas weave."""
    h, w = img.shape[:2]
    s = brush.scale(img)
    work = brush.work(img, 512)
    ws = max(work.shape[:2]) / 512
    base = brush.f32(_bilateral(work, 2, 40, 4))
    angle_w = brush.orientation(brush.gray(brush.f32(work)), 7 * ws + 1)
    # Paint: the colour smeared along the strokes' direction.
    paint = brush.oriented(base, angle_w, max(3, round(7 * ws)) | 1)
    col = brush.saturate(brush.up(paint, img.shape), 1.3)
    angle = np.asarray(cv2.resize(angle_w, (w, h), interpolation=cv2.INTER_NEAREST), np.float32)
    bristles = brush.strokes((h, w), angle, max(5, round(21 * s)) | 1, rng, width=0.7)
    dabs_w = brush.strokes(angle_w.shape[:2], angle_w, max(3, round(13 * ws)) | 1, rng, width=1.5)
    dabs = brush.up(dabs_w, (h, w))
    # Each dab shifts the colour a little, like paint not fully mixed.
    col = col * (1 + 0.05 * dabs)[..., None]
    # Stroke height: bristle furrows and thick dabs; lit from the top left as a relief.
    height = 0.25 * bristles + 0.6 * dabs + 2.0 * brush.gray(col)
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3)
    light = np.clip(-(gx + gy) * 0.1, -1, 1)
    col = col * (1 + 0.18 * light)[..., None] + 0.12 * (np.clip(light, 0, 1) ** 3)[..., None]
    # Canvas weave.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = max(3.0, 5 * s)
    weave = np.sin(xx * (2 * np.pi / period)) * np.sin(yy * (2 * np.pi / period))
    col = col * (1 + 0.03 * weave)[..., None]
    return brush.u8(col)


def _watercolor(img: RGB, rng: np.random.Generator) -> RGB:
    """Washes of simplified colour, pigment granulation, darkened wet edges, white paper."""
    h, w = img.shape[:2]
    s = brush.scale(img)
    work = brush.work(img)
    smooth = _bilateral(brush.smooth(work, 15, 10), 2, 30, 4)
    wf = brush.f32(smooth)
    # Wet bleed: warp the colour field a little by low-frequency noise.
    wh, ww = wf.shape[:2]
    cell = max(wh, ww) / 16
    amp = max(wh, ww) / 250
    dx = brush.fractal((wh, ww), cell, rng) * amp
    dy = brush.fractal((wh, ww), cell, rng) * amp
    gy, gx = np.mgrid[0:wh, 0:ww].astype(np.float32)
    warped = cv2.remap(wf, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    col = brush.up(np.asarray(warped, np.float32), img.shape)
    col = brush.saturate(col, 1.1, 0.75)
    # Pigment density relative to white paper; watercolour never reaches black.
    density = (1 - col) * 0.85
    lum = brush.gray(col)
    # Highlights go to bare paper.
    density *= brush.smoothstep(0.93, 0.8, lum)[..., None]
    # Edge darkening: pigment pools where a wash meets a lighter one.
    dl = brush.gray(density)
    pool = np.clip(dl - brush.blur(dl, 4 * s + 1), 0, None)
    density *= (1 + 2.5 * pool / (dl + 0.05))[..., None]
    # Granulation (more in mid tones) and blooms.
    gran = brush.fractal((h, w), 30 * s + 4, rng, 4)
    fine = brush.grain((h, w), rng, 1.0)
    mid = (4 * dl * (1 - dl))[..., None]
    density *= 1 + mid * (0.3 * gran + 0.12 * fine)[..., None]
    paper_grain = brush.grain((h, w), rng, 1.5)
    paper = np.array([0.985, 0.975, 0.95], np.float32) * (1 + 0.02 * paper_grain)[..., None]
    col = paper * (1 - np.clip(density, 0, 0.95))
    return brush.u8(col)


def _sketch(img: RGB, rng: np.random.Generator) -> RGB:
    """Graphite: colour-dodge pencil tone, hatching along the structure in the darks, paper."""
    h, w = img.shape[:2]
    s = brush.scale(img)
    g = brush.gray(brush.f32(img))
    g = brush.blur(g, 0.6 * s + 0.3)
    inv_blur = brush.blur(1 - g, 8 * s + 1)
    dodge = np.clip(g / np.maximum(1 - inv_blur, 1e-3), 0, 1)
    dodge = dodge**2.5
    # Hatching: two stroke directions, appearing as the tone darkens.
    tone = brush.blur(g, 3 * s + 1)
    length = max(5, round(31 * s)) | 1
    hatch1 = brush.hatch((h, w), np.pi / 4, length, rng)
    hatch2 = brush.hatch((h, w), -np.pi / 3, length, rng)
    dark1 = brush.smoothstep(0.7, 0.3, tone)
    dark2 = brush.smoothstep(0.4, 0.1, tone)
    hatch = (
        1
        - 0.45 * dark1 * brush.smoothstep(0.2, 1.4, hatch1)
        - 0.45 * dark2 * brush.smoothstep(0.2, 1.4, hatch2)
    )
    val = dodge * hatch
    val = val * (1 + 0.05 * brush.grain((h, w), rng, 0.8) * (1 - val))
    graphite = np.array([0.97, 0.965, 0.95], np.float32)
    lead = np.array([0.18, 0.19, 0.22], np.float32)
    v = np.clip(val, 0, 1)[..., None]
    col = lead + (graphite - lead) * v
    return brush.u8(np.asarray(col, np.float32))


def _seal(col: F32, rng: np.random.Generator) -> None:
    """A small worn red seal (random glyph strokes) in the lower right corner, in place."""
    h, w = col.shape[:2]
    side = int(min(h, w) * 0.085)
    if side < 12:
        return
    margin = int(min(h, w) * 0.04)
    y0, x0 = h - margin - side, w - margin - side
    stamp = np.zeros((side, side), np.float32)
    cv2.rectangle(stamp, (0, 0), (side - 1, side - 1), 1.0, -1)
    t = max(1, side // 14)
    cell = side // 2
    for cy in range(2):
        for cx in range(2):
            ox, oy = cx * cell + side // 8, cy * cell + side // 8
            span = cell - side // 4
            for _ in range(4):
                if rng.random() < 0.5:
                    yy = oy + int(rng.integers(0, span + 1))
                    cv2.line(stamp, (ox, yy), (ox + span, yy), 0.0, t)
                else:
                    xx = ox + int(rng.integers(0, span + 1))
                    cv2.line(stamp, (xx, oy), (xx, oy + span), 0.0, t)
    wear = brush.noise((side, side), max(2.0, side / 10), rng)
    stamp *= (wear > -0.6).astype(np.float32) * 0.85
    red = np.array([0.72, 0.12, 0.1], np.float32)
    region = col[y0 : y0 + side, x0 : x0 + side]
    col[y0 : y0 + side, x0 : x0 + side] = region * (1 - stamp[..., None]) + red * stamp[..., None]


def _chinese(img: RGB, rng: np.random.Generator) -> RGB:
    """Ink and wash on xuan paper: diffused washes, dry-brush contours, white space, a seal."""
    h, w = img.shape[:2]
    s = brush.scale(img)
    work = brush.work(img)
    smooth = brush.smooth(work, 40, 12)
    lum = brush.up(brush.gray(brush.f32(smooth)), img.shape)
    # Normalise so that the lightest third of the picture is left as bare paper.
    lo, hi = np.percentile(lum[:: max(1, h // 128), :: max(1, w // 128)], (3, 75))
    ink = brush.smoothstep(max(float(hi), float(lo) + 0.15), float(lo), lum)
    # Wash: 3 soft levels (light, medium and dense ink), then bleeding modulated by noise.
    t = ink * 3
    wash = (np.floor(t) + brush.smoothstep(0.25, 0.75, t - np.floor(t))) / 3
    wash = wash**1.3 * 0.8
    wobble = brush.fractal((h, w), 50 * s + 4, rng)
    bleed = brush.blur(np.asarray(wash, np.float32), (3 + 1.5 * float(wobble.mean())) * s + 1)
    wash = np.clip(0.5 * wash + 0.5 * bleed + 0.1 * wobble * bleed, 0, 1)
    # Dry-brush contours: DoG lines broken up by streaky noise along the edges.
    g = brush.gray(brush.f32(np.asarray(cv2.bilateralFilter(img, 5, 40, 5), np.uint8)))
    lines = brush.dog_lines(g, 1.8 * s + 0.6, 0.012, 0.04)
    ws = brush.scale(work)
    angle_w = brush.orientation(brush.gray(brush.f32(smooth)), 4 * ws + 1)
    angle = np.asarray(cv2.resize(angle_w, (w, h), interpolation=cv2.INTER_NEAREST), np.float32)
    dry = brush.strokes((h, w), angle, max(5, round(17 * s)) | 1, rng)
    lines = lines * brush.smoothstep(-1.0, 0.3, dry)
    density = np.clip(wash + 0.9 * lines, 0, 1)
    density *= 1 + 0.12 * brush.grain((h, w), rng, 0.7) * (density > 0.05)
    # Rice paper: warm off-white with fibres.
    paper = np.array([0.95, 0.925, 0.86], np.float32)
    fib = brush.hatch((h, w), 0.35, max(5, round(25 * s)) | 1, rng)
    fibres = 1 - 0.025 * np.clip(fib - 1, 0, None) + 0.012 * brush.grain((h, w), rng, 2.0)
    base = paper * fibres[..., None]
    inkc = np.array([0.07, 0.07, 0.08], np.float32)
    # A faint trace of the original hue in the washes (light colouring, as in 淡彩).
    hue = brush.saturate(brush.up(brush.f32(smooth), img.shape), 0.3)
    tint = base * (0.85 + 0.15 * hue / np.maximum(brush.gray(hue)[..., None], 0.05))
    d = np.clip(density, 0, 1)[..., None]
    col = np.asarray(tint * (1 - d) + inkc * d, np.float32)
    _seal(col, rng)
    return brush.u8(col)


def _flat(img: RGB, rng: np.random.Generator) -> RGB:
    """Vector-art look: a small harmonised palette, flat shapes with clean smooth boundaries."""
    work = brush.work(img, 512)
    ws = max(work.shape[:2]) / 512
    smooth = brush.smooth(_bilateral(work, 2, 30, 4), 30, 10)
    centers = brush.palette(smooth, 10, rng)
    k = len(centers)
    lab = brush.soft_labels(brush.labels(smooth, centers), k, img.shape, 1.5 * ws)
    pal = brush.lab_to_rgb(centers)
    # Harmonise: a little more saturated and lighter.
    pal = brush.saturate(pal.reshape(1, -1, 3), 1.2, 0.9).reshape(-1, 3)
    col = pal[lab]
    col = np.asarray(cv2.GaussianBlur(col, (0, 0), 0.6), np.float32)
    return brush.u8(col)


_RENDERERS: dict[str, Callable[[RGB, np.random.Generator], RGB]] = {
    "<3d cartoon>": _cartoon3d,
    "<anime>": _anime,
    "<oil painting>": _oil,
    "<watercolor>": _watercolor,
    "<sketch>": _sketch,
    "<chinese painting>": _chinese,
    "<flat illustration>": _flat,
}
