"""The classic background engine: the product stays bit-exact, guides behave as documented
(noise_level, ref_prompt_weight, transparent reference parts), results vary with ``n`` and repeat
with ``seed``, scene_type presets, edge elements, and titles that come with their layers."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, TaskCanceled
from wanstack.engines.classic.background import ClassicBackground
from wanstack.engines.classic.scene import parse_prompt
from wanstack.engines.classic.staging import SCENE_PRESETS, footprint_of, reference_guidance
from wanstack.engines.requests import BackgroundRequest, EdgeElement
from wanstack.engines.titles import render_layers

RGBA = npt.NDArray[np.uint8]


def bottle(width: int = 240, height: int = 320, seed: int = 0) -> RGBA:
    """A shaded bottle with a soft rim; the hidden colour of transparent pixels is noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    alpha = np.zeros((height, width), np.uint8)
    cx = width // 2
    cv2.rectangle(alpha, (cx - width // 6, height // 3), (cx + width // 6, height - 30), 255, -1)
    cv2.rectangle(alpha, (cx - width // 18, height // 6), (cx + width // 18, height // 3), 255, -1)
    img[..., 3] = cv2.GaussianBlur(alpha, (0, 0), 1.2)
    shade = np.linspace(60, 220, width, dtype=np.float32)[None, :, None]
    img[..., :3] = np.clip(shade * np.array([0.4, 0.7, 1.0], np.float32), 0, 255).astype(np.uint8)
    return img


def ring(width: int = 256, height: int = 256) -> RGBA:
    """A product with a hole through it and a half-transparent glass part."""
    img = np.zeros((height, width, 4), np.uint8)
    cv2.circle(img, (width // 2, height // 2), width // 3, (200, 160, 40, 255), -1)
    cv2.circle(img, (width // 2, height // 2), width // 7, (0, 0, 0, 0), -1)
    img[20:60, 20:120] = (180, 220, 255, 128)
    return img


def request(subject: RGBA, **changes: object) -> BackgroundRequest:
    base = BackgroundRequest(
        subject=subject,
        ref_image=None,
        ref_prompt="white marble tabletop, soft light",
        neg_prompt="",
        edges=(),
        n=1,
        noise_level=300,
        ref_prompt_weight=0.5,
        model_version="v2",
        scene_type=None,
        title=None,
        sub_title=None,
        seed=11,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def run(req: BackgroundRequest) -> list[npt.NDArray[np.uint8]]:
    return [item.image for item in ClassicBackground().run(req, CancelToken())]


SUBJECTS = {"bottle": bottle(), "wide": bottle(400, 180, seed=3), "ring": ring()}


@pytest.mark.parametrize("name", sorted(SUBJECTS))
@pytest.mark.parametrize(
    "changes",
    [
        {"ref_prompt": "山脉和晚霞", "model_version": "v3"},
        {"ref_prompt": "glass table over water, reflection"},
        {"ref_prompt": "", "ref_image": bottle(90, 60, seed=9)},
        {"scene_type": "COSMETIC", "ref_prompt": "粉色桃花"},
        {"title": "新品", "sub_title": "限时优惠", "n": 2},
    ],
)
def test_every_opaque_product_pixel_is_unchanged(name: str, changes: dict[str, object]) -> None:
    subject = SUBJECTS[name]
    opaque = subject[..., 3] == 255
    for image in run(request(subject, **changes)):
        assert image.shape == (*subject.shape[:2], 3)
        assert np.array_equal(image[opaque], subject[..., :3][opaque])


@pytest.mark.parametrize("prompt", ["white marble tabletop", "glass table over water, reflection"])
def test_soft_edges_blend_without_the_old_background(prompt: str) -> None:
    """A half-transparent pixel is a mix of the product colour and the new scene: the hidden
    RGB of fully transparent pixels never shows."""
    subject = bottle()
    noise_a = subject.copy()
    noise_b = subject.copy()
    clear = subject[..., 3] == 0
    noise_b[..., :3][clear] = 255 - noise_b[..., :3][clear]
    a, b = run(request(noise_a, ref_prompt=prompt))[0], run(request(noise_b, ref_prompt=prompt))[0]
    assert np.array_equal(a, b)


def test_n_results_differ_and_the_seed_repeats_them() -> None:
    first = run(request(bottle(), n=3))
    assert len({image.tobytes() for image in first}) == 3
    again = run(request(bottle(), n=3))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    other = run(request(bottle(), n=3, seed=12))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_v3_differs_from_v2() -> None:
    assert not np.array_equal(
        run(request(bottle(), model_version="v3"))[0], run(request(bottle()))[0]
    )


def test_scene_type_presets() -> None:
    room = parse_prompt(SCENE_PRESETS["ROOM"])
    assert room.layout in ("room", "tabletop") and room.ground
    cosmetic = parse_prompt(SCENE_PRESETS["COSMETIC"])
    assert "podium" in cosmetic.props
    images = {
        kind: run(request(bottle(), scene_type=kind, ref_prompt=""))[0]
        for kind in ("GENERAL", "ROOM", "COSMETIC")
    }
    assert len({image.tobytes() for image in images.values()}) == 3


def test_noise_level_moves_away_from_the_reference_monotonically() -> None:
    rng = np.random.default_rng(1)
    ref = np.dstack(
        [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), np.full((120, 160), 255, np.uint8)]
    )
    faithful = reference_guidance(ref, (160, 120), 0, seed=4)
    assert np.allclose(faithful * 255, ref[..., :3], atol=1)
    distances = [
        float(np.abs(reference_guidance(ref, (160, 120), level, seed=4) - faithful).mean())
        for level in (0, 150, 300, 600, 999)
    ]
    assert distances == sorted(distances) and distances[0] == 0 and distances[-1] > 0.1


def test_transparent_reference_parts_do_not_guide() -> None:
    ref = np.zeros((100, 100, 4), np.uint8)
    ref[:, :50] = (200, 40, 40, 255)
    other = ref.copy()
    other[:, 50:, :3] = (0, 255, 0)  # different hidden colour where alpha is 0
    a = reference_guidance(ref, (100, 100), 0, seed=1)
    b = reference_guidance(other, (100, 100), 0, seed=1)
    assert np.array_equal(a, b)
    assert a[:, 75, 0].mean() > 0.6  # filled from the visible red, not from black


def test_reference_covers_the_canvas() -> None:
    ref = np.zeros((50, 200, 4), np.uint8)
    ref[..., 3] = 255
    ref[:, 90:110, :3] = 255  # a white stripe in the middle of a wide reference
    out = reference_guidance(ref, (100, 100), 0, seed=1)
    assert out.shape == (100, 100, 3)
    assert out[:, 50].mean() > 0.9 and out[:, 5].mean() < 0.1


def test_ref_prompt_weight_blends_the_guides() -> None:
    ref = np.zeros((64, 64, 4), np.uint8)
    ref[...] = (250, 20, 20, 255)
    subject = np.zeros((200, 200, 4), np.uint8)  # nothing in front: only the background
    reds = []
    for weight in (0.0, 0.5, 1.0):
        image = run(
            request(subject, ref_image=ref, ref_prompt="blue sky", ref_prompt_weight=weight,
                    noise_level=0)
        )[0]  # fmt: skip
        reds.append(float(image[..., 0].mean()) - float(image[..., 2].mean()))
    assert reds[0] > reds[1] > reds[2]


def test_foreground_elements_may_cover_the_product_background_ones_may_not() -> None:
    subject = bottle()
    edge = np.zeros((*subject.shape[:2], 4), np.uint8)
    cv2.line(edge, (0, 200), (239, 200), (255, 255, 255, 255), 6)  # across the bottle
    opaque = subject[..., 3] == 255
    behind = run(request(subject, edges=(EdgeElement(edge, "粉色桃花", foreground=False),)))[0]
    assert np.array_equal(behind[opaque], subject[..., :3][opaque])
    front = run(request(subject, edges=(EdgeElement(edge, "粉色桃花", foreground=True),)))[0]
    covered = front[200, 120].astype(int)
    assert not np.array_equal(covered, subject[200, 120, :3])
    assert covered[0] > covered[2]  # pink, as the prompt asks


def test_titles_come_with_the_plain_image_and_layers_that_rebuild_it() -> None:
    items = ClassicBackground().run(
        request(bottle(480, 640), title="分享好时光", sub_title="只为不一样的你", n=2),
        CancelToken(),
    )
    for item in items:
        assert item.plain is not None and item.layers
        assert np.array_equal(render_layers(item.plain, item.layers), item.image)
        assert not np.array_equal(item.plain, item.image)
    without = ClassicBackground().run(request(bottle(480, 640), n=1), CancelToken())
    assert without[0].plain is None and without[0].layers is None


def test_footprint_follows_the_product_base() -> None:
    footprint = footprint_of(bottle()[..., 3])
    assert footprint is not None
    assert footprint.cx == 120 and 285 <= footprint.bottom <= 292
    assert footprint.top < 60 and 30 <= footprint.half_width <= 45
    assert footprint_of(np.zeros((10, 10), np.uint8)) is None


def test_cancel_stops_the_run() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(TaskCanceled):
        ClassicBackground().run(request(bottle(), n=4), token)
