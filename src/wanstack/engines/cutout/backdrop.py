"""The backdrop model of a product photo, and how far each pixel is from it.

A smooth surface (monomials of the position up to degree 4) plus a profile per row is fitted,
per CIE Lab channel, first to the image border by trimmed least squares, then to every pixel that
agrees with it; its residual's spread on the border is the noise (or texture) every threshold is
scaled by. :func:`shadow_score` discounts what a shadow does to the backdrop."""

from __future__ import annotations

import cv2
import numpy as np

from wanstack.engines.cutout.regions import Float, Mask

BORDER = 0.03  #: width of the border band the model starts from (of the short side)
SHADOW_WEIGHT = 0.25  #: how much darkening with the backdrop's chroma counts (a shadow)
SHADOW_FLOOR = 0.72  #: below this ratio of (L+16), darkening counts fully: too dark for a shadow


def border_band(h: int, w: int) -> Mask:
    """The band along the image border the backdrop is first sampled from."""
    band = max(2, round(BORDER * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    return border


def _basis(h: int, w: int, degree: int) -> Float:
    """Monomials x^i·y^j (i + j ≤ degree) of coordinates scaled to −1…1: (H·W, terms)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x = (xs.ravel() + 0.5) / w * 2.0 - 1.0
    y = (ys.ravel() + 0.5) / h * 2.0 - 1.0
    cols = [x**i * y**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack(cols, axis=1).astype(np.float32)


def _fit(lab: Float, basis: Float, select: Mask, limit: int = 6000) -> Float:
    """Least-squares fit of ``basis`` to the selected pixels, evaluated everywhere."""
    idx = np.flatnonzero(select.ravel())
    if idx.size > limit:
        idx = idx[:: idx.size // limit + 1]
    values = lab.reshape(-1, 3)
    x = basis[idx].astype(np.float64)
    # normal equations: a 15×15 solve, far cheaper than an SVD-based lstsq for a thin basis
    gram = x.T @ x + np.eye(x.shape[1]) * 1e-6 * idx.size
    coef = np.linalg.solve(gram, x.T @ values[idx].astype(np.float64))
    return np.asarray((basis @ coef.astype(np.float32)).reshape(lab.shape), np.float32)


def distance(lab: Float, model: Float) -> Float:
    return np.asarray(np.sqrt(((lab - model) ** 2).sum(axis=2)), np.float32)


def fit_backdrop(lab: Float) -> tuple[Float, float]:
    """A smooth model of the backdrop (Lab, image size) and the robust spread of the backdrop
    around it (ΔE; ~1 for plain paper with camera noise, several units for texture)."""
    h, w = lab.shape[:2]
    # the model is smooth: it is fitted at half the size and enlarged
    half = np.asarray(
        cv2.resize(lab, (max(8, w // 2), max(8, h // 2)), interpolation=cv2.INTER_AREA), np.float32
    )
    model = np.asarray(
        cv2.resize(_fit_smooth(half), (w, h), interpolation=cv2.INTER_LINEAR), np.float32
    )
    dist = distance(lab, model)
    border = border_band(h, w)
    near = dist[border]
    spread = 1.4826 * float(np.median(near)) + 0.3
    spread = 1.4826 * float(np.median(near[near < max(3.0 * spread, 4.0)])) + 0.3
    return np.asarray(model, np.float32), spread


def _fit_smooth(lab: Float) -> Float:
    h, w = lab.shape[:2]
    border = border_band(h, w)
    low, high = _basis(h, w, 2), _basis(h, w, 4)
    keep = border
    # a profile per row, started from the left and right edges: a paper sweep's bend and a
    # table's horizon change faster down the image than any low-order surface follows
    rows = _edge_rows(lab, border)
    # trimmed least squares on the border: a product touching it is an outlier, dropped
    for _ in range(3):
        model = _fit(lab - rows, low, keep) + rows
        dist = distance(lab, model)
        spread = 1.4826 * float(np.median(dist[border])) + 0.3
        keep = border & (dist < max(3.0 * spread, 3.0))
    # every pixel that agrees with it, with a richer basis (a radial light), the row profile
    # refined
    for _ in range(3):
        agree = dist < max(3.0 * spread, 4.0)
        if agree.sum() < 0.2 * h * w:
            agree = keep
        surface = _fit(lab - rows, high, agree)
        rows += _row_profile(lab - surface - rows, agree)
        model = surface + rows
        dist = distance(lab, model)
        spread = 1.4826 * float(np.median(dist[border & agree])) + 0.3
    return model


def _edge_rows(lab: Float, border: Mask) -> Float:
    """Each row's median colour in the left and right border strips, smoothed down the image,
    less its overall median: the backdrop's vertical profile, shape (H, 1, 3)."""
    h, w = border.shape
    band = int(border[h // 2].sum() // 2)
    strips = np.concatenate([lab[:, :band], lab[:, w - band :]], axis=1)
    profile = np.median(strips, axis=1).astype(np.float32)
    profile = np.asarray(
        cv2.GaussianBlur(profile[:, None, :], (1, 0), sigmaX=0.1, sigmaY=1.5), np.float32
    ).reshape(h, 3)
    return np.asarray((profile - np.median(profile, axis=0)).reshape(h, 1, 3), np.float32)


def _row_profile(residual: Float, agree: Mask) -> Float:
    """Mean residual of each row's agreeing pixels, smoothed along the rows; rows with too few
    of them take their neighbours' values. Shape (H, 1, 3)."""
    h, w = agree.shape
    weight = agree.astype(np.float32)
    count = weight.sum(axis=1)
    total = (residual * weight[..., None]).sum(axis=1)
    enough = count >= max(4.0, 0.05 * w)
    if not enough.any():
        return np.zeros((h, 1, 3), np.float32)
    idx = np.arange(h)
    mean = np.stack(
        [np.interp(idx, idx[enough], total[enough, c] / count[enough]) for c in range(3)], axis=1
    ).astype(np.float32)
    smooth = np.asarray(cv2.GaussianBlur(mean[:, None, :], (1, 0), sigmaX=0.1, sigmaY=1.5))
    return np.asarray(smooth.reshape(h, 1, 3), np.float32)


def shadow_like(lab: Float, model: Float, noise: float) -> Mask:
    """Pixels that look like the backdrop in shadow: darker, with the chroma the backdrop would
    have under less light, and not too dark for a shadow."""
    dl = lab[..., 0] - model[..., 0]
    ratio = (lab[..., 0] + 16.0) / np.maximum(model[..., 0] + 16.0, 1.0)
    expected = model[..., 1:] * np.clip(ratio, 0.0, 1.0)[..., None]
    chroma = np.sqrt(((lab[..., 1:] - expected) ** 2).sum(axis=2))
    like = (dl < -(1.0 + noise)) & (chroma < 2.0 + 1.5 * noise) & (ratio > SHADOW_FLOOR)
    return np.asarray(like, bool)


def shadow_score(lab: Float, model: Float) -> Float:
    """How far each pixel is from the backdrop (ΔE-like), discounting what a shadow does:
    darkening with the chroma scaled as the backdrop's would be under less light."""
    dl = lab[..., 0] - model[..., 0]
    ratio = (lab[..., 0] + 16.0) / np.maximum(model[..., 0] + 16.0, 1.0)
    expected = model[..., 1:] * np.clip(ratio, 0.0, 1.0)[..., None]
    chroma = np.sqrt(((lab[..., 1:] - expected) ** 2).sum(axis=2))
    darker = np.minimum(dl, 0.0)
    # too dark to be a shadow: darkening counts fully below SHADOW_FLOOR (smoothly)
    weight = SHADOW_WEIGHT + (1.0 - SHADOW_WEIGHT) * np.clip((SHADOW_FLOOR - ratio) / 0.1, 0, 1)
    brighter = np.maximum(dl, 0.0)
    score = np.sqrt(brighter**2 + chroma**2 + (weight * darker) ** 2)
    return np.asarray(score, np.float32)
