"""The classic (OpenCV, no weights) inpainting engine and its fit-to-size step."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken
from wanstack.engines.classic.inpaint import FEATHER_PX, ClassicInpaint
from wanstack.engines.framing import cover_mask as fit_to_size
from wanstack.engines.requests import InpaintRequest
from wanstack.errors import TaskCanceled

SIZES = [(1024, 1024), (720, 1280), (1280, 720)]
Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def scene(height: int, width: int, seed: int = 0) -> Image:
    """Gradients, a few flat shapes and noise: textured enough for fills to differ."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red, green = x / width * 200 + 30, y / height * 180 + 40
    img = np.stack([red, green, (x + y) / (width + height) * 150 + 60], -1)
    disc = (x - width * 0.3) ** 2 + (y - height * 0.4) ** 2 < (min(height, width) * 0.15) ** 2
    img[disc] = (200, 60, 50)
    img[int(height * 0.6) : int(height * 0.8), int(width * 0.5) : int(width * 0.9)] = (40, 90, 160)
    img += rng.normal(0, 8, img.shape)
    out: Image = np.clip(img, 0, 255).astype(np.uint8)
    return out


def gradient(height: int, width: int) -> Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([x / width * 255, y / height * 255, 128 + 0 * x], -1)
    return img.astype(np.uint8)


def box(height: int, width: int, top: int, left: int, bottom: int, right: int) -> Mask:
    mask = np.zeros((height, width), bool)
    mask[top:bottom, left:right] = True
    return mask


