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


def test_vace_functions_are_refused_by_the_engines_that_cannot_run_them() -> None:
    import pytest

    from wanstack.engines.registry import check_served
    from wanstack.errors import InvalidParameter

    model = "wanx2.1-vace-plus"
    for family in ("classic", "diffusers", "fake"):
        check_served(model, family, "video_outpainting", "")
        check_served(model, family, "video-synthesis")  # unknown: the catalog's to refuse
    with pytest.raises(InvalidParameter, match=r"input\.function 'video_edit'.*classic"):
        check_served(model, "classic", "video_edit")
    check_served(model, "diffusers", "video_edit", "")
    check_served(model, "diffusers", "video_repainting", "scribble")
    check_served(model, "diffusers", "video_extension", "depth")  # recorded, not followed
    with pytest.raises(InvalidParameter, match=r"parameters\.control_condition 'depth'"):
        check_served(model, "diffusers", "video_repainting", "depth")
    check_served(model, "fake", "video_repainting", "depth")  # the stand-in takes everything
