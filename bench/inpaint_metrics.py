"""Measures of an inpainted fill that need no network weights (numpy, scikit-image, OpenCV).

Every measure takes ``orig`` (H×W×3 uint8, the photo before the hole was cut), ``out`` (the
result, same shape) and ``mask`` (H×W bool, True = hole), and looks only at the hole (the seam
step at its edge). The definitions follow the project's inpainting study (2026-12-07), which
calibrated them on the benchmark's photos; this is the project's own implementation.

Pixel fidelity. These reward the *mean* of all plausible fills, i.e. blur, so they are reported
and not targeted on large holes (they are right for thin strokes, which the context pins):

* ``hole_psnr``, ``hole_ssim`` (skimage's SSIM map, 7×7, averaged over hole pixels),
* ``hf_ratio``: energy of ``gray − Gauss(σ 1.5)`` in the fill ÷ in the original. Noise scores 1.

Distribution measures. They compare what the fill is made of with what was there, not where each
detail sits, so a sharp fill displaced by a few pixels scores near the truth and a blur scores far:

* ``swd_levels``: sliced Wasserstein distance (×100) between 7×7×3 neighbourhoods of a Laplacian
  pyramid of fill and original, per level, at the same random hole positions (Karras et al. 2018,
  "Progressive Growing of GANs", §5). Both sets are normalised by the *original's* statistics, so
  a fill that lost contrast is not forgiven. ``swd_fine`` = mean of levels 0–1 (texture),
  ``swd_coarse`` = levels 2–3 (structure; wrong-region blocks show there).
* ``patch_recall``: k-NN recall of 7×7 patches at half resolution (Kynkäänniemi et al. 2019):
  the share of the original's hole patches that some fill patch's k-NN ball contains. Does the
  fill have the detail and variety that was there? (Precision is not used: pixel-space k-NN balls
  around textured patches contain smooth ones, so it rewards blur.)
* ``gradient_distance``: (``gmag``, ``gori``). gmag = Wasserstein-1 distance between the
  distributions of log2(1 + |∇|) (grey, Gaussian σ 1, Sobel/8): 1.0 ≈ gradients off by 2×. gori =
  total-variation distance of magnitude-weighted orientation histograms (a diagnostic only).

Guards:

* ``lowpass_psnr``: PSNR over the hole after a Gaussian blur of σ 4 px: is the shading in place?
* ``seam_step``: the step added at the hole's edge, in units of the photo's local contrast
  (0 = as the photo, +1 = a step as large as the local contrast all along the edge, < 0 = the edge
  was smoothed).

:func:`measure` returns all of them; about 0.5 s for a 512 px photo.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
from skimage.metrics import structural_similarity

RGB = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float32]

HF_SIGMA = 1.5
LOWPASS_SIGMA = 4.0
SWD_LEVELS = 4  #: Laplacian levels, 0 = finest
SWD_PATCH = 7
SWD_MAX = 2048  #: descriptors per level (random hole positions, the same in both images)
SWD_DIRECTIONS = 256
RECALL_PATCH = 7
RECALL_K = 3
RECALL_MAX = 1500  #: patches per set
RECALL_SCALE = 2  #: images are shrunk by this (area) before patches are taken
SEAM_RING = 8  #: px of known surroundings whose contrast is the seam's unit


# ------------------------------------------------------------------------------ pixel fidelity


def hole_psnr(orig: RGB, out: RGB, mask: Mask) -> float:
    diff = orig[mask].astype(np.float64) - out[mask].astype(np.float64)
    mse = float(np.mean(diff**2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _ssim_map(orig: RGB, out: RGB) -> Floats:
    _, smap = structural_similarity(  # type: ignore[no-untyped-call]
        orig, out, channel_axis=2, data_range=255, full=True
    )
    return np.asarray(smap, dtype=np.float32)


def hole_ssim(orig: RGB, out: RGB, mask: Mask) -> float:
    return float(_ssim_map(orig, out)[mask].mean())


def _gray(image: RGB) -> Floats:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float32)


def highpass(image: RGB) -> Floats:
    gray = _gray(image)
    return np.asarray(gray - cv2.GaussianBlur(gray, (0, 0), HF_SIGMA), dtype=np.float32)


def hf_ratio(orig: RGB, out: RGB, mask: Mask) -> float:
    ref = float(np.mean(highpass(orig)[mask] ** 2))
    return float(np.mean(highpass(out)[mask] ** 2)) / max(ref, 1e-6)


def lowpass_psnr(orig: RGB, out: RGB, mask: Mask) -> float:
    a = cv2.GaussianBlur(orig.astype(np.float32), (0, 0), LOWPASS_SIGMA)
    b = cv2.GaussianBlur(out.astype(np.float32), (0, 0), LOWPASS_SIGMA)
    mse = float(np.mean((np.asarray(a)[mask] - np.asarray(b)[mask]) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


# ------------------------------------------------------------------------------ SWD


def _laplacian(image: RGB, levels: int) -> list[Floats]:
    """Band-pass levels of ``image`` / 255, finest first."""
    g = image.astype(np.float32) / 255.0
    bands: list[Floats] = []
    for _ in range(levels):
        down = cv2.pyrDown(g)
        up = cv2.pyrUp(down, dstsize=(g.shape[1], g.shape[0]))
        bands.append(np.asarray(g - up, dtype=np.float32))
        g = np.asarray(down, dtype=np.float32)
    return bands


def _windows(image: Floats, ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp], r: int) -> Floats:
    """The (2r+1)² neighbourhoods at (ys, xs), flattened per point: n × (2r+1)²·channels."""
    offsets = np.arange(-r, r + 1)
    yy = ys[:, None, None] + offsets[None, :, None]
    xx = xs[:, None, None] + offsets[None, None, :]
    return np.asarray(image[yy, xx].reshape(len(ys), -1), dtype=np.float32)


def _inner(mask: Mask, r: int) -> Mask:
    """``mask`` without the ``r`` px next to the image border (windows must fit)."""
    m = mask.copy()
    m[:r], m[m.shape[0] - r :], m[:, :r], m[:, m.shape[1] - r :] = False, False, False, False
    return m


def swd_levels(orig: RGB, out: RGB, mask: Mask) -> list[float]:
    """SWD ×100 per Laplacian level (NaN where the hole has fewer than 16 pixels at that level)."""
    rng = np.random.default_rng(0)
    r = SWD_PATCH // 2
    bands_a, bands_b = _laplacian(orig, SWD_LEVELS), _laplacian(out, SWD_LEVELS)
    dims = SWD_PATCH * SWD_PATCH * 3
    directions = rng.standard_normal((dims, SWD_DIRECTIONS)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    level_mask = mask.astype(np.float32)
    result: list[float] = []
    for level in range(SWD_LEVELS):
        if level:
            level_mask = np.asarray(cv2.pyrDown(level_mask), dtype=np.float32)
        ys, xs = np.nonzero(_inner(level_mask > 0.5, r))
        if len(ys) < 16:
            result.append(float("nan"))
            continue
        if len(ys) > SWD_MAX:
            pick = rng.choice(len(ys), SWD_MAX, replace=False)
            ys, xs = ys[pick], xs[pick]
        a = _windows(bands_a[level], ys, xs, r).reshape(len(ys), -1, 3)
        b = _windows(bands_b[level], ys, xs, r).reshape(len(ys), -1, 3)
        mean = a.mean(axis=(0, 1), keepdims=True)
        std = a.std(axis=(0, 1), keepdims=True) + 1e-6
        pa = np.sort(((a - mean) / std).reshape(len(ys), -1) @ directions, axis=0)
        pb = np.sort(((b - mean) / std).reshape(len(ys), -1) @ directions, axis=0)
        result.append(100.0 * float(np.mean(np.abs(pa - pb))))
    return result


# ------------------------------------------------------------------------------ patch recall


def _sqdist(a: Floats, b: Floats) -> Floats:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.asarray(np.maximum(d, 0.0), dtype=np.float32)


def patch_recall(orig: RGB, out: RGB, mask: Mask) -> float:
    """Share of the original's hole patches inside the k-NN ball of some fill patch (NaN if the
    hole is too small to hold patches at half resolution)."""
    rng = np.random.default_rng(0)
    r = RECALL_PATCH // 2
    h, w = mask.shape
    size = (max(8, w // RECALL_SCALE), max(8, h // RECALL_SCALE))
    small_a = np.asarray(cv2.resize(orig, size, interpolation=cv2.INTER_AREA), np.float32) / 255
    small_b = np.asarray(cv2.resize(out, size, interpolation=cv2.INTER_AREA), np.float32) / 255
    cover = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(_inner(np.asarray(cover) > 0.5, r))
    if len(ys) < RECALL_K + 2:
        return float("nan")
    if len(ys) > RECALL_MAX:
        pick = rng.choice(len(ys), RECALL_MAX, replace=False)
        ys, xs = ys[pick], xs[pick]
    fill = _windows(small_b, ys, xs, r)
    truth = _windows(small_a, ys, xs, r)
    # each fill patch's ball: its distance to the k-th nearest other fill patch (column 0 = itself)
    radius = np.partition(_sqdist(fill, fill), RECALL_K, axis=1)[:, RECALL_K]
    return float((_sqdist(truth, fill) <= radius[None, :]).any(axis=1).mean())


# ------------------------------------------------------------------------------ gradients


def _gradients(image: RGB) -> tuple[Floats, Floats]:
    g = cv2.GaussianBlur(_gray(image), (0, 0), 1.0)
    gx = np.asarray(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), dtype=np.float32) / 8.0
    gy = np.asarray(cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3), dtype=np.float32) / 8.0
    return np.hypot(gx, gy), np.mod(np.arctan2(gy, gx), np.pi).astype(np.float32)


def gradient_distance(orig: RGB, out: RGB, mask: Mask) -> tuple[float, float]:
    """(gmag, gori) inside the hole; see the module docstring."""
    mag_a, ang_a = _gradients(orig)
    mag_b, ang_b = _gradients(out)
    la, lb = np.sort(np.log2(1 + mag_a[mask])), np.sort(np.log2(1 + mag_b[mask]))
    gmag = float(np.mean(np.abs(la - lb)))
    bins = np.linspace(0, np.pi, 13)
    ha = np.histogram(ang_a[mask], bins, weights=mag_a[mask])[0]
    hb = np.histogram(ang_b[mask], bins, weights=mag_b[mask])[0]
    if ha.sum() <= 0 or hb.sum() <= 1e-3 * mask.sum():
        return gmag, 1.0
    return gmag, 0.5 * float(np.abs(ha / ha.sum() - hb / hb.sum()).sum())


# ------------------------------------------------------------------------------ seam


def _pair_steps(image: RGB, a: Mask, b: Mask) -> tuple[float, int]:
    """Sum and count of L1-RGB differences over 4-neighbour pairs with one pixel in ``a`` and the
    other in ``b``."""
    f = image.astype(np.float32)
    total, count = 0.0, 0
    for axis in (0, 1):
        n = a.shape[axis]
        first, second = np.arange(n - 1), np.arange(1, n)
        a0, a1 = a.take(first, axis=axis), a.take(second, axis=axis)
        b0, b1 = b.take(first, axis=axis), b.take(second, axis=axis)
        pairs = (a0 & b1) | (b0 & a1)
        steps = np.abs(np.diff(f, axis=axis)).sum(axis=2)[pairs]
        total += float(steps.sum())
        count += int(pairs.sum())
    return total, count


def seam_step(orig: RGB, out: RGB, mask: Mask) -> float:
    """(mean step across the edge in ``out`` − the same in ``orig``) ÷ the photo's mean step
    between known pixels within ``SEAM_RING`` px of the hole (at least 1 grey level)."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    ring = cv2.dilate(mask.astype(np.uint8), cross, iterations=SEAM_RING).astype(bool) & ~mask
    got, pairs = _pair_steps(out, mask, ~mask)
    was, _ = _pair_steps(orig, mask, ~mask)
    local, ring_pairs = _pair_steps(orig, ring, ring)
    if pairs == 0 or ring_pairs == 0:
        return float("nan")
    return (got - was) / pairs / max(local / ring_pairs, 1.0)


# ------------------------------------------------------------------------------ all


#: the names :func:`measure` returns, in table order
NAMES: tuple[str, ...] = (
    "psnr",
    "ssim",
    "hf",
    "lp_psnr",
    "swd_fine",
    "swd_coarse",
    "recall",
    "gmag",
    "gori",
    "seam",
)


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def measure(orig: RGB, out: RGB, mask: Mask) -> dict[str, float]:
    """Every measure of this module for one fill, keyed by :data:`NAMES`."""
    levels = swd_levels(orig, out, mask)
    gmag, gori = gradient_distance(orig, out, mask)
    return {
        "psnr": hole_psnr(orig, out, mask),
        "ssim": hole_ssim(orig, out, mask),
        "hf": hf_ratio(orig, out, mask),
        "lp_psnr": lowpass_psnr(orig, out, mask),
        "swd_fine": _nanmean(levels[:2]),
        "swd_coarse": _nanmean(levels[2:]),
        "recall": patch_recall(orig, out, mask),
        "gmag": gmag,
        "gori": gori,
        "seam": seam_step(orig, out, mask),
    }
