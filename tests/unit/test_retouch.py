"""Classical retouching for wanx2.1-imageedit: super-resolution, colourisation and the
watermark detector that ``remove_watermark`` inpaints."""

from __future__ import annotations

import functools
import subprocess

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFont

from wanstack.engines.base import CancelToken
from wanstack.engines.classic.inpaint import ClassicInpaint
from wanstack.engines.classic.retouch import colorize
from wanstack.engines.classic.scene import parse_prompt, render_scene
from wanstack.engines.requests import InpaintRequest
from wanstack.engines.upscale import super_resolve
from wanstack.engines.watermarks import mark_mask
from wanstack.errors import TaskCanceled

Image8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


@functools.lru_cache(maxsize=16)
def scene(prompt: str, size: int = 256, seed: int = 1) -> Image8:
    image: Image8 = render_scene(parse_prompt(prompt), (size, size), seed).image
    image.flags.writeable = False
    return image


def grey(image: Image8) -> Image8:
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.cvtColor(g, cv2.COLOR_GRAY2RGB), np.uint8)


def mae(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> float:
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64))))


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font with Chinese glyphs: the one packaged for titles, else any fontconfig knows."""
    try:
        from wanstack.engines.titles import font_path

        return font_path()
    except (ImportError, OSError):
        pass
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "-f", "%{file}\n"], capture_output=True, text=True, check=False
        ).stdout.split()
    except OSError:
        return None
    return listed[0] if listed else None


def font(size: int) -> ImageFont.FreeTypeFont:
    path = cjk_font_path()
    if path is None:
        pytest.skip("no CJK font installed")
    return ImageFont.truetype(path, size)


def text_pattern(size: int = 256) -> Image8:
    """A sharp high-resolution test card: dark text (Latin and Chinese), thin lines, a ring."""
    card = Image.new("RGB", (size, size), (235, 230, 220))
    draw = ImageDraw.Draw(card)
    for i in range(4):
        draw.text((6, 6 + i * 30), f"Sharp 清晰 {i}", fill=(20, 30, 60), font=font(22))
    for i in range(8):
        draw.line([(10 + i * 30, 130), (40 + i * 24, 250)], fill=(180, 40, 40), width=2)
    draw.ellipse([150, 150, 245, 245], outline=(30, 120, 60), width=3)
    return np.asarray(card, np.uint8).copy()


# --- super_resolve ---------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_super_resolve_gives_exactly_the_scaled_size(factor: int) -> None:
    image = scene("森林", 64)[:37, :53]
    out = super_resolve(image, factor)
    assert out.shape == (37 * factor, 53 * factor, 3)
    assert out.dtype == np.uint8


@pytest.mark.parametrize("factor", [0, 5])
def test_super_resolve_refuses_factors_outside_1_to_4(factor: int) -> None:
    with pytest.raises(ValueError, match="factor"):
        super_resolve(scene("森林", 64), factor)


@pytest.mark.parametrize("factor", [2, 4])
def test_downscaled_output_gives_the_input_back(factor: int) -> None:
    """Back-projection: the output, box-downscaled, reproduces the input (much more closely
    than a bicubic upscale does)."""
    for image, most in ((scene("海边日落", 128), 0.5), (text_pattern(256)[::2, ::2].copy(), 3.0)):
        h, w = image.shape[:2]
        out = super_resolve(image, factor)
        back = cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)
        bicubic = cv2.resize(image, (w * factor, h * factor), interpolation=cv2.INTER_CUBIC)
        bicubic_back = cv2.resize(bicubic, (w, h), interpolation=cv2.INTER_AREA)
        assert mae(back, image) < most
        assert mae(back, image) < 0.7 * mae(bicubic_back, image)


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_is_closer_to_the_original_than_bicubic(factor: int) -> None:
    original = text_pattern(256)
    small = np.asarray(
        cv2.resize(original, (256 // factor,) * 2, interpolation=cv2.INTER_AREA), np.uint8
    )
    ours = super_resolve(small, factor)
    bicubic = np.asarray(cv2.resize(small, (256, 256), interpolation=cv2.INTER_CUBIC), np.uint8)
    assert mae(ours, original) < 0.92 * mae(bicubic, original)

    # and the edges are steeper: more gradient energy, nearer the original's
    def energy(x: Image8) -> float:
        g = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(
            np.mean(cv2.Sobel(g, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(g, cv2.CV_32F, 0, 1) ** 2)
        )

    assert energy(bicubic) < energy(ours) <= 1.05 * energy(original)


def test_upscale_has_no_halos_and_keeps_flat_colours_exact() -> None:
    step = np.zeros((32, 32, 3), np.uint8)
    step[:, :16] = (40, 90, 200)
    step[:, 16:] = (230, 220, 60)
    out = super_resolve(step, 4).astype(int)
    # no value beyond the input's range (a Lanczos upscale rings past both sides)
    assert out.min(axis=(0, 1)).tolist() >= [40 - 1, 90 - 1, 60 - 1]
    assert out.max(axis=(0, 1)).tolist() <= [230 + 1, 220 + 1, 200 + 1]
    lanczos = cv2.resize(step.astype(np.float32), (128, 128), interpolation=cv2.INTER_LANCZOS4)
    assert lanczos.max() > 232 or lanczos.min() < 38
    # away from the edge the colours are the input's, exactly
    assert (out[:, :48] == (40, 90, 200)).all()
    assert (out[:, 80:] == (230, 220, 60)).all()


def test_factor_1_sharpens_without_shifting_colour_or_boosting_noise() -> None:
    blurred = np.asarray(cv2.GaussianBlur(text_pattern(256), (0, 0), 1.0), np.uint8)
    sharp = super_resolve(blurred, 1)

    def laplacian_var(x: Image8) -> float:
        g = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(cv2.Laplacian(g, cv2.CV_32F).var())

    assert laplacian_var(sharp) > 1.5 * laplacian_var(blurred)
    shift = np.abs(sharp.mean(axis=(0, 1)) - blurred.mean(axis=(0, 1)))
    assert shift.max() <= 1.0
    noisy = np.clip(128 + np.random.default_rng(0).normal(0, 3, (128, 128, 3)), 0, 255)
    noisy8 = noisy.astype(np.uint8)
    assert super_resolve(noisy8, 1).std() <= 1.05 * noisy8.std()


def test_super_resolve_stops_when_cancelled() -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(TaskCanceled):
        super_resolve(scene("森林", 64), 2, cancel)


# --- colorize --------------------------------------------------------------------------------


def lab(image: Image8) -> npt.NDArray[np.float32]:
    """Lab with L, a, b in their usual units (L 0–100)."""
    return np.asarray(cv2.cvtColor(image.astype(np.float32) / 255, cv2.COLOR_RGB2Lab), np.float32)


def test_colorize_keeps_the_lightness_and_adds_colour() -> None:
    gray = grey(scene("森林"))
    out = colorize(gray, "", 0)
    light_in = cv2.cvtColor(gray, cv2.COLOR_RGB2Lab)[..., 0].astype(int)
    light_out = cv2.cvtColor(out, cv2.COLOR_RGB2Lab)[..., 0].astype(int)
    diff = np.abs(light_in - light_out)
    assert float(np.mean(diff <= 1)) > 0.99
    assert diff.mean() < 0.3
    chroma = np.hypot(*lab(out)[..., 1:].transpose(2, 0, 1))
    assert chroma.mean() > 8.0  # an input with none at all


def upper_bright(image: Image8) -> Mask:
    """The bright top third: the sky of the test scene."""
    light = lab(image)[..., 0]
    region = np.zeros(light.shape, bool)
    region[: image.shape[0] // 3] = True
    return region & (light > 50)


@pytest.mark.parametrize("sky", ["蓝天", "blue sky"])
def test_colour_words_steer_the_regions(sky: str) -> None:
    gray = grey(scene("森林"))
    region = upper_bright(gray)
    assert region.mean() > 0.2
    blue, red = lab(colorize(gray, sky, 3)), lab(colorize(gray, "red", 3))
    # Lab b < 0 is blue: the sky is bluer when asked for a blue sky than for "red"
    assert blue[..., 2][region].mean() < red[..., 2][region].mean() - 8
    assert red[..., 1][region].mean() > blue[..., 1][region].mean()
    # green grass: the lower half turns greener (Lab a < 0) than without the words
    lower = np.zeros(region.shape, bool)
    lower[gray.shape[0] // 2 :] = True
    grass, plain = lab(colorize(gray, "绿草", 3)), lab(colorize(gray, "", 3))
    assert grass[..., 1][lower].mean() < plain[..., 1][lower].mean() - 5


def test_colorize_is_reproducible_and_seeds_vary_it_a_little() -> None:
    gray = grey(scene("海边日落"))
    first, again = colorize(gray, "", 11), colorize(gray, "", 11)
    assert np.array_equal(first, again)
    other = colorize(gray, "", 12)
    assert 0.3 < mae(first, other) < 12.0


def test_colorize_recolours_a_colourful_input_from_its_lightness() -> None:
    gray = grey(scene("森林"))
    tinted_lab = lab(gray)
    tinted_lab[..., 1] += 25.0  # the same lightness with a strong magenta cast
    tinted_lab[..., 2] -= 10.0
    rgb = cv2.cvtColor(tinted_lab, cv2.COLOR_Lab2RGB)
    tinted = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    out = colorize(tinted, "", 0)
    light_diff = np.abs(lab(out)[..., 0] - lab(tinted)[..., 0])
    assert light_diff.mean() < 0.3
    # the cast is gone: the result is (nearly) the one for the grey version
    assert mae(out, colorize(gray, "", 0)) < 2.0


def test_near_white_and_near_black_stay_neutral() -> None:
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.float32), (64, 1)).astype(np.uint8)
    image = np.repeat(ramp[..., None], 3, axis=2)
    out = lab(colorize(image, "", 0))
    chroma = np.hypot(out[..., 1], out[..., 2])
    assert chroma[:, :6].max() < 2.0
    assert chroma[:, -4:].max() < 2.0


# --- mark_mask -------------------------------------------------------------------------------


def overlay(
    base: Image8,
    text: str,
    xy: tuple[int, int],
    size: int,
    colour: tuple[int, int, int],
    alpha: float,
    angle: float = 0.0,
) -> tuple[Image8, Mask, tuple[slice, slice]]:
    """``base`` with ``text`` drawn over it; the glyph pixels; the text's bounding box."""
    h, w = base.shape[:2]
    layer = Image.new("L", (w, h), 0)
    ImageDraw.Draw(layer).text(xy, text, fill=255, font=font(size))
    cover = np.asarray(layer, np.float32) / 255
    if angle:
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        cover = np.asarray(cv2.warpAffine(cover, turn, (w, h), flags=cv2.INTER_LINEAR), np.float32)
    a = cover[..., None] * alpha
    out = base.astype(np.float32) * (1 - a) + np.array(colour, np.float32) * a
    ys, xs = np.nonzero(cover > 0.05)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), cover > 0.5, box


