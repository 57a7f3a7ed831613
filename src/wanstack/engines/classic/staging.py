"""Staging a product cutout in a rendered scene: one background per seed, for the classic family.

The cutout is staged in a procedurally rendered scene (:mod:`wanstack.engines.classic.scene`,
driven by its prompt vocabulary), guided by a
reference image when one is given, with the shadows and reflection that make a product sit in
it. The product never moves and every pixel with alpha 255 comes out exactly as it came in; soft
edges are composited with straight alpha over the new scene, so no fringe of the old background
survives. Used by the background engine (:mod:`.background`) and by wan2.6-image's background
swap (:mod:`.image`); neither engine imports the other.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBAImage, RGBImage
from wanstack.engines.classic.scene import Footprint, parse_prompt, render_scene
from wanstack.engines.framing import cover
from wanstack.engines.requests import BackgroundRequest, EdgeElement

Float = npt.NDArray[np.float32]

#: Deprecated ``scene_type`` presets, as prompt words the vocabulary understands.
SCENE_PRESETS = {
    "GENERAL": "",
    "ROOM": "interior wall, wooden floor, soft window light",
    "COSMETIC": "pastel studio, podium, soft light",
}


def render_background(
    request: BackgroundRequest,
    index: int,
    cancel: CancelToken,
    guide: ReferenceGuide | None = None,
) -> RGBImage:
    """Result ``index`` of ``request`` without a title: the scene for seed ``seed + 7919 *
    index``, guided, with edge elements, and the product staged in it, its opaque pixels exact.
    Checks ``cancel`` between the steps."""
    subject = request.subject
    height, width = subject.shape[:2]
    seed = (request.seed + 7919 * index) % (2**31)
    # 1. The scene the prompt asks for (or the studio default).
    words = " ".join(
        w for w in (SCENE_PRESETS.get(request.scene_type or "", ""), request.ref_prompt) if w
    )
    spec = parse_prompt(words, request.neg_prompt)
    scene = render_scene(
        spec,
        (width, height),
        seed,
        quality=request.model_version,
        footprint=footprint_of(subject[..., 3]),
    )
    background = scene.image.astype(np.float32) / 255.0
    cancel.check()
    # 2. Image guidance, blended with the text by ref_prompt_weight.
    if guide is not None:
        guided = guide.at(seed)
        weight = request.ref_prompt_weight if request.ref_prompt.strip() else 0.0
        background = weight * background + (1.0 - weight) * guided
    # 3. Background edge elements, bottom to top.
    for element in request.edges:
        if not element.foreground:
            background = draw_element(background, element, seed)
    cancel.check()
    # 4. Shadows and reflection, then the subject with straight alpha.
    alpha = subject[..., 3].astype(np.float32) / 255.0
    rgb = subject[..., :3].astype(np.float32) / 255.0
    background = stage_subject(background, rgb, alpha, scene)
    rgb = harmonise_rim(rgb, alpha, background)
    out = rgb * alpha[..., None] + background * (1.0 - alpha[..., None])
    result = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
    opaque = subject[..., 3] == 255
    result[opaque] = subject[..., :3][opaque]  # exactly the product, bit for bit
    # 5. Foreground edge elements may cover the product.
    fg = [e for e in request.edges if e.foreground]
    if fg:
        layer = result.astype(np.float32) / 255.0
        for element in fg:
            layer = draw_element(layer, element, seed)
        result = np.clip(layer * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return result


def footprint_of(alpha: npt.NDArray[np.uint8]) -> Footprint | None:
    """The product's base and extent from its alpha; None for an empty cutout."""
    solid = alpha > 127
    rows = np.nonzero(solid.any(axis=1))[0]
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    base = solid[max(top, bottom - max(2, (bottom - top) // 20)) : bottom + 1].any(axis=0)
    cols = np.nonzero(base)[0]
    left, right = int(cols[0]), int(cols[-1])
    return Footprint(
        cx=(left + right) // 2, bottom=bottom, half_width=max(1, (right - left) // 2), top=top
    )


def _f32(array: Any) -> Float:
    return np.asarray(array, dtype=np.float32)


class ReferenceGuide:
    """A reference image prepared once per request: cover-fitted, transparent parts filled from
    the visible ones, and loosened as ``noise_level`` rises (0 faithful, 999 loosely related:
    only its palette and light remain). Each result adds its own small colour drift."""

    def __init__(self, ref: RGBAImage, size: tuple[int, int], noise_level: int) -> None:
        width, height = size
        fitted = cover(ref, size)
        rgb = fitted[..., :3].astype(np.float32) / 255.0
        alpha = fitted[..., 3].astype(np.float32) / 255.0
        if alpha.min() < 0.99:
            rgb = fill_transparent(rgb, alpha)
        self.t = noise_level / 999.0
        self.mean = rgb.reshape(-1, 3).mean(axis=0)
        if self.t > 0:
            blurred = wide_blur(rgb, 1.0 + self.t * 0.06 * min(width, height))
            rgb = (1 - self.t) * rgb + self.t * 0.6 * blurred
        self.base = _f32(rgb)

    def at(self, seed: int) -> Float:
        """The guide for one result."""
        if self.t <= 0:
            return _f32(np.clip(self.base, 0.0, 1.0))
        rng = np.random.default_rng(seed)
        drift = self.mean + rng.normal(0.0, 0.08 * self.t, 3).astype(np.float32)
        return _f32(np.clip(self.base + self.t * 0.4 * drift, 0.0, 1.0))


def reference_guidance(ref: RGBAImage, size: tuple[int, int], noise_level: int, seed: int) -> Float:
    """One result's guide from ``ref`` (see :class:`ReferenceGuide`)."""
    return ReferenceGuide(ref, size, noise_level).at(seed)


def wide_blur(image: Any, sigma: float) -> Float:
    """A Gaussian blur; wide ones run on a reduced copy and are scaled back up (a blur that wide
    has no detail a reduction could lose, and it is two orders of magnitude faster at 2048²)."""
    if sigma < 6.0:
        return _f32(cv2.GaussianBlur(image, (0, 0), sigma))
    h, w = image.shape[:2]
    factor = max(1, min(int(sigma // 3), min(h, w) // 8))
    small = cv2.resize(
        image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return _f32(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def fill_transparent(rgb: Float, alpha: Float) -> Float:
    """Colour transparent areas from the visible ones around them (push-pull: premultiplied
    colour averaged down a pyramid, then filled back up), so a cut-out reference guides only
    with what it shows, however large its holes."""
    levels: list[tuple[Float, Float]] = []
    premult, cover = rgb * alpha[..., None], alpha
    while True:
        levels.append((premult, cover))
        h, w = cover.shape
        if min(h, w) <= 2:
            break
        premult, cover = _f32(cv2.pyrDown(premult)), _f32(cv2.pyrDown(cover))
    total = float(levels[-1][1].sum())
    if total <= 1e-6:
        return rgb  # nothing visible at all
    mean = levels[-1][0].reshape(-1, 3).sum(axis=0) / total
    filled = _f32(np.broadcast_to(mean, (*levels[-1][1].shape, 3)))
    for premult, cover in reversed(levels):
        h, w = cover.shape
        up = _f32(cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR))
        c = np.clip(cover, 0.0, 1.0)[..., None]
        colour = premult / np.maximum(c, 1e-6)
        filled = _f32(colour * c + up * (1.0 - c))
    return filled


def draw_element(canvas: Float, element: EdgeElement, seed: int) -> Float:
    """Draw an edge image as an element: its lines, thickened and softened, in the colour its
    prompt names (neutral white otherwise), respecting its alpha."""
    edge = element.image.astype(np.float32) / 255.0
    lines = edge[..., :3].max(axis=2) * edge[..., 3]
    lines = _f32(cv2.GaussianBlur(lines, (0, 0), 1.2))
    spec = parse_prompt(element.prompt) if element.prompt else None
    color = np.array(_first_color(spec), dtype=np.float32)
    mask = np.clip(lines * 1.4, 0.0, 1.0)[..., None]
    return _f32(canvas * (1.0 - mask) + color * mask)


def _first_color(spec: Any) -> tuple[float, float, float]:
    colors = getattr(spec, "colors", None) or ()
    if colors:
        r, g, b = colors[0]
        return (r / 255.0, g / 255.0, b / 255.0)
    return (0.96, 0.95, 0.93)


def stage_subject(background: Float, rgb: Float, alpha: Float, scene: Any) -> Float:
    """Contact shadow, cast shadow along the scene's light, and a reflection on glossy floors."""
    height, width = alpha.shape
    rows = np.nonzero(alpha.max(axis=1) > 0.5)[0]
    if rows.size == 0:
        return background
    bottom = int(rows[-1])
    cols = np.nonzero(alpha[max(0, bottom - 3) : bottom + 1].max(axis=0) > 0.5)[0]
    if cols.size == 0:
        cols = np.nonzero(alpha.max(axis=0) > 0.5)[0]
    left, right = int(cols[0]), int(cols[-1])
    out = background.copy()
    # Contact shadow: a soft dark ellipse where the product touches the ground.
    shadow = np.zeros((height, width), np.float32)
    cx, cy = (left + right) / 2.0, float(bottom)
    axes = (max(4, int((right - left) * 0.55)), max(2, int(height * 0.012)))
    cv2.ellipse(shadow, (int(cx), int(cy)), axes, 0, 0, 360, 1.0, -1)
    shadow = wide_blur(shadow, max(2.0, axes[1] * 1.5))
    # Cast shadow: the silhouette flattened onto the ground, pushed away from the light.
    lx, _ = _light_xy(scene)
    squash = 0.35
    shear = -lx * 0.8
    matrix = np.array([[1, shear, -shear * cy], [0, squash, cy * (1 - squash)]], dtype=np.float32)
    cast = cv2.warpAffine(alpha, matrix, (width, height), flags=cv2.INTER_LINEAR)
    cast = wide_blur(cast, max(2.0, height * 0.01))
    darkness = 0.45 * shadow + 0.28 * cast
    out *= 1.0 - np.clip(darkness, 0.0, 0.6)[..., None]
    # Reflection on glossy surfaces: the product mirrored under its base, fading with distance.
    span = min(bottom + 1, height - bottom - 1, int(height * 0.25))
    if getattr(scene, "glossy", False) and span > 0:
        below = slice(bottom + 1, bottom + 1 + span)
        above = slice(bottom - span + 1, bottom + 1)
        fade = np.linspace(0.32, 0.0, span, dtype=np.float32)[:, None]
        # Blur premultiplied, so transparent pixels' hidden colour never bleeds in.
        mirror_alpha = cv2.GaussianBlur(alpha[above][::-1], (0, 0), 1.5)
        mirror_rgb = cv2.GaussianBlur((rgb * alpha[..., None])[above][::-1], (0, 0), 1.5)
        mirrored = mirror_rgb / np.maximum(mirror_alpha, 1e-4)[..., None]
        opacity = (mirror_alpha * fade)[..., None]
        out[below] = out[below] * (1.0 - opacity) + mirrored * opacity
    return out


def _light_xy(scene: Any) -> tuple[float, float]:
    light = getattr(scene, "light_dir", (0.0, -1.0))
    if isinstance(light, int | float):
        angle = float(np.deg2rad(light))
        return float(np.cos(angle)), float(np.sin(angle))
    return float(light[0]), float(light[1])


def harmonise_rim(rgb: Float, alpha: Float, background: Float) -> Float:
    """Light wrap on the soft rim only: semi-transparent edge pixels take a little of the new
    scene's colour, so the product does not look cut out. Opaque pixels are not touched."""
    rim = (alpha > 0.0) & (alpha < 1.0)
    if not rim.any():
        return rgb
    # Only the rim's neighbourhood needs the blurred scene.
    ys, xs = np.nonzero(rim)
    pad = 18
    y0, y1 = max(0, int(ys.min()) - pad), int(ys.max()) + pad + 1
    x0, x1 = max(0, int(xs.min()) - pad), int(xs.max()) + pad + 1
    ambient = cv2.GaussianBlur(background[y0:y1, x0:x1], (0, 0), 6.0)
    amount = (0.35 * (1.0 - alpha[y0:y1, x0:x1]) * rim[y0:y1, x0:x1])[..., None]
    out = rgb.copy()
    out[y0:y1, x0:x1] = rgb[y0:y1, x0:x1] * (1.0 - amount) + ambient * amount
    return out
