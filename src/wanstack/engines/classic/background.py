"""Classic background generation for wanx-background-generation-v2 (CPU, no model weights).

Each of the ``n`` results is the seller's RGBA cutout staged in a procedurally rendered scene
for its own seed (:mod:`wanstack.engines.classic.staging`: scene, reference guidance, edge
elements, shadows and reflection; every pixel with alpha 255 comes out exactly as it came in).
With a title, seed 002's editable text layers are designed on the image and drawn
(:mod:`wanstack.engines.titles`), and the text-free image comes back beside it.

What a generative model could draw and this engine cannot (a specific dog, a specific flower
species) degrades to the closest concept in the vocabulary, or to a tasteful studio default.
"""

from __future__ import annotations

from typing import Any

from wanstack.engines.base import CancelToken, ImageItem
from wanstack.engines.classic.staging import ReferenceGuide, render_background
from wanstack.engines.requests import BackgroundRequest
from wanstack.engines.titles import design_title, render_layers


class ClassicBackground:
    """Procedural scene + compositing; ``v2`` renders fast, ``v3`` adds finer scene detail."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        pass

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"engine": "classic", "algorithm": "procedural-scene+composite"}

    def run(self, request: BackgroundRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        items = []
        guide = None
        if request.ref_image is not None:
            size = (request.subject.shape[1], request.subject.shape[0])
            guide = ReferenceGuide(request.ref_image, size, request.noise_level)
        for index in range(request.n):
            cancel.check()
            image = render_background(request, index, cancel, guide)
            if request.title:
                # Seed 002: the titled image, the same image without text, and the text layers.
                layers = design_title(
                    image, request.subject[..., 3], request.title, request.sub_title, index
                )
                items.append(
                    ImageItem(image=render_layers(image, layers), plain=image, layers=layers)
                )
            else:
                items.append(ImageItem(image=image))
        return items
