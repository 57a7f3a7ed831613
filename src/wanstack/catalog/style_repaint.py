"""wanx-style-repaint-v1, portrait style repaint (addendum §2.9), on ``image-generation/generation``
(async) with its own flat body: ``input.image_url`` (JPEG/PNG/BMP/WEBP, sides 256–5760, ≤ 10 MB),
``input.style_index`` (0–9, 14, 15, 30–40) and, for ``style_index: -1``, ``input.style_ref_url``.

The picture is repainted whole in the chosen style by the x-painting style engines (each
DashScope style maps to the nearest of the eight x-painting styles, listed in :data:`STYLES`);
the result keeps the picture's aspect ratio with its short side at 1536 pixels, as DashScope's
does. ``style_index: -1`` (copy the style of a reference picture) is refused by name: no engine
here transfers a style from an example. The task output carries DashScope's extra fields
``style_index``, ``error_code: 0`` and ``error_message: "Success"``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from wanstack.catalog.base import MediaLoader, StoredItem, Submission
from wanstack.catalog.fields import Fields
from wanstack.catalog.outputs import image_outcome, pending_metrics
from wanstack.domain import Outcome, Task
from wanstack.engines.base import RGBImage
from wanstack.engines.requests import InpaintRequest
from wanstack.errors import InvalidParameter
from wanstack.ident import new_seed
from wanstack.media import decode_wan_image

MODEL = "wanx-style-repaint-v1"
SHORT_SIDE = 1536
IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_SIDES = (256, 5760)
CARTOON, ANIME, OIL, WATER = "<3d cartoon>", "<anime>", "<oil painting>", "<watercolor>"
SKETCH, CHINESE, FLAT = "<sketch>", "<chinese painting>", "<flat illustration>"
#: DashScope's style_index → the x-painting style that renders it here
STYLES = {
    0: FLAT,  # 复古漫画 retro comic
    1: CARTOON,  # 3D童话 3D fairy tale
    2: ANIME,  # 二次元
    3: WATER,  # 小清新 fresh
    4: CARTOON,  # 未来科技 future tech
    5: CHINESE,  # 国画古风
    6: OIL,  # 将军百战 warrior
    7: FLAT,  # 炫彩卡通 colourful cartoon
    8: CHINESE,  # 清雅国风
    9: FLAT,  # 喜迎新年 new year
    14: CHINESE,  # 国风工笔
    15: FLAT,  # 恭贺新禧
    30: CARTOON,  # 童话世界
    31: CARTOON,  # 黏土世界 clay
    32: FLAT,  # 像素世界 pixel
    33: OIL,  # 冒险世界 adventure
    34: ANIME,  # 日漫世界
    35: CARTOON,  # 3D世界
    36: ANIME,  # 二次元世界
    37: SKETCH,  # 手绘世界 hand-drawn
    38: WATER,  # 蜡笔世界 crayon
    39: FLAT,  # 冰箱贴世界 fridge magnet
    40: FLAT,  # 吧唧世界 badge
}


class StyleRepaint:
    model = MODEL
    endpoints = frozenset({"image-generation/generation"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp = Fields(input, "input")
        image = inp.media_url("image_url", required=True)
        assert image is not None
        index = inp.integer("style_index", lo=-1, hi=40, required=True)
        if index == -1:
            raise InvalidParameter(
                "input.style_index -1 (the style of input.style_ref_url) is not served here: "
                f"choose one of {sorted(STYLES)}"
            )
        if index not in STYLES:
            raise InvalidParameter(f"input.style_index must be one of {sorted(STYLES)}")
        return Submission(
            input={"image_url": image},
            parameters={"style_index": index, "seed": new_seed(), "n": 1},
            media=[("input.image_url", image)],
        )

    async def prepare(self, task: Task, load: MediaLoader) -> InpaintRequest:
        data = await load("input.image_url", task.input["image_url"], IMAGE_BYTES)
        image = await asyncio.to_thread(_picture, data)
        height, width = image.shape[:2]
        scale = SHORT_SIDE / min(width, height)
        size = (round(width * scale / 2) * 2, round(height * scale / 2) * 2)
        return InpaintRequest(
            image=image,
            mask=np.zeros(image.shape[:2], bool),  # nothing to fill: the style repaints it all
            prompt="",
            style=STYLES[task.parameters["style_index"]],
            size=size,
            n=1,
            seed=task.parameters["seed"],
            tag=task.parameters["style_index"],
        )

    def outcome(self, request: InpaintRequest, items: Sequence[StoredItem]) -> Outcome:
        outcome = image_outcome(items)
        outcome.output.pop("task_metrics", None)
        outcome.output.update(style_index=request.tag, error_code=0, error_message="Success")
        return outcome

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return pending_metrics(parameters)


def _picture(data: bytes) -> RGBImage:
    decoded = decode_wan_image(data, field="image_url", sides=IMAGE_SIDES)
    return np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)
