"""Gradient-domain reconstruction (the stitch of the patch fill's pieces)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.classic.poisson import reconstruct, stitch

Floats = npt.NDArray[np.float32]


def picture(height: int = 120, width: int = 160) -> Floats:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([0.5 * x + 0.3 * y, 100 + 30 * np.sin(x / 9), 200 - 0.6 * y], -1)
    return (img + rng.normal(0, 3, img.shape)).astype(np.float32)


def differences(img: Floats) -> tuple[Floats, Floats]:
    gx, gy = np.zeros_like(img), np.zeros_like(img)
    gx[:, :-1] = img[:, 1:] - img[:, :-1]
    gy[:-1] = img[1:] - img[:-1]
    return gx, gy


@pytest.mark.parametrize("start", ["zeros", "noise"])
def test_an_image_is_rebuilt_from_its_own_differences_and_border(start: str) -> None:
    img = picture()
    domain = np.zeros(img.shape[:2], bool)
    domain[20:100, 30:140] = True
    begin = img.copy()
    rng = np.random.default_rng(1)
    begin[domain] = 0 if start == "zeros" else rng.uniform(0, 255, (int(domain.sum()), 3))
    out = reconstruct(begin, domain, *differences(img))
    assert np.array_equal(out[~domain], img[~domain])  # the border is kept
    # from a start 100+ grey levels off: the multigrid gets within a grey level
    assert np.abs(out[domain] - img[domain]).mean() < 1.0


def test_a_thin_domain_is_solved_too() -> None:
    img = picture()
    domain = np.zeros(img.shape[:2], bool)
    domain[50:53, 10:150] = True  # three rows: no coarse grid fits inside
    begin = img.copy()
    begin[domain] = 0
    out = reconstruct(begin, domain, *differences(img))
    assert np.abs(out[domain] - img[domain]).max() < 0.5


def test_stitching_a_coherent_copy_of_a_shifted_shade_brings_it_to_the_border() -> None:
    # the hole is filled with a copy of another place, 40 grey levels darker: the copy's own
    # differences are right, its level is not
    img = picture(200, 160)
    hole = np.zeros(img.shape[:2], bool)
    hole[40:80, 50:110] = True
    ys, xs = np.nonzero(hole)
    darker = img.copy()
    darker[100:] = img[:100] - 40  # the "source" place: the hole's surroundings, darker
    sy, sx = (ys + 100).astype(np.int32), xs.astype(np.int32)
    plain = darker[sy, sx]
    out = stitch(darker, hole, sy, sx)
    assert np.abs(plain - img[ys, xs]).mean() > 35
    assert np.abs(out[ys, xs] - img[ys, xs]).mean() < 4
    # the texture (detail finer than the shading) is the copy's
    detail_out = out[ys, xs] - out[ys, xs].mean(axis=0)
    detail_copy = plain - plain.mean(axis=0)
    assert np.corrcoef(detail_out.ravel(), detail_copy.ravel())[0, 1] > 0.95
    assert np.array_equal(out[:30], darker[:30])  # far from the hole, nothing changes


def test_stitching_is_deterministic() -> None:
    img = picture()
    hole = np.zeros(img.shape[:2], bool)
    hole[30:90, 40:120] = True
    count = int(hole.sum())
    rng = np.random.default_rng(2)
    sy = rng.integers(1, 29, count).astype(np.int32)
    sx = rng.integers(1, 159, count).astype(np.int32)
    assert np.array_equal(stitch(img, hole, sy, sx), stitch(img, hole, sy, sx))
