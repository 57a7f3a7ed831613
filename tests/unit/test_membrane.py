"""The membrane correction of a patch fill's colour and shading at the hole's edge."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.classic.membrane import correct

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def texture(seed: int, height: int = 160, width: int = 200) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (height, width, 3)).astype(np.float32), (0, 0), 1.2)
    return (120 + 40 * noise / noise.std()).astype(np.float32)


def hole_and_ring() -> tuple[Mask, Mask]:
    hole = np.zeros((160, 200), bool)
    hole[50:110, 60:140] = True
    near = cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return hole, near & ~hole


def test_an_offset_fill_takes_the_shade_around_it_and_keeps_its_texture() -> None:
    base = np.clip(texture(0), 0, 255).astype(np.uint8)
    hole, ring = hole_and_ring()
    covered = hole | ring
    # a fill copied from a place 35 grey levels darker: another texture, offset
    fill = base.astype(np.float32)
    fill[covered] = texture(1)[covered] - 35
    out = correct(fill, base, hole, ring)
    before = abs(float(fill[hole].mean() - base[hole].mean()))
    after = abs(float(out[hole].mean() - base[hole].mean()))
    assert before > 30 and after < 0.25 * before, (before, after)
    detail_in = fill[hole] - cv2.GaussianBlur(fill, (0, 0), 4)[hole]
    detail_out = out[hole] - cv2.GaussianBlur(out, (0, 0), 4)[hole]
    assert np.corrcoef(detail_in.ravel(), detail_out.ravel())[0, 1] > 0.97


def test_a_fill_that_matches_the_photo_is_nearly_left_alone() -> None:
    # the edge offset compares local means on either side of the edge: on a coarse, contrasty
    # texture (grain of ±40 grey levels) they differ a little even for the truth
    base = np.clip(texture(2), 0, 255).astype(np.uint8)
    hole, ring = hole_and_ring()
    fill = base.astype(np.float32)
    change = np.abs(correct(fill, base, hole, ring) - fill)[hole | ring]
    assert change.mean() < 2.0 and change.max() < 8.0, (change.mean(), change.max())
