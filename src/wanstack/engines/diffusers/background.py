"""``wanx-background-generation-v2`` on diffusers inpainting pipelines: a generated scene around
the product.

No open model makes product backgrounds the way DashScope does; the recipe people use, and this
engine's, is to **inpaint everything but the product**: the pipeline repaints every pixel that is
not fully opaque in the cutout, seeing the product where it stands, so light, shadows and
reflections are drawn around it; then the product's own pixels are pasted back with their
straight alpha, so every pixel with alpha 255 is the seller's, bit for bit (inpainting
re-encodes the kept region too, so the paste is not optional).

* ``ref_prompt`` / ``neg_ref_prompt`` are the prompt and the negative prompt (with a studio
  default when no prompt is given; the deprecated ``scene_type`` presets add their words).
* ``ref_image_url`` guides through image-to-image: the reference, cover-fitted and flattened,
  is the starting image and ``noise_level`` sets the strength (0: stays close to it, 999: only
  its colours and layout survive). With ``ref_prompt`` too, ``ref_prompt_weight`` moves the
  strength towards 1 (the text wins) or keeps it (the image wins).
* ``reference_edge`` elements go through the ControlNet when the weights have one
  (``StableDiffusionXLControlNetInpaintPipeline`` weights, or SDXL weights and the option
  ``controlnet`` naming a ``ControlNetModel``; option ``control``: ``edges`` for a
  canny/lineart ControlNet, ``inpaint`` for an e-commerce inpainting ControlNet such as
  EcomXL's, which is given the product on black), else they are drawn into the starting image;
  their prompts join the prompt. Foreground elements may cover the product, as in the classic
  engine: the product is not pasted back under their silhouettes.
* ``model_version``: ``v2`` runs the pipeline's usual number of steps, ``v3`` half as many again
  (finer detail, 1.5× the time).
* Titles: seed 002's editable text layers, designed and drawn by the shared
  :mod:`wanstack.engines.titles` (the same code and the same layers as the classic engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, ImageItem, RGBAImage, RGBImage
from wanstack.engines.diffusers import pictures, runtime
from wanstack.engines.diffusers.common import DiffusersEngine, Progress
from wanstack.engines.diffusers.inpaint import DiffusersInpaint
from wanstack.engines.diffusers.options import option_error
from wanstack.engines.diffusers.pictures import Mask
from wanstack.engines.diffusers.runtime import Resident
from wanstack.engines.framing import cover
from wanstack.engines.requests import BackgroundRequest, EdgeElement
from wanstack.engines.titles import design_title, render_layers

DEFAULT_PROMPT = (
    "professional e-commerce product photograph, clean studio set, soft diffused light, "
    "subtle shadow, high detail"
)
DEFAULT_NEGATIVE = "blurry, low quality, distorted, watermark, text, extra objects"
#: Deprecated ``scene_type`` presets as prompt words.
SCENE_PRESETS = {
    "GENERAL": "",
    "ROOM": "in a bright modern room interior, wooden floor, soft window light",
    "COSMETIC": "on a pastel podium, cosmetics studio, soft reflections",
}
GREY = (128, 128, 128)  #: what transparent parts of the starting image are
V3_STEPS = 1.5  #: v3's steps, relative to v2's
CONTROL_SCALE = 0.5  #: ControlNet conditioning scale (EcomXL's card: 0.5 works best)
WITH_CONTROLNET = "StableDiffusionXLControlNetInpaintPipeline"


def strength_for(request: BackgroundRequest) -> float:
    """How much of the starting image is re-drawn: all of it without a reference image; with
    one, ``noise_level`` from 0.35 (close to the reference) to 1.0, moved towards 1.0 by
    ``ref_prompt_weight`` when a prompt competes with it."""
    if request.ref_image is None:
        return 1.0
    strength = 0.35 + 0.65 * request.noise_level / 999.0
    if request.ref_prompt.strip():
        strength += (1.0 - strength) * (request.ref_prompt_weight - 0.5)
    return float(min(1.0, max(0.3, strength)))


def prompt_for(request: BackgroundRequest) -> str:
    words = [SCENE_PRESETS.get(request.scene_type or "", ""), request.ref_prompt.strip()]
    words += [f"with {e.prompt.strip()}" for e in request.edges if e.prompt.strip()]
    text = ", ".join(w for w in words if w)
    return text or DEFAULT_PROMPT


def edge_lines(element: EdgeElement) -> npt.NDArray[np.float32]:
    """An element's line strength 0–1 (its lines are its bright, opaque pixels)."""
    edge = element.image.astype(np.float32) / 255.0
    return np.asarray(edge[..., :3].max(axis=2) * edge[..., 3], dtype=np.float32)


