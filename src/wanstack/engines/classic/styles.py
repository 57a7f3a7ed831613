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

from wanstack.engines.requests import STYLES

RGB = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

AUTO = "<auto>"
STYLE_NAMES = STYLES
#: Long side of the working copy that the expensive filters run on.
WORK_SIDE = 640
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
# Shared building blocks (float32 images are in [0, 1])


def _f32(img: RGB) -> F32:
    return img.astype(np.float32) * np.float32(1 / 255)


def _u8(img: F32) -> RGB:
    return np.asarray(np.clip(img * 255 + 0.5, 0, 255), np.uint8)


def _work(img: RGB, side: int = WORK_SIDE) -> RGB:
    h, w = img.shape[:2]
    f = side / max(h, w)
    if f >= 1:
        return img
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), np.uint8)


def _up(img: npt.NDArray[np.float32], shape: tuple[int, ...]) -> F32:
    h, w = shape[:2]
    if img.shape[:2] == (h, w):
        return img
    return np.asarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _scale(img: npt.NDArray[np.generic]) -> float:
    """Pixels per 'unit': 1.0 for a 1024-pixel long side."""
    return float(max(img.shape[:2])) / 1024


def _smooth(img: RGB, strength: float, sigma_color: float) -> RGB:
    """Edge-preserving smoothing (fast global smoother) at the image's own resolution."""
    lam = strength * (max(img.shape[:2]) / WORK_SIDE) ** 2
    return np.asarray(cv2.ximgproc.fastGlobalSmootherFilter(img, img, lam, sigma_color), np.uint8)


def _gray(img: F32) -> F32:
    return np.asarray(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), np.float32)


def _blur(img: F32, sigma: float) -> F32:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), max(sigma, 0.3)), np.float32)


def _smoothstep(lo: float, hi: float, x: F32) -> F32:
    t = np.clip((x - lo) / (hi - lo), 0, 1)
    return np.asarray(t * t * (3 - 2 * t), np.float32)


def _saturate(img: F32, amount: float, gamma: float = 1.0) -> F32:
    """Scale saturation (HSV) by ``amount`` and apply ``gamma`` to the value."""
    hsv = cv2.cvtColor(np.clip(img, 0, 1), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1] * amount, 0, 1)
    if gamma != 1.0:
        hsv[..., 2] = hsv[..., 2] ** gamma
    return np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), np.float32)


def _noise(shape: tuple[int, int], cell: float, rng: np.random.Generator) -> F32:
    """Smooth value noise in [-1, 1] with features about ``cell`` pixels across."""
    h, w = shape
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(big[:h, :w], -1, 1), np.float32)


