"""Tiny randomly initialised diffusers pipelines, built offline and saved in diffusers format.

Each *kind* is one diffusers pipeline class with the component layout of the real checkpoint
(same component names, same call signature) but a few hundred thousand random parameters and
hand-made tokenizers, so nothing is ever downloaded:

* :data:`KINDS` maps a kind name to its diffusers pipeline class name.
* :func:`build` builds a kind with a fixed seed and saves it with ``save_pretrained`` (cached:
  a folder that already holds ``model_index.json`` is returned at once).
* :func:`load_kwargs` gives the extra ``from_pretrained`` arguments a kind needs on a machine
  without torchvision, and :func:`call_kwargs` the arguments of one 2-step 64x64 call.
* :func:`small_qwen_edit_sizes` shrinks the Qwen-Image-Edit pipelines' internal 1024² resize
  areas for tests.

Typical use::

    folder = build("flux_fill", tmp / "flux_fill")
    pipe = DiffusionPipeline.from_pretrained(
        folder, local_files_only=True, **load_kwargs("flux_fill", folder)
    )
    with small_qwen_edit_sizes():
        images = pipe(**call_kwargs("flux_fill")).images  # (1, 64, 64, 3) floats in [0, 1]

Workarounds this module carries (diffusers 0.42.1, transformers 5.25.0, CPU torch, no torchvision):

* **Tokenizers without the hub.** CLIP: a byte-level ``vocab.json`` + ``merges.txt`` written here
  (``model_max_length`` must be given: transformers 5 otherwise uses 1e30 and truncation
  overflows). T5: a sentencepiece model trained here in ~0.1 s. Qwen2/Qwen3: a byte-level BPE
  built in memory with the Qwen2-VL special tokens; FLUX.2 klein and Z-Image also need a
  ``chat_template`` (they call ``apply_chat_template``).
* **Qwen2VLProcessor (Qwen-Image-Edit kinds).** In transformers 5 its constructor insists on a
  video processor, which needs torchvision, and the only torchvision wheels here are CUDA builds
  that break CPU torch. The processor is therefore saved by hand (tokenizer files and
  ``preprocessor_config.json`` under ``processor/``) and rebuilt by :func:`load_kwargs`, which
  hands it to ``from_pretrained``.
* **Qwen-Image-Edit resize areas.** The edit pipelines resize every input image to a ~1024² area
  (and Edit-Plus to ~384² for the VL encoder) whatever ``height``/``width`` say; with tiny weights
  that costs ~45-120 s per call on 2 cores. :func:`small_qwen_edit_sizes` patches those constants.
  ``QwenImageEditInpaintPipeline`` even takes its output size from that area, so its output is
  ``size`` x ``size`` only inside the context.
* **FLUX.1 Kontext** auto-resizes its input to a preferred ~1024² resolution unless
  ``_auto_resize=False``; :func:`call_kwargs` passes it together with ``max_area``.
* **SDXL / SD inpainting** skip steps when ``strength < 1``: at ``strength=0.99`` with 2 steps
  only 1 denoising step runs, so :func:`call_kwargs` uses ``strength=1.0``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from diffusers import DiffusionPipeline
    from transformers import CLIPTokenizer, PreTrainedTokenizerBase, ProcessorMixin, T5Tokenizer

__all__ = [
    "KINDS",
    "QWEN_EDIT_KINDS",
    "VIDEO_KINDS",
    "build",
    "call_kwargs",
    "count_parameters",
    "load_kwargs",
    "small_qwen_edit_sizes",
]

KINDS: dict[str, str] = {
    # inpainting
    "flux_fill": "FluxFillPipeline",
    "sdxl_inpaint": "StableDiffusionXLInpaintPipeline",
    "sd_inpaint": "StableDiffusionInpaintPipeline",
    "flux2_klein_inpaint": "Flux2KleinInpaintPipeline",
    "qwen_edit_inpaint": "QwenImageEditInpaintPipeline",
    "sdxl_inpaint_controlnet": "StableDiffusionXLControlNetInpaintPipeline",
    # text to image
    "qwen_image": "QwenImagePipeline",
    "flux2_klein": "Flux2KleinPipeline",
    "flux": "FluxPipeline",
    "sdxl": "StableDiffusionXLPipeline",
    "z_image": "ZImagePipeline",
    # editing
    "qwen_edit_plus": "QwenImageEditPlusPipeline",
    "qwen_edit": "QwenImageEditPipeline",
    "flux_kontext": "FluxKontextPipeline",
    # video (Wan 2.1, Wan 2.2 TI2V-5B, Wan 2.2 A14B)
    "wan21_t2v": "WanPipeline",
    "wan21_i2v": "WanImageToVideoPipeline",
    "wan22_ti2v": "WanPipeline",
    "wan22_a14b_t2v": "WanPipeline",
    "wan22_a14b_i2v": "WanImageToVideoPipeline",
    "wan21_vace": "WanVACEPipeline",
}
"""Kind name -> diffusers pipeline class name (the ``_class_name`` of its ``model_index.json``)."""

VIDEO_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k.startswith("wan"))
"""The Wan video kinds (output: frames)."""

QWEN_EDIT_KINDS: frozenset[str] = frozenset({"qwen_edit_inpaint", "qwen_edit_plus", "qwen_edit"})
"""Kinds whose Qwen2VLProcessor :func:`load_kwargs` rebuilds by hand."""

SEED = 0
_PROCESSOR_DIR = "processor"
_PROCESSOR_CLASS = "Qwen2VLProcessor"

# --------------------------------------------------------------------------- tokenizers, offline

_QWEN_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
_QWEN_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_T5_CORPUS_WORDS = (
    "a photo of cat dog astronaut rocket city night sky mountain river dance painting red green "
    "blue sofa table cup flower beach light dark the and with in on 一只 猫 在 跳舞 山 水 城市 夜晚"
)


def _byte_alphabet() -> list[str]:
    """The 256-character byte-level alphabet of GPT-2, CLIP and Qwen BPE vocabularies."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def _clip_tokenizer(folder: Path) -> CLIPTokenizer:
    """A byte-level CLIPTokenizer (~520 tokens) from a hand-written vocab.json and merges.txt."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_alphabet()
    vocab = {c: i for i, c in enumerate(chars)}
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    merges = ["#version: 0.2"]
    for a, b in [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("c", "a")]:
        merges.append(f"{a} {b}")
        vocab.setdefault(a + b, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("\n".join(merges) + "\n", encoding="utf-8")
    # model_max_length is mandatory: transformers 5 defaults to 1e30 and truncation overflows
    return CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)


def _t5_tokenizer(folder: Path) -> T5Tokenizer:
    """A T5Tokenizer from a 256-piece sentencepiece model trained here (deterministic, ~0.1 s)."""
    import sentencepiece as spm
    from transformers import T5Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    words = _T5_CORPUS_WORDS.split()
    corpus = folder / "corpus.txt"
    lines = (" ".join(rng.choice(words) for _ in range(12)) for _ in range(2000))
    corpus.write_text("\n".join(lines), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "spiece"),
        vocab_size=256,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    corpus.unlink()
    return T5Tokenizer.from_pretrained(str(folder), extra_ids=0, model_max_length=512)


def _qwen_tokenizer(chat_template: bool = False) -> PreTrainedTokenizerBase:
    """A byte-level BPE Qwen2Tokenizer (~270 tokens) with the Qwen2-VL special tokens."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    vocab = {c: i for i, c in enumerate(_byte_alphabet())}
    merges: list[tuple[str, str]] = []
    for a, b in [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("a", "n"), ("i", "n"), ("e", "r")]:
        merges.append((a, b))
        vocab.setdefault(a + b, len(vocab))
    for special in _QWEN_SPECIALS:
        vocab[special] = len(vocab)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, model_max_length=1024)
    added = [AddedToken(s, special=True, normalized=False) for s in _QWEN_SPECIALS[1:]]
    tok.add_special_tokens({"additional_special_tokens": added})
    if chat_template:
        # FLUX.2 klein and Z-Image call tokenizer.apply_chat_template(..., enable_thinking=...)
        tok.chat_template = _QWEN_CHAT_TEMPLATE
    return tok


