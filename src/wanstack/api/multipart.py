"""A streaming ``multipart/form-data`` reader for the upload host.

:class:`FormReader` turns body chunks into events as they arrive: each text field whole
(:class:`Field`), then the file part in pieces (:class:`FileStart`, :class:`FileData`,
:class:`FileEnd`). The caller can check the policy fields the moment the file part begins and
refuse it before a byte of the file is kept. Text fields are small and few (limits below); the
file is never held whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from wanstack.errors import InvalidParameter

#: the largest text field (a policy document is about 400 bytes)
MAX_FIELD_BYTES = 64 * 1024
#: the most parts a form may have (the SDK sends nine)
MAX_PARTS = 32


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FileStart:
    name: str
    filename: str


@dataclass(frozen=True, slots=True)
class FileData:
    data: bytes


@dataclass(frozen=True, slots=True)
class FileEnd:
    pass


Event = Field | FileStart | FileData | FileEnd


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` content type, else ``InvalidParameter``."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidParameter("the upload must be multipart/form-data with a boundary")
    return boundary


class FormReader:
    """Feed body chunks with :meth:`feed`; each call returns the events they completed."""

    def __init__(self, boundary: bytes) -> None:
        self._events: list[Event] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._value = bytearray()
        self._name = ""
        self._is_file = False
        self._parts = 0
        self.finished = False
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }
        try:
            self._parser = MultipartParser(boundary, callbacks)
        except FormParserError as exc:
            raise InvalidParameter(f"the upload's multipart boundary is invalid ({exc})") from exc

    def feed(self, data: bytes) -> list[Event]:
        try:
            self._parser.write(data)
        except FormParserError as exc:
            raise InvalidParameter(f"the upload is not valid multipart/form-data ({exc})") from exc
        events, self._events = self._events, []
        return events

    # -- parser callbacks ----------------------------------------------------------------

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise InvalidParameter(f"the upload form may have at most {MAX_PARTS} fields")
        self._headers = {}
        self._value = bytearray()
        self._is_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._is_file = filename is not None
        if filename is not None:
            self._events.append(FileStart(self._name, filename.decode("utf-8", "replace")))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self._events.append(FileData(bytes(data[start:end])))
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise InvalidParameter(
                f"{self._name or 'a field'}: upload form fields are limited to "
                f"{MAX_FIELD_BYTES // 1024} KiB"
            )

    def _part_end(self) -> None:
        if self._is_file:
            self._events.append(FileEnd())
            return
        try:
            value = self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameter(f"{self._name or 'a field'} must be UTF-8 text") from None
        self._events.append(Field(self._name, value))

    def _end(self) -> None:
        self.finished = True
