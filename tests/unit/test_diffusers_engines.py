"""The diffusers engines on tiny random pipelines, in process, on CPU: one test per pipeline class
each engine drives (x-painting, background generation, wan2.6-image), what DashScope's contract
needs from each (exact sizes, pixels kept bit for bit, seeds, ``n`` distinct results), and the
runtime's promises (options refused by name, weights loaded once and shared, cancel within a
step, progress).

The pipelines are random: the images mean nothing, the plumbing is what is tested. Each runs 2
steps at 64×64-ish (``max_pixels``); results are resized to the exact requested size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.support.tiny_pipelines import small_qwen_edit_sizes
from wanstack.engines import interleave
from wanstack.engines.base import CancelToken, ImageItem, VideoItem
from wanstack.engines.diffusers import runtime
from wanstack.engines.diffusers.background import DiffusersBackground, strength_for
from wanstack.engines.diffusers.image import DiffusersImage
from wanstack.engines.diffusers.inpaint import OUTER_PX, DiffusersInpaint
from wanstack.engines.framing import cover_mask
from wanstack.engines.registry import EngineProvider
from wanstack.engines.requests import (
    BackgroundRequest,
    EdgeElement,
    ImageGenRequest,
    InpaintRequest,
)
from wanstack.engines.titles import render_layers
from wanstack.errors import ConfigError, TaskCanceled, TaskError

TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32}
INPAINT_KINDS = [
    "flux_fill",
    "sdxl_inpaint",
    "sd_inpaint",
    "flux2_klein_inpaint",
    "qwen_edit_inpaint",
]
#: text-to-image weights x-painting runs through their family's inpainting pipeline (from_pipe)
CONVERTED = {
    "flux2_klein": "Flux2KleinInpaintPipeline",
    "sdxl": "StableDiffusionXLInpaintPipeline",
    "flux": "FluxInpaintPipeline",
    "qwen_image": "QwenImageInpaintPipeline",
    "z_image": "ZImageInpaintPipeline",
    "qwen_edit": "QwenImageEditInpaintPipeline",
}
BACKGROUND_KINDS = [*INPAINT_KINDS, "sdxl_inpaint_controlnet"]
TEXT_TO_IMAGE_KINDS = ["qwen_image", "flux2_klein", "flux", "sdxl", "z_image"]
EDIT_KINDS = ["qwen_edit_plus", "flux2_klein", "flux_kontext"]


@pytest.fixture(autouse=True)
def small_qwen_edits() -> Iterator[None]:
    """Qwen-Image-Edit resizes its inputs to ~1024² whatever the output size: minutes on CPU."""
    with small_qwen_edit_sizes(64 * 64):
        yield


class Recorder(CancelToken):
    """A cancel token that remembers the outputs reported finished and every progress value."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[int] = []
        self.values: list[float] = []
        self.on_item(lambda index, _item: self.items.append(index))

    def report(self, fraction: float) -> None:
        super().report(fraction)
        self.values.append(self.progress)


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful picture with some texture (not noise: resizing must not alias)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(seed)
    rgb = np.stack(
        [128 + 100 * np.sin(xx / 17 + k) * np.cos(yy / 23 - k) for k in (0.0, 1.0, 2.0)], axis=2
    )
    rgb += rng.normal(0, 6, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def inpaint_request(**changes: Any) -> InpaintRequest:
    mask = np.zeros((150, 200), bool)
    mask[50:100, 70:130] = True
    values: dict[str, Any] = {
        "image": photo(150, 200),
        "mask": mask,
        "prompt": "a red apple",
        "style": "<auto>",
        "size": (240, 160),
        "n": 2,
        "seed": 11,
    }
    values.update(changes)
    return InpaintRequest(**values)


def product(height: int = 160, width: int = 120) -> np.ndarray:
    """An RGBA cutout: opaque body with a soft rim, transparent around it."""
    yy, xx = np.mgrid[0:height, 0:width]
    d = np.sqrt(
        ((xx - width / 2) / (width * 0.3)) ** 2 + ((yy - height * 0.6) / (height * 0.3)) ** 2
    )
    alpha = np.clip((1.0 - d) * 8.0, 0.0, 1.0)
    return np.dstack([photo(height, width, 3), np.round(alpha * 255)]).astype(np.uint8)


def background_request(**changes: Any) -> BackgroundRequest:
    values: dict[str, Any] = {
        "subject": product(),
        "ref_image": None,
        "ref_prompt": "on a marble table",
        "neg_prompt": "",
        "edges": (),
        "n": 2,
        "noise_level": 300,
        "ref_prompt_weight": 0.5,
        "model_version": "v2",
        "scene_type": None,
        "title": None,
        "sub_title": None,
        "seed": 5,
    }
    values.update(changes)
    return BackgroundRequest(**values)


def image_request(**changes: Any) -> ImageGenRequest:
    values: dict[str, Any] = {
        "prompt": "a lighthouse on a cliff",
        "negative_prompt": "",
        "images": (),
        "size": (200, 120),
        "n": 2,
        "interleave": False,
        "max_images": 3,
        "seed": 9,
    }
    values.update(changes)
    return ImageGenRequest(**values)


def images(items: list[ImageItem] | list[Any]) -> list[np.ndarray]:
    out = []
    for item in items:
        assert isinstance(item, ImageItem) and item.image is not None
        out.append(item.image)
    return out


# ------------------------------------------------------------------------------ wanx-x-painting


@pytest.mark.parametrize("kind", INPAINT_KINDS + list(CONVERTED))
def test_x_painting_fills_the_mask_and_keeps_the_rest_bit_for_bit(
    kind: str, tiny_weights: Callable[[str], Path]
) -> None:
    engine = DiffusersInpaint(weights=str(tiny_weights(kind)), **TINY)
    engine.load()
    request = inpaint_request()
    token = Recorder()
    first = images(engine.run(request, token))
    again = images(engine.run(request, CancelToken()))

    described = engine.describe()
    assert described["engine"] == "diffusers"
    assert described["pipeline"] == CONVERTED.get(kind, engine.resident.class_name)
    assert described["weights"] == str(tiny_weights(kind))
    base, mask = cover_mask(request.image, request.mask, request.size)
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) > OUTER_PX
    assert outside.mean() > 0.5
    for result in first:
        assert result.shape == (160, 240, 3)
        assert np.array_equal(result[outside], base[outside])
        assert not np.array_equal(result[mask], base[mask])  # the hole was painted
    assert not np.array_equal(first[0], first[1])  # n results, distinct seeds
    for a, b in zip(first, again, strict=True):  # the same seed, the same images
        assert np.array_equal(a, b)
    assert token.items == [0, 1]
    assert token.values == sorted(token.values) and token.values[-1] == 1.0
    assert len(token.values) >= 4  # every denoising step was reported, not just the ends