def _qwen_ids(tok: PreTrainedTokenizerBase) -> dict[str, int]:
    return {s: int(tok.convert_tokens_to_ids(s)) for s in _QWEN_SPECIALS}


def _qwen_image_processor_class() -> Any:
    """The Qwen2-VL image processor class that needs no torchvision (PIL based)."""
    try:
        from transformers import Qwen2VLImageProcessorPil
    except ImportError:  # transformers 4.x: the slow processor is PIL based already
        from transformers import Qwen2VLImageProcessor

        return Qwen2VLImageProcessor
    return Qwen2VLImageProcessorPil


def _tiny_qwen_image_processor() -> Any:
    # a small pixel budget keeps the vision tower cheap (at most 4 vision tokens per image)
    return _qwen_image_processor_class()(min_pixels=28 * 28, max_pixels=56 * 56)


def _qwen2vl_processor(tokenizer: Any, image_processor: Any) -> ProcessorMixin:
    """A Qwen2VLProcessor for images, built the way the engines build it without torchvision."""
    from wanstack.engines.diffusers.runtime import qwen_processor

    processor: ProcessorMixin = qwen_processor(tokenizer, image_processor)
    return processor


# --------------------------------------------------------------------------- shared tiny parts


def _clip_text_config(tok: Any) -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=len(tok),
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        hidden_act="gelu",
        max_position_embeddings=77,
        projection_dim=32,
    )


