"""A diffusers model's options (``WANSTACK_ENGINE_OPTIONS[model]``), parsed and checked at start.

``weights`` (a local folder in diffusers format, or a hub repo id where the host can reach the
hub), ``device`` (``cuda``, ``cuda:N``, ``cpu``; default ``cuda`` when present), ``dtype``
(``bfloat16``, ``float16``, ``float32``; default ``bfloat16`` on CUDA, ``float32`` on CPU),
``steps``, ``guidance``, ``max_pixels`` (a cap on the generation resolution; results are resized
to the exact size DashScope returns), ``lora`` (a list of ``{"weights", "scale"}``), ``offload``
(``none``, ``model``, ``group``, ``sequential``), the speed options (:mod:`.speed`) and what an
engine adds. A wrong key or value is
a :class:`~wanstack.errors.ConfigError` naming the model and the key.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import torch

from wanstack.engines.diffusers.speed import Speed, parse_speed
from wanstack.errors import ConfigError

#: option keys every diffusers engine takes
COMMON_KEYS = frozenset(
    {
        "weights",
        "device",
        "dtype",
        "steps",
        "guidance",
        "max_pixels",
        "lora",
        "offload",
        "cache",
        "compile",
        "attention",
    }
)
OFFLOADS = ("none", "model", "group", "sequential")
DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
#: default cap on generation pixels (results are resized to the requested size afterwards)
MAX_PIXELS = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Lora:
    weights: str
    scale: float = 1.0
    #: Wan 2.2 A14B: load into the second (low-noise) expert instead of the first
    transformer_2: bool = False


@dataclass(frozen=True, slots=True)
class Options:
    """One model's diffusers options, checked."""

    model: str
    weights: str
    device: str
    dtype: str
    steps: int | None
    guidance: float | None
    max_pixels: int
    lora: tuple[Lora, ...]
    offload: str
    extra: dict[str, Any] = field(default_factory=dict)
    speed: Speed = field(default_factory=Speed)


def option_error(model: str, message: str) -> ConfigError:
    return ConfigError(f"WANSTACK_ENGINE_OPTIONS[{model!r}]: {message}")


def parse_options(model: str, raw: dict[str, Any], *, extra_keys: Collection[str] = ()) -> Options:
    """Check one model's options (refused at start, naming the model and the key)."""
    unknown = sorted(set(raw) - COMMON_KEYS - set(extra_keys))
    if unknown:
        allowed = sorted(COMMON_KEYS | set(extra_keys))
        raise option_error(
            model, f"unknown option(s) {unknown}; the diffusers engine takes {allowed}"
        )
    weights = raw.get("weights")
    if not isinstance(weights, str) or not weights:
        raise option_error(model, '"weights" is required: a diffusers folder or a hub repo id')
    cuda = torch.cuda.is_available()
    device = str(raw.get("device") or ("cuda" if cuda else "cpu"))
    if not (device == "cpu" or device == "cuda" or device.startswith("cuda:")):
        raise option_error(model, f'"device" must be cpu, cuda or cuda:N, got {device!r}')
    if device.startswith("cuda") and not cuda:
        raise option_error(model, f'"device" is {device!r} but this machine has no CUDA device')
    dtype = str(raw.get("dtype") or ("bfloat16" if device.startswith("cuda") else "float32"))
    if dtype not in DTYPES:
        raise option_error(model, f'"dtype" must be one of {sorted(DTYPES)}, got {dtype!r}')
    offload = str(raw.get("offload") or "none")
    if offload not in OFFLOADS:
        raise option_error(model, f'"offload" must be one of {list(OFFLOADS)}, got {offload!r}')
    if offload in ("model", "sequential") and not device.startswith("cuda"):
        raise option_error(
            model, f'"offload": "{offload}" needs a CUDA device (use "group" on CPU)'
        )
    steps = number_option(model, raw, "steps", int, 1, 1000)
    guidance = number_option(model, raw, "guidance", float, 0.0, 100.0)
    max_pixels = number_option(model, raw, "max_pixels", int, 64 * 64, 16384 * 16384) or MAX_PIXELS
    loras = []
    for item in raw.get("lora") or []:
        if not isinstance(item, dict) or not isinstance(item.get("weights"), str):
            raise option_error(model, '"lora" must be a list of {"weights": path, "scale": number}')
        loras.append(
            Lora(item["weights"], float(item.get("scale", 1.0)), bool(item.get("transformer_2")))
        )
    speed = parse_speed(raw, lambda message: option_error(model, message))
    if '"mag"' in speed.cache and steps is None:
        raise option_error(model, '"cache" of type "mag" needs "steps" (its ratios are per step)')
    extra = {k: raw[k] for k in extra_keys if k in raw}
    return Options(
        model,
        weights,
        device,
        dtype,
        steps,
        guidance,
        int(max_pixels),
        tuple(loras),
        offload,
        extra,
        speed,
    )


def number_option(
    model: str, raw: dict[str, Any], key: str, kind: type, lo: float, hi: float
) -> Any:
    """``raw[key]`` checked to be a number within [lo, hi], as a ``kind`` (None when absent)."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        low, high = (int(lo), int(hi)) if kind is int else (lo, hi)
        raise option_error(
            model, f'"{key}" must be a number from {low:g} to {high:g}, got {value!r}'
        )
    return kind(value)
