"""The ``wanx-x-painting`` style renderings: shape, determinism, and one telling property each."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from tests.support.media import photo_array
from wanstack.catalog.x_painting import STYLES
from wanstack.engines.classic.styles import STYLE_NAMES, apply_style

RENDERED = [s for s in STYLE_NAMES if s != "<auto>"]


def _photo(width: int = 224, height: int = 160) -> np.ndarray:
    """The synthetic test photo with a textured, saturated object and hard edges in it."""
    img = photo_array(width, height, seed=3).astype(np.int16)
    rng = np.random.default_rng(5)
    y0, x0 = height // 4, width // 3
    img[y0 : y0 + height // 3, x0 : x0 + width // 4] = (200, 40, 60)
    img[y0 + 6 : y0 + 12, x0 + 6 : x0 + 30] = (20, 20, 30)
    img += rng.integers(-10, 11, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return _photo()


@pytest.fixture(scope="module")
def rendered(photo: np.ndarray) -> dict[str, np.ndarray]:
    return {s: apply_style(photo, s, 11) for s in RENDERED}


def _saturation(img: np.ndarray) -> float:
    return float(cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[..., 1].mean() / 255)


def _colours(img: np.ndarray, step: int = 8) -> int:
    q = (img // step).reshape(-1, 3).astype(np.int32)
    return len(np.unique(q[:, 0] * 65536 + q[:, 1] * 256 + q[:, 2]))


def _texture(img: np.ndarray) -> float:
    """Mean absolute high-pass energy of the lightness."""
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(g - cv2.GaussianBlur(g, (0, 0), 1.5)).mean())


def test_names_match_the_catalog() -> None:
    assert tuple(STYLE_NAMES) == tuple(STYLES)


def test_auto_is_identity(photo: np.ndarray) -> None:
    out = apply_style(photo, "<auto>", 3)
    assert np.array_equal(out, photo)


def test_unknown_style_is_rejected(photo: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown style"):
        apply_style(photo, "<pop art>", 0)


@pytest.mark.parametrize("style", RENDERED)
def test_shape_dtype_and_determinism(
    photo: np.ndarray, rendered: dict[str, np.ndarray], style: str
) -> None:
    out = rendered[style]
    assert out.shape == photo.shape
    assert out.dtype == np.uint8
    assert np.array_equal(apply_style(photo, style, 11), out)
    # The input is left alone.
    assert np.array_equal(photo, _photo())


@pytest.mark.parametrize("style", RENDERED)
def test_differs_from_the_input(
    photo: np.ndarray, rendered: dict[str, np.ndarray], style: str
) -> None:
    diff = np.abs(rendered[style].astype(np.int16) - photo).mean()
    assert diff > 6, diff


def test_styles_differ_from_each_other(rendered: dict[str, np.ndarray]) -> None:
    for a, b in itertools.combinations(RENDERED, 2):
        diff = np.abs(rendered[a].astype(np.int16) - rendered[b]).mean()
        assert diff > 6, (a, b, diff)


@pytest.mark.parametrize("style", ["<oil painting>", "<watercolor>", "<sketch>"])
def test_seed_varies_texture_only_a_little(photo: np.ndarray, style: str) -> None:
    a = apply_style(photo, style, 1).astype(np.int16)
    b = apply_style(photo, style, 2).astype(np.int16)
    diff = np.abs(a - b).mean()
    assert 0 < diff < 20


@pytest.mark.parametrize("style", ["<sketch>", "<chinese painting>"])
def test_monochrome_styles(photo: np.ndarray, rendered: dict[str, np.ndarray], style: str) -> None:
    assert _saturation(photo) > 0.3
    assert _saturation(rendered[style]) < 0.15


@pytest.mark.parametrize("style", ["<3d cartoon>", "<anime>", "<flat illustration>"])
def test_colourful_styles_stay_saturated(
    photo: np.ndarray, rendered: dict[str, np.ndarray], style: str
) -> None:
    assert _saturation(rendered[style]) > 0.8 * _saturation(photo)


@pytest.mark.parametrize(("style", "fraction"), [("<flat illustration>", 0.1), ("<anime>", 0.35)])
def test_flat_styles_use_few_colours(
    photo: np.ndarray, rendered: dict[str, np.ndarray], style: str, fraction: float
) -> None:
    assert _colours(rendered[style]) < fraction * _colours(photo)


def test_flat_illustration_has_no_texture(
    photo: np.ndarray, rendered: dict[str, np.ndarray]
) -> None:
    assert _texture(rendered["<flat illustration>"]) < 0.3 * _texture(photo)


@pytest.mark.parametrize("style", ["<oil painting>", "<watercolor>", "<sketch>"])
def test_painted_styles_have_texture_in_flat_areas(
    rendered: dict[str, np.ndarray], style: str
) -> None:
    # Compare against a perfectly flat input: the texture comes from the rendering.
    flat = np.full((160, 224, 3), (120, 150, 190), np.uint8)
    assert _texture(apply_style(flat, style, 4)) > 0.4


@pytest.mark.parametrize(
    ("style", "darkest"), [("<anime>", 90), ("<sketch>", 180), ("<chinese painting>", 90)]
)
def test_line_styles_draw_dark_edges(style: str, darkest: int) -> None:
    # A light picture with one blue disc: lines appear along its edge.
    img = np.full((192, 192, 3), (235, 225, 210), np.uint8)
    cv2.circle(img, (96, 96), 50, (80, 160, 220), -1)
    out = cv2.cvtColor(apply_style(img, style, 0), cv2.COLOR_RGB2GRAY).astype(np.float32)
    ring = np.zeros((192, 192), np.uint8)
    cv2.circle(ring, (96, 96), 50, 255, 5)
    assert out[ring > 0].min() < darkest
    # Darker than the plain background around the disc.
    assert np.percentile(out[ring > 0], 10) < np.median(out[:30]) - 40


def test_watercolor_leaves_white_paper_in_highlights() -> None:
    img = np.full((128, 128, 3), 250, np.uint8)
    img[32:96, 32:96] = (60, 90, 160)
    out = apply_style(img, "<watercolor>", 0)
    corner = out[:20, :20].astype(np.float32)
    assert corner.mean() > 235
    assert out[56:72, 56:72].mean() < 200


def test_chinese_painting_is_mostly_paper(
    photo: np.ndarray, rendered: dict[str, np.ndarray]
) -> None:
    out = cv2.cvtColor(rendered["<chinese painting>"], cv2.COLOR_RGB2GRAY)
    assert (out > 200).mean() > 0.25


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("style", RENDERED)
@pytest.mark.parametrize("size", [(16, 16), (17, 31), (9, 40), (1, 1), (65, 23), (300, 37)])
def test_small_and_odd_sizes(style: str, size: tuple[int, int]) -> None:
    h, w = size
    img = _photo(max(w, 8), max(h, 8))[:h, :w]
    out = apply_style(np.ascontiguousarray(img), style, 0)
    assert out.shape == (h, w, 3)
    assert out.dtype == np.uint8


def test_rejects_non_rgb() -> None:
    with pytest.raises(ValueError, match="H×W×3"):
        apply_style(np.zeros((32, 32), np.uint8), "<anime>", 0)
