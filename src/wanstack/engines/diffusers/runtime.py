"""Resident diffusers pipelines: loaded once per worker, shared, run one call at a time.

* **Options** (:mod:`.options`) are checked at start, before anything loads.
* **Loading** (:func:`load`): the pipeline class is read from the weights' ``model_index.json``
  and must be one the engine can drive; weights the same engine options point at are loaded once
  per process and shared by every model that uses them (:data:`_RESIDENT`). Any failure is a
  :class:`WeightsError` naming the model and the weights, so the worker refuses to start.
* **Running** (:meth:`Resident.call`): one call at a time per pipeline (diffusers pipelines are
  stateful; the worker may run several tasks at once), keyword arguments the pipeline's
  ``__call__`` does not take are dropped, the seed becomes a :class:`torch.Generator`, and the
  step callback checks the task's :class:`~wanstack.engines.base.CancelToken` (raising stops at
  once, with no VAE decode; ``pipe._interrupt`` would still decode) and reports progress.
"""

from __future__ import annotations

import gc
import inspect
import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers import speed
from wanstack.engines.diffusers.options import DTYPES, Options
from wanstack.errors import ConfigError


class WeightsError(ConfigError):
    """A model's weights could not be loaded (missing folder, wrong pipeline class, bad files)."""


def pipeline_class(weights: str) -> str:
    """The ``_class_name`` in the weights' ``model_index.json`` (a folder, or a hub repo id)."""
    folder = Path(weights).expanduser()
    if not folder.is_dir() and (folder.is_absolute() or weights.startswith((".", "~"))):
        raise ValueError(f"{weights} is not a folder (download the weights there first)")
    if folder.is_dir():
        index = folder / "model_index.json"
        if not index.is_file():
            raise ValueError(f"{weights} has no model_index.json: not a diffusers pipeline folder")
        return str(json.loads(index.read_text())["_class_name"])
    from diffusers import DiffusionPipeline

    config = DiffusionPipeline.load_config(weights)  # from the hub, where it can be reached
    return str(config["_class_name"])