CASES = {
    # the service's own mark: "AI生成", light, bottom right
    "corner caption": ("海边日落", "AI生成", (392, 468), 26, (255, 255, 255), 0.85, 0.0),
    # a big translucent word across the middle, over trees and grass
    "diagonal translucent": ("森林", "SAMPLE 水印", (40, 215), 72, (255, 255, 255), 0.5, 35.0),
    "diagonal faint": ("沙漠", "SAMPLE 水印", (40, 215), 72, (255, 255, 255), 0.35, 35.0),
    # dark copyright text on a light background
    "dark on light": ("大理石台面", "© example.com 版权所有", (30, 40), 22, (30, 30, 35), 1.0, 0.0),
}


@functools.lru_cache(maxsize=8)
def marked(case: str) -> tuple[Image8, Mask, tuple[slice, slice], Image8, Mask]:
    prompt, text, xy, size, colour, alpha, angle = CASES[case]
    base = scene(prompt, 512)
    image, glyphs, box = overlay(base, text, xy, size, colour, alpha, angle)
    return image, glyphs, box, base, mark_mask(image)


@pytest.mark.parametrize("case", list(CASES))
def test_mark_mask_finds_the_text_and_little_else(case: str) -> None:
    image, glyphs, _, _, mask = marked(case)
    assert mask.shape == image.shape[:2]
    assert mask.dtype == np.bool_
    assert float(mask[glyphs].mean()) >= 0.9  # recall of the glyph pixels
    dist = cv2.distanceTransform((~glyphs).astype(np.uint8), cv2.DIST_L2, 5)
    assert float((mask & (dist > 10)).mean()) < 0.02  # false positives away from the text


