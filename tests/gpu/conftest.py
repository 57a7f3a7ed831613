"""The GPU tier: real weights on a CUDA device, marked ``gpu``, skipped unless both are present.

``WANSTACK_TEST_WEIGHTS`` names a folder holding weights pulled the way ``wanstack models
recommend`` suggests (``wanstack models pull REPO --to $WANSTACK_TEST_WEIGHTS/<repo name>``);
each test runs on every recommended set found there. ``WANSTACK_TEST_OUT`` (default: pytest's
temporary folder) receives contact sheets of what the engines made, to look at.

A dry run of the tier without a GPU (to check the tests themselves, on tiny pipelines linked
under the repos' names): ``WANSTACK_TEST_ON_CPU=1`` and ``WANSTACK_TEST_OPTIONS`` (JSON options
added to every engine's, e.g. ``{"steps": 2, "max_pixels": 4096, "device": "cpu"}``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from wanstack.engines.diffusers.recommended import Weights, for_model


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


ROOT = Path(os.environ.get("WANSTACK_TEST_WEIGHTS", "/nonexistent"))
READY = (_cuda() or os.environ.get("WANSTACK_TEST_ON_CPU") == "1") and ROOT.is_dir()
EXTRA = json.loads(os.environ.get("WANSTACK_TEST_OPTIONS") or "{}")
REASON = "needs CUDA and WANSTACK_TEST_WEIGHTS (a folder of pulled weights)"


def folder(repo: str) -> Path:
    return ROOT / repo.split("/")[-1]


def present(model: str) -> list[Weights]:
    """The recommended weights for ``model`` found under ``WANSTACK_TEST_WEIGHTS``, with every
    folder their options name."""
    found: list[Weights] = []
    if not READY:
        return found
    for weights in for_model(model):
        others = [v for v in weights.options.values() if "/" in str(v)]
        if all(folder(repo).is_dir() for repo in [weights.repo, *others]):
            found.append(weights)
    return found


def cases(model: str, first: bool = False) -> list[Any]:
    """Parameters of a test over the weights present for ``model`` (only the first with
    ``first``); one skipped case, saying why, where there are none."""
    found = present(model)[:1] if first else present(model)
    if found:
        return [pytest.param(w, id=w.repo) for w in found]
    why = REASON if not READY else f"no recommended weights for {model} in {ROOT}"
    return [pytest.param(None, id="none", marks=pytest.mark.skip(reason=why))]


def options(weights: Weights) -> dict[str, object]:
    """The engine options for ``weights`` pulled under ``WANSTACK_TEST_WEIGHTS``."""
    extra = {k: str(folder(v)) if "/" in str(v) else v for k, v in weights.options.items()}
    return {"weights": str(folder(weights.repo)), **extra, **EXTRA}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gpu/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gpu)
            if not READY:
                item.add_marker(pytest.mark.skip(reason=REASON))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("WANSTACK_TEST_OUT", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target
