"""``wanstack.engines.cutout.cut_out`` on product photos from the benchmark's generator
(``bench/cutout_data.py``): rendered products with a known alpha over plain and gradient
backdrops, with soft shadows, gloss, a handle hole, clear glass, camera noise and JPEG."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from bench.cutout_data import PHOTOS, Photo, make_photo

from wanstack.engines.cutout import cut_out

SIZE = 384  #: long side of the test photos: large enough to be photos, small enough to be fast


def photo(name: str) -> Photo:
    return next(p for p in PHOTOS if p.name == name)


def iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    ours, true = alpha > 0.5, truth > 0.5
    return float((ours & true).sum() / (ours | true).sum())


@pytest.fixture(scope="module")
def cuts() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """photo name → (photo RGB, true alpha, our RGBA), each cut once for the module."""
    out = {}
    for name in (
        "blue bottle on white",
        "white jar on white",
        "green mug on white",
        "bottle, vertical",
        "jar, radial",
    ):
        rgb, truth = make_photo(photo(name), SIZE)
        out[name] = (rgb, truth, cut_out(rgb))
    return out


@pytest.mark.parametrize(
    "name",
    ["blue bottle on white", "white jar on white", "green mug on white", "bottle, vertical",
     "jar, radial"],
)  # fmt: skip
def test_the_product_is_cut_out(cuts: dict, name: str) -> None:
    rgb, truth, rgba = cuts[name]
    assert rgba.shape == (*rgb.shape[:2], 4) and rgba.dtype == np.uint8
    assert iou(rgba[..., 3] / 255.0, truth) >= 0.97


def test_shadows_are_not_part_of_the_product(cuts: dict) -> None:
    """Where the photo is clearly darker than the empty backdrop but the truth has no product,
    there is a shadow: it must come out transparent."""
    rgb, truth, rgba = cuts["blue bottle on white"]
    grey = rgb.astype(np.float32).mean(axis=2)
    far = cv2.dilate((truth > 0.01).astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
    paper = np.median(grey[far])
    shadow = far & (grey < paper - 12)
    assert shadow.sum() > 200  # the photo has a visible shadow
    assert (rgba[..., 3][shadow] / 255.0).mean() < 0.03


def test_gloss_close_to_the_backdrop_stays_opaque(cuts: dict) -> None:
    """The bottle's white gloss strip is as bright as the white paper around it."""
    rgb, truth, rgba = cuts["blue bottle on white"]
    inner = cv2.erode((truth > 0.99).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    gloss = inner & (rgb.astype(np.int32).min(axis=2) > 200)
    assert gloss.sum() > 30
    assert (rgba[..., 3][gloss] == 255).mean() > 0.95


def test_the_handle_hole_shows_the_backdrop(cuts: dict) -> None:
    _rgb, truth, rgba = cuts["green mug on white"]
    holes = (
        cv2.morphologyEx((truth > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((41, 41))) > 0
    ) & (truth < 0.01)
    hole = cv2.erode(holes.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert hole.sum() > 100
    assert (rgba[..., 3][hole] / 255.0).mean() < 0.05


def test_clear_glass_gets_partial_alpha() -> None:
    """The inside of an empty drinking glass (true alpha ~0.25) is see-through: neither opaque
    nor gone; its thick base (true alpha ~0.6) is much more opaque. (At 800 px: in smaller
    photos the glass's faint outline does not close and its inside comes out transparent.)"""
    rgb, truth = make_photo(photo("glass on blue"), 800)
    alpha = cut_out(rgb)[..., 3] / 255.0
    inside = cv2.erode(((truth > 0.15) & (truth < 0.35)).astype(np.uint8), np.ones((5, 5))) > 0
    base = cv2.erode(((truth > 0.55) & (truth < 0.7)).astype(np.uint8), np.ones((5, 5))) > 0
    assert inside.sum() > 5000 and base.sum() > 1000
    assert 0.03 < alpha[inside].mean() < 0.45
    assert alpha[base].mean() > alpha[inside].mean() + 0.3


def test_opaque_product_pixels_are_kept_exactly(cuts: dict) -> None:
    rgb, _, rgba = cuts["jar, radial"]
    opaque = rgba[..., 3] == 255
    assert opaque.sum() > 1000
    assert np.array_equal(rgba[..., :3][opaque], rgb[opaque])


def test_the_cut_is_deterministic(cuts: dict) -> None:
    rgb, _, rgba = cuts["bottle, vertical"]
    cut_out(make_photo(photo("white jar on white"), 128)[0])  # something else in between
    assert np.array_equal(cut_out(rgb), rgba)


def test_a_photo_with_nothing_in_it_is_fully_transparent() -> None:
    rng = np.random.default_rng(1)
    blank = np.clip(rng.normal(235, 1.5, (200, 300, 3)), 0, 255).astype(np.uint8)
    rgba = cut_out(blank)
    assert rgba.shape == (200, 300, 4)
    assert not rgba[..., 3].any()


def test_large_photos_are_cut_at_their_own_size() -> None:
    rgb, truth = make_photo(photo("navy box on beige"), 1200)
    rgba = cut_out(rgb)
    assert rgba.shape == (*rgb.shape[:2], 4)
    assert iou(rgba[..., 3] / 255.0, truth) >= 0.97


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((64, 64), np.uint8), "H×W×3 uint8"),
        (np.zeros((64, 64, 4), np.uint8), "H×W×3 uint8"),
        (np.zeros((64, 64, 3), np.float32), "H×W×3 uint8"),
        (np.zeros((8, 64, 3), np.uint8), "too small"),
    ],
)
def test_bad_input_is_refused(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cut_out(image)
