"""The prompt's words for classic wan2.6-image edits: styles, colour grades and editing verbs.

Words are matched in Chinese (as substrings) and English (at word boundaries). :data:`GRADES`
are colour grades as functions (image, strength) → image on float RGB in 0..1; :func:`find_style`
and :func:`find_grades` read a prompt, :func:`scene_prompt` strips these words so the scene
vocabulary does not misread them (水彩 is not 水 water), and :func:`time_grade` re-lights a
picture for interleave mode's successive times of day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from wanstack.engines import interleave
from wanstack.engines.base import RGBImage

Float = npt.NDArray[np.float32]


def _words(*words: str) -> re.Pattern[str]:
    """A pattern matching any of ``words``: Chinese as substrings, English at word boundaries."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        if re.search(r"[\u3400-\u9fff]", word):
            parts.append(re.escape(word))
        else:
            parts.append(r"(?<![a-z])" + re.escape(word).replace(r"\ ", r"[\s-]*") + r"(?![a-z])")
    return re.compile("|".join(parts), re.IGNORECASE)


#: Style words → x-painting style; the first one named in the prompt wins.
STYLE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_words("水彩", "watercolor", "watercolour", "aquarelle"), "<watercolor>"),
    (_words("油画", "oil painting", "oil paint", "impasto"), "<oil painting>"),
    (_words("素描", "铅笔画", "线稿", "速写", "sketch", "pencil drawing", "charcoal"), "<sketch>"),
    (
        _words(
            "国画", "水墨", "中国画", "山水画", "工笔", "ink wash", "chinese painting", "sumi-e"
        ),
        "<chinese painting>",
    ),
    (
        _words(
            "3d卡通", "3D卡通", "三维卡通", "3d cartoon", "pixar", "clay render", "卡通", "cartoon"
        ),
        "<3d cartoon>",
    ),
    (_words("动漫", "动画", "二次元", "日漫", "漫画", "anime", "manga", "ghibli"), "<anime>"),
    (
        _words(
            "扁平插画", "扁平", "矢量插画", "插画", "flat illustration", "vector art", "flat design"
        ),
        "<flat illustration>",
    ),
)
_STYLE_FILLER = _words("风格", "画风", "style", "styled", "in the style of", "的效果")

COLLAGE = _words(
    "拼接", "拼图", "拼贴", "合成一张", "合成", "并排", "组合", "collage", "side by side",
    "combine", "stitch", "grid", "montage",
)  # fmt: skip
OUTPAINT = _words(
    "扩图", "扩展", "外扩", "延展", "扩充画面", "outpaint", "outpainting", "zoom out", "extend",
    "expand", "uncrop", "wider view",
)  # fmt: skip


@dataclass(frozen=True)
class Grade:
    """A colour grade: its words, the function (image, strength) → image, and whether it also
    applies to text to image (the scene renderer already handles warmth, light and time)."""

    name: str
    pattern: re.Pattern[str]
    apply: Callable[[Float, float], Float]
    text_to_image: bool = False


def luma(img: Float) -> Float:
    """Rec. 601 luma of float RGB."""
    return np.asarray(img @ np.array([0.299, 0.587, 0.114], np.float32), dtype=np.float32)


def as_f32(array: Any) -> Float:
    """``array`` as float32 (grades keep float32 end to end)."""
    return np.asarray(array, dtype=np.float32)


def _tint(img: Float, gains: tuple[float, float, float], s: float) -> Float:
    return as_f32(img * (1.0 + s * (np.array(gains, np.float32) - 1.0)))


def _warm(img: Float, s: float) -> Float:
    return _tint(img, (1.09, 1.02, 0.86), s)


def _cool(img: Float, s: float) -> Float:
    return _tint(img, (0.88, 0.99, 1.10), s)


def _mono(img: Float, s: float) -> Float:
    grey = luma(img)[..., None]
    grey = as_f32(np.clip((grey - 0.5) * 1.08 + 0.5, 0.0, 1.0))  # b&w prints have a little punch
    mix = min(1.0, s)
    return as_f32(np.repeat(grey, 3, axis=2) * mix + img * (1.0 - mix))


def _vintage(img: Float, s: float) -> Float:
    grey = luma(img)[..., None]
    sepia = grey * np.array([1.07, 0.95, 0.76], np.float32)
    mix = min(1.0, 0.6 * s)
    out = img * (1 - mix) + sepia * mix
    out = out * (1 - 0.16 * s) + 0.1 * s  # lifted blacks, softer highlights
    return _vignette(as_f32(out), 0.3 * s)


def _brighter(img: Float, s: float) -> Float:
    return as_f32(np.power(np.clip(img, 0.0, 1.0), 1.0 / (1.0 + 0.35 * s)) * (1.0 + 0.04 * s))


def _darker(img: Float, s: float) -> Float:
    return as_f32(np.power(np.clip(img, 0.0, 1.0), 1.0 + 0.4 * s) * (1.0 - 0.06 * s))


def _contrast(img: Float, s: float) -> Float:
    x = np.clip(img, 0.0, 1.0)
    curve = x * x * (3.0 - 2.0 * x)  # smoothstep: an S-curve around mid-grey
    return as_f32(x + (curve - x) * min(1.0, 0.8 * s))