def _t5_sizes(tok: Any) -> dict[str, Any]:
    """A tiny T5 / UMT5 encoder's configuration."""
    return {
        "vocab_size": len(tok),
        "d_model": 32,
        "d_ff": 37,
        "d_kv": 8,
        "num_layers": 2,
        "num_heads": 4,
        "pad_token_id": tok.pad_token_id,
        "eos_token_id": tok.eos_token_id,
        "decoder_start_token_id": 0,
    }


def _t5_encoder(tok: Any) -> Any:
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(**_t5_sizes(tok)))


def _sd_vae() -> Any:
    """SD/SDXL-style AutoencoderKL: 4 latent channels, 2x down-sampling."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(16, 32),
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
    )


def _flux_vae() -> Any:
    """FLUX.1-style AutoencoderKL (no quant convs, shift/scale factors), 2 latent channels."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=2,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )


def _flux_text(scratch: Path) -> dict[str, Any]:
    """CLIP (pooled) + T5 text encoders of the FLUX.1 family."""
    from transformers import CLIPTextModel

    tok = _clip_tokenizer(scratch / "clip")
    tok_2 = _t5_tokenizer(scratch / "t5")
    return {
        "text_encoder": CLIPTextModel(_clip_text_config(tok)),
        "tokenizer": tok,
        "text_encoder_2": _t5_encoder(tok_2),
        "tokenizer_2": tok_2,
    }


def _flux_transformer(in_channels: int, out_channels: int | None = None) -> Any:
    from diffusers import FluxTransformer2DModel

    return FluxTransformer2DModel(
        patch_size=1,
        in_channels=in_channels,
        out_channels=out_channels,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
        guidance_embeds=True,  # FLUX.1 [dev], Fill and Kontext are guidance-distilled
    )


def _sdxl_unet_kwargs() -> dict[str, Any]:
    """UNet/ControlNet settings of the SDXL layout (text_time embedding, 2 text encoders)."""
    return {
        "block_out_channels": (16, 32),
        "layers_per_block": 1,
        "norm_num_groups": 8,
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
        "attention_head_dim": (2, 4),
        "use_linear_projection": True,
        "addition_embed_type": "text_time",
        "addition_time_embed_dim": 8,
        "transformer_layers_per_block": (1, 2),
        "projection_class_embeddings_input_dim": 80,  # 6 time ids x 8 + 32 (pooled text_encoder_2)
        "cross_attention_dim": 64,  # 32 + 32: both text encoders' hidden states side by side
    }


def _sdxl_parts(scratch: Path, in_channels: int) -> dict[str, Any]:
    from diffusers import EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    tok = _clip_tokenizer(scratch / "clip")
    unet = UNet2DConditionModel(
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        **_sdxl_unet_kwargs(),
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )
    return {
        "vae": _sd_vae(),
        "text_encoder": CLIPTextModel(_clip_text_config(tok)),
        "text_encoder_2": CLIPTextModelWithProjection(_clip_text_config(tok)),
        "tokenizer": tok,
        "tokenizer_2": tok,
        "unet": unet,
        "scheduler": scheduler,
    }


def _qwen_parts() -> dict[str, Any]:
    """Qwen-Image layout: Qwen2.5-VL text encoder, QwenImage transformer and 3D VAE."""
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImageTransformer2DModel,
    )
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tok = _qwen_tokenizer()
    ids = _qwen_ids(tok)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=16,
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=3,
        joint_attention_dim=16,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )
    z_dim = 4
    vae = AutoencoderKLQwenImage(
        base_dim=8,
        z_dim=z_dim,
        dim_mult=[1, 2, 2],
        num_res_blocks=1,
        temperal_downsample=[False, True],
        latents_mean=[0.0] * z_dim,
        latents_std=[1.0] * z_dim,
    )
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "vocab_size": len(tok),
            "rope_theta": 1000000.0,
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        },
        vision_config={
            "depth": 2,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": 16,
        },
        hidden_size=16,
        vocab_size=len(tok),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "text_encoder": Qwen2_5_VLForConditionalGeneration(config).eval(),
        "tokenizer": tok,
    }


