"""wanx2.1-imageedit's drawing functions: doodle, local stylization, cartoon character scenes."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.classic.drawing import cartoon_scene, doodle
from wanstack.engines.classic.materials_local import (
    MATERIALS,
    find_material,
    local_style,
    subject_alpha,
)
from wanstack.engines.classic.scene import parse_prompt, render_scene

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def _shapes(size: int = 256, gap: bool = False) -> tuple[U8, list[Mask]]:
    """Black outlines on white paper (a circle and two rectangles) and their insides."""
    img = np.full((size, size, 3), 255, np.uint8)
    t = max(2, size // 128)
    circle, top, bottom = (
        ((size // 4, size // 3), size // 6),
        ((size // 2, size // 5), (size * 7 // 8, size // 2)),
        ((size // 6, size * 3 // 5), (size * 5 // 6, size * 7 // 8)),
    )
    cv2.circle(img, circle[0], circle[1], (0, 0, 0), t, cv2.LINE_AA)
    cv2.rectangle(img, top[0], top[1], (0, 0, 0), t, cv2.LINE_AA)
    cv2.rectangle(img, bottom[0], bottom[1], (0, 0, 0), t, cv2.LINE_AA)
    if gap:  # a small break in the big rectangle's left side
        img[size * 7 // 10 : size * 7 // 10 + 3, bottom[0][0] - t : bottom[0][0] + t + 1] = 255
    masks = [np.zeros((size, size), np.uint8) for _ in range(3)]
    cv2.circle(masks[0], circle[0], circle[1] - 2 * t, 1, -1)
    cv2.rectangle(
        masks[1],
        (top[0][0] + 2 * t, top[0][1] + 2 * t),
        (top[1][0] - 2 * t, top[1][1] - 2 * t),
        1,
        -1,
    )
    cv2.rectangle(
        masks[2],
        (bottom[0][0] + 2 * t, bottom[0][1] + 2 * t),
        (bottom[1][0] - 2 * t, bottom[1][1] - 2 * t),
        1,
        -1,
    )
    return img, [m.astype(bool) for m in masks]


def _paper(image: U8) -> Mask:
    """Pixels that still look like white paper: bright and grey."""
    spread = image.max(axis=2).astype(int) - image.min(axis=2).astype(int)
    return np.asarray((image.min(axis=2) > 225) & (spread < 14), np.bool_)


def _vase(size: int = 256) -> tuple[U8, Mask]:
    """A rendered tabletop scene with a shaded green vase standing on it, and the vase's mask."""
    scene = render_scene(parse_prompt("wooden table, plaster wall"), (size, size), 2).image
    mask = np.zeros((size, size), np.uint8)
    cx = size // 2
    cv2.ellipse(mask, (cx, int(size * 0.62)), (int(size * 0.17), int(size * 0.2)), 0, 0, 360, 1, -1)
    cv2.rectangle(
        mask,
        (cx - int(size * 0.06), int(size * 0.3)),
        (cx + int(size * 0.06), int(size * 0.5)),
        1,
        -1,
    )
    # Lit from the left like a cylinder: per row, the position across the vase's width.
    rows = mask.any(axis=1)
    left = np.where(rows, mask.argmax(axis=1), 0)
    right = np.where(rows, size - 1 - mask[:, ::-1].argmax(axis=1), 1)
    xs = np.arange(size, dtype=np.float32)[None, :]
    across = np.clip(
        (xs - (left + right)[:, None] / 2) / np.maximum(right - left, 2)[:, None] * 2, -1, 1
    )
    shade = 0.3 + 0.7 * np.clip(-0.5 * across + 0.85 * np.sqrt(1 - across**2), 0, 1)
    vase = np.stack([70 * shade, 140 * shade, 120 * shade], axis=2).astype(np.uint8)
    out = np.where(mask[..., None] > 0, vase, scene).astype(np.uint8)
    return out, mask.astype(bool)


