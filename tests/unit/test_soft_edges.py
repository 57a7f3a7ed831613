"""Soft-edge element images (``reference_edge``): alpha handling exactly as DashScope's HED script,
and a classical detector that draws boundaries, keeps flat areas dark and follows ``detail``."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines import soft_edges as mod
from wanstack.engines.soft_edges import soft_edges

RGBA = npt.NDArray[np.uint8]


def _subject(size: int = 256, *, seed: int = 0) -> RGBA:
    """A grey card (alpha 255) with an antialiased rim, an inner dark square and a thin line,
    on a transparent background whose hidden RGB is random noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)  # hidden garbage colours
    alpha = np.zeros((size, size), np.uint8)
    s = size // 8
    cv2.rectangle(alpha, (s, s), (size - s, size - s), 255, -1)
    img[:, :, 3] = cv2.GaussianBlur(alpha, (0, 0), 1.5)  # antialiased rim: 0 < alpha < 255
    alpha = img[:, :, 3]
    card = np.full((size, size, 3), 170, np.uint8)
    q = size // 4
    cv2.rectangle(card, (3 * q // 2, 3 * q // 2), (5 * q // 2, 5 * q // 2), (60, 60, 60), -1)
    cv2.line(card, (s + 10, 3 * s), (size - s - 10, 3 * s), (250, 250, 250), 2)
    opaque = alpha > 0
    img[:, :, :3][opaque] = card[opaque]
    return img


def _product(size: int = 384) -> RGBA:
    """A shaded bottle with a text label: gradients, colours and fine detail."""
    img = np.zeros((size, size, 4), np.uint8)
    cx, s = size // 2, size / 512
    mask = np.zeros((size, size), np.uint8)
    cv2.rectangle(mask, (int(cx - 90 * s), int(190 * s)), (int(cx + 90 * s), int(470 * s)), 255, -1)
    cv2.ellipse(mask, (cx, int(190 * s)), (int(90 * s), int(50 * s)), 0, 180, 360, 255, -1)
    cv2.rectangle(mask, (int(cx - 30 * s), int(40 * s)), (int(cx + 30 * s), int(160 * s)), 255, -1)
    xr = np.clip((np.arange(size) - cx) / (90 * s), -1, 1)
    shade = 0.35 + 0.65 * np.sqrt(np.clip(1 - xr**2, 0, 1))
    body = np.array([40, 120, 200], np.float32)[None, None, :] * shade[None, :, None]
    rgb = np.clip(np.broadcast_to(body, (size, size, 3)), 0, 255).astype(np.uint8).copy()
    cv2.rectangle(
        rgb, (int(cx - 90 * s), int(270 * s)), (int(cx + 90 * s), int(390 * s)), (235, 230, 210), -1
    )
    cv2.putText(
        rgb,
        "AQUA",
        (int(cx - 62 * s), int(335 * s)),
        cv2.FONT_HERSHEY_DUPLEX,
        1.4 * s,
        (30, 30, 90),
        2,
    )
    cv2.putText(
        rgb,
        "mineral water",
        (int(cx - 60 * s), int(378 * s)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5 * s,
        (60, 60, 60),
        1,
    )
    img[:, :, :3] = rgb
    img[:, :, 3] = mask
    return img


def test_shape_dtype_and_grey_lines() -> None:
    img = _subject(200)[:, :150].copy()  # not square
    out = soft_edges(img)
    assert out.shape == img.shape
    assert out.dtype == np.uint8
    assert np.array_equal(out[:, :, 0], out[:, :, 1])
    assert np.array_equal(out[:, :, 0], out[:, :, 2])


@pytest.mark.parametrize(
    "bad",
    [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 4), np.float32), np.zeros((8, 8), np.uint8)],
)
def test_rejects_non_rgba(bad: npt.NDArray[np.generic]) -> None:
    with pytest.raises(ValueError, match="RGBA"):
        soft_edges(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("detail", [-0.1, 1.5])
def test_rejects_detail_out_of_range(detail: float) -> None:
    with pytest.raises(ValueError, match="detail"):
        soft_edges(_subject(64), detail=detail)


def _seed_script(img: RGBA, detector: object) -> RGBA:
    """The DashScope script, step for step, in numpy, with ``detector`` in place of HED."""
    img = img.copy()
    img[:, :, :-1] = img[:, :, :-1] * (img[:, :, -1:] > 127)
    rgb = img[:, :, :3]
    edge_f = detector(rgb, 0.5)  # type: ignore[operator]
    grey = np.rint(edge_f * 255.0).astype(np.uint8)
    edge = np.dstack([grey, grey, grey, img[:, :, 3]])
    edge[:, :, :-1] = edge[:, :, :-1] * (edge[:, :, -1:] > 50)
    return edge


def test_alpha_handling_matches_seed_script(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in detector, the wrapper is exactly the seed script: the detector sees RGB
    zeroed where alpha ≤ 127, the alpha comes back unchanged, RGB is zeroed where alpha ≤ 50."""
    seen: list[RGBA] = []

    def fake(rgb: RGBA, detail: float) -> npt.NDArray[np.float32]:
        seen.append(rgb.copy())
        return np.asarray(rgb.mean(axis=2) / 255.0, dtype=np.float32)

    img = _subject(96)
    img[:, :, 3] = np.arange(96 * 96, dtype=np.uint32).reshape(96, 96) % 256  # every alpha value
    monkeypatch.setattr(mod, "_edge_map", fake)
    got = soft_edges(img)
    want = _seed_script(img, fake)
    assert np.array_equal(got, want)
    alpha = img[:, :, 3]
    assert np.all(seen[0][alpha <= 127] == 0)
    assert np.array_equal(seen[0][alpha > 127], img[:, :, :3][alpha > 127])


def test_alpha_rules_with_the_real_detector() -> None:
    img = _subject(256)
    out = soft_edges(img)
    alpha = img[:, :, 3]
    assert np.array_equal(out[:, :, 3], alpha)
    assert np.all(out[:, :, :3][alpha <= 50] == 0)
    # the outer contour reaches into the antialiased rim, where 50 < alpha ≤ 127
    rim = (alpha > 50) & (alpha <= 127)
    assert rim.any()
    assert out[:, :, 0][rim].max() > 100
    # colours hidden where alpha ≤ 127 play no part
    other = img.copy()
    hidden = alpha <= 127
    other[:, :, :3][hidden] = 255 - other[:, :, :3][hidden]
    assert np.array_equal(soft_edges(other), out)


def test_edges_at_boundary_and_inner_detail_flat_regions_dark() -> None:
    size = 256
    out = soft_edges(_subject(size))[:, :, 0].astype(np.int32)
    s, q = size // 8, size // 4
    # outer contour: just inside the card's left edge, the whole way down
    inner_band = out[2 * s : size - 2 * s, s : s + 4].max(axis=1)
    assert inner_band.min() > 120
    # inner dark square's boundary and the thin line
    assert out[2 * q - 10 : 2 * q + 10, 3 * q // 2 - 3 : 3 * q // 2 + 4].max(axis=1).min() > 120
    assert out[3 * s - 4 : 3 * s + 5, size // 2].max() > 120
    # flat card areas, ≥ 12 px from any edge, stay black
    assert out[4 * s : 5 * s, s + 14 : 3 * q // 2 - 14].max() < 8
    assert out[size - 2 * s : size - s - 14, 2 * s : size - 2 * s].max() < 8


@pytest.mark.parametrize(("noise", "size"), [(3.0, 200), (3.0, 300), (6.0, 256), (8.0, 300)])
def test_flat_noisy_image_stays_dark(noise: float, size: int) -> None:
    rng = np.random.default_rng(1)
    img = np.full((size, size, 4), 255, np.uint8)
    grain = rng.normal(0, noise, (size, size, 3))
    img[:, :, :3] = np.clip(128 + grain, 0, 255).astype(np.uint8)
    out = soft_edges(img, detail=1.0)
    assert out[:, :, :3].max() < 8


def test_deterministic() -> None:
    img = _product()
    first = soft_edges(img, detail=0.7)
    assert np.array_equal(first, soft_edges(img.copy(), detail=0.7))
    assert np.array_equal(img, _product())  # input untouched


def test_detail_is_monotonic_in_line_density() -> None:
    img = _product()
    density = [
        int(np.count_nonzero(soft_edges(img, detail=d)[:, :, 0] > 64))
        for d in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    assert density == sorted(density), density
    assert density[-1] > 1.2 * density[0], density


def test_small_and_elongated_images() -> None:
    for shape in ((1, 1, 4), (3, 40, 4), (64, 700, 4)):
        img = np.full(shape, 255, np.uint8)
        out = soft_edges(img)
        assert out.shape == shape
