"""Poster titles for background generation: seed 002's editable text layers, designed and drawn.

With ``input.title`` (and ``sub_title``) DashScope returns each image twice, with and without
its text, plus the text as editable layers (``output.text_results``). This module does both halves:

- :func:`design_title` lays a title out on a text-free image: it sizes the title to the canvas,
  tries the calm places around the edges where the product is not, takes its colours from the
  image's own palette and adjusts their lightness until the text reaches a WCAG contrast of at
  least 4.5:1 against every part of what lies behind it (adding a gradient band when the scene
  is too busy for that), and puts the subtitle in a rounded pill or under the title.
- :func:`render_layers` draws layers in that schema onto an image. The engine makes its titled
  image with it, from the same dictionaries it returns, so a client that renders the returned
  layers onto the text-free image gets the titled image back (a test checks it pixel for pixel).

Layer geometry follows seed 002: boxes are ``left``/``top``/``width``/``height`` in pixels,
gradients are Fabric.js-style with ``coords`` relative to the box, colours are ``#rrggbb`` or
``#rrggbbaa``, shadows are ``"Xpx Ypx #rrggbbaa"`` and strokes ``"Npx #rrggbbaa"``. Text is set
in Noto Sans SC (SIL OFL, from the ``pylopdf-fonts-zh-cn`` package) whatever ``font_family``
says; bold and medium weights are drawn with a stroke of the text's own colour.

The package's modules, each importing only those listed above it:

- :mod:`~wanstack.engines.titles.color`: colour parsing, WCAG luminance and contrast, lightness
  fitted to the contrast target, the image's palette.
- :mod:`~wanstack.engines.titles.layers`: the packaged font and :func:`render_layers`.
- :mod:`~wanstack.engines.titles.layout`: where the title goes (plans, backings, text colours),
  :func:`design_title`.

It is family-neutral: any background engine (classic, or a future diffusers one) uses it to
return editable text layers.
"""

from __future__ import annotations

from wanstack.engines.titles.color import (
    RGB,
    TARGET_CONTRAST,
    RGBImage,
    contrast_ratio,
    fit_contrast,
    hex_color,
    luminance,
    palette,
    parse_color,
)
from wanstack.engines.titles.layers import (
    FONT_FAMILY,
    Layer,
    font,
    font_path,
    render_layers,
    text_width,
    vertical_units,
)
from wanstack.engines.titles.layout import Box, design_title

__all__ = [
    "FONT_FAMILY",
    "RGB",
    "TARGET_CONTRAST",
    "Box",
    "Layer",
    "RGBImage",
    "contrast_ratio",
    "design_title",
    "fit_contrast",
    "font",
    "font_path",
    "hex_color",
    "luminance",
    "palette",
    "parse_color",
    "render_layers",
    "text_width",
    "vertical_units",
]
