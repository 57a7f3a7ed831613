"""DashScope wire shapes: task bodies per status, list items, submit and error envelopes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from wanstack.api import protocol
from wanstack.domain import Task, TaskStatus

SUBMITTED = 1_767_225_600_000  # 2026-01-01 00:00:00.000 UTC
SCHEDULED = SUBMITTED + 1_234  # 00:00:01.234
FINISHED = SUBMITTED + 65_007  # 00:01:05.007
EXPIRES = SUBMITTED + 86_400_000
ENGINE = {"engine": "classic", "algorithm": "telea"}
REQUEST_ID = "req-2"


class UrlFor:
    """A url_for callback that records what it signed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, key: str, expires_ms: int) -> str:
        self.calls.append((key, expires_ms))
        return f"http://testserver/files/{key}?Expires={expires_ms // 1000}&Signature=sig"


def make_task(status: TaskStatus, **fields: Any) -> Task:
    task = Task(
        id="8f2f0c1e-task",
        account_id="acct-1",
        api_key_id="key-1",
        workspace=None,
        model="wanx-x-painting",
        request_id="req-1",
        status=status,
        input={"prompt": "p", "base_image_url": "u", "mask_image_url": "m"},
        parameters={"style": "<auto>", "size": "1024*1024", "n": 3, "seed": 1, "mask_color": []},
        submitted_at=SUBMITTED,
        expires_at=EXPIRES,
    )
    return dataclasses.replace(task, **fields)


PARTIAL_OUTPUT = {
    "results": [
        {"key": "results/8f2f0c1e-task/1/a.png"},
        {"code": "InternalError.Timeout", "message": "timed out"},
        {"key": "results/8f2f0c1e-task/1/b.png"},
    ],
    "task_metrics": {"TOTAL": 3, "SUCCEEDED": 2, "FAILED": 1},
}


def url(key: str) -> str:
    return f"http://testserver/files/{key}?Expires={EXPIRES // 1000}&Signature=sig"


CASES = {
    "pending": (
        make_task(TaskStatus.PENDING),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "PENDING",
            "submit_time": "2026-01-01 08:00:00.000",
        },
        None,
    ),
    "running": (
        make_task(TaskStatus.RUNNING, scheduled_at=SCHEDULED, attempts=1, engine=None),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "RUNNING",
            "submit_time": "2026-01-01 08:00:00.000",
            "scheduled_time": "2026-01-01 08:00:01.234",
            "task_metrics": {"TOTAL": 3, "SUCCEEDED": 0, "FAILED": 0},
        },
        None,
    ),
    "succeeded-partial": (
        make_task(
            TaskStatus.SUCCEEDED,
            scheduled_at=SCHEDULED,
            finished_at=FINISHED,
            output=PARTIAL_OUTPUT,
            usage={"image_count": 2},
            engine=ENGINE,
        ),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "SUCCEEDED",
            "submit_time": "2026-01-01 08:00:00.000",
            "scheduled_time": "2026-01-01 08:00:01.234",
            "end_time": "2026-01-01 08:01:05.007",
            "results": [
                {"url": url("results/8f2f0c1e-task/1/a.png")},
                {"code": "InternalError.Timeout", "message": "timed out"},
                {"url": url("results/8f2f0c1e-task/1/b.png")},
            ],
            "task_metrics": {"TOTAL": 3, "SUCCEEDED": 2, "FAILED": 1},
            "engine": ENGINE,
        },
        {"image_count": 2},
    ),
    "failed": (
        make_task(
            TaskStatus.FAILED,
            scheduled_at=SCHEDULED,
            finished_at=FINISHED,
            output={"task_metrics": {"TOTAL": 3, "SUCCEEDED": 0, "FAILED": 3}},
            code="InvalidParameter",
            message="The size is not match the allowed size",
        ),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "FAILED",
            "submit_time": "2026-01-01 08:00:00.000",
            "scheduled_time": "2026-01-01 08:00:01.234",
            "end_time": "2026-01-01 08:01:05.007",
            "task_metrics": {"TOTAL": 3, "SUCCEEDED": 0, "FAILED": 3},
            "code": "InvalidParameter",
            "message": "The size is not match the allowed size",
        },
        None,
    ),
    "canceled-while-pending": (
        make_task(TaskStatus.CANCELED, finished_at=FINISHED),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "CANCELED",
            "submit_time": "2026-01-01 08:00:00.000",
            "end_time": "2026-01-01 08:01:05.007",
        },
        None,
    ),
    "canceled-while-running": (
        make_task(TaskStatus.CANCELED, scheduled_at=SCHEDULED, finished_at=FINISHED),
        {
            "task_id": "8f2f0c1e-task",
            "task_status": "CANCELED",
            "submit_time": "2026-01-01 08:00:00.000",
            "scheduled_time": "2026-01-01 08:00:01.234",
            "end_time": "2026-01-01 08:01:05.007",
        },
        None,
    ),
}