def _character(size: int = 160) -> tuple[U8, tuple[slice, slice]]:
    """A cartoon character sheet: an orange round creature with eyes on a plain cream
    background; and a box well inside its body (only character pixels)."""
    img = np.full((size, size, 3), (250, 248, 240), np.uint8)
    s = size / 320

    def p(x: float, y: float) -> tuple[int, int]:
        return round(x * s), round(y * s)

    def r(v: float) -> int:
        return max(1, round(v * s))

    ink, aa = (30, 24, 40), cv2.LINE_AA
    cv2.ellipse(img, p(160, 175), (r(85), r(105)), 0, 0, 360, (236, 110, 60), -1, aa)
    cv2.ellipse(img, p(160, 175), (r(85), r(105)), 0, 0, 360, ink, r(3), aa)
    cv2.ellipse(img, p(160, 215), (r(48), r(50)), 0, 0, 360, (252, 214, 150), -1, aa)
    for x in (130, 190):
        cv2.circle(img, p(x, 135), r(22), (255, 255, 255), -1, aa)
        cv2.circle(img, p(x + 4, 140), r(10), (20, 20, 30), -1, aa)
    cv2.ellipse(img, p(160, 175), (r(24), r(14)), 0, 10, 170, ink, r(3), aa)
    return img, (slice(round(110 * s), round(240 * s)), slice(round(100 * s), round(220 * s)))


# --------------------------------------------------------------------------------- doodle


def test_doodle_fills_enclosed_shapes_and_keeps_the_ink() -> None:
    sketch, masks = _shapes()
    out = doodle(sketch, "", True, 7)
    assert out.shape == sketch.shape and out.dtype == np.uint8
    paper = _paper(out)
    for mask in masks:
        assert 1.0 - paper[mask].mean() >= 0.9  # painted, not left as paper
    lines = cv2.cvtColor(sketch, cv2.COLOR_RGB2GRAY) < 60
    assert cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[lines].mean() < 80  # the ink stays dark


def test_doodle_is_deterministic_and_keeps_any_size() -> None:
    sketch, _ = _shapes(200)
    sketch = np.ascontiguousarray(sketch[:, :170])
    first = doodle(sketch, "a house", True, 3)
    assert first.shape == (200, 170, 3)
    assert np.array_equal(first, doodle(sketch, "a house", True, 3))


def test_colour_words_steer_the_fill() -> None:
    sketch, masks = _shapes()
    inside = masks[0] | masks[1] | masks[2]

    def redness(prompt: str) -> float:
        out = doodle(sketch, prompt, True, 5).astype(float)
        return float((out[..., 0] - out[..., 2])[inside].mean())

    assert redness("红色") - redness("蓝色") > 40
    assert redness("red") - redness("blue") > 40


def test_a_small_gap_in_a_stroke_does_not_let_the_fill_leak() -> None:
    sketch, masks = _shapes(256, gap=True)
    out = doodle(sketch, "", True, 4).astype(float)
    shapes = (masks[0] | masks[1] | masks[2]).astype(np.uint8)
    outside = ~cv2.dilate(shapes, np.ones((25, 25), np.uint8)).astype(bool)
    inside_colour = out[masks[2]].mean(axis=0)
    outside_colour = out[outside].mean(axis=0)
    assert np.abs(inside_colour - outside_colour).sum() > 60


def test_scribbles_colour_their_region() -> None:
    sketch, masks = _shapes()
    ys, xs = np.nonzero(masks[2])
    for y in range(int(ys.min()) + 4, int(ys.max()) - 4, 6):  # green crayon strokes
        cv2.line(sketch, (int(xs.min()) + 4, y), (int(xs.max()) - 4, y + 3), (90, 190, 90), 3)
    out = doodle(sketch, "", True, 2).astype(float)
    r, g, b = out[masks[2]].mean(axis=0)
    assert g > r + 40 and g > b + 40