def test_a_style_restyles_the_whole_picture(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersInpaint(weights=str(tiny_weights("sdxl_inpaint")), **TINY)
    request = inpaint_request(n=1)
    plain = images(engine.run(request, CancelToken()))[0]
    token = Recorder()
    styled = images(engine.run(inpaint_request(n=1, style="<oil painting>"), token))[0]
    assert styled.shape == plain.shape
    base, mask = cover_mask(request.image, request.mask, request.size)
    far = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) > OUTER_PX
    # the style pass re-draws everything, far from the hole too
    assert np.abs(styled[far].astype(int) - base[far].astype(int)).mean() > 3
    assert token.values[-1] == 1.0
    assert len(token.values) >= 4  # fill + style pass: progress spans both


def test_no_mask_means_only_the_style_pass(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersInpaint(weights=str(tiny_weights("sd_inpaint")), **TINY)
    empty = np.zeros((150, 200), bool)
    base, _ = cover_mask(photo(150, 200), empty, (240, 160))
    unchanged = images(engine.run(inpaint_request(mask=empty, n=1), CancelToken()))[0]
    assert np.array_equal(unchanged, base)
    styled = images(engine.run(inpaint_request(mask=empty, n=1, style="<sketch>"), CancelToken()))
    assert not np.array_equal(styled[0], base)


# --------------------------------------------------------------- wanx-background-generation-v2


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_background_keeps_every_opaque_product_pixel(
    kind: str, tiny_weights: Callable[[str], Path]
) -> None:
    engine = DiffusersBackground(weights=str(tiny_weights(kind)), **TINY)
    request = background_request(title="夏日特惠", sub_title="全场五折", model_version="v3")
    token = Recorder()
    items = engine.run(request, token)
    subject = request.subject
    opaque = subject[..., 3] == 255
    assert engine.describe()["pipeline"] == engine.resident.class_name
    for item in items:
        assert isinstance(item, ImageItem)
        assert item.image is not None and item.plain is not None and item.layers is not None
        assert item.plain.shape == (160, 120, 3)
        assert np.array_equal(item.plain[opaque], subject[..., :3][opaque])
        assert np.array_equal(render_layers(item.plain, item.layers), item.image)
        texts = [x["content"] for x in item.layers if x["type"] == "text"]
        assert texts == ["夏日特惠", "全场五折"]
    assert not np.array_equal(items[0].plain, items[1].plain)
    assert token.items == [0, 1] and token.values[-1] == 1.0
    # v3 runs half as many steps again: 3 per result
    assert len(token.values) == 2 * (3 + 1)


def test_background_reference_image_and_edges(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersBackground(weights=str(tiny_weights("sdxl_inpaint")), **TINY)
    edge = np.zeros((160, 120, 4), np.uint8)
    edge[20:22, 10:110] = 255
    guided = background_request(
        ref_image=np.dstack([photo(90, 90, 7), np.full((90, 90), 255, np.uint8)]),
        edges=(EdgeElement(edge, "a shelf", False),),
        n=1,
    )
    item = engine.run(guided, CancelToken())[0]
    opaque = guided.subject[..., 3] == 255
    assert item.image is not None
    assert np.array_equal(item.image[opaque], guided.subject[..., :3][opaque])
    # the starting image holds the reference and the drawn edge lines
    start = engine._start(guided, (120, 160))
    assert start[21, 60].mean() > 200  # the edge line, drawn in near-white


def test_foreground_edge_elements_may_cover_the_product(
    tiny_weights: Callable[[str], Path],
) -> None:
    engine = DiffusersBackground(weights=str(tiny_weights("sd_inpaint")), **TINY)
    edge = np.zeros((160, 120, 4), np.uint8)
    cv2.rectangle(edge, (40, 80), (80, 120), (255, 255, 255, 255), 2)
    request = background_request(edges=(EdgeElement(edge, "a ribbon", True),), n=1)
    image = engine.run(request, CancelToken())[0].image
    assert image is not None
    opaque = request.subject[..., 3] == 255
    near = np.zeros_like(opaque)  # the element's outline, with the lines' thickness
    near[74:127, 34:87] = True
    inside = np.zeros_like(opaque)
    inside[84:117, 44:77] = True
    kept = opaque & ~near
    assert np.array_equal(image[kept], request.subject[..., :3][kept])
    assert not np.array_equal(image[opaque & inside], request.subject[..., :3][opaque & inside])


def test_a_controlnet_gets_the_edges_or_the_product(tiny_weights: Callable[[str], Path]) -> None:
    weights = str(tiny_weights("sdxl_inpaint_controlnet"))
    edge = np.zeros((160, 120, 4), np.uint8)
    edge[20:22, 10:110] = 255
    request = background_request(edges=(EdgeElement(edge, "", False),), n=1)
    edges_engine = DiffusersBackground(weights=weights, **TINY)
    control = edges_engine._control(edges_engine.resident, request, (48, 64))
    lines = np.asarray(control["control_image"])
    assert lines.shape == (64, 48, 3) and lines[8, 24].max() > 100  # the element's line
    assert control["controlnet_conditioning_scale"] == 0.5
    # with an edge ControlNet the lines are not also drawn into the starting image
    assert edges_engine._start(request, (120, 160))[21, 60].mean() < 200
    inpaint_engine = DiffusersBackground(weights=weights, control="inpaint", **TINY)
    product_on_black = np.asarray(
        inpaint_engine._control(inpaint_engine.resident, request, (48, 64))["control_image"]
    )
    assert product_on_black[0, 0].max() == 0 and product_on_black[40, 24].max() > 0


@pytest.mark.parametrize("kind", ["sdxl_inpaint", "sdxl"])
def test_a_controlnet_option_joins_sdxl_weights(
    kind: str, tiny_weights: Callable[[str], Path]
) -> None:
    """EcomXL's recipe: SDXL (base or inpainting) weights and a separate ControlNetModel."""
    base = tiny_weights(kind)
    controlnet = tiny_weights("sdxl_inpaint_controlnet") / "controlnet"
    engine = DiffusersBackground(
        weights=str(base), controlnet=str(controlnet), control="inpaint", **TINY
    )
    request = background_request(n=1)
    item = engine.run(request, CancelToken())[0]
    resident = engine.resident
    assert resident.class_name == "StableDiffusionXLControlNetInpaintPipeline"
    assert resident.pipe.controlnet is not None
    assert engine.describe()["controlnet"] == str(controlnet)
    plain = DiffusersInpaint(weights=str(base), **TINY)
    assert resident.pipe.unet is plain.resident.pipe.unet  # shared, not a second copy
    assert resident.lock is plain.resident.lock
    opaque = request.subject[..., 3] == 255
    assert item.image is not None
    assert np.array_equal(item.image[opaque], request.subject[..., :3][opaque])
    with pytest.raises(runtime.WeightsError, match="cannot load the ControlNet weights"):
        DiffusersBackground(weights=str(base), controlnet=str(base / "nope")).load()
    with pytest.raises(runtime.WeightsError, match="FluxKontextPipeline, which cannot serve"):
        DiffusersBackground(
            weights=str(tiny_weights("flux_kontext")), controlnet=str(controlnet)
        ).load()


def test_noise_level_sets_the_reference_strength() -> None:
    ref = np.zeros((8, 8, 4), np.uint8)
    assert strength_for(background_request()) == 1.0  # no reference: all is generated
    assert strength_for(background_request(ref_image=ref, noise_level=0, ref_prompt="")) == 0.35
    assert strength_for(background_request(ref_image=ref, noise_level=999, ref_prompt="")) == 1.0
    text_wins = background_request(ref_image=ref, noise_level=0, ref_prompt_weight=1.0)
    image_wins = background_request(ref_image=ref, noise_level=0, ref_prompt_weight=0.0)
    assert strength_for(image_wins) < 0.35 < strength_for(text_wins)


# --------------------------------------------------------------------------------- wan2.6-image


@pytest.mark.parametrize("kind", TEXT_TO_IMAGE_KINDS)
def test_text_to_image_exact_size_seeds_and_n(
    kind: str, tiny_weights: Callable[[str], Path]
) -> None:
    engine = DiffusersImage(weights=str(tiny_weights(kind)), **TINY)
    token = Recorder()
    first = images(engine.run(image_request(), token))
    again = images(engine.run(image_request(), CancelToken()))
    assert [x.shape for x in first] == [(120, 200, 3)] * 2
    assert not np.array_equal(first[0], first[1])
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert token.items == [0, 1] and token.values[-1] == 1.0
    assert engine.describe()["pipeline"] == engine.resident.class_name


@pytest.mark.parametrize("kind", EDIT_KINDS)
def test_editing_with_several_input_images(kind: str, tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersImage(
        weights=str(tiny_weights("sdxl")), edit_weights=str(tiny_weights(kind)), **TINY
    )
    engine.load()
    opaque = np.full((90, 120), 255, np.uint8)
    inputs = (
        np.dstack([photo(90, 120, 1), opaque]),
        np.dstack([photo(60, 60, 2), opaque[:60, :60]]),
    )
    result = images(engine.run(image_request(images=inputs, n=1), CancelToken()))
    assert [x.shape for x in result] == [(120, 200, 3)]
    described = engine.describe()
    assert described["pipeline"] == "StableDiffusionXLPipeline"
    assert described["edit_pipeline"] == engine._edit.class_name  # type: ignore[union-attr]
    assert described["edit_pipeline_weights"] == str(tiny_weights(kind))


def test_flux2_klein_weights_do_both_and_others_say_what_is_missing(
    tiny_weights: Callable[[str], Path],
) -> None:
    both = DiffusersImage(weights=str(tiny_weights("flux2_klein")), **TINY)
    both.load()
    inputs = (np.dstack([photo(80, 80), np.full((80, 80), 255, np.uint8)]),)
    assert images(both.run(image_request(images=inputs, n=1), CancelToken()))[0].shape == (
        120,
        200,
        3,
    )
    t2i_only = DiffusersImage(weights=str(tiny_weights("z_image")), **TINY)
    t2i_only.load()
    with pytest.raises(TaskError, match="edit_weights") as caught:
        t2i_only.run(image_request(images=inputs), CancelToken())
    assert caught.value.code == "UnsupportedOperation"


def test_interleave_keeps_the_classic_captions(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersImage(weights=str(tiny_weights("flux2_klein")), **TINY)
    prompt = "先和面，然后发酵，最后烤制"
    token = Recorder()
    items = engine.run(image_request(prompt=prompt, interleave=True, n=1), token)
    expected = [s.caption for s in interleave.plan(prompt, 3, by_time=True)]
    assert [i.text for i in items] == expected == ["第1步：先和面", "第2步：发酵", "第3步：烤制"]
    assert [x.shape for x in images(items)] == [(120, 200, 3)] * 3
    assert token.items == [0, 1, 2]


# ------------------------------------------------------------------------------------- runtime


def test_cancel_stops_within_a_step_and_the_pipeline_stays_usable(
    tiny_weights: Callable[[str], Path],
) -> None:
    engine = DiffusersImage(weights=str(tiny_weights("sdxl")), **{**TINY, "steps": 1000})
    engine.load()
    token = CancelToken()
    outcome: list[BaseException | list[Any]] = []

    def work() -> None:
        try:
            outcome.append(engine.run(image_request(n=1), token))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 30
    while token.progress == 0.0 and time.monotonic() < deadline:
        time.sleep(0.01)
    seen = token.progress
    assert 0.0 < seen < 0.5
    cancelled_at = time.monotonic()
    token.cancel()
    thread.join(10)
    stopped_after = time.monotonic() - cancelled_at
    print(f"\n  cancelled at {seen:.1%}; stopped {stopped_after * 1000:.0f} ms later")
    assert not thread.is_alive() and isinstance(outcome[0], TaskCanceled)
    assert stopped_after < 1.0
    short = DiffusersImage(weights=str(tiny_weights("sdxl")), **TINY)
    assert short.resident is engine.resident  # the same weights: the same resident pipeline
    assert images(short.run(image_request(n=1), CancelToken()))[0].shape == (120, 200, 3)


def test_models_on_the_same_weights_share_one_pipeline(
    tiny_weights: Callable[[str], Path],
) -> None:
    weights = str(tiny_weights("flux2_klein"))
    image = DiffusersImage(weights=weights, **TINY)
    inpaint = DiffusersInpaint(weights=weights, **TINY)
    background = DiffusersBackground(weights=weights, **TINY)
    for engine in (image, inpaint, background):
        engine.load()
    assert inpaint.resident is background.resident
    assert inpaint.resident.class_name == "Flux2KleinInpaintPipeline"
    # from_pipe: the inpainting pipeline runs the very modules the text-to-image one holds
    assert inpaint.resident.pipe.transformer is image.resident.pipe.transformer
    assert inpaint.resident.pipe.vae is image.resident.pipe.vae
    assert inpaint.resident.lock is image.resident.lock


def test_group_offload_runs_on_cpu(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersInpaint(weights=str(tiny_weights("sd_inpaint")), offload="group", **TINY)
    assert images(engine.run(inpaint_request(n=1), CancelToken()))[0].shape == (160, 240, 3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, '"weights" is required'),
        ({"weights": "x", "stepz": 3}, r"unknown option\(s\) \['stepz'\]"),
        ({"weights": "x", "device": "tpu"}, '"device" must be cpu, cuda or cuda:N'),
        ({"weights": "x", "device": "cuda"}, "this machine has no CUDA device"),
        ({"weights": "x", "dtype": "int8"}, '"dtype" must be one of'),
        ({"weights": "x", "offload": "model"}, "needs a CUDA device"),
        ({"weights": "x", "steps": 0}, '"steps" must be a number from 1 to 1000'),
        ({"weights": "x", "lora": ["a.safetensors"]}, '"lora" must be a list of'),
        ({"weights": "x", "style_strength": 1.5}, '"style_strength" must be a number from 0.05'),
    ],
)
def test_bad_options_are_refused_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        DiffusersInpaint(**options)
    assert "WANSTACK_ENGINE_OPTIONS['wanx-x-painting']" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"control_scale": "high"}, '"control_scale" must be a number from 0 to 2'),
        ({"control_scale": 3}, '"control_scale" must be a number from 0 to 2'),
        ({"control": "depth"}, '"control" must be "edges" or "inpaint"'),
        ({"controlnet": 7}, '"controlnet" must be a ControlNet folder'),
        ({"style_strength": 0.5}, r"unknown option\(s\) \['style_strength'\]"),
    ],
)
def test_bad_background_options_are_refused_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        DiffusersBackground(weights="x", **options)
    assert "WANSTACK_ENGINE_OPTIONS['wanx-background-generation-v2']" in str(caught.value)