@pytest.mark.parametrize(("task", "output", "usage"), CASES.values(), ids=CASES.keys())
def test_task_body(task: Task, output: dict[str, Any], usage: dict[str, Any] | None) -> None:
    body = protocol.task_body(task, REQUEST_ID, UrlFor())
    assert set(body) == ({"request_id", "output", "usage"} if usage else {"request_id", "output"})
    assert body["request_id"] == REQUEST_ID
    assert set(body["output"]) == set(output)
    assert body["output"] == output
    assert body.get("usage") == usage


@pytest.mark.parametrize("task", [c[0] for c in CASES.values()], ids=CASES.keys())
def test_task_status_and_id_are_always_present(task: Task) -> None:
    output = protocol.task_body(task, REQUEST_ID, UrlFor())["output"]
    assert output["task_status"] == task.status.value
    assert output["task_id"] == task.id
    assert list(output)[:2] == ["task_id", "task_status"]


@pytest.mark.parametrize("n", [1, 2, 4])
def test_running_metrics_total_is_n(n: int) -> None:
    task = make_task(TaskStatus.RUNNING, parameters={"n": n}, scheduled_at=SCHEDULED)
    metrics = protocol.task_body(task, REQUEST_ID, UrlFor())["output"]["task_metrics"]
    assert metrics == {"TOTAL": n, "SUCCEEDED": 0, "FAILED": 0}


def test_running_without_n_counts_one() -> None:
    task = make_task(TaskStatus.RUNNING, parameters={}, scheduled_at=SCHEDULED)
    metrics = protocol.task_body(task, REQUEST_ID, UrlFor())["output"]["task_metrics"]
    assert metrics["TOTAL"] == 1


def test_results_are_signed_per_request_until_the_task_expires() -> None:
    url_for = UrlFor()
    task = CASES["succeeded-partial"][0]
    protocol.task_body(task, REQUEST_ID, url_for)
    assert url_for.calls == [
        ("results/8f2f0c1e-task/1/a.png", EXPIRES),
        ("results/8f2f0c1e-task/1/b.png", EXPIRES),
    ]


def test_stored_results_are_not_mutated() -> None:
    task = CASES["succeeded-partial"][0]
    before = json.dumps(task.output)
    body = protocol.task_body(task, REQUEST_ID, UrlFor())
    body["output"]["results"][1]["code"] = "changed"
    assert json.dumps(task.output) == before


def test_a_failed_task_without_a_message_shows_an_empty_one() -> None:
    task = make_task(TaskStatus.FAILED, finished_at=FINISHED, code="InternalError")
    output = protocol.task_body(task, REQUEST_ID, UrlFor())["output"]
    assert (output["code"], output["message"]) == ("InternalError", "")


def test_end_time_only_for_final_tasks() -> None:
    # A RUNNING task never shows end_time, even if a stale value is stored.
    task = make_task(TaskStatus.RUNNING, scheduled_at=SCHEDULED, finished_at=FINISHED)
    assert "end_time" not in protocol.task_body(task, REQUEST_ID, UrlFor())["output"]