def _saturation(img: Float, amount: float) -> Float:
    grey = luma(img)[..., None]
    return as_f32(grey + (img - grey) * amount)


def _vivid(img: Float, s: float) -> Float:
    return _saturation(img, 1.0 + 0.35 * s)


def _muted(img: Float, s: float) -> Float:
    return as_f32(_saturation(img, 1.0 - 0.3 * s) * (1 - 0.05 * s) + 0.04 * s)


def _sunset(img: Float, s: float) -> Float:
    grey = luma(img)[..., None]
    shadows = np.array([0.92, 0.82, 1.0], np.float32)  # magenta-violet shadows
    highlights = np.array([1.14, 0.98, 0.74], np.float32)  # orange highlights
    gains = shadows * (1.0 - grey) + highlights * grey
    return as_f32(img * (1.0 + s * (gains - 1.0)))


def _vignette(img: Float, amount: float) -> Float:
    h, w = img.shape[:2]
    ys = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    falloff = np.clip(1.0 - amount * (xs * xs + ys * ys) * 0.6, 0.0, 1.0)
    return as_f32(img * falloff[..., None])


GRADES: tuple[Grade, ...] = (
    Grade(
        "mono",
        _words(
            "黑白", "灰度", "单色", "black and white", "b&w", "monochrome", "grayscale", "greyscale"
        ),
        _mono,
        True,
    ),
    Grade(
        "vintage",
        _words(
            "复古",
            "怀旧",
            "老照片",
            "胶片",
            "vintage",
            "retro",
            "sepia",
            "film look",
            "old photo",
            "nostalgic",
        ),
        _vintage,
        True,
    ),
    Grade(
        "sunset",
        _words(
            "日落色调",
            "夕阳色调",
            "黄昏色调",
            "晚霞色调",
            "sunset tone",
            "sunset tones",
            "sunset colors",
            "sunset colours",
            "golden tone",
        ),
        _sunset,
    ),
    Grade("warm", _words("暖色", "暖调", "暖色调", "温暖", "warm", "warmer", "warm tones"), _warm),
    Grade(
        "cool",
        _words("冷色", "冷调", "冷色调", "清冷", "cool", "cooler", "cold tones", "cool tones"),
        _cool,
    ),
    Grade(
        "brighter",
        _words(
            "明亮",
            "提亮",
            "亮一点",
            "亮一些",
            "调亮",
            "变亮",
            "brighter",
            "brighten",
            "lighter",
            "bright",
        ),
        _brighter,
    ),
    Grade(
        "darker",
        _words(
            "暗一点",
            "暗一些",
            "调暗",
            "变暗",
            "压暗",
            "暗调",
            "darker",
            "darken",
            "low key",
            "moody",
        ),
        _darker,
    ),
    Grade(
        "contrast",
        _words(
            "高对比", "对比度", "增强对比", "high contrast", "more contrast", "contrast", "punchy"
        ),
        _contrast,
        True,
    ),
    Grade(
        "vivid",
        _words("鲜艳", "饱和", "浓郁", "vivid", "vibrant", "saturated", "more colorful"),
        _vivid,
    ),
    Grade(
        "muted",
        _words(
            "柔和色调", "低饱和", "淡雅", "莫兰迪", "muted", "desaturated", "pastel tones", "faded"
        ),
        _muted,
    ),
)


def find_style(prompt: str) -> str | None:
    """The x-painting style the prompt asks for (the first one it names), or None."""
    found = [(m.start(), style) for pattern, style in STYLE_WORDS if (m := pattern.search(prompt))]
    return min(found)[1] if found else None


def find_grades(prompt: str, *, text_to_image: bool = False) -> list[Grade]:
    """The colour grades the prompt asks for, in the order of :data:`GRADES`."""
    chosen = [g for g in GRADES if g.pattern.search(prompt)]
    if any(g.name == "sunset" for g in chosen):
        chosen = [g for g in chosen if g.name != "warm"]  # a sunset tone already warms
    if text_to_image:
        chosen = [g for g in chosen if g.text_to_image]
    return chosen


def scene_prompt(prompt: str) -> str:
    """The prompt without its style, grade and editing words, for the scene vocabulary (水彩
    must not read as 水 water, 黑白 as two colours)."""
    text = prompt
    patterns = [p for p, _ in STYLE_WORDS] + [g.pattern for g in GRADES]
    patterns += [_STYLE_FILLER, COLLAGE, OUTPAINT]
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def time_grade(image: RGBImage, step: int) -> RGBImage:
    """Interleave with an input image: the picture re-lit for the ``step``-th time of day."""
    work = image.astype(np.float32) / 255.0
    name = interleave.TIMES[step % len(interleave.TIMES)][1]
    if name == "morning":
        work = _brighter(_cool(work, 0.6), 0.4)
    elif name == "golden hour":
        work = _warm(work, 1.0)
    elif name == "sunset":
        work = _sunset(work, 1.2)
    elif name == "night":
        work = _darker(_cool(_saturation(work, 0.6), 1.2), 1.6)
    return to_u8(work)


def to_u8(work: Float) -> RGBImage:
    return np.asarray(np.clip(work * 255.0 + 0.5, 0, 255), dtype=np.uint8)
