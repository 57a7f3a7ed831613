"""Multi-scale PatchMatch completion (the large-hole fill of the classic inpainting engine)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.classic.patchmatch import complete

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def bricks(size: int = 160) -> Image:
    """Bricks with mortar lines, alternate rows offset by half a brick."""
    y, x = np.mgrid[0:size, 0:size]
    mortar = (y % 16 < 3) | ((x + (y // 16 % 2) * 16) % 32 < 3)
    return np.where(mortar[..., None], (200, 200, 190), (150, 60, 40)).astype(np.uint8)


def stripes(size: int = 160) -> Image:
    y, x = np.mgrid[0:size, 0:size]
    return np.stack([128 + 100 * np.sin((x + 0.5 * y) / 4.0)] * 3, -1).astype(np.uint8)


def noisy(size: int = 128, seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (size, size, 3)).astype(np.float32), (0, 0), 2)
    return np.clip((base - 128) * 4 + 128, 0, 255).astype(np.uint8)


def box(size: int, top: int, left: int, bottom: int, right: int) -> Mask:
    mask = np.zeros((size, size), bool)
    mask[top:bottom, left:right] = True
    return mask


def hole_error(out: Image, image: Image, mask: Mask) -> float:
    return float(np.abs(out[mask].astype(float) - image[mask].astype(float)).mean())


def test_known_pixels_are_unchanged_and_the_hole_is_filled() -> None:
    image, mask = noisy(), box(128, 40, 30, 90, 80)
    holed = image.copy()
    holed[mask] = 0
    out = complete(holed, mask, seed=1)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])
    assert out[mask].mean() > 40  # no black left in the hole


def test_same_seed_same_fill_other_seed_other_fill() -> None:
    image, mask = noisy(), box(128, 40, 30, 90, 80)
    first, again, other = (complete(image, mask, seed=s) for s in (3, 3, 4))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(("pattern", "factor"), [(bricks, 2.0), (stripes, 1.4)])
def test_a_periodic_texture_continues_across_a_box_hole(pattern: Any, factor: float) -> None:
    image, mask = pattern(), box(160, 50, 46, 110, 114)
    holed = image.copy()
    holed[mask] = 128
    out = complete(holed, mask, seed=0)
    telea = cv2.inpaint(holed, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    ours, theirs = hole_error(out, image, mask), hole_error(telea, image, mask)
    assert ours < theirs / factor, (ours, theirs)


def test_a_straight_edge_continues_across_the_hole() -> None:
    # a textured two-region image split by a horizontal edge at row 70
    rng = np.random.default_rng(2)
    image = np.where((np.arange(160) < 70)[:, None, None], (200, 180, 60), (40, 70, 160))
    image = np.clip(image + rng.normal(0, 6, (160, 160, 3)), 0, 255).astype(np.uint8)
    mask = box(160, 45, 55, 95, 105)
    out = complete(image, mask, seed=0)
    above, below = out[47:66, 57:103].astype(float), out[75:93, 57:103].astype(float)
    assert np.abs(above.mean(axis=(0, 1)) - (200, 180, 60)).max() < 20
    assert np.abs(below.mean(axis=(0, 1)) - (40, 70, 160)).max() < 20


@pytest.mark.parametrize(
    "mask",
    [
        box(128, 60, 60, 61, 61),  # one pixel
        box(128, 0, 0, 40, 128),  # along the top border
        box(128, 30, 30, 94, 94),  # 25 % of the image
        box(128, 100, 100, 128, 128),  # in a corner
        box(128, 2, 2, 126, 126),  # almost all hole
        box(128, 0, 0, 128, 128),  # all hole
        np.zeros((128, 128), bool),  # nothing to fill
    ],
    ids=["pixel", "top", "quarter", "corner", "almost-all", "all", "empty"],
)
def test_any_hole_shape_works(mask: Mask) -> None:
    image = noisy()
    out = complete(image, mask, seed=0)
    assert out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])


def autocorrelation(grey: npt.NDArray[np.float64], axis: int, lag: int) -> float:
    """Normalised autocorrelation of ``grey`` (mean removed along ``axis``) at ``lag`` px."""
    g = grey - grey.mean(axis=axis, keepdims=True)
    n = g.shape[axis]
    a, b = np.take(g, range(n - lag), axis=axis), np.take(g, range(lag, n), axis=axis)
    return float((a * b).mean() / (g * g).mean())


def test_a_brick_wall_continues_with_its_period_through_a_large_box() -> None:
    # bricks 32 px long and 16 px high, every other row offset by half a brick: the pattern
    # repeats every 32 px across and down; a 100 px hole spans three periods each way
    image, mask = bricks(256), box(256, 70, 80, 170, 180)
    holed = image.copy()
    holed[mask] = 128
    telea = cv2.inpaint(holed, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    for seed in (0, 1):
        out = complete(holed, mask, seed=seed)
        grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(float)[70:170, 80:180]
        for axis in (0, 1):
            lags = range(8, 49)
            scores = [autocorrelation(grey, axis, lag) for lag in lags]
            assert lags[int(np.argmax(scores))] == 32, (seed, axis, scores)
            assert max(scores) > 0.8, (seed, axis, max(scores))
    grey = cv2.cvtColor(telea, cv2.COLOR_RGB2GRAY).astype(float)[70:170, 80:180]
    assert autocorrelation(grey, 0, 32) < 0.7  # diffusion loses the rows: the check can fail


def sky(height: int = 200, width: int = 300) -> Image:
    """A vertical sky gradient with grain, and two dark masts."""
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    img = (1 - t) * np.array([30, 50, 110]) + t * np.array([150, 180, 230])
    img = np.broadcast_to(img, (height, width, 3)) + rng.normal(0, 4, (height, width, 1))
    img[:, 20:26] = (20, 20, 25)
    img[:, width - 40 : width - 34] = (20, 20, 25)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_sky_gradient_keeps_its_shade_across_a_wide_hole() -> None:
    # no sky of the hole's shades is left beside it once the masts are excluded: copied patches
    # come from higher (darker) or lower (lighter) sky, and the gradient-domain stitch has to
    # bring them to the shade of their row (a plain copy is off by 15 grey levels on average, 24
    # at worst; stitched: 2.5 and 7)
    image, mask = sky(), np.zeros((200, 300), bool)
    mask[60:150, 50:240] = True
    out = complete(image, mask, seed=0)
    rows_out = out[60:150, 50:240].astype(float).mean(axis=1)
    rows_in = image[60:150, 50:240].astype(float).mean(axis=1)
    error = np.abs(rows_out - rows_in)
    assert error.mean() < 5 and error.max() < 12, (error.mean(), error.max())