def test_the_engine_extension_only_when_set() -> None:
    with_engine = make_task(TaskStatus.PENDING, engine={"engine": "fake"})
    assert protocol.task_body(with_engine, REQUEST_ID, UrlFor())["output"]["engine"] == {
        "engine": "fake"
    }
    without = make_task(TaskStatus.PENDING)
    assert "engine" not in protocol.task_body(without, REQUEST_ID, UrlFor())["output"]


def test_usage_only_when_stored() -> None:
    succeeded = make_task(TaskStatus.SUCCEEDED, finished_at=FINISHED, output=PARTIAL_OUTPUT)
    assert "usage" not in protocol.task_body(succeeded, REQUEST_ID, UrlFor())
    with_usage = dataclasses.replace(succeeded, usage={"image_count": 2})
    assert protocol.task_body(with_usage, REQUEST_ID, UrlFor())["usage"] == {"image_count": 2}


def test_the_body_serialises_as_compact_utf8_json() -> None:
    task = make_task(TaskStatus.FAILED, finished_at=FINISHED, code="X", message="画")
    body = protocol.task_body(task, REQUEST_ID, UrlFor())
    raw = bytes(protocol.JSONBytes(body).body)
    assert json.loads(raw) == body
    assert "画".encode() in raw
    assert b", " not in raw
    assert b'": ' not in raw


# --- list items -------------------------------------------------------------------------------

LIST_KEYS = {
    "api_key_id",
    "caller_parent_id",
    "caller_uid",
    "gmt_create",
    "model_name",
    "region",
    "request_id",
    "status",
    "task_id",
    "user_api_unique_key",
}


def test_list_item_of_a_pending_task() -> None:
    item = protocol.list_item(make_task(TaskStatus.PENDING))
    assert set(item) == LIST_KEYS
    assert item == {
        "api_key_id": "key-1",
        "caller_parent_id": "acct-1",
        "caller_uid": "acct-1",
        "gmt_create": SUBMITTED,
        "model_name": "wanx-x-painting",
        "region": "local",
        "request_id": "req-1",
        "status": "PENDING",
        "task_id": "8f2f0c1e-task",
        "user_api_unique_key": "apikey:v1:wanx-x-painting:key-1",
    }


def test_list_item_of_a_finished_task_in_a_workspace() -> None:
    task = make_task(
        TaskStatus.SUCCEEDED,
        scheduled_at=SCHEDULED,
        finished_at=FINISHED,
        workspace="ws-7",
        output=PARTIAL_OUTPUT,
    )
    item = protocol.list_item(task)
    assert set(item) == LIST_KEYS | {"start_time", "end_time", "workspace_id"}
    assert (item["start_time"], item["end_time"], item["workspace_id"]) == (
        SCHEDULED,
        FINISHED,
        "ws-7",
    )
    assert item["status"] == "SUCCEEDED"
    assert "task_status" not in item
    assert "results" not in item


@pytest.mark.parametrize("status", list(TaskStatus)[:5])
def test_list_item_times_are_epoch_ms_ints(status: TaskStatus) -> None:
    item = protocol.list_item(
        make_task(status, scheduled_at=SCHEDULED, finished_at=FINISHED, workspace=None)
    )
    for key in ("gmt_create", "start_time", "end_time"):
        assert type(item[key]) is int
    assert item["status"] == status.value
    assert "workspace_id" not in item


# --- submit, unknown, errors ------------------------------------------------------------------


def test_submitted() -> None:
    body = protocol.submitted(make_task(TaskStatus.PENDING), "req-9")
    assert body == {
        "output": {"task_status": "PENDING", "task_id": "8f2f0c1e-task"},
        "request_id": "req-9",
    }


def test_unknown_task() -> None:
    assert protocol.unknown_task("nope", "req-3") == {
        "request_id": "req-3",
        "output": {"task_id": "nope", "task_status": "UNKNOWN"},
    }


def test_error_body() -> None:
    body = protocol.error_body("InvalidApiKey", "Invalid API-key provided.", "req-4")
    assert body == {
        "request_id": "req-4",
        "code": "InvalidApiKey",
        "message": "Invalid API-key provided.",
    }
    assert list(body) == ["request_id", "code", "message"]