def test_photo_line_art_follows_the_photo_edges() -> None:
    photo, _ = _vase()
    out = doodle(photo, "", False, 1)
    assert out.shape == photo.shape
    gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    lines = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((7, 7), np.uint8)) > 40
    assert lines.mean() > 0.003  # there is line art
    edges = cv2.Canny(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), 20, 60)
    near = cv2.distanceTransform((edges == 0).astype(np.uint8), cv2.DIST_L2, 3) <= 3
    assert near[lines].mean() > 0.9  # the lines lie on the photo's edges
    assert near.mean() < 0.35  # which a random pixel mostly does not


def test_photo_mode_colour_words_recolour_the_subject() -> None:
    photo, mask = _vase()
    inner = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    plain = doodle(photo, "", False, 1).astype(float)[inner].mean(axis=0)
    red = doodle(photo, "红色的花瓶", False, 1).astype(float)[inner].mean(axis=0)
    assert plain[1] > plain[0]  # the green vase stays green without a colour word
    assert red[0] - red[1] > plain[0] - plain[1] + 40


# --------------------------------------------------------------------------- local style

WORDS = {
    "ice": ("冰雕", "ice"),
    "cloud": ("云朵", "cloud"),
    "lantern": ("花灯", "lantern"),
    "wooden": ("木板", "wooden"),
    "porcelain": ("青花瓷", "porcelain"),
    "fluffy": ("毛茸茸", "fluffy"),
    "weaving": ("毛线", "knitted yarn"),
    "balloon": ("气球", "balloon"),
}


@pytest.mark.parametrize("material", MATERIALS)
def test_each_material_is_named_in_chinese_and_english(material: str) -> None:
    chinese, english = WORDS[material]
    assert find_material(f"把花瓶变成{chinese}风格", 0) == material
    assert find_material(f"turn the vase into {english} style", 0) == material


def test_the_words_after_into_win_and_the_seed_picks_otherwise() -> None:
    assert find_material("把木马变成气球", 0) == "balloon"  # 木 names the subject here
    assert find_material("make it pretty", 3) == find_material("make it pretty", 3)
    assert {find_material("", seed) for seed in range(8)} == set(MATERIALS)


def test_subject_mask_finds_the_vase() -> None:
    photo, mask = _vase()
    found = subject_alpha(photo, 0) > 0.5
    assert (found & mask).sum() / (found | mask).sum() > 0.75  # GrabCut: close, not exact


@pytest.fixture(scope="module")
def styled() -> dict[str, U8]:
    """Every material on the vase; given with its alpha, so the looks do not depend on how
    well GrabCut finds it (tested above and below)."""
    photo, mask = _vase()
    rgba = np.dstack([photo, mask.astype(np.uint8) * 255])
    return {m: local_style(rgba, WORDS[m][1], 5) for m in MATERIALS}


@pytest.mark.parametrize("material", MATERIALS)
def test_local_style_changes_the_subject_not_the_background(
    material: str, styled: dict[str, U8]
) -> None:
    photo, mask = _vase()
    out = styled[material]
    assert out.shape == photo.shape and out.dtype == np.uint8
    change = np.abs(out.astype(float) - photo.astype(float)).mean(axis=2)
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((31, 31), np.uint8)).astype(bool)
    assert change[mask].mean() > 15
    assert change[far].mean() < 0.2 * change[mask].mean()