@pytest.mark.parametrize("prompt", ["海边日落", "森林", "大理石台面", "雪山", "random texture"])
def test_mark_mask_leaves_text_free_pictures_alone(prompt: str) -> None:
    if prompt == "random texture":
        rng = np.random.default_rng(5)
        cells = cv2.resize(rng.random((64, 64, 3)).astype(np.float32), (512, 512))
        image = np.clip(cells * 255 + rng.normal(0, 12, cells.shape), 0, 255).astype(np.uint8)
    else:
        image = scene(prompt, 512)
    assert float(mark_mask(image).mean()) < 0.02


@pytest.mark.parametrize("case", ["corner caption", "diagonal faint", "dark on light"])
def test_inpainting_the_mask_brings_back_the_text_free_picture(case: str) -> None:
    """(Over the forest's treeline the fill smears the trees: the text's box is then no closer
    to the original than the translucent text was, though the glyphs are gone.)"""
    image, _, box, base, mask = marked(case)
    h, w = mask.shape
    request = InpaintRequest(
        image=image, mask=mask, prompt="", style="<auto>", size=(w, h), n=1, seed=0
    )
    [item] = ClassicInpaint().run(request, CancelToken())
    assert item.image is not None
    before, after = mae(image[box], base[box]), mae(item.image[box], base[box])
    assert after < 0.8 * before