@dataclass
class Resident:
    """A loaded pipeline and what running it safely needs."""

    pipe: Any
    class_name: str
    weights: str
    device: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded_in_s: float = 0.0

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset(inspect.signature(type(self.pipe).__call__).parameters)

    @property
    def multiple(self) -> int:
        """Generation sides must be multiples of this: the VAE's down-sampling times the
        transformers' 2×2 patches (UNets need only the VAE's factor; 2× more does no harm)."""
        factor: Any = getattr(self.pipe, "vae_scale_factor", None)
        factor = factor or getattr(self.pipe, "vae_scale_factor_spatial", 8)  # Wan
        return max(16, int(factor) * 2)

    def default(self, name: str) -> Any:
        parameter = inspect.signature(type(self.pipe).__call__).parameters.get(name)
        return None if parameter is None else parameter.default

    def generator(self, seed: int) -> torch.Generator:
        device = "cpu" if self.device == "cpu" else self.device
        return torch.Generator(device=device).manual_seed(seed % (2**63))

    def call(
        self,
        cancel: CancelToken,
        progress: Callable[[int, int], None],
        **kwargs: Any,
    ) -> np.ndarray[Any, Any]:
        """Run the pipeline once (one image, or one clip) and return it as H×W×3 (F×H×W×3)
        uint8. Arguments the
        pipeline does not take are dropped; ``guidance`` goes to ``true_cfg_scale`` where the
        pipeline's CFG is that (Qwen-Image), else to ``guidance_scale``."""
        accepted = self.parameters
        guidance = kwargs.pop("guidance", None)
        if guidance is not None:
            uses_true_cfg = "true_cfg_scale" in accepted and self.default("guidance_scale") is None
            kwargs["true_cfg_scale" if uses_true_cfg else "guidance_scale"] = guidance
            if uses_true_cfg and guidance > 1.0 and not kwargs.get("negative_prompt"):
                kwargs["negative_prompt"] = " "  # Qwen-Image's CFG runs only with a negative
        call = {k: v for k, v in kwargs.items() if k in accepted and v is not None}

        def on_step(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> Any:
            cancel.check()  # raises TaskCanceled: the pipeline stops now, nothing is decoded
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()  # report what the GPU finished, not what was queued
            progress(step + 1, int(getattr(pipe, "num_timesteps", 0) or 0))
            return tensors

        cancel.check()
        with self.lock, torch.inference_mode():
            try:
                out = self.pipe(**call, callback_on_step_end=on_step, output_type="np")
            finally:
                if hasattr(self.pipe, "maybe_free_model_hooks"):
                    self.pipe.maybe_free_model_hooks()
        cancel.check()
        frames = getattr(out, "frames", None)  # video pipelines: F×H×W×3
        image = np.asarray(out.images[0] if frames is None else frames[0])
        return np.asarray(np.clip(image * 255.0 + 0.5, 0, 255), dtype=np.uint8)


#: (weights, device, dtype, offload, loras) → the pipeline loaded for it, shared in the process
_RESIDENT: dict[tuple[Any, ...], Resident] = {}
_LOADING = threading.Lock()


def load(
    options: Options,
    allowed: Collection[str],
    *,
    weights: str | None = None,
    convert: Mapping[str, str] | None = None,
    controlnet: str | None = None,
) -> Resident:
    """The resident pipeline for ``options`` (``weights`` overrides ``options.weights``, e.g. a
    model's edit pipeline), loaded on first use; raises :class:`WeightsError`.

    Weights holding a class outside ``allowed`` that ``convert`` maps to one inside are loaded as
    they are (shared with any model that runs them directly) and wrapped by the other class's
    ``from_pipe``: the same modules, no second copy in memory, and one lock for both. A
    ``controlnet`` (a ``ControlNetModel`` folder or repo id) joins the wrapped pipeline."""
    weights = weights or options.weights
    key = (weights, options.device, options.dtype, options.offload, options.lora, options.speed)
    with _LOADING:
        found = _RESIDENT.get(key)
        held = found.class_name if found is not None else _class_of(options.model, weights)
        target = held if held in allowed else (convert or {}).get(held, "")
        if target not in allowed:  # refused before anything heavy loads
            raise _wrong_class(options.model, weights, held, allowed, convert)
        found = found or _loaded(key, options, weights, held)
        if target == found.class_name and controlnet is None:
            return found
        derived = _RESIDENT.get((*key, target, controlnet))
        if derived is None:
            derived = _derived(found, target, options, controlnet)
            _RESIDENT[(*key, target, controlnet)] = derived
        return derived


def _derived(found: Resident, target: str, options: Options, controlnet: str | None) -> Resident:
    """``found``'s modules as a ``target`` pipeline, with a ControlNet added when named."""
    import diffusers

    where = f"{options.model}: cannot run the {found.class_name} weights {found.weights}"
    extra: dict[str, Any] = {}
    if controlnet is not None:
        try:
            extra["controlnet"] = diffusers.ControlNetModel.from_pretrained(  # type: ignore[no-untyped-call]
                controlnet,
                torch_dtype=DTYPES[options.dtype],
                local_files_only=Path(controlnet).is_dir(),
            )
        except Exception as exc:
            raise WeightsError(
                f"{options.model}: cannot load the ControlNet weights {controlnet}: {exc}"
            ) from exc
    try:
        pipe = getattr(diffusers, target).from_pipe(found.pipe, **extra)
        _place(pipe, options, new=extra.values())
    except Exception as exc:
        raise WeightsError(f"{where} as a {target}: {exc}") from exc
    pipe.set_progress_bar_config(disable=True)
    derived = Resident(pipe, target, found.weights, options.device, lock=found.lock)
    derived.loaded_in_s = found.loaded_in_s
    return derived


def _class_of(model: str, weights: str) -> str:
    try:
        return pipeline_class(weights)
    except Exception as exc:
        raise WeightsError(f"{model}: cannot load the weights {weights}: {exc}") from exc


def _loaded(key: tuple[Any, ...], options: Options, weights: str, class_name: str) -> Resident:
    """Load the pipeline the weights hold and keep it (the caller holds _LOADING)."""
    started = time.perf_counter()
    try:
        pipe = _from_pretrained(class_name, weights, options)
    except Exception as exc:
        raise WeightsError(
            f"{options.model}: cannot load the {class_name} weights {weights}: {exc}"
        ) from exc
    resident = Resident(pipe, class_name, weights, options.device)
    resident.loaded_in_s = time.perf_counter() - started
    _RESIDENT[key] = resident
    return resident


def _wrong_class(
    model: str,
    weights: str,
    found: str,
    allowed: Collection[str],
    convert: Mapping[str, str] | None,
) -> WeightsError:
    usable = sorted(set(allowed) | {k for k, v in (convert or {}).items() if v in allowed})
    return WeightsError(
        f"{model}: the weights {weights} hold a {found}, which cannot serve {model}; "
        f"use weights of one of {usable}"
    )


def _from_pretrained(class_name: str, weights: str, options: Options) -> Any:
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()  # the log says how long loading took
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    diffusers.utils.logging.set_verbosity_error()  # per-call notices would flood the log

    cls = getattr(diffusers, class_name)
    local = Path(weights).is_dir()
    kwargs: dict[str, Any] = {"dtype": DTYPES[options.dtype], "local_files_only": local}
    kwargs.update(missing_components(class_name, weights))
    pipe = cls.from_pretrained(weights, **kwargs)
    for i, lora in enumerate(options.lora):
        into_2 = {"load_into_transformer_2": True} if lora.transformer_2 else {}
        pipe.load_lora_weights(lora.weights, adapter_name=f"lora{i}", **into_2)
    if options.lora:
        pipe.set_adapters(
            [f"lora{i}" for i in range(len(options.lora))], [x.scale for x in options.lora]
        )
    _place(pipe, options, new=pipe.components.values())
    speed.apply(pipe, options.speed, options.steps or 0)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _place(pipe: Any, options: Options, new: Collection[Any]) -> None:
    """Put a pipeline where the options say: on the device, or offloaded. ``new`` are its
    modules not placed yet (a pipeline made by ``from_pipe`` shares the rest, already placed;
    model and sequential offload hooks belong to a pipeline, so they are set up again)."""
    modules = [m for m in new if isinstance(m, torch.nn.Module)]
    if options.offload == "model":
        pipe.enable_model_cpu_offload(device=options.device)
    elif options.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=options.device)
    elif options.offload == "group":
        from diffusers.hooks.group_offloading import apply_group_offloading

        for module in modules:
            apply_group_offloading(
                module,
                onload_device=torch.device(options.device),
                offload_device=torch.device("cpu"),
                offload_type="leaf_level",
            )
    elif options.device != "cpu":  # loaded on the CPU
        for module in modules:
            module.to(options.device)


