"""Classic wan2.6-image (CPU, no model weights): text to image, image editing, interleaved stories.

**Text to image** (no input image): the prompt's scene is drawn by the procedural scene renderer
of background generation (:mod:`~wanstack.engines.classic.scene`, driven by its prompt
vocabulary) at exactly ``size``; result ``i`` uses seed
``seed + i``. A style word in the prompt (水彩/watercolor, 油画/oil painting, 素描/sketch,
国画/水墨/ink wash, 动漫/anime, 3D卡通/3d cartoon, 扁平插画/flat illustration) renders the scene
in that x-painting style (:func:`~wanstack.engines.classic.styles.apply_style`); 黑白/black and
white, 复古/vintage and 高对比/high contrast grade it.

**Editing** (1–4 input images) does what classical tools can, chosen from the prompt's words
(Chinese or English), in this order:

1. the base picture: with several images and 拼接/拼图/合成/并排/collage/side by side/combine, a
   tidy collage of all of them; else, when the first image has real transparency (a cutout), a
   **background swap**: the cutout staged in a scene rendered from the prompt, with its contact
   and cast shadows (the background-generation engine's staging; opaque pixels are kept bit for
   bit when the cutout already has the output size); else the first image, with any later
   cutouts (images with transparency) composited onto it;
2. fitting to ``size``: cover-crop, or **outpaint** (the canvas is extended with the picture's
   mirrored border, defocused more the farther it is from the picture, plus matching grain) when
   the prompt says 扩图/扩展/outpaint/zoom out or when a crop would lose more than a third of it;
3. a style, as for text to image;
4. colour grades: 暖色/warm, 冷色/cool, 复古/vintage, 黑白/black and white, 明亮/brighter,
   暗/darker, 高对比/contrast, 日落色调/sunset tone, 鲜艳/vivid, 柔和/muted.

Results ``i > 0`` of an edit vary the grade's strength and the outpaint grain (a background swap
also gets a different scene); an edit with no grade, style or swap gives ``n`` equal images.

**Interleave** (text and images alternate): ``max_images`` images, each with a short caption
("第1步：…" / "Step 1: …"). A prompt with several clauses gets one image per clause; otherwise
the scene is shown at successive times of day (outdoor scenes) or in successive variations.

Limitations (what a generative model does and this engine cannot): it does not add, remove or
move objects, change a pose, expression or clothing, draw text, people or specific things the
scene vocabulary does not know (they degrade to the nearest concept or the studio default),
follow a reference image's content into a new scene, or transfer a style from one input image to
another. Such prompts still get the honest edit above: the input fitted to the size and graded or
stylised as far as the prompt's words allow.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines import interleave
from wanstack.engines.base import CancelToken, ImageItem, RGBAImage, RGBImage
from wanstack.engines.classic.grades import (
    COLLAGE,
    OUTPAINT,
    as_f32,
    find_grades,
    find_style,
    luma,
    scene_prompt,
    time_grade,
    to_u8,
)
from wanstack.engines.classic.scene import parse_prompt, render_scene
from wanstack.engines.classic.staging import render_background, stage_subject, wide_blur
from wanstack.engines.classic.styles import apply_style
from wanstack.engines.framing import contain, cover
from wanstack.engines.requests import BackgroundRequest, ImageGenRequest

Float = npt.NDArray[np.float32]

QUALITY = "v3"  #: scene renderer quality (v3 is finer and, at these sizes, as fast as v2)
MAX_CROP_LOSS = 1 / 3  #: a cover crop that would lose more than this outpaints instead
SEED_MOD = 2**31


def has_alpha(image: RGBAImage) -> bool:
    """Real transparency: a visible subject and a transparent part, each at least 2 %."""
    if image.ndim != 3 or image.shape[2] < 4:
        return False
    alpha = image[..., 3]
    transparent = float(np.mean(alpha < 128))
    return 0.02 <= transparent <= 0.98


class WanImage:
    """wan2.6-image from procedural scenes and classical edits; see the module docstring."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        pass

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "algorithm": "procedural-scene+classical-edit",
            "edits": "style, colour grade, background swap, collage, crop/outpaint",
        }

    def run(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        if request.interleave:
            return self._interleave(request, cancel)
        items = []
        for index in range(request.n):
            cancel.check()
            seed = (request.seed + index) % SEED_MOD
            if request.images:
                image = self.edit(request, index, seed, cancel)
            else:
                image = self.text_to_image(
                    request.prompt, request.negative_prompt, request.size, seed
                )
            items.append(ImageItem(image=image))
            cancel.item_done(index, items[-1])
        return items

    # ------------------------------------------------------------------------ text to image

    def text_to_image(
        self, prompt: str, negative: str, size: tuple[int, int], seed: int, scene_words: str = ""
    ) -> RGBImage:
        """The prompt's scene at ``size``, styled and graded as its words ask."""
        spec = parse_prompt(" ".join(w for w in (scene_words, scene_prompt(prompt)) if w), negative)
        image = render_scene(spec, size, seed, quality=QUALITY).image
        return finish(image, prompt, seed, 1.0, text_to_image=True)

    # ------------------------------------------------------------------------------- editing

    def edit(
        self, request: ImageGenRequest, index: int, seed: int, cancel: CancelToken
    ) -> RGBImage:
        """One edit result (see the module docstring for the steps)."""
        prompt, size = request.prompt, request.size
        images = request.images
        # 1-2. The base picture, fitted to the output size.
        if len(images) > 1 and COLLAGE.search(prompt):
            base = collage(images, size)
        elif has_alpha(images[0]):
            base = self.swap_background(request, index, cancel)
        else:
            base = fit(flatten(images[0]), size, prompt, seed)
            for cutout in images[1:]:
                if has_alpha(cutout):
                    base = place_cutout(base, cutout)
        cancel.check()
        # 3-4. Style and grades; later results vary the grade's strength.
        strength = (1.0, 0.75, 1.25, 0.9)[index % 4]
        return finish(base, prompt, seed, strength, text_to_image=False)

    def swap_background(
        self, request: ImageGenRequest, index: int, cancel: CancelToken
    ) -> RGBImage:
        """The first image's cutout, contain-fitted to the size, staged in the prompt's scene."""
        subject = contain(request.images[0], request.size)
        staged = BackgroundRequest(
            subject=subject,
            ref_image=None,
            ref_prompt=scene_prompt(request.prompt),
            neg_prompt=request.negative_prompt,
            edges=(),
            n=1,
            noise_level=300,
            ref_prompt_weight=0.5,
            model_version=QUALITY,
            scene_type=None,
            title=None,
            sub_title=None,
            seed=request.seed,
        )
        return render_background(staged, index, cancel)  # the task's own token: cancel reaches it

    # ---------------------------------------------------------------------------- interleave

    def _interleave(self, request: ImageGenRequest, cancel: CancelToken) -> list[ImageItem]:
        """One image per clause of the prompt (at most ``max_images``); a one-clause prompt gets
        ``max_images`` images: an outdoor scene (or the input picture) at successive times of
        day, other scenes in successive variations."""
        prompt = request.prompt
        spec = parse_prompt(scene_prompt(prompt))
        by_time = bool(request.images) or (spec.outdoor and spec.time_of_day == "day")
        items = []
        for step in interleave.plan(prompt, request.max_images, by_time=by_time):
            cancel.check()
            seed = (request.seed + step.index) % SEED_MOD
            if request.images:
                edit = replace(request, prompt=step.clause) if step.clause else request
                image = self.edit(edit, 0, seed, cancel)
                if step.clause is None:
                    image = time_grade(image, step.index)
            else:
                image = self.text_to_image(
                    prompt, request.negative_prompt, request.size, seed, step.words
                )
            items.append(ImageItem(image=image, text=step.caption))
            cancel.item_done(step.index, items[-1])
        return items


# ----------------------------------------------------------------------------- building blocks


def finish(
    image: RGBImage, prompt: str, seed: int, strength: float, *, text_to_image: bool
) -> RGBImage:
    """Apply the prompt's style, then its grades."""
    style = find_style(prompt)
    if style is not None:
        image = apply_style(np.ascontiguousarray(image), style, seed)
    grades = find_grades(prompt, text_to_image=text_to_image)
    if not grades:
        return image
    work = image.astype(np.float32) / 255.0
    for grade in grades:
        work = grade.apply(work, strength)
    return to_u8(work)


def flatten(image: RGBAImage) -> RGBImage:
    """RGB of an input image, composited over white where it is not opaque."""
    if image.shape[2] == 3 or int(image[..., 3].min()) == 255:
        return np.ascontiguousarray(image[..., :3])
    alpha = image[..., 3:4].astype(np.float32) / 255.0
    return to_u8((image[..., :3].astype(np.float32) / 255.0) * alpha + (1.0 - alpha))


def _resize(image: npt.NDArray[np.uint8], size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrink = size[0] < image.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=interp), dtype=np.uint8)


