"""Speed options, off unless configured: a diffusers cache hook, ``torch.compile`` of the
transformer's repeated blocks, and the attention backend (step-distilled LoRAs are the ``lora``
option). Each applies to every transformer of a pipeline (Wan 2.2 A14B has two experts).

* ``cache``: ``{"type": "first_block", "threshold": 0.2}`` (First Block Cache: when the first
  block's output barely changes between steps, the rest of the blocks are skipped) or
  ``{"type": "mag", "ratios": [...], "threshold": 0.06}`` (MagCache, with the magnitude ratios
  calibrated for the checkpoint and scheduler; the steps come from the ``steps`` option).
* ``compile``: ``true`` or ``{"mode": ..., "backend": ..., "dynamic": ..., "fullgraph": ...}``,
  passed to ``compile_repeated_blocks`` (regional compilation: each transformer block type is
  compiled once; the first call of each new shape is slow).
* ``attention``: a diffusers attention backend (``native``, ``flash``, ``_native_cudnn``,
  ``sage``, …); kernels from the hub (``*_hub``) need network access the first time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wanstack.errors import ConfigError

CACHES = ("first_block", "mag")
COMPILE_KEYS = frozenset({"mode", "backend", "dynamic", "fullgraph"})


@dataclass(frozen=True, slots=True)
class Speed:
    """The speed options of one model, checked; hashable (part of a resident pipeline's key)."""

    cache: str = ""  #: canonical JSON of the cache option ("" for none)
    compile: str = ""  #: canonical JSON of the compile arguments ("" for none)
    attention: str = ""

    @property
    def any(self) -> bool:
        return bool(self.cache or self.compile or self.attention)


def parse_speed(raw: dict[str, Any], error: Any) -> Speed:
    """``cache``, ``compile`` and ``attention`` from one model's options; ``error(message)``
    makes the :class:`ConfigError` naming the model."""
    cache = raw.get("cache")
    if cache is not None:
        kind = cache.get("type") if isinstance(cache, dict) else None
        if kind not in CACHES:
            raise error(f'"cache" must be {{"type": "first_block" | "mag", …}}, got {cache!r}')
        threshold = cache.get("threshold")
        if threshold is not None and not (
            isinstance(threshold, int | float) and 0 < threshold <= 10
        ):
            raise error(f'"cache"."threshold" must be a number in (0, 10], got {threshold!r}')
        ratios = cache.get("ratios")
        if kind == "mag" and not (
            isinstance(ratios, list) and ratios and all(isinstance(r, int | float) for r in ratios)
        ):
            raise error('"cache" of type "mag" needs "ratios": the calibrated magnitude ratios')
        unknown = set(cache) - {"type", "threshold", "ratios"}
        if unknown:
            raise error(f'"cache" has unknown key(s) {sorted(unknown)}')
    compiled = raw.get("compile")
    if compiled is True:
        compiled = {}
    elif compiled is False or compiled is None:
        compiled = None
    elif not isinstance(compiled, dict) or set(compiled) - COMPILE_KEYS:
        raise error(f'"compile" must be true or an object with keys {sorted(COMPILE_KEYS)}')
    attention = raw.get("attention")
    if attention is not None:
        from diffusers.models.attention_dispatch import AttentionBackendName

        names = sorted(b.value for b in AttentionBackendName)
        if attention not in names:
            raise error(f'"attention" must be one of {names}, got {attention!r}')
    return Speed(
        cache=json.dumps(cache, sort_keys=True) if cache else "",
        compile=json.dumps(compiled, sort_keys=True) if compiled is not None else "",
        attention=attention or "",
    )


def transformers_of(pipe: Any) -> list[Any]:
    """The denoising transformers of a pipeline (one, or two experts)."""
    return [m for m in (getattr(pipe, n, None) for n in ("transformer", "transformer_2")) if m]


def apply(pipe: Any, speed: Speed, steps: int) -> None:
    """Turn the options on for every transformer of ``pipe``; raises :class:`ConfigError` where
    the pipeline cannot take them (a UNet pipeline has no transformer)."""
    if not speed.any:
        return
    models = transformers_of(pipe)
    if not models:
        raise ConfigError(
            f"{type(pipe).__name__} has no transformer: cache, compile and attention apply to "
            "transformer pipelines (FLUX, Qwen-Image, Z-Image, Wan)"
        )
    for model in models:
        if speed.attention:
            model.set_attention_backend(speed.attention)
        if speed.cache:
            model.enable_cache(_cache_config(json.loads(speed.cache), steps))
        if speed.compile:
            model.compile_repeated_blocks(**json.loads(speed.compile))


def _cache_config(cache: dict[str, Any], steps: int) -> Any:
    from diffusers import FirstBlockCacheConfig, MagCacheConfig

    if cache["type"] == "first_block":
        return FirstBlockCacheConfig(  # type: ignore[no-untyped-call]
            threshold=float(cache.get("threshold", 0.2))
        )
    return MagCacheConfig(  # type: ignore[no-untyped-call]
        threshold=float(cache.get("threshold", 0.06)),
        mag_ratios=[float(r) for r in cache["ratios"]],
        num_inference_steps=steps,
    )