def missing_components(class_name: str, weights: str) -> dict[str, Any]:
    """Components a folder cannot provide on this host, built here: the Qwen-Image edit
    pipelines' ``Qwen2VLProcessor`` needs torchvision's video processor in transformers 5, and
    CPU-only hosts have no torchvision; the processor is then assembled from the folder's
    ``processor/`` tokenizer and a PIL image processor (all the edit pipelines use of it)."""
    source = Path(weights) / "processor"
    if not class_name.startswith("QwenImageEdit") or not source.is_dir():
        return {}
    try:
        import torchvision  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        return {}  # the folder's own processor loads
    from transformers import Qwen2Tokenizer, Qwen2VLImageProcessorPil

    tokenizer = Qwen2Tokenizer.from_pretrained(str(source), local_files_only=True)
    image_processor = Qwen2VLImageProcessorPil.from_pretrained(str(source), local_files_only=True)
    return {"processor": qwen_processor(tokenizer, image_processor)}


def qwen_processor(tokenizer: Any, image_processor: Any) -> Any:
    """A ``Qwen2VLProcessor`` for images. Without torchvision, transformers 5's constructor asks
    for a video processor class that imports it; images never use it, so the attributes are
    then set by hand."""
    from transformers import Qwen2VLProcessor

    try:
        return Qwen2VLProcessor(  # type: ignore[no-untyped-call]
            image_processor=image_processor, tokenizer=tokenizer
        )
    except (AttributeError, TypeError, ValueError):
        processor = Qwen2VLProcessor.__new__(Qwen2VLProcessor)
        processor.chat_template = None
        processor.image_processor = image_processor
        processor.tokenizer = tokenizer
        processor.video_processor = None
        processor.image_token = "<|image_pad|>"
        processor.video_token = "<|video_pad|>"
        processor.image_token_id = tokenizer.convert_tokens_to_ids(processor.image_token)
        processor.video_token_id = tokenizer.convert_tokens_to_ids(processor.video_token)
        return processor


def release() -> None:
    """Drop every resident pipeline and give their memory back (tests, ``models check``)."""
    with _LOADING:
        _RESIDENT.clear()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def gpu_peak_bytes(device: str) -> int | None:
    """The most memory torch held on a CUDA ``device`` since the last call (None off CUDA);
    starts the next measurement."""
    if not device.startswith("cuda") or not torch.cuda.is_available():
        return None
    peak = int(torch.cuda.max_memory_allocated(device))
    torch.cuda.reset_peak_memory_stats(device)
    return peak


def generation_size(size: tuple[int, int], max_pixels: int, multiple: int = 16) -> tuple[int, int]:
    """The size to generate at for an output of ``size``: its aspect, at most ``max_pixels``,
    both sides multiples of ``multiple`` (what the VAE and patching need)."""
    width, height = size
    scale = min(1.0, (max_pixels / (width * height)) ** 0.5)
    w = max(multiple, round(width * scale / multiple) * multiple)
    h = max(multiple, round(height * scale / multiple) * multiple)
    return w, h