def fit(image: RGBImage, size: tuple[int, int], prompt: str, seed: int) -> RGBImage:
    """Cover-crop to ``size``, or outpaint when asked to or when a crop would lose too much."""
    width, height = size
    h, w = image.shape[:2]
    asked = bool(OUTPAINT.search(prompt))
    kept = min(width / w, height / h) / max(width / w, height / h)  # area kept by a cover crop
    if not asked and (w, h) == size:
        return image
    if not asked and 1.0 - kept <= MAX_CROP_LOSS:
        return cover(image, size)
    return outpaint(image, size, 0.78 if asked else 1.0, seed)


def outpaint(image: RGBImage, size: tuple[int, int], zoom: float, seed: int) -> RGBImage:
    """Place ``image`` (contain-fitted, times ``zoom``) in the middle of ``size`` and extend it:
    the mirrored border, defocused progressively with the distance from the picture (a mirror
    stays sharp only at the seam, so no copy of the content is recognisable far out), with a
    slight fall-off in light and grain matched to the picture's own."""
    width, height = size
    h, w = image.shape[:2]
    scale = min(width / w, height / h) * zoom
    nw, nh = max(1, min(width, round(w * scale))), max(1, min(height, round(h * scale)))
    inner = _resize(image, (nw, nh))
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    padded = cv2.copyMakeBorder(
        inner, y0, height - nh - y0, x0, width - nw - x0, cv2.BORDER_REFLECT_101
    )
    work = as_f32(padded) / 255.0
    # Distance from the picture: 0 inside, 1 at a sixth of the short side.
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    dy = np.maximum(np.maximum(y0 - ys, ys - (y0 + nh - 1)), 0.0)
    dx = np.maximum(np.maximum(x0 - xs, xs - (x0 + nw - 1)), 0.0)
    reach = 0.16 * min(width, height)
    t = np.clip(np.sqrt(dx * dx + dy * dy) / reach, 0.0, 1.0)
    short = min(width, height)
    levels = [work] + [wide_blur(work, short * s) for s in (0.006, 0.02, 0.05, 0.1)]
    pos = t * (len(levels) - 1)
    out = np.zeros_like(work)
    for i, level in enumerate(levels):
        weight = np.clip(1.0 - np.abs(pos - i), 0.0, 1.0)[..., None]
        out += level * weight
    out *= (1.0 - 0.07 * t)[..., None]
    # Grain as strong as the picture's own fine texture, so the defocused border is not plastic.
    fine = float(
        np.std(luma(work[y0 : y0 + nh, x0 : x0 + nw]) - luma(levels[1][y0 : y0 + nh, x0 : x0 + nw]))
    )
    rng = np.random.default_rng(seed)
    grain = rng.standard_normal((height, width)).astype(np.float32) * min(0.03, 0.5 * fine)
    out += (grain * t)[..., None]
    result = to_u8(out)
    result[y0 : y0 + nh, x0 : x0 + nw] = inner  # the picture itself is untouched
    return result


