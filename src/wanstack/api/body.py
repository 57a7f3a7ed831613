"""Request bodies: counted as they arrive, and JSON bounded before any object is built.

A declared ``Content-Length`` is only a claim: chunked bodies have none, so :func:`read_limited`
counts the bytes themselves and stops at the limit. A body within the byte limit can still
expand enormously when parsed (30 MB of ``[{},{},…]`` is ten million dicts, about 800 MB), so
:func:`parse_json` first scans the raw bytes for the JSON structure — strings skipped in one
regular-expression step, brackets and commas counted — and refuses deep or huge documents before
``json.loads`` builds anything. Large bodies are parsed on a worker thread, never on the event
loop. Parsed text must be valid Unicode: a lone surrogate (``"\\ud800"``) is refused here, by
field path, instead of failing later wherever the text is encoded.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.requests import Request

from wanstack.errors import BadRequest, InvalidParameter, PayloadTooLarge
from wanstack.text import encodable

#: deepest nesting of arrays and objects a request may use (the deepest DashScope body is 5)
MAX_DEPTH = 32
#: most arrays, objects and list/object items a request may hold in all
MAX_VALUES = 20_000
#: bodies at least this large are parsed on a worker thread
THREAD_PARSE_BYTES = 256 * 1024

# A JSON string (escapes included, found by the unrolled-loop idiom, which runs in C without
# backtracking), or one structural character.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")


async def read_limited(request: Request, limit: int) -> bytearray:
    """The whole body, refused with ``BadRequest.TooLarge`` as soon as it passes ``limit``
    bytes (declared or not): memory never holds more than ``limit`` bytes of it."""
    if declared_length(request) > limit:
        raise PayloadTooLarge()
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise PayloadTooLarge()
        body += chunk
    return body


def declared_length(request: Request) -> int:
    """The ``Content-Length`` the client declared, or 0 (an absurd one counts as huge)."""
    declared = request.headers.get("content-length", "")
    if not declared:
        return 0
    if not (declared.isascii() and declared.isdigit()) or len(declared) > 15:
        return 1 << 62
    return int(declared)


def check_structure(data: bytes | bytearray) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` or holding more than
    :data:`MAX_VALUES` containers and items, by scanning the bytes (nothing is built)."""
    # Fast path (every ordinary request): counting the structural bytes anywhere, strings
    # included, bounds both figures from above; only a body that might break a limit is scanned.
    openers = data.count(b"[") + data.count(b"{")
    if openers <= MAX_DEPTH and openers + data.count(b",") <= MAX_VALUES:
        return
    depth = 0
    values = 0
    for match in _TOKEN.finditer(data):
        char = data[match.start()]
        if char == 0x22:  # a string: skipped whole
            continue
        if char in _OPEN:
            depth += 1
            values += 1
            if depth > MAX_DEPTH:
                raise BadRequest(f"The JSON body is nested deeper than {MAX_DEPTH} levels.")
        elif char in _CLOSE:
            depth -= 1
        else:
            values += 1
        if values > MAX_VALUES:
            raise BadRequest(
                f"The JSON body holds more than {MAX_VALUES} values (arrays, objects and "
                "their items)."
            )


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")  # NaN / Infinity: Python accepts, JSON does not


def _decode(data: bytes | bytearray) -> Any:
    check_structure(data)
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest() from None
    # Raw UTF-8 cannot carry a surrogate (the decoder refuses it): only a \uD8xx-\uDFxx
    # escape can make one, so bodies without such an escape need no walk.
    if b"\\ud" in data or b"\\uD" in data:
        check_text(value)
    return value


async def parse_json(data: bytes | bytearray) -> Any:
    """``data`` as JSON under the structure limits; ``BadRequest`` when it is not JSON."""
    if len(data) >= THREAD_PARSE_BYTES:
        return await asyncio.to_thread(_decode, data)
    return _decode(data)


def check_text(value: Any, path: str = "") -> None:
    """Refuse strings (values and keys) that are not valid Unicode, naming the field."""
    if isinstance(value, str):
        if not value.isascii() and not encodable(value):
            raise InvalidParameter(
                f"{path or 'the body'} must be valid Unicode text (no lone surrogates)"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not key.isascii() and not encodable(key):
                raise InvalidParameter(
                    f"{path or 'the body'} has a key that is not valid Unicode text "
                    "(no lone surrogates)"
                )
            check_text(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_text(item, f"{path}[{i}]")
