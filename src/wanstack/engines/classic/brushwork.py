"""Brushwork for the x-painting styles: the image-processing pieces every style is made of.

Float images are in ``[0, 1]``. Edge-preserving smoothing, working copies (:data:`WORK_SIDE`),
value noise and fractal paper, film grain, difference-of-Gaussians lines, stroke orientation and
oriented stroke textures, hatching, and k-means palettes in Lab. Deterministic for a given
random generator; numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

#: Long side of the working copy that the expensive filters run on.
WORK_SIDE = 640


def f32(img: RGB) -> F32:
    return img.astype(np.float32) * np.float32(1 / 255)


def u8(img: F32) -> RGB:
    return np.asarray(np.clip(img * 255 + 0.5, 0, 255), np.uint8)


def work(img: RGB, side: int = WORK_SIDE) -> RGB:
    h, w = img.shape[:2]
    f = side / max(h, w)
    if f >= 1:
        return img
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), np.uint8)


def up(img: npt.NDArray[np.float32], shape: tuple[int, ...]) -> F32:
    h, w = shape[:2]
    if img.shape[:2] == (h, w):
        return img
    return np.asarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def scale(img: npt.NDArray[np.generic]) -> float:
    """Pixels per 'unit': 1.0 for a 1024-pixel long side."""
    return float(max(img.shape[:2])) / 1024


def smooth(img: RGB, strength: float, sigma_color: float) -> RGB:
    """Edge-preserving smoothing (fast global smoother) at the image's own resolution."""
    lam = strength * (max(img.shape[:2]) / WORK_SIDE) ** 2
    return np.asarray(cv2.ximgproc.fastGlobalSmootherFilter(img, img, lam, sigma_color), np.uint8)


def gray(img: F32) -> F32:
    return np.asarray(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), np.float32)


def blur(img: F32, sigma: float) -> F32:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), max(sigma, 0.3)), np.float32)


def smoothstep(lo: float, hi: float, x: F32) -> F32:
    t = np.clip((x - lo) / (hi - lo), 0, 1)
    return np.asarray(t * t * (3 - 2 * t), np.float32)


def saturate(img: F32, amount: float, gamma: float = 1.0) -> F32:
    """Scale saturation (HSV) by ``amount`` and apply ``gamma`` to the value."""
    hsv = cv2.cvtColor(np.clip(img, 0, 1), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1] * amount, 0, 1)
    if gamma != 1.0:
        hsv[..., 2] = hsv[..., 2] ** gamma
    return np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), np.float32)


def noise(shape: tuple[int, int], cell: float, rng: np.random.Generator) -> F32:
    """Smooth value noise in [-1, 1] with features about ``cell`` pixels across."""
    h, w = shape
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(big[:h, :w], -1, 1), np.float32)


def fractal(shape: tuple[int, int], cell: float, rng: np.random.Generator, octaves: int = 3) -> F32:
    out = np.zeros(shape, np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        out += amp * noise(shape, max(cell, 1.5), rng)
        total += amp
        amp *= 0.5
        cell /= 2
    return out / np.float32(total)


def grain(shape: tuple[int, int], rng: np.random.Generator, sigma: float = 0.7) -> F32:
    """Fine paper grain, zero mean, unit-ish spread."""
    g = blur(rng.standard_normal(shape).astype(np.float32), sigma)
    return g / np.float32(g.std() + 1e-6)


def dog_lines(gray: F32, sigma: float, threshold: float, softness: float) -> F32:
    """Difference-of-Gaussians line strength in [0, 1], on the dark side of edges."""
    g1 = blur(gray, sigma)
    g2 = blur(gray, sigma * 1.6)
    return smoothstep(threshold, threshold + softness, g2 - g1)


def orientation(gray: F32, sigma: float) -> F32:
    """Direction along edges (radians, modulo pi) from the smoothed structure tensor."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    jxx = blur(gx * gx, sigma)
    jyy = blur(gy * gy, sigma)
    jxy = blur(gx * gy, sigma)
    # The gradient direction is 0.5*atan2(2jxy, jxx-jyy); strokes run across it.
    return np.asarray(0.5 * np.arctan2(2 * jxy, jxx - jyy) + np.pi / 2, np.float32)


def line_kernel(length: int, angle: float) -> F32:
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = np.cos(angle) * c, np.sin(angle) * c
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
    return k / np.float32(k.sum())


def hatch(shape: tuple[int, int], angle: float, length: int, rng: np.random.Generator) -> F32:
    """Noise smeared along one direction: parallel strokes, zero mean, unit spread."""
    noise = blur(rng.standard_normal(shape).astype(np.float32), 0.7)
    out = np.asarray(cv2.filter2D(noise, -1, line_kernel(length, angle)), np.float32)
    return out / np.float32(out.std() + 1e-6)


def oriented(img: F32, angle: F32, length: int, bins: int = 8) -> F32:
    """Smear ``img`` along ``angle`` (per pixel) with a line kernel of ``length`` pixels."""
    which = (np.round(np.mod(angle, np.pi) / np.pi * bins).astype(np.int32)) % bins
    out = np.zeros_like(img)
    for b in range(bins):
        sel = which == b
        if not sel.any():
            continue
        smeared = cv2.filter2D(img, -1, line_kernel(length, b * np.pi / bins))
        out[sel] = smeared[sel]
    return out


def strokes(
    shape: tuple[int, int],
    angle: F32,
    length: int,
    rng: np.random.Generator,
    bins: int = 8,
    width: float = 0.8,
) -> F32:
    """Noise smeared along ``angle`` per pixel: a field of short oriented strokes, ~[-1, 1]."""
    noise = blur(rng.standard_normal(shape).astype(np.float32), width)
    out = oriented(noise, angle, length, bins)
    return out / np.float32(out.std() + 1e-6)


def palette(img: RGB, k: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """``k`` k-means colours (Lab, float) of a small copy of ``img``."""
    small = work(img, 96)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    k = min(k, len(lab))
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    labels = np.zeros((len(lab), 1), np.int32)
    _, _, centers = cv2.kmeans(lab, k, labels, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return np.asarray(centers, np.float32)


def labels(img: RGB, centers: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Nearest palette entry (in Lab) per pixel, through a 32³ lookup table."""
    q = np.arange(32, dtype=np.uint8) * 8 + 4
    cube = np.stack(np.meshgrid(q, q, q, indexing="ij"), -1).reshape(1, -1, 3)
    lab = cv2.cvtColor(cube, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    d = ((lab[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    lut = np.argmin(d, axis=1).astype(np.uint8)
    idx = img >> 3
    flat = (idx[..., 0].astype(np.int32) << 10) | (idx[..., 1].astype(np.int32) << 5) | idx[..., 2]
    return np.asarray(lut[flat], np.uint8)


def lab_to_rgb(centers: npt.NDArray[np.float32]) -> F32:
    lab = np.clip(centers, 0, 255).astype(np.uint8).reshape(1, -1, 3)
    return f32(np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), np.uint8)).reshape(-1, 3)


def soft_labels(
    labels: npt.NDArray[np.uint8], k: int, shape: tuple[int, ...], sigma: float
) -> npt.NDArray[np.uint8]:
    """Clean label boundaries (a blurred one-hot vote) and bring them to ``shape``."""
    h, w = shape[:2]
    best = np.zeros((h, w), np.float32)
    out = np.zeros((h, w), np.uint8)
    for i in range(k):
        vote = up(blur((labels == i).astype(np.float32), sigma), (h, w))
        better = vote > best
        out[better] = i
        best = np.maximum(best, vote)
    return out
