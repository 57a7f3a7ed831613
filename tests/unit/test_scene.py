"""The prompt vocabulary and the procedural scene renderer."""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np
import pytest

from wanstack.engines.classic.scene import (
    BY_NAME,
    CONCEPTS,
    KINDS,
    Footprint,
    Scene,
    SceneSpec,
    concept_counts,
    parse_prompt,
    render_scene,
)

SEED_PROMPTS = {
    "山脉和晚霞": {"mountains", "sunset"},
    "在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线": {
        "desert",
        "plants",
        "sunset",
        "detailed",
        "soft light",
    },
    "粉色桃花": {"pink", "peach blossom"},
    "可爱小狗": {"cute", "dog"},
    "树叶": {"leaves"},
}


# ------------------------------------------------------------------ vocabulary as data


def test_at_least_150_scene_concepts() -> None:
    scene = [c for c in CONCEPTS if c.kind != "meta"]
    assert len(scene) >= 150
    counts = concept_counts()
    assert counts["color"] >= 20
    for kind in ("backdrop", "surface", "prop", "sky", "terrain", "element", "light", "mood"):
        assert counts.get(kind, 0) >= 5, kind


def test_concepts_are_well_formed() -> None:
    assert len(BY_NAME) == len(CONCEPTS), "concept names are unique"
    for c in CONCEPTS:
        assert c.kind in KINDS, c
        assert c.words, c.name
        assert all(w and w == w.strip() for w in c.words), c.name
        assert all(w == w.lower() for w in c.words), c.name
        if c.kind == "color":
            rgb = c.params["rgb"]
            assert isinstance(rgb, tuple) and len(rgb) == 3


def test_every_concept_has_chinese_and_english_words() -> None:
    for c in CONCEPTS:
        if c.kind == "meta":
            continue
        assert any(not w.isascii() for w in c.words), f"{c.name}: no Chinese word"
        assert any(w.isascii() for w in c.words), f"{c.name}: no English word"


def test_no_word_maps_to_two_concepts() -> None:
    """A trigger word belongs to one concept only: matching is then unambiguous. (Across kinds
    too: the same word as a colour and as an element would be a silent precedence rule.)"""
    owners: dict[str, list[str]] = defaultdict(list)
    for c in CONCEPTS:
        for w in c.words:
            owners[w].append(c.name)
    dupes = {w: names for w, names in owners.items() if len(names) > 1}
    assert not dupes


def test_each_concept_is_found_by_its_own_words() -> None:
    for c in CONCEPTS:
        if c.kind == "meta":
            continue
        for w in c.words:
            spec = parse_prompt(w)
            assert c.name in spec.concepts, (c.name, w, spec.concepts)


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("leaves", "leaves"),
        ("mountains", "mountains"),
        ("flowers", "flowers"),
        ("podiums", "podium"),
        ("cities", "city"),
        ("bubbles", "bubbles"),
    ],
)
def test_plurals(word: str, name: str) -> None:
    assert name in parse_prompt(word).concepts


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("prompt", "expected"), list(SEED_PROMPTS.items()))
def test_seed_prompts_parse(prompt: str, expected: set[str]) -> None:
    spec = parse_prompt(prompt)
    assert expected <= set(spec.concepts), spec.concepts
    assert not spec.is_default
    assert spec.unknown == ()


def test_mountains_at_sunset_is_an_outdoor_scene() -> None:
    spec = parse_prompt("山脉和晚霞")
    assert spec.layout == "outdoor"
    assert spec.time_of_day == "sunset"
    assert "mountains" in spec.terrains
    assert spec.backlit and spec.light_warmth > 0.3
    assert spec.ground


def test_desert_prompt_details() -> None:
    spec = parse_prompt("在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线")
    assert spec.surface == "sand"
    assert spec.time_of_day == "sunset"
    plants = [e for e in spec.elements if e.name == "plants"]
    assert plants and plants[0].placement == "horizon"  # 远处 = in the distance
    assert spec.detail >= 0.85
    assert spec.light_softness >= 0.9


def test_colour_binds_to_the_following_concept() -> None:
    spec = parse_prompt("粉色桃花")
    blossom = next(e for e in spec.elements if e.name == "peach blossom")
    assert blossom.color == BY_NAME["pink"].params["rgb"]
    assert spec.layout == "studio"
    spec = parse_prompt("white marble tabletop, soft light")
    assert spec.surface == "marble"
    assert spec.surface_color == BY_NAME["white"].params["rgb"]


