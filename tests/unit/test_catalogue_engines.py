"""Every served model has an engine in every family, and a sample request for ``models check``."""

from __future__ import annotations

from wanstack.catalog.registry import ALIASES, MODELS
from wanstack.engines.registry import SERVED_LIKE, available
from wanstack.engines.samples import request_for

SEEDS = {
    "wanx-x-painting",
    "wanx-background-generation-v2",
    "wan2.6-t2v",
    "wan2.6-i2v",
    "wan2.6-image",
}


#: models whose engines are their own (not a seed model's)
OWN = {
    "wanx2.1-imageedit": ["classic", "diffusers", "fake"],
    "wanx2.1-vace-plus": ["classic", "diffusers", "fake"],
}


def test_every_model_has_every_family_and_a_sample() -> None:
    for model in MODELS:
        assert available(model) == OWN.get(model, ["classic", "diffusers", "fake"]), model
        seed = SERVED_LIKE.get(model, model)
        assert seed in SEEDS or seed in OWN, model
        assert request_for(seed) is not None
    assert set(SERVED_LIKE) == set(MODELS) - SEEDS - set(OWN)


def test_aliases_name_served_models() -> None:
    assert ALIASES  # international and dated names
    for alias, model in ALIASES.items():
        assert model in MODELS and alias not in MODELS, alias