def stroke(height: int, width: int, thickness: int = 3) -> Mask:
    """A thin brush stroke (a polyline), the kind of hole the diffusion path fills."""
    mask = np.zeros((height, width), np.uint8)
    points = np.array(
        [[width // 8, height // 4], [width // 2, height // 2], [width - 20, height // 3]]
    )
    cv2.polylines(mask, [points.astype(np.int32)], False, 255, thickness)
    return mask > 0


def request(
    image: Image, mask: Mask, size: tuple[int, int], n: int = 4, seed: int = 7
) -> InpaintRequest:
    return InpaintRequest(
        image=image, mask=mask, prompt="a cat", style="<auto>", size=size, n=n, seed=seed
    )


def run(req: InpaintRequest) -> list[Image]:
    images = [item.image for item in ClassicInpaint().run(req, CancelToken())]
    assert all(image is not None for image in images)
    return [image for image in images if image is not None]


def far_from(mask: Mask, px: int) -> Mask:
    """Pixels more than ``px`` away from every masked pixel."""
    dist = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.asarray(dist > px)


# --- the engine ---------------------------------------------------------------------------


def test_engine_surface() -> None:
    engine = ClassicInpaint(device="cuda", weights="/nowhere")  # unknown options are ignored
    engine.load()
    engine.load()
    assert engine.name == "classic"
    assert engine.describe()["engine"] == "classic"
    assert engine.describe()["algorithm"] == "patchmatch-completion"


def test_plain_opencv_without_xphoto_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "xphoto")
    engine = ClassicInpaint()
    assert engine.describe()["algorithm"] == "patchmatch-completion"
    for mask in (box(300, 400, 100, 100, 200, 200), stroke(300, 400)):
        req = request(scene(300, 400), mask, (1024, 1024))
        images = [item.image for item in engine.run(req, CancelToken())]
        assert len(images) == 4
        assert all(image is not None and image.shape == (1024, 1024, 3) for image in images)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shape", [(600, 800), (900, 500)], ids=["landscape", "portrait"])
def test_outputs_have_the_requested_count_size_and_type(
    size: tuple[int, int], shape: tuple[int, int]
) -> None:
    h, w = shape
    images = run(request(scene(h, w), box(h, w, h // 3, w // 3, h // 2, w // 2), size, n=3))
    assert len(images) == 3
    for image in images:
        assert image.shape == (size[1], size[0], 3)
        assert image.dtype == np.uint8


@pytest.mark.parametrize("size", SIZES)
def test_pixels_away_from_the_mask_are_the_fitted_base(size: tuple[int, int]) -> None:
    image, mask = scene(900, 500), box(900, 500, 100, 150, 260, 330)  # portrait base
    base, fitted_mask = fit_to_size(image, mask, size)
    outside = far_from(fitted_mask, FEATHER_PX + 2)
    for out in run(request(image, mask, size)):
        assert np.array_equal(out[outside], base[outside])
        assert not np.array_equal(out[fitted_mask], base[fitted_mask])  # the hole was repainted


def test_results_differ_pairwise() -> None:
    images = run(request(scene(600, 800), box(600, 800, 180, 160, 380, 420), (1280, 720), n=4))
    for a, b in itertools.combinations(images, 2):
        assert np.abs(a.astype(int) - b.astype(int)).sum() > 0


def test_same_seed_same_results_other_seed_other_results() -> None:
    image, mask = scene(600, 800), box(600, 800, 180, 160, 380, 420)
    first = run(request(image, mask, (1024, 1024), seed=11))
    again = run(request(image, mask, (1024, 1024), seed=11))
    other = run(request(image, mask, (1024, 1024), seed=12))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_fill_of_a_smooth_gradient_is_close_to_the_original() -> None:
    image, mask = gradient(720, 1280), box(720, 1280, 250, 500, 450, 800)
    for out in run(request(image, mask, (1280, 720))):
        error = np.abs(out[mask].astype(float) - image[mask].astype(float)).mean()
        assert error < 8, error


def test_mask_touching_the_border_and_tiny_masks_work() -> None:
    image = scene(600, 800)
    for mask in (box(600, 800, 500, 0, 600, 300), box(600, 800, 300, 400, 301, 401)):
        images = run(request(image, mask, (1280, 720)))
        assert all(out.shape == (720, 1280, 3) for out in images)


def test_empty_mask_returns_the_fitted_base() -> None:
    image, mask = scene(600, 800), np.zeros((600, 800), bool)
    base, _ = fit_to_size(image, mask, (1024, 1024))
    assert all(np.array_equal(out, base) for out in run(request(image, mask, (1024, 1024), n=2)))


def test_cancelled_before_run_raises() -> None:
    token = CancelToken()
    token.cancel()
    req = request(scene(300, 400), box(300, 400, 100, 100, 200, 200), (1024, 1024))
    with pytest.raises(TaskCanceled):
        ClassicInpaint().run(req, token)


class CancelAfter(CancelToken):
    """Cancels itself once ``checks`` checks have passed."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    def check(self) -> None:
        if self.left == 0:
            self.cancel()
        self.left -= 1
        super().check()


def test_cancel_between_items_stops_the_run() -> None:
    req = request(scene(300, 400), box(300, 400, 100, 100, 200, 200), (1024, 1024))
    with pytest.raises(TaskCanceled):
        ClassicInpaint().run(req, CancelAfter(3))


# --- fitting -----------------------------------------------------------------------------


def test_fit_without_mask_is_a_centre_crop_of_the_cover_scale() -> None:
    image = scene(600, 800)
    fitted, fitted_mask = fit_to_size(image, np.zeros((600, 800), bool), (720, 1280))
    scaled = cv2.resize(image, (1707, 1280), interpolation=cv2.INTER_CUBIC)  # 1280/600 covers
    assert np.array_equal(fitted, scaled[:, 493:1213])
    assert not fitted_mask.any()


def test_fit_keeps_the_mask_in_frame_when_it_can() -> None:
    # portrait into landscape: scale 2.56, 2560 rows, a centre crop would keep rows 920–1640
    mask = box(1000, 500, 20, 200, 120, 300)
    _, fitted_mask = fit_to_size(scene(1000, 500), mask, (1280, 720))
    assert fitted_mask.shape == (720, 1280)
    assert fitted_mask.sum() == pytest.approx(mask.sum() * 2.56**2, rel=0.03)
    rows = np.nonzero(fitted_mask.any(axis=1))[0]
    assert rows.min() > 0  # whole, with some context above it for the fill


def test_fit_stays_a_centre_crop_when_that_already_holds_the_mask() -> None:
    image = scene(600, 800)
    centre, _ = fit_to_size(image, np.zeros((600, 800), bool), (1024, 1024))
    fitted, _ = fit_to_size(image, box(600, 800, 250, 380, 350, 420), (1024, 1024))
    assert np.array_equal(fitted, centre)


def test_fit_centres_on_a_mask_larger_than_the_window() -> None:
    # landscape into portrait: scale 1280/600, 1707 columns; the mask spans 700 of 800 columns
    # (1493 scaled), more than the 720 the window keeps
    image, mask = scene(600, 800), box(600, 800, 100, 20, 500, 720)
    fitted, fitted_mask = fit_to_size(image, mask, (720, 1280))
    assert fitted_mask.shape == (1280, 720)
    assert fitted_mask.any(axis=0).all()  # the mask spans the window across
    scaled = cv2.resize(image, (1707, 1280), interpolation=cv2.INTER_CUBIC)
    starts = [x for x in range(1707 - 720 + 1) if np.array_equal(scaled[:, x], fitted[:, 0])]
    assert len(starts) == 1
    # the window's centre is the mask's centre: column 370 of 800, scaled
    assert abs(starts[0] + 360 - 370 * 1280 / 600) <= 1


# --- patch-based completion of large holes --------------------------------------------------


def bricks(height: int, width: int) -> Image:
    """A periodic brick pattern with mortar lines: diffusion smears it, patches continue it."""
    y, x = np.mgrid[0:height, 0:width]
    row = y // 16
    mortar = (y % 16 < 3) | ((x + (row % 2) * 16) % 32 < 3)
    img = np.where(mortar[..., None], (200, 200, 190), (150, 60, 40)).astype(np.uint8)
    return np.ascontiguousarray(img)


def test_large_holes_continue_the_texture_better_than_diffusion() -> None:
    image, mask = bricks(256, 256), box(256, 256, 80, 90, 170, 180)
    out = run(request(image, mask, (256, 256), n=1))[0]
    telea = cv2.inpaint(image, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    ours = np.abs(out[mask].astype(float) - image[mask]).mean()
    theirs = np.abs(telea[mask].astype(float) - image[mask]).mean()
    assert ours < theirs / 1.2, (ours, theirs)


def test_thin_strokes_results_differ_and_reproduce() -> None:
    image, mask = scene(300, 400), stroke(300, 400)
    first = run(request(image, mask, (1024, 1024), n=3, seed=5))
    again = run(request(image, mask, (1024, 1024), n=3, seed=5))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    for a, b in itertools.combinations(first, 2):
        assert not np.array_equal(a, b)


def patch_recall(orig: Image, out: Image, mask: Mask) -> float:
    """Share of the original's 7×7 hole patches (half resolution) that lie in the 3-NN ball of
    some patch of the fill (Kynkäänniemi et al. 2019): does the fill have what was there?"""
    half = (orig.shape[1] // 2, orig.shape[0] // 2)
    a, b = (cv2.resize(im, half, interpolation=cv2.INTER_AREA) / 255.0 for im in (orig, out))
    inside = cv2.resize(mask.astype(np.float32), half, interpolation=cv2.INTER_AREA) > 0.5
    inside[:3], inside[-3:], inside[:, :3], inside[:, -3:] = False, False, False, False
    ys, xs = np.nonzero(inside)
    offsets = np.arange(-3, 4)
    yy, xx = ys[:, None, None] + offsets[None, :, None], xs[:, None, None] + offsets[None, None, :]
    truth, fill = a[yy, xx].reshape(len(ys), -1), b[yy, xx].reshape(len(ys), -1)

    def sq(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.maximum((p * p).sum(1)[:, None] + (q * q).sum(1)[None] - 2 * p @ q.T, 0)

    radius = np.partition(sq(fill, fill), 3, axis=1)[:, 3]
    return float((sq(truth, fill) <= radius[None]).any(axis=1).mean())


def test_a_brick_wall_continues_through_a_box_hole() -> None:
    image, mask = bricks(256, 256), box(256, 256, 70, 80, 180, 190)
    telea = cv2.inpaint(image, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    theirs = patch_recall(image, telea, mask)
    for out in run(request(image, mask, (256, 256), n=2, seed=3)):
        ours = patch_recall(image, out, mask)
        assert ours > 0.7 and ours > 3 * theirs, (ours, theirs)  # measured: 0.81 and 0.16
        # the rows of bricks line up with the wall's: a 32 px period down the hole
        grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(float)[70:180, 80:190]
        grey -= grey.mean(axis=0)
        shifted = (grey[:-32] * grey[32:]).mean() / (grey * grey).mean()
        assert shifted > 0.8, shifted


def seam_step(orig: Image, out: Image, mask: Mask) -> float:
    """The colour step added across the hole's edge, in units of the photo's contrast there
    (0 = as the photo; 1 = a step as large as the local contrast all along the edge)."""

    def steps(img: Image, a: Mask, b: Mask) -> float:
        f, total, count = img.astype(float), 0.0, 0
        for axis in (0, 1):
            n = a.shape[axis]
            a0, a1 = a.take(range(n - 1), axis=axis), a.take(range(1, n), axis=axis)
            b0, b1 = b.take(range(n - 1), axis=axis), b.take(range(1, n), axis=axis)
            pairs = (a0 & b1) | (b0 & a1)
            total += float(np.abs(np.diff(f, axis=axis)).sum(axis=2)[pairs].sum())
            count += int(pairs.sum())
        return total / count

    ring = (cv2.dilate(mask.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0) & ~mask
    local = steps(orig, ring, ring)
    return (steps(out, mask, ~mask) - steps(orig, mask, ~mask)) / max(local, 1.0)


def test_no_seam_shows_at_the_edge_of_a_large_hole() -> None:
    image, mask = scene(400, 600), box(400, 600, 120, 150, 300, 420)
    moved = image.copy()
    moved[mask] = np.roll(image, (24, 24), axis=(0, 1))[mask]  # a hard paste: a visible seam
    assert seam_step(image, moved, mask) > 0.5
    for out in run(request(image, mask, (600, 400), n=2)):
        assert abs(seam_step(image, out, mask)) < 0.25