def _qwen3_config(tok: Any, num_hidden_layers: int) -> Any:
    from transformers import Qwen3Config

    ids = _qwen_ids(tok)
    return Qwen3Config(
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        vocab_size=len(tok),
        max_position_embeddings=512,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
    )


def _flux2_klein_parts() -> dict[str, Any]:
    """FLUX.2 [klein] layout: Qwen3 causal LM text encoder, Flux2 transformer and VAE."""
    from diffusers import (
        AutoencoderKLFlux2,
        FlowMatchEulerDiscreteScheduler,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3ForCausalLM

    tok = _qwen_tokenizer(chat_template=True)
    # 27 layers so that the pipeline's default text_encoder_out_layers=(9, 18, 27) exist; the
    # transformer's joint_attention_dim is hidden_size x 3 layers.
    text_encoder = Qwen3ForCausalLM(_qwen3_config(tok, num_hidden_layers=27)).eval()
    transformer = Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=16 * 3,
        timestep_guidance_channels=256,
        axes_dims_rope=[4, 4, 4, 4],
        guidance_embeds=False,
    )
    vae = AutoencoderKLFlux2(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=1,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "text_encoder": text_encoder,
        "tokenizer": tok,
        "transformer": transformer,
        "vae": vae,
    }


# --------------------------------------------------------------------------- builders


def _build_flux_fill(scratch: Path) -> DiffusionPipeline:
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxFillPipeline

    # in_channels: packed latents (2 x 4) + packed masked-image latents (2 x 4) + packed mask (4)
    return FluxFillPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_flux_vae(),
        transformer=_flux_transformer(20, out_channels=8),
        **_flux_text(scratch),
    )


def _build_flux_t2i(class_name: str, scratch: Path) -> DiffusionPipeline:
    """FLUX.1 text to image, or Kontext (it appends the reference latents to the sequence, so
    in_channels stays 2 x 4 as well): the same parts, another class."""
    import diffusers
    from diffusers import FlowMatchEulerDiscreteScheduler

    pipeline: DiffusionPipeline = getattr(diffusers, class_name)(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_flux_vae(),
        transformer=_flux_transformer(8),
        image_encoder=None,
        feature_extractor=None,
        **_flux_text(scratch),
    )
    return pipeline


def _build_flux(scratch: Path) -> DiffusionPipeline:
    return _build_flux_t2i("FluxPipeline", scratch)


def _build_flux_kontext(scratch: Path) -> DiffusionPipeline:
    return _build_flux_t2i("FluxKontextPipeline", scratch)


def _build_sdxl(scratch: Path) -> DiffusionPipeline:
    from diffusers import StableDiffusionXLPipeline

    return StableDiffusionXLPipeline(**_sdxl_parts(scratch, 4), add_watermarker=False)


def _build_sdxl_inpaint(scratch: Path) -> DiffusionPipeline:
    from diffusers import StableDiffusionXLInpaintPipeline

    # 9 channels: latents + mask + masked-image latents (SDXL 1.0 inpainting 0.1 layout)
    return StableDiffusionXLInpaintPipeline(
        **_sdxl_parts(scratch, 9), requires_aesthetics_score=False, add_watermarker=False
    )


def _build_sdxl_inpaint_controlnet(scratch: Path) -> DiffusionPipeline:
    from diffusers import ControlNetModel, StableDiffusionXLControlNetInpaintPipeline

    parts = _sdxl_parts(scratch, 9)
    # the ControlNet sees only the 4-channel noisy latents, even beside a 9-channel UNet
    controlnet = ControlNetModel(
        in_channels=4,
        conditioning_embedding_out_channels=(8, 16),
        **_sdxl_unet_kwargs(),
    )
    return StableDiffusionXLControlNetInpaintPipeline(
        controlnet=controlnet, requires_aesthetics_score=False, add_watermarker=False, **parts
    )


