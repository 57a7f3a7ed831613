"""DashScope wire shapes, in the vendor's field order (contract §5, seeds 001/003).

Only this module knows the envelope's ``task_status``, ``submit_time`` and friends. What a task
produced is stored by its model's spec in DashScope's own field names (``results``,
``video_url``, ``choices``, ``text_results``, ``task_metrics``, …, see
:mod:`wanstack.catalog.base`), with storage keys where files are: this module signs them per
request, so URLs are absolute for whatever host the client used, and knows no model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from wanstack.catalog import SYNC_FIELDS, running_output
from wanstack.clock import format_timestamp
from wanstack.domain import Task, TaskStatus, TaskSummary

#: Turns a storage key into an absolute signed URL valid until the given epoch ms.
UrlFor = Callable[[str, int], str]


class JSONBytes(Response):
    """A JSON response without re-validation (the shapes are built here, by hand)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "code": code, "message": message}


def submitted(task: Task, request_id: str) -> dict[str, Any]:
    return {
        "output": {"task_status": task.status.value, "task_id": task.id},
        "request_id": request_id,
    }


def unknown_task(task_id: str, request_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}}


def task_body(task: Task, request_id: str, url_for: UrlFor) -> dict[str, Any]:
    """``GET /tasks/{id}``: status, times, results (signed URLs), metrics, usage."""
    output: dict[str, Any] = {"task_id": task.id, "task_status": task.status.value}
    output["submit_time"] = format_timestamp(task.submitted_at)
    if task.scheduled_at is not None:
        output["scheduled_time"] = format_timestamp(task.scheduled_at)
    if task.status.is_final and task.finished_at is not None:
        output["end_time"] = format_timestamp(task.finished_at)
    if task.status is TaskStatus.PENDING and task.queue_position is not None:
        output["queue_position"] = task.queue_position  # wanstack extension
    if task.status is TaskStatus.RUNNING:
        output.update(running_output(task.model, task.parameters))
        if task.progress is not None:  # wanstack extension: 0–100, from the worker's heartbeat
            output["progress"] = task.progress
    stored = {k: v for k, v in (task.output or {}).items() if k != SYNC_FIELDS}
    output.update(signed(stored, task.expires_at, url_for))
    if task.code:
        output["code"] = task.code
        output["message"] = task.message or ""
    if task.engine:
        output["engine"] = task.engine  # wanstack extension: what produced the output
    body: dict[str, Any] = {"request_id": request_id, "output": output}
    if task.usage is not None:
        body["usage"] = task.usage
    return body


def signed(value: Any, expires_at: int, url_for: UrlFor) -> Any:
    """A stored output with its file references signed: ``{"key": k}`` (an item shaped
    ``{"url": …}``), ``{…, "$key": k}`` (an item with fields beside its ``url``) and
    ``{"$file": k}`` (a URL field such as ``video_url``)."""
    if isinstance(value, dict):
        if "$key" in value:  # an image item with fields beside its url, in their order
            return {
                ("url" if k == "$key" else k): (url_for(v, expires_at) if k == "$key" else v)
                for k, v in value.items()
            }
        if len(value) == 1:
            if "key" in value:
                return {"url": url_for(value["key"], expires_at)}
            if "$file" in value:
                return url_for(value["$file"], expires_at)
        return {k: signed(v, expires_at, url_for) for k, v in value.items()}
    if isinstance(value, list):
        return [signed(v, expires_at, url_for) for v in value]
    return value


def generation_body(task: Task, request_id: str, url_for: UrlFor) -> dict[str, Any]:
    """The sync answer of ``multimodal-generation/generation`` (contract §5.5) for a
    SUCCEEDED wan2.6-image task."""
    stored = task.output or {}
    output: dict[str, Any] = {
        "choices": signed(stored.get("choices", []), task.expires_at, url_for)
    }
    # a model whose sync answer has other fields beside choices stores them (qwen-image's
    # task_metric, none for qwen-image-2.0); wan2.6's say "finished"
    output.update(stored.get(SYNC_FIELDS, {"finished": True}))
    return {"output": output, "usage": task.usage or {}, "request_id": request_id}


def partial_generation_body(task: Task, request_id: str, url_for: UrlFor) -> dict[str, Any]:
    """The sync answer as far as a RUNNING task has made it (its ``partial`` output)."""
    partial = task.partial or {}
    stored = partial.get("output") or {}
    return {
        "output": {
            "choices": signed(stored.get("choices", []), task.expires_at, url_for),
            "finished": False,
        },
        "usage": partial.get("usage") or {},
        "request_id": request_id,
    }


def generation_chunks(body: dict[str, Any], *, final: bool = True) -> list[dict[str, Any]]:
    """A sync answer cut into SSE chunks: one per image (with the text before it), each
    carrying only its own content; every chunk but the last says ``finish_reason: "null"`` and
    ``finished: false`` (the wan2.6-image streaming convention). For an answer still being
    made (``final`` false) no chunk is the last."""
    choice = body["output"]["choices"][0] if body["output"]["choices"] else None
    content = choice["message"]["content"] if choice else []
    groups: list[list[dict[str, Any]]] = []
    pending: list[dict[str, Any]] = []
    for item in content:
        pending.append(item)
        if item.get("type") == "image":
            groups.append(pending)
            pending = []
    if pending or not groups:
        groups.append(pending)
    usage = dict(body["usage"])
    chunks = []
    images = 0
    for i, group in enumerate(groups):
        last = final and i == len(groups) - 1
        images += sum(1 for item in group if item.get("type") == "image")
        chunk_usage = {**usage, "image_count": images} if "image_count" in usage else usage
        chunks.append(
            {
                "output": {
                    "choices": [
                        {
                            "finish_reason": "stop" if last else "null",
                            "message": {"role": "assistant", "content": group},
                        }
                    ],
                    "finished": last,
                },
                "usage": chunk_usage,
                "request_id": body["request_id"],
            }
        )
    return chunks


def sse_event(event_id: int, payload: dict[str, Any], *, status: int = 200) -> bytes:
    """One SSE frame exactly as DashScope frames it (contract §5.5): ``event:result`` or, for a
    status ≥ 400, ``event:error`` (no space: the SDK compares the raw text)."""
    event = "result" if status < 400 else "error"
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"id:{event_id}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


def list_item(task: TaskSummary) -> dict[str, Any]:
    """One entry of ``GET /tasks`` ``data`` (flat, epoch-ms times, ``status`` not
    ``task_status``), as in the real capture of contract §5.3."""
    item: dict[str, Any] = {
        "api_key_id": task.api_key_id,
        "caller_parent_id": task.account_id,
        "caller_uid": task.account_id,
        "gmt_create": task.submitted_at,
        "model_name": task.model,
        "region": "local",
        "request_id": task.request_id,
        "status": task.status.value,
        "task_id": task.id,
        "user_api_unique_key": f"apikey:v1:{task.model}:{task.api_key_id}",
    }
    if task.scheduled_at is not None:
        item["start_time"] = task.scheduled_at
    if task.finished_at is not None:
        item["end_time"] = task.finished_at
    if task.workspace is not None:
        item["workspace_id"] = task.workspace
    return item
