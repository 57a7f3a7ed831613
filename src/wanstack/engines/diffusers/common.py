"""What the three diffusers engines share: options, the resident pipeline(s), the per-class
defaults, progress across several pipeline calls, and the description shown in ``output.engine``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers import runtime
from wanstack.engines.diffusers.options import Options, number_option, parse_options
from wanstack.engines.diffusers.runtime import Resident

log = logging.getLogger("wanstack.engines.diffusers")

#: per pipeline class: (denoising steps, guidance) when the options name none. Chosen for the
#: recommended weights of each class (docs/gpu.md): FLUX.2 [klein] 4B and Z-Image-Turbo are
#: step-distilled (a few steps, little or no guidance); the rest follow their model cards.
CLASS_DEFAULTS: dict[str, tuple[int, float]] = {
    "FluxFillPipeline": (50, 30.0),
    "FluxPipeline": (28, 3.5),
    "FluxInpaintPipeline": (28, 7.0),
    "FluxKontextPipeline": (28, 2.5),
    "Flux2KleinPipeline": (4, 1.0),
    "Flux2KleinInpaintPipeline": (4, 1.0),
    "QwenImagePipeline": (40, 4.0),
    "QwenImageInpaintPipeline": (40, 4.0),
    "QwenImageEditInpaintPipeline": (40, 4.0),
    "QwenImageEditPlusPipeline": (40, 4.0),
    "StableDiffusionInpaintPipeline": (30, 7.5),
    "StableDiffusionXLPipeline": (30, 5.0),
    "StableDiffusionXLInpaintPipeline": (30, 7.5),
    "StableDiffusionXLControlNetInpaintPipeline": (30, 7.5),
    "ZImagePipeline": (9, 0.0),
    "ZImageInpaintPipeline": (9, 0.0),
    "WanPipeline": (50, 5.0),
    "WanImageToVideoPipeline": (40, 5.0),
    "WanVACEPipeline": (50, 5.0),
}

#: option keys every engine of this family adds to :data:`.options.COMMON_KEYS`
ENGINE_KEYS = frozenset({"negative_prompt", "max_sequence_length"})


class Progress:
    """Progress over ``calls`` pipeline calls of (about) equal cost, reported to the task's
    :class:`CancelToken` after every denoising step."""

    def __init__(self, cancel: CancelToken, calls: int) -> None:
        self._cancel = cancel
        self._calls = max(1, calls)
        self._done = 0

    def step(self, step: int, steps: int) -> None:
        within = step / steps if steps > 0 else 0.0
        self._cancel.report((self._done + min(1.0, within)) / self._calls)

    def call_done(self) -> None:
        self._done += 1
        self._cancel.report(self._done / self._calls)


class DiffusersEngine:
    """Base of the family's engines: parses options on construction (so a wrong key is refused
    before anything loads), loads the weights in :meth:`load` and describes what it runs."""

    name = "diffusers"
    #: the provider passes ``served_model``: one class may serve several DashScope models
    names_its_model: ClassVar[bool] = True
    #: the DashScope model this engine serves (in error messages)
    model: str = ""
    #: pipeline classes the main ``weights`` may hold
    pipelines: ClassVar[frozenset[str]] = frozenset()
    #: weights holding a class outside :attr:`pipelines` that shares its components with one
    #: inside (``from_pipe``, no second copy in memory): found class → class to run
    convert: ClassVar[Mapping[str, str]] = {}
    #: option keys this engine takes beyond the family's
    extra_keys: ClassVar[Collection[str]] = ()
    #: numeric options among :attr:`extra_keys`: key → (type, lowest, highest)
    numbers: ClassVar[Mapping[str, tuple[type, float, float]]] = {}

    def __init__(self, *, served_model: str | None = None, **raw: Any) -> None:
        if served_model is not None:  # an engine class serving several models names its own
            self.model = served_model
        keys = ENGINE_KEYS | frozenset(self.extra_keys) | frozenset(self.numbers)
        self.options: Options = parse_options(self.model, raw, extra_keys=keys)
        for key, (kind, lo, hi) in self.numbers.items():
            number_option(self.model, raw, key, kind, lo, hi)
        self._resident: Resident | None = None

    @property
    def resident(self) -> Resident:
        if self._resident is None:
            self.load()
        assert self._resident is not None
        return self._resident

    def load(self) -> None:
        if self._resident is not None:
            return
        self._resident = self._load()
        log.info(
            "%s: %s loaded from %s on %s (%s) in %.2f s",
            self.model,
            self._resident.class_name,
            self._resident.weights,
            self.options.device,
            self.options.dtype,
            self._resident.loaded_in_s,
        )

    def _load(self) -> Resident:
        return runtime.load(self.options, self.pipelines, convert=self.convert)

    def gpu_peak_bytes(self) -> int | None:
        """Peak CUDA memory since the last call (``wanstack models check``); None off CUDA."""
        return runtime.gpu_peak_bytes(self.options.device)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, **_describe(self.resident, self.options)}

    def settings(self, resident: Resident) -> dict[str, Any]:
        """Steps, guidance and the family's pass-through options for one call of ``resident``."""
        steps, guidance = CLASS_DEFAULTS.get(resident.class_name, (30, None))
        extra = self.options.extra
        return {
            "num_inference_steps": self.options.steps or steps,
            "guidance": guidance if self.options.guidance is None else self.options.guidance,
            "max_sequence_length": extra.get("max_sequence_length"),
            "negative_prompt": extra.get("negative_prompt"),
        }


def _describe(resident: Resident, options: Options, role: str = "pipeline") -> dict[str, Any]:
    return {
        role: resident.class_name,
        "weights" if role == "pipeline" else f"{role}_weights": resident.weights,
        "device": options.device,
        "dtype": options.dtype,
    }


def describe_edit(resident: Resident, options: Options) -> dict[str, Any]:
    """The description of a second (edit) pipeline beside the main one."""
    return _describe(resident, options, role="edit_pipeline")