def collage(images: tuple[RGBAImage, ...], size: tuple[int, int]) -> RGBImage:
    """All images in a tidy layout with even gutters: a row or a column (two or three images,
    along the canvas's long side), or a 2×2 grid (four)."""
    width, height = size
    gutter = max(2, round(0.02 * min(width, height)))
    count = len(images)
    if count == 4:
        cols, rows = 2, 2
    elif width >= height:
        cols, rows = count, 1
    else:
        cols, rows = 1, count
    cell_w = (width - gutter * (cols + 1)) // cols
    cell_h = (height - gutter * (rows + 1)) // rows
    sheet = np.empty((height, width, 3), np.uint8)
    sheet[:] = (246, 244, 240)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        x = gutter + c * (cell_w + gutter)
        y = gutter + r * (cell_h + gutter)
        sheet[y : y + cell_h, x : x + cell_w] = cover(flatten(image), (cell_w, cell_h))
    return sheet


def place_cutout(base: RGBImage, cutout: RGBAImage) -> RGBImage:
    """Composite a cutout (an image with transparency) onto ``base``: its visible part scaled to
    at most 60 % of the height and 45 % of the width, standing in the lower middle, with a soft
    contact shadow."""
    height, width = base.shape[:2]
    alpha = cutout[..., 3]
    rows, cols = np.nonzero(alpha.max(axis=1) > 16)[0], np.nonzero(alpha.max(axis=0) > 16)[0]
    crop = cutout[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    ch, cw = crop.shape[:2]
    scale = min(0.6 * height / ch, 0.45 * width / cw)
    nw, nh = max(1, round(cw * scale)), max(1, round(ch * scale))
    crop = _resize(np.ascontiguousarray(crop), (nw, nh))
    layer = np.zeros((height, width, 4), np.uint8)
    x = (width - nw) // 2
    y = min(height - nh, round(height * 0.9) - nh)
    layer[y : y + nh, x : x + nw] = crop
    a = layer[..., 3].astype(np.float32) / 255.0
    rgb = layer[..., :3].astype(np.float32) / 255.0
    background = stage_subject(base.astype(np.float32) / 255.0, rgb, a, None)
    return to_u8(rgb * a[..., None] + background * (1.0 - a[..., None]))