def test_longest_match_first() -> None:
    assert parse_prompt("桃花").concepts == ("peach blossom",)
    assert parse_prompt("city lights").concepts == ("city lights",)
    assert parse_prompt("雪山").concepts == ("snowy mountains",)
    assert parse_prompt("蓝天").concepts == ("clear sky",)  # not the colour 蓝
    assert "light blue" in parse_prompt("light blue backdrop").concepts


def test_colour_modifiers() -> None:
    pale = parse_prompt("浅粉色").colors[0]
    deep = parse_prompt("深粉色").colors[0]
    pink = BY_NAME["pink"].params["rgb"]
    assert isinstance(pink, tuple)
    assert sum(pale) > sum(pink) > sum(deep)


def test_english_words_need_word_boundaries() -> None:
    spec = parse_prompt("seashore")  # contains "sea" and "shore" only inside one word
    assert "sea" not in spec.concepts
    assert parse_prompt("skyscraper").concepts == ()


def test_negative_removes_concepts_and_colours() -> None:
    spec = parse_prompt("flowers and leaves on marble", negative="flowers")
    assert "flowers" not in spec.concepts
    assert "leaves" in spec.concepts
    assert spec.removed == ("flowers",)
    assert all(e.name != "flowers" for e in spec.elements)
    spec = parse_prompt("山脉和晚霞", negative="晚霞")
    assert spec.time_of_day == "day"
    spec = parse_prompt("红色背景", negative="red")
    assert spec.colors == ()


def test_negative_removes_implied_elements() -> None:
    spec = parse_prompt("autumn", negative="fallen leaves")
    assert not any(e.name == "autumn leaves" for e in spec.elements)


@pytest.mark.parametrize("prompt", ["", "   ", "xyzzy foo", "，。！", "🙂🙂", "背景"])
def test_unknown_or_empty_prompts_give_the_default(prompt: str) -> None:
    spec = parse_prompt(prompt)
    assert spec.is_default
    assert spec.layout == "studio" and spec.backdrop == "studio"
    assert spec.ground and not spec.outdoor
    assert sum(spec.backdrop_color) / 3 > 200  # light and neutral
    assert max(spec.backdrop_color) - min(spec.backdrop_color) < 20


def test_unknown_words_are_listed() -> None:
    spec = parse_prompt("xyzzy marble foo 神秘的东西")
    assert "marble" in spec.concepts
    assert "xyzzy" in spec.unknown and "foo" in spec.unknown
    assert any("神秘" in u for u in spec.unknown)
    assert not spec.is_default


def test_parse_never_raises_on_odd_input() -> None:
    for p in ["\x00", "a" * 5000, "海" * 300, "light", "dark dark dark", "-", "粉粉粉色色"]:
        assert isinstance(parse_prompt(p, negative=p), SceneSpec)


def test_layouts() -> None:
    assert parse_prompt("pink pastel studio with podium").layout == "studio"
    assert parse_prompt("pink pastel studio with podium").props == ("podium",)
    assert parse_prompt("wooden table in a sunny kitchen").layout == "tabletop"
    assert parse_prompt("beach at sunset").layout == "outdoor"
    sky = parse_prompt("蓝天白云")
    assert sky.layout == "sky" and not sky.ground


# ------------------------------------------------------------------------------ rendering


@pytest.fixture(scope="module")
def specs() -> list[SceneSpec]:
    return [
        parse_prompt(p)
        for p in [
            *SEED_PROMPTS,
            "city lights at night bokeh",
            "white marble tabletop",
            "pink studio with podium and steps",
            "蓝天白云",
            "lake with forest",
            "",
        ]
    ]


@pytest.mark.parametrize("size", [(333, 517), (64, 48), (517, 333), (9, 9), (1, 1), (3, 700)])
def test_exact_sizes(size: tuple[int, int], specs: list[SceneSpec]) -> None:
    for spec in specs:
        scene = render_scene(spec, size, seed=3)
        assert scene.image.shape == (size[1], size[0], 3)
        assert scene.image.dtype == np.uint8
        assert 0 <= scene.floor_y < size[1]