def test_materials_have_their_own_look(styled: dict[str, U8]) -> None:
    _, mask = _vase()
    inner = cv2.erode(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    mean = {m: styled[m].astype(float)[inner].mean(axis=0) for m in MATERIALS}
    hsv = {m: cv2.cvtColor(styled[m], cv2.COLOR_RGB2HSV)[inner].astype(float) for m in MATERIALS}
    texture = {
        m: float(
            np.abs(cv2.Laplacian(cv2.cvtColor(styled[m], cv2.COLOR_RGB2GRAY), cv2.CV_32F))[
                inner
            ].mean()
        )
        for m in MATERIALS
    }
    porcelain = styled["porcelain"].astype(int)[inner]
    assert np.mean(porcelain[:, 2] > porcelain[:, 0] + 60) > 0.05  # cobalt ornament
    assert mean["porcelain"].mean() > 170  # on white
    r, g, b = mean["wooden"]
    assert r > g > b and r - b > 40  # brown
    r, g, b = mean["ice"]
    assert (r + g + b) / 3 > 150 and b > r + 15  # bright and cool
    r, g, b = mean["lantern"]
    assert r > g + 60 and r > b + 60  # red
    assert mean["cloud"].mean() > 190 and hsv["cloud"][:, 1].mean() < 50  # white
    assert hsv["balloon"][:, 1].mean() > 130  # saturated latex
    assert texture["fluffy"] > 2 * texture["balloon"]  # fur strands vs smooth latex
    assert texture["weaving"] > 2 * texture["balloon"]  # stitches
    looks = [np.append(mean[m], texture[m] * 4) for m in MATERIALS]
    for i in range(len(looks)):
        for j in range(i + 1, len(looks)):
            assert np.abs(looks[i] - looks[j]).sum() > 30, (MATERIALS[i], MATERIALS[j])


def test_local_style_finds_the_subject_itself_and_is_deterministic() -> None:
    photo, mask = _vase(160)
    out = local_style(photo, "把花瓶变成毛线编织", 3)
    assert np.array_equal(out, local_style(photo, "把花瓶变成毛线编织", 3))
    change = np.abs(out.astype(float) - photo.astype(float)).mean(axis=2)
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((21, 21), np.uint8)).astype(bool)
    assert change[far].mean() < 0.2 * change[mask].mean()


# ------------------------------------------------------------------------ cartoon scene


def _best_match(image: U8, template: U8) -> float:
    """The best normalised correlation of ``template`` in ``image`` over a range of scales."""
    best = -1.0
    for scale in np.arange(0.8, 3.01, 0.05):
        size = (round(template.shape[1] * scale), round(template.shape[0] * scale))
        if size[0] >= image.shape[1] or size[1] >= image.shape[0]:
            break
        scaled = cv2.resize(template, size, interpolation=cv2.INTER_CUBIC)
        best = max(best, float(cv2.matchTemplate(image, scaled, cv2.TM_CCOEFF_NORMED).max()))
    return best


def test_cartoon_scene_keeps_the_character_in_a_new_scene() -> None:
    character, body = _character()
    out = cartoon_scene(character, "卡通形象在森林里玩耍", (320, 240), 11)
    assert out.shape == (240, 320, 3)
    assert _best_match(out, np.ascontiguousarray(character[body])) > 0.9
    orange = np.abs(out.astype(int) - (236, 110, 60)).sum(axis=2) < 30
    assert 0.03 < orange.mean() < 0.4
    # The scene is new: away from the character, it is not the cream sheet any more.
    cream = np.abs(out.astype(int) - (250, 248, 240)).sum(axis=2) < 20
    assert cream.mean() < 0.1


def test_cartoon_scene_is_deterministic_per_seed() -> None:
    character, _ = _character(120)
    first = cartoon_scene(character, "cartoon character on the beach", (192, 160), 1)
    assert np.array_equal(
        first, cartoon_scene(character, "cartoon character on the beach", (192, 160), 1)
    )
    other = cartoon_scene(character, "cartoon character on the beach", (192, 160), 2)
    assert np.abs(first.astype(int) - other.astype(int)).mean() > 3


def test_cartoon_scene_cuts_a_character_out_of_a_busy_reference() -> None:
    photo, _ = _vase(160)  # no plain background: saliency and GrabCut find the subject
    out = cartoon_scene(photo, "城市街道", (200, 150), 0)
    assert out.shape == (150, 200, 3)
    green = (out[..., 1].astype(int) > out[..., 0].astype(int) + 40) & (out[..., 1] > 60)
    assert green.mean() > 0.02  # the green vase is there
