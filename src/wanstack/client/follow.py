"""Following one task to its end: ``GET /tasks/{id}`` at a gently growing interval, each change
of status, queue position or progress reported as it is seen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wanstack.client.dashscope import DashScopeClient

FINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})
#: the first query comes this soon; each next one 1.5 times later, up to POLL_MAX_S
POLL_FIRST_S = 0.25
POLL_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class Seen:
    """What one query showed of a task."""

    status: str
    #: ``output.queue_position``, a wanstack extension on PENDING tasks (1 = next to run)
    queue_position: int | None = None
    #: ``output.progress``, a wanstack extension on RUNNING tasks (0–100)
    progress: int | None = None

    @classmethod
    def of(cls, output: dict[str, Any]) -> Seen:
        return cls(
            str(output.get("task_status")),
            _int(output.get("queue_position")),
            _int(output.get("progress")),
        )

    def describe(self) -> str:
        text = self.status
        if self.queue_position is not None and self.status == "PENDING":
            text += f" (queue position {self.queue_position})"
        if self.progress is not None and self.status == "RUNNING":
            text += f" {self.progress}%"
        return text


async def follow(
    client: DashScopeClient, task_id: str, on_change: Callable[[Seen], None]
) -> dict[str, Any]:
    """Query the task until it is final; the final answer (``output``, ``usage``)."""
    delay = POLL_FIRST_S
    last: Seen | None = None
    while True:
        answer = await client.task(task_id)
        seen = Seen.of(answer["output"])
        if seen != last:
            on_change(seen)
            last = seen
        if seen.status in FINAL:
            return answer
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, POLL_MAX_S)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