def test_unloadable_weights_name_the_model_and_the_folder(
    tiny_weights: Callable[[str], Path], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-weights"
    with pytest.raises(runtime.WeightsError, match=f"wanx-x-painting: .*{missing}.* not a folder"):
        DiffusersInpaint(weights=str(missing)).load()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(runtime.WeightsError, match=r"no model_index\.json"):
        DiffusersInpaint(weights=str(empty)).load()
    wrong = str(tiny_weights("flux_kontext"))
    with pytest.raises(runtime.WeightsError, match="FluxKontextPipeline, which cannot serve"):
        DiffusersBackground(weights=wrong).load()
    with pytest.raises(runtime.WeightsError, match=r"wan2\.6-image"):
        DiffusersImage(weights=str(tiny_weights("sdxl")), edit_weights=wrong + "-x").load()


def test_the_provider_loads_diffusers_engines_before_work(
    tiny_weights: Callable[[str], Path],
) -> None:
    provider = EngineProvider(
        {"wanx-x-painting": "diffusers", "wan2.6-image": "diffusers"},
        {
            "diffusers": TINY,
            "wanx-x-painting": {"weights": str(tiny_weights("sd_inpaint"))},
            "wan2.6-image": {"weights": str(tiny_weights("z_image"))},
        },
    )
    provider.check()
    engine = provider.get("wanx-x-painting")
    assert isinstance(engine, DiffusersInpaint) and engine._resident is not None
    assert provider.get("wan2.6-image").describe()["pipeline"] == "ZImagePipeline"


def test_generation_size_keeps_the_aspect_within_the_cap() -> None:
    assert runtime.generation_size((1024, 1024), 1024 * 1024) == (1024, 1024)
    w, h = runtime.generation_size((1280, 720), 512 * 512)
    assert w % 16 == h % 16 == 0 and w * h <= 512 * 512 * 1.05 and abs(w / h - 16 / 9) < 0.1
    assert runtime.generation_size((100, 40), 64 * 64, 16) == (96, 32)  # never upscaled


def test_items_reported_are_the_items_returned(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersImage(weights=str(tiny_weights("z_image")), **TINY)
    token = CancelToken()
    heard: dict[int, ImageItem | VideoItem] = {}
    token.on_item(heard.__setitem__)
    items = engine.run(image_request(n=3), token)
    assert [heard[i] for i in range(3)] == items


def test_an_engine_serving_another_model_names_that_model_in_errors() -> None:
    from wanstack.engines.registry import EngineProvider

    provider = EngineProvider(
        {"wan2.2-t2i-flash": "diffusers"}, {"wan2.2-t2i-flash": {"weights": "x", "stepz": 1}}
    )
    with pytest.raises(ConfigError, match=r"WANSTACK_ENGINE_OPTIONS\['wan2\.2-t2i-flash'\]"):
        provider.get("wan2.2-t2i-flash")
