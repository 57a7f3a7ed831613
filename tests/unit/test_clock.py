"""Clock helpers: DashScope timestamps (UTC+8), the compact list-filter format, FrozenClock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from wanstack.clock import FrozenClock, SystemClock, format_timestamp, parse_compact_time

JAN_1_2026_UTC = 1_767_225_600_000


def epoch_ms(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (JAN_1_2026_UTC, "2026-01-01 08:00:00.000"),
        (JAN_1_2026_UTC + 1, "2026-01-01 08:00:00.001"),
        (JAN_1_2026_UTC + 42, "2026-01-01 08:00:00.042"),
        (JAN_1_2026_UTC + 999, "2026-01-01 08:00:00.999"),
        (JAN_1_2026_UTC + 1_000, "2026-01-01 08:00:01.000"),
        (epoch_ms(2025, 12, 31, 16, 0, 0), "2026-01-01 00:00:00.000"),  # the date rolls over
        (epoch_ms(2025, 12, 31, 15, 59, 59) + 999, "2025-12-31 23:59:59.999"),
        (0, "1970-01-01 08:00:00.000"),
        (epoch_ms(2024, 2, 28, 20, 30, 5) + 70, "2024-02-29 04:30:05.070"),
    ],
)
def test_format_timestamp(ms: int, text: str) -> None:
    assert format_timestamp(ms) == text


def test_format_timestamp_of_none_is_none() -> None:
    assert format_timestamp(None) is None


def test_format_timestamp_never_rounds_up_a_second() -> None:
    for offset in range(0, 86_400_000, 86_400_000 // 997 + 1):
        ms = JAN_1_2026_UTC + offset * 1_000 + 999
        assert format_timestamp(ms).endswith(".999")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("20260101080000", JAN_1_2026_UTC),
        ("20260101000000", JAN_1_2026_UTC - 8 * 3_600_000),
        ("20240229235959", epoch_ms(2024, 2, 29, 15, 59, 59)),
    ],
)
def test_parse_compact_time_is_beijing_time(text: str, ms: int) -> None:
    assert parse_compact_time(text) == ms


@pytest.mark.parametrize(
    "ms",
    [JAN_1_2026_UTC, 0, epoch_ms(2024, 2, 29, 15, 59, 59), epoch_ms(2030, 6, 15, 23, 1, 2)],
)
def test_parse_compact_time_round_trips_with_format_timestamp(ms: int) -> None:
    shown = format_timestamp(ms)
    assert shown is not None
    compact = shown[:19].replace("-", "").replace(" ", "").replace(":", "")
    assert len(compact) == 14
    assert parse_compact_time(compact) == ms - ms % 1000


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-01-01 08:00:00",
        "202601010800000",  # 15 digits
        "20261301080000",  # month 13
        "20260230080000",  # 30 February
        "20260101250000",  # hour 25
        "20260101086000",  # minute 60
        "2026010108000x",
        "abcdefghijklmn",
        "20260101",
    ],
)
def test_parse_compact_time_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the contract is a plain ValueError
        parse_compact_time(text)


@pytest.mark.parametrize("text", ["2026010108000", "202611800", "2026118000"])
def test_parse_compact_time_requires_exactly_14_digits(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_compact_time(text)


# --- clocks -----------------------------------------------------------------------------------


def test_frozen_clock_starts_at_2026_by_default() -> None:
    assert FrozenClock().now_ms() == JAN_1_2026_UTC
    assert FrozenClock(5).now_ms() == 5


@pytest.mark.parametrize(
    ("steps", "moved_ms"),
    [
        ([1], 1_000),
        ([0.001], 1),
        ([0.5, 0.25], 750),
        ([30, -10], 20_000),
        ([3600 * 24], 86_400_000),
    ],
)
def test_frozen_clock_advance(steps: list[float], moved_ms: int) -> None:
    clock = FrozenClock(1_000)
    for step in steps:
        clock.advance(step)
    assert clock.now_ms() == 1_000 + moved_ms


def test_frozen_clock_only_moves_when_told() -> None:
    clock = FrozenClock()
    assert clock.now_ms() == clock.now_ms()


def test_system_clock_is_epoch_ms() -> None:
    before = time.time_ns() // 1_000_000
    now = SystemClock().now_ms()
    after = time.time_ns() // 1_000_000
    assert before <= now <= after
    assert type(now) is int
