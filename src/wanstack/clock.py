"""Time, from one place.

Every time-dependent rule (lease expiry, retention, signed-URL expiry, rate windows) takes ``now``
from a :class:`Clock`, so tests move time forward instead of sleeping. Times inside wanstack are
integer milliseconds since the Unix epoch (UTC), which both SQLite and PostgreSQL store exactly and
which the task list endpoint returns as is.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Source of the current time in epoch milliseconds."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FrozenClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01 00:00:00 UTC
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += round(seconds * 1000)


def format_timestamp(ms: int | None) -> str | None:
    """DashScope's ``YYYY-MM-DD HH:mm:ss.SSS`` (Beijing time, UTC+8, as the real service shows)."""
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000 + 8 * 3600, tz=UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def parse_compact_time(value: str) -> int:
    """Parse the list filter format ``YYYYMMDDhhmmss`` (Beijing time) into epoch ms.

    Raises ``ValueError`` when the text is not in that format.
    """
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        raise ValueError(f"not YYYYMMDDhhmmss: {value!r}")
    dt = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000) - 8 * 3600 * 1000
