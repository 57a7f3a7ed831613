"""Classical colourization for ``wanx2.1-imageedit``'s ``colorization``.

* :func:`colorize` keeps the input's lightness (Lab L) and paints plausible chroma from the
  picture's layout: smooth areas reaching the top edge are sky (blue), textured areas that are
  not bright are foliage (green), the lower part is ground (darker and textured: lawn green;
  darker and smooth: slate water; lighter: sand), the rest of the middle warm (skin, wood,
  walls); near-black and near-white stay neutral. Colour words in the prompt (Chinese or English:
  红/red, 蓝/blue, 金色/gold …, from the scene vocabulary) steer it, tied to a region noun when one
  follows or precedes them ("蓝天", "green grass", "天空是蓝色的", "金色的沙滩"); an untied word
  colours the middle and casts a little over everything. The layout's class weights and the
  chroma are spread with guided filters on the lightness, so colour follows the picture's edges
  and varies smoothly, without blotches. ``seed`` turns and scales the palette slightly (results
  of n > 1 differ). A colourful input is recoloured from its lightness, its own colours dropped:
  that is what the service does with any input. About 0.1 s for a 1024² input.

What a classical method cannot do: a learned colouriser knows that a banana is
yellow, a face skin-coloured and a sunset orange wherever they are; :func:`colorize` knows only
the layout (brightness, texture, position) and the prompt's colour words, so objects take the
colour of the region class they resemble (a dark calm sea may come out as a lawn, snow as sand).
"""

from __future__ import annotations

import math
import re

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage
from wanstack.engines.classic.scene import CONCEPTS

Float = npt.NDArray[np.float32]

#: layout classes; ground: darker and textured (lawn, earth), sand: lighter, water: darker
#: and smooth (sea, lake, road), subject: the rest of the middle and top
SKY, FOLIAGE, GROUND, SAND, WATER, SUBJECT = range(6)
GRASS, CLOUD = 6, 7  #: words for grass colour foliage and ground; cloud colours are ignored
#: the chroma (Lab a, b) of each class without a colour word in the prompt
DEFAULT_CHROMA = np.array(
    [(-4.0, -30.0), (-22.0, 28.0), (-10.0, 26.0), (9.0, 22.0), (-5.0, -12.0), (12.0, 17.0)],
    np.float32,
)
#: region nouns a colour word can be tied to ("蓝天", "green grass", "沙滩是金色的")
#: (space-separated: Chinese matched as substrings, English at word boundaries)
REGION_WORDS: tuple[tuple[int, str], ...] = (
    (SKY, "天空 天 晴空 sky skies"),
    (GRASS, "草地 草坪 草 grass lawn meadow meadows"),
    (CLOUD, "云朵 云彩 云 cloud clouds"),
    (FOLIAGE, "树林 树木 树叶 树 森林 叶子 叶 植物 tree trees forest leaf leaves foliage bush"),
    (
        GROUND,
        "地面 土地 沙滩 沙漠 沙 土 道路 路 田野 麦田 田 山 岩石 石头 ground earth soil sand beach "
        "desert road path field fields mountain mountains rock rocks",
    ),
    (WATER, "水面 海面 大海 海 湖 河 水 water sea ocean lake river"),
)
#: words that say "black and white" about the input, not a colour for the output
_NOT_COLOURS = re.compile(
    r"黑白|灰度|单色|black[\s-]*(?:and|&)[\s-]*white|b\s*&\s*w|gr[ae]yscale|monochrome",
    re.IGNORECASE,
)
UNBOUND_TINT = 0.25  #: share of an untied colour word in every region's chroma (an overall cast)
WORD_CHROMA = 0.85  #: a colour word's chroma, relative to that of its named colour
WORK_SIDE = 256  #: the chroma layout is computed at this size (it is smooth anyway)
#: Lab's blue turns violet when lightened, and the scene vocabulary's green is a cool leaf
#: green: as a sky or a lawn these read better
CHROMA_OVERRIDES = {"blue": (-6.0, -36.0), "light blue": (-6.0, -24.0), "green": (-27.0, 30.0)}
NEUTRAL_DARK = (0.03, 0.2)  #: lightness (0–1) over which colour fades in from black
NEUTRAL_LIGHT = (0.75, 0.98)  #: … and out towards white (sky: ``NEUTRAL_SKY``)
NEUTRAL_SKY = (0.85, 0.99)


def _is_cjk(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in word)


