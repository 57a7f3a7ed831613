"""Reading request objects with precise, DashScope-shaped errors.

Every message names the field by its full path (``parameters.n``) and the rule it broke, and shows
the value received, e.g. ``parameters.n must be an integer from 1 to 4, got 7``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from wanstack.errors import InvalidParameter
from wanstack.text import encodable

_MISSING = object()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Fields:
    """A view of one JSON object (``input`` or ``parameters``) that validates as it reads."""

    def __init__(self, data: Any, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidParameter(f"{path} must be a JSON object, got {_show(data)}")
        self.data: dict[str, Any] = data
        self.path = path

    def name(self, key: str) -> str:
        return f"{self.path}.{key}"

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise InvalidParameter(f"{self.name(key)} is required")
            return _MISSING
        return value

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        default: str | None = None,
        choices: Collection[str] | None = None,
        max_chars: int | None = None,
        truncate_at: int | None = None,
        non_empty: bool = False,
    ) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise InvalidParameter(f"{self.name(key)} must be a string, got {_show(value)}")
        if not encodable(value):
            raise InvalidParameter(
                f"{self.name(key)} must be valid Unicode text (no lone surrogates)"
            )
        if non_empty and not value.strip():
            raise InvalidParameter(f"{self.name(key)} must not be empty")
        if choices is not None and value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise InvalidParameter(f"{self.name(key)} must be one of {allowed}, got {_show(value)}")
        if max_chars is not None and len(value) > max_chars:
            raise InvalidParameter(
                f"{self.name(key)} must be at most {max_chars} characters, got {len(value)}"
            )
        if truncate_at is not None:
            value = value[:truncate_at]
        return value

    def integer(
        self, key: str, *, lo: int, hi: int, default: int | None = None, required: bool = False
    ) -> int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        # JSON has one number type: accept 2.0 for 2, refuse true/false and 2.5.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
        ):
            raise InvalidParameter(
                f"{self.name(key)} must be an integer from {lo} to {hi}, got {_show(value)}"
            )
        number = int(value)
        if not lo <= number <= hi:
            raise InvalidParameter(
                f"{self.name(key)} must be an integer from {lo} to {hi}, got {number}"
            )
        return number

    def number(
        self, key: str, *, lo: float, hi: float, default: float | None = None
    ) -> float | None:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidParameter(
                f"{self.name(key)} must be a number from {lo} to {hi}, got {_show(value)}"
            )
        if not lo <= value <= hi:
            raise InvalidParameter(
                f"{self.name(key)} must be a number from {lo} to {hi}, got {value}"
            )
        return float(value)

    def boolean(self, key: str, *, default: bool | None = None) -> bool | None:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise InvalidParameter(f"{self.name(key)} must be true or false, got {_show(value)}")
        return value

    def media_url(self, key: str, *, required: bool = False) -> str | None:
        """A media reference: ``http(s)://`` URL, ``data:`` URI or ``oss://`` upload key."""
        value = self.string(key, required=required, non_empty=required)
        if value is None:
            return None
        lowered = value[:8].lower()
        if not lowered.startswith(("http://", "https://", "data:", "oss://")):
            raise InvalidParameter(
                f"{self.name(key)} must be an http(s) URL, a data: URI or an oss:// key from the "
                f"upload API, got {_show(value)}"
            )
        return value

    def raw(self, key: str) -> Any:
        value = self.data.get(key)
        return value
