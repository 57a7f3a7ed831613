"""Poster titles (seed 002's ``text_results``): the layer schema, WCAG contrast against what is
really behind the text, keeping clear of the product, a CJK font without tofu, and a renderer that
turns the returned layers plus the text-free image back into the titled image."""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines import titles as poster
from wanstack.engines.titles import (
    contrast_ratio,
    design_title,
    fit_contrast,
    luminance,
    parse_color,
    render_layers,
)

RGBImage = npt.NDArray[np.uint8]

TEXT_KEYS = {
    "type": str,
    "idx": int,
    "sub_type": str,
    "content": str,
    "font_family": str,
    "font_size": int,
    "font_weight": str,
    "font_color": str,
    "direction": str,
    "alignment": str,
    "line_height": (int, float),
    "opacity": (int, float),
    "font_italic": bool,
    "font_line_through": bool,
    "font_under_line": bool,
    "top": int,
    "left": int,
    "width": int,
    "height": int,
}
MASK_KEYS = {
    "type": str,
    "idx": int,
    "color": str,
    "opacity": (int, float),
    "top": int,
    "left": int,
    "width": int,
    "height": int,
    "radius": int,
}


def backdrop(kind: str, width: int = 768, height: int = 1024) -> RGBImage:
    """Scenes a title must survive: flat light and dark, a sunset gradient, busy noise, stripes."""
    rng = np.random.default_rng(5)
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    if kind == "light":
        img = np.full((height, width, 3), (236, 230, 222), np.float32)
    elif kind == "dark":
        img = np.full((height, width, 3), (24, 22, 30), np.float32)
    elif kind == "sunset":
        top, bottom = np.array([40, 40, 90], np.float32), np.array([250, 150, 90], np.float32)
        img = np.broadcast_to(top + (bottom - top) * yy, (height, width, 3)).copy()
    elif kind == "noise":
        img = rng.integers(0, 256, (height, width, 3)).astype(np.float32)
    else:  # stripes: black and white bands, the hardest case for a plain text colour
        img = np.zeros((height, width, 3), np.float32)
        img[(np.arange(height) // 24) % 2 == 0] = 255
    return np.clip(img, 0, 255).astype(np.uint8)


def product(width: int = 768, height: int = 1024) -> npt.NDArray[np.uint8]:
    alpha = np.zeros((height, width), np.uint8)
    cv2.ellipse(
        alpha, (width // 2, int(height * 0.62)), (width // 6, height // 4), 0, 0, 360, 255, -1
    )
    return alpha


def text_layers(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [layer for layer in layers if layer["type"] == "text"]


@pytest.mark.parametrize("variant", range(4))
@pytest.mark.parametrize("kind", ["light", "dark", "sunset", "noise", "stripes"])
def test_layers_follow_the_seed_schema(kind: str, variant: int) -> None:
    layers = design_title(backdrop(kind), product(), "分享好时光", "只为不一样的你", variant)
    assert [layer["idx"] for layer in layers] == list(range(len(layers)))
    texts = text_layers(layers)
    assert [t["sub_type"] for t in texts] == ["Title", "SubTitle"]
    assert [t["content"] for t in texts] == ["分享好时光", "只为不一样的你"]
    for layer in layers:
        keys = TEXT_KEYS if layer["type"] == "text" else MASK_KEYS
        for key, kind_ in keys.items():
            assert isinstance(layer[key], kind_), (key, layer)
        if layer["type"] == "text":
            assert "text_shadow" in layer and "text_stroke" in layer
            assert layer["font_family"] == "Noto Sans SC"
            assert layer["direction"] == "horizontal"
        else:
            assert "gradient" in layer and "box_shadow" in layer
            gradient = layer["gradient"]
            if gradient is not None:
                assert gradient["type"] == "linear"
                assert gradient["gradient_units"] == "pixels"
                assert set(gradient["coords"]) == {"x1", "y1", "x2", "y2"}
                assert all(len(parse_color(s["color"])) == 4 for s in gradient["color_stops"])
        assert layer["left"] >= 0 and layer["left"] + layer["width"] <= 768
        assert layer["top"] >= 0 and layer["top"] + layer["height"] <= 1024
    assert json.loads(json.dumps(layers)) == layers  # plain JSON


@pytest.mark.parametrize("variant", range(4))
@pytest.mark.parametrize("kind", ["light", "dark", "sunset", "noise", "stripes"])
def test_text_contrast_is_at_least_wcag_aa_against_what_is_behind_it(
    kind: str, variant: int
) -> None:
    """Every text layer against the pixels really under its glyphs (2nd–98th percentile), with
    the layers below it drawn: ≥ 4.5:1, on flat, graded, noisy and striped scenes alike."""
    plain = backdrop(kind)
    layers = design_title(plain, product(), "夏日新品", "限时八折优惠", variant)
    for i, layer in enumerate(layers):
        if layer["type"] != "text":
            continue
        below = render_layers(plain, layers[:i])
        lum = luminance(below[ink(layer, plain.shape)])
        color = parse_color(layer["font_color"])[:3]
        text_lum = luminance(color)
        for edge in (np.percentile(lum, 2), np.percentile(lum, 98)):
            ratio = (max(text_lum, edge) + 0.05) / (min(text_lum, edge) + 0.05)
            assert ratio >= 4.5, (kind, variant, layer["sub_type"], ratio)


def ink(layer: dict[str, Any], shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """Where a text layer puts ink: drawn white on black, a little dilated."""
    black = np.zeros(shape, np.uint8)
    drawn = render_layers(black, [{**layer, "font_color": "#ffffff"}]).max(axis=2)
    mask = cv2.dilate((drawn > 32).astype(np.uint8), np.ones((3, 3), np.uint8))
    assert mask.any()
    return mask.astype(bool)


def test_a_busy_scene_gets_a_band_and_a_calm_one_can_do_without() -> None:
    busy = design_title(backdrop("stripes"), product(), "标题", None, 0)
    assert busy[0]["type"] == "text_mask" and busy[0]["width"] == 768
    calm = design_title(backdrop("light"), product(), "标题", None, 0)
    assert [layer["type"] for layer in calm] == ["text"]


def test_the_text_keeps_clear_of_the_product() -> None:
    alpha = product()
    for variant in range(4):
        for layer in text_layers(
            design_title(backdrop("sunset"), alpha, "新品上市", "全场包邮", variant)
        ):
            x, y, w, h = layer["left"], layer["top"], layer["width"], layer["height"]
            assert not alpha[y : y + h, x : x + w].any()


def test_a_product_at_the_top_pushes_the_title_to_the_bottom() -> None:
    alpha = np.zeros((1024, 768), np.uint8)
    alpha[40:600, 200:568] = 255
    title = text_layers(design_title(backdrop("light"), alpha, "新品", None, 0))[0]
    assert title["top"] > 600


def test_a_tall_product_gets_a_vertical_title_column_beside_it() -> None:
    alpha = np.zeros((1024, 768), np.uint8)
    alpha[110:950, 300:468] = 255  # tall and central: no room above or below
    layers = design_title(backdrop("light"), alpha, "夏日清凉新品", "全场满199减50", 0)
    texts = text_layers(layers)
    assert {t["direction"] for t in texts} == {"vertical"}
    for layer in layers:
        x, y, w, h = layer["left"], layer["top"], layer["width"], layer["height"]
        assert not alpha[y : y + h, x : x + w].any()
    assert texts[0]["height"] > 4 * texts[0]["width"]  # a column, not a squeezed line


def test_vertical_columns_keep_short_latin_runs_upright() -> None:
    assert poster.vertical_units("全场满199减50") == ["全", "场", "满", "199", "减", "50"]
    assert poster.vertical_units("AI 新品2026") == ["AI", "新", "品", "2", "0", "2", "6"]


def test_the_n_results_vary_their_style() -> None:
    designs = {
        json.dumps(design_title(backdrop("sunset"), product(), "好物", "推荐", v)) for v in range(3)
    }
    assert len(designs) == 3


def test_long_titles_fit_the_canvas() -> None:
    for width, height in ((512, 512), (1024, 400), (300, 900)):
        plain = backdrop("light", width, height)
        alpha = np.zeros((height, width), np.uint8)
        layers = design_title(plain, alpha, "八个汉字的长标题", "十个汉字的长长副标题", 0)
        for layer in layers:
            assert layer["left"] >= 0 and layer["left"] + layer["width"] <= width
            assert layer["top"] >= 0 and layer["top"] + layer["height"] <= height


def test_rendering_the_returned_layers_reproduces_the_titled_image() -> None:
    """What a client gets: the layers as JSON and the text-free image; drawing one on the other
    gives the titled image pixel for pixel."""
    plain = backdrop("sunset")
    layers = design_title(plain, product(), "分享好时光", "只为不一样的你", 0)
    titled = render_layers(plain, layers)
    assert not np.array_equal(titled, plain)
    again = render_layers(plain.copy(), json.loads(json.dumps(layers)))
    assert np.array_equal(again, titled)


def test_the_font_has_every_glyph_no_tofu() -> None:
    """Each character renders differently from the font's missing-glyph box."""
    face = poster.font(64)
    tofu = np.asarray(face.getmask("\U000f0000"))  # a private-use code point: .notdef
    text = "分享好时光只为不一样的你夏日新品限时八折优惠山脉和晚霞桃花ABCxyz123！"
    for char in text:
        glyph = np.asarray(face.getmask(char))
        assert glyph.shape != tofu.shape or not np.array_equal(glyph, tofu), char


def test_renders_seed_002_layers_as_published() -> None:
    """The seed's own example (a fading band, a title, a rounded pill with a shadow)."""
    layers = [
        {
            "type": "text_mask", "idx": 0, "color": "#f2eee4", "opacity": 0.8, "top": 0,
            "left": 0, "width": 768, "height": 340, "radius": 0,
            "gradient": {
                "type": "linear", "gradient_units": "pixels",
                "coords": {"x1": 0, "y1": 340, "x2": 0, "y2": 0},
                "color_stops": [
                    {"offset": 0, "color": "#f2eee400"}, {"offset": 1, "color": "#f2eee4ff"}
                ],
            },
        },
        {
            "type": "text", "sub_type": "Title", "content": "分享好时光", "idx": 1,
            "font_size": 98, "font_family": "阿里巴巴普惠体", "direction": "horizontal",
            "alignment": "center", "font_color": "#5b4c2f", "opacity": 1,
            "font_weight": "Regular", "font_italic": False, "font_line_through": False,
            "font_under_line": False, "top": 34, "left": 88, "width": 591, "height": 98,
            "line_height": 1, "text_shadow": "0px 0px #80808080", "text_stroke": "0px #fffffff0",
        },
        {
            "type": "text_mask", "idx": 2, "color": "#5b4c2f", "opacity": 1, "top": 152,
            "left": 235, "width": 297, "height": 65, "radius": 40, "gradient": None,
            "box_shadow": "2px 0px #80808080",
        },
        {
            "type": "text", "sub_type": "Title", "content": "只为不一样的你", "idx": 3,
            "font_size": 35, "font_family": "阿里巴巴普惠体", "direction": "horizontal",
            "alignment": "center", "font_color": "#f2ede3", "opacity": 1,
            "font_weight": "Medium", "font_italic": False, "font_line_through": False,
            "font_under_line": False, "top": 152, "left": 235, "width": 297, "height": 65,
            "line_height": 1, "text_shadow": 0,
        },
    ]  # fmt: skip
    plain = np.full((1024, 768, 3), 40, np.uint8)
    out = render_layers(plain, layers).astype(int)
    expected = [0.8 * c + 0.2 * 40 for c in (0xF2, 0xEE, 0xE4)]  # opaque at the top edge
    assert np.abs(out[0, 5] - expected).max() <= 1
    assert np.abs(out[339, 5] - 40).max() <= 1  # … fading to nothing at the bottom
    assert np.array_equal(out[400:], plain[400:])
    title = out[34:132, 88:679]
    assert (np.abs(title - [0x5B, 0x4C, 0x2F]).sum(axis=2) < 30).mean() > 0.1  # title ink
    pill = out[152:217, 235:532]
    assert (np.abs(pill - [0x5B, 0x4C, 0x2F]).sum(axis=2) < 6).mean() > 0.5
    assert (np.abs(pill - [0xF2, 0xED, 0xE3]).sum(axis=2) < 30).mean() > 0.03  # subtitle ink
    assert out[152, 235].tolist() != [0x5B, 0x4C, 0x2F]  # rounded corner, not a square


@pytest.mark.parametrize(
    "layer",
    [
        {"type": "text", "content": "x", "font_size": "big"},
        {"type": "text", "content": None, "font_size": 20},
        {"type": "text_mask", "width": -5, "height": 10},
        {"type": "text_mask", "width": 10, "height": 10, "gradient": {"color_stops": []}},
        {"type": "text_mask", "width": 10, "height": 10, "color": "not a colour"},
        {"type": "text", "content": "竖排", "font_size": 20, "width": 30, "height": 60,
         "direction": "vertical", "font_italic": True, "font_under_line": True,
         "font_line_through": True, "text_stroke": "2px #ff0000ff",
         "text_shadow": "3px 3px #00000080", "left": 2000, "top": -40},
        {"type": "video"},
        "not a layer",
    ],
)  # fmt: skip
def test_odd_layers_never_raise(layer: Any) -> None:
    plain = np.full((64, 64, 3), 128, np.uint8)
    assert render_layers(plain, [layer]).shape == plain.shape


def test_text_effects_draw_something() -> None:
    plain = np.full((120, 240, 3), 255, np.uint8)
    base = {
        "type": "text", "content": "Ab字", "font_size": 48, "font_color": "#000000",
        "left": 10, "top": 10, "width": 220, "height": 100, "alignment": "left",
    }  # fmt: skip
    plain_text = render_layers(plain, [base])
    for extra in (
        {"font_italic": True},
        {"font_under_line": True},
        {"font_line_through": True},
        {"text_stroke": "3px #ff0000ff"},
        {"text_shadow": "4px 4px #0000ff80"},
        {"font_weight": "bold"},
        {"opacity": 0.5},
        {"alignment": "right"},
    ):
        assert not np.array_equal(render_layers(plain, [{**base, **extra}]), plain_text), extra


def test_contrast_helpers() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((120, 120, 120), (120, 120, 120)) == pytest.approx(1.0)
    for color in ((200, 120, 40), (30, 160, 220), (128, 128, 128)):
        for lo, hi in ((0.8, 0.95), (0.0, 0.05), (0.3, 0.35)):
            fitted = fit_contrast(color, lo, hi)
            lum = luminance(fitted)
            assert min((max(lum, v) + 0.05) / (min(lum, v) + 0.05) for v in (lo, hi)) >= 4.5
    # Already fine: unchanged.
    assert fit_contrast((10, 10, 40), 0.8, 0.9) == (10, 10, 40)
    assert parse_color("#abc") == (0xAA, 0xBB, 0xCC, 0xFF)
    assert parse_color("#11223344") == (0x11, 0x22, 0x33, 0x44)
    assert parse_color("nope", (1, 2, 3, 4)) == (1, 2, 3, 4)