def _build_sd_inpaint(scratch: Path) -> DiffusionPipeline:
    from diffusers import DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    tok = _clip_tokenizer(scratch / "clip")
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32),
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=32,
        in_channels=9,  # latents + mask + masked-image latents (SD 1.5 inpainting layout)
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=4,
        cross_attention_dim=32,
    )
    # DDIM (not SD's PNDM: PNDM's PLMS warm-up runs num_inference_steps + 1 UNet steps)
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return StableDiffusionInpaintPipeline(
        vae=_sd_vae(),
        text_encoder=CLIPTextModel(_clip_text_config(tok)),
        tokenizer=tok,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )


def _build_qwen_image(scratch: Path) -> DiffusionPipeline:
    from diffusers import QwenImagePipeline

    return QwenImagePipeline(**_qwen_parts())


def _build_qwen_edit(class_name: str) -> DiffusionPipeline:
    """A Qwen-Image edit pipeline: the Qwen-Image parts and a Qwen2VLProcessor."""
    import diffusers

    parts = _qwen_parts()
    processor = _qwen2vl_processor(parts["tokenizer"], _tiny_qwen_image_processor())
    return getattr(diffusers, class_name)(processor=processor, **parts)


def _build_flux2_klein(scratch: Path) -> DiffusionPipeline:
    from diffusers import Flux2KleinPipeline

    return Flux2KleinPipeline(**_flux2_klein_parts(), is_distilled=True)


def _build_flux2_klein_inpaint(scratch: Path) -> DiffusionPipeline:
    from diffusers import Flux2KleinInpaintPipeline

    return Flux2KleinInpaintPipeline(**_flux2_klein_parts(), is_distilled=True)


def _build_z_image(scratch: Path) -> DiffusionPipeline:
    import torch
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        ZImagePipeline,
        ZImageTransformer2DModel,
    )
    from transformers import Qwen3Model

    tok = _qwen_tokenizer(chat_template=True)
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=2,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        norm_eps=1e-5,
        qk_norm=True,
        cap_feat_dim=16,  # = the Qwen3 hidden size
        rope_theta=256.0,
        t_scale=1000.0,
        axes_dims=[8, 4, 4],
        axes_lens=[256, 32, 32],
    )
    # the pad tokens start as torch.empty: give them fixed values (no NaN, deterministic)
    with torch.no_grad():
        transformer.x_pad_token.fill_(1.0)
        transformer.cap_pad_token.fill_(1.0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(8, 16),
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=8,
        sample_size=32,
        scaling_factor=0.3611,
        shift_factor=0.1159,
    )
    return ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=Qwen3Model(_qwen3_config(tok, num_hidden_layers=2)).eval(),
        tokenizer=tok,
        transformer=transformer,
    )


# --------------------------------------------------------------------------- Wan video


def _wan_text(scratch: Path) -> dict[str, Any]:
    from transformers import UMT5Config, UMT5EncoderModel

    tok = _t5_tokenizer(scratch / "t5")
    return {"tokenizer": tok, "text_encoder": UMT5EncoderModel(UMT5Config(**_t5_sizes(tok)))}


def _wan_transformer(
    in_channels: int, out_channels: int = 16, image_dim: int | None = None, *, vace: bool = False
) -> Any:
    """The Wan transformer; with ``vace``, Wan 2.1 VACE's: control blocks beside both layers, fed
    the masked video's latents (inactive + reactive, 2 x 16) and the 8x8-folded mask (64)."""
    from diffusers import WanTransformer3DModel, WanVACETransformer3DModel

    common: dict[str, Any] = {
        "patch_size": (1, 2, 2),
        "num_attention_heads": 2,
        "attention_head_dim": 12,
        "in_channels": in_channels,
        "out_channels": out_channels,
        "text_dim": 32,
        "freq_dim": 256,
        "ffn_dim": 32,
        "num_layers": 2,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "rope_max_seq_len": 32,
    }
    if vace:
        return WanVACETransformer3DModel(vace_layers=[0, 1], vace_in_channels=96, **common)
    return WanTransformer3DModel(image_dim=image_dim, **common)


def _wan_vae(v22: bool) -> Any:
    """Wan 2.1 VAE (16 latent channels, 8x spatial) or Wan 2.2's (48 channels, 2x2 patchify,
    16x spatial); both 4x temporal."""
    from diffusers import AutoencoderKLWan

    common: dict[str, Any] = {
        "base_dim": 3,
        "dim_mult": [1, 1, 1, 1],
        "num_res_blocks": 1,
        "temperal_downsample": [False, True, True],
    }
    if not v22:
        return AutoencoderKLWan(z_dim=16, **common)
    return AutoencoderKLWan(
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        **common,
    )


def _unipc() -> Any:
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0
    )


