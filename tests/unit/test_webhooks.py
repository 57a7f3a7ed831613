"""Webhooks without I/O: signatures (checked with the reference Standard Webhooks library), the
retry schedule over a day on a frozen clock, the URL rules, the address check, the event body."""

from __future__ import annotations

import base64
import itertools
import random
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from wanstack.domain import Task, TaskStatus
from wanstack.errors import InvalidParameter
from wanstack.fetch import FetchError, UnsafeURL
from wanstack.testing import FrozenClock
from wanstack.webhooks.schedule import DEFAULT_DELAYS, RetrySchedule
from wanstack.webhooks.service import EVENT_TYPE, event_body, message_id
from wanstack.webhooks.signing import new_secret, signature, signed_headers
from wanstack.webhooks.target import MAX_URL_CHARS, check_url, resolve

DAY_S = 24 * 3600


# --- signatures ------------------------------------------------------------------------------


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[6:], validate=True)) == 32


def test_the_reference_library_verifies_our_signature_and_nothing_else() -> None:
    secret = new_secret()
    body = '{"data":{"prompt":"一只猫 🐱"}}'.encode()
    now = int(time.time())
    headers = signed_headers(secret, "msg_abc", now, body)
    assert headers["webhook-signature"].startswith("v1,")
    hook = standardwebhooks.Webhook(secret)
    assert hook.verify(body, headers) == {"data": {"prompt": "一只猫 🐱"}}
    # the same signature as the library computes itself
    expected = hook.sign("msg_abc", datetime.fromtimestamp(now, tz=UTC), body)
    assert headers["webhook-signature"] == expected
    for tampered in (
        {**headers, "webhook-id": "msg_abd"},
        {**headers, "webhook-timestamp": str(now + 1)},
    ):
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            hook.verify(body, tampered)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        hook.verify(body + b" ", headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_secret()).verify(body, headers)


def test_a_malformed_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        signature("sk-123", "msg", 1, b"")
    with pytest.raises(ValueError, match="base64"):
        signature("whsec_!!!", "msg", 1, b"")


# --- the retry schedule ----------------------------------------------------------------------


class Lowest(random.Random):
    """Jitter always at its lowest: the shortest the schedule can ever be."""

    def uniform(self, a: float, b: float) -> float:
        return min(a, b)


def walk(schedule: RetrySchedule, rng: random.Random) -> tuple[list[int], FrozenClock]:
    """Attempt times of a delivery that always fails, on a frozen clock."""
    clock = FrozenClock()
    times = [clock.now_ms()]
    while (delay := schedule.next_delay_ms(len(times), rng)) is not None:
        clock.advance(delay / 1000)
        times.append(clock.now_ms())
    return times, clock


def test_the_default_schedule_retries_for_more_than_a_day_even_at_the_lowest_jitter() -> None:
    schedule = RetrySchedule()
    times, _ = walk(schedule, Lowest())
    assert len(times) == schedule.attempts == 15
    span_s = (times[-1] - times[0]) / 1000
    assert span_s >= DAY_S, span_s / 3600
    assert span_s == pytest.approx(schedule.shortest_span_s())
    waits = [(b - a) / 1000 for a, b in itertools.pairwise(times)]
    # exponential at first (5 s, 30 s, 2 min, 10 min, 30 min, 1 h), then every 2 to 4 hours
    assert waits[:6] == pytest.approx([d * 0.9 for d in (5, 30, 120, 600, 1800, 3600)])
    assert all(waits[i] < waits[i + 1] for i in range(7))
    assert all(2 * 3600 * 0.9 <= w <= 4 * 3600 for w in waits[6:])


def test_jitter_spreads_retries_within_ten_percent() -> None:
    schedule = RetrySchedule()
    rng = random.Random(7)
    for attempt, base in enumerate(DEFAULT_DELAYS, start=1):
        delays = {schedule.next_delay_ms(attempt, rng) for _ in range(20)}
        assert len(delays) > 1  # not all the same second
        assert all(d is not None and 0.9 * base * 1000 <= d <= 1.1 * base * 1000 for d in delays)
    times, _ = walk(schedule, random.Random(3))
    assert (times[-1] - times[0]) / 1000 >= DAY_S


def test_a_shortened_schedule_for_tests_and_its_rules() -> None:
    short = RetrySchedule((1.0, 2.0), jitter=0.0)
    times, _ = walk(short, random.Random(1))
    assert [t - times[0] for t in times] == [0, 1000, 3000]
    with pytest.raises(ValueError, match="one or more waits"):
        RetrySchedule(())
    with pytest.raises(ValueError, match="each over 0 seconds"):
        RetrySchedule((1.0, 0.0))
    with pytest.raises(ValueError, match="at least 1"):
        short.next_delay_ms(0, random.Random())