def _fractal(
    shape: tuple[int, int], cell: float, rng: np.random.Generator, octaves: int = 3
) -> F32:
    out = np.zeros(shape, np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        out += amp * _noise(shape, max(cell, 1.5), rng)
        total += amp
        amp *= 0.5
        cell /= 2
    return out / np.float32(total)


def _grain(shape: tuple[int, int], rng: np.random.Generator, sigma: float = 0.7) -> F32:
    """Fine paper grain, zero mean, unit-ish spread."""
    g = _blur(rng.standard_normal(shape).astype(np.float32), sigma)
    return g / np.float32(g.std() + 1e-6)


def _dog_lines(gray: F32, sigma: float, threshold: float, softness: float) -> F32:
    """Difference-of-Gaussians line strength in [0, 1], on the dark side of edges."""
    g1 = _blur(gray, sigma)
    g2 = _blur(gray, sigma * 1.6)
    return _smoothstep(threshold, threshold + softness, g2 - g1)


def _orientation(gray: F32, sigma: float) -> F32:
    """Direction along edges (radians, modulo pi) from the smoothed structure tensor."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    jxx = _blur(gx * gx, sigma)
    jyy = _blur(gy * gy, sigma)
    jxy = _blur(gx * gy, sigma)
    # The gradient direction is 0.5*atan2(2jxy, jxx-jyy); strokes run across it.
    return np.asarray(0.5 * np.arctan2(2 * jxy, jxx - jyy) + np.pi / 2, np.float32)


def _line_kernel(length: int, angle: float) -> F32:
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = np.cos(angle) * c, np.sin(angle) * c
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
    return k / np.float32(k.sum())


def _hatch(shape: tuple[int, int], angle: float, length: int, rng: np.random.Generator) -> F32:
    """Noise smeared along one direction: parallel strokes, zero mean, unit spread."""
    noise = _blur(rng.standard_normal(shape).astype(np.float32), 0.7)
    out = np.asarray(cv2.filter2D(noise, -1, _line_kernel(length, angle)), np.float32)
    return out / np.float32(out.std() + 1e-6)


def _oriented(img: F32, angle: F32, length: int, bins: int = 8) -> F32:
    """Smear ``img`` along ``angle`` (per pixel) with a line kernel of ``length`` pixels."""
    which = (np.round(np.mod(angle, np.pi) / np.pi * bins).astype(np.int32)) % bins
    out = np.zeros_like(img)
    for b in range(bins):
        sel = which == b
        if not sel.any():
            continue
        smeared = cv2.filter2D(img, -1, _line_kernel(length, b * np.pi / bins))
        out[sel] = smeared[sel]
    return out


def _strokes(
    shape: tuple[int, int],
    angle: F32,
    length: int,
    rng: np.random.Generator,
    bins: int = 8,
    width: float = 0.8,
) -> F32:
    """Noise smeared along ``angle`` per pixel: a field of short oriented strokes, ~[-1, 1]."""
    noise = _blur(rng.standard_normal(shape).astype(np.float32), width)
    out = _oriented(noise, angle, length, bins)
    return out / np.float32(out.std() + 1e-6)


def _palette(img: RGB, k: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """``k`` k-means colours (Lab, float) of a small copy of ``img``."""
    small = _work(img, 96)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    k = min(k, len(lab))
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    labels = np.zeros((len(lab), 1), np.int32)
    _, _, centers = cv2.kmeans(lab, k, labels, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return np.asarray(centers, np.float32)


def _labels(img: RGB, centers: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Nearest palette entry (in Lab) per pixel, through a 32³ lookup table."""
    q = np.arange(32, dtype=np.uint8) * 8 + 4
    cube = np.stack(np.meshgrid(q, q, q, indexing="ij"), -1).reshape(1, -1, 3)
    lab = cv2.cvtColor(cube, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    d = ((lab[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    lut = np.argmin(d, axis=1).astype(np.uint8)
    idx = img >> 3
    flat = (idx[..., 0].astype(np.int32) << 10) | (idx[..., 1].astype(np.int32) << 5) | idx[..., 2]
    return np.asarray(lut[flat], np.uint8)


def _lab_to_rgb(centers: npt.NDArray[np.float32]) -> F32:
    lab = np.clip(centers, 0, 255).astype(np.uint8).reshape(1, -1, 3)
    return _f32(np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), np.uint8)).reshape(-1, 3)


def _soft_labels(
    labels: npt.NDArray[np.uint8], k: int, shape: tuple[int, ...], sigma: float
) -> npt.NDArray[np.uint8]:
    """Clean label boundaries (a blurred one-hot vote) and bring them to ``shape``."""
    h, w = shape[:2]
    best = np.zeros((h, w), np.float32)
    out = np.zeros((h, w), np.uint8)
    for i in range(k):
        vote = _up(_blur((labels == i).astype(np.float32), sigma), (h, w))
        better = vote > best
        out[better] = i
        best = np.maximum(best, vote)
    return out


# --------------------------------------------------------------------------------------------
# Styles


def _anime(img: RGB, rng: np.random.Generator) -> RGB:
    """Flat cel colours from a k-means palette, 2-tone shading, crisp dark line art."""
    work = _work(img)
    smooth = _smooth(_smooth(work, 40, 10), 20, 6)
    centers = _palette(smooth, 14, rng)
    lab = _soft_labels(_labels(smooth, centers), len(centers), img.shape, 1.0)
    pal = _saturate(_lab_to_rgb(centers).reshape(1, -1, 3), 1.5, 0.9).reshape(-1, 3)
    col = pal[lab]
    # Cel shading: within each flat region, shadow where the photo is darker than the region.
    lum = _up(_gray(_f32(smooth)), img.shape)
    region = _gray(col)
    shadow = (lum < region - 0.08).astype(np.float32)
    shadow = _blur(shadow, 0.8)
    col = col * (1 - 0.22 * shadow)[..., None]
    # Line art: DoG on the (full-resolution) luminance of a lightly smoothed picture.
    g = _gray(_f32(np.asarray(cv2.bilateralFilter(img, 5, 30, 5), np.uint8)))
    s = _scale(img)
    lines = _dog_lines(g, 1.2 * s + 0.5, 0.015, 0.03)
    edges = _dog_lines(_up(_gray(_f32(smooth)), img.shape), 1.0 * s + 0.5, 0.01, 0.03)
    lines = np.maximum(lines, edges)
    if s > 0.6:
        lines = np.asarray(cv2.dilate(lines, np.ones((2, 2), np.uint8)), np.float32)
    ink = np.array([0.12, 0.08, 0.1], np.float32)
    col = col * (1 - lines[..., None]) + ink * lines[..., None]
    return _u8(col)


def _bilateral(img: RGB, passes: int, sigma_color: float, sigma_space: float) -> RGB:
    out = img
    for _ in range(passes):
        out = np.asarray(cv2.bilateralFilter(out, 9, sigma_color, sigma_space), np.uint8)
    return out


def _cartoon3d(img: RGB, rng: np.random.Generator) -> RGB:
    """Smooth clay-like shapes, soft shading bands, saturated colour, bloom, soft dark rims."""
    work = _work(img)
    smooth = _bilateral(work, 4, 28, 5)
    base = _up(_f32(smooth), img.shape)
    lum = _gray(base)
    # Soft shading bands: pull the lightness toward 6 levels with smooth transitions.
    levels = 6
    t = lum * levels
    banded = (np.floor(t) + _smoothstep(0.3, 0.7, t - np.floor(t))) / levels
    ratio = (0.5 * banded + 0.5 * lum + 0.04) / (lum + 0.04)
    col = base * ratio[..., None]
    # Rounded "3D" shading: large-scale local contrast on lightness.
    large = _up(_blur(_gray(_f32(smooth)), 30 * _scale(smooth) + 1), img.shape)
    col = col * (1 + 0.6 * (lum - large))[..., None]
    col = _saturate(col, 1.5, 0.8)
    # Bloom on the highlights.
    hi = _smoothstep(0.65, 1.0, _gray(col))
    glow = _up(_blur(_f32(_work(_u8(col * hi[..., None]), 256)), 12 * 256 / 1024 + 0.5), img.shape)
    col = 1 - (1 - col) * (1 - 0.55 * glow)
    # Soft, coloured (not black) rims at strong edges.
    rim = _blur(_dog_lines(_gray(base), 1.5 * _scale(img) + 0.6, 0.01, 0.05), 1.0)
    col = col * (1 - 0.4 * rim)[..., None]
    return _u8(col)


def _oil(img: RGB, rng: np.random.Generator) -> RGB:
    """Brush strokes along the image structure, thick paint lit from the top left, canvas weave."""
    h, w = img.shape[:2]
    s = _scale(img)
    work = _work(img, 512)
    ws = max(work.shape[:2]) / 512
    base = _f32(_bilateral(work, 2, 40, 4))
    angle_w = _orientation(_gray(_f32(work)), 7 * ws + 1)
    # Paint: the colour smeared along the strokes' direction.
    paint = _oriented(base, angle_w, max(3, round(7 * ws)) | 1)
    col = _saturate(_up(paint, img.shape), 1.3)
    angle = np.asarray(cv2.resize(angle_w, (w, h), interpolation=cv2.INTER_NEAREST), np.float32)
    bristles = _strokes((h, w), angle, max(5, round(21 * s)) | 1, rng, width=0.7)
    dabs_w = _strokes(angle_w.shape[:2], angle_w, max(3, round(13 * ws)) | 1, rng, width=1.5)
    dabs = _up(dabs_w, (h, w))
    # Each dab shifts the colour a little, like paint not fully mixed.
    col = col * (1 + 0.05 * dabs)[..., None]
    # Stroke height: bristle furrows and thick dabs; lit from the top left as a relief.
    height = 0.25 * bristles + 0.6 * dabs + 2.0 * _gray(col)
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3)
    light = np.clip(-(gx + gy) * 0.1, -1, 1)
    col = col * (1 + 0.18 * light)[..., None] + 0.12 * (np.clip(light, 0, 1) ** 3)[..., None]
    # Canvas weave.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = max(3.0, 5 * s)
    weave = np.sin(xx * (2 * np.pi / period)) * np.sin(yy * (2 * np.pi / period))
    col = col * (1 + 0.03 * weave)[..., None]
    return _u8(col)


def _watercolor(img: RGB, rng: np.random.Generator) -> RGB:
    """Washes of simplified colour, pigment granulation, darkened wet edges, white paper."""
    h, w = img.shape[:2]
    s = _scale(img)
    work = _work(img)
    smooth = _bilateral(_smooth(work, 15, 10), 2, 30, 4)
    wf = _f32(smooth)
    # Wet bleed: warp the colour field a little by low-frequency noise.
    wh, ww = wf.shape[:2]
    cell = max(wh, ww) / 16
    amp = max(wh, ww) / 250
    dx = _fractal((wh, ww), cell, rng) * amp
    dy = _fractal((wh, ww), cell, rng) * amp
    gy, gx = np.mgrid[0:wh, 0:ww].astype(np.float32)
    warped = cv2.remap(wf, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    col = _up(np.asarray(warped, np.float32), img.shape)
    col = _saturate(col, 1.1, 0.75)
    # Pigment density relative to white paper; watercolour never reaches black.
    density = (1 - col) * 0.85
    lum = _gray(col)
    # Highlights go to bare paper.
    density *= _smoothstep(0.93, 0.8, lum)[..., None]
    # Edge darkening: pigment pools where a wash meets a lighter one.
    dl = _gray(density)
    pool = np.clip(dl - _blur(dl, 4 * s + 1), 0, None)
    density *= (1 + 2.5 * pool / (dl + 0.05))[..., None]
    # Granulation (more in mid tones) and blooms.
    gran = _fractal((h, w), 30 * s + 4, rng, 4)
    fine = _grain((h, w), rng, 1.0)
    mid = (4 * dl * (1 - dl))[..., None]
    density *= 1 + mid * (0.3 * gran + 0.12 * fine)[..., None]
    paper_grain = _grain((h, w), rng, 1.5)
    paper = np.array([0.985, 0.975, 0.95], np.float32) * (1 + 0.02 * paper_grain)[..., None]
    col = paper * (1 - np.clip(density, 0, 0.95))
    return _u8(col)


def _sketch(img: RGB, rng: np.random.Generator) -> RGB:
    """Graphite: colour-dodge pencil tone, hatching along the structure in the darks, paper."""
    h, w = img.shape[:2]
    s = _scale(img)
    g = _gray(_f32(img))
    g = _blur(g, 0.6 * s + 0.3)
    inv_blur = _blur(1 - g, 8 * s + 1)
    dodge = np.clip(g / np.maximum(1 - inv_blur, 1e-3), 0, 1)
    dodge = dodge**2.5
    # Hatching: two stroke directions, appearing as the tone darkens.
    tone = _blur(g, 3 * s + 1)
    length = max(5, round(31 * s)) | 1
    hatch1 = _hatch((h, w), np.pi / 4, length, rng)
    hatch2 = _hatch((h, w), -np.pi / 3, length, rng)
    dark1 = _smoothstep(0.7, 0.3, tone)
    dark2 = _smoothstep(0.4, 0.1, tone)
    hatch = (
        1
        - 0.45 * dark1 * _smoothstep(0.2, 1.4, hatch1)
        - 0.45 * dark2 * _smoothstep(0.2, 1.4, hatch2)
    )
    val = dodge * hatch
    val = val * (1 + 0.05 * _grain((h, w), rng, 0.8) * (1 - val))
    graphite = np.array([0.97, 0.965, 0.95], np.float32)
    lead = np.array([0.18, 0.19, 0.22], np.float32)
    v = np.clip(val, 0, 1)[..., None]
    col = lead + (graphite - lead) * v
    return _u8(np.asarray(col, np.float32))


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
    wear = _noise((side, side), max(2.0, side / 10), rng)
    stamp *= (wear > -0.6).astype(np.float32) * 0.85
    red = np.array([0.72, 0.12, 0.1], np.float32)
    region = col[y0 : y0 + side, x0 : x0 + side]
    col[y0 : y0 + side, x0 : x0 + side] = region * (1 - stamp[..., None]) + red * stamp[..., None]


def _chinese(img: RGB, rng: np.random.Generator) -> RGB:
    """Ink and wash on xuan paper: diffused washes, dry-brush contours, white space, a seal."""
    h, w = img.shape[:2]
    s = _scale(img)
    work = _work(img)
    smooth = _smooth(work, 40, 12)
    lum = _up(_gray(_f32(smooth)), img.shape)
    # Normalise so that the lightest third of the picture is left as bare paper.
    lo, hi = np.percentile(lum[:: max(1, h // 128), :: max(1, w // 128)], (3, 75))
    ink = _smoothstep(max(float(hi), float(lo) + 0.15), float(lo), lum)
    # Wash: 3 soft levels (light, medium and dense ink), then bleeding modulated by noise.
    t = ink * 3
    wash = (np.floor(t) + _smoothstep(0.25, 0.75, t - np.floor(t))) / 3
    wash = wash**1.3 * 0.8
    wobble = _fractal((h, w), 50 * s + 4, rng)
    bleed = _blur(np.asarray(wash, np.float32), (3 + 1.5 * float(wobble.mean())) * s + 1)
    wash = np.clip(0.5 * wash + 0.5 * bleed + 0.1 * wobble * bleed, 0, 1)
    # Dry-brush contours: DoG lines broken up by streaky noise along the edges.
    g = _gray(_f32(np.asarray(cv2.bilateralFilter(img, 5, 40, 5), np.uint8)))
    lines = _dog_lines(g, 1.8 * s + 0.6, 0.012, 0.04)
    ws = _scale(work)
    angle_w = _orientation(_gray(_f32(smooth)), 4 * ws + 1)
    angle = np.asarray(cv2.resize(angle_w, (w, h), interpolation=cv2.INTER_NEAREST), np.float32)
    dry = _strokes((h, w), angle, max(5, round(17 * s)) | 1, rng)
    lines = lines * _smoothstep(-1.0, 0.3, dry)
    density = np.clip(wash + 0.9 * lines, 0, 1)
    density *= 1 + 0.12 * _grain((h, w), rng, 0.7) * (density > 0.05)
    # Rice paper: warm off-white with fibres.
    paper = np.array([0.95, 0.925, 0.86], np.float32)
    fib = _hatch((h, w), 0.35, max(5, round(25 * s)) | 1, rng)
    fibres = 1 - 0.025 * np.clip(fib - 1, 0, None) + 0.012 * _grain((h, w), rng, 2.0)
    base = paper * fibres[..., None]
    inkc = np.array([0.07, 0.07, 0.08], np.float32)
    # A faint trace of the original hue in the washes (light colouring, as in 淡彩).
    hue = _saturate(_up(_f32(smooth), img.shape), 0.3)
    tint = base * (0.85 + 0.15 * hue / np.maximum(_gray(hue)[..., None], 0.05))
    d = np.clip(density, 0, 1)[..., None]
    col = np.asarray(tint * (1 - d) + inkc * d, np.float32)
    _seal(col, rng)
    return _u8(col)


def _flat(img: RGB, rng: np.random.Generator) -> RGB:
    """Vector-art look: a small harmonised palette, flat shapes with clean smooth boundaries."""
    work = _work(img, 512)
    ws = max(work.shape[:2]) / 512
    smooth = _smooth(_bilateral(work, 2, 30, 4), 30, 10)
    centers = _palette(smooth, 10, rng)
    k = len(centers)
    lab = _soft_labels(_labels(smooth, centers), k, img.shape, 1.5 * ws)
    pal = _lab_to_rgb(centers)
    # Harmonise: a little more saturated and lighter.
    pal = _saturate(pal.reshape(1, -1, 3), 1.2, 0.9).reshape(-1, 3)
    col = pal[lab]
    col = np.asarray(cv2.GaussianBlur(col, (0, 0), 0.6), np.float32)
    return _u8(col)


_RENDERERS: dict[str, Callable[[RGB, np.random.Generator], RGB]] = {
    "<3d cartoon>": _cartoon3d,
    "<anime>": _anime,
    "<oil painting>": _oil,
    "<watercolor>": _watercolor,
    "<sketch>": _sketch,
    "<chinese painting>": _chinese,
    "<flat illustration>": _flat,
}