def _build_wan(kind: str, scratch: Path) -> DiffusionPipeline:
    """The Wan layouts: 2.1 T2V, 2.1 I2V (CLIP image encoder), 2.2 TI2V-5B (expand_timesteps,
    VAE 2.2) as t2v and i2v, 2.2 A14B (two experts, boundary_ratio) as t2v and i2v."""
    from diffusers import WanImageToVideoPipeline, WanPipeline

    text = _wan_text(scratch)
    if kind == "wan21_t2v":
        return WanPipeline(
            vae=_wan_vae(False), transformer=_wan_transformer(16), scheduler=_unipc(), **text
        )
    if kind == "wan22_ti2v":
        return WanPipeline(
            vae=_wan_vae(True),
            transformer=_wan_transformer(48, 48),
            scheduler=_unipc(),
            expand_timesteps=True,
            **text,
        )
    if kind == "wan22_a14b_t2v":
        return WanPipeline(
            vae=_wan_vae(False),
            transformer=_wan_transformer(16),
            transformer_2=_wan_transformer(16),
            boundary_ratio=0.875,
            scheduler=_unipc(),
            **text,
        )
    if kind == "wan22_a14b_i2v":
        return WanImageToVideoPipeline(
            vae=_wan_vae(False),
            transformer=_wan_transformer(36),
            transformer_2=_wan_transformer(36),
            boundary_ratio=0.9,
            scheduler=_unipc(),
            image_encoder=None,
            image_processor=None,
            **text,
        )
    # wan21_i2v: CLIP vision encoder + 36-channel transformer
    from transformers import CLIPVisionConfig, CLIPVisionModel

    encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    )
    return WanImageToVideoPipeline(
        vae=_wan_vae(False),
        transformer=_wan_transformer(36, image_dim=4),
        scheduler=_unipc(),
        image_encoder=encoder,
        image_processor=_clip_image_processor(),
        **text,
    )


def _build_wan_vace(scratch: Path) -> DiffusionPipeline:
    """Wan 2.1 VACE (1.3B / 14B layout): one VACE transformer, the Wan 2.1 VAE, flow matching."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanVACEPipeline

    return WanVACEPipeline(
        vae=_wan_vae(False),
        transformer=_wan_transformer(16, vace=True),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        **_wan_text(scratch),
    )


def _clip_image_processor() -> Any:
    try:  # transformers 5 without torchvision
        from transformers import CLIPImageProcessorPil as Processor
    except ImportError:  # pragma: no cover - older transformers
        from transformers import CLIPImageProcessor as Processor
    return Processor(crop_size=32, size=32)


_BUILDERS: dict[str, Callable[[Path], DiffusionPipeline]] = {
    "flux_fill": _build_flux_fill,
    "sdxl_inpaint": _build_sdxl_inpaint,
    "sd_inpaint": _build_sd_inpaint,
    "flux2_klein_inpaint": _build_flux2_klein_inpaint,
    "qwen_edit_inpaint": lambda _: _build_qwen_edit("QwenImageEditInpaintPipeline"),
    "sdxl_inpaint_controlnet": _build_sdxl_inpaint_controlnet,
    "qwen_image": _build_qwen_image,
    "flux2_klein": _build_flux2_klein,
    "flux": _build_flux,
    "sdxl": _build_sdxl,
    "z_image": _build_z_image,
    "qwen_edit_plus": lambda _: _build_qwen_edit("QwenImageEditPlusPipeline"),
    "qwen_edit": lambda _: _build_qwen_edit("QwenImageEditPipeline"),
    "flux_kontext": _build_flux_kontext,
    **{
        kind: functools.partial(_build_wan, kind)
        for kind in ("wan21_t2v", "wan21_i2v", "wan22_ti2v", "wan22_a14b_t2v", "wan22_a14b_i2v")
    },
    "wan21_vace": _build_wan_vace,
}


# --------------------------------------------------------------------------- public API


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise KeyError(f"unknown tiny pipeline kind {kind!r}; known: {', '.join(KINDS)}")


def count_parameters(pipe: DiffusionPipeline) -> int:
    """Total number of parameters over the pipeline's ``torch.nn.Module`` components."""
    import torch

    modules = [c for c in pipe.components.values() if isinstance(c, torch.nn.Module)]
    return sum(p.numel() for m in modules for p in m.parameters())