# --- URL rules and the address check ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/wanstack",
        "http://10.0.0.5:8080/in?token=abc",
        "https://[2001:db8::1]/x",
    ],
)
def test_urls_that_may_be_registered(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        (None, "non-empty string"),
        ("", "non-empty string"),
        (42, "non-empty string"),
        ("ftp://example.com/x", "http or https"),
        ("example.com/hook", "http or https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://example.com/#frag", "fragment"),
        ("https://example.com:99999/", "Port out of range"),
        ("https://256.0.0.1/", "not a valid one"),
        ("https://exa mple.com/", "printable ASCII"),
        ("https://例え.jp/", "printable ASCII"),
        ("https://example.com/\x00", "printable ASCII"),
        ("https://example.com/" + "a" * MAX_URL_CHARS, f"at most {MAX_URL_CHARS}"),
    ],
)
def test_urls_refused_with_a_message_naming_the_field(url: object, rule: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        check_url(url)
    assert caught.value.message.startswith("url")
    assert rule in caught.value.message


def resolver(answers: list[str]):  # type: ignore[no-untyped-def]
    async def resolve_name(host: str, port: int) -> list[str]:
        return answers

    return resolve_name


async def test_private_and_loopback_addresses_are_refused_unless_allowed() -> None:
    for url, answers in (
        ("http://127.0.0.1:9/x", []),
        ("http://[::ffff:10.0.0.1]/x", []),
        ("http://hooks.internal/x", ["93.184.216.34", "169.254.169.254"]),
        ("http://hooks.internal/x", ["192.168.1.4"]),
    ):
        with pytest.raises(UnsafeURL) as caught:
            await resolve(url, allow_private=False, resolver=resolver(answers))
        assert "does not send to" in caught.value.reason
        assert "169.254" not in caught.value.reason and "192.168" not in caught.value.reason
        allowed = await resolve(url, allow_private=True, resolver=resolver(answers))
        assert allowed.urls


async def test_the_request_goes_to_the_checked_address_under_its_name() -> None:
    target = await resolve(
        "https://hooks.example.com:8443/in?a=1",
        allow_private=False,
        resolver=resolver(["93.184.216.34", "2606:2800:220:1::1"]),
    )
    assert target.urls == [
        "https://93.184.216.34:8443/in?a=1",
        "https://[2606:2800:220:1::1]:8443/in?a=1",
    ]
    assert target.host_header == "hooks.example.com:8443"
    assert target.name == "hooks.example.com"


async def test_a_name_that_does_not_resolve_is_an_error() -> None:
    async def fails(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(FetchError, match="could not be resolved"):
        await resolve("https://nowhere.invalid/", allow_private=True, resolver=fails)


# --- the event body --------------------------------------------------------------------------


def test_the_event_is_dashscopes_eventbridge_envelope_around_the_task_query() -> None:
    task = Task(
        id="0b5a2e4c-1111-4222-8333-444455556666",
        account_id="acct",
        api_key_id="key-1",
        workspace=None,
        model="wanx-x-painting",
        request_id="req-1",
        status=TaskStatus.SUCCEEDED,
        input={},
        parameters={},
        submitted_at=1_767_225_600_000,
        scheduled_at=1_767_225_601_000,
        finished_at=1_767_225_609_123,
        expires_at=1_767_312_000_000,
    )
    wire = {
        "request_id": "req-1",
        "output": {"task_id": task.id, "task_status": "SUCCEEDED", "results": [{"url": "u"}]},
        "usage": {"image_count": 1},
    }
    event = event_body(task, wire, created_at=1_767_225_609_200)
    assert event["specversion"] == "1.0"
    assert event["source"] == "acs.dashscope"
    assert event["type"] == EVENT_TYPE == "dashscope:System:AsyncTaskFinish"
    assert event["id"] == message_id(task.id)
    assert event["time"] == "2026-01-01T00:00:09.123Z"
    data = event["data"]
    assert data["task_id"] == task.id and data["task_status"] == "SUCCEEDED"
    assert data["start_time"] == "2026-01-01 08:00:01"  # Beijing time, as DashScope writes it
    assert data["end_time"] == "2026-01-01 08:00:09"
    assert data["user_api_unique_key"].endswith(":wanx-x-painting")
    assert data["api_key_id"] == "key-1" and data["contain_result"] is True
    # and the task exactly as GET /tasks/{id} answers it
    assert {k: data[k] for k in wire} == wire
