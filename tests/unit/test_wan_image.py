"""The classic wan2.6-image engine: sizes, seeds, styles, grades, background swap, interleave."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, ImageItem, RGBImage
from wanstack.engines.classic.grades import find_grades, find_style, scene_prompt
from wanstack.engines.classic.image import WanImage, has_alpha
from wanstack.engines.requests import ImageGenRequest
from wanstack.errors import TaskCanceled

U8 = npt.NDArray[np.uint8]


def _request(
    prompt: str,
    images: tuple[U8, ...] = (),
    size: tuple[int, int] = (256, 256),
    *,
    n: int = 1,
    seed: int = 3,
    interleave: bool = False,
    max_images: int = 3,
) -> ImageGenRequest:
    return ImageGenRequest(
        prompt=prompt,
        negative_prompt="",
        images=images,
        size=size,
        n=n,
        interleave=interleave,
        max_images=max_images,
        seed=seed,
    )


def _run(request: ImageGenRequest) -> list[RGBImage]:
    items = WanImage().run(request, CancelToken())
    images = [item.image for item in items]
    assert all(image is not None for image in images)
    return [image for image in images if image is not None]


def _photo(width: int = 240, height: int = 160) -> U8:
    """An opaque RGBA test picture: colour ramps and a few shapes (some detail to keep)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack(
        [90 + 120 * xs / width, 60 + 140 * ys / height, 180 - 80 * xs / width], axis=2
    ).astype(np.uint8)
    rgb[height // 4 : height // 2, width // 5 : width // 2] = (200, 40, 40)
    rgb[height // 2 :, (3 * width) // 5 : (4 * width) // 5] = (30, 120, 60)
    return np.dstack([rgb, np.full((height, width), 255, np.uint8)])


def _cutout(size: int = 256) -> U8:
    """A product cutout: an opaque rectangle with a soft rim on a transparent canvas."""
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[size // 4 : size - size // 8, size // 3 : 2 * size // 3] = (180, 70, 90, 255)
    rgba[size // 4 - 1, size // 3 : 2 * size // 3] = (180, 70, 90, 120)
    return rgba


def _chroma(image: RGBImage) -> float:
    return float(np.mean(image.max(axis=2).astype(int) - image.min(axis=2)))


def _rb(image: RGBImage) -> float:
    mean = image.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return float(mean[0] / mean[2])


@pytest.mark.parametrize("size", [(256, 256), (192, 384), (400, 160), (100, 400)])
def test_text_to_image_has_exactly_the_size(size: tuple[int, int]) -> None:
    (image,) = _run(_request("山脉和晚霞", size=size))
    assert image.shape == (size[1], size[0], 3)
    assert image.dtype == np.uint8


@pytest.mark.parametrize("size", [(256, 256), (160, 320), (360, 180)])
def test_edits_have_exactly_the_size(size: tuple[int, int]) -> None:
    for prompt in ("暖色调", "扩图", "make it an oil painting"):
        (image,) = _run(_request(prompt, (_photo(),), size=size))
        assert image.shape == (size[1], size[0], 3)


def test_n_results_differ_and_the_seed_reproduces() -> None:
    first = _run(_request("beach at sunset with palm trees", n=3, seed=11))
    again = _run(_request("beach at sunset with palm trees", n=3, seed=11))
    other = _run(_request("beach at sunset with palm trees", n=1, seed=12))
    assert len(first) == 3
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[1], first[2])
    assert np.array_equal(first[1], other[0])  # result i uses seed + i


def test_style_words_are_found_in_chinese_and_english() -> None:
    assert find_style("一只猫，水彩画风格") == "<watercolor>"
    assert find_style("an oil painting of a harbour") == "<oil painting>"
    assert find_style("水墨山水") == "<chinese painting>"
    assert find_style("3D卡通风格的小屋") == "<3d cartoon>"
    assert find_style("anime girl, then watercolor") == "<anime>"  # the first named wins
    assert find_style("a photo of mountains") is None
    assert "水" not in scene_prompt("水彩画风格")  # 水彩 must not read as water


def test_style_word_stylises_text_to_image() -> None:
    (plain,) = _run(_request("雪山和湖泊"))
    (sketch,) = _run(_request("雪山和湖泊，素描"))
    assert sketch.shape == plain.shape
    # A pencil sketch is near grey; the rendered scene has colour.
    assert _chroma(sketch) < 0.5 * _chroma(plain)


def test_style_word_stylises_an_edit() -> None:
    (fitted,) = _run(_request("keep it as it is", (_photo(256, 256),)))
    (styled,) = _run(_request("turn it into a watercolor", (_photo(256, 256),)))
    assert np.array_equal(fitted, _photo(256, 256)[..., :3])  # nothing asked: untouched
    assert np.mean(np.abs(styled.astype(int) - fitted.astype(int))) > 5


def test_warm_and_cool_grades_move_the_red_blue_ratio() -> None:
    photo = (_photo(),)
    (base,) = _run(_request("no change", photo, (240, 160)))
    (warm,) = _run(_request("调成暖色调", photo, (240, 160)))
    (cool,) = _run(_request("make it cooler", photo, (240, 160)))
    assert _rb(warm) > _rb(base) * 1.1
    assert _rb(cool) < _rb(base) * 0.9


def test_black_and_white_is_grey_and_brighter_is_brighter() -> None:
    photo = (_photo(),)
    (mono,) = _run(_request("黑白照片", photo, (240, 160)))
    assert np.array_equal(mono[..., 0], mono[..., 1])
    assert np.array_equal(mono[..., 1], mono[..., 2])
    (base,) = _run(_request("no change", photo, (240, 160)))
    (bright,) = _run(_request("明亮一些", photo, (240, 160)))
    (dark,) = _run(_request("darker please", photo, (240, 160)))
    assert bright.mean() > base.mean() + 10
    assert dark.mean() < base.mean() - 10


def test_grade_words_are_recognised() -> None:
    names = [g.name for g in find_grades("复古胶片，高对比，日落色调，暖色")]
    assert names == ["vintage", "sunset", "contrast"]  # a sunset tone already warms
    assert [g.name for g in find_grades("warm light", text_to_image=True)] == []
    assert [g.name for g in find_grades("black and white", text_to_image=True)] == ["mono"]


def test_background_swap_keeps_the_opaque_subject() -> None:
    cutout = _cutout(256)
    assert has_alpha(cutout)
    assert not has_alpha(_photo())
    (image,) = _run(_request("把背景换成海边日落", (cutout,), (256, 256)))
    opaque = cutout[..., 3] == 255
    assert np.array_equal(image[opaque], cutout[..., :3][opaque])
    # The transparent part became a scene, not the cutout's hidden colour or a flat fill.
    outside = image[cutout[..., 3] == 0]
    assert outside.std(axis=0).mean() > 5


def test_background_swap_results_differ() -> None:
    results = _run(_request("wooden table, soft light", (_cutout(),), (256, 256), n=2))
    assert not np.array_equal(results[0], results[1])


def test_collage_shows_every_image() -> None:
    red = np.zeros((100, 100, 4), np.uint8)
    red[...] = (220, 20, 20, 255)
    blue = red.copy()
    blue[...] = (20, 20, 220, 255)
    (sheet,) = _run(_request("把两张图拼接在一起", (red, blue), (300, 150)))
    left, right = sheet[75, 75], sheet[75, 225]
    assert left[0] > 200 and left[2] < 40
    assert right[2] > 200 and right[0] < 40


def test_outpaint_keeps_the_picture_and_fills_the_border() -> None:
    photo = _photo(200, 200)
    (tall,) = _run(_request("extend the canvas", (photo,), (160, 400)))
    assert tall.shape == (400, 160, 3)
    # The picture sits in the middle; the border is filled (no flat bars), continuing its colours.
    top = tall[:40]
    assert top.std(axis=(0, 1)).mean() > 2
    assert abs(float(top.mean()) - float(photo[..., :3].mean())) < 60


def test_interleave_returns_max_images_with_captions() -> None:
    items: list[ImageItem] = WanImage().run(
        _request("山间湖泊和森林", size=(192, 128), interleave=True, max_images=4), CancelToken()
    )
    assert len(items) == 4
    texts = [item.text or "" for item in items]
    assert texts[0].startswith("第1步") and texts[3].startswith("第4步")
    assert len(set(texts)) == 4
    images = [item.image for item in items]
    assert all(im is not None and im.shape == (128, 192, 3) for im in images)
    english = WanImage().run(
        _request("bake bread. then slice it", size=(128, 128), interleave=True, max_images=2),
        CancelToken(),
    )
    assert [item.text for item in english] == ["Step 1: bake bread", "Step 2: slice it"]


def test_cancel_stops_the_run() -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(TaskCanceled):
        WanImage().run(_request("山脉", n=2), cancel)


def test_describe_names_the_engine() -> None:
    assert WanImage().describe()["engine"] == "classic"


def test_interleave_with_an_image_relights_it_step_by_step() -> None:
    items = WanImage().run(
        _request("猫咪的一天", (_photo(),), (240, 160), interleave=True, max_images=5),
        CancelToken(),
    )
    assert len(items) == 5
    assert items[0].text == "第1步：清晨，猫咪的一天"
    means = [float(item.image.mean()) for item in items if item.image is not None]
    assert means[4] < means[1] - 20  # night is darker than midday