def test_deterministic_and_seed_dependent(specs: list[SceneSpec]) -> None:
    for spec in specs:
        a = render_scene(spec, (160, 120), seed=11)
        b = render_scene(spec, (160, 120), seed=11)
        c = render_scene(spec, (160, 120), seed=12)
        assert np.array_equal(a.image, b.image), spec.prompt
        assert (a.floor_y, a.horizon_y, a.light_dir) == (b.floor_y, b.horizon_y, b.light_dir)
        assert not np.array_equal(a.image, c.image), spec.prompt


def test_v3_differs_from_v2() -> None:
    spec = parse_prompt("white marble tabletop")
    a = render_scene(spec, (200, 200), seed=1, quality="v2")
    b = render_scene(spec, (200, 200), seed=1, quality="v3")
    assert a.image.shape == b.image.shape
    assert not np.array_equal(a.image, b.image)


def test_scene_fields_follow_the_spec(specs: list[SceneSpec]) -> None:
    for spec in specs:
        scene = render_scene(spec, (240, 200), seed=5)
        assert isinstance(scene, Scene)
        assert scene.ground == spec.ground
        assert scene.glossy == spec.glossy
        assert (scene.horizon_y is None) == (spec.layout in ("studio", "sky")), spec.prompt
        if scene.horizon_y is not None:
            assert 0 < scene.horizon_y < scene.floor_y < 200
        dx, dy = scene.light_dir
        assert abs(dx * dx + dy * dy - 1) < 1e-6
        assert scene.light_warmth == spec.light_warmth
    sunset = render_scene(parse_prompt("山脉和晚霞"), (240, 200), seed=5)
    assert sunset.light_dir[1] > 0  # backlit: shadows fall toward the viewer


def test_podium_sets_the_floor() -> None:
    scene = render_scene(parse_prompt("pink pastel studio with podium"), (400, 400), seed=1)
    assert scene.podium is not None
    cx, top, half = scene.podium
    assert scene.floor_y == top and scene.floor_x == cx and half > 0


def test_scenes_are_not_flat(specs: list[SceneSpec]) -> None:
    for spec in specs:
        img = render_scene(spec, (256, 256), seed=2).image.astype(np.float32)
        assert img.std() > 2.0, spec.prompt  # a gradient at least
        assert img.mean() > 10, spec.prompt


def test_colour_reaches_the_image() -> None:
    img = render_scene(parse_prompt("浅蓝色渐变背景"), (128, 128), seed=1).image.astype(int)
    r, b = img[..., 0].mean(), img[..., 2].mean()
    assert b > r + 10
    img = render_scene(parse_prompt("pink studio"), (128, 128), seed=1).image.astype(int)
    assert img[..., 0].mean() > img[..., 1].mean() + 5


# ------------------------------------------------------------------ footprint anchoring


def _fp(size: int, cx: float, bottom: float, half: float, top: float) -> Footprint:
    return Footprint(
        cx=int(size * cx),
        bottom=int(size * bottom),
        half_width=int(size * half),
        top=int(size * top),
    )


@pytest.mark.parametrize(
    "prompt",
    [
        "pink pastel studio with podium",
        "pink studio with podium and steps",
        "beige cube plinth",
        "wooden tray on linen",
        "marble podium on a beach at sunset",
    ],
)
@pytest.mark.parametrize(("cx", "bottom"), [(0.5, 0.86), (0.35, 0.7), (0.62, 0.5)])
def test_stand_is_built_under_the_product(prompt: str, cx: float, bottom: float) -> None:
    fp = _fp(400, cx, bottom, 0.09, bottom - 0.35)
    scene = render_scene(parse_prompt(prompt), (400, 400), seed=4, footprint=fp)
    assert scene.podium is not None, prompt
    px, top, half = scene.podium
    assert (px, top) == (fp.cx, fp.bottom)
    assert half >= 1.15 * fp.half_width
    assert (scene.floor_x, scene.floor_y) == (fp.cx, fp.bottom)


