"""The open weights recommended per DashScope model (``wanstack models recommend``, docs/gpu.md).

Plain data, no torch: a CPU-only install prints it too. Per model, commercially usable licences
come first; VRAM is what the weights need resident in bf16 (from the model cards and published
measurements; activations at 1024² add a few GB), not a measurement of wanstack's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Weights:
    """One recommended set of weights for a model, and how to configure it."""

    model: str  #: the DashScope model it serves
    repo: str  #: Hugging Face repo id (diffusers format); ``wanstack models pull REPO``
    pipeline: str  #: the class wanstack runs (``model_index.json`` may name a sibling class)
    licence: str
    commercial: bool  #: whether the licence allows commercial use
    vram_gb: float  #: bf16 weights resident, about
    note: str
    #: ``WANSTACK_ENGINE_OPTIONS[model]`` besides ``weights``: other repos are named by repo id
    #: (the command replaces them with the folders they were pulled into)
    options: dict[str, Any] = field(default_factory=dict)


FLUX2_KLEIN = "black-forest-labs/FLUX.2-klein-4B"
QWEN_EDIT = "Qwen/Qwen-Image-Edit"
Z_IMAGE = "Tongyi-MAI/Z-Image-Turbo"
SDXL_INPAINT = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
SDXL_BASE = "stabilityai/stable-diffusion-xl-base-1.0"
ECOMXL = "alimama-creative/EcomXL_controlnet_inpaint"
FLUX_FILL = "black-forest-labs/FLUX.1-Fill-dev"
APACHE = "Apache-2.0"
RAIL = "CreativeML Open RAIL++-M"
FLUX1_NC = "FLUX.1 [dev] Non-Commercial"

WEIGHTS: tuple[Weights, ...] = (
    # wanx-x-painting
    Weights(
        "wanx-x-painting",
        FLUX2_KLEIN,
        "Flux2KleinInpaintPipeline",
        APACHE,
        True,
        13,
        "step-distilled (4 steps); the same folder serves wan2.6-image and background generation",
    ),
    Weights(
        "wanx-x-painting",
        QWEN_EDIT,
        "QwenImageEditInpaintPipeline",
        APACHE,
        True,
        58,
        "best with Chinese prompts and style edits; 40 steps",
    ),
    Weights(
        "wanx-x-painting",
        Z_IMAGE,
        "ZImageInpaintPipeline",
        APACHE,
        True,
        16,
        "8-step turbo, bilingual",
    ),
    Weights(
        "wanx-x-painting",
        SDXL_INPAINT,
        "StableDiffusionXLInpaintPipeline",
        RAIL,
        True,
        7,
        "fast; a large ecosystem of style LoRAs (option lora)",
    ),
    Weights(
        "wanx-x-painting",
        FLUX_FILL,
        "FluxFillPipeline",
        FLUX1_NC,
        False,
        33,
        "the best FLUX.1 fill quality; 50 steps",
    ),
    # wanx-background-generation-v2
    Weights(
        "wanx-background-generation-v2",
        SDXL_BASE,
        "StableDiffusionXLControlNetInpaintPipeline",
        f"{RAIL}; ControlNet {APACHE}",
        True,
        10,
        "with Alimama's e-commerce inpainting ControlNet (EcomXL: trained on instance masks "
        "not to outpaint the product; control weight 0.5)",
        {"controlnet": ECOMXL, "control": "inpaint"},
    ),
    Weights(
        "wanx-background-generation-v2",
        FLUX2_KLEIN,
        "Flux2KleinInpaintPipeline",
        APACHE,
        True,
        13,
        "fast; edges are drawn into the starting image",
    ),
    Weights(
        "wanx-background-generation-v2",
        QWEN_EDIT,
        "QwenImageEditInpaintPipeline",
        APACHE,
        True,
        58,
        "strong scene prompts, Chinese included",
    ),
    Weights(
        "wanx-background-generation-v2",
        FLUX_FILL,
        "FluxFillPipeline",
        FLUX1_NC,
        False,
        33,
        "",
    ),
    # wan2.6-image
    Weights(
        "wan2.6-image",
        FLUX2_KLEIN,
        "Flux2KleinPipeline",
        APACHE,
        True,
        13,
        "text to image and editing with 1-4 reference images in one model; one folder can "
        "serve all three image models, resident once",
    ),
    Weights(
        "wan2.6-image",
        "Qwen/Qwen-Image-2512",
        "QwenImagePipeline",
        APACHE,
        True,
        58,
        "the best open text rendering (Chinese too); edits with Qwen-Image-Edit-2511, +42 GB "
        "(the text encoder and VAE are shared): 100 GB in all, more than one 80 GB GPU "
        "unless offloaded",
        {"edit_weights": "Qwen/Qwen-Image-Edit-2511"},
    ),
    Weights(
        "wan2.6-image",
        Z_IMAGE,
        "ZImagePipeline",
        APACHE,
        True,
        16,
        "text to image only (add edit_weights for edits)",
    ),
    Weights(
        "wan2.6-image",
        SDXL_BASE,
        "StableDiffusionXLPipeline",
        RAIL,
        True,
        7,
        "text to image only",
    ),
    Weights(
        "wan2.6-image",
        "black-forest-labs/FLUX.1-dev",
        "FluxPipeline",
        FLUX1_NC,
        False,
        33,
        "edits with FLUX.1 Kontext [dev] (same licence)",
        {"edit_weights": "black-forest-labs/FLUX.1-Kontext-dev"},
    ),
)


WAN_TI2V = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
VIDEO: tuple[Weights, ...] = (
    Weights(
        "wan2.6-t2v",
        WAN_TI2V,
        "WanPipeline",
        APACHE,
        True,
        21,
        "720P at 24 fps, 121-frame clips; continues long shots with its own image-to-video; "
        "the same folder serves wan2.6-i2v, resident once",
    ),
    Weights(
        "wan2.6-t2v",
        "Wan-AI/Wan2.2-T2V-A14B-Diffusers",
        "WanPipeline",
        APACHE,
        True,
        68,
        "best quality (two 14B experts), 16 fps, 81-frame clips; continues long shots with the "
        "I2V-A14B weights; needs offload below ~80 GB",
        {"continue_weights": "Wan-AI/Wan2.2-I2V-A14B-Diffusers"},
    ),
    Weights(
        "wan2.6-t2v",
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        "WanPipeline",
        APACHE,
        True,
        13,
        "cheap previews at 480P; long shots are one long clip",
    ),
    Weights(
        "wan2.6-i2v",
        WAN_TI2V,
        "WanImageToVideoPipeline",
        APACHE,
        True,
        21,
        "the TI2V-5B folder run as image-to-video (the same modules as wan2.6-t2v's)",
    ),
    Weights(
        "wan2.6-i2v",
        "Wan-AI/Wan2.2-I2V-A14B-Diffusers",
        "WanImageToVideoPipeline",
        APACHE,
        True,
        68,
        "best quality; needs offload below ~80 GB",
    ),
    Weights(
        "wan2.6-i2v",
        "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers",
        "WanImageToVideoPipeline",
        APACHE,
        True,
        40,
        "Wan 2.1 with its CLIP image encoder",
    ),
    Weights(
        "wanx2.1-vace-plus",
        "Wan-AI/Wan2.1-VACE-14B-diffusers",
        "WanVACEPipeline",
        APACHE,
        True,
        41,
        "720P at 16 fps, one 81-frame clip per task; every function but the pose and depth "
        "conditions; needs offload below ~48 GB",
    ),
    Weights(
        "wanx2.1-vace-plus",
        "Wan-AI/Wan2.1-VACE-1.3B-diffusers",
        "WanVACEPipeline",
        APACHE,
        True,
        11,
        "cheap previews at 480P (the resolution it was trained at), upscaled to 720P",
        {"max_pixels": 832 * 480},
    ),
)
WEIGHTS = WEIGHTS + VIDEO


def for_model(model: str | None = None) -> list[Weights]:
    """The recommendations (for one model, or all), commercially usable ones first per model."""
    rows = [w for w in WEIGHTS if model is None or w.model == model]
    order = {m: i for i, m in enumerate(dict.fromkeys(w.model for w in WEIGHTS))}
    return sorted(rows, key=lambda w: (order[w.model], not w.commercial))
