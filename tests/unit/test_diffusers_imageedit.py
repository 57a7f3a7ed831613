"""wanx2.1-imageedit's diffusers engine on tiny random inpainting pipelines, in process, on CPU:
the retouch functions as whole-picture passes, exact sizes and seeds, colour under kept lightness,
super-resolution by the shared upscaler; inpaintings as x-painting's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.test_diffusers_engines import TINY, Recorder, images, inpaint_request, photo
from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers.imageedit import DiffusersImageEdit
from wanstack.engines.requests import RetouchRequest


def retouch(function: str, **fields: object) -> RetouchRequest:
    image = photo(96, 128)
    args: dict[str, object] = {
        "function": function, "image": image, "prompt": "a harbour at dusk", "size": (128, 96),
        "n": 2, "seed": 5,
    }  # fmt: skip
    return RetouchRequest(**(args | fields))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine(tiny_weights: Callable[[str], Path]) -> DiffusersImageEdit:
    made = DiffusersImageEdit(weights=str(tiny_weights("sd_inpaint")), **TINY)
    made.load()
    return made


@pytest.mark.parametrize(
    "function", ["description_edit", "stylization_local", "doodle", "control_cartoon_feature"]
)
def test_a_retouch_is_one_seeded_pass_over_the_whole_picture(
    engine: DiffusersImageEdit, function: str
) -> None:
    token = Recorder()
    first = images(engine.run(retouch(function), token))
    again = images(engine.run(retouch(function), CancelToken()))
    assert [r.shape for r in first] == [(96, 128, 3)] * 2
    assert not np.array_equal(first[0], first[1])  # result i is seeded seed + i
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert token.items == [0, 1] and token.values[-1] == 1.0


def test_colorization_keeps_the_lightness(engine: DiffusersImageEdit) -> None:
    grey = np.repeat(cv2.cvtColor(photo(96, 128), cv2.COLOR_RGB2GRAY)[..., None], 3, -1)
    out = images(engine.run(retouch("colorization", image=grey, n=1), CancelToken()))[0]
    lightness = cv2.cvtColor(out, cv2.COLOR_RGB2LAB)[..., 0].astype(int)
    expected = cv2.cvtColor(grey, cv2.COLOR_RGB2LAB)[..., 0].astype(int)
    assert np.abs(lightness - expected).mean() < 2.0


def test_super_resolution_is_the_shared_upscaler(engine: DiffusersImageEdit) -> None:
    request = retouch("super_resolution", upscale_factor=2, size=(256, 192))
    out = images(engine.run(request, CancelToken()))
    assert [r.shape for r in out] == [(192, 256, 3)] * 2
    back = cv2.resize(out[0], (128, 96), interpolation=cv2.INTER_AREA)
    assert np.abs(back.astype(int) - request.image.astype(int)).mean() < 4.0


def test_inpaintings_are_x_paintings(engine: DiffusersImageEdit) -> None:
    request = inpaint_request(n=1)
    out = images(engine.run(request, CancelToken()))
    assert out[0].shape == (160, 240, 3)
