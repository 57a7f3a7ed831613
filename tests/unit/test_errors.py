"""The exception tree: codes and HTTP statuses agree with the table in the module docstring."""

from __future__ import annotations

import fnmatch
import inspect
import re

import pytest

from wanstack import errors
from wanstack.errors import (
    AccessDenied,
    BadRequest,
    FileDownloadFailed,
    InternalError,
    InvalidApiKey,
    InvalidParameter,
    MediaInvalid,
    MethodNotAllowed,
    ModelNotFound,
    NotFound,
    ServiceError,
    TaskCanceled,
    TaskError,
    Throttled,
    UnsupportedFileFormat,
    UnsupportedOperation,
    WanstackError,
    WorkspaceDenied,
)


def documented_service_errors() -> dict[str, tuple[int, str, str | None]]:
    """``{class name: (status, code pattern, quoted default message or None)}``."""
    table: dict[str, tuple[int, str, str | None]] = {}
    for line in (errors.__doc__ or "").splitlines():
        m = re.search(r"── (\w+)\s+(\d{3}) (.+)$", line)
        if not m:
            continue
        rest = re.sub(r"\s*\(.*\)$", "", m.group(3)).strip()
        quoted = re.search(r'\s*"(.*)"$', rest)
        message = quoted.group(1) if quoted else None
        code = rest[: quoted.start()] if quoted else rest
        table[m.group(1)] = (int(m.group(2)), code.strip(), message)
    return table


def documented_task_errors() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in (errors.__doc__ or "").splitlines():
        m = re.search(r"── (\w+)\s{2,}([A-Za-z][\w.]*)(\s|$)", line)
        if m and not re.search(r"── \w+\s+\d{3} ", line):
            table[m.group(1)] = m.group(2)
    return table


def subclasses(base: type) -> set[type]:
    return {
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, base) and obj is not base and obj.__module__ == errors.__name__
    }


SERVICE_TABLE = documented_service_errors()
TASK_TABLE = documented_task_errors()


def test_the_docstring_table_was_parsed() -> None:
    assert len(SERVICE_TABLE) == 18
    assert SERVICE_TABLE["WorkspaceDenied"] == (401, "NOT AUTHORIZED", None)
    assert SERVICE_TABLE["ModelNotFound"] == (400, "InvalidParameter", "Model not exist.")
    assert set(TASK_TABLE) == {"FileDownloadFailed", "UnsupportedFileFormat", "MediaInvalid"}


def test_every_service_error_is_in_the_table() -> None:
    assert {cls.__name__ for cls in subclasses(ServiceError)} == set(SERVICE_TABLE)


def test_every_task_error_is_in_the_table() -> None:
    assert {cls.__name__ for cls in subclasses(TaskError)} == set(TASK_TABLE)


@pytest.mark.parametrize("name", sorted(SERVICE_TABLE))
def test_service_error_matches_the_table(name: str) -> None:
    status, code, message = SERVICE_TABLE[name]
    cls = getattr(errors, name)
    error = cls()
    assert error.http_status == status
    assert fnmatch.fnmatchcase(error.code, code), (error.code, code)
    if message is not None:
        assert error.message == message
    assert isinstance(error, ServiceError)
    assert isinstance(error, WanstackError)


@pytest.mark.parametrize("name", sorted(TASK_TABLE))
def test_task_error_matches_the_table(name: str) -> None:
    error = getattr(errors, name)()
    assert error.code == TASK_TABLE[name]
    assert isinstance(error, TaskError)
    assert not isinstance(error, ServiceError)
    assert not hasattr(error, "http_status")


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (InvalidParameter, "InvalidParameter", 400),
        (ModelNotFound, "InvalidParameter", 400),
        (BadRequest, "BadRequest.IllegalInput", 400),
        (UnsupportedOperation, "UnsupportedOperation", 400),
        (InvalidApiKey, "InvalidApiKey", 401),
        (WorkspaceDenied, "NOT AUTHORIZED", 401),
        (AccessDenied, "AccessDenied", 403),
        (NotFound, "NotFound", 404),
        (MethodNotAllowed, "MethodNotAllowed", 405),
        (Throttled, "Throttling.RateQuota", 429),
        (InternalError, "InternalError", 500),
    ],
)
def test_service_error_codes(cls: type[ServiceError], code: str, status: int) -> None:
    assert (cls.code, cls.http_status) == (code, status)
    assert cls().message == cls.default_message
    assert str(cls()) == cls.default_message


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (TaskError, "InternalError.Algo"),
        (FileDownloadFailed, "InvalidParameter.FileDownload"),
        (UnsupportedFileFormat, "BadRequest.UnsupportedFileFormat"),
        (MediaInvalid, "InvalidParameter"),
    ],
)
def test_task_error_codes(cls: type[TaskError], code: str) -> None:
    error = cls()
    assert error.code == code
    assert error.message == cls.default_message
    assert str(error) == cls.default_message
    custom = cls("the mask is 10*10")
    assert (custom.code, custom.message, str(custom)) == (
        code,
        "the mask is 10*10",
        "the mask is 10*10",
    )


def test_model_not_found_is_an_invalid_parameter() -> None:
    assert issubclass(ModelNotFound, InvalidParameter)
    assert ModelNotFound().message == "Model not exist."


@pytest.mark.parametrize("cls", [ServiceError, TaskError])
def test_a_code_can_be_overridden_per_instance(cls: type[ServiceError | TaskError]) -> None:
    error = cls("no model", code="BadRequest.EmptyModel")
    assert error.code == "BadRequest.EmptyModel"
    assert error.message == "no model"
    assert cls.code != "BadRequest.EmptyModel"  # the class default is untouched
    assert cls().code == cls.code


def test_bad_request_code_override() -> None:
    error = BadRequest(
        "Required input parameter missing from request.", code="BadRequest.EmptyInput"
    )
    assert (error.code, error.http_status) == ("BadRequest.EmptyInput", 400)


@pytest.mark.parametrize("retry_after", [1, 2, 60])
def test_throttled_carries_retry_after(retry_after: int) -> None:
    error = Throttled(retry_after=retry_after)
    assert error.retry_after == retry_after
    assert (error.code, error.http_status) == ("Throttling.RateQuota", 429)
    assert error.message == "Requests rate limit exceeded, please try again later."


def test_throttled_defaults_to_one_second() -> None:
    assert Throttled().retry_after == 1
    assert Throttled("slow down").message == "slow down"


def test_an_empty_message_falls_back_to_the_default() -> None:
    assert InvalidApiKey("").message == "Invalid API-key provided."
    assert MediaInvalid("").message == MediaInvalid.default_message


def test_internal_errors_keep_dashscopes_wording() -> None:
    assert InternalError().message == (
        "An internal error has occured, please try again later or contact service support."
    )
    assert TaskError().message.startswith("An internal error has occured during execution")


def test_task_canceled_is_neither_a_service_nor_a_task_error() -> None:
    assert issubclass(TaskCanceled, WanstackError)
    assert not issubclass(TaskCanceled, ServiceError | TaskError)


def test_every_error_is_a_wanstack_error() -> None:
    for cls in subclasses(Exception):
        assert issubclass(cls, WanstackError), cls