def _find(text: str, words: list[tuple[str, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, value) matches of ``words`` in ``text``, longest first:
    Chinese as substrings, English at word boundaries."""
    taken = bytearray(len(text))
    found: list[tuple[int, int, int]] = []
    for word, value in sorted(words, key=lambda e: -len(e[0])):
        pattern = re.escape(word) if _is_cjk(word) else rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        for m in re.finditer(pattern, text):
            a, b = m.span()
            if not any(taken[a:b]):
                taken[a:b] = b"\x01" * (b - a)
                found.append((a, b, value))
    return sorted(found)


def _colour_words() -> tuple[list[tuple[str, int]], Float]:
    """The scene vocabulary's colour words (Chinese and English) → index, and per index the
    colour's chroma (Lab a, b; ``CHROMA_OVERRIDES`` where a product colour makes a poor
    landscape one)."""
    words: list[tuple[str, int]] = []
    chroma: list[tuple[float, float]] = []
    for concept in CONCEPTS:
        rgb = concept.params.get("rgb")
        if concept.kind == "color" and isinstance(rgb, tuple) and len(rgb) == 3:
            words += [(word, len(chroma)) for word in concept.words]
            pixel = np.array([[rgb]], np.float32) / 255.0
            lab = np.asarray(cv2.cvtColor(pixel, cv2.COLOR_RGB2Lab), np.float32)[0, 0]
            chroma.append(CHROMA_OVERRIDES.get(concept.name, (float(lab[1]), float(lab[2]))))
    return words, np.array(chroma, np.float32)


_COLOUR_WORDS, _COLOUR_CHROMA = _colour_words()
_REGION_WORDS = [(word, region) for region, words in REGION_WORDS for word in words.split()]


def palette(prompt: str, seed: int) -> tuple[Float, Float]:
    """The chroma (a, b) of each layout class for ``prompt``, and the overall cast (a, b; zero
    without an untied colour word). A colour word is tied to the nearest region noun in its
    clause (after it first: "蓝天", "blue sky"; else before it: "天空是蓝色的"); an untied
    colour goes to the subject class and, at ``UNBOUND_TINT``, over everything."""
    chroma = DEFAULT_CHROMA.copy()
    cast = np.zeros(2, np.float32)
    text = _NOT_COLOURS.sub(" ", prompt.lower())
    for clause in re.split(r"[,，。;；!！?？、\n]|\band\b|和|与", text):
        colours = _find(clause, _COLOUR_WORDS)
        regions = _find(clause, _REGION_WORDS)
        tied: dict[int, int] = {}  # colour match → region match
        # a region noun right after a colour word takes it ("蓝天", "blue sky", "红色的裙子")
        for i, (_, end, _) in enumerate(colours):
            nxt = colours[i + 1][0] if i + 1 < len(colours) else len(clause)
            after = [j for j, r in enumerate(regions) if end <= r[0] < nxt and r[0] - end <= 6]
            if after:
                tied[i] = after[0]
        # else one right before it that no colour has taken ("天空是蓝色的")
        for i, (start, _, _) in enumerate(colours):
            before = [j for j, r in enumerate(regions) if r[1] <= start and start - r[1] <= 6]
            if i not in tied and before and before[-1] not in tied.values():
                tied[i] = before[-1]
        for i, (_, _, colour) in enumerate(colours):
            a, b = WORD_CHROMA * _COLOUR_CHROMA[colour]
            if i in tied:
                region = regions[tied[i]][2]
                if region == GRASS:
                    chroma[[FOLIAGE, GROUND, SAND]] = (a, b)
                elif region == GROUND:
                    chroma[[GROUND, SAND]] = (a, b)
                elif region != CLOUD:  # clouds are bright: they stay near white anyway
                    chroma[region] = (a, b)
                continue
            chroma[SUBJECT] = (a, b)
            if not cast.any():
                cast[:] = (a, b)
    # the seed turns the palette a little (n > 1 results differ) and scales its strength
    rng = np.random.default_rng(seed)
    turn, gain = rng.uniform(-0.12, 0.12), rng.uniform(0.92, 1.1)
    rot = gain * np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return (chroma @ rot.T).astype(np.float32), (cast @ rot.T).astype(np.float32)


def _smoothstep(x: Float, lo: float, hi: float) -> Float:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float32)


def layout(light: Float) -> Float:
    """Soft weights (H×W×6, summing to 1) of the layout classes for lightness ``light`` (0–1).

    Sky: bright, smooth and connected to the top edge. Foliage: textured and not bright. The
    rest of the lower part: ground where darker and a little textured, water where darker and
    smooth, sand where lighter. Subject: the rest of the upper and middle part."""
    h = light.shape[0]
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    # 1. texture: local spread of the fine detail
    fine = light - cv2.GaussianBlur(light, (0, 0), 1.5)
    spread = np.sqrt(cv2.GaussianBlur(fine * fine, (0, 0), 1.2))
    texture = _smoothstep(spread, 0.004, 0.02)
    # 2. sky: smooth, not dark areas in the upper part that reach the top edge
    candidate = ((light > 0.2) & (texture < 0.5) & (y < 0.8)).astype(np.uint8)
    _, labels = cv2.connectedComponents(candidate, connectivity=4)
    top = np.unique(labels[:2][candidate[:2] > 0])
    sky = np.isin(labels, top[top > 0]).astype(np.float32)
    # 3. the rest by texture, lightness and height
    foliage = (1.0 - sky) * texture * (1.0 - _smoothstep(light, 0.6, 0.88))
    rest = 1.0 - sky - foliage
    lower = rest * _smoothstep(y, 0.45, 0.8)
    sandy = _smoothstep(light, 0.5, 0.75)
    rough = _smoothstep(spread, 0.0015, 0.005)
    dark = lower * (1.0 - sandy)
    weights = np.stack(
        [sky, foliage, dark * rough, lower * sandy, dark * (1.0 - rough), rest - lower], axis=-1
    )
    # 4. edge-aware spreading: a pixel takes the classes of its neighbours of like lightness
    #    (the smooth band between a treeline and the sky is sky, not a class of its own)
    spread_w = cv2.ximgproc.guidedFilter(light, weights, 12, 4e-3)
    spread_w = np.clip(np.asarray(spread_w, np.float32), 0.0, None)
    result: Float = spread_w / np.maximum(spread_w.sum(axis=-1, keepdims=True), 1e-6)
    return result


def _fit_gamut(light: Float, a: Float, b: Float) -> Float:
    """Float RGB (0–1) for Lab (``light`` 0–100, ``a``, ``b``): where a colour falls outside
    sRGB its chroma is reduced (never its lightness), so the L channel stays the input's."""
    out = np.zeros((*light.shape, 3), np.float32)
    todo = np.ones(light.shape, bool)
    for scale in (1.0, 0.85, 0.7, 0.55, 0.4, 0.25, 0.1, 0.0):
        lab = np.stack([light, a * scale, b * scale], axis=-1)
        rgb = np.asarray(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), np.float32)
        ok = todo & np.all((rgb >= -0.5 / 255) & (rgb <= 1.0 + 0.5 / 255), axis=-1)
        out[ok] = rgb[ok]
        todo &= ~ok
        if not todo.any():
            break
    out[todo] = rgb[todo]
    return out


