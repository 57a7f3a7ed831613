"""wanx-x-painting: submit-time validation, the mask rule and run-time media checks."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from wanstack.catalog import x_painting
from wanstack.catalog.x_painting import (
    MASK_COLOR_TOLERANCE,
    MAX_BYTES,
    MODEL,
    STYLES,
    XPainting,
    mask_region,
)
from wanstack.domain import Task, TaskStatus
from wanstack.engines.requests import InpaintRequest
from wanstack.errors import InvalidParameter, MediaInvalid, UnsupportedFileFormat

BASE = "https://example.com/base.png"
MASK = "https://example.com/mask.png"
SPEC = XPainting()


def good_input(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"prompt": "a red boat", "base_image_url": BASE, "mask_image_url": MASK}
    data.update(overrides)
    return data


# --- validate: the normalised submission ------------------------------------------------------


def test_minimal_request_gets_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(x_painting, "new_seed", lambda: 123456)
    sub = SPEC.validate(good_input(), None)
    assert sub.input == {"prompt": "a red boat", "base_image_url": BASE, "mask_image_url": MASK}
    assert sub.parameters == {
        "style": "<auto>",
        "size": "1024*1024",
        "n": 1,
        "mask_color": [],
        "seed": 123456,
    }
    assert sub.media == [("input.base_image_url", BASE), ("input.mask_image_url", MASK)]


def test_a_drawn_seed_is_a_valid_seed() -> None:
    seeds = [SPEC.validate(good_input(), {}).parameters["seed"] for _ in range(20)]
    assert all(isinstance(s, int) and 0 <= s <= 2147483647 for s in seeds)
    assert len(set(seeds)) > 1  # drawn per submission, not a constant


@pytest.mark.parametrize("seed", [0, 42, 2147483647, 7.0])
def test_a_given_seed_is_kept(seed: Any) -> None:
    sub = SPEC.validate(good_input(), {"seed": seed})
    assert sub.parameters["seed"] == int(seed)
    assert type(sub.parameters["seed"]) is int


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("x" * 75, "x" * 75),
        ("x" * 76, "x" * 75),
        ("画" * 200, "画" * 75),
        (" a cat ", " a cat "),
    ],
)
def test_prompt_is_truncated_at_75_characters(prompt: str, expected: str) -> None:
    assert SPEC.validate(good_input(prompt=prompt), None).input["prompt"] == expected


def test_every_parameter_is_normalised() -> None:
    sub = SPEC.validate(
        good_input(),
        {
            "style": "<watercolor>",
            "size": "720*1280",
            "n": 4.0,
            "seed": 9,
            "mask_color": [[255, 0, 0], [0, 255, 0]],
        },
    )
    assert sub.parameters == {
        "style": "<watercolor>",
        "size": "720*1280",
        "n": 4,
        "mask_color": [[255, 0, 0], [0, 255, 0]],
        "seed": 9,
    }


@pytest.mark.parametrize("style", STYLES)
def test_every_documented_style_is_accepted(style: str) -> None:
    assert SPEC.validate(good_input(), {"style": style}).parameters["style"] == style


def test_eight_styles_are_documented() -> None:
    assert len(set(STYLES)) == 8


@pytest.mark.parametrize("size", ["999*999", "1024x1024", "", "banana"])
def test_size_is_not_validated_at_submit(size: str) -> None:
    assert SPEC.validate(good_input(), {"size": size}).parameters["size"] == size


@pytest.mark.parametrize(
    "reference",
    ["data:image/png;base64,iVBORw0KGgo=", "oss://dashscope-instant/u/x.png", "HTTP://E.COM/x"],
)
def test_other_reference_kinds_are_accepted(reference: str) -> None:
    sub = SPEC.validate(good_input(base_image_url=reference), None)
    assert sub.media[0] == ("input.base_image_url", reference)


def test_unknown_keys_are_ignored() -> None:
    sub = SPEC.validate(
        good_input(extra="x", ref_image_url="https://e.com/r.png"),
        {"watermark": True, "ref_mode": "repaint", "size": "1280*720"},
    )
    assert set(sub.input) == {"prompt", "base_image_url", "mask_image_url"}
    assert set(sub.parameters) == {"style", "size", "n", "mask_color", "seed"}


def test_mask_color_null_and_empty_mean_white() -> None:
    assert SPEC.validate(good_input(), {"mask_color": None}).parameters["mask_color"] == []
    assert SPEC.validate(good_input(), {"mask_color": []}).parameters["mask_color"] == []


def rejection_cases() -> list[Any]:
    def case(inp: Any, par: Any, pattern: str, id: str) -> Any:
        return pytest.param(inp, par, pattern, id=id)

    return [
        case("not an object", None, r"^input must be a JSON object", "input-string"),
        case([1], None, r"^input must be a JSON object", "input-list"),
        case(good_input(), "n=2", r"^parameters must be a JSON object", "parameters-string"),
        case({"base_image_url": BASE, "mask_image_url": MASK}, None, r"^input\.prompt is req", "p"),
        case(good_input(prompt=None), None, r"^input\.prompt is required", "prompt-null"),
        case(good_input(prompt=""), None, r"^input\.prompt must not be empty", "prompt-empty"),
        case(good_input(prompt="  "), None, r"^input\.prompt must not be empty", "prompt-blank"),
        case(good_input(prompt=5), None, r"^input\.prompt must be a string", "prompt-int"),
        case(good_input(base_image_url=None), None, r"^input\.base_image_url is req", "base-null"),
        case(
            {"prompt": "p", "mask_image_url": MASK},
            None,
            r"^input\.base_image_url is required",
            "base-missing",
        ),
        case(
            good_input(base_image_url="ftp://e.com/a.png"),
            None,
            r"^input\.base_image_url must be an http\(s\) URL",
            "base-ftp",
        ),
        case(
            good_input(mask_image_url="file:///etc/passwd"),
            None,
            r"^input\.mask_image_url must be an http\(s\) URL",
            "mask-file",
        ),
        case(
            good_input(mask_image_url="mask.png"),
            None,
            r"^input\.mask_image_url must be an http\(s\) URL",
            "mask-relative",
        ),
        case(good_input(mask_image_url=""), None, r"^input\.mask_image_url must not be em", "m-e"),
        case(good_input(), {"style": "<pixel>"}, r"^parameters\.style must be one of", "style"),
        case(good_input(), {"style": 1}, r"^parameters\.style must be a string", "style-int"),
        case(good_input(), {"size": 1024}, r"^parameters\.size must be a string", "size-int"),
        case(good_input(), {"n": 0}, r"^parameters\.n must be an integer from 1 to 4, got 0$", "0"),
        case(good_input(), {"n": 5}, r"^parameters\.n must be an integer from 1 to 4, got 5$", "5"),
        case(good_input(), {"n": 2.5}, r"^parameters\.n must be an integer from 1 to 4", "n-2.5"),
        case(good_input(), {"n": True}, r"^parameters\.n must be an integer from 1 to 4", "n-t"),
        case(good_input(), {"n": "2"}, r"^parameters\.n must be an integer from 1 to 4", "n-str"),
        case(good_input(), {"seed": -1}, r"^parameters\.seed must be an integer from 0 to", "s-1"),
        case(good_input(), {"seed": 2**31}, r"^parameters\.seed must be an integer from 0", "s31"),
        case(good_input(), {"seed": "7"}, r"^parameters\.seed must be an integer", "seed-str"),
        case(good_input(), {"mask_color": "white"}, r"^parameters\.mask_color must be", "mc-s"),
        case(good_input(), {"mask_color": [255, 0, 0]}, r"^parameters\.mask_color must", "flat"),
        case(good_input(), {"mask_color": [[255, 0]]}, r"^parameters\.mask_color must", "pair"),
        case(good_input(), {"mask_color": [[1, 2, 3, 4]]}, r"^parameters\.mask_color must", "4"),
        case(good_input(), {"mask_color": [[1, 2, 256]]}, r"^parameters\.mask_color must", "256"),
        case(good_input(), {"mask_color": [[1, 2, -1]]}, r"^parameters\.mask_color must", "neg"),
        case(good_input(), {"mask_color": [[1, 2, True]]}, r"^parameters\.mask_color must", "b"),
        case(good_input(), {"mask_color": [[1, 2, "3"]]}, r"^parameters\.mask_color must", "s"),
        case(good_input(), {"mask_color": [[1.5, 2, 3]]}, r"^parameters\.mask_color must", "f"),
        case(good_input(), {"mask_color": {"r": 1}}, r"^parameters\.mask_color must", "dict"),
    ]


@pytest.mark.parametrize(("inp", "par", "pattern"), rejection_cases())
def test_rejections_name_the_field(inp: Any, par: Any, pattern: str) -> None:
    with pytest.raises(InvalidParameter, match=pattern) as info:
        SPEC.validate(inp, par)
    assert info.value.code == "InvalidParameter"
    assert info.value.http_status == 400


def test_mask_color_message_shows_the_bad_entry() -> None:
    with pytest.raises(InvalidParameter) as info:
        SPEC.validate(good_input(), {"mask_color": [[0, 0, 0], [1, 2]]})
    assert info.value.message == (
        "parameters.mask_color must be a list of [R, G, B] triples with values from 0 to 255, "
        "got [1, 2] in it"
    )


def test_mask_color_message_is_bounded() -> None:
    with pytest.raises(InvalidParameter) as info:
        SPEC.validate(good_input(), {"mask_color": "x" * 10_000})
    assert len(info.value.message) <= 200


def test_the_spec_serves_both_endpoints() -> None:
    assert SPEC.model == MODEL == "wanx-x-painting"
    assert {"image2image/image-synthesis", "text2image/image-synthesis"} == SPEC.endpoints


# --- mask_region ------------------------------------------------------------------------------


def two_halves(mode: str, left: Any, right: Any, size: tuple[int, int] = (6, 4)) -> Image.Image:
    """An image whose left half is ``left`` and right half ``right`` (width × height)."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def expected_right_half(size: tuple[int, int] = (6, 4)) -> np.ndarray[Any, Any]:
    width, height = size
    out = np.zeros((height, width), dtype=bool)
    out[:, width // 2 :] = True
    return out


@pytest.mark.parametrize(
    ("mode", "black", "white"),
    [
        ("L", 0, 255),
        ("1", 0, 1),
        ("RGB", (0, 0, 0), (255, 255, 255)),
        ("RGBA", (0, 0, 0, 255), (255, 255, 255, 255)),
        ("LA", (0, 255), (255, 255)),
    ],
)
def test_white_marks_the_region_without_colours(mode: str, black: Any, white: Any) -> None:
    region = mask_region(two_halves(mode, black, white), [])
    assert region.dtype == np.bool_
    assert region.shape == (4, 6)
    assert np.array_equal(region, expected_right_half())


@pytest.mark.parametrize(("gray", "marked"), [(127, False), (128, True), (200, True), (30, False)])
def test_the_mask_is_binarised_at_mid_grey(gray: int, marked: bool) -> None:
    assert mask_region(Image.new("L", (3, 3), gray), []).all() == marked
    assert mask_region(Image.new("L", (3, 3), gray), []).any() == marked


def test_an_antialiased_rim_touching_the_region_belongs_to_it() -> None:
    gray = np.zeros((5, 9), np.uint8)
    gray[:, :3] = 255  # the painted stroke
    gray[:, 3] = 96  # its antialiased rim
    gray[:, 4] = 20  # too faint to be rim
    gray[2, 7] = 96  # grey but not touching the stroke: noise, not rim
    region = mask_region(Image.fromarray(gray, "L"), [])
    assert region[:, :4].all()
    assert not region[:, 4:].any()


@pytest.mark.parametrize(
    ("mode", "transparent_white", "opaque_white"),
    [
        ("RGBA", (255, 255, 255, 0), (255, 255, 255, 255)),
        ("LA", (255, 0), (255, 255)),
    ],
)
def test_transparent_pixels_count_as_black(
    mode: str, transparent_white: Any, opaque_white: Any
) -> None:
    region = mask_region(two_halves(mode, transparent_white, opaque_white), [])
    assert np.array_equal(region, expected_right_half())


def test_transparent_pixels_count_as_black_in_palette_masks() -> None:
    image = two_halves("P", 0, 1)
    image.putpalette([255, 255, 255, 255, 255, 255] + [0] * (256 * 3 - 6))
    image.info["transparency"] = 0  # palette index 0 (white) is fully transparent
    assert np.array_equal(mask_region(image, []), expected_right_half())


def test_half_transparent_white_is_grey() -> None:
    assert not mask_region(Image.new("RGBA", (2, 2), (255, 255, 255, 100)), []).any()
    assert mask_region(Image.new("RGBA", (2, 2), (255, 255, 255, 160)), []).all()


@pytest.mark.parametrize(
    ("pixel", "marked"),
    [
        ((255, 0, 0), True),
        ((250, 5, 3), True),
        ((255 - MASK_COLOR_TOLERANCE, MASK_COLOR_TOLERANCE, 0), True),
        ((255 - MASK_COLOR_TOLERANCE - 1, 0, 0), False),
        ((255, MASK_COLOR_TOLERANCE + 1, 0), False),
        ((255, 255, 255), False),
        ((0, 0, 0), False),
    ],
)
def test_mask_colour_matches_within_the_tolerance(
    pixel: tuple[int, int, int], marked: bool
) -> None:
    region = mask_region(Image.new("RGB", (2, 2), pixel), [[255, 0, 0]])
    assert region.shape == (2, 2)
    assert bool(region.all()) is marked
    assert bool(region.any()) is marked


def test_several_mask_colours_each_mark_the_region() -> None:
    image = Image.new("RGB", (4, 1), (255, 255, 255))
    for x, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]):
        image.putpixel((x, 0), color)
    region = mask_region(image, [[255, 0, 0], [0, 255, 0]])
    assert region.tolist() == [[True, True, False, False]]


