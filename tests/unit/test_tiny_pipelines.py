"""The tiny offline diffusers pipelines build, save, load back and run 2 steps on CPU.

Every kind is built once per session into a ``tmp_path_factory`` folder, loaded back with
``DiffusionPipeline.from_pretrained(folder, local_files_only=True)`` and called with its
:func:`~tests.support.tiny_pipelines.call_kwargs` under a ``callback_on_step_end`` counter.
Needs the ``gpu`` extra (torch, diffusers, transformers; the test suite installs it) but no
GPU and no network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch

from tests.support.tiny_pipelines import (
    KINDS,
    VIDEO_KINDS,
    build,
    call_kwargs,
    count_parameters,
    load_kwargs,
    small_qwen_edit_sizes,
)

SIZE = 64
STEPS = 2


@pytest.fixture(scope="session")
def tiny_folder(tiny_weights: Callable[[str], Path]) -> Callable[[str], Path]:
    return tiny_weights


def _load(kind: str, folder: Path) -> Any:
    pipe = diffusers.DiffusionPipeline.from_pretrained(
        folder, local_files_only=True, **load_kwargs(kind, folder)
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _run(pipe: Any, kwargs: dict[str, Any]) -> tuple[np.ndarray, list[int]]:
    """Call the pipeline with a step counter; returns the images and the step indices seen."""
    steps: list[int] = []

    def on_step_end(
        _pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]
    ) -> dict[str, Any]:
        steps.append(step)
        return tensors

    with small_qwen_edit_sizes(area=SIZE * SIZE):
        out = pipe(
            **kwargs,
            generator=torch.Generator().manual_seed(0),
            callback_on_step_end=on_step_end,
        )
    frames = getattr(out, "frames", None)  # video pipelines: (1, frames, H, W, 3)
    return np.asarray(out.images if frames is None else frames), steps


def test_kinds_are_distinct_diffusers_pipeline_classes() -> None:
    images = [c for k, c in KINDS.items() if k not in VIDEO_KINDS]
    assert len(set(images)) == len(images)  # one kind per image class; Wan layouts share two
    for class_name in KINDS.values():
        cls = getattr(diffusers, class_name)
        assert issubclass(cls, diffusers.DiffusionPipeline), class_name


@pytest.mark.parametrize("kind", list(KINDS))
def test_build_load_and_run_two_steps(kind: str, tiny_folder: Callable[[str], Path]) -> None:
    folder = tiny_folder(kind)
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    assert index["_class_name"] == KINDS[kind]

    pipe = _load(kind, folder)
    assert type(pipe).__name__ == KINDS[kind]
    assert count_parameters(pipe) < 2_000_000

    kwargs = call_kwargs(kind, SIZE)
    assert kwargs["num_inference_steps"] == STEPS
    images, steps = _run(pipe, kwargs)

    # every kind runs both steps (the inpainting kinds because call_kwargs uses strength=1.0)
    assert steps == list(range(STEPS))
    assert images.shape == ((1, 9, SIZE, SIZE, 3) if kind in VIDEO_KINDS else (1, SIZE, SIZE, 3))
    assert np.isfinite(images).all()
    assert images.min() >= 0.0
    assert images.max() <= 1.0


def test_flux2_klein_runs_text_to_image_without_reference_images(
    tiny_folder: Callable[[str], Path],
) -> None:
    folder = tiny_folder("flux2_klein")
    kwargs = call_kwargs("flux2_klein", SIZE)
    del kwargs["image"]
    images, steps = _run(_load("flux2_klein", folder), kwargs)
    assert steps == list(range(STEPS))
    assert images.shape == (1, SIZE, SIZE, 3)


def test_build_returns_a_cached_folder_untouched(tiny_folder: Callable[[str], Path]) -> None:
    folder = tiny_folder("flux2_klein_inpaint")
    index = folder / "model_index.json"
    before = index.stat().st_mtime_ns
    assert build("flux2_klein_inpaint", folder) == folder
    assert index.stat().st_mtime_ns == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_build_is_deterministic(tiny_folder: Callable[[str], Path], tmp_path: Path) -> None:
    # "flux" also covers the hand-made CLIP tokenizer and the trained sentencepiece model
    first = tiny_folder("flux")
    second = build("flux", tmp_path / "flux")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_build_leaves_the_global_torch_rng_alone(tmp_path: Path) -> None:
    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    build("flux2_klein", tmp_path / "flux2_klein")
    assert torch.equal(torch.rand(3), expected)


def test_qwen_edit_processor_is_named_in_model_index(tiny_folder: Callable[[str], Path]) -> None:
    for kind in ("qwen_edit_inpaint", "qwen_edit_plus"):
        folder = tiny_folder(kind)
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
        assert index["processor"] == ["transformers", "Qwen2VLProcessor"]
        assert (folder / "processor" / "preprocessor_config.json").is_file()
        assert set(load_kwargs(kind, folder)) == {"processor"}
    assert load_kwargs("flux_fill", tiny_folder("flux_fill")) == {}


def test_small_qwen_edit_sizes_restores_the_constants() -> None:
    from diffusers.pipelines.qwenimage import pipeline_qwenimage_edit_plus as plus

    original = (plus.calculate_dimensions, plus.VAE_IMAGE_SIZE, plus.CONDITION_IMAGE_SIZE)
    with small_qwen_edit_sizes(area=32 * 32):
        assert plus.VAE_IMAGE_SIZE == plus.CONDITION_IMAGE_SIZE == 32 * 32
        width, height = plus.calculate_dimensions(1024 * 1024, 1.0)
        assert width * height <= 32 * 32
    assert (plus.calculate_dimensions, plus.VAE_IMAGE_SIZE, plus.CONDITION_IMAGE_SIZE) == original


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown tiny pipeline kind"):
        build("sd3", tmp_path / "sd3")
    with pytest.raises(KeyError, match="unknown tiny pipeline kind"):
        call_kwargs("sd3")