@pytest.mark.parametrize(
    "prompt", ["white marble tabletop, soft light", "wooden table in a sunny kitchen"]
)
@pytest.mark.parametrize("bottom", [0.86, 0.62, 0.45, 0.2])
def test_table_edge_lies_above_the_product(prompt: str, bottom: float) -> None:
    fp = _fp(300, 0.5, bottom, 0.1, max(0.0, bottom - 0.3))
    scene = render_scene(parse_prompt(prompt), (300, 300), seed=9, footprint=fp)
    assert scene.horizon_y is not None
    assert 0 < scene.horizon_y < fp.bottom
    assert (scene.floor_x, scene.floor_y) == (fp.cx, fp.bottom)


@pytest.mark.parametrize(
    "prompt",
    ["山脉和晚霞", "在沙漠的地面上，远处有植物和落日", "beach at sunset", "lake with forest"],
)
@pytest.mark.parametrize("bottom", [0.9, 0.55, 0.3])
def test_outdoor_horizon_lies_above_the_product(prompt: str, bottom: float) -> None:
    fp = _fp(256, 0.45, bottom, 0.12, max(0.0, bottom - 0.4))
    scene = render_scene(parse_prompt(prompt), (256, 256), seed=2, footprint=fp)
    assert scene.horizon_y is not None
    assert 0 < scene.horizon_y < fp.bottom
    assert scene.floor_y == fp.bottom


def test_a_low_product_keeps_the_default_layout() -> None:
    """A product standing where the default floor is changes nothing about the horizon."""
    for prompt in ("white marble tabletop", "山脉和晚霞"):
        spec = parse_prompt(prompt)
        plain = render_scene(spec, (320, 320), seed=6)
        fp = _fp(320, 0.5, 0.88, 0.1, 0.6)
        anchored = render_scene(spec, (320, 320), seed=6, footprint=fp)
        assert anchored.horizon_y == plain.horizon_y


def test_without_a_footprint_nothing_changes() -> None:
    spec = parse_prompt("pink pastel studio with podium")
    a = render_scene(spec, (300, 240), seed=3)
    b = render_scene(spec, (300, 240), seed=3, footprint=None)
    assert np.array_equal(a.image, b.image)
    assert a.podium is not None and a.podium[0] == 150 and a.floor_x == 150
    assert a.floor_y == a.podium[1]


@pytest.mark.parametrize(
    "fp",
    [
        Footprint(cx=100, bottom=199, half_width=100, top=0),  # fills the frame
        Footprint(cx=100, bottom=20, half_width=30, top=2),  # sits at the very top
        Footprint(cx=-50, bottom=500, half_width=0, top=600),  # nonsense: clamped
    ],
)
def test_extreme_footprints_are_clamped(fp: Footprint) -> None:
    for prompt in ("pink pastel studio with podium", "white marble tabletop", "山脉和晚霞", ""):
        scene = render_scene(parse_prompt(prompt), (200, 200), seed=1, footprint=fp)
        assert scene.image.shape == (200, 200, 3)
        assert 0 <= scene.floor_y < 200 and 0 <= scene.floor_x < 200
        if scene.horizon_y is not None:
            assert 0 < scene.horizon_y <= scene.floor_y
        if scene.podium is not None:
            assert 0 < scene.podium[2] <= 200


def _detail(img: np.ndarray) -> np.ndarray:
    """Per-pixel high-frequency energy: what elements add to a smooth backdrop."""
    f = img.astype(np.float32)
    smooth = cv2.GaussianBlur(f, (0, 0), 6.0)
    return np.abs(f - smooth).sum(axis=2)


def test_elements_stay_out_of_the_products_box() -> None:
    """Scattered elements avoid the product's box (an off-centre one, where they would
    otherwise fall): what they add there is a fraction of what they add without a footprint."""
    size = 400
    fp = Footprint(cx=120, bottom=330, half_width=60, top=120)
    box = (slice(fp.top, fp.bottom), slice(fp.cx - fp.half_width, fp.cx + fp.half_width))
    busy, plain = parse_prompt("confetti and pink petals"), parse_prompt("pink studio")
    kept, free = [], []
    for seed in range(6):
        base = _detail(render_scene(plain, (size, size), seed=seed).image)[box].mean()
        with_fp = render_scene(busy, (size, size), seed=seed, footprint=fp).image
        without = render_scene(busy, (size, size), seed=seed).image
        kept.append(float(_detail(with_fp)[box].mean() - base))
        free.append(float(_detail(without)[box].mean() - base))
    assert np.mean(kept) < 0.4 * np.mean(free)
