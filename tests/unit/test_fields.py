"""``Fields``: each rule, with messages that name the full path, the rule and the value received."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wanstack.catalog.fields import Fields
from wanstack.errors import InvalidParameter


def fields(**data: Any) -> Fields:
    return Fields(data, "parameters")


def rejects(match: str) -> Any:
    return pytest.raises(InvalidParameter, match=match)


# --- the object itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "shown"),
    [([1, 2], "[1, 2]"), ("text", "'text'"), (3, "3"), (True, "True"), (2.5, "2.5")],
)
def test_a_non_object_is_rejected_naming_the_path(data: Any, shown: str) -> None:
    with rejects(re.escape(f"input must be a JSON object, got {shown}")):
        Fields(data, "input")


def test_none_reads_as_an_empty_object() -> None:
    f = Fields(None, "parameters")
    assert f.data == {}
    assert f.integer("n", lo=1, hi=4, default=1) == 1
    with rejects(r"^parameters\.n is required$"):
        f.integer("n", lo=1, hi=4, required=True)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidParameter) as info:
        Fields("x" * 500, "input")
    assert info.value.message.endswith("...")
    assert len(info.value.message) < 120


def test_the_error_is_a_400_invalid_parameter() -> None:
    with pytest.raises(InvalidParameter) as info:
        fields(n=7).integer("n", lo=1, hi=4)
    assert info.value.code == "InvalidParameter"
    assert info.value.http_status == 400
    assert info.value.message == "parameters.n must be an integer from 1 to 4, got 7"


# --- required / default -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [{}, {"k": None}])
@pytest.mark.parametrize(
    "read",
    [
        lambda f: f.string("k", required=True),
        lambda f: f.integer("k", lo=0, hi=9, required=True),
        lambda f: f.media_url("k", required=True),
    ],
    ids=["string", "integer", "media_url"],
)
def test_required_fields_missing_or_null(data: dict[str, Any], read: Any) -> None:
    with rejects(r"^parameters\.k is required$"):
        read(Fields(data, "parameters"))


@pytest.mark.parametrize("data", [{}, {"k": None}])
@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (lambda f: f.string("k", default="d"), "d"),
        (lambda f: f.string("k"), None),
        (lambda f: f.integer("k", lo=0, hi=9, default=3), 3),
        (lambda f: f.integer("k", lo=0, hi=9), None),
        (lambda f: f.number("k", lo=0, hi=1, default=0.5), 0.5),
        (lambda f: f.boolean("k", default=True), True),
        (lambda f: f.boolean("k"), None),
        (lambda f: f.media_url("k"), None),
        (lambda f: f.raw("k"), None),
    ],
)
def test_optional_fields_take_their_default(data: dict[str, Any], read: Any, expected: Any) -> None:
    assert read(Fields(data, "parameters")) == expected


# --- string -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [(5, "5"), (["a"], "['a']"), ({"a": 1}, "{'a': 1}")])
def test_string_rejects_other_types(value: Any, shown: str) -> None:
    with rejects(re.escape(f"parameters.s must be a string, got {shown}")):
        fields(s=value).string("s")


@pytest.mark.parametrize("value", ["", " ", "\t\n"])
def test_string_non_empty(value: str) -> None:
    with rejects(r"^parameters\.s must not be empty$"):
        fields(s=value).string("s", non_empty=True)
    assert fields(s=value).string("s") == value


def test_string_choices() -> None:
    f = fields(style="<anime>", bad="<pixel>")
    assert f.string("style", choices=("<auto>", "<anime>")) == "<anime>"
    with rejects(re.escape("parameters.bad must be one of '<auto>', '<anime>', got '<pixel>'")):
        f.string("bad", choices=("<auto>", "<anime>"))


def test_string_choices_are_case_sensitive() -> None:
    with rejects("must be one of"):
        fields(s="<ANIME>").string("s", choices=("<anime>",))


@pytest.mark.parametrize(("value", "ok"), [("abcd", True), ("abcde", False)])
def test_string_max_chars(value: str, ok: bool) -> None:
    f = fields(s=value)
    if ok:
        assert f.string("s", max_chars=4) == value
    else:
        with rejects(re.escape("parameters.s must be at most 4 characters, got 5")):
            f.string("s", max_chars=4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("abc", "abc"), ("abcde", "abcde"), ("abcdef", "abcde"), ("一二三四五六七", "一二三四五")],
)
def test_string_truncate_at_counts_characters(value: str, expected: str) -> None:
    assert fields(s=value).string("s", truncate_at=5) == expected


# --- integer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), (4, 4), (2.0, 2), (3.0, 3), (-0.0, 0), (0, 0)]
)
def test_integer_accepts_whole_numbers(value: Any, expected: int) -> None:
    got = fields(n=value).integer("n", lo=0, hi=4)
    assert got == expected
    assert type(got) is int


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "True"),
        (False, "False"),
        (2.5, "2.5"),
        ("2", "'2'"),
        ([2], "[2]"),
        ({"v": 2}, "{'v': 2}"),
    ],
)
def test_integer_rejects_non_integers(value: Any, shown: str) -> None:
    with rejects(re.escape(f"parameters.n must be an integer from 1 to 4, got {shown}")):
        fields(n=value).integer("n", lo=1, hi=4)


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (5, "5"), (-1, "-1"), (7.0, "7")])
def test_integer_range(value: Any, shown: str) -> None:
    with rejects(re.escape(f"parameters.n must be an integer from 1 to 4, got {shown}")):
        fields(n=value).integer("n", lo=1, hi=4)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_integer_rejects_non_finite_numbers_as_invalid_parameter(value: float) -> None:
    with rejects(r"parameters\.n must be an integer from 1 to 4"):
        fields(n=value).integer("n", lo=1, hi=4)


# --- number -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (1, 1.0), (0.25, 0.25), (1.0, 1.0)])
def test_number_accepts_ints_and_floats(value: Any, expected: float) -> None:
    got = fields(x=value).number("x", lo=0, hi=1)
    assert got == expected
    assert type(got) is float


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "True"), ("0.5", "'0.5'"), (None, None), (1.5, "1.5"), (-0.1, "-0.1")],
)
def test_number_rejections(value: Any, shown: str | None) -> None:
    f = fields(x=value)
    if shown is None:  # null reads as missing
        assert f.number("x", lo=0, hi=1) is None
        return
    with rejects(re.escape(f"parameters.x must be a number from 0 to 1, got {shown}")):
        f.number("x", lo=0, hi=1)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_number_rejects_non_finite(value: float) -> None:
    with rejects(r"parameters\.x must be a number from 0 to 1"):
        fields(x=value).number("x", lo=0, hi=1)


# --- boolean ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_boolean_accepts_booleans(value: bool) -> None:
    assert fields(b=value).boolean("b", default=not value) is value


@pytest.mark.parametrize(("value", "shown"), [(1, "1"), (0, "0"), ("true", "'true'")])
def test_boolean_rejects_others(value: Any, shown: str) -> None:
    with rejects(re.escape(f"parameters.b must be true or false, got {shown}")):
        fields(b=value).boolean("b")


# --- media_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com/a.png",
        "https://example.com/a.png",
        "HTTPS://EXAMPLE.COM/A.PNG",
        "data:image/png;base64,iVBORw0KGgo=",
        "oss://dashscope-instant/abc/a.png",
    ],
)
def test_media_url_accepted_schemes(value: str) -> None:
    assert Fields({"u": value}, "input").media_url("u", required=True) == value


@pytest.mark.parametrize(
    "value",
    [
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "images/a.png",
        "/tmp/a.png",
        "//example.com/a.png",
        "example.com/a.png",
        "httpx://example.com",
        "",
    ],
)
def test_media_url_rejected(value: str) -> None:
    with rejects(
        r"^input\.u must be an http\(s\) URL, a data: URI or an oss:// key from the upload API, "
        r"got " + re.escape(repr(value))
    ):
        Fields({"u": value}, "input").media_url("u")


def test_media_url_required_rejects_blank() -> None:
    with rejects(r"^input\.u must not be empty$"):
        Fields({"u": "  "}, "input").media_url("u", required=True)


def test_media_url_must_be_a_string() -> None:
    with rejects(r"^input\.u must be a string, got 42$"):
        Fields({"u": 42}, "input").media_url("u")


def test_raw_returns_the_value_untouched() -> None:
    value = [[1, 2, 3]]
    assert fields(m=value).raw("m") is value


def test_name_joins_the_path() -> None:
    assert Fields({}, "input").name("prompt") == "input.prompt"
