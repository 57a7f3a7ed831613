"""Output shapes several models share, in DashScope's field names (seeds 001–003).

* :func:`image_outcome`: ``results`` (a ``{"key"}`` per image, ``{code, message}`` per failed
  one), ``task_metrics`` and ``usage.image_count`` (successes only); with titles, seed 002's
  ``text_results``. SUCCEEDED when at least one image succeeded, else FAILED with the first
  error (partial success, DESIGN §3).
* :func:`failure`: a task that failed before producing anything.
* :func:`pending_metrics`: the ``task_metrics`` a RUNNING image task shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wanstack.catalog.base import StoredItem
from wanstack.domain import Outcome, TaskStatus
from wanstack.errors import TaskError


def metrics(total: int, succeeded: int) -> dict[str, int]:
    return {"TOTAL": total, "SUCCEEDED": succeeded, "FAILED": total - succeeded}


def pending_metrics(parameters: dict[str, Any]) -> dict[str, Any]:
    """What a RUNNING task of an image model shows: its ``n``, nothing done yet."""
    return {"task_metrics": {"TOTAL": int(parameters.get("n", 1)), "SUCCEEDED": 0, "FAILED": 0}}


def failure(parameters: dict[str, Any], error: TaskError) -> Outcome:
    """A task that failed before any output was made."""
    total = int(parameters.get("n", 1))
    return Outcome(
        status=TaskStatus.FAILED,
        output={"task_metrics": {"TOTAL": total, "SUCCEEDED": 0, "FAILED": total}},
        code=error.code,
        message=error.message,
    )


def image_outcome(items: Sequence[StoredItem]) -> Outcome:
    """``results`` + ``task_metrics`` (+ ``text_results``), usage ``image_count``."""
    results: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []  # text-free images of titled results (seed 002)
    params: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if item.key is not None:
            results.append({"key": item.key})
            if item.plain_key is not None:
                plain.append({"key": item.plain_key})
                params.append({"sample_idx": index, "layers": item.layers or []})
        else:
            error = item.error or TaskError()
            results.append({"code": error.code, "message": error.message})
    succeeded = sum(1 for r in results if "key" in r)
    task_metrics = metrics(len(results), succeeded)
    if succeeded == 0:
        first = results[0] if results else {}
        error = TaskError()
        return Outcome(
            status=TaskStatus.FAILED,
            output={"task_metrics": task_metrics},
            code=first.get("code", error.code),
            message=first.get("message", error.message),
        )
    output: dict[str, Any] = {"results": results, "task_metrics": task_metrics}
    if plain:
        output["text_results"] = {"urls": plain, "params": params}
    return Outcome(status=TaskStatus.SUCCEEDED, output=output, usage={"image_count": succeeded})
