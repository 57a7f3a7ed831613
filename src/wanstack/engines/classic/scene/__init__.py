"""The procedural scene renderer of the classic engines: a prompt in, a product-photography
backdrop out (numpy and OpenCV, no model weights).

The prompt vocabulary, from the bottom up:

* ``spec`` — :class:`SceneSpec` and :class:`ElementSpec`: what a prompt resolves to, the
  renderer's input.
* ``concepts`` — the vocabulary as data: :class:`Concept` rows in :data:`CONCEPTS`, :data:`BY_NAME`.
* ``lexicon`` — longest-first matching of Chinese and English words, colour modifiers, stopwords.
* ``prompt`` — :func:`parse_prompt`: prompt (and negative prompt) → :class:`SceneSpec`.

The renderer, from the bottom up (each layer module draws into the render context):

* ``primitives`` — render context, :class:`Footprint`, colours, blurs, value noise/fBm,
  alpha-over, the product's keep-out box, the element canvas.
* ``sky`` — time-of-day skies and studio backdrops.
* ``terrain`` — mountains, dunes, hills, treelines, palms, bamboo, city skylines.
* ``materials`` — ground materials in perspective (marble, wood, concrete, sand, tile…).
* ``ground`` — the floor layer (depth of field, haze, reflections) and water with a shoreline.
* ``props`` — the stand under the product (podium, steps, tray, cube) and props beside it.
* ``elements`` — drawing single elements: flowers, leaves, branches, bokeh, animals…
* ``placement`` — where elements go: horizon, ground, frame corners, scattered in depth.
* ``light`` — grade, vignette, grain and dithering.
* ``render`` — :class:`Scene` and :func:`render_scene`: the layers in order.
"""

from __future__ import annotations

from wanstack.engines.classic.scene.concepts import (
    BY_NAME,
    CONCEPTS,
    KINDS,
    Concept,
    concept_counts,
)
from wanstack.engines.classic.scene.primitives import Footprint
from wanstack.engines.classic.scene.prompt import parse_prompt
from wanstack.engines.classic.scene.render import Scene, render_scene
from wanstack.engines.classic.scene.spec import RGB, ElementSpec, SceneSpec

__all__ = [
    "BY_NAME",
    "CONCEPTS",
    "KINDS",
    "RGB",
    "Concept",
    "ElementSpec",
    "Footprint",
    "Scene",
    "SceneSpec",
    "concept_counts",
    "parse_prompt",
    "render_scene",
]
