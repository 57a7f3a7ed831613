"""wanx-background-generation-v2: submit-time rules and run-time media rules (seeds 001/002)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from wanstack.catalog.background import BackgroundGeneration, truncate_prompt
from wanstack.catalog.registry import spec_for
from wanstack.domain import Task, TaskStatus
from wanstack.engines.requests import BackgroundRequest
from wanstack.errors import InvalidParameter, MediaInvalid, ModelNotFound, UnsupportedFileFormat

SPEC = BackgroundGeneration()
BASE = "https://example.com/a.png"
ENDPOINT = "background-generation/generation"


def png(width: int, height: int, mode: str = "RGBA", fmt: str = "PNG") -> bytes:
    color: Any = (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30)
    img = Image.new(mode, (width, height), color)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def validate(input: dict[str, Any], parameters: dict[str, Any] | None = None) -> Any:
    return SPEC.validate(input, parameters)


def message_of(exc: pytest.ExceptionInfo[Exception]) -> str:
    return str(exc.value)


def test_model_names() -> None:
    assert spec_for(ENDPOINT, "wanx-background-generation-v2") is not None
    with pytest.raises(ModelNotFound, match=r"^Model not exist\.$"):
        spec_for(ENDPOINT, "wanx-background-generation-v3")
    with pytest.raises(ModelNotFound):
        spec_for("image2image/image-synthesis", "wanx-background-generation-v2")


def test_defaults() -> None:
    sub = validate({"base_image_url": BASE, "ref_prompt": "山脉和晚霞"})
    assert sub.parameters["n"] == 1
    assert sub.parameters["model_version"] == "v2"
    assert sub.parameters["noise_level"] == 300
    assert sub.parameters["ref_prompt_weight"] == 0.5
    assert sub.parameters["scene_type"] is None
    assert isinstance(sub.parameters["seed"], int)
    assert sub.media == [("input.base_image_url", BASE)]


def test_a_guide_is_required() -> None:
    with pytest.raises(InvalidParameter, match=r"ref_image_url or input\.ref_prompt"):
        validate({"base_image_url": BASE})
    with pytest.raises(InvalidParameter, match=r"ref_image_url or input\.ref_prompt"):
        validate({"base_image_url": BASE, "ref_prompt": "   "})
    assert validate({"base_image_url": BASE, "ref_image_url": BASE}).input["ref_image_url"] == BASE


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"n": 0}, "parameters.n"),
        ({"n": 5}, "parameters.n"),
        ({"model_version": "v4"}, "parameters.model_version"),
        ({"noise_level": 1000}, "parameters.noise_level"),
        ({"noise_level": -1}, "parameters.noise_level"),
        ({"ref_prompt_weight": 1.5}, "parameters.ref_prompt_weight"),
        ({"ref_prompt_weight": "x"}, "parameters.ref_prompt_weight"),
        ({"scene_type": "BEACH"}, "parameters.scene_type"),
    ],
)
def test_parameter_rules_name_the_field(parameters: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        validate({"base_image_url": BASE, "ref_prompt": "x"}, parameters)
    assert field in message_of(exc)


def test_title_rules() -> None:
    ok = validate(
        {"base_image_url": BASE, "ref_prompt": "x", "title": "分享好时光", "sub_title": "副标题"}
    )
    assert ok.input["title"] == "分享好时光"
    with pytest.raises(InvalidParameter, match=r"input\.title must be 1 to 8"):
        validate({"base_image_url": BASE, "ref_prompt": "x", "title": "123456789"})
    with pytest.raises(InvalidParameter, match=r"input\.title must be 1 to 8"):
        validate({"base_image_url": BASE, "ref_prompt": "x", "title": ""})
    with pytest.raises(InvalidParameter, match=r"input\.sub_title must be 1 to 10"):
        validate({"base_image_url": BASE, "ref_prompt": "x", "title": "t", "sub_title": "x" * 11})
    with pytest.raises(InvalidParameter, match=r"only allowed together with input\.title"):
        validate({"base_image_url": BASE, "ref_prompt": "x", "sub_title": "s"})


def test_reference_edge_rules() -> None:
    edges = {
        "foreground_edge": [BASE, BASE],
        "background_edge": [BASE],
        "foreground_edge_prompt": ["粉色桃花", ""],
        "background_edge_prompt": ["树叶"],
    }
    sub = validate({"base_image_url": BASE, "ref_prompt": "x", "reference_edge": edges})
    assert sub.input["reference_edge"] == edges
    assert ("input.reference_edge.foreground_edge[1]", BASE) in sub.media
    with pytest.raises(InvalidParameter, match="foreground_edge_prompt must have as many"):
        validate(
            {
                "base_image_url": BASE,
                "ref_prompt": "x",
                "reference_edge": {"foreground_edge": [BASE], "foreground_edge_prompt": ["a", "b"]},
            }
        )
    with pytest.raises(InvalidParameter, match="at most 10 edge images"):
        validate(
            {
                "base_image_url": BASE,
                "ref_prompt": "x",
                "reference_edge": {"foreground_edge": [BASE] * 6, "background_edge": [BASE] * 5},
            }
        )
    with pytest.raises(InvalidParameter, match=r"reference_edge\.background_edge"):
        validate(
            {"base_image_url": BASE, "ref_prompt": "x", "reference_edge": {"background_edge": "x"}}
        )


def test_prompt_truncation_counts_words_and_chinese_characters() -> None:
    english = " ".join(f"w{i}" for i in range(200))
    assert len(truncate_prompt(english).split()) == 150
    chinese = "山" * 200
    assert len(truncate_prompt(chinese)) == 120
    assert truncate_prompt("山脉和晚霞") == "山脉和晚霞"
    assert truncate_prompt("") == ""


def task_for(input: dict[str, Any], parameters: dict[str, Any] | None = None) -> Task:
    sub = validate(input, parameters)
    return Task(
        id="t", account_id="a", api_key_id="k", workspace=None, model=SPEC.model,
        request_id="r", status=TaskStatus.RUNNING, input=sub.input, parameters=sub.parameters,
        submitted_at=0, expires_at=0,
    )  # fmt: skip


def loader(files: dict[str, bytes]) -> Any:
    async def load(field: str, reference: str, max_bytes: int) -> bytes:
        return files[reference]

    return load


async def test_prepare_builds_the_request_with_edges_resized() -> None:
    files = {"b": png(640, 480), "r": png(300, 200, "RGB", "JPEG"), "e": png(320, 240)}
    task = task_for(
        {
            "base_image_url": "https://x/b",
            "ref_image_url": "https://x/r",
            "ref_prompt": "sunset",
            "reference_edge": {
                "foreground_edge": ["https://x/e"],
                "background_edge": ["https://x/e"],
                "foreground_edge_prompt": ["粉色桃花"],
            },
        },
        {"n": 3, "model_version": "v3", "seed": 7},
    )
    files = {f"https://x/{k}": v for k, v in files.items()}
    req = await SPEC.prepare(task, loader(files))
    assert isinstance(req, BackgroundRequest)
    assert req.subject.shape == (480, 640, 4)
    assert req.ref_image is not None and req.ref_image.shape == (200, 300, 4)
    assert [e.foreground for e in req.edges] == [False, True]  # background first
    assert all(e.image.shape == (480, 640, 4) for e in req.edges)
    assert req.edges[1].prompt == "粉色桃花" and req.edges[0].prompt == ""
    assert (req.n, req.model_version, req.seed) == (3, "v3", 7)


RGB_MESSAGE = (  # seed 001, word for word
    "Base image require RGBA format, but is RGB, modes concept see "
    "https://pillow.readthedocs.io/en/stable/handbook/concepts.html#concept-modes"
)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (png(300, 300, "RGB"), UnsupportedFileFormat, RGB_MESSAGE),
        (png(300, 300, "RGBA", "WEBP"), UnsupportedFileFormat, "Base image require PNG format, "
         "but is WEBP"),
        (png(2049, 100), MediaInvalid, "Base image long side must be at most 2048 pixels, "
         "but is 2049*100"),
        (b"not an image", UnsupportedFileFormat, None),
    ],
)  # fmt: skip
async def test_prepare_media_errors(
    data: bytes, error: type[Exception], message: str | None
) -> None:
    task = task_for({"base_image_url": "https://x/b", "ref_prompt": "x"})
    with pytest.raises(error) as exc:
        await SPEC.prepare(task, loader({"https://x/b": data}))
    if message is not None:
        assert str(exc.value) == message


async def test_an_rgb_edge_image_is_refused() -> None:
    task = task_for(
        {
            "base_image_url": "https://x/b",
            "ref_prompt": "x",
            "reference_edge": {"foreground_edge": ["https://x/e"]},
        }
    )
    files = {"https://x/b": png(100, 100), "https://x/e": png(100, 100, "RGB")}
    with pytest.raises(
        UnsupportedFileFormat, match="Foreground edge image require RGBA format, but is RGB"
    ):
        await SPEC.prepare(task, loader(files))


def test_palette_png_with_transparency_counts_as_rgba() -> None:
    img = Image.new("P", (10, 10), 0)
    img.info["transparency"] = 0
    buf = io.BytesIO()
    img.save(buf, format="PNG", transparency=0)
    from wanstack.catalog.background import _rgba

    arr = _rgba(buf.getvalue(), "base_image_url", "Base image", png=True)
    assert arr.shape == (10, 10, 4)
    assert int(np.asarray(arr)[..., 3].max()) == 0
