"""Which models a worker serves and its caps per model: the settings, names and aliases
resolved, mistakes refused by the name of the setting they came from (no I/O)."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from wanstack.config import Settings
from wanstack.errors import ConfigError
from wanstack.worker.selection import ModelSelection

PAINT, T2V, IMAGE = "wanx-x-painting", "wan2.6-t2v", "wan2.6-image"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("WANSTACK_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("text", ["wan2.6-t2v, wan2.6-i2v", '["wan2.6-t2v", "wan2.6-i2v"]'])
def test_worker_models_from_the_environment(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("WANSTACK_WORKER_MODELS", text)
    monkeypatch.setenv("WANSTACK_MODEL_CONCURRENCY", '{"wan2.6-t2v": 1}')
    settings = Settings()
    assert settings.worker_models == ("wan2.6-t2v", "wan2.6-i2v")
    assert settings.model_concurrency == {"wan2.6-t2v": 1}


def test_unset_worker_models_mean_every_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_WORKER_MODELS", "")
    settings = Settings()
    assert settings.worker_models is None and settings.model_concurrency == {}


def test_a_cap_below_one_is_refused_by_setting_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_MODEL_CONCURRENCY", '{"wan2.6-t2v": 0}')
    with pytest.raises(ValidationError, match="model_concurrency"):
        Settings()


def test_worker_models_are_resolved_and_checked_by_setting_name() -> None:
    selection = ModelSelection.parse(["wan2.6-t2v", "wanx-x-painting"], {T2V: 1, IMAGE: 2})
    assert selection.served == {T2V, PAINT}
    assert selection.caps == {T2V: 1}  # a cap of a model not served is ignored
    assert selection.claimable({}) == [T2V, PAINT]
    assert selection.claimable({T2V: 1}) == [PAINT]
    assert ModelSelection.parse([T2V], {T2V: 1}).claimable({T2V: 1}) == []
    assert ModelSelection.parse(None, {}).claimable({PAINT: 9}) is None  # no filter at all
    every = ModelSelection.parse(None, {T2V: 1}).claimable({T2V: 1})
    assert every is not None and T2V not in every and PAINT in every
    with pytest.raises(ConfigError, match="--models names an unknown model 'wan9-t2v'"):
        ModelSelection.parse(["wan9-t2v"], {}, models_setting="--models")
    with pytest.raises(ConfigError, match="WANSTACK_MODEL_CONCURRENCY names an unknown"):
        ModelSelection.parse(None, {"nope": 1})
    with pytest.raises(ConfigError, match="WANSTACK_WORKER_MODELS names no model"):
        ModelSelection.parse([" "], {})