def test_with_colours_white_is_not_special() -> None:
    image = two_halves("RGB", (255, 255, 255), (0, 128, 255))
    assert np.array_equal(mask_region(image, [[0, 128, 255]]), expected_right_half())


def test_mask_colours_apply_to_composited_rgba() -> None:
    # A transparent red pixel is black after compositing, so it does not match red.
    image = two_halves("RGBA", (255, 0, 0, 0), (255, 0, 0, 255))
    assert np.array_equal(mask_region(image, [[255, 0, 0]]), expected_right_half())


# --- prepare ----------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def picture(width: int, height: int, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height), (10, 120, 200))
    image.paste((250, 30, 30), (0, 0, width // 3, height // 3))
    return encode(image, fmt)


def mask_png(width: int, height: int, box: tuple[int, int, int, int] = (0, 0, 10, 20)) -> bytes:
    image = Image.new("L", (width, height), 0)
    image.paste(255, box)
    return encode(image, "PNG")


class Loader:
    """An in-memory media loader that records its calls."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.calls: list[tuple[str, str, int]] = []

    async def __call__(self, field: str, reference: str, max_bytes: int) -> bytes:
        self.calls.append((field, reference, max_bytes))
        return self.files[reference]


def make_task(parameters: dict[str, Any] | None = None, **input: Any) -> Task:
    sub = SPEC.validate(good_input(**input), parameters or {})
    return Task(
        id="task-1",
        account_id="acct",
        api_key_id="key",
        workspace=None,
        model=MODEL,
        request_id="req",
        status=TaskStatus.RUNNING,
        input=sub.input,
        parameters=sub.parameters,
        submitted_at=0,
        expires_at=86_400_000,
    )


@pytest.mark.parametrize("size", ["999*999", "1024x1024", "512*512", "", "1280*720 "])
async def test_a_bad_size_fails_with_dashscopes_message_before_fetching(size: str) -> None:
    loader = Loader({})
    with pytest.raises(MediaInvalid) as info:
        await SPEC.prepare(make_task({"size": size}), loader)
    assert info.value.message == (
        "The size is not match the allowed size ['1024*1024', '720*1280', '1280*720']"
    )
    assert info.value.code == "InvalidParameter"
    assert loader.calls == []


@pytest.mark.parametrize(
    ("size", "fmt", "base_size"),
    [
        ("1024*1024", "PNG", (300, 400)),
        ("720*1280", "JPEG", (640, 480)),
        ("1280*720", "BMP", (257, 257)),
        ("1024*1024", "PNG", (4095, 260)),
    ],
)
async def test_a_good_pair_becomes_an_inpaint_request(
    size: str, fmt: str, base_size: tuple[int, int]
) -> None:
    width, height = base_size
    loader = Loader({BASE: picture(width, height, fmt), MASK: mask_png(width, height)})
    task = make_task({"size": size, "n": 3, "seed": 77, "style": "<anime>"}, prompt="a boat")
    request = await SPEC.prepare(task, loader)
    assert isinstance(request, InpaintRequest)
    out_w, out_h = (int(v) for v in size.split("*"))
    assert request.size == (out_w, out_h)
    assert (request.n, request.seed, request.style, request.prompt) == (3, 77, "<anime>", "a boat")
    assert request.image.shape == (height, width, 3)
    assert request.image.dtype == np.uint8
    assert request.mask.shape == (height, width)
    assert request.mask.dtype == np.bool_
    expected = np.zeros((height, width), dtype=bool)
    expected[0:20, 0:10] = True
    assert np.array_equal(request.mask, expected)
    assert sorted(loader.calls) == [
        ("input.base_image_url", BASE, MAX_BYTES),
        ("input.mask_image_url", MASK, MAX_BYTES),
    ]


async def test_the_base_pixels_come_through_as_rgb() -> None:
    loader = Loader({BASE: picture(300, 300), MASK: mask_png(300, 300)})
    request = await SPEC.prepare(make_task(), loader)
    assert request.image[0, 0].tolist() == [250, 30, 30]
    assert request.image[299, 299].tolist() == [10, 120, 200]


async def test_prepare_uses_the_mask_colours() -> None:
    mask = Image.new("RGB", (300, 300), (255, 255, 255))
    mask.paste((255, 0, 0), (100, 100, 200, 200))
    loader = Loader({BASE: picture(300, 300), MASK: encode(mask, "PNG")})
    request = await SPEC.prepare(make_task({"mask_color": [[255, 0, 0]]}), loader)
    assert int(request.mask.sum()) == 100 * 100
    assert request.mask[150, 150]
    assert not request.mask[0, 0]


async def test_an_rgba_mask_with_transparency() -> None:
    mask = Image.new("RGBA", (300, 300), (255, 255, 255, 0))
    mask.paste((255, 255, 255, 255), (0, 0, 50, 300))
    loader = Loader({BASE: picture(300, 300), MASK: encode(mask, "PNG")})
    request = await SPEC.prepare(make_task(), loader)
    assert int(request.mask.sum()) == 50 * 300


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("WEBP", "WEBP")])
@pytest.mark.parametrize("which", ["base", "mask"])
async def test_unsupported_formats(fmt: str, name: str, which: str) -> None:
    files = {BASE: picture(300, 300), MASK: mask_png(300, 300)}
    files[BASE if which == "base" else MASK] = picture(300, 300, fmt)
    with pytest.raises(UnsupportedFileFormat) as info:
        await SPEC.prepare(make_task(), Loader(files))
    assert info.value.message == (
        f"{which}_image_url: {name} images are not supported; use JPG, JPEG, PNG or BMP"
    )
    assert info.value.code == "BadRequest.UnsupportedFileFormat"


@pytest.mark.parametrize("which", ["base", "mask"])
async def test_not_an_image(which: str) -> None:
    files = {BASE: picture(300, 300), MASK: mask_png(300, 300)}
    files[BASE if which == "base" else MASK] = b"<html>not found</html>"
    with pytest.raises(UnsupportedFileFormat, match=f"^{which}_image_url: "):
        await SPEC.prepare(make_task(), Loader(files))


@pytest.mark.parametrize(
    ("width", "height"),
    [(256, 300), (300, 256), (100, 100), (4096, 300), (300, 4096)],
)
async def test_base_resolution_out_of_range(width: int, height: int) -> None:
    loader = Loader({BASE: picture(width, height), MASK: mask_png(width, height)})
    with pytest.raises(MediaInvalid) as info:
        await SPEC.prepare(make_task(), loader)
    assert info.value.message == (
        "The resolution of base_image_url must be greater than 256*256 and less than 4096*4096, "
        f"got {width}*{height}"
    )
    assert info.value.code == "InvalidParameter"


async def test_mask_resolution_out_of_range() -> None:
    loader = Loader({BASE: picture(300, 300), MASK: mask_png(200, 200)})
    with pytest.raises(MediaInvalid, match=r"^The resolution of mask_image_url must be greater"):
        await SPEC.prepare(make_task(), loader)


async def test_mask_must_match_the_base_resolution() -> None:
    loader = Loader({BASE: picture(300, 400), MASK: mask_png(400, 300)})
    with pytest.raises(MediaInvalid) as info:
        await SPEC.prepare(make_task(), loader)
    assert info.value.message == (
        "The resolution of mask_image_url (400*300) must match base_image_url (300*400)"
    )