def _save_processor_by_hand(pipe: DiffusionPipeline, folder: Path) -> None:
    """Write ``processor/`` (tokenizer + image processor) and name it in model_index.json.

    ``Qwen2VLProcessor.save_pretrained`` fails without a video processor, so the pipeline is
    saved with ``processor=None`` and this adds the parts that :func:`load_kwargs` reads back.
    """
    processor: Any = pipe.processor
    target = folder / _PROCESSOR_DIR
    processor.tokenizer.save_pretrained(str(target))
    processor.image_processor.save_pretrained(str(target))
    index_path = folder / "model_index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["processor"] = ["transformers", _PROCESSOR_CLASS]
    index_path.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def build(kind: str, folder: Path) -> Path:
    """Build the tiny pipeline ``kind`` with a fixed seed and save it in diffusers format.

    The weights are deterministic (seed :data:`SEED`; the global torch RNG is left untouched).
    The folder is created; if it already holds a ``model_index.json`` it is returned as is
    (cache). Files are written beside it first and ``model_index.json`` is moved in last, so an
    interrupted build never leaves a folder that looks complete.
    """
    import torch

    _check_kind(kind)
    folder = Path(folder)
    if (folder / "model_index.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            pipe = _BUILDERS[kind](staging / "scratch")
        saved = staging / "saved"
        processor = getattr(pipe, "processor", None) if kind in QWEN_EDIT_KINDS else None
        if processor is not None:
            pipe.register_modules(processor=None)
        pipe.save_pretrained(str(saved), safe_serialization=True)
        if processor is not None:
            pipe.register_modules(processor=processor)
            _save_processor_by_hand(pipe, saved)
        index = json.loads((saved / "model_index.json").read_text(encoding="utf-8"))
        if index.get("_class_name") != KINDS[kind]:
            raise RuntimeError(f"{kind}: saved {index.get('_class_name')!r}, not {KINDS[kind]!r}")
        for entry in sorted(saved.iterdir()):
            if entry.name == "model_index.json":
                continue
            target = folder / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(entry, target)
        os.replace(saved / "model_index.json", folder / "model_index.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_kwargs(kind: str, folder: Path) -> dict[str, Any]:
    """Extra ``DiffusionPipeline.from_pretrained`` arguments for ``kind`` saved in ``folder``.

    The Qwen-Image-Edit kinds get their Qwen2VLProcessor, rebuilt from ``folder/processor``
    (transformers 5 cannot load it without torchvision); every other kind needs nothing.
    """
    _check_kind(kind)
    if kind not in QWEN_EDIT_KINDS:
        return {}
    from transformers import Qwen2Tokenizer

    source = Path(folder) / _PROCESSOR_DIR
    tokenizer = Qwen2Tokenizer.from_pretrained(str(source))
    image_processor = _qwen_image_processor_class().from_pretrained(str(source))
    return {"processor": _qwen2vl_processor(tokenizer, image_processor)}


def _noise_image(seed: int, size: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _edge_image(size: int) -> Image.Image:
    """A white-on-black grid, like a canny/HED edge map for a ControlNet."""
    pixels = np.zeros((size, size, 3), dtype=np.uint8)
    pixels[:: max(size // 8, 1), :, :] = 255
    pixels[:, :: max(size // 8, 1), :] = 255
    return Image.fromarray(pixels, "RGB")


def _mask_image(size: int) -> Image.Image:
    """White (repaint) square over the centre half of a black (keep) mask."""
    pixels = np.zeros((size, size), dtype=np.uint8)
    pixels[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 255
    return Image.fromarray(pixels, "L")


def call_kwargs(kind: str, size: int = 64) -> dict[str, Any]:
    """Keyword arguments for one small call: ``pipe(**call_kwargs(kind))`` runs 2 steps.

    Images are PIL images of ``size`` x ``size``; the output is ``(1, size, size, 3)`` floats
    (``output_type="np"``). The Qwen-Image-Edit kinds must run inside
    :func:`small_qwen_edit_sizes` (``area=size * size``) to be fast and to give that output size.
    No ``generator`` is included: callers add their own.
    """
    _check_kind(kind)
    common: dict[str, Any] = {
        "height": size,
        "width": size,
        "num_inference_steps": 2,
        "output_type": "np",
    }
    image, mask = _noise_image(0, size), _mask_image(size)
    specific: dict[str, dict[str, Any]] = {
        "flux_fill": {
            "prompt": "a cat on a sofa",
            "image": image,
            "mask_image": mask,
            "guidance_scale": 30.0,
            "max_sequence_length": 32,
        },
        "flux": {"prompt": "a cat on a sofa", "guidance_scale": 3.5, "max_sequence_length": 32},
        "flux_kontext": {
            "prompt": "make the cup red",
            "image": image,
            "guidance_scale": 2.5,
            "max_sequence_length": 32,
            # without these Kontext resizes its input to ~1024² (seconds per step, GBs of RAM)
            "_auto_resize": False,
            "max_area": size * size,
        },
        "sdxl": {"prompt": "a cat on a sofa", "negative_prompt": "blurry", "guidance_scale": 5.0},
        # strength 1.0: at 0.99 the img2img timestep cut leaves only 1 of the 2 steps
        "sdxl_inpaint": {
            "prompt": "a cat on a sofa",
            "image": image,
            "mask_image": mask,
            "strength": 1.0,
            "guidance_scale": 5.0,
        },
        "sdxl_inpaint_controlnet": {
            "prompt": "a cat on a sofa",
            "image": image,
            "mask_image": mask,
            "control_image": _edge_image(size),
            "strength": 1.0,
            "guidance_scale": 5.0,
            "controlnet_conditioning_scale": 0.5,
        },
        "sd_inpaint": {
            "prompt": "a cat on a sofa",
            "image": image,
            "mask_image": mask,
            "strength": 1.0,
            "guidance_scale": 7.5,
        },
        "qwen_image": {
            "prompt": "一只猫 in a city at night",
            "negative_prompt": " ",
            "true_cfg_scale": 2.0,
            "max_sequence_length": 64,
        },
        "qwen_edit_inpaint": {
            "prompt": "a watercolor flower",
            "image": image,
            "mask_image": mask,
            "strength": 1.0,
            "true_cfg_scale": 1.0,
        },
        "qwen_edit": {"prompt": "make the cup red", "image": image, "true_cfg_scale": 1.0},
        "qwen_edit_plus": {
            "prompt": "put the cup from picture 1 on the table of picture 2",
            "image": [image, _noise_image(1, size)],
            "true_cfg_scale": 1.0,
        },
        # Flux2KleinPipeline edits with reference images; drop "image" for text to image
        "flux2_klein": {
            "prompt": "把杯子放到木桌上",
            "image": [image, _noise_image(1, size)],
            "max_sequence_length": 64,
        },
        "flux2_klein_inpaint": {
            "prompt": "a red sofa",
            "image": image,
            "mask_image": mask,
            "strength": 1.0,
            "max_sequence_length": 64,
        },
        **{
            kind: {
                "prompt": "一只猫 dancing",
                "negative_prompt": "blurry",
                "num_frames": 9,
                "max_sequence_length": 32,
                **({"image": image} if kind.endswith("_i2v") else {}),
            }
            for kind in VIDEO_KINDS
        },
        "z_image": {
            "prompt": "一只猫 in a city at night",
            "negative_prompt": "blurry",
            "guidance_scale": 2.0,
            "max_sequence_length": 64,
        },
    }
    return {**common, **specific[kind]}


@contextlib.contextmanager
def small_qwen_edit_sizes(area: int = 64 * 64) -> Iterator[None]:
    """Shrink the Qwen-Image-Edit pipelines' internal resize areas to ``area`` pixels (tests only).

    ``QwenImageEdit*Pipeline`` resize every input image to a ~1024² area for the VAE (Edit-Plus
    also to ~384² for the VL encoder) whatever ``height``/``width`` say: with tiny weights one
    call then takes ~45-120 s and ~1.7 GB on 2 CPU cores. Inside this context the module-level
    ``calculate_dimensions``, ``VAE_IMAGE_SIZE`` and ``CONDITION_IMAGE_SIZE`` are capped to
    ``area``; they are restored on exit. Not thread-safe: it patches module globals.
    """
    import importlib

    names = ("calculate_dimensions", "VAE_IMAGE_SIZE", "CONDITION_IMAGE_SIZE")
    modules = [
        importlib.import_module(f"diffusers.pipelines.qwenimage.pipeline_qwenimage_{suffix}")
        for suffix in ("edit", "edit_inpaint", "edit_plus")
    ]
    saved = [(m, n, getattr(m, n)) for m in modules for n in names if hasattr(m, n)]

    def capped(original: Callable[..., Any]) -> Callable[..., Any]:
        def calculate_dimensions(target_area: int, ratio: float) -> Any:
            return original(min(target_area, area), ratio)

        return calculate_dimensions

    try:
        for module, name, value in saved:
            setattr(module, name, capped(value) if callable(value) else min(value, area))
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
