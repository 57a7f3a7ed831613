"""Which models one worker serves, and how many tasks of each it runs at once.

A worker started with ``--models`` (or ``WANSTACK_WORKER_MODELS``) claims only tasks of those
models: a GPU machine takes the video models, a CPU machine the classic image ones. Caps per
model (``WANSTACK_MODEL_CONCURRENCY``) bound how many tasks of a model the worker runs at once,
within its overall concurrency: a GPU worker runs one video at a time while a CPU worker runs
several images. The caps are local to the worker, so they need no SQL: before each claim the
worker asks :meth:`ModelSelection.claimable` which models it has room for and the claim takes
only those (``model IN (…)``, see :mod:`wanstack.task.claims`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wanstack.catalog import MODELS, canonical
from wanstack.errors import ConfigError


def _known(name: str, setting: str) -> str:
    """The canonical id ``name`` stands for, or ConfigError naming ``setting``."""
    model = canonical(name.strip())
    if model not in MODELS:
        raise ConfigError(
            f"{setting} names an unknown model {name!r}; models: {', '.join(sorted(MODELS))}"
        )
    return model


@dataclass(frozen=True, slots=True)
class ModelSelection:
    """The models a worker claims (``served``; None: every model) and its caps per model."""

    served: frozenset[str] | None = None
    caps: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        models: Sequence[str] | None,
        caps: Mapping[str, int] | None = None,
        *,
        models_setting: str = "WANSTACK_WORKER_MODELS",
        caps_setting: str = "WANSTACK_MODEL_CONCURRENCY",
    ) -> ModelSelection:
        """Resolve names and aliases to model ids; an unknown name, an empty list or a cap
        below 1 raises :class:`ConfigError` naming the setting it came from. Caps of models
        this worker does not serve are ignored (one fleet-wide setting may name them all)."""
        served: frozenset[str] | None = None
        if models is not None:
            names = [name for name in models if name.strip()]
            if not names:
                raise ConfigError(f"{models_setting} names no model")
            served = frozenset(_known(name, models_setting) for name in names)
        resolved: dict[str, int] = {}
        for name, cap in (caps or {}).items():
            model = _known(name, caps_setting)
            if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
                raise ConfigError(f"{caps_setting}: {name!r} needs a whole number of at least 1")
            if served is None or model in served:
                resolved[model] = cap
        return cls(served, resolved)

    def serves(self, model: str) -> bool:
        return self.served is None or canonical(model) in self.served

    def models(self) -> list[str]:
        """Every model served, sorted."""
        return sorted(MODELS if self.served is None else self.served)

    def claimable(self, running: Mapping[str, int]) -> list[str] | None:
        """The models a claim may take now, given this worker's running tasks per model:
        served and below their cap. None means any model (no filter in the claim); an empty
        list means none until one of this worker's tasks finishes."""
        full = {model for model, cap in self.caps.items() if running.get(model, 0) >= cap}
        if self.served is None and not full:
            return None
        return [model for model in self.models() if model not in full]