def colorize(image: RGBImage, prompt: str, seed: int) -> RGBImage:
    """A colour version of ``image`` with its lightness (Lab L) kept; see the module docstring.

    A colourful input is recoloured from its lightness. About 0.3 s for a 1024² input."""
    h, w = image.shape[:2]
    # 1. the input's lightness: everything else is replaced
    lab = cv2.cvtColor(image[..., :3].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    light = np.ascontiguousarray(lab[..., 0], dtype=np.float32)
    guide = np.asarray(light / 100.0, np.float32)

    # 2. the layout and the palette at a small size: chroma varies slowly
    scale = min(1.0, WORK_SIDE / max(h, w))
    small_size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = np.asarray(cv2.resize(guide, small_size, interpolation=cv2.INTER_AREA), np.float32)
    weights = layout(small)
    chroma, cast = palette(prompt, seed)
    if cast.any():
        chroma = (1.0 - UNBOUND_TINT) * chroma + UNBOUND_TINT * cast
    # near-black and near-white stay neutral, as in real photographs (a pale sky less so)
    fade = _smoothstep(small, *NEUTRAL_DARK)
    ground = fade * (1.0 - _smoothstep(small, *NEUTRAL_LIGHT))
    sky = weights[..., SKY] * fade * (1.0 - _smoothstep(small, *NEUTRAL_SKY))
    rest = weights[..., SKY + 1 :] @ chroma[SKY + 1 :]
    ab = sky[..., None] * chroma[SKY] + ground[..., None] * rest

    # 3. edge-aware smoothing: chroma follows the lightness edges (guided filter), no blotches
    ab = np.asarray(cv2.ximgproc.guidedFilter(small, ab.astype(np.float32), 4, 1e-3), np.float32)
    ab = np.asarray(cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    radius = max(2, round(2 / scale))
    ab = np.asarray(cv2.ximgproc.guidedFilter(guide, ab, radius, 1e-3), np.float32)

    # 4. back to RGB inside the gamut, lightness untouched
    rgb = _fit_gamut(light, np.ascontiguousarray(ab[..., 0]), np.ascontiguousarray(ab[..., 1]))
    result: RGBImage = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return result
