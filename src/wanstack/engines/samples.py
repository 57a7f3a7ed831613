"""One small request per model, made here without downloads: what ``wanstack models check`` runs
through each configured engine to prove it loads and generates (any family)."""

from __future__ import annotations

from typing import Any

import numpy as np

from wanstack.engines.base import RGBAImage, RGBImage
from wanstack.engines.requests import (
    BackgroundRequest,
    ImageGenRequest,
    InpaintRequest,
    RetouchRequest,
    VaceRequest,
    VideoRequest,
)

SIDE = 256  #: input images are SIDE × SIDE


def _photo() -> RGBImage:
    """A smooth colour field with a dark disc: something to fill and frame."""
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / SIDE
    image = np.stack([200 * x + 30, 160 * y + 50, 120 * (1 - x) + 60], axis=-1)
    disc = (x - 0.5) ** 2 + (y - 0.55) ** 2 < 0.06
    image[disc] = (60, 50, 40)
    return np.asarray(image, dtype=np.uint8)


def _cutout() -> RGBAImage:
    """The disc as a product cut-out: opaque inside, transparent around it."""
    photo = _photo()
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / SIDE
    alpha = ((x - 0.5) ** 2 + (y - 0.55) ** 2 < 0.06).astype(np.uint8) * 255
    return np.dstack([photo, alpha])


def request_for(model: str) -> Any:
    """The small request ``model``'s engines run for a check; KeyError for an unknown model."""
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    requests: dict[str, Any] = {
        "wanx-x-painting": lambda: InpaintRequest(
            image=_photo(),
            mask=(abs(x - SIDE // 2) < SIDE // 5) & (abs(y - SIDE // 2) < SIDE // 5),
            prompt="a bowl of fresh fruit",
            style="<auto>",
            size=(1024, 1024),
            n=1,
            seed=1,
        ),
        "wanx-background-generation-v2": lambda: BackgroundRequest(
            subject=_cutout(),
            ref_image=None,
            ref_prompt="on a marble table, soft window light",
            neg_prompt="",
            edges=(),
            n=1,
            noise_level=300,
            ref_prompt_weight=0.5,
            model_version="v2",
            scene_type=None,
            title=None,
            sub_title=None,
            seed=1,
        ),
        "wan2.6-t2v": lambda: _video(None),
        "wan2.6-i2v": lambda: _video(_photo()),
        "wan2.6-image": lambda: ImageGenRequest(
            prompt="a lighthouse on a cliff at dusk",
            negative_prompt="",
            images=(),
            size=(1024, 1024),
            n=1,
            interleave=False,
            max_images=1,
            seed=1,
        ),
        "wanx2.1-imageedit": lambda: RetouchRequest(
            function="colorization", image=_photo(), prompt="blue sky", size=(SIDE, SIDE), n=1,
            seed=1,
        ),
        "wanx2.1-vace-plus": lambda: VaceRequest(
            function="image_reference", prompt="a girl walks out of a forest", size=(832, 480),
            duration=2, fps=30, seed=1, references=(_cutout(),), backgrounds=(False,),
        ),
    }  # fmt: skip
    return requests[model]()


def _video(image: RGBImage | None) -> VideoRequest:
    return VideoRequest(
        prompt="waves rolling onto a beach at sunset",
        negative_prompt="",
        image=image,
        size=(832, 480),
        duration=2,
        fps=30,
        shot_type="single",
        audio=None,
        seed=1,
    )
