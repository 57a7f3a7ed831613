"""Which engine implementations exist for which model, imported lazily.

The keys are the DashScope ``model`` string and the implementation (family) name a deployment
picks with ``WANSTACK_ENGINES``: the folder or module under ``wanstack.engines`` of that name.
Values are ``"module:Class"`` strings so that a CPU-only install never imports torch: a GPU
engine's module is imported only when configured.

Options (``WANSTACK_ENGINE_OPTIONS``) are given per DashScope model, so two models served by the
same family can load different weights: ``{"wanx-x-painting": {"weights": "/models/flux-fill"}}``.
A key naming a family instead (``{"fake": {"delay": 3}}``) sets defaults for every model that
family serves; a model's own options win. Unknown models, families or keys are refused when the
process starts (:meth:`EngineProvider.check`), by setting name.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterable
from typing import Any

from wanstack.engines.base import Engine
from wanstack.engines.requests import VACE_FUNCTIONS
from wanstack.errors import ConfigError, InternalError, InvalidParameter

DEFAULT_IMPLEMENTATION = "classic"

ENGINES: dict[tuple[str, str], str] = {
    ("wanx-x-painting", "classic"): "wanstack.engines.classic.inpaint:ClassicInpaint",
    ("wanx-x-painting", "fake"): "wanstack.engines.fake:FakeInpaint",
    ("wanx-x-painting", "diffusers"): "wanstack.engines.diffusers.inpaint:DiffusersInpaint",
    ("wanx-background-generation-v2", "classic"): (
        "wanstack.engines.classic.background:ClassicBackground"
    ),
    ("wanx-background-generation-v2", "fake"): "wanstack.engines.fake:FakeBackground",
    ("wanx-background-generation-v2", "diffusers"): (
        "wanstack.engines.diffusers.background:DiffusersBackground"
    ),
    ("wan2.6-t2v", "classic"): "wanstack.engines.classic.text2video:SceneVideo",
    ("wan2.6-t2v", "fake"): "wanstack.engines.fake:FakeVideo",
    ("wan2.6-t2v", "diffusers"): "wanstack.engines.diffusers.video:DiffusersTextToVideo",
    ("wan2.6-i2v", "classic"): "wanstack.engines.classic.image2video:CameraVideo",
    ("wan2.6-i2v", "fake"): "wanstack.engines.fake:FakeVideo",
    ("wan2.6-i2v", "diffusers"): "wanstack.engines.diffusers.video:DiffusersImageToVideo",
    ("wan2.6-image", "classic"): "wanstack.engines.classic.image:WanImage",
    ("wan2.6-image", "fake"): "wanstack.engines.fake:FakeWanImage",
    ("wan2.6-image", "diffusers"): "wanstack.engines.diffusers.image:DiffusersImage",
}
#: every other model is served by the engines of one of the five seed models (the shape of the
#: requests it receives; ``wanstack models check`` runs that model's sample request)
_IMAGE_MODELS = (  # text to image, or an edit of the input images: wan2.6-image's engines
    "wan2.5-t2i-preview",
    "wan2.2-t2i-flash",
    "wan2.2-t2i-plus",
    "wanx2.1-t2i-turbo",
    "wanx2.1-t2i-plus",
    "wanx2.0-t2i-turbo",
    "wan2.6-t2i",
    "qwen-image",
    "qwen-image-plus",
    "qwen-image-max",
    "qwen-image-2.0",
    "qwen-image-2.0-pro",
    "z-image-turbo",
    "wanx-v1",
    "qwen-image-edit",
    "qwen-image-edit-plus",
    "qwen-image-edit-max",
    "wan2.5-i2i-preview",
)
SERVED_LIKE: dict[str, str] = {
    **dict.fromkeys(_IMAGE_MODELS, "wan2.6-image"),
    **dict.fromkeys(
        ("wan2.5-t2v-preview", "wan2.2-t2v-plus", "wanx2.1-t2v-turbo", "wanx2.1-t2v-plus"),
        "wan2.6-t2v",
    ),
    **dict.fromkeys(
        (
            "wan2.5-i2v-preview",
            "wan2.2-i2v-flash",
            "wan2.2-i2v-plus",
            "wanx2.1-i2v-turbo",
            "wanx2.1-i2v-plus",
            "wan2.2-kf2v-flash",
            "wanx2.1-kf2v-plus",
        ),
        "wan2.6-i2v",
    ),
    # inpainting requests: x-painting's engines
    "wanx-style-repaint-v1": "wanx-x-painting",
}
for _model, _like in SERVED_LIKE.items():
    for _family in ("classic", "fake", "diffusers"):
        ENGINES[(_model, _family)] = ENGINES[(_like, _family)]
for _model in ("wan2.2-kf2v-flash", "wanx2.1-kf2v-plus"):  # their own classic engine
    ENGINES[(_model, "classic")] = "wanstack.engines.classic.keyframes:KeyframeVideo"
# models with engines of their own (x-painting's inpainting is part of imageedit's engines)
ENGINES.update(
    {
        ("wanx2.1-imageedit", "classic"): "wanstack.engines.classic.imageedit:ClassicImageEdit",
        ("wanx2.1-imageedit", "fake"): "wanstack.engines.fake:FakeImageEdit",
        ("wanx2.1-imageedit", "diffusers"): (
            "wanstack.engines.diffusers.imageedit:DiffusersImageEdit"
        ),
        ("wanx2.1-vace-plus", "classic"): "wanstack.engines.classic.vace:ClassicVace",
        ("wanx2.1-vace-plus", "diffusers"): "wanstack.engines.diffusers.vace:DiffusersVace",
        ("wanx2.1-vace-plus", "fake"): "wanstack.engines.fake:FakeVace",
    }
)


#: Per (model, family) whose engine serves only some ``input.function`` values: each served
#: function, with the ``control_condition`` values it follows ("" = none; None = any, recorded).
#: A (model, family) not listed serves every function its catalog entry accepts.
_ANY = None
_CLASSIC_VACE: dict[str, frozenset[str] | None] = {
    "image_reference": _ANY,
    "video_extension": _ANY,  # its motion reference (video_url + condition) is recorded
    "video_outpainting": _ANY,
}
FUNCTIONS: dict[tuple[str, str], dict[str, frozenset[str] | None]] = {
    ("wanx2.1-vace-plus", "classic"): _CLASSIC_VACE,
    ("wanx2.1-vace-plus", "diffusers"): {
        **_CLASSIC_VACE,
        "video_edit": frozenset({""}),
        "video_repainting": frozenset({"scribble"}),
    },
}
_KNOWN = {"wanx2.1-vace-plus": VACE_FUNCTIONS}
#: why a family cannot serve what it refuses (the error message's reason)
_WHY = {
    "classic": "it re-draws the video's content, which needs a generative model (the diffusers "
    "engine on Wan 2.1 VACE weights serves video_edit and video_repainting)",
    "diffusers": "pose (posebody, posebodyface) and depth conditions need annotator models "
    "that this server does not run",
}


def check_served(model: str, family: str, function: str, condition: str | None = None) -> None:
    """Raise :class:`InvalidParameter` naming the field when ``family``'s engine for ``model``
    does not serve ``function`` (one of the model's functions; others are the catalog's to
    refuse) or, unless ``condition`` is None, does not follow that ``control_condition`` ("" =
    none)."""
    served = FUNCTIONS.get((model, family))
    if served is None or function not in _KNOWN.get(model, ()):
        return
    if function not in served:
        raise InvalidParameter(
            f"input.function {function!r} is not served by this server's {family} engine for "
            f"{model}: {_WHY.get(family, 'not implemented')}; served: {', '.join(served)}"
        )
    conditions = served[function]
    if condition is not None and conditions is not None and condition not in conditions:
        named = ", ".join(repr(c) if c else "none" for c in sorted(conditions))
        raise InvalidParameter(
            f"parameters.control_condition {condition or 'none'!r} is not followed by this "
            f"server's {family} engine for {model} {function}: {_WHY.get(family, '')}; "
            f"followed: {named}"
        )


def available(model: str) -> list[str]:
    """Implementation names registered for ``model``."""
    return sorted(impl for (m, impl) in ENGINES if m == model)


def models() -> list[str]:
    """Every model some engine serves."""
    return sorted({m for m, _ in ENGINES})


def families() -> list[str]:
    """Every implementation name."""
    return sorted({impl for _, impl in ENGINES})


class EngineProvider:
    """Builds each configured engine once per process and keeps it resident."""

    def __init__(
        self,
        choices: dict[str, str] | None = None,
        options: dict[str, dict[str, object]] | None = None,
    ) -> None:
        self._choices = choices or {}
        self._options = options or {}
        self._engines: dict[str, Engine[Any]] = {}
        self._lock = threading.Lock()

    def implementation(self, model: str) -> str:
        return self._choices.get(model, DEFAULT_IMPLEMENTATION)

    def options(self, model: str) -> dict[str, object]:
        """The options ``model``'s engine is built with: its family's defaults, then its own."""
        return {**self._options.get(self.implementation(model), {}), **self._options.get(model, {})}

    def check(self) -> None:
        """Refuse a configuration naming an unknown model or family (raises
        :class:`ConfigError` naming the setting), before any task is claimed."""
        known = models()
        for model, impl in self._choices.items():
            if model not in known:
                raise ConfigError(
                    f"WANSTACK_ENGINES names an unknown model {model!r}; models: {known}"
                )
            if (model, impl) not in ENGINES:
                raise ConfigError(
                    f"WANSTACK_ENGINES: no engine {impl!r} for {model!r}; "
                    f"available: {available(model)}"
                )
        for key, value in self._options.items():
            if key not in known and key not in families():
                raise ConfigError(
                    f"WANSTACK_ENGINE_OPTIONS has a key {key!r} that is neither a model "
                    f"({known}) nor an engine family ({families()})"
                )
            if not isinstance(value, dict):
                raise ConfigError(
                    f"WANSTACK_ENGINE_OPTIONS[{key!r}] must be a JSON object of options"
                )

    def load_all(self, only: Iterable[str] | None = None) -> dict[str, float]:
        """Build and load the engine of every model a worker serves (``only`` those models;
        None: every model), before it claims work: a GPU engine's weights, the classic
        inpainting's compiled kernels. Returns the seconds each took."""
        took = {}
        wanted = None if only is None else set(only)
        for model in models():
            if wanted is not None and model not in wanted:
                continue
            started = time.perf_counter()
            self.get(model)
            took[model] = time.perf_counter() - started
        return took

    def get(self, model: str) -> Engine[Any]:
        """The loaded engine serving ``model``; loads it on first use (thread-safe)."""
        with self._lock:
            engine = self._engines.get(model)
            if engine is None:
                engine = self._build(model)
                engine.load()
                self._engines[model] = engine
            return engine

    def _build(self, model: str) -> Engine[Any]:
        impl = self.implementation(model)
        target = ENGINES.get((model, impl))
        if target is None:
            raise InternalError(
                f"No engine {impl!r} for model {model!r}; available: {available(model)}"
            )
        module_name, _, class_name = target.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        options = self.options(model)
        if getattr(cls, "names_its_model", False):  # one class serving several models
            options = {**options, "served_model": model}
        engine: Engine[Any] = cls(**options)
        return engine
