"""Bounds on what one request may make the server build or hold (issue 9): JSON structure,
the upload form reader, mask colours, image headers, the HTTP connection budget."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from wanstack.api.body import MAX_DEPTH, MAX_VALUES, check_structure, check_text
from wanstack.api.http_guard import connection_budget, error_response
from wanstack.api.multipart import Field, FileData, FileEnd, FileStart, FormReader, boundary_of
from wanstack.catalog.wan_video import IMAGE_SIDES, checked_image
from wanstack.catalog.x_painting import MAX_MASK_COLORS, XPainting
from wanstack.errors import BadRequest, InvalidParameter, MediaInvalid, PayloadTooLarge

# -- JSON structure --------------------------------------------------------------------------


def test_ordinary_bodies_pass_the_structure_check() -> None:
    body = {
        "model": "wanx-x-painting",
        "input": {"prompt": "a [dog], {cat}: ok", "base_image_url": "data:image/png;base64,AAA="},
        "parameters": {"mask_color": [[1, 2, 3]] * MAX_MASK_COLORS},
    }
    check_structure(json.dumps(body).encode())


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "deeper"),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "deeper"),
        ("[" + "0," * MAX_VALUES + "0]", "values"),
        ("[" + "{}," * MAX_VALUES + "{}]", "values"),
    ],
)
def test_deep_or_wide_json_is_refused_before_parsing(text: str, rule: str) -> None:
    with pytest.raises(BadRequest, match=rule):
        check_structure(text.encode())


def test_structure_inside_strings_is_not_counted() -> None:
    inner = '[{,"\\"]' * (MAX_VALUES // 2)
    check_structure(json.dumps({"prompt": inner}).encode())


def test_lone_surrogates_are_named_by_path() -> None:
    value = json.loads('{"input": {"edges": ["ok", "\\ud800"]}}')
    with pytest.raises(InvalidParameter, match=r"^input\.edges\[1\] must be valid Unicode"):
        check_text(value)
    check_text(json.loads('{"prompt": "\\ud83d\\udc36 dog"}'))  # a proper pair is fine


# -- the upload form reader ------------------------------------------------------------------


def _form(*parts: tuple[str, str | None, bytes], boundary: str = "xyz") -> bytes:
    out = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_the_form_reader_streams_fields_then_the_file() -> None:
    data = _form(("key", None, b"dir/a.png"), ("file", "a.png", b"PNG" * 1000))
    reader = FormReader(b"xyz")
    events = [e for i in range(0, len(data), 7) for e in reader.feed(data[i : i + 7])]
    assert events[0] == Field("key", "dir/a.png")
    assert events[1] == FileStart("file", "a.png")
    assert b"".join(e.data for e in events if isinstance(e, FileData)) == b"PNG" * 1000
    assert isinstance(events[-1], FileEnd) and reader.finished


def test_the_form_reader_bounds_fields() -> None:
    with pytest.raises(InvalidParameter, match="limited to 64 KiB"):
        FormReader(b"xyz").feed(_form(("policy", None, b"p" * (65 * 1024))))
    with pytest.raises(InvalidParameter, match="at most 32 fields"):
        FormReader(b"xyz").feed(_form(*[(f"f{i}", None, b"v") for i in range(33)]))


@pytest.mark.parametrize("content_type", [None, "application/json", "multipart/form-data"])
def test_an_upload_needs_a_multipart_boundary(content_type: str | None) -> None:
    with pytest.raises(InvalidParameter, match="multipart/form-data"):
        boundary_of(content_type)


# -- mask colours ----------------------------------------------------------------------------


def test_mask_color_is_bounded() -> None:
    good = {
        "prompt": "p",
        "base_image_url": "http://example.com/a.png",
        "mask_image_url": "http://example.com/m.png",
    }
    colors = [[i, i, i] for i in range(MAX_MASK_COLORS)]
    XPainting().validate(good, {"mask_color": colors})
    with pytest.raises(InvalidParameter, match=rf"at most {MAX_MASK_COLORS} colours, got 33"):
        XPainting().validate(good, {"mask_color": [*colors, [9, 9, 9]]})
    with pytest.raises(InvalidParameter, match="at most"):
        XPainting().validate(good, {"mask_color": [[0, 0, 0]] * 1_000_000})


# -- image headers before pixels -------------------------------------------------------------


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width``*``height`` and whose data is one deflated row
    of zeros repeated: 145 KB on the wire can declare 50 megapixels."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    raw = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _peak_growth(action: object) -> int:
    """Growth of this process's peak resident memory while ``action()`` runs, in bytes."""
    status = Path("/proc/self/status")

    def kb(field: str) -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith(field + ":"))
        return int(line.split()[1])

    Path("/proc/self/clear_refs").write_text("5")
    base = kb("VmRSS")
    try:
        action()  # type: ignore[operator]
    except MediaInvalid:
        pass
    return (kb("VmHWM") - base) * 1024


def test_an_i2v_image_of_50_megapixels_is_refused_from_its_header() -> None:
    data = _png_declaring(7900, 6300)  # sides within i2v's 240..8000, 49.8 megapixels
    assert len(data) < 200_000
    assert IMAGE_SIDES[1] >= 7900
    with pytest.raises(MediaInvalid, match=r"7900\*6300 pixels, more than the 25000000"):
        checked_image(data)
    growth = _peak_growth(lambda: checked_image(data))
    assert growth < 20 * 1024 * 1024, f"decoding grew the peak by {growth / 2**20:.0f} MB"


def test_a_small_image_still_decodes() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 20, 30)).save(buf, "PNG")
    assert checked_image(buf.getvalue()).shape == (240, 320, 3)


# -- HTTP connections ------------------------------------------------------------------------


@pytest.mark.parametrize(("fds", "budget"), [(256, 192), (1024, 896), (65536, 57344), (50, 16)])
def test_the_connection_budget_leaves_room_for_everything_else(fds: int, budget: int) -> None:
    assert connection_budget(fds) == budget


def test_connection_level_errors_are_complete_dashscope_answers() -> None:
    answer = error_response(400, PayloadTooLarge("The request header block is larger than 16 KiB."))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"connection: close" in head
    assert f"content-length: {len(body)}".encode() in head
    error = json.loads(body)
    assert error["code"] == "BadRequest.TooLarge" and error["request_id"]