def silhouette(element: EdgeElement) -> Mask:
    """The filled outline of an element's line art (what it covers when in the foreground)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    lines = cv2.dilate((edge_lines(element) > 0.25).astype(np.uint8), kernel)
    contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(lines)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return np.asarray(filled > 0)


class DiffusersBackground(DiffusersEngine):
    """wanx-background-generation-v2: the scene inpainted around the product; see the module."""

    model = "wanx-background-generation-v2"
    pipelines = DiffusersInpaint.pipelines | {WITH_CONTROLNET}
    convert = DiffusersInpaint.convert
    extra_keys = ("control", "controlnet")
    numbers: ClassVar[Mapping[str, tuple[type, float, float]]] = {
        "control_scale": (float, 0.0, 2.0)
    }

    def __init__(self, **raw: Any) -> None:
        super().__init__(**raw)
        control = self.options.extra.get("control", "edges")
        if control not in ("edges", "inpaint"):
            raise option_error(self.model, '"control" must be "edges" or "inpaint"')
        controlnet = self.options.extra.get("controlnet")
        if controlnet is not None and (not isinstance(controlnet, str) or not controlnet):
            raise option_error(self.model, '"controlnet" must be a ControlNet folder or repo id')

    def _load(self) -> Resident:
        """With a ``controlnet`` option: SDXL (inpainting) weights and that ControlNet, run as
        one ``StableDiffusionXLControlNetInpaintPipeline`` (the modules are shared)."""
        controlnet = self.options.extra.get("controlnet")
        if controlnet is None:
            return super()._load()
        return runtime.load(
            self.options,
            {WITH_CONTROLNET},
            convert={
                "StableDiffusionXLInpaintPipeline": WITH_CONTROLNET,
                "StableDiffusionXLPipeline": WITH_CONTROLNET,
            },
            controlnet=controlnet,
        )

    def describe(self) -> dict[str, Any]:
        controlnet = self.options.extra.get("controlnet")
        return {**super().describe(), **({"controlnet": controlnet} if controlnet else {})}

    def run(self, request: BackgroundRequest, cancel: CancelToken) -> list[ImageItem]:
        cancel.check()
        resident = self.resident
        subject = request.subject
        size = (subject.shape[1], subject.shape[0])
        gen = runtime.generation_size(size, self.options.max_pixels, resident.multiple)
        covered = np.zeros(subject.shape[:2], bool)
        for element in request.edges:  # foreground elements may cover the product
            if element.foreground:
                covered |= silhouette(element)
        keep = (subject[..., 3] == 255) & ~covered
        start = self._start(request, size)
        repaint = cv2.resize((~keep).astype(np.uint8) * 255, gen, interpolation=cv2.INTER_AREA)
        settings = self.settings(resident)
        negative = request.neg_prompt or settings.pop("negative_prompt") or DEFAULT_NEGATIVE
        if request.model_version == "v3":
            settings["num_inference_steps"] = round(settings["num_inference_steps"] * V3_STEPS)
        control = self._control(resident, request, gen)
        progress = Progress(cancel, request.n)
        items = []
        for index in range(request.n):
            scene = resident.call(
                cancel,
                progress.step,
                prompt=prompt_for(request),
                negative_prompt=negative,
                image=pictures.to_pil(pictures.resize(start, gen)),
                mask_image=pictures.mask_pil(repaint > 0),
                strength=strength_for(request),
                width=gen[0],
                height=gen[1],
                generator=resident.generator(request.seed + 7919 * index),
                **control,
                **settings,
            )
            progress.call_done()
            image = _paste(pictures.resize(scene, size), subject, covered)
            item = _titled(request, image, index)
            items.append(item)
            cancel.item_done(index, item)
        return items

    def _start(self, request: BackgroundRequest, size: tuple[int, int]) -> RGBImage:
        """The starting image: the reference (or grey) with background elements drawn in unless
        a ControlNet takes them, and the product over it."""
        if request.ref_image is not None:
            backdrop = pictures.flatten(cover(request.ref_image, size), GREY)
        else:
            backdrop = np.empty((size[1], size[0], 3), np.uint8)
            backdrop[:] = GREY
        if not self._has_controlnet() or self.options.extra.get("control") == "inpaint":
            for element in request.edges:
                lines = np.clip(cv2.GaussianBlur(edge_lines(element), (0, 0), 1.2) * 1.4, 0, 1)
                ink = np.float32(245.0)
                mixed = backdrop * (1.0 - lines[..., None]) + ink * lines[..., None]
                backdrop = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        return _paste(backdrop, request.subject, np.zeros(request.subject.shape[:2], bool))

    def _has_controlnet(self) -> bool:
        return getattr(self.resident.pipe, "controlnet", None) is not None

    def _control(
        self, resident: Resident, request: BackgroundRequest, gen: tuple[int, int]
    ) -> dict[str, Any]:
        """The ControlNet's image and scale, when the pipeline has one."""
        if not self._has_controlnet():
            return {}
        subject = request.subject
        if self.options.extra.get("control") == "inpaint":
            # an e-commerce inpainting ControlNet sees the product on black
            alpha = subject[..., 3:4].astype(np.float32) / 255.0
            product = np.clip(subject[..., :3] * alpha + 0.5, 0, 255).astype(np.uint8)
            image = pictures.resize(product, gen)
        else:
            # an edge ControlNet sees the product's outline and every element's lines
            outline = cv2.Canny(subject[..., 3], 64, 192).astype(np.float32) / 255.0
            lines = outline
            for element in request.edges:
                lines = np.maximum(lines, edge_lines(element))
            gray = np.clip(lines * 255.0 + 0.5, 0, 255).astype(np.uint8)
            image = pictures.resize(np.repeat(gray[..., None], 3, axis=2), gen)
        scale = float(self.options.extra.get("control_scale", CONTROL_SCALE))
        return {"control_image": pictures.to_pil(image), "controlnet_conditioning_scale": scale}


def _paste(scene: RGBImage, subject: RGBAImage, covered: Mask) -> RGBImage:
    """The product over ``scene`` with straight alpha, except where ``covered`` (by foreground
    elements); exactly the product's pixels wherever its alpha is 255."""
    alpha8 = np.where(covered, 0, subject[..., 3])
    alpha = alpha8[..., None].astype(np.float32) / 255.0
    mixed = subject[..., :3].astype(np.float32) * alpha + scene.astype(np.float32) * (1.0 - alpha)
    out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    keep = alpha8 == 255
    out[keep] = subject[..., :3][keep]
    return out


def _titled(request: BackgroundRequest, image: RGBImage, index: int) -> ImageItem:
    """Seed 002: with a title, the titled image, the same image without text, and the layers."""
    if not request.title:
        return ImageItem(image=image)
    layers = design_title(image, request.subject[..., 3], request.title, request.sub_title, index)
    return ImageItem(image=render_layers(image, layers), plain=image, layers=layers)
